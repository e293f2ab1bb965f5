package geo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// fakeVillageStore stands for the database: items and a revision per
// village, and counts of the reads the cache makes.
type fakeVillageStore struct {
	mu       sync.Mutex
	items    map[string][]Item
	revs     map[string]int64
	loads    map[string]int
	revReads int
	// loadHook, if set, runs inside each load (without mu) before it reads.
	loadHook func(ctx context.Context, village string, call int) error
	// revHook, if set, runs inside each revision read (without mu).
	revHook func()
}

func newFakeVillageStore() *fakeVillageStore {
	return &fakeVillageStore{items: map[string][]Item{}, revs: map[string]int64{}, loads: map[string]int{}}
}

// write stores it in village as another server instance would: the revision
// goes up by one. It returns the new revision.
func (s *fakeVillageStore) write(village string, it Item) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revs[village]++
	it.Seq = s.revs[village]
	items := slices.DeleteFunc(s.items[village], func(old Item) bool { return old.ID == it.ID })
	s.items[village] = append(items, it)
	return s.revs[village]
}

func (s *fakeVillageStore) load(ctx context.Context, village string) ([]Item, int64, error) {
	s.mu.Lock()
	s.loads[village]++
	call := s.loads[village]
	hook := s.loadHook
	s.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, village, call); err != nil {
			return nil, 0, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.items[village]), s.revs[village], nil
}

func (s *fakeVillageStore) rev(ctx context.Context, village string) (int64, error) {
	s.mu.Lock()
	s.revReads++
	hook := s.revHook
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revs[village], nil
}

func (s *fakeVillageStore) loadCount(village string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads[village]
}

func (s *fakeVillageStore) revReadCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revReads
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestCache(s *fakeVillageStore, o CacheOptions) (*Cache, *fakeClock) {
	c := NewCache(s.load, s.rev, o)
	clock := &fakeClock{t: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)}
	c.now = clock.now
	return c, clock
}

func mustVillage(t *testing.T, c *Cache, village string) *VillageIndex {
	t.Helper()
	vi, err := c.Village(context.Background(), village)
	if err != nil {
		t.Fatalf("Village(%s): %v", village, err)
	}
	return vi
}

func testItem(id string) Item {
	return Item{ID: id, Point: orb.Point{114.9, 27.1}, Kind: "toilet"}
}

func TestCacheLoadsOnceForConcurrentCallers(t *testing.T) {
	s := newFakeVillageStore()
	s.write("v1", testItem("a"))
	s.write("v1", testItem("b"))
	started := make(chan struct{})
	release := make(chan struct{})
	s.loadHook = func(ctx context.Context, village string, call int) error {
		if call == 1 {
			close(started)
		}
		<-release
		return nil
	}
	c, _ := newTestCache(s, CacheOptions{Revalidate: -1})

	const callers = 16
	vis := make([]*VillageIndex, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { vis[i], errs[i] = c.Village(context.Background(), "v1") })
	}
	<-started
	time.Sleep(50 * time.Millisecond) // let the others arrive while the load is held
	close(release)
	wg.Wait()

	for i := range callers {
		if errs[i] != nil || vis[i] != vis[0] {
			t.Fatalf("caller %d got %p, %v; caller 0 got %p", i, vis[i], errs[i], vis[0])
		}
	}
	if n := s.loadCount("v1"); n != 1 {
		t.Fatalf("%d loads for %d concurrent callers, want 1", n, callers)
	}
	vis[0].RLock()
	defer vis[0].RUnlock()
	if vis[0].Index.Len() != 2 || vis[0].Rev != 2 {
		t.Fatalf("loaded %d items at rev %d, want 2 at rev 2", vis[0].Index.Len(), vis[0].Rev)
	}
	if st := c.Stats(); st.Misses != 1 || st.Villages != 1 || st.Items != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	s := newFakeVillageStore()
	for _, v := range []string{"a", "b", "c", "d"} {
		s.write(v, testItem(v+"1"))
	}
	c, _ := newTestCache(s, CacheOptions{MaxVillages: 3, Revalidate: time.Hour})
	for _, v := range []string{"a", "b", "c", "a", "d"} {
		mustVillage(t, c, v)
	}
	if got, want := c.Loaded(), []string{"d", "a", "c"}; !slices.Equal(got, want) {
		t.Fatalf("loaded %v, want %v (b least recently used)", got, want)
	}
	mustVillage(t, c, "b") // back, in place of c
	if got, want := c.Loaded(), []string{"b", "d", "a"}; !slices.Equal(got, want) {
		t.Fatalf("loaded %v, want %v", got, want)
	}
	if s.loadCount("b") != 2 || s.loadCount("a") != 1 || s.loadCount("c") != 1 {
		t.Fatalf("loads %v", s.loads)
	}
	if st := c.Stats(); st.Villages != 3 || st.Misses != 5 || st.Hits != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCacheKeepsLockedVillages(t *testing.T) {
	s := newFakeVillageStore()
	for _, v := range []string{"a", "b", "c", "d"} {
		s.write(v, testItem(v+"1"))
	}
	c, _ := newTestCache(s, CacheOptions{MaxVillages: 2, Revalidate: time.Hour})
	a := mustVillage(t, c, "a")
	a.Lock() // a writer between its store write and its index update
	mustVillage(t, c, "b")
	mustVillage(t, c, "c") // a is least recently used but locked: b goes
	if got, want := c.Loaded(), []string{"c", "a"}; !slices.Equal(got, want) {
		t.Fatalf("loaded %v, want %v", got, want)
	}
	c2 := mustVillage(t, c, "c")
	c2.RLock() // a reader holds c too: nothing can go, the bound is exceeded
	mustVillage(t, c, "d")
	if got, want := c.Loaded(), []string{"d", "c", "a"}; !slices.Equal(got, want) {
		t.Fatalf("loaded %v, want %v", got, want)
	}
	if mustVillage(t, c, "a") != a {
		t.Fatalf("the locked village was replaced")
	}
	a.Unlock()
	c2.RUnlock()
	mustVillage(t, c, "b") // now the two least recently used go: c, then d
	if got, want := c.Loaded(), []string{"b", "a"}; !slices.Equal(got, want) {
		t.Fatalf("loaded %v, want %v", got, want)
	}
}

