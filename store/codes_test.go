package store_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

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

// Codes kept in feature_codes and links in feature_code_of by an older
// version (and, for a while, links in feature_codes) are moved into
// feature_ids at open: a feature asked for a code again keeps the one it
// had, a code taken is not given again, and the old collections are gone.
func TestLegacyCodesMoved(t *testing.T) {
	dir := storeDir(t)
	ctx := context.Background()
	const village, short = "360803101201", "201"
	s, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	codes := s.DB().Collection("feature_codes")
	for _, d := range []bson.M{{"_id": "201-0001", "feature": "old", "village": village},
		{"_id": "201-0002", "feature": "older", "village": village}, {"_id": "of:older", "code": "201-0002"}} {
		if _, err := codes.InsertOne(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DB().Collection("feature_code_of").InsertOne(ctx, bson.M{"_id": "old", "code": "201-0001"}); err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)

	s, err = store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if names, err := s.DB().ListCollectionNames(ctx, bson.M{"name": bson.M{"$in": []string{"feature_codes", "feature_code_of"}}}); err != nil || len(names) != 0 {
		t.Errorf("after the move: %v (%v)", names, err)
	}
	got, err := s.FeatureCodes(ctx, village, short, []string{"new", "old", "older"})
	if err != nil {
		t.Fatal(err)
	}
	if got[1] != "201-0001" || got[2] != "201-0002" {
		t.Errorf("old features asked again: %v, want their codes 201-0001 and 201-0002", got[1:])
	}
	if got[0] != "201-0003" {
		t.Errorf("new feature: %q, want 201-0003 (the first code not taken)", got[0])
	}
	if ref, err := s.FindCode(ctx, "201-0001"); err != nil || ref.Feature != "old" {
		t.Errorf("201-0001 leads to %+v (%v), want old", ref, err)
	}
}

// Claims and codes in one insert: where it stops at a taken id or at a
// taken code, the features after still get their claims and codes, the
// taken id none, and every code leads to its feature.
func TestClaimFeaturesWithCodes(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	const village, short = "360803101201", "201"
	taken, codes, err := s.ClaimFeatures(ctx, village, short, []string{"a", "b", "c"}, []string{"op-a", "op-b", "op-c"})
	if err != nil || taken[0] != nil || taken[1] != nil || taken[2] != nil {
		t.Fatalf("first claims: %v %v", taken, err)
	}
	if codes[0] != "201-0001" || codes[2] != "201-0003" {
		t.Fatalf("first codes: %v", codes)
	}
	// As another instance would: b is taken, which only the insert says;
	// and the counter is behind, so d's code is taken too.
	s.ForgetRefs()
	if err := s.SetCodeSerial(ctx, village, 1); err != nil {
		t.Fatal(err)
	}
	taken, codes, err = s.ClaimFeatures(ctx, village, short, []string{"d", "b", "e"}, []string{"op-d", "op-b2", "op-e"})
	if err != nil {
		t.Fatal(err)
	}
	if taken[0] != nil || taken[2] != nil || taken[1] == nil || taken[1].CreateOp != "op-b" || codes[1] != "" {
		t.Errorf("d, b, e: taken %v, codes %v; want b taken by op-b, without a code", taken, codes)
	}
	seen := map[string]string{}
	for id, code := range map[string]string{"d": codes[0], "e": codes[2]} {
		ref, err := s.FindCode(ctx, code)
		if err != nil || ref.Feature != id || code == "201-0001" || code == "201-0002" || code == "201-0003" {
			t.Errorf("%s got %s, which leads to %+v (%v)", id, code, ref, err)
		}
		if other, ok := seen[code]; ok {
			t.Errorf("%s and %s got %s", id, other, code)
		}
		seen[code] = id
		if ref, err := s.FeatureRef(ctx, id); err != nil || ref.CreateOp != "op-"+id {
			t.Errorf("%s claimed by %+v (%v)", id, ref, err)
		}
	}
	if again, err := s.FeatureCodes(ctx, village, short, []string{"d", "e"}); err != nil || again[0] != codes[0] || again[1] != codes[2] {
		t.Errorf("asked again: %v (%v), want %s %s", again, err, codes[0], codes[2])
	}
}

// A claim of many features that stops at a taken id near the start goes
// on after it: the embedded backend stops an ordered insert only within
// a batch of its own, so the store sends batches no larger.
func TestClaimManyAfterATakenID(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	const village, short = "360803101201", "201"
	if _, _, err := s.ClaimFeatures(ctx, village, short, []string{"f-000"}, []string{"op-first"}); err != nil {
		t.Fatal(err)
	}
	s.ForgetRefs()
	var ids, ops []string
	for i := range 120 {
		ids, ops = append(ids, fmt.Sprintf("f-%03d", i)), append(ops, fmt.Sprintf("op-%03d", i))
	}
	taken, codes, err := s.ClaimFeatures(ctx, village, short, ids, ops)
	if err != nil {
		t.Fatal(err)
	}
	if taken[0] == nil || taken[0].CreateOp != "op-first" {
		t.Errorf("f-000: taken %+v, want by op-first", taken[0])
	}
	seen := map[string]bool{}
	for i := 1; i < len(ids); i++ {
		if taken[i] != nil || codes[i] == "" || seen[codes[i]] {
			t.Fatalf("%s: taken %+v, code %q (repeated: %v)", ids[i], taken[i], codes[i], seen[codes[i]])
		}
		seen[codes[i]] = true
		if ref, err := s.FindCode(ctx, codes[i]); err != nil || ref.Feature != ids[i] {
			t.Fatalf("%s: code %s leads to %+v (%v)", ids[i], codes[i], ref, err)
		}
	}
}
