package api

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
)

// DefaultSnapshotEvery is how often one changed village is written as a
// snapshot. One at a time, the oldest first: writing every changed
// village at once (a 2,000-feature village takes ~70 ms, and the store
// is busy meanwhile) made the soak's latency jump every few seconds and
// cost a third of the server's CPU. A restart after a clean stop finds
// every village current (Close writes them all); after a crash, villages
// written since their snapshot load from their features.
const DefaultSnapshotEvery = 10 * time.Second

// snapshots remembers the rev and the time of each village's last
// snapshot, so only changed villages are written again, oldest first.
type snapshots struct {
	mu    sync.Mutex
	rev   map[string]int64
	at    map[string]time.Time
	every time.Duration
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

// loadVillageIndex reads a village's features for the index: from its
// snapshot when that is current, else from the features themselves.
func (s *Server) loadVillageIndex(ctx context.Context, village string) ([]geo.Item, int64, error) {
	rev, err := s.store.VillageRev(ctx, village)
	if err != nil {
		return nil, 0, err
	}
	fs, ok, err := s.store.LoadSnapshot(ctx, village, rev)
	if err != nil {
		s.log.Warn("snapshot unreadable; reading features", "village", village, "err", err)
	}
	if ok {
		s.snaps.set(village, rev)
	} else {
		if fs, rev, err = s.store.VillageFeatures(ctx, village); err != nil {
			return nil, 0, err
		}
	}
	items := make([]geo.Item, len(fs))
	var maxSeq int64
	for i, f := range fs {
		items[i] = featureItem(f)
		maxSeq = max(maxSeq, f.Seq)
	}
	if !s.store.Embedded() {
		// The data may come from an embedded store, whose seqs were
		// handed out from memory (see reserveSeqs).
		if err := s.store.SeqAtLeast(ctx, village, maxSeq); err != nil {
			return nil, 0, err
		}
	}
	return items, rev, nil
}

// saveSnapshots writes up to limit (0: all) of the villages in memory
// whose index moved on since their last snapshot, the oldest snapshot
// first.
func (s *Server) saveSnapshots(ctx context.Context, limit int) {
	codes := s.index.Loaded()
	slices.SortStableFunc(codes, func(a, b string) int { return s.snaps.savedAt(a).Compare(s.snaps.savedAt(b)) })
	written := 0
	for _, code := range codes {
		if ctx.Err() != nil || limit > 0 && written >= limit {
			return
		}
		vi, err := s.index.Village(ctx, code)
		if err != nil {
			continue
		}
		// Lock, not RLock: the capture and clearing Dirty must fall
		// between two writes (see reserveSeqs). Copying the pointers is
		// quick.
		vi.Lock()
		rev := vi.Rev
		if last, ok := s.snaps.saved(code); ok && last == rev {
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
		if err := s.store.SaveSnapshot(ctx, code, rev, fs); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("snapshot not written", "village", code, "err", err)
			}
			continue
		}
		s.snaps.set(code, rev)
		written++
	}
}

func (s *Server) snapshotLoop(ctx context.Context) {
	t := time.NewTicker(s.snaps.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.saveSnapshots(ctx, 1)
		}
	}
}
