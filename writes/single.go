package writes

import (
	"context"
	"errors"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/store"
)

// errRaced says another instance committed to the village first. A write
// that loses maxAttempts times answers it: a busy village, a result the
// phone sends again shortly (it is nothing the person must correct).
var errRaced = cunjie.Errorf(cunjie.EBUSY, "other writes to the village came first; send again shortly")

// single is the embedded store: one process (the data directory is
// locked), so a village's lock orders its writes, and the index in memory
// is the truth the store follows. Seqs come from the index, which holds
// every feature's latest seq (a seq of a write that failed was never seen,
// and may be handed out again). The village's revision tells a current
// snapshot from a stale one; it moves at the first write after a load or a
// snapshot (Dirty) rather than at every write, which saves two store
// commands of each write's three or four.
type single struct {
	w *Writer

	// failed are history entries whose write failed after their feature
	// was stored; retried until they are written.
	failed retries[store.HistoryEntry]
}

func (b *single) load(ctx context.Context, village string) ([]*cunjie.Feature, int64, error) {
	st := b.w.st
	rev, err := st.VillageRev(ctx, village)
	if err != nil {
		return nil, 0, err
	}
	fs, ok, err := st.LoadSnapshot(ctx, village, rev)
	if err != nil {
		b.w.log.Warn("snapshot unreadable; reading features", "village", village, "err", err)
	}
	if ok {
		b.w.snaps.set(village, rev)
		return fs, rev, nil
	}
	return st.VillageFeatures(ctx, village)
}

func (b *single) commit(ctx context.Context, vi *geo.VillageIndex, village string, steps []step) ([]bool, error) {
	existed, err := b.store(ctx, vi, village, steps)
	if err != nil {
		// The store may hold part of the write: memory is reloaded.
		b.w.index.Invalidate(village)
	}
	return existed, err
}

func (b *single) store(ctx context.Context, vi *geo.VillageIndex, village string, steps []step) ([]bool, error) {
	st := b.w.st
	if !vi.Dirty {
		rev, err := st.BumpRev(ctx, village)
		if err != nil {
			return nil, err
		}
		vi.Rev, vi.Dirty = rev, true
	}
	var creates []*cunjie.Feature
	for _, s := range steps {
		if s.base == 0 {
			creates = append(creates, s.next)
		}
	}
	if len(creates) > 0 {
		if len(creates) != len(steps) {
			return nil, errors.New("writes: creates and changes in one commit")
		}
		return st.InsertFeatures(ctx, village, creates)
	}
	// The histories of the changes stored go in one insert after them
	// (a sync's events to one village are one commit).
	var done []store.HistoryEntry
	defer func() { b.writeHistory(ctx, done) }()
	for _, s := range steps {
		if err := st.ReplaceFeature(ctx, s.next, s.base); err != nil {
			return nil, err
		}
		done = append(done, s.history)
	}
	return nil, nil
}

// writeHistory appends changes' histories; a failure is kept and retried
// (the features, stored, say the ops were applied).
func (b *single) writeHistory(ctx context.Context, hs []store.HistoryEntry) {
	if len(hs) == 0 {
		return
	}
	if err := b.w.st.InsertHistory(ctx, hs); err != nil {
		b.w.log.Warn("history not written; will retry", "feature", hs[0].Feature, "changes", len(hs), "err", err)
		b.failed.add(hs...)
	}
}

func (b *single) retry(ctx context.Context) {
	b.writeHistory(ctx, b.failed.take())
}

func (b *single) catchUp(context.Context, string, *geo.VillageIndex) error { return nil }

func (b *single) snapshot(ctx context.Context, village string, rev int64, fs []*cunjie.Feature) error {
	return b.w.st.SaveSnapshot(ctx, village, rev, fs)
}

// A village is saved when its snapshot is not at its revision (after a
// write, and after a load from its features) and it is not busy: the
// next write would make the snapshot stale again.
func (b *single) wantsSnapshot(_ *geo.VillageIndex, current, busy bool) bool {
	return !current && !busy
}
