package store_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
)

// A batch of codes: new features take consecutive codes; a feature that
// has a code keeps it (a replay); a code taken meanwhile by another
// feature is skipped, not given twice.
func TestFeatureCodesBatch(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	const village, short = "360803101201", "201"
	first, err := s.FeatureCodes(ctx, village, short, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if first[0] != "201-0001" || first[1] != "201-0002" {
		t.Fatalf("first batch: %v", first)
	}
	// The counter falls behind (as after a restore of an older backup):
	// 201-0004 is another feature's already.
	if _, err := s.FeatureCode(ctx, village, short, "x"); err != nil { // takes 201-0003
		t.Fatal(err)
	}
	if _, err := s.FeatureCodes(ctx, village, short, []string{"y"}); err != nil { // 201-0004
		t.Fatal(err)
	}
	if err := s.SetCodeSerial(ctx, village, 2); err != nil {
		t.Fatal(err)
	}
	// c and d are given 201-0003 and 201-0004, which are taken, and b
	// 201-0005, which it must give back.
	got, err := s.FeatureCodes(ctx, village, short, []string{"c", "d", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if got[2] != "201-0002" {
		t.Errorf("b replayed: %s, want its code 201-0002", got[2])
	}
	seen := map[string]string{"201-0001": "a", "201-0002": "b", "201-0003": "x", "201-0004": "y"}
	for i, id := range []string{"c", "d"} {
		code := got[i]
		if other, ok := seen[code]; ok {
			t.Errorf("%s got %s, which is %s's", id, code, other)
		}
		seen[code] = id
		ref, err := s.FindCode(ctx, code)
		if err != nil || ref.Feature != id {
			t.Errorf("code %s leads to %+v (%v), want %s", code, ref, err, id)
		}
	}
	// The code b took for a moment was given back: every code leads to one
	// feature, b's to b only.
	leads := map[string]string{}
	for n := 1; n <= 12; n++ {
		code := fmt.Sprintf("201-%04d", n)
		if ref, err := s.FindCode(ctx, code); err == nil {
			if other, ok := leads[ref.Feature]; ok {
				t.Errorf("%s has two codes: %s and %s", ref.Feature, other, code)
			}
			leads[ref.Feature] = code
		}
	}
	again, err := s.FeatureCodes(ctx, village, short, []string{"c", "d", "b"})
	if err != nil || again[0] != got[0] || again[1] != got[1] || again[2] != got[2] {
		t.Errorf("asked again: %v (%v), want %v", again, err, got)
	}

	// A process that stopped without saving its serials: the next one
	// looks past the stored counter for the first free code.
	if err := s.SetCodeSerial(ctx, village, 1); err != nil {
		t.Fatal(err)
	}
	s.ForgetCodeSerials()
	next, err := s.FeatureCodes(ctx, village, short, []string{"e"})
	if err != nil {
		t.Fatal(err)
	}
	if owner, taken := seen[next[0]]; taken {
		t.Errorf("after a start with the counter behind, e got %s, which is %s's", next[0], owner)
	}
	if ref, err := s.FindCode(ctx, next[0]); err != nil || ref.Feature != "e" {
		t.Errorf("e's code %s leads to %+v (%v)", next[0], ref, err)
	}
}

// Links kept in feature_code_of by an older version are moved into
// feature_codes at open: a feature asked for a code again keeps the one it
// had, and the old collection is gone.
func TestCodeLinksMoved(t *testing.T) {
	dir := storeDir(t)
	ctx := context.Background()
	const village, short = "360803101201", "201"
	s, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Collection("feature_codes").InsertOne(ctx, bson.M{"_id": "201-0007", "feature": "old", "village": village}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Collection("feature_code_of").InsertOne(ctx, bson.M{"_id": "old", "code": "201-0007"}); err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)

	s, err = store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if names, err := s.DB().ListCollectionNames(ctx, bson.M{"name": "feature_code_of"}); err != nil || len(names) != 0 {
		t.Errorf("feature_code_of after the move: %v (%v)", names, err)
	}
	got, err := s.FeatureCodes(ctx, village, short, []string{"new", "old"})
	if err != nil {
		t.Fatal(err)
	}
	if got[1] != "201-0007" {
		t.Errorf("old feature asked again: %s, want its code 201-0007", got[1])
	}
	if got[0] == "201-0007" || got[0] == "" {
		t.Errorf("new feature: %q", got[0])
	}
	if _, err := s.FindCode(ctx, "of:old"); cunjie.ErrorCode(err) != cunjie.ENOTFOUND {
		t.Errorf("a link looked up as a code: %v, want not found", err)
	}
}
