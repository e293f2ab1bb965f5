package geo

import (
	"cmp"
	"container/list"
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Loader reads one village's items and its revision from the store.
//
// It must read the revision before the items: items newer than the revision
// only cost a reload at the next check, while a revision newer than the
// items would hide the writes in between for good.
type Loader func(ctx context.Context, village string) (items []Item, rev int64, err error)

// RevFunc reads a village's current revision (cheap: one read by _id). A
// Cache given none trusts a loaded village until Invalidate: for a store
// only this process writes, every change goes through its own writers.
type RevFunc func(ctx context.Context, village string) (int64, error)

// CacheOptions tune a Cache. The zero value takes the defaults.
type CacheOptions struct {
	MaxVillages int // LRU bound (default 64)
	// Revalidate is how long a checked revision is trusted before asking
	// RevFunc again: 0 means the default, 1s; a negative value means always
	// ask (tests, or instances that must see each other's writes at once).
	Revalidate time.Duration
	// CatchUp, when set, is what revalidation does instead of asking
	// RevFunc and reloading: it brings the village up to date in place
	// (taking vi's Lock itself), as a store with a commit log allows.
	CatchUp func(ctx context.Context, village string, vi *VillageIndex) error
}

// CacheStats are a Cache's figures for metrics.
type CacheStats struct {
	Villages int   // villages held
	Items    int   // items held (as last seen: a village whose lock is held is not waited for)
	Hits     int64 // calls that found the village loaded (revision checked or trusted)
	Misses   int64 // first loads
	Reloads  int64 // loads because the store's revision was ahead
}

// VillageIndex is one village's index with the lock that writers hold while they write to the store and update the index, so the village's seq order and the index agree.
//
// A writer holds Lock from before its store write until the index is
// updated. If the write produced revision Rev+1, the writer sets Rev to it,
// and its own write causes no reload. Any other revision means another
// instance wrote in between, which this index has not seen: the writer
// calls Cache.Invalidate instead.
type VillageIndex struct {
	sync.RWMutex
	Index *Index
	Rev   int64 // revision the index reflects
	// Dirty is for a store with one writing process, whose revision moves
	// at the first write after the index was loaded or saved rather than
	// at every write: it says the index has changed since. Writers set it,
	// whoever saves the index clears it, both under Lock; a load clears it.
	Dirty bool
}

// Cache holds the per-village indexes, loaded on first use, bounded by an
// LRU over villages, and re-validated against the store's revision counter.
// It is safe for concurrent use.
type Cache struct {
	load Loader
	rev  RevFunc
	max  int
	ttl  time.Duration // < 0: always ask
	now  func() time.Time
	// catchUp: see CacheOptions.CatchUp
	catchUp func(ctx context.Context, village string, vi *VillageIndex) error

	mu      sync.Mutex
	entries map[string]*cacheEntry
	lru     *list.List // of *cacheEntry, most recently used first
	stats   CacheStats // Villages and Items are computed by Stats
}

// cacheEntry is one village in the cache. Its fields are guarded by
// Cache.mu, except vi's own fields, guarded by vi.
type cacheEntry struct {
	code    string
	vi      *VillageIndex // the same for the entry's life: a reload swaps its Index
	loaded  bool          // vi.Index is set
	loading *loadCall     // the load or reload in progress, shared by all who ask meanwhile
	checked time.Time     // when vi.Rev was last known to be the store's
	// checking says a caller is asking the store for the revision: others
	// meanwhile take vi as it is, as within the trust. Each of them asked
	// too before, and when the store was slow those reads queued for its
	// connections by the dozen (the soak's stalls), ahead of commits.
	checking bool
	items    int // vi.Index.Len() when last seen
	elem     *list.Element
}

// loadCall is one load that concurrent callers wait for together.
type loadCall struct {
	done chan struct{} // closed when err is set
	err  error
}

// NewCache returns a cache reading villages with load and revisions with rev.
func NewCache(load Loader, rev RevFunc, o CacheOptions) *Cache {
	if o.MaxVillages <= 0 {
		o.MaxVillages = 64
	}
	if o.Revalidate == 0 {
		o.Revalidate = time.Second
	}
	return &Cache{
		load:    load,
		rev:     rev,
		max:     o.MaxVillages,
		ttl:     o.Revalidate,
		now:     time.Now,
		catchUp: o.CatchUp,
		entries: make(map[string]*cacheEntry),
		lru:     list.New(),
	}
}

// errLoadPanicked is what callers waiting on a load see if the loader panicked.
var errLoadPanicked = errors.New("geo: village loader panicked")

// Village returns the village's index, loading it on first use (concurrent callers for the same village share one load), or reloading it when the store's revision is ahead of Rev (another server instance wrote). The caller takes RLock to read or Lock to write.
//
// A revision behind Rev is not a change: it is a read that raced one of this
// instance's own writes. A caller waiting for another's load gives up when
// its own ctx ends. Checking the revision takes RLock for a moment, so do not
// call Village while holding the same village's Lock.
func (c *Cache) Village(ctx context.Context, village string) (*VillageIndex, error) {
	for {
		c.mu.Lock()
		e := c.entries[village]
		if e == nil {
			e = &cacheEntry{code: village, vi: &VillageIndex{}}
			e.elem = c.lru.PushFront(e)
			c.entries[village] = e
			call := c.startLoad(e)
			c.mu.Unlock()
			if err := c.runLoad(ctx, e, call); err != nil {
				return nil, err
			}
			return e.vi, nil
		}
		c.lru.MoveToFront(e.elem)
		if call := e.loading; call != nil {
			c.mu.Unlock()
			select {
			case <-call.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if call.err == nil {
				return e.vi, nil
			}
			if isContextErr(call.err) && ctx.Err() == nil {
				continue // the caller who ran the load gave up; we have not
			}
			return nil, call.err
		}
		start := c.now()
		trusted := c.rev == nil && c.catchUp == nil
		if trusted || c.ttl > 0 && (start.Sub(e.checked) < c.ttl || e.checking) {
			c.stats.Hits++
			c.mu.Unlock()
			return e.vi, nil
		}
		e.checking = c.ttl > 0
		c.mu.Unlock()

		if c.catchUp != nil {
			err := c.catchUp(ctx, village, e.vi)
			c.mu.Lock()
			e.checking = false
			if err == nil {
				e.checked = start
				c.stats.Hits++
			}
			c.mu.Unlock()
			if err != nil {
				return nil, err
			}
			return e.vi, nil
		}

		// Ask the store first, then read Rev: a writer of this instance holds
		// Lock from its store write until it has set Rev, so a revision read
		// after that write is matched by Rev once RLock is granted.
		storeRev, err := c.rev(ctx, village)
		if err != nil {
			c.mu.Lock()
			e.checking = false
			c.mu.Unlock()
			return nil, err
		}
		e.vi.RLock()
		rev := e.vi.Rev
		e.vi.RUnlock()

		c.mu.Lock()
		e.checking = false
		if c.entries[village] != e || e.loading != nil {
			c.mu.Unlock()
			continue // invalidated or evicted meanwhile, or someone else is reloading it
		}
		if storeRev <= rev {
			e.checked = start
			c.stats.Hits++
			c.mu.Unlock()
			return e.vi, nil
		}
		call := c.startLoad(e)
		c.mu.Unlock()
		if err := c.runLoad(ctx, e, call); err != nil {
			return nil, err
		}
		return e.vi, nil
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// startLoad marks e as loading; c.mu is held.
func (c *Cache) startLoad(e *cacheEntry) *loadCall {
	call := &loadCall{done: make(chan struct{})}
	e.loading = call
	return call
}

// runLoad loads e's village, without c.mu, and installs the result.
func (c *Cache) runLoad(ctx context.Context, e *cacheEntry, call *loadCall) (err error) {
	start := c.now()
	defer func() { c.finishLoad(e, call, err, start) }()
	err = errLoadPanicked // seen by the waiters if load panics
	items, rev, err := c.load(ctx, e.code)
	if err != nil {
		return err
	}
	// Put in Seq order: every Seq then goes to the end of the Seq order.
	slices.SortFunc(items, func(a, b Item) int { return cmp.Compare(a.Seq, b.Seq) })
	idx := newIndexFor(len(items))
	for _, it := range items {
		idx.Put(it)
	}
	e.vi.Lock()
	// An index newer than the load (a writer got in first) is kept.
	if e.vi.Index == nil || rev >= e.vi.Rev {
		e.vi.Index = idx
		e.vi.Rev = rev
		e.vi.Dirty = false
	}
	e.vi.Unlock()
	return nil
}

func (c *Cache) finishLoad(e *cacheEntry, call *loadCall, err error, start time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer close(call.done)
	call.err = err
	e.loading = nil
	present := c.entries[e.code] == e
	if err != nil {
		if !e.loaded && present {
			c.remove(e) // a failed first load leaves nothing behind; the next call tries again
		}
		return
	}
	if e.loaded {
		c.stats.Reloads++
	} else {
		c.stats.Misses++
	}
	e.loaded = true
	e.checked = start
	if e.vi.TryRLock() {
		e.items = e.vi.Index.Len()
		e.vi.RUnlock()
	}
	if present {
		c.evict(e)
	}
}

// evict drops least recently used villages beyond the bound, skipping the
// one just loaded, those loading and those whose lock someone holds (a
// writer between its store write and its index update must find its index
// still in the cache). Skipped villages may leave the cache over its bound
// until the next load.
func (c *Cache) evict(keep *cacheEntry) {
	for el := c.lru.Back(); el != nil && len(c.entries) > c.max; {
		e := el.Value.(*cacheEntry)
		el = el.Prev()
		if e == keep || e.loading != nil || !e.vi.TryLock() {
			continue
		}
		c.remove(e)
		e.vi.Unlock()
	}
}

// remove drops e; c.mu is held.
func (c *Cache) remove(e *cacheEntry) {
	delete(c.entries, e.code)
	c.lru.Remove(e.elem)
}

// Invalidate drops a village (e.g. after a failed write left memory unsure).
// The next Village call loads it again. Callers still holding its old
// VillageIndex may finish with it; it is no longer handed out.
func (c *Cache) Invalidate(village string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[village]; e != nil {
		c.remove(e)
	}
}

// Stats for metrics: villages held, items held, hits, misses (loads), reloads.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	for _, e := range c.entries {
		if !e.loaded {
			continue
		}
		if e.vi.TryRLock() { // metrics must not wait for a writer
			e.items = e.vi.Index.Len()
			e.vi.RUnlock()
		}
		s.Villages++
		s.Items += e.items
	}
	return s
}

// Loaded returns the codes of villages in memory, most recently used first.
func (c *Cache) Loaded() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var codes []string
	for el := c.lru.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*cacheEntry); e.loaded {
			codes = append(codes, e.code)
		}
	}
	return codes
}
