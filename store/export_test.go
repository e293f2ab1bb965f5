package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cunjie/cunjie"
)

// SweepIDIndexes indexes new tables now instead of at the next sweep.
func (s *Store) SweepIDIndexes(ctx context.Context) error { return s.ids.sweep(ctx) }

// UnindexedTables lists the tables the next sweep would index.
func (s *Store) UnindexedTables(ctx context.Context) ([]string, error) { return s.ids.unindexed(ctx) }

// SetCodeSerial sets a village's code counter, stored and in memory, as a
// restore of an older backup would leave it.
func (s *Store) SetCodeSerial(ctx context.Context, village string, n int64) error {
	if err := s.saveSerialExactly(ctx, village, n); err != nil {
		return err
	}
	s.serials.mu.Lock()
	defer s.serials.mu.Unlock()
	if s.serials.next != nil {
		s.serials.next[village], s.serials.stored[village] = n, n
	}
	return nil
}

// ForgetCodeSerials drops the serials counted in memory, as a process
// that stopped without saving them would.
func (s *Store) ForgetCodeSerials() {
	s.serials.mu.Lock()
	defer s.serials.mu.Unlock()
	s.serials.next, s.serials.stored = nil, nil
}

func (s *Store) saveSerialExactly(ctx context.Context, village string, n int64) error {
	_, err := s.db.Collection(colCounters).UpdateOne(ctx, map[string]any{"_id": village}, map[string]any{"$set": map[string]any{"codeSerial": n}},
		options.UpdateOne().SetUpsert(true))
	return err
}

// AppendHistoryPart adds a change to a history part, as versions before a
// change became a document of its own wrote it: tests of reading such
// histories make them with it.
func (s *Store) AppendHistoryPart(ctx context.Context, featureID string, change int64, events []cunjie.Event, audit []cunjie.AuditEntry) error {
	push := bson.M{}
	if len(events) > 0 {
		ed := make([]eventDoc, len(events))
		for i := range events {
			ed[i] = eventToDoc(&events[i])
		}
		push["events"] = bson.M{"$each": ed}
	}
	if len(audit) > 0 {
		ad := make([]auditDoc, len(audit))
		for i, a := range audit {
			ad[i] = auditToDoc(a)
		}
		push["audit"] = bson.M{"$each": ad}
	}
	if len(push) == 0 {
		return nil
	}
	_, err := s.db.Collection(colHistories).UpdateOne(ctx, bson.M{"_id": historyPartID(featureID, change/historyPart)},
		bson.M{"$push": push}, options.UpdateOne().SetUpsert(true))
	return err
}

// LogState answers how many write commands the embedded store has
// answered, and how many of those the last sync of its log covers.
func (s *Store) LogState() (writes, synced uint64) {
	s.wal.mu.Lock()
	defer s.wal.mu.Unlock()
	return s.wal.writes, s.wal.synced
}

// SetLogPath points the embedded store's log syncer at another file (a
// test makes its syncs fail with one that cannot be synced).
func (s *Store) SetLogPath(p string) {
	s.wal.mu.Lock()
	defer s.wal.mu.Unlock()
	s.wal.path = p
}

// LogPath is the file the embedded store's log syncer syncs.
func (s *Store) LogPath() string {
	s.wal.mu.Lock()
	defer s.wal.mu.Unlock()
	return s.wal.path
}

// QueueInsert inserts docs into collection through an insert queue of
// its own per store, as histories are inserted.
func (s *Store) QueueInsert(ctx context.Context, collection string, docs []any) ([]int, error) {
	return s.histories.insert(ctx, s.db.Collection(collection), docs)
}

// ForgetRefs empties the cache of features' villages, as another
// instance, or a restart, would find it.
func (s *Store) ForgetRefs() {
	s.refs.mu.Lock()
	defer s.refs.mu.Unlock()
	s.refs.m = nil
}
