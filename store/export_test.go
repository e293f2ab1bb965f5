package store

import "context"

// SweepIDIndexes indexes new tables now instead of at the next sweep.
func (s *Store) SweepIDIndexes(ctx context.Context) error { return s.ids.sweep(ctx) }

// UnindexedTables lists the tables the next sweep would index.
func (s *Store) UnindexedTables(ctx context.Context) ([]string, error) { return s.ids.unindexed(ctx) }