func TestCacheReloadsWhenStoreIsAhead(t *testing.T) {
	s := newFakeVillageStore()
	s.write("v", testItem("a"))
	c, _ := newTestCache(s, CacheOptions{Revalidate: -1})
	vi := mustVillage(t, c, "v")

	moved := testItem("a")
	moved.Point = orb.Point{114.91, 27.1}
	s.write("v", moved) // another instance writes
	s.write("v", testItem("b"))

	if got := mustVillage(t, c, "v"); got != vi {
		t.Fatalf("reload replaced the VillageIndex; writers holding it would miss the new index")
	}
	vi.RLock()
	a, _ := vi.Index.Get("a")
	_, hasB := vi.Index.Get("b")
	rev := vi.Rev
	vi.RUnlock()
	if rev != 3 || !hasB || a.Point != moved.Point {
		t.Fatalf("after reload: rev %d, b present %v, a at %v", rev, hasB, a.Point)
	}
	if st := c.Stats(); st.Reloads != 1 || st.Misses != 1 || s.loadCount("v") != 2 {
		t.Fatalf("stats %+v, %d loads", st, s.loadCount("v"))
	}
	// Nothing new: no reload.
	mustVillage(t, c, "v")
	if s.loadCount("v") != 2 {
		t.Fatalf("reloaded without a change")
	}
}

func TestCacheOwnWritesDoNotReload(t *testing.T) {
	s := newFakeVillageStore()
	s.write("v", testItem("a"))
	c, _ := newTestCache(s, CacheOptions{Revalidate: -1})
	for i := range 5 {
		vi := mustVillage(t, c, "v")
		vi.Lock()
		it := testItem(fmt.Sprint("w", i))
		rev := s.write("v", it)
		if rev != vi.Rev+1 {
			t.Fatalf("store went from %d to %d", vi.Rev, rev)
		}
		it.Seq = rev
		vi.Index.Put(it)
		vi.Rev = rev
		vi.Unlock()
	}
	vi := mustVillage(t, c, "v")
	if n := s.loadCount("v"); n != 1 {
		t.Fatalf("%d loads: the writer's own writes caused reloads", n)
	}
	vi.RLock()
	defer vi.RUnlock()
	if vi.Index.Len() != 6 || vi.Rev != 6 || vi.Index.MaxSeq() != 6 {
		t.Fatalf("index has %d items, rev %d, max seq %d", vi.Index.Len(), vi.Rev, vi.Index.MaxSeq())
	}
	if st := c.Stats(); st.Reloads != 0 || st.Hits != 5 {
		t.Fatalf("stats %+v", st)
	}
}

