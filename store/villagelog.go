package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cunjie/cunjie"
)

// Several instances on one external store write a village through its
// commit log: record n of village v is the document "v/n" of village_log,
// and inserting it is the commit. The _id index is unique on every
// backend, and an insert is atomic on every backend (FerretDB's updates
// are a read then a write, its inserts are not), so of two instances that
// computed a write against the same state exactly one commits; the other
// is told ErrLogTaken, reads what was committed, and computes again.
// Records hold the features' new states and their history entries; the
// feature and history documents are materialized from them afterwards,
// and made whole again by whoever writes the village's next snapshot.
const (
	colVillageLog = "village_log"
)

// ErrLogTaken says another instance committed the log position first.
var ErrLogTaken = errors.New("store: log position taken")

// LogRecord is one commit to a village.
type LogRecord struct {
	Village  string
	Pos      int64
	Features []*cunjie.Feature // new states, seqs set
	History  []HistoryEntry
}

// HistoryEntry is what one change adds to a feature's history; Change
// counts the feature's changes before it (Feature.Changes).
type HistoryEntry struct {
	Feature string
	Change  int64
	Events  []cunjie.Event
	Audit   []cunjie.AuditEntry
}

type logDoc struct {
	ID      string    `bson:"_id"` // "<village>/<pos>"
	Village string    `bson:"village"`
	Pos     int64     `bson:"pos"`
	At      time.Time `bson:"at"`
	// Body is the BSON of a logBody, opaque for the same reason as a
	// snapshot's items (see snapshotDoc).
	Body []byte `bson:"body"`
}

type logBody struct {
	Features []featureDoc      `bson:"features"`
	History  []historyEntryDoc `bson:"history"`
}

type historyEntryDoc struct {
	Feature string     `bson:"feature"`
	Change  int64      `bson:"change"`
	Events  []eventDoc `bson:"events"`
	Audit   []auditDoc `bson:"audit"`
}

func logID(village string, pos int64) string { return fmt.Sprintf("%s/%d", village, pos) }

// CommitLog inserts r at its position; ErrLogTaken if that is committed.
func (s *Store) CommitLog(ctx context.Context, r *LogRecord) error {
	var b logBody
	for _, f := range r.Features {
		b.Features = append(b.Features, featureToDoc(f))
	}
	for _, h := range r.History {
		b.History = append(b.History, historyToDoc(h))
	}
	data, err := bson.Marshal(b)
	if err != nil {
		return err
	}
	_, err = s.db.Collection(colVillageLog).InsertOne(ctx, logDoc{ID: logID(r.Village, r.Pos), Village: r.Village, Pos: r.Pos, At: time.Now().UTC(), Body: data})
	if mongo.IsDuplicateKeyError(err) {
		return ErrLogTaken
	}
	return err
}

