package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
)

// TestIDLookupsUseAnIndex checks the index the embedded store needs for
// lookups by _id: the collections it opens with and a new village's
// features have it at once, a collection first made by a write gets it at
// the next sweep, and FerretDB's own queries use it, as SQLite's plan for
// a find by _id shows.
func TestIDLookupsUseAnIndex(t *testing.T) {
	dir := storeDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	open := func() *store.Store {
		s, err := store.Open(ctx, store.Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	s := open()
	v := &cunjie.Village{Code: "360803102201", Name: "社上村", Boundary: []byte(`{"type":"Point","coordinates":[115,27]}`)}
	if err := s.PutVillages(ctx, []*cunjie.Village{v}); err != nil {
		t.Fatal(err)
	}
	f := &cunjie.Feature{ID: "f1", Village: v.Code, Kind: cunjie.KindBin, Version: 1, Attrs: map[string]any{}}
	if _, err := s.InsertFeatures(ctx, v.Code, []*cunjie.Feature{f}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ClaimFeatures(ctx, v.Code, "", []string{"f1"}, []string{"op1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertHistory(ctx, []store.HistoryEntry{{Feature: "f1", Change: 1}}); err != nil {
		t.Fatal(err)
	}
	if left, err := s.UnindexedTables(ctx); err != nil || len(left) > 0 {
		t.Fatalf("unindexed after the import and the first writes: %v %v", left, err)
	}
	if _, err := s.DB().Collection("made_by_a_write").InsertOne(ctx, bson.M{"_id": "x"}); err != nil {
		t.Fatal(err)
	}
	if left, err := s.UnindexedTables(ctx); err != nil || len(left) != 1 {
		t.Fatalf("a collection made by a write: unindexed %v %v, want it alone", left, err)
	}
	if err := s.SweepIDIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if after, err := s.UnindexedTables(ctx); err != nil || len(after) > 0 {
		t.Fatalf("left unindexed: %v %v", after, err)
	}
	s.Close(ctx)

	// A fresh process's connections plan with the new schema (a connection
	// open while the index was made shows its old plan to EXPLAIN, though
	// it uses the index when it runs a query).
	s = open()
	defer s.Close(context.Background())
	for _, col := range []string{"features_" + v.Code, "feature_ids", "villages", "histories", "made_by_a_write"} {
		var res bson.M
		err := s.DB().RunCommand(ctx, bson.D{{Key: "explain", Value: bson.D{
			{Key: "find", Value: col}, {Key: "filter", Value: bson.M{"_id": "x"}}}}}).Decode(&res)
		if err != nil {
			t.Fatal(err)
		}
		plan := bson.Raw(mustMarshal(t, res["queryPlanner"])).String()
		if !strings.Contains(plan, "USING INDEX") || !strings.Contains(plan, "_cunjie_id") {
			t.Errorf("%s: a find by _id does not use the index: %s", col, plan)
		}
	}
	got, err := s.Feature(ctx, v.Code, "f1")
	if err != nil || got.ID != "f1" {
		t.Fatalf("feature after reopen: %+v %v", got, err)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := bson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
