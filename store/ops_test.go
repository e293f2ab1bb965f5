package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/cunjie/cunjie"
)

// TestOpsKeptAsHashes reads a feature whose recent ops were stored as ids,
// as before ops were hashed, and writes it back as hashes.
func TestOpsKeptAsHashes(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	const village = "360803101201"
	now := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	f := &cunjie.Feature{ID: "f1", Village: village, Kind: cunjie.KindBin, Location: cunjie.Location{Lon: 114.9, Lat: 27.1},
		Attrs: map[string]any{}, Photos: []string{}, Version: 1, Seq: 1, CreatedBy: "a", CreatedAt: now,
		UpdatedBy: "a", UpdatedAt: now, Events: []cunjie.Event{}, Ops: []cunjie.OpHash{cunjie.HashOp("op-1")}}
	if _, err := s.InsertFeatures(ctx, village, []*cunjie.Feature{f}); err != nil {
		t.Fatal(err)
	}
	col := s.DB().Collection("features_" + village)
	if _, err := col.UpdateOne(ctx, bson.M{"_id": "f1"}, bson.M{"$set": bson.M{"ops": bson.A{"op-1", "op-2"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Feature(ctx, village, "f1")
	if err != nil {
		t.Fatal(err)
	}
	want := []cunjie.OpHash{cunjie.HashOp("op-1"), cunjie.HashOp("op-2")}
	if !slices.Equal(got.Ops, want) {
		t.Fatalf("ops read from ids: %v, want %v", got.Ops, want)
	}

	got.Ops = append(got.Ops, cunjie.HashOp("op-3"))
	got.Version++
	if err := s.ReplaceFeature(ctx, got, 1); err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Ops []int64 `bson:"ops"`
	}
	if err := col.FindOne(ctx, bson.M{"_id": "f1"}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Ops) != 3 || cunjie.OpHash(raw.Ops[2]) != cunjie.HashOp("op-3") {
		t.Fatalf("stored ops %v, want 3 integers ending in the hash of op-3", raw.Ops)
	}
	again, err := s.Feature(ctx, village, "f1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Ops, got.Ops) {
		t.Fatalf("ops read back %v, want %v", again.Ops, got.Ops)
	}

	if _, err := col.UpdateOne(ctx, bson.M{"_id": "f1"}, bson.M{"$set": bson.M{"ops": bson.A{1.5}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Feature(ctx, village, "f1"); err == nil {
		t.Fatal("a feature with a number that is not an integer among its ops was read without an error")
	}
}
