package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestClaimsAtOnce claims feature ids from many goroutines at once, each
// id by several of them: claims made while another is being sent go
// together in one command, and each caller must still learn which of its
// ids another took, and from whom.
func TestClaimsAtOnce(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	const workers, ids = 8, 30
	var mu sync.Mutex
	won := map[string][]string{}  // id → the ops that claimed it
	lost := map[string][]string{} // id → the ops that found it taken, with the taker's op
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				// Each id is claimed by workers w and w+1 (mod 8): one wins.
				if i%workers != w && (i+1)%workers != w {
					continue
				}
				id, op := fmt.Sprintf("f-%02d", i), fmt.Sprintf("op-%d-%02d", w, i)
				taken, err := s.ClaimFeatureIDs(ctx, []string{id, "own-" + op}, []string{"v", "v"}, []string{op, op})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if taken[0] == nil {
					won[id] = append(won[id], op)
				} else {
					lost[id] = append(lost[id], taken[0].CreateOp)
				}
				if taken[1] != nil {
					t.Errorf("%s: own id taken by %s", op, taken[1].CreateOp)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i := range ids {
		id := fmt.Sprintf("f-%02d", i)
		if len(won[id]) != 1 || len(lost[id]) != 1 || lost[id][0] != won[id][0] {
			t.Errorf("%s: won by %v, found taken by %v", id, won[id], lost[id])
		}
	}
}
