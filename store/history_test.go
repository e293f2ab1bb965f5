package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
)

// TestHistoryOldAndNew reads a history written by three generations: one
// document (the first versions), parts of 16 changes (until a change
// became a document of its own), then a document per change; all of it
// comes back in order, and a change stored twice (a retried write) is
// there once.
func TestHistoryOldAndNew(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	legacy := bson.M{"_id": "f1", "events": []bson.M{{"_id": "old", "type": "emptied", "at": at, "by": "a", "stored": at}},
		"audit": []bson.M{{"op": "old-op", "action": "event", "by": "a", "at": at, "version": 1}}}
	if _, err := s.DB().Collection("histories").InsertOne(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	change := func(i int64) (cunjie.Event, cunjie.AuditEntry) {
		at := at.Add(time.Duration(i+1) * time.Hour)
		return cunjie.Event{ID: fmt.Sprintf("e%02d", i), Type: "emptied", At: at, By: "a", Stored: at},
			cunjie.AuditEntry{Op: fmt.Sprintf("op%02d", i), Action: "event", By: "a", At: at, Version: 1}
	}
	// Change 0 was the legacy document's; 1 to 20 went to parts 0 and 1.
	const inParts, n = 20, 45
	for i := int64(1); i <= inParts; i++ {
		ev, au := change(i - 1)
		if err := s.AppendHistoryPart(ctx, "f1", i, []cunjie.Event{ev}, []cunjie.AuditEntry{au}); err != nil {
			t.Fatal(err)
		}
	}
	for i := int64(inParts + 1); i <= n; i++ {
		ev, au := change(i - 1)
		h := store.HistoryEntry{Feature: "f1", Change: i, Events: []cunjie.Event{ev}, Audit: []cunjie.AuditEntry{au}}
		for range 2 { // the second insert is a retry: the entry is stored once
			if err := s.InsertHistory(ctx, []store.HistoryEntry{h}); err != nil {
				t.Fatal(err)
			}
		}
	}
	events, audit, err := s.History(ctx, "f1", n+1)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != n+1 || len(audit) != n+1 || events[0].ID != "old" || audit[0].Op != "old-op" {
		t.Fatalf("%d events, %d audit entries; first %+v", len(events), len(audit), events[0])
	}
	for i := 1; i <= n; i++ {
		if events[i].ID != fmt.Sprintf("e%02d", i-1) || audit[i].Op != fmt.Sprintf("op%02d", i-1) || events[i].Feature != "f1" {
			t.Fatalf("entry %d: %+v %+v", i, events[i], audit[i])
		}
	}
	// A feature told it has fewer changes reads fewer.
	if events, _, _ := s.History(ctx, "f1", 30); len(events) != 30 {
		t.Errorf("30 changes: %d events", len(events))
	}
}
