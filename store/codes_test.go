package store_test

import (
	"context"
	"testing"
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
	if ref, err := s.FindCode(ctx, "201-0005"); err == nil {
		t.Errorf("the code b took for a moment was kept: it leads to %+v", ref)
	}
	again, err := s.FeatureCodes(ctx, village, short, []string{"c", "d", "b"})
	if err != nil || again[0] != got[0] || again[1] != got[1] || again[2] != got[2] {
		t.Errorf("asked again: %v (%v), want %v", again, err, got)
	}
}