// LogRecord reads the village's record at pos; nil when there is none yet.
func (s *Store) LogRecord(ctx context.Context, village string, pos int64) (*LogRecord, error) {
	var d logDoc
	err := s.db.Collection(colVillageLog).FindOne(ctx, bson.M{"_id": logID(village, pos)}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var b logBody
	if err := bson.Unmarshal(d.Body, &b); err != nil {
		return nil, fmt.Errorf("log record %s: %w", d.ID, err)
	}
	r := &LogRecord{Village: village, Pos: pos}
	for i := range b.Features {
		r.Features = append(r.Features, b.Features[i].toDomain())
	}
	for _, h := range b.History {
		r.History = append(r.History, h.toDomain())
	}
	return r, nil
}

func historyToDoc(h HistoryEntry) historyEntryDoc {
	d := historyEntryDoc{Feature: h.Feature, Change: h.Change, Events: make([]eventDoc, len(h.Events)), Audit: make([]auditDoc, len(h.Audit))}
	for i := range h.Events {
		d.Events[i] = eventToDoc(&h.Events[i])
	}
	for i, a := range h.Audit {
		d.Audit[i] = auditToDoc(a)
	}
	return d
}

func (d *historyEntryDoc) toDomain() HistoryEntry {
	h := HistoryEntry{Feature: d.Feature, Change: d.Change}
	for i := range d.Events {
		h.Events = append(h.Events, d.Events[i].toDomain(d.Feature))
	}
	for _, a := range d.Audit {
		h.Audit = append(h.Audit, a.toDomain())
	}
	return h
}

func auditToDoc(a cunjie.AuditEntry) auditDoc {
	d := auditDoc{Op: a.Op, Action: a.Action, By: a.By, At: a.At, Version: a.Version}
	for _, k := range slices.Sorted(maps.Keys(a.Changes)) {
		d.Changes = append(d.Changes, changeDoc{Field: k, From: a.Changes[k].From, To: a.Changes[k].To})
	}
	return d
}

func (a *auditDoc) toDomain() cunjie.AuditEntry {
	e := cunjie.AuditEntry{Op: a.Op, Action: a.Action, By: a.By, At: a.At.UTC(), Version: a.Version}
	if len(a.Changes) > 0 {
		e.Changes = map[string]cunjie.Change{}
		for _, c := range a.Changes {
			e.Changes[c.Field] = cunjie.Change{From: c.From, To: c.To}
		}
	}
	return e
}

// historyEntryID names the history document of one change on a shared
// store: one document per change, inserted once, so instances writing
// histories side by side never rewrite each other's.
func historyEntryID(feature string, change int64) string {
	return fmt.Sprintf("%s#%d", feature, change)
}

// InsertHistory materializes history entries of committed records; an
// entry stored already is left as it is (it is the same entry).
func (s *Store) InsertHistory(ctx context.Context, entries []HistoryEntry) error {
	docs := make([]any, len(entries))
	for i, h := range entries {
		d := historyToDoc(h)
		docs[i] = historyDoc{ID: historyEntryID(h.Feature, h.Change), Feature: h.Feature, Change: h.Change, Events: d.Events, Audit: d.Audit}
	}
	// Concurrent commits in other villages share the insert.
	_, err := s.histories.insert(ctx, s.db.Collection(colHistories), docs)
	return err
}

// MaterializeFeatures stores committed feature states unless a later one
// is stored already. On FerretDB the filtered replace is not atomic, and
// two instances materializing one feature at once may leave the older
// state: readers of the shared store go by the log, and the village's
// next snapshot writes the features again (see writes).
func (s *Store) MaterializeFeatures(ctx context.Context, village string, fs []*cunjie.Feature) error {
	col := s.db.Collection(featuresCol(village))
	for _, f := range fs {
		_, err := col.ReplaceOne(ctx, bson.D{{Key: "_id", Value: f.ID}, {Key: "seq", Value: bson.M{"$lt": f.Seq}}}, featureToDoc(f), replaceUpsert)
		if err != nil && !mongo.IsDuplicateKeyError(err) {
			return err
		}
	}
	return nil
}

// A shared store's snapshot of a village at log position p is the head
// "<village>@<p>" naming a token and a part count, and parts
// "<village>@<p>.<token>/<n>". Parts are written first, the head last,
// each inserted once: a snapshot never changes, so no instance writes a
// stale one over a newer one. Two instances snapshotting the same
// position race only on the head; the loser removes its parts. The
// village's counter document points at the latest head ("snap", moved
// by $max); a pointer left behind by a race only makes a loader replay
// more of the log.

func snapHeadID(village string, pos int64) string { return fmt.Sprintf("%s@%d", village, pos) }

func snapPartID(village string, pos int64, token string, n int) string {
	return fmt.Sprintf("%s@%d.%s/%d", village, pos, token, n)
}

// SaveLogSnapshot stores fs as the village's state at log position pos
// and points the village at it. It answers false when another instance
// had stored that position already.
func (s *Store) SaveLogSnapshot(ctx context.Context, village string, pos int64, fs []*cunjie.Feature) (bool, error) {
	col := s.db.Collection(colSnapshots)
	var tok [6]byte
	_, _ = rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	parts := max(1, (len(fs)+snapshotPart-1)/snapshotPart)
	var written []string
	removeParts := func() {
		if len(written) > 0 {
			_, _ = col.DeleteMany(context.WithoutCancel(ctx), bson.M{"_id": bson.M{"$in": written}})
		}
	}
	for p := range parts {
		data, err := marshalSnapshotItems(fs[min(p*snapshotPart, len(fs)):min((p+1)*snapshotPart, len(fs))])
		if err != nil {
			return false, err
		}
		id := snapPartID(village, pos, token, p)
		if _, err := col.InsertOne(ctx, snapshotDoc{ID: id, Village: village, Rev: pos, Parts: parts, Items: data}); err != nil {
			removeParts()
			return false, err
		}
		written = append(written, id)
	}
	_, err := col.InsertOne(ctx, snapshotHeadDoc{ID: snapHeadID(village, pos), Village: village, Pos: pos, Token: token, Parts: parts})
	if mongo.IsDuplicateKeyError(err) {
		removeParts()
		return false, nil
	}
	if err != nil {
		removeParts()
		return false, err
	}
	_, err = s.db.Collection(colCounters).UpdateOne(ctx, bson.M{"_id": village},
		bson.M{"$max": bson.M{"snap": pos}}, options.UpdateOne().SetUpsert(true))
	return true, err
}

type snapshotHeadDoc struct {
	ID      string `bson:"_id"`
	Village string `bson:"village"`
	Pos     int64  `bson:"pos"`
	Token   string `bson:"token"`
	Parts   int    `bson:"parts"`
}

// LoadLogSnapshot reads the village's latest snapshot on a shared store
// and its log position; ok is false when the village has none yet.
func (s *Store) LoadLogSnapshot(ctx context.Context, village string) (pos int64, fs []*cunjie.Feature, ok bool, err error) {
	var c struct {
		Snap *int64 `bson:"snap"`
	}
	err = s.db.Collection(colCounters).FindOne(ctx, bson.M{"_id": village}).Decode(&c)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil, false, err
	}
	if c.Snap != nil {
		pos = *c.Snap
	}
	col := s.db.Collection(colSnapshots)
	var h snapshotHeadDoc
	err = col.FindOne(ctx, bson.M{"_id": snapHeadID(village, pos)}).Decode(&h)
	if errors.Is(err, mongo.ErrNoDocuments) && pos != 0 {
		// Dropped after a pointer race (see above), or a head whose
		// writer stopped before the pointer: position 0 is never dropped.
		pos = 0
		err = col.FindOne(ctx, bson.M{"_id": snapHeadID(village, pos)}).Decode(&h)
	}
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, err
	}
	for p := range h.Parts {
		var d snapshotDoc
		if err := col.FindOne(ctx, bson.M{"_id": snapPartID(village, pos, h.Token, p)}).Decode(&d); err != nil {
			return 0, nil, false, fmt.Errorf("snapshot %s part %d: %w", h.ID, p, err)
		}
		var items snapshotItems
		if err := bson.Unmarshal(d.Items, &items); err != nil {
			return 0, nil, false, err
		}
		for i := range items.Items {
			fs = append(fs, items.Items[i].toDomain())
		}
	}
	return pos, fs, true, nil
}

