package writes

import (
	"context"
	"errors"
	"fmt"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/store"
)

// codeBatch bounds the features given codes in one commit of the
// migration: a log record holds every feature it changes.
const codeBatch = 200

// AssignMissingCodes gives the village's features that have none their
// label codes, as ordinary commits through the backend: memory, the
// snapshots and (on a shared store) the village's log all see them, and a
// new seq sends them to the phones by the changes feed. The version stays,
// so a phone's pending change to the feature does not conflict. Run again
// it finds nothing to do; two instances running it at once give each
// feature one code (the store's code of a feature is kept). It answers how
// many features it changed.
func (w *Writer) AssignMissingCodes(ctx context.Context, village string) (int, error) {
	vi, err := w.index.Village(ctx, village)
	if err != nil {
		return 0, err
	}
	done := 0
	for {
		n, err := w.assignSomeCodes(ctx, village, vi)
		done += n
		if err != nil || n == 0 {
			return done, err
		}
	}
}

// codes gives the features of village in fs that have none their codes,
// or the ones they have (a replayed create claimed before; see
// store.ClaimFeatures).
func (w *Writer) codes(ctx context.Context, village string, fs []*cunjie.Feature) error {
	short := w.prefix(village)
	var need []*cunjie.Feature
	var ids []string
	for _, f := range fs {
		if f.Code == "" && short != "" {
			need, ids = append(need, f), append(ids, f.ID)
		}
	}
	if len(need) == 0 {
		return nil
	}
	got, err := w.st.FeatureCodes(ctx, village, short, ids)
	if err != nil {
		return fmt.Errorf("features of village %s: their codes: %w", village, err)
	}
	for i, f := range need {
		f.Code = got[i]
	}
	return nil
}

// assignSomeCodes commits codes for up to codeBatch features.
func (w *Writer) assignSomeCodes(ctx context.Context, village string, vi *geo.VillageIndex) (int, error) {
	vi.Lock()
	defer vi.Unlock()
	for attempt := 1; ; attempt++ {
		var todo []*cunjie.Feature
		vi.Index.Each(func(it geo.Item) bool {
			if f := it.Value.(*cunjie.Feature); f.Code == "" {
				todo = append(todo, f)
			}
			return len(todo) < codeBatch
		})
		if len(todo) == 0 {
			return 0, nil
		}
		now := w.now().UTC().Truncate(1e6)
		seq := vi.Index.MaxSeq()
		steps := make([]step, len(todo))
		next := make([]*cunjie.Feature, len(todo))
		for i, cur := range todo {
			next[i] = cloneFeature(cur)
		}
		if err := w.codes(ctx, village, next); err != nil {
			return 0, err
		}
		for i, cur := range todo {
			n := next[i]
			if n.Code == "" {
				return 0, errors.New("writes: no code given")
			}
			seq++
			n.Seq = seq
			n.Changes = cur.Changes + 1
			audit := cunjie.AuditEntry{Op: "code:" + cur.ID, Action: "code", By: "system", At: now, Version: n.Version,
				Changes: map[string]cunjie.Change{"code": {From: "", To: n.Code}}}
			steps[i] = step{next: n, base: cur.Version, history: store.HistoryEntry{Feature: cur.ID, Change: cur.Changes, Audit: []cunjie.AuditEntry{audit}}}
		}
		_, err := w.commit(ctx, vi, village, steps)
		if errors.Is(err, errRaced) && attempt < maxAttempts {
			backOff(attempt)
			if err := w.be.catchUp(ctx, village, vi); err != nil {
				return 0, err
			}
			continue
		}
		if err != nil {
			return 0, err
		}
		for _, s := range steps {
			vi.Index.Put(indexItem(s.next))
		}
		return len(steps), nil
	}
}
