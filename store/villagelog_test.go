package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
)

func logFeature(id string, seq int64) *cunjie.Feature {
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	return &cunjie.Feature{ID: id, Village: "v1", Kind: cunjie.KindBin, Location: cunjie.Location{Lon: 114.9, Lat: 27.1},
		Attrs: map[string]any{"status": "ok"}, Photos: []string{}, Version: seq, Seq: seq,
		CreatedBy: "a", CreatedAt: at, UpdatedBy: "a", UpdatedAt: at}
}

// TestLogPositionsAreTakenOnce checks the commit of the shared store's
// log: of writers racing for one position exactly one commits, and the
// record reads back as written.
func TestLogPositionsAreTakenOnce(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &store.LogRecord{Village: "v1", Pos: 1, Features: []*cunjie.Feature{logFeature(fmt.Sprintf("f%d", i), 1)}}
			err := s.CommitLog(ctx, r)
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case !errors.Is(err, store.ErrLogTaken):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d writers committed position 1", won)
	}
	r, err := s.LogRecord(ctx, "v1", 1)
	if err != nil || r == nil || len(r.Features) != 1 || r.Features[0].Seq != 1 {
		t.Fatalf("record 1: %+v %v", r, err)
	}
	if r, err := s.LogRecord(ctx, "v1", 2); r != nil || err != nil {
		t.Fatalf("record 2 before it was written: %+v %v", r, err)
	}
}

// TestLogSnapshotsAreWrittenOnce checks that two instances saving one
// position store one snapshot, that a newer one is found through the
// pointer, and that a dropped one falls back to position 0.
func TestLogSnapshotsAreWrittenOnce(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	base := []*cunjie.Feature{logFeature("a", 1)}
	if ok, err := s.SaveLogSnapshot(ctx, "v1", 0, base); !ok || err != nil {
		t.Fatalf("first snapshot: %v %v", ok, err)
	}
	if ok, err := s.SaveLogSnapshot(ctx, "v1", 0, []*cunjie.Feature{logFeature("other", 9)}); ok || err != nil {
		t.Fatalf("second snapshot of position 0: stored %v, %v", ok, err)
	}
	pos, fs, ok, err := s.LoadLogSnapshot(ctx, "v1")
	if err != nil || !ok || pos != 0 || len(fs) != 1 || fs[0].ID != "a" {
		t.Fatalf("position 0: %d %v %v %v", pos, fs, ok, err)
	}
	if _, err := s.SaveLogSnapshot(ctx, "v1", 5, []*cunjie.Feature{logFeature("a", 1), logFeature("b", 5)}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.SaveLogSnapshot(ctx, "v1", 3, base); !ok || err != nil {
		t.Fatalf("an older position: %v %v", ok, err)
	}
	if pos, fs, _, _ := s.LoadLogSnapshot(ctx, "v1"); pos != 5 || len(fs) != 2 {
		t.Fatalf("after 5 and then 3: position %d with %d features; the pointer went back", pos, len(fs))
	}
	if err := s.DropLogSnapshot(ctx, "v1", 5); err != nil {
		t.Fatal(err)
	}
	if pos, fs, ok, err := s.LoadLogSnapshot(ctx, "v1"); !ok || err != nil || pos != 0 || len(fs) != 1 {
		t.Fatalf("after dropping the pointed one: %d %d %v %v", pos, len(fs), ok, err)
	}
}

// TestHistoryEntriesAreInsertedOnce checks that materializing a change's
// history twice keeps one entry.
func TestHistoryEntriesAreInsertedOnce(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	h := store.HistoryEntry{Feature: "a", Change: 0, Events: []cunjie.Event{{ID: "e1", Type: "emptied", At: at, Photos: []string{}, By: "a", Stored: at}},
		Audit: []cunjie.AuditEntry{{Op: "op1", Action: "event", By: "a", At: at, Version: 1}}}
	for range 2 {
		if err := s.InsertHistory(ctx, []store.HistoryEntry{h}); err != nil {
			t.Fatal(err)
		}
	}
	r := &store.LogRecord{Village: "v1", Pos: 1, History: []store.HistoryEntry{h}}
	if done, err := s.Materialized(ctx, r); !done || err != nil {
		t.Fatalf("materialized: %v %v", done, err)
	}
	r.History[0].Change = 1
	if done, _ := s.Materialized(ctx, r); done {
		t.Fatal("a change not written is said materialized")
	}
}
