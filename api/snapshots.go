package api

import (
	"context"
	"sync"
	"time"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
)

// snapshotEvery is how often changed villages are written as snapshots:
// often enough that a restart after a day's work (or a kill -9) finds
// nearly every village current; a 2,000-feature village takes ~70 ms.
const snapshotEvery = 10 * time.Second

// snapshots remembers the rev of each village's last snapshot, so only
// changed villages are written again.
type snapshots struct {
	mu  sync.Mutex
	rev map[string]int64
}

func (sn *snapshots) saved(village string) (int64, bool) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	r, ok := sn.rev[village]
	return r, ok
}

func (sn *snapshots) set(village string, rev int64) {
	sn.mu.Lock()
	sn.rev[village] = rev
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

// saveSnapshots writes the villages in memory whose index moved on since
// their last snapshot.
func (s *Server) saveSnapshots(ctx context.Context) {
	for _, code := range s.index.Loaded() {
		if ctx.Err() != nil {
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
	}
}

func (s *Server) snapshotLoop(ctx context.Context) {
	t := time.NewTicker(snapshotEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.saveSnapshots(ctx)
		}
	}
}
