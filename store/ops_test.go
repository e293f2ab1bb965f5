package store_test

import (
	"context"
	"encoding/binary"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
)

const featureVillage = "360803101201"

var featureTime = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

// storeWithFeature opens a store holding one bin, f1, with ops, and
// answers it with the bin's collection.
func storeWithFeature(t *testing.T, ops []cunjie.OpHash) (*store.Store, *mongo.Collection) {
	s := MustOpenStore(t)
	now := featureTime
	f := &cunjie.Feature{ID: "f1", Village: featureVillage, Kind: cunjie.KindBin, Location: cunjie.Location{Lon: 114.9, Lat: 27.1},
		Attrs: map[string]any{}, Photos: []string{}, Version: 1, Seq: 1, CreatedBy: "a", CreatedAt: now,
		UpdatedBy: "a", UpdatedAt: now, Ops: ops}
	if _, err := s.InsertFeatures(context.Background(), featureVillage, []*cunjie.Feature{f}); err != nil {
		t.Fatal(err)
	}
	return s, s.DB().Collection("features_" + featureVillage)
}

// TestOpsKeptAsHashes reads a feature whose recent ops were stored as ids,
// as before ops were hashed, and writes it back as packed hashes.
func TestOpsKeptAsHashes(t *testing.T) {
	s, col := storeWithFeature(t, []cunjie.OpHash{cunjie.HashOp("op-1")})
	ctx := context.Background()
	const village = featureVillage
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
		Ops bson.Binary `bson:"ops"`
	}
	if err := col.FindOne(ctx, bson.M{"_id": "f1"}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Ops.Data) != 24 || cunjie.OpHash(binary.BigEndian.Uint64(raw.Ops.Data[16:])) != cunjie.HashOp("op-3") {
		t.Fatalf("stored ops %x, want 3 packed hashes ending in op-3's", raw.Ops.Data)
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

// TestEventsReadFromArray reads a feature whose latest events were stored
// as an array of documents, as before they were packed, and writes them
// back packed.
func TestEventsReadFromArray(t *testing.T) {
	s, col := storeWithFeature(t, nil)
	ctx := context.Background()
	const village = featureVillage
	now := featureTime
	old := bson.A{
		bson.M{"_id": "e1", "type": "emptied", "at": now, "by": "a", "stored": now},
		bson.M{"_id": "e2", "type": "repaired", "at": now.Add(time.Hour), "by": "b", "stored": now.Add(time.Hour),
			"note": "lid", "photos": bson.A{"p1"}, "location": bson.M{"type": "Point", "coordinates": bson.A{114.91, 27.11}}, "accuracy": 4.0},
	}
	if _, err := col.UpdateOne(ctx, bson.M{"_id": "f1"}, bson.M{"$set": bson.M{"events": old}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Feature(ctx, village, "f1")
	if err != nil {
		t.Fatal(err)
	}
	want := []cunjie.Event{
		{ID: "e1", Feature: "f1", Type: "emptied", At: now, Photos: []string{}, By: "a", Stored: now},
		{ID: "e2", Feature: "f1", Type: "repaired", At: now.Add(time.Hour), Location: &cunjie.Location{Lon: 114.91, Lat: 27.11, Accuracy: 4},
			Note: "lid", Photos: []string{"p1"}, By: "b", Stored: now.Add(time.Hour)},
	}
	if !reflect.DeepEqual(got.Events.Slice(), want) {
		t.Fatalf("events read from an array:\n%+v\nwant\n%+v", got.Events, want)
	}
	got.Version++
	if err := s.ReplaceFeature(ctx, got, 1); err != nil {
		t.Fatal(err)
	}
	var raw bson.Raw
	if err := col.FindOne(ctx, bson.M{"_id": "f1"}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if typ := raw.Lookup("events").Type; typ != bson.TypeBinary {
		t.Fatalf("events written back as BSON type %v, want binary", typ)
	}
	again, err := s.Feature(ctx, village, "f1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Events.Slice(), want) {
		t.Fatalf("events read back:\n%+v\nwant\n%+v", again.Events, want)
	}
}
