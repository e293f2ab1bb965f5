package store

import "context"

// SweepIDIndexes indexes new tables now instead of at the next sweep.
func (s *Store) SweepIDIndexes(ctx context.Context) error { return s.ids.sweep(ctx) }

// UnindexedTables lists the tables the next sweep would index.
func (s *Store) UnindexedTables(ctx context.Context) ([]string, error) { return s.ids.unindexed(ctx) }

// SetCodeSerial sets a village's code counter, as a restore of an older
// backup would leave it.
func (s *Store) SetCodeSerial(ctx context.Context, village string, n int64) error {
	_, err := s.db.Collection(colCounters).UpdateOne(ctx, map[string]any{"_id": village}, map[string]any{"$set": map[string]any{"codeSerial": n}})
	return err
}
