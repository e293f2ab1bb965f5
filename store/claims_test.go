package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestClaimsAtOnce claims feature ids, with codes, from many goroutines at
// once, each id by two of them: one wins; the other learns from whom, and
// its own claim in the same insert, after the taken one, is made all the
// same. No code is given twice.
func TestClaimsAtOnce(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	var mu sync.Mutex
	codes := map[string]string{} // code → the op that got it
	got := byTwoAtOnce(t, func(w int, id string) string {
		op := fmt.Sprintf("op-%d-%s", w, id)
		taken, cs, err := s.ClaimFeatures(ctx, "360803101201", "201", []string{id, "own-" + op}, []string{op, op})
		if err != nil {
			t.Error(err)
			return ""
		}
		if taken[1] != nil || cs[1] == "" {
			t.Errorf("%s: own id taken by %+v, code %q", op, taken[1], cs[1])
		}
		mu.Lock()
		defer mu.Unlock()
		for k, c := range cs {
			if other, ok := codes[c]; ok && c != "" {
				t.Errorf("code %s given to %s and %s", c, other, []string{id, "own-" + op}[k])
			}
			codes[c] = op
		}
		if taken[0] != nil {
			return "lost to " + taken[0].CreateOp
		}
		return "won " + op
	})
	for id, answers := range got {
		won, lost := "", ""
		for _, a := range answers {
			if op, ok := strings.CutPrefix(a, "won "); ok {
				won = op
			} else {
				lost, _ = strings.CutPrefix(a, "lost to ")
			}
		}
		if len(answers) != 2 || won == "" || lost != won {
			t.Errorf("%s: %v, want one win and the other told of it", id, answers)
		}
	}
}
