package writes

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unique"

	"github.com/cunjie/cunjie"
)

// shareTexts makes what many features repeat (village, kind, authors,
// and small sets of attributes such as a bin's capacity and
// status) point at one copy each, as f goes into a village's index for as
// long as the village is in memory (indexItem). Each decode of a request
// or of the store makes its own copies otherwise (BenchmarkFeatureMemory).
// f is the caller's until it is published; a feature's attributes are
// never changed in place once it is (a write makes a new map), so
// features may share them.
func shareTexts(f *cunjie.Feature) {
	f.Village = share(f.Village)
	f.Kind = cunjie.Kind(share(string(f.Kind)))
	f.CreatedBy, f.UpdatedBy = share(f.CreatedBy), share(f.UpdatedBy)
	f.Attrs = commonAttrs.share(f.Attrs)
}

// share is the canonical copy of s.
func share(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}

// attrSets keeps one copy of each small set of plain attributes seen,
// up to a bound (the sets are kept for as long as the process runs).
type attrSets struct {
	mu sync.Mutex
	m  map[string]map[string]any
}

var commonAttrs attrSets

const (
	maxSharedAttrs    = 4 // attributes in a set that is shared
	maxAttrSetsShared = 4096
)

// share answers the kept set equal to a, keeping a if there is none yet.
func (s *attrSets) share(a map[string]any) map[string]any {
	key, ok := attrsKey(a)
	if !ok {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if kept, ok := s.m[key]; ok {
		return kept
	}
	if s.m == nil {
		s.m = map[string]map[string]any{}
	}
	if len(s.m) < maxAttrSetsShared {
		s.m[key] = a
	}
	return a
}

// attrsKey is a's content as text, equal only for equal sets (names hold
// no NUL: they are the kinds' table's, and BSON's keys cannot); false for
// a set too large, or with a value other than text, a number or a truth
// value, to be worth sharing.
func attrsKey(a map[string]any) (string, bool) {
	if len(a) == 0 || len(a) > maxSharedAttrs {
		return "", false
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(a)) {
		b.WriteString(k)
		switch v := a[k].(type) {
		case string: // with its length: no text can pass for more attributes
			b.WriteString("\x00s")
			b.WriteString(strconv.Itoa(len(v)))
			b.WriteByte(':')
			b.WriteString(v)
		case float64:
			b.WriteString("\x00f")
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		case int64:
			b.WriteString("\x00i")
			b.WriteString(strconv.FormatInt(v, 10))
		case bool:
			b.WriteString("\x00b")
			b.WriteString(strconv.FormatBool(v))
		default:
			return "", false
		}
		b.WriteByte(0)
	}
	return b.String(), true
}
