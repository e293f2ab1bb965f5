package writes

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/store"
)

// shared is an external store that several instances may write. Each
// village's writes are committed as records of its log (store.CommitLog):
// record n+1 is inserted only by an instance whose index reflects records
// 1..n, and the insert succeeds for one instance only. So a write is
// computed (compare-and-set, duplicates, seqs) against the village as
// committed, or computed again after catching up; seqs rise in commit
// order, which makes the changes feed gap-free: a reader's state is
// always a prefix of the log. This holds whatever the backend makes
// atomic besides a unique insert (FerretDB makes no filtered update
// atomic between processes).
//
// A village's state is its latest snapshot plus the records after it.
// The feature and history documents are materialized from the records
// after each commit, and again by the next snapshot's writer, which
// covers a writer that stopped in between.
type shared struct {
	w *Writer

	mu sync.Mutex
	// base is the log position up to which a village's records are known
	// materialized (a snapshot loaded or written here).
	base map[string]int64
	// own is this instance's latest snapshot of a village, dropped when
	// it writes the next.
	own map[string]int64
	// failed are records whose materialization failed; retried.
	failed retries[*store.LogRecord]
}

func newShared(w *Writer) *shared {
	return &shared{w: w, base: map[string]int64{}, own: map[string]int64{}}
}

// loadAttempts: a load that meets a snapshot dropped under it loads again.
const loadAttempts = 3

func (b *shared) load(ctx context.Context, village string) (fs []*cunjie.Feature, pos int64, err error) {
	for range loadAttempts {
		if fs, pos, err = b.loadOnce(ctx, village); err == nil || ctx.Err() != nil {
			return fs, pos, err
		}
		b.w.log.Info("village load retried", "village", village, "err", err)
	}
	return fs, pos, err
}

func (b *shared) loadOnce(ctx context.Context, village string) ([]*cunjie.Feature, int64, error) {
	st := b.w.st
	pos, fs, ok, err := st.LoadLogSnapshot(ctx, village)
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		// The village's first load on this store: its features as they
		// stand are position 0 of its log. No instance writes before it
		// has loaded, so all who build it meanwhile build the same, and
		// the first one stored is taken.
		base, _, err := st.VillageFeatures(ctx, village)
		if err != nil {
			return nil, 0, err
		}
		if _, err := st.SaveLogSnapshot(ctx, village, 0, base); err != nil {
			return nil, 0, err
		}
		if pos, fs, ok, err = st.LoadLogSnapshot(ctx, village); err != nil {
			return nil, 0, err
		}
		if !ok {
			return nil, 0, fmt.Errorf("village %s: its first snapshot is not found after it was written", village)
		}
	}
	byID := make(map[string]*cunjie.Feature, len(fs))
	for _, f := range fs {
		byID[f.ID] = f
	}
	from := pos
	var tail []*store.LogRecord
	for {
		r, err := st.LogRecord(ctx, village, pos+1)
		if err != nil {
			return nil, 0, err
		}
		if r == nil {
			break
		}
		for _, f := range r.Features {
			byID[f.ID] = f
		}
		pos = r.Pos
		tail = append(tail, r)
	}
	// Records after the latest snapshot may be a stopped writer's, not
	// materialized yet.
	for _, r := range tail {
		b.repair(ctx, r)
	}
	b.mu.Lock()
	b.base[village] = max(b.base[village], from)
	b.mu.Unlock()
	return slices.Collect(maps.Values(byID)), pos, nil
}

func (b *shared) commit(ctx context.Context, vi *geo.VillageIndex, village string, steps []step) ([]bool, error) {
	r := &store.LogRecord{Village: village, Pos: vi.Rev + 1}
	for _, s := range steps {
		r.Features = append(r.Features, s.next)
		if s.base != 0 {
			r.History = append(r.History, s.history)
		}
	}
	if err := b.w.st.CommitLog(ctx, r); errors.Is(err, store.ErrLogTaken) {
		return nil, errRaced
	} else if err != nil {
		// Committed or not, the next write to the village tells: it
		// meets the record or takes its position.
		return nil, err
	}
	vi.Rev, vi.Dirty = r.Pos, true
	b.materialize(ctx, r)
	return nil, nil
}

// materialize writes a committed record's features and history entries;
// what fails is retried.
func (b *shared) materialize(ctx context.Context, r *store.LogRecord) {
	err := b.w.st.MaterializeFeatures(ctx, r.Village, r.Features)
	if err == nil {
		err = b.w.st.InsertHistory(ctx, r.History)
	}
	if err != nil {
		b.w.log.Warn("committed write not materialized; will retry", "village", r.Village, "pos", r.Pos, "err", err)
		b.failed.add(r)
	}
}

// repair materializes a record another instance committed, if it did not.
func (b *shared) repair(ctx context.Context, r *store.LogRecord) {
	if done, err := b.w.st.Materialized(ctx, r); err != nil || !done {
		b.materialize(ctx, r)
	}
}

func (b *shared) retry(ctx context.Context) {
	for _, r := range b.failed.take() {
		b.materialize(ctx, r)
	}
}

// catchUp applies the records committed after vi.Rev; vi is locked.
func (b *shared) catchUp(ctx context.Context, village string, vi *geo.VillageIndex) error {
	for {
		r, err := b.w.st.LogRecord(ctx, village, vi.Rev+1)
		if err != nil || r == nil {
			return err
		}
		b.apply(vi, r)
	}
}

func (b *shared) apply(vi *geo.VillageIndex, r *store.LogRecord) {
	for _, f := range r.Features {
		vi.Index.Put(indexItem(f))
	}
	vi.Rev = r.Pos
}

// snapshot saves the village at log position pos, after materializing
// the records since the last snapshot known here, and drops this
// instance's previous one (never position 0, every loader's fallback).
func (b *shared) snapshot(ctx context.Context, village string, pos int64, fs []*cunjie.Feature) error {
	b.mu.Lock()
	from := b.base[village]
	b.mu.Unlock()
	for p := from + 1; p <= pos; p++ {
		r, err := b.w.st.LogRecord(ctx, village, p)
		if err != nil {
			return err
		}
		if r != nil {
			b.repair(ctx, r)
		}
	}
	if _, err := b.w.st.SaveLogSnapshot(ctx, village, pos, fs); err != nil {
		return err
	}
	b.mu.Lock()
	prev := b.own[village]
	b.own[village] = pos
	b.base[village] = max(b.base[village], pos)
	b.mu.Unlock()
	if prev > 0 && prev < pos {
		if err := b.w.st.DropLogSnapshot(ctx, village, prev); err != nil {
			b.w.log.Warn("old snapshot not dropped", "village", village, "pos", prev, "err", err)
		}
	}
	return nil
}

// A village is saved by the instances that wrote it since their last
// snapshot of it, busy or not (a snapshot is where a load's read of the
// log starts, and a busy log grows fastest); two saving one position
// store it once.
func (b *shared) wantsSnapshot(vi *geo.VillageIndex, current, _ bool) bool {
	return vi.Dirty && !current
}
