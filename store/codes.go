package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cunjie/cunjie"
)

// A feature's code (一户一码) is "<village's short code>-<serial>", e.g.
// 201-0042: printed on its label, read aloud, searched for. Codes are
// taken by a unique insert into feature_codes (_id = the code), so two
// instances on one store never both take one, whatever else the backend
// makes atomic; feature_code_of (_id = the feature) remembers each
// feature's code, so a feature asked for a code again (a replayed
// create, a migration run twice, two instances migrating at once) keeps
// the one it has. Both are read by _id only: the embedded backend scans
// a whole table for any other filter.
const (
	colFeatureCodes  = "feature_codes"
	colFeatureCodeOf = "feature_code_of"
)

type featureCodeDoc struct {
	ID      string `bson:"_id"` // the code
	Feature string `bson:"feature"`
	Village string `bson:"village"`
}

type featureCodeOfDoc struct {
	ID   string `bson:"_id"` // the feature
	Code string `bson:"code"`
}

// FeatureCode gives feature id of village a code with prefix short, or
// answers the one it has.
func (s *Store) FeatureCode(ctx context.Context, village, short, id string) (string, error) {
	of := s.db.Collection(colFeatureCodeOf)
	var have featureCodeOfDoc
	err := of.FindOne(ctx, bson.M{"_id": id}).Decode(&have)
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
	_, err = of.InsertOne(ctx, featureCodeOfDoc{ID: id, Code: code})
	if mongo.IsDuplicateKeyError(err) {
		// Another writer gave the feature its code first: that one
		// stands, and the code taken here is given back.
		if err := of.FindOne(ctx, bson.M{"_id": id}).Decode(&have); err != nil {
			return "", err
		}
		if have.Code != code {
			_, _ = s.db.Collection(colFeatureCodes).DeleteOne(ctx, bson.M{"_id": code})
		}
		return have.Code, nil
	}
	return code, err
}

// FeatureCodes gives each of ids (features of village) a code with prefix
// short, or answers the one it has, in order. A batch of new features
// costs three commands whatever its size: the serials are reserved with
// one increment, the codes and the features' links inserted with one
// insert each (a phone's backlog of hundreds of bins, or the demo, would
// otherwise take four commands a feature). What the inserts refuse (a code
// taken meanwhile, a feature that had a code: a replay) goes the one-by-one
// way of FeatureCode, which decides it as ever.
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
	docs := make([]any, len(ids))
	for i, id := range ids {
		out[i] = codeText(short, first+int64(i))
		docs[i] = featureCodeDoc{ID: out[i], Feature: id, Village: village}
	}
	taken, err := insertManyDups(ctx, s.db.Collection(colFeatureCodes), docs)
	if err != nil {
		return nil, err
	}
	slow := map[int]bool{}
	for _, i := range taken {
		slow[i] = true
	}
	var links []any
	var linked []int
	for i, id := range ids {
		if !slow[i] {
			links = append(links, featureCodeOfDoc{ID: id, Code: out[i]})
			linked = append(linked, i)
		}
	}
	had, err := insertManyDups(ctx, s.db.Collection(colFeatureCodeOf), links)
	if err != nil {
		return nil, err
	}
	for _, k := range had {
		// The feature had its code already: that one stands, and the code
		// taken here is given back.
		i := linked[k]
		_, _ = s.db.Collection(colFeatureCodes).DeleteOne(ctx, bson.M{"_id": out[i]})
		slow[i] = true
	}
	for i := range slow {
		if out[i], err = s.FeatureCode(ctx, village, short, ids[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
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
