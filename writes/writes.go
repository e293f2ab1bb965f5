// Package writes is Cunjie's write protocol, apart from HTTP: ops come in,
// one Outcome per op goes out, each op applied exactly once. It owns the
// villages' features in memory (package geo's cache), which every read is
// served from, and keeps them and the store in step.
//
// Writes to a village are ordered by the village's lock. What orders them
// between processes depends on the store (see backend): the embedded store
// has one process (its data directory is locked), so the lock is enough;
// several instances on one external store commit each village's writes
// through a log of which each position is taken once (shared.go).
package writes

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/store"
)

// Results of an op.
const (
	Applied   = "applied"
	Duplicate = "duplicate" // applied before: answered as it was stored
	Conflict  = "conflict"  // the server's copy moved on; Err carries it
	Rejected  = "rejected"  // not applied: Err says why
)

// Outcome is what became of one op: of a feature's create, change or
// event, or of an inspection. Object is what is stored (the server's copy
// on a conflict).
type Outcome[T any] struct {
	Result string
	Object T
	Err    error
}

// FeatureOutcome is the outcome of an op on a feature.
type FeatureOutcome = Outcome[*cunjie.Feature]

// Rejection is the outcome of an op refused for err.
func Rejection[T any](err error) Outcome[T] { return Outcome[T]{Result: Rejected, Err: err} }

// Conflicted is the outcome of an op whose object moved on; the error
// carries the server's copy.
func Conflicted[T any](cur T, format string, args ...any) Outcome[T] {
	e := cunjie.Errorf(cunjie.ECONFLICT, format, args...)
	e.Current = cur
	return Outcome[T]{Result: Conflict, Object: cur, Err: e}
}

// Options configure a Writer.
type Options struct {
	Store *store.Store
	Log   *slog.Logger
	Now   func() time.Time
	// MaxVillages bounds the villages held in memory.
	MaxVillages int
	// SnapshotEvery is how often one changed village is saved as a
	// snapshot; 0 means DefaultSnapshotEvery.
	SnapshotEvery time.Duration
	// Prepare runs on features about to be stored, under their village's
	// lock (the api sets their pending-photo flags).
	Prepare func(ctx context.Context, u *cunjie.User, fs []*cunjie.Feature)
	// CodePrefix is a village's part of its features' label codes (the
	// api derives it from the villages' codes). Nil, or an empty prefix,
	// leaves codes empty.
	CodePrefix func(village string) string
}

// DefaultSnapshotEvery is how often one changed village is written as a
// snapshot. One at a time, the oldest first: writing every changed
// village at once (a 2,000-feature village takes ~70 ms, and the store
// is busy meanwhile) made the soak's latency jump every few seconds and
// cost a third of the server's CPU.
const DefaultSnapshotEvery = 10 * time.Second

// Writer applies ops. It is safe for concurrent use.
type Writer struct {
	st      *store.Store
	log     *slog.Logger
	now     func() time.Time
	index   *geo.Cache
	be      backend
	prepare func(ctx context.Context, u *cunjie.User, fs []*cunjie.Feature)
	prefix  func(village string) string
	snaps   snapshots
	queued  createQueues
}

// backend is what differs between one process and several on one store.
type backend interface {
	// load reads a village's features and the revision they reflect.
	load(ctx context.Context, village string) ([]*cunjie.Feature, int64, error)
	// commit stores steps as one write to the village, whose lock the
	// caller holds and whose index the steps were computed on; seqs are
	// set. errRaced means another instance wrote first: catch up and
	// compute again. existed marks creates found stored already.
	commit(ctx context.Context, vi *geo.VillageIndex, village string, steps []step) (existed []bool, err error)
	// catchUp brings a locked village's index up to what is committed.
	catchUp(ctx context.Context, village string, vi *geo.VillageIndex) error
	// snapshot saves fs, the village's state at rev.
	snapshot(ctx context.Context, village string, rev int64, fs []*cunjie.Feature) error
	// retry writes again what failed to be written after a commit.
	retry(ctx context.Context)
	// wantsSnapshot says whether a village should be saved now; current
	// says its last snapshot is at vi.Rev, busy that it is being written
	// to and was saved lately. vi is locked.
	wantsSnapshot(vi *geo.VillageIndex, current, busy bool) bool
}

// step is one feature's part of a write.
type step struct {
	next    *cunjie.Feature
	base    int64 // the version changed; 0 for a create
	history store.HistoryEntry
}

