package cunjie

import (
	"testing"
	"time"
)

func TestFillStageDate(t *testing.T) {
	// 20:00 UTC is the next morning in the town.
	at := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		what      string
		kind      Kind
		cur, next map[string]any
		attr      string
		want      any
	}{
		{"demolished: the day, in the town", KindDemolition, map[string]any{"stage": "scheduled"}, map[string]any{"stage": "demolished"}, "demolished_on", "2026-11-21"},
		{"a date given is kept", KindDemolition, map[string]any{"stage": "scheduled"}, map[string]any{"stage": "demolished", "demolished_on": "2026-11-02"}, "demolished_on", "2026-11-02"},
		{"a new record at its stage", KindHouseholdToilet, nil, map[string]any{"stage": "done"}, "completed_on", "2026-11-21"},
		{"accepted counts as done", KindHouseholdToilet, map[string]any{"stage": "building"}, map[string]any{"stage": "accepted"}, "completed_on", "2026-11-21"},
		{"housing completed", KindHousingReform, map[string]any{"stage": "started"}, map[string]any{"stage": "completed"}, "completed_on", "2026-11-21"},
		{"a stage before: none", KindHousingReform, map[string]any{"stage": "applied"}, map[string]any{"stage": "started"}, "completed_on", nil},
		{"the stage unchanged: a date cleared stays cleared", KindDemolition, map[string]any{"stage": "demolished", "demolished_on": "2026-01-01"}, map[string]any{"stage": "demolished"}, "demolished_on", nil},
		{"a kind without a stage date", KindBin, nil, map[string]any{"status": "ok"}, "completed_on", nil},
	} {
		FillStageDate(c.kind, c.cur, c.next, at)
		if got := c.next[c.attr]; got != c.want {
			t.Errorf("%s: %s = %v, want %v", c.what, c.attr, got, c.want)
		}
	}
}
