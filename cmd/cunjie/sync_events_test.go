package main

import (
	"fmt"
	"testing"
	"time"
)

// A sync batch's events are committed a village at a time (writes.ChangeAll):
// each still answers for itself, is applied once, keeps its history entry
// and its own sequence number, and a replay of the batch answers duplicate.
func TestSyncEventsCommittedTogether(t *testing.T) {
	tw := newTown(t)
	var ids []string
	for i := range 4 {
		id := newID("b")
		village := tw.v1
		if i == 3 {
			village = tw.v2
		}
		tw.insp.must(201, "PUT", "/api/v1/features/"+id, map[string]any{"opId": newID("op"), "kind": "bin", "location": tw.pointIn(t, village)})
		ids = append(ids, id)
	}
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	ev := func(feature, status string) map[string]any {
		return map[string]any{"type": "addEvent", "id": feature, "opId": newID("op"),
			"event": map[string]any{"id": newID("ev"), "type": "status_reported", "status": status, "at": at}}
	}
	ops := []any{
		ev(ids[0], "full"), ev(ids[1], "damaged"),
		ev(ids[0], "overflowing"), // the same bin again: after the first
		ev(ids[2], "no-such-status"),
		ev(ids[3], "full"),                     // another village
		ev("no-such-feature", "ok"),            // refused alone
		ev(ids[2], "full"), ev(ids[1], "full"), // committed together, each its own seq
	}
	want := []string{"applied", "applied", "applied", "rejected", "applied", "rejected", "applied", "applied"}
	got := func() []string {
		var res struct{ Results []struct{ Result string } }
		tw.insp.must(200, "POST", "/api/v1/sync", map[string]any{"ops": ops}).JSON(&res)
		out := make([]string, len(res.Results))
		for i, r := range res.Results {
			out[i] = r.Result
		}
		return out
	}
	if r := got(); fmt.Sprint(r) != fmt.Sprint(want) {
		t.Fatalf("results %v, want %v", r, want)
	}
	status := func(id string) string {
		return attrsOf(tw.insp.must(200, "GET", "/api/v1/features/"+id, nil).Map())["status"].(string)
	}
	if status(ids[0]) != "overflowing" || status(ids[1]) != "full" || status(ids[2]) != "full" || status(ids[3]) != "full" {
		t.Errorf("statuses %s %s %s %s", status(ids[0]), status(ids[1]), status(ids[2]), status(ids[3]))
	}
	events := tw.admin.must(200, "GET", "/api/v1/features/"+ids[0]+"/events", nil).Map()["events"].([]any)
	if len(events) != 2 {
		t.Errorf("bin 0 has %d events in its history, want 2", len(events))
	}
	// Every change has a sequence number of its own: a phone paging the
	// changes sees each bin once, at its latest.
	var ch struct {
		Features []struct {
			ID  string
			Seq int64
		}
	}
	tw.insp.must(200, "GET", "/api/v1/changes?village="+tw.v1+"&since=0", nil).JSON(&ch)
	seqs := map[int64]string{}
	for _, f := range ch.Features {
		if other, ok := seqs[f.Seq]; ok {
			t.Errorf("seq %d given to %s and %s", f.Seq, other, f.ID)
		}
		seqs[f.Seq] = f.ID
	}
	// The same batch again: every applied op answers duplicate.
	want = []string{"duplicate", "duplicate", "duplicate", "rejected", "duplicate", "rejected", "duplicate", "duplicate"}
	if r := got(); fmt.Sprint(r) != fmt.Sprint(want) {
		t.Errorf("replay %v, want %v", r, want)
	}
}
