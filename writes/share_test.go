package writes

import (
	"maps"
	"testing"

	"github.com/cunjie/cunjie"
)

func TestAttrSetsShareOnlyEqualSets(t *testing.T) {
	var s attrSets
	bin := s.share(map[string]any{"capacity_l": int64(240), "status": "ok"})
	same := s.share(map[string]any{"status": "ok", "capacity_l": int64(240)})
	if !sameMap(bin, same) {
		t.Error("two equal sets are kept twice")
	}
	// Sets that a plain join of names and values would run together,
	// and values equal as numbers but of other types, stay apart.
	for _, other := range []map[string]any{
		{"capacity_l": int64(240), "status": "ok\x00"},
		{"capacity_l": "240", "status": "ok"},
		{"capacity_l": float64(240), "status": "ok"},
		{"capacity_l": int64(240), "status": "ok", "x": "1:s"},
		{"a": "v\x00b\x00s1:w", "status": "ok"},
		{"a": "v", "b": "w", "status": "ok"},
	} {
		got := s.share(maps.Clone(other))
		if sameMap(got, bin) || !maps.Equal(got, other) {
			t.Errorf("%q was answered %q", other, got)
		}
	}
	for _, forged := range []string{"v\x00b\x00sw", "v\x00b\x00s1:w"} {
		if a, b := s.share(map[string]any{"a": forged}), s.share(map[string]any{"a": "v", "b": "w"}); sameMap(a, b) {
			t.Errorf("text %q passed for two attributes", forged)
		}
	}
	// Values other than text, numbers and truth values are not shared.
	n1, n2 := map[string]any{"photos": []string{"p1"}}, map[string]any{"photos": []string{"p1"}}
	if s.share(n1); !sameMap(s.share(n2), n2) {
		t.Error("a set with a list was shared")
	}
}

func TestShareTextsKeepsValues(t *testing.T) {
	f := &cunjie.Feature{ID: "f1", Village: "v" + string([]byte("1")), Kind: "bin", CreatedBy: "ann", UpdatedBy: "bob",
		Attrs: map[string]any{"status": "ok"}}
	shareTexts(f)
	if f.Village != "v1" || f.Kind != "bin" || f.CreatedBy != "ann" || f.UpdatedBy != "bob" || f.Attrs["status"] != "ok" {
		t.Errorf("texts changed: %+v", f)
	}
}

// sameMap says whether a and b are one map.
func sameMap(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	a["\x00probe"] = true
	_, ok := b["\x00probe"]
	delete(a, "\x00probe")
	return ok
}