// DropLogSnapshot removes the snapshot at pos once a newer one is in
// place; a loader reading it meanwhile fails and loads again.
func (s *Store) DropLogSnapshot(ctx context.Context, village string, pos int64) error {
	col := s.db.Collection(colSnapshots)
	var h snapshotHeadDoc
	err := col.FindOne(ctx, bson.M{"_id": snapHeadID(village, pos)}).Decode(&h)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		return err
	}
	ids := []string{h.ID}
	for p := range h.Parts {
		ids = append(ids, snapPartID(village, pos, h.Token, p))
	}
	_, err = col.DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}})
	return err
}

// Materialized says whether r's documents are written: its last history
// entry, or for a record of creates alone its last feature at its seq or
// later. Materializing writes the features first, the history last.
func (s *Store) Materialized(ctx context.Context, r *LogRecord) (bool, error) {
	var err error
	if n := len(r.History); n > 0 {
		h := r.History[n-1]
		err = s.db.Collection(colHistories).FindOne(ctx, bson.M{"_id": historyEntryID(h.Feature, h.Change)}).Err()
	} else if n := len(r.Features); n > 0 {
		f := r.Features[n-1]
		var d struct {
			Seq int64 `bson:"seq"`
		}
		err = s.db.Collection(featuresCol(r.Village)).FindOne(ctx, bson.M{"_id": f.ID}).Decode(&d)
		if err == nil && d.Seq < f.Seq {
			return false, nil
		}
	}
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return err == nil, err
}
