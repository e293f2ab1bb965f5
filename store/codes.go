package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cunjie/cunjie"
)

// A feature's code (一户一码) is "<village's short code>-<serial>", e.g.
// 201-0042: printed on its label, read aloud, searched for. Two kinds of
// document in feature_codes keep codes, both read by _id only (the
// embedded backend scans a whole table for any other filter):
//   - a code's (_id = the code) names its feature: the unique insert of it
//     is what takes a code, so two instances on one store never both take
//     one, whatever else the backend makes atomic;
//   - a feature's link (_id = "of:" + the feature) names its code, so a
//     feature asked for a code again (a replayed create, a migration run
//     twice, two instances migrating at once) keeps the one it has.
//
// Both kinds live in one collection so that a batch of new features' codes
// and links is one ordered insert, each code before its link: the link of
// a code someone else holds is never written. A create costs four store
// commands less one (BenchmarkSingleWrites). Links were kept in a
// collection of their own, feature_code_of, until 2026-12; Open moves them.
const (
	colFeatureCodes  = "feature_codes"
	colLegacyCodeOf  = "feature_code_of"
	featureLinkStart = "of:" // a link's _id; no code (digits and a dash) begins so
)

type featureCodeDoc struct {
	ID      string `bson:"_id"` // the code
	Feature string `bson:"feature"`
	Village string `bson:"village"`
}

type featureLinkDoc struct {
	ID   string `bson:"_id"` // featureLinkStart + the feature
	Code string `bson:"code"`
}

func linkID(feature string) string { return featureLinkStart + feature }

// FeatureCode gives feature id of village a code with prefix short, or
// answers the one it has.
func (s *Store) FeatureCode(ctx context.Context, village, short, id string) (string, error) {
	col := s.db.Collection(colFeatureCodes)
	var have featureLinkDoc
	err := col.FindOne(ctx, bson.M{"_id": linkID(id)}).Decode(&have)
	if err == nil {
		return have.Code, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return "", err
	}
	code, err := s.takeCode(ctx, village, short, id)
	if err != nil {
		return "", err
	}
	_, err = col.InsertOne(ctx, featureLinkDoc{ID: linkID(id), Code: code})
	if mongo.IsDuplicateKeyError(err) {
		// Another writer gave the feature its code first: that one
		// stands, and the code taken here is given back.
		if err := col.FindOne(ctx, bson.M{"_id": linkID(id)}).Decode(&have); err != nil {
			return "", err
		}
		if have.Code != code {
			_, _ = col.DeleteOne(ctx, bson.M{"_id": code})
		}
		return have.Code, nil
	}
	return code, err
}

