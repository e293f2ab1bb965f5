package api

import (
	"slices"
	"testing"
	"time"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/writes"
)

// TestRecentListsHoldNoSpareCapacity checks that the lists a feature keeps
// for its lifetime are as long as their content and no longer.
func TestRecentListsHoldNoSpareCapacity(t *testing.T) {
	var ops []string
	for i := range 40 {
		ops = writes.KeepLast(ops, string(rune('a'+i%26)), 32)
		if cap(ops) != len(ops) || len(ops) != min(i+1, 32) {
			t.Fatalf("after %d ops: len %d cap %d", i+1, len(ops), cap(ops))
		}
	}
	if ops[31] != string(rune('a'+39%26)) {
		t.Fatalf("last op %q", ops[31])
	}

	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	f := &cunjie.Feature{ID: "f1"}
	for i := range 8 {
		f.Events = latestEvents(f, cunjie.Event{ID: string(rune('a' + i)), At: at.Add(time.Duration(i) * time.Hour)})
		if f.Events.Len() != min(i+1, cunjie.LatestEvents) {
			t.Fatalf("after %d events: %d kept", i+1, f.Events.Len())
		}
	}
	// An event older than every kept one is not kept.
	f.Events = latestEvents(f, cunjie.Event{ID: "old", At: at.Add(-time.Hour)})
	var ids []string
	for e := range f.Events.All() {
		if e.Feature != "f1" {
			t.Errorf("event %s of feature %q", e.ID, e.Feature)
		}
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []string{"d", "e", "f", "g", "h"}) {
		t.Fatalf("kept events %v", ids)
	}
}
