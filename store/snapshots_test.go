package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cunjie/cunjie"
)

func TestSnapshotRoundTripAndRev(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	var fs []*cunjie.Feature
	for i := 0; i < 9000; i++ { // three parts
		fs = append(fs, &cunjie.Feature{ID: fmt.Sprintf("f%05d", i), Village: "360803101201", Kind: cunjie.KindBin,
			Location: cunjie.Location{Lon: 114.9 + float64(i)*1e-6, Lat: 27.1, Accuracy: 4},
			Attrs:    map[string]any{"capacity_l": int64(240), "status": "ok"}, Photos: []string{},
			Version: 1, Seq: int64(i + 1), CreatedBy: "a", CreatedAt: now, UpdatedBy: "a", UpdatedAt: now,
			Ops: []cunjie.OpHash{cunjie.HashOp("op")}})
	}
	if err := s.SaveSnapshot(ctx, "360803101201", 7, fs); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.LoadSnapshot(ctx, "360803101201", 7)
	if err != nil || !ok {
		t.Fatalf("load: %v %v", ok, err)
	}
	if diff := cmp.Diff(fs, got, cmpopts.EquateComparable(cunjie.Events{})); diff != "" {
		t.Fatalf("snapshot differs (-saved +loaded):\n%s", diff)
	}
	if _, ok, _ := s.LoadSnapshot(ctx, "360803101201", 8); ok {
		t.Error("a snapshot of rev 7 was taken for rev 8")
	}
	if _, ok, _ := s.LoadSnapshot(ctx, "360803101202", 0); ok {
		t.Error("a village with no snapshot had one")
	}
	// A smaller snapshot later replaces it; stale extra parts are ignored.
	if err := s.SaveSnapshot(ctx, "360803101201", 9, fs[:10]); err != nil {
		t.Fatal(err)
	}
	got, ok, _ = s.LoadSnapshot(ctx, "360803101201", 9)
	if !ok || len(got) != 10 {
		t.Fatalf("second snapshot: %v, %d features", ok, len(got))
	}
}
