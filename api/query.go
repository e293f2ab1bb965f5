package api

import (
	"context"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
)

// villageFeatures returns the current (not deleted) features of a village
// that keep accepts (nil keeps all), in the index's sequence order. The
// features are immutable snapshots: writers replace, never modify them, so
// they may be used after the lock is released.
func (s *Server) villageFeatures(ctx context.Context, code string, keep func(*cunjie.Feature) bool) ([]*cunjie.Feature, error) {
	vi, err := s.writes.Village(ctx, code)
	if err != nil {
		return nil, err
	}
	vi.RLock()
	defer vi.RUnlock()
	out := make([]*cunjie.Feature, 0, vi.Index.Len())
	vi.Index.Each(func(it geo.Item) bool {
		f := it.Value.(*cunjie.Feature)
		if !f.Deleted && (keep == nil || keep(f)) {
			out = append(out, f)
		}
		return true
	})
	return out, nil
}

// readableVillages lists the codes of the villages u may read, by code.
func (s *Server) readableVillages(u *cunjie.User) []string {
	var codes []string
	for _, v := range s.villages.Load().All() {
		if u.CanReadVillage(v.Code) {
			codes = append(codes, v.Code)
		}
	}
	return codes
}