// FeatureCodes gives each of ids (features of village) a code with prefix
// short, or answers the one it has, in order. A batch of new features
// costs one command whatever its size: the serials are reserved in memory
// (on a shared store with one increment, a second command), and the codes
// and links inserted as one ordered insert, [code, link, code, link, ...]
// (a phone's backlog of hundreds of bins, or the demo, would otherwise take
// commands by the feature). Where the insert stops on a duplicate (a code
// taken meanwhile, a feature that had a code: a replay), that feature goes
// the one-by-one way of FeatureCode, which decides it as ever, and the
// insert goes on after it.
func (s *Store) FeatureCodes(ctx context.Context, village, short string, ids []string) ([]string, error) {
	out := make([]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	last, err := s.reserveSerials(ctx, village, short, int64(len(ids)))
	if err != nil {
		return nil, err
	}
	first := last - int64(len(ids)) + 1
	docs := make([]any, 0, 2*len(ids))
	for i, id := range ids {
		out[i] = codeText(short, first+int64(i))
		docs = append(docs, featureCodeDoc{ID: out[i], Feature: id, Village: village}, featureLinkDoc{ID: linkID(id), Code: out[i]})
	}
	col := s.db.Collection(colFeatureCodes)
	var slow []int
	for from := 0; from < len(docs); {
		stop, err := insertOrdered(ctx, col, docs[from:])
		if err != nil {
			return nil, err
		}
		if stop < 0 {
			break
		}
		at := from + stop
		i := at / 2
		if at%2 == 1 {
			// The feature had its code already: that one stands, and
			// the code taken here is given back.
			_, _ = col.DeleteOne(ctx, bson.M{"_id": out[i]})
		}
		slow = append(slow, i)
		from = 2 * (i + 1)
	}
	for _, i := range slow {
		if out[i], err = s.FeatureCode(ctx, village, short, ids[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// insertOrdered inserts docs in order until one's key is taken, and
// answers its index, or -1 when all were inserted; any other failure is
// an error.
func insertOrdered(ctx context.Context, col *mongo.Collection, docs []any) (int, error) {
	_, err := col.InsertMany(ctx, docs)
	if err == nil {
		return -1, nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) != 1 || bwe.WriteErrors[0].Code != 11000 {
		return 0, err
	}
	return bwe.WriteErrors[0].Index, nil
}

// moveCodeLinks moves the links kept in feature_code_of (before 2026-12)
// into feature_codes, then drops it. Run at every open, it finds nothing
// once done; run by two instances at once, each inserts what the other has
// not, and both drop.
func (s *Store) moveCodeLinks(ctx context.Context) error {
	names, err := s.db.ListCollectionNames(ctx, bson.M{"name": colLegacyCodeOf})
	if err != nil || len(names) == 0 {
		return err
	}
	legacy := s.db.Collection(colLegacyCodeOf)
	cur, err := legacy.Find(ctx, bson.M{})
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	var batch []any
	flush := func() error {
		_, err := insertManyDups(ctx, s.db.Collection(colFeatureCodes), batch)
		batch = batch[:0]
		return err
	}
	for cur.Next(ctx) {
		var d struct {
			Feature string `bson:"_id"`
			Code    string `bson:"code"`
		}
		if err := cur.Decode(&d); err != nil {
			return err
		}
		if batch = append(batch, featureLinkDoc{ID: linkID(d.Feature), Code: d.Code}); len(batch) == 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := cur.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	return legacy.Drop(ctx)
}

// codeText is the code of a village's serial n: "201-0042".
func codeText(short string, n int64) string { return fmt.Sprintf("%s-%04d", short, n) }

// takeCode inserts the village's next free code for feature id. The
// serial counter only suggests where to start; the insert decides.
func (s *Store) takeCode(ctx context.Context, village, short, id string) (string, error) {
	col := s.db.Collection(colFeatureCodes)
	for range 100000 {
		n, err := s.reserveSerials(ctx, village, short, 1)
		if err != nil {
			return "", err
		}
		code := codeText(short, n)
		_, err = col.InsertOne(ctx, featureCodeDoc{ID: code, Feature: id, Village: village})
		if err == nil {
			return code, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return "", err
		}
		// Taken: by this very feature in an attempt that failed after the
		// insert, or by another.
		var d featureCodeDoc
		if err := col.FindOne(ctx, bson.M{"_id": code}).Decode(&d); err == nil && d.Feature == id {
			return code, nil
		}
	}
	return "", fmt.Errorf("village %s: no free feature code", village)
}

// CodeRef is where a code leads.
type CodeRef struct {
	Feature string
	Village string
}

// FindCode looks a code up. Returns ENOTFOUND.
func (s *Store) FindCode(ctx context.Context, code string) (CodeRef, error) {
	if strings.HasPrefix(code, featureLinkStart) {
		return CodeRef{}, notFound(mongo.ErrNoDocuments, "code "+code) // a link, not a code
	}
	var d featureCodeDoc
	if err := s.db.Collection(colFeatureCodes).FindOne(ctx, bson.M{"_id": code}).Decode(&d); err != nil {
		return CodeRef{}, notFound(err, "code "+code)
	}
	return CodeRef{Feature: d.Feature, Village: d.Village}, nil
}

// serials are the villages' code serials handed out on the embedded store.
// Incrementing the stored counter is a read, decode and rewrite of its
// document, a third of what a create cost (BenchmarkSingleWrites creates
// 202 -> 440/s when counted in memory). One process writes the embedded
// store, so the serials are counted here and the counter brought up with
// $max every serialsFlush serials and at a clean stop. After a crash it is
// behind by less than that: the first serial of a village is looked for
// past the counter, among the codes stored.
type serials struct {
	mu     sync.Mutex
	next   map[string]int64 // the last serial handed out
	stored map[string]int64 // the counter as stored
}

const serialsFlush = 64

// reserveSerials reserves n serials of village's codes and answers the
// last. On a shared store the counter is incremented, as instances share it.
func (s *Store) reserveSerials(ctx context.Context, village, short string, n int64) (int64, error) {
	if !s.embedded {
		return s.incVillage(ctx, village, "codeSerial", n)
	}
	m := &s.serials
	m.mu.Lock()
	defer m.mu.Unlock()
	last, ok := m.next[village]
	if !ok {
		var err error
		if last, err = s.lastSerial(ctx, village, short); err != nil {
			return 0, err
		}
		if m.next == nil {
			m.next, m.stored = map[string]int64{}, map[string]int64{}
		}
		m.stored[village] = last
	}
	last += n
	m.next[village] = last
	if last-m.stored[village] >= serialsFlush {
		if err := s.saveSerial(ctx, village, last); err != nil {
			return 0, err
		}
		m.stored[village] = last
	}
	return last, nil
}

// lastSerial is the last serial taken of village: the stored counter, or
// past it the codes a process that stopped without saving it took.
func (s *Store) lastSerial(ctx context.Context, village, short string) (int64, error) {
	var d struct {
		Serial int64 `bson:"codeSerial"`
	}
	err := s.db.Collection(colCounters).FindOne(ctx, bson.M{"_id": village}).Decode(&d)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, err
	}
	last := d.Serial
	for {
		_, err := s.FindCode(ctx, codeText(short, last+1))
		if cunjie.ErrorCode(err) == cunjie.ENOTFOUND {
			return last, nil
		}
		if err != nil {
			return 0, err
		}
		last++
	}
}

func (s *Store) saveSerial(ctx context.Context, village string, last int64) error {
	_, err := s.db.Collection(colCounters).UpdateOne(ctx, bson.M{"_id": village},
		bson.M{"$max": bson.M{"codeSerial": last}}, options.UpdateOne().SetUpsert(true))
	return err
}

// flushSerials saves every village's counter (a clean stop).
func (s *Store) flushSerials(ctx context.Context) error {
	m := &s.serials
	m.mu.Lock()
	defer m.mu.Unlock()
	for village, last := range m.next {
		if last == m.stored[village] {
			continue
		}
		if err := s.saveSerial(ctx, village, last); err != nil {
			return err
		}
		m.stored[village] = last
	}
	return nil
}