// New starts a Writer; Close stops it.
func New(o Options) *Writer {
	w := &Writer{st: o.Store, log: cmp.Or(o.Log, slog.Default()), now: o.Now, prepare: o.Prepare, prefix: o.CodePrefix,
		snaps: snapshots{rev: map[string]int64{}, at: map[string]time.Time{}, lastWrite: map[string]time.Time{},
			every: cmp.Or(o.SnapshotEvery, DefaultSnapshotEvery)}}
	if w.now == nil {
		w.now = time.Now
	}
	if w.prepare == nil {
		w.prepare = func(context.Context, *cunjie.User, []*cunjie.Feature) {}
	}
	if w.prefix == nil {
		w.prefix = func(string) string { return "" }
	}
	copts := geo.CacheOptions{MaxVillages: o.MaxVillages}
	rev := w.st.VillageRev
	if o.Store.Embedded() {
		w.be = &single{w: w}
		// Only this process writes the embedded store (its data directory
		// is locked), and only through this Writer: memory is the truth
		// until a failed write invalidates it. Asking for revisions only
		// queued reads for the store's connections ahead of commits.
		rev = nil
	} else {
		sh := newShared(w)
		w.be = sh
		copts.CatchUp = func(ctx context.Context, village string, vi *geo.VillageIndex) error {
			vi.Lock()
			defer vi.Unlock()
			return sh.catchUp(ctx, village, vi)
		}
	}
	w.index = geo.NewCache(w.loadIndex, rev, copts)
	return w
}

func (w *Writer) loadIndex(ctx context.Context, village string) ([]geo.Item, int64, error) {
	fs, rev, err := w.be.load(ctx, village)
	if err != nil {
		return nil, 0, err
	}
	items := make([]geo.Item, len(fs))
	for i, f := range fs {
		items[i] = indexItem(f)
	}
	return items, rev, nil
}

// Village returns a village's features in memory, loading them on first
// use. The caller takes RLock to read; writes go through the Writer.
func (w *Writer) Village(ctx context.Context, code string) (*geo.VillageIndex, error) {
	return w.index.Village(ctx, code)
}

// Current is Village brought up to every write committed by any
// instance, for readers who must not miss one (the changes feed).
func (w *Writer) Current(ctx context.Context, code string) (*geo.VillageIndex, error) {
	vi, err := w.index.Village(ctx, code)
	if err != nil {
		return nil, err
	}
	if _, ok := w.be.(*shared); ok {
		vi.Lock()
		err = w.be.catchUp(ctx, code, vi)
		vi.Unlock()
	}
	return vi, err
}

// Feature reads a feature from its village's index. Returns ENOTFOUND.
func (w *Writer) Feature(ctx context.Context, village, id string) (*cunjie.Feature, error) {
	vi, err := w.index.Village(ctx, village)
	if err != nil {
		return nil, err
	}
	vi.RLock()
	it, ok := vi.Index.Get(id)
	vi.RUnlock()
	if !ok {
		return nil, cunjie.Errorf(cunjie.ENOTFOUND, "feature %s not found", id)
	}
	return it.Value.(*cunjie.Feature), nil
}

// Stats are the in-memory figures, for metrics.
func (w *Writer) Stats() geo.CacheStats { return w.index.Stats() }

// Loaded lists the villages in memory.
func (w *Writer) Loaded() []string { return w.index.Loaded() }

// Run saves snapshots and retries failed writes until ctx ends.
func (w *Writer) Run(ctx context.Context) {
	t := time.NewTicker(w.snaps.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.be.retry(ctx)
			w.saveSnapshots(ctx, 1)
		}
	}
}

// Close saves the snapshots of changed villages within ctx.
func (w *Writer) Close(ctx context.Context) {
	w.be.retry(ctx)
	w.saveSnapshots(ctx, 0)
}

// commit is the backend's commit, noting when the village was written.
func (w *Writer) commit(ctx context.Context, vi *geo.VillageIndex, village string, steps []step) ([]bool, error) {
	existed, err := w.be.commit(ctx, vi, village, steps)
	if err == nil {
		w.snaps.wrote(village)
	}
	return existed, err
}

// snapshots remembers the rev and the time of each village's last
// snapshot, so only changed villages are written again, oldest first,
// and when each was last written to.
type snapshots struct {
	mu        sync.Mutex
	rev       map[string]int64
	at        map[string]time.Time
	lastWrite map[string]time.Time
	every     time.Duration
}

