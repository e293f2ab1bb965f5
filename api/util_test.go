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
	var events []cunjie.Event
	for i := range 8 {
		events = latestEvents(events, cunjie.Event{ID: string(rune('a' + i)), At: at.Add(time.Duration(i) * time.Hour)})
		// The size class of 5 events holds 5; fewer may round up a little.
		if len(events) != min(i+1, cunjie.LatestEvents) || cap(events) > cunjie.LatestEvents {
			t.Fatalf("after %d events: len %d cap %d", i+1, len(events), cap(events))
		}
	}
	// An event older than every kept one is not kept.
	events = latestEvents(events, cunjie.Event{ID: "old", At: at.Add(-time.Hour)})
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	if !slices.Equal(ids, []string{"d", "e", "f", "g", "h"}) {
		t.Fatalf("kept events %v", ids)
	}
}
