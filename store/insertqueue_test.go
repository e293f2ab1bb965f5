package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestInsertQueueAtOnce inserts from many goroutines at once, some ids by
// two of them: inserts made while another is being sent go together in
// one command, and each caller must still learn which of its documents
// were duplicates, and only those.
func TestInsertQueueAtOnce(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	got := byTwoAtOnce(t, func(w int, id string) string {
		dups, err := s.QueueInsert(ctx, "queue_test", []any{bson.M{"_id": fmt.Sprintf("own-%d-%s", w, id)}, bson.M{"_id": id}})
		if err != nil {
			t.Error(err)
			return ""
		}
		if slices.Contains(dups, 0) {
			t.Errorf("worker %d: its own document reported a duplicate", w)
		}
		if slices.Contains(dups, 1) {
			return "there"
		}
		return "inserted"
	})
	for id, answers := range got {
		slices.Sort(answers)
		if !slices.Equal(answers, []string{"inserted", "there"}) {
			t.Errorf("%s: %v, want inserted once and found there once", id, answers)
		}
	}
}

// byTwoAtOnce calls try from 8 goroutines at once on 30 ids, each id by
// two of them (workers w and w+1, mod 8), and answers what the calls of
// each id answered.
func byTwoAtOnce(t *testing.T, try func(w int, id string) string) map[string][]string {
	t.Helper()
	const workers, ids = 8, 30
	var mu sync.Mutex
	got := map[string][]string{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				if i%workers != w && (i+1)%workers != w {
					continue
				}
				id := fmt.Sprintf("f-%02d", i)
				a := try(w, id)
				mu.Lock()
				got[id] = append(got[id], a)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return got
}