// snapshotAge is how many snapshot intervals a village being written to
// all the while goes without one (see busy).
const snapshotAge = 30

func (sn *snapshots) wrote(village string) {
	sn.mu.Lock()
	sn.lastWrite[village] = time.Now()
	sn.mu.Unlock()
}

// busy says a village was written to within the last interval and saved
// within the last snapshotAge intervals. On the embedded store a busy
// village's snapshot is stale by the next write, so saving it is wasted:
// a 15,000-feature village is megabytes, and rewriting it every 10 s
// halved the write rate and set the tail (BenchmarkSingleWrites).
func (sn *snapshots) busy(village string, now time.Time) bool {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	return now.Sub(sn.lastWrite[village]) < sn.every && now.Sub(sn.at[village]) < snapshotAge*sn.every
}

func (sn *snapshots) saved(village string) (int64, bool) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	r, ok := sn.rev[village]
	return r, ok
}

func (sn *snapshots) savedAt(village string) time.Time {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	return sn.at[village]
}

func (sn *snapshots) set(village string, rev int64) {
	sn.mu.Lock()
	sn.rev[village] = rev
	sn.at[village] = time.Now()
	sn.mu.Unlock()
}

// saveSnapshots writes up to limit (0: all, busy or not) of the villages
// in memory that this instance changed since their last snapshot, the
// oldest snapshot first.
func (w *Writer) saveSnapshots(ctx context.Context, limit int) {
	codes := w.index.Loaded()
	slices.SortStableFunc(codes, func(a, b string) int { return w.snaps.savedAt(a).Compare(w.snaps.savedAt(b)) })
	written := 0
	for _, code := range codes {
		if ctx.Err() != nil || limit > 0 && written >= limit {
			return
		}
		vi, err := w.index.Village(ctx, code)
		if err != nil {
			continue
		}
		// Lock, not RLock: the capture and clearing Dirty must fall
		// between two writes. Copying the pointers is quick.
		vi.Lock()
		rev := vi.Rev
		last, ok := w.snaps.saved(code)
		busy := limit > 0 && w.snaps.busy(code, time.Now())
		if !w.be.wantsSnapshot(vi, ok && last == rev, busy) {
			vi.Unlock()
			continue
		}
		fs := make([]*cunjie.Feature, 0, vi.Index.Len())
		vi.Index.Each(func(it geo.Item) bool {
			fs = append(fs, it.Value.(*cunjie.Feature))
			return true
		})
		vi.Dirty = false
		vi.Unlock()
		if err := w.be.snapshot(ctx, code, rev, fs); err != nil {
			if ctx.Err() == nil {
				w.log.Warn("snapshot not written", "village", code, "err", err)
			}
			vi.Lock()
			vi.Dirty = true
			vi.Unlock()
			continue
		}
		w.snaps.set(code, rev)
		written++
	}
}

// retries hold writes that failed after their commit, to be done again.
type retries[T any] struct {
	mu    sync.Mutex
	items []T
}

func (r *retries[T]) add(xs ...T) {
	r.mu.Lock()
	r.items = append(r.items, xs...)
	r.mu.Unlock()
}

// take empties the list and returns what it held.
func (r *retries[T]) take() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	items := r.items
	r.items = nil
	return items
}

// indexItem is f as a village's index holds it, sharing the texts it
// repeats with the features there (see shareTexts): f is published by it.
func indexItem(f *cunjie.Feature) geo.Item {
	shareTexts(f)
	return featureItem(f)
}

// featureItem is f as an index holds it (a commit's own index of new
// features, which lives no longer than the commit, takes it as it is).
func featureItem(f *cunjie.Feature) geo.Item {
	return geo.Item{ID: f.ID, Point: orb.Point{f.Location.Lon, f.Location.Lat}, Kind: string(f.Kind), Seq: f.Seq, Value: f}
}

// NearDuplicate names a feature of the same kind within a few metres.
func NearDuplicate(x *geo.Index, f *cunjie.Feature) string {
	hits := x.Nearest(orb.Point{f.Location.Lon, f.Location.Lat}, 1, cunjie.DuplicateRadiusM, func(it geo.Item) bool {
		o := it.Value.(*cunjie.Feature)
		return it.ID != f.ID && o.Kind == f.Kind && !o.Deleted
	})
	if len(hits) == 0 {
		return ""
	}
	return hits[0].ID
}