// TestCacheRevalidatesOnce: callers that come while the revision is being
// asked for take the village as it is, rather than each asking again (a
// slow store had them queue by the dozen).
func TestCacheRevalidatesOnce(t *testing.T) {
	s := newFakeVillageStore()
	s.write("v", testItem("a"))
	c, clock := newTestCache(s, CacheOptions{Revalidate: time.Second})
	mustVillage(t, c, "v")
	clock.advance(2 * time.Second)
	asking, release := make(chan struct{}), make(chan struct{})
	var reads atomic.Int32
	s.mu.Lock()
	s.revHook = func() { // the first read waits to be released
		if reads.Add(1) == 1 {
			close(asking)
			<-release
		}
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		mustVillage(t, c, "v")
		close(done)
	}()
	<-asking
	for range 10 {
		mustVillage(t, c, "v") // returns at once: the check is in progress
	}
	close(release)
	<-done
	if n := s.revReadCount(); n != 1 {
		t.Fatalf("%d revision reads, want 1", n)
	}
	clock.advance(2 * time.Second)
	mustVillage(t, c, "v")
	if n := s.revReadCount(); n != 2 {
		t.Fatalf("after the trust ran out again: %d revision reads, want 2", n)
	}
}

// TestCacheWithoutRevFunc: with no RevFunc (a store only this process
// writes) a loaded village is never checked against the store, however
// long ago it was loaded, and only Invalidate has it read again.
func TestCacheWithoutRevFunc(t *testing.T) {
	s := newFakeVillageStore()
	s.write("v", testItem("a"))
	c := NewCache(s.load, nil, CacheOptions{Revalidate: -1})
	mustVillage(t, c, "v")
	s.write("v", testItem("b")) // not through this process: not seen
	for range 3 {
		if vi := mustVillage(t, c, "v"); vi.Index.Len() != 1 {
			t.Fatalf("%d items, want the 1 loaded", vi.Index.Len())
		}
	}
	if n := s.loadCount("v"); n != 1 {
		t.Fatalf("%d loads, want 1", n)
	}
	c.Invalidate("v")
	if vi := mustVillage(t, c, "v"); vi.Index.Len() != 2 {
		t.Fatalf("after Invalidate: %d items, want 2", vi.Index.Len())
	}
	if st := c.Stats(); st.Hits != 3 || st.Misses != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCacheRevalidateTTL(t *testing.T) {
	s := newFakeVillageStore()
	s.write("v", testItem("a"))
	c, clock := newTestCache(s, CacheOptions{Revalidate: time.Second})
	rev := func() int64 {
		vi := mustVillage(t, c, "v")
		vi.RLock()
		defer vi.RUnlock()
		return vi.Rev
	}
	steps := []struct {
		advance   time.Duration
		write     bool // another instance writes first
		revReads  int
		wantRev   int64
		wantLoads int
	}{
		{0, false, 0, 1, 1},                      // the load itself reads the revision
		{999 * time.Millisecond, true, 0, 1, 1},  // trusted: the other write is not seen yet
		{time.Millisecond, false, 1, 2, 2},       // 1s after the load: asked, and reloaded
		{500 * time.Millisecond, false, 1, 2, 2}, // the reload's revision is trusted
		{500 * time.Millisecond, false, 2, 2, 2}, // asked again, nothing new
		{999 * time.Millisecond, false, 2, 2, 2}, // trusted from that check
		{time.Millisecond, false, 3, 2, 2},       // asked
		{10 * time.Second, true, 4, 3, 3},        // long idle: asked, reloaded
		{0, true, 4, 3, 3},                       // just reloaded: trusted
		{time.Second + time.Nanosecond, false, 5, 4, 4},
	}
	for i, st := range steps {
		clock.advance(st.advance)
		if st.write {
			s.write("v", testItem(fmt.Sprint("x", i)))
		}
		got := rev()
		if got != st.wantRev || s.revReadCount() != st.revReads || s.loadCount("v") != st.wantLoads {
			t.Fatalf("step %d: rev %d, %d revision reads, %d loads; want %d, %d, %d",
				i, got, s.revReadCount(), s.loadCount("v"), st.wantRev, st.revReads, st.wantLoads)
		}
	}
}

func TestCacheOptionDefaults(t *testing.T) {
	s := newFakeVillageStore()
	c := NewCache(s.load, s.rev, CacheOptions{})
	if c.max != 64 || c.ttl != time.Second {
		t.Fatalf("defaults: %d villages, revalidate %v", c.max, c.ttl)
	}
	// Negative: always ask.
	c, _ = newTestCache(s, CacheOptions{Revalidate: -1})
	for range 3 {
		mustVillage(t, c, "v")
	}
	if n := s.revReadCount(); n != 2 {
		t.Fatalf("%d revision reads for two calls after the load, want 2", n)
	}
}

func TestCacheLoadErrorIsNotKept(t *testing.T) {
	s := newFakeVillageStore()
	s.write("v", testItem("a"))
	boom := errors.New("store down")
	s.loadHook = func(ctx context.Context, village string, call int) error {
		if call == 1 {
			return boom
		}
		return nil
	}
	c, _ := newTestCache(s, CacheOptions{Revalidate: -1})
	if _, err := c.Village(context.Background(), "v"); !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
	if got := c.Loaded(); len(got) != 0 {
		t.Fatalf("a failed load left %v", got)
	}
	vi := mustVillage(t, c, "v")
	if vi.Index.Len() != 1 || s.loadCount("v") != 2 {
		t.Fatalf("retry: %d items, %d loads", vi.Index.Len(), s.loadCount("v"))
	}
	if st := c.Stats(); st.Misses != 1 || st.Reloads != 0 {
		t.Fatalf("stats %+v: the retry should be a first load", st)
	}

	// A village with nothing written yet is at revision 0, like a fresh
	// VillageIndex: a failed load must not leave that behind as loaded.
	if _, err := c.Village(context.Background(), "new"); !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
	if vi := mustVillage(t, c, "new"); vi.Index == nil || vi.Index.Len() != 0 {
		t.Fatalf("after a failed load, got index %v", vi.Index)
	}
}

// A caller whose context ends abandons the load it started; callers waiting
// on it load again with their own context instead of failing.
func TestCacheWaiterOutlivesLoadersContext(t *testing.T) {
	s := newFakeVillageStore()
	s.write("v", testItem("a"))
	started := make(chan struct{})
	s.loadHook = func(ctx context.Context, village string, call int) error {
		if call == 1 {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	c, _ := newTestCache(s, CacheOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error)
	go func() {
		_, err := c.Village(ctx, "v")
		firstErr <- err
	}()
	<-started
	type result struct {
		vi  *VillageIndex
		err error
	}
	second := make(chan result)
	go func() {
		vi, err := c.Village(context.Background(), "v")
		second <- result{vi, err}
	}()
	time.Sleep(20 * time.Millisecond) // the second caller waits on the first load
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("first caller: %v", err)
	}
	r := <-second
	if r.err != nil || r.vi == nil || r.vi.Index.Len() != 1 {
		t.Fatalf("second caller: %v, %v", r.vi, r.err)
	}
}

func TestCacheInvalidate(t *testing.T) {
	s := newFakeVillageStore()
	s.write("v", testItem("a"))
	c, _ := newTestCache(s, CacheOptions{Revalidate: time.Hour})
	old := mustVillage(t, c, "v")
	c.Invalidate("v")
	c.Invalidate("never loaded")
	if got := c.Loaded(); len(got) != 0 {
		t.Fatalf("loaded after Invalidate: %v", got)
	}
	if vi := mustVillage(t, c, "v"); vi == old || s.loadCount("v") != 2 {
		t.Fatalf("Invalidate did not force a load (%d loads)", s.loadCount("v"))
	}
}

func TestCacheConcurrentReadersAndWriters(t *testing.T) {
	// Run with -race: readers, writers, other-instance writes and evictions
	// together, then the index must equal the store.
	s := newFakeVillageStore()
	villages := []string{"a", "b", "c"}
	for _, v := range villages {
		s.write(v, testItem(v+"0"))
	}
	c := NewCache(s.load, s.rev, CacheOptions{MaxVillages: 2, Revalidate: -1})
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 200 {
				v := villages[(g+i)%len(villages)]
				vi, err := c.Village(context.Background(), v)
				if err != nil {
					t.Error(err)
					return
				}
				switch {
				case g == 0 && i%10 == 0: // another instance
					s.write(v, testItem(fmt.Sprintf("%s-other-%d", v, i)))
				case g%2 == 0:
					vi.Lock()
					it := testItem(fmt.Sprintf("%s-%d-%d", v, g, i))
					rev := s.write(v, it)
					if rev == vi.Rev+1 {
						it.Seq = rev
						vi.Index.Put(it)
						vi.Rev = rev
					} else {
						c.Invalidate(v)
					}
					vi.Unlock()
				default:
					vi.RLock()
					vi.Index.Nearest(orb.Point{114.9, 27.1}, 3, 0, nil)
					vi.RUnlock()
				}
			}
		})
	}
	wg.Wait()
	for _, v := range villages {
		vi := mustVillage(t, c, v)
		vi.RLock()
		s.mu.Lock()
		want := len(s.items[v])
		s.mu.Unlock()
		if vi.Index.Len() != want || vi.Rev != s.revs[v] {
			t.Errorf("%s: %d items at rev %d, store has %d at rev %d", v, vi.Index.Len(), vi.Rev, want, s.revs[v])
		}
		vi.RUnlock()
	}
}
