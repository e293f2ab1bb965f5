package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/cunjie/cunjie"
)

// TestHistoryInParts appends many changes, which land in several parts,
// beside a history written as one document before parts came, and reads
// them all back in order.
func TestHistoryInParts(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	legacy := bson.M{"_id": "f1", "events": []bson.M{{"_id": "old", "type": "emptied", "at": at, "by": "a", "stored": at}},
		"audit": []bson.M{{"op": "old-op", "action": "event", "by": "a", "at": at, "version": 1}}}
	if _, err := s.DB().Collection("histories").InsertOne(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	const n = 40 // parts 0, 1 and 2
	for i := range int64(n) {
		at := at.Add(time.Duration(i+1) * time.Hour)
		ev := cunjie.Event{ID: fmt.Sprintf("e%02d", i), Type: "emptied", At: at, By: "a", Stored: at}
		au := cunjie.AuditEntry{Op: fmt.Sprintf("op%02d", i), Action: "event", By: "a", At: at, Version: 1}
		if err := s.AppendHistory(ctx, "f1", i, []cunjie.Event{ev}, []cunjie.AuditEntry{au}); err != nil {
			t.Fatal(err)
		}
	}
	events, audit, err := s.History(ctx, "f1", n)
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
	if parts, _ := s.DB().Collection("histories").CountDocuments(ctx, bson.M{}); parts != 4 {
		t.Errorf("%d history documents, want the old one and 3 parts", parts)
	}
	// A feature told it has fewer changes reads fewer parts.
	if events, _, _ := s.History(ctx, "f1", 16); len(events) != 17 {
		t.Errorf("16 changes: %d events", len(events))
	}
}
