package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cunjie/cunjie"
)

// A feature's code (一户一码) is "<village's short code>-<serial>", e.g.
// 201-0042: printed on its label, read aloud, searched for. Codes are kept
// in feature_ids beside the features' claims, all read by _id only (the
// embedded backend scans a whole table for any other filter):
//   - a code's document (_id = "code:" + the code) names its feature: the
//     unique insert of it is what takes a code, so two instances on one
//     store never both take one, whatever else the backend makes atomic;
//   - a feature's claim (_id = the feature's id; see ClaimFeatures) names
//     the code given with it, inserted after the code's document;
//   - a feature claimed without a code (before 2026-12, or by a caller
//     that gave none) gets it later by a link (_id = "of:" + the feature)
//     that names its code.
//
// A feature asked for a code again (a replayed create, a migration run
// twice, two instances migrating at once) keeps the one its claim or its
// link names: both are inserted once. Ids have no ':', so the three never
// meet, and in one collection a commit's codes and claims are one ordered
// insert: a create used to cost a command for its claim, its code and its
// link each (BenchmarkSingleWrites). Codes were kept in feature_codes and
// links in feature_code_of until 2026-12; Open moves them.
const (
	colLegacyCodes  = "feature_codes"
	colLegacyCodeOf = "feature_code_of"
	codeKeyStart    = "code:"
	linkKeyStart    = "of:"
)

type featureCodeDoc struct {
	ID      string `bson:"_id"` // codeKey(the code)
	Feature string `bson:"feature"`
	Village string `bson:"village"`
}

type featureLinkDoc struct {
	ID   string `bson:"_id"` // linkKey(the feature)
	Code string `bson:"code"`
}

func codeKey(code string) string         { return codeKeyStart + code }
func linkKey(feature string) string      { return linkKeyStart + feature }
func (s *Store) keys() *mongo.Collection { return s.db.Collection(colFeatureIDs) }

// FeatureCode gives feature id of village a code with prefix short, or
// answers the one it has.
func (s *Store) FeatureCode(ctx context.Context, village, short, id string) (string, error) {
	if code, err := s.codeOf(ctx, id); code != "" || err != nil {
		return code, err
	}
	code, err := s.takeCode(ctx, village, short, id)
	if err != nil {
		return "", err
	}
	col := s.keys()
	_, err = col.InsertOne(ctx, featureLinkDoc{ID: linkKey(id), Code: code})
	if mongo.IsDuplicateKeyError(err) {
		// Another writer gave the feature its code first: that one
		// stands, and the code taken here is given back.
		var have featureLinkDoc
		if err := col.FindOne(ctx, bson.M{"_id": linkKey(id)}).Decode(&have); err != nil {
			return "", err
		}
		if have.Code != code {
			s.giveBack(ctx, code)
		}
		return have.Code, nil
	}
	return code, err
}

// codeOf answers the code feature id has, by its claim or its link, or "".
func (s *Store) codeOf(ctx context.Context, id string) (string, error) {
	ref, err := s.FeatureRef(ctx, id)
	if err == nil && ref.Code != "" {
		return ref.Code, nil
	}
	if err != nil && cunjie.ErrorCode(err) != cunjie.ENOTFOUND {
		return "", err
	}
	var have featureLinkDoc
	err = s.keys().FindOne(ctx, bson.M{"_id": linkKey(id)}).Decode(&have)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil
	}
	return have.Code, err
}

// FeatureCodes gives each of ids (features of village) a code with prefix
// short, or answers the one it has, in order: the codes of features
// claimed without one (see ClaimFeatures). A feature whose claim names a
// code keeps it.
func (s *Store) FeatureCodes(ctx context.Context, village, short string, ids []string) ([]string, error) {
	codes := make([]string, len(ids))
	var need []string
	var at []int
	for i, id := range ids {
		ref, err := s.FeatureRef(ctx, id)
		if err != nil && cunjie.ErrorCode(err) != cunjie.ENOTFOUND {
			return nil, err
		}
		if codes[i] = ref.Code; codes[i] == "" {
			need, at = append(need, id), append(at, i)
		}
	}
	_, got, err := s.insertKeys(ctx, village, short, need, nil)
	if err != nil {
		return nil, err
	}
	for k, i := range at {
		codes[i] = got[k]
	}
	return codes, nil
}

// ClaimFeatures records new features' ids with their village and creating
// ops and, if short is not empty, gives each it claims a code with that
// prefix, all in one command. The answer has one entry per id: nil, or
// the existing FeatureRef when the id is taken (and then the code its
// claim names, if any, and if it was this op's).
func (s *Store) ClaimFeatures(ctx context.Context, village, short string, ids, ops []string) ([]*FeatureRef, []string, error) {
	return s.insertKeys(ctx, village, short, ids, ops)
}

// insertKeys claims ids (if ops is not nil) and gives them codes (if short
// is not empty). The serials are reserved in memory (on a shared store
// with one increment, one more command) and everything inserted as one
// ordered insert (in commands of orderedBatch): the codes' documents,
// then the claims naming them (or, without claims, the links). A phone's
// backlog of hundreds of bins, or the demo, would otherwise take commands
// by the feature. Each kind's keys go together, so that a batch changes
// fewer of the index's pages (interleaved, BenchmarkIngest made
// 2690-2876 features/s; kind by kind, 3117-3273). Where the insert stops
// on a duplicate it goes on after that document: a taken id gives its
// code back and is answered as taken; a code taken meanwhile sends the
// feature the one-by-one way (takeCode); a link already there (a feature
// that had a code) gives the code back and answers the one it had.
func (s *Store) insertKeys(ctx context.Context, village, short string, ids, ops []string) ([]*FeatureRef, []string, error) {
	taken := make([]*FeatureRef, len(ids))
	codes := make([]string, len(ids))
	claim, code := ops != nil, short != ""
	if len(ids) == 0 || !claim && !code {
		return taken, codes, nil
	}
	if claim {
		// A replay on this instance is known to be taken without a
		// command, and takes no serial.
		for i, id := range ids {
			if ref, ok := s.refs.get(id); ok {
				taken[i], codes[i] = &ref, ownCode(ref, ops[i])
			}
		}
	}
	var first int64
	if code {
		n := int64(len(ids))
		for i := range ids {
			if taken[i] != nil {
				n--
			}
		}
		if n > 0 {
			last, err := s.reserveSerials(ctx, village, short, n)
			if err != nil {
				return nil, nil, err
			}
			first = last - n + 1
		}
	}
	var codeDocs, named []any // the codes', then the claims' or links'
	var coded, claimed []int  // their features' indexes in ids
	for i, id := range ids {
		if taken[i] != nil {
			continue
		}
		if code {
			codes[i] = codeText(short, first)
			first++
			codeDocs, coded = append(codeDocs, featureCodeDoc{ID: codeKey(codes[i]), Feature: id, Village: village}), append(coded, i)
		}
		if claim {
			named, claimed = append(named, featureIDDoc{ID: id, Village: village, Op: ops[i], Code: codes[i]}), append(claimed, i)
		} else {
			named, claimed = append(named, featureLinkDoc{ID: linkKey(id), Code: codes[i]}), append(claimed, i)
		}
	}
	docs, owner := slices.Concat(codeDocs, named), slices.Concat(coded, claimed)
	col := s.keys()
	for from := 0; from < len(docs); {
		chunk := docs[from:min(from+orderedBatch, len(docs))]
		stop, err := insertOrdered(ctx, col, chunk)
		if err != nil {
			return nil, nil, err
		}
		if stop < 0 {
			from += len(chunk)
			continue
		}
		at := from + stop
		i := owner[at]
		switch doc := docs[at].(type) {
		case featureCodeDoc:
			// The code is another's: the feature takes one the slow way,
			// which its claim or link, still to come, names.
			if codes[i], err = s.takeCode(ctx, village, short, ids[i]); err != nil {
				return nil, nil, err
			}
			for k := at + 1; k < len(docs); k++ {
				if owner[k] != i {
					continue
				}
				switch d := docs[k].(type) {
				case featureIDDoc:
					d.Code = codes[i]
					docs[k] = d
				case featureLinkDoc:
					d.Code = codes[i]
					docs[k] = d
				}
			}
		case featureIDDoc:
			// The id is taken: the code is given back.
			ref, err := s.FeatureRef(ctx, doc.ID)
			if err != nil {
				return nil, nil, err
			}
			s.giveBack(ctx, doc.Code)
			taken[i], codes[i] = &ref, ownCode(ref, ops[i])
		case featureLinkDoc:
			// The feature had a code: that one stands.
			s.giveBack(ctx, doc.Code)
			if codes[i], err = s.codeOf(ctx, ids[i]); err != nil {
				return nil, nil, err
			}
		}
		from = at + 1
	}
	if claim {
		for i, id := range ids {
			if taken[i] == nil {
				s.refs.put(id, FeatureRef{Village: village, CreateOp: ops[i], Code: codes[i]})
			}
		}
	}
	return taken, codes, nil
}

// ownCode is the code of a claim taken, if op made it: a replay keeps it.
func ownCode(ref FeatureRef, op string) string {
	if ref.CreateOp == op {
		return ref.Code
	}
	return ""
}

// giveBack frees a code taken for a feature that did not keep it. A code
// not given back (the command failing) is a gap in the serials and leads
// to a feature with another code: FindCode users check the feature's.
func (s *Store) giveBack(ctx context.Context, code string) {
	if code != "" {
		_, _ = s.keys().DeleteOne(ctx, bson.M{"_id": codeKey(code)})
	}
}

// orderedBatch bounds the documents of an ordered insert. The embedded
// FerretDB (1.24) inserts a command's documents in batches of 100 and,
// ordered, stops at a duplicate only within its batch: the next batch is
// inserted all the same (handler/msg_insert.go). Each batch is a
// transaction of its own anyway, so commands of 100 cost little more.
const orderedBatch = 100

// insertOrdered inserts docs (at most orderedBatch) in order until one's
// key is taken, and answers its index, or -1 when all were inserted; any
// other failure is an error.
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

// moveLegacyCodes moves the codes kept in feature_codes and the links kept
// in feature_code_of (before 2026-12) into feature_ids, then drops those.
// Run at every open, it costs one listing once done; run by two instances
// at once, each inserts what the other has not, and both drop.
func (s *Store) moveLegacyCodes(ctx context.Context) error {
	names, err := s.db.ListCollectionNames(ctx, bson.M{"name": bson.M{"$in": []string{colLegacyCodes, colLegacyCodeOf}}})
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := s.moveLegacy(ctx, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// moveLegacy copies one of the legacy collections into feature_ids, 1,000
// documents a command, and drops it.
func (s *Store) moveLegacy(ctx context.Context, name string) error {
	legacy := s.db.Collection(name)
	cur, err := legacy.Find(ctx, bson.M{})
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	var batch []any
	flush := func() error {
		_, err := insertManyDups(ctx, s.keys(), batch)
		batch = batch[:0]
		return err
	}
	for cur.Next(ctx) {
		var d struct {
			ID      string `bson:"_id"`
			Feature string `bson:"feature"`
			Village string `bson:"village"`
			Code    string `bson:"code"`
		}
		if err := cur.Decode(&d); err != nil {
			return err
		}
		switch {
		case name == colLegacyCodeOf: // _id is the feature
			batch = append(batch, featureLinkDoc{ID: linkKey(d.ID), Code: d.Code})
		case strings.HasPrefix(d.ID, linkKeyStart): // a link kept with the codes for a while
			batch = append(batch, featureLinkDoc{ID: d.ID, Code: d.Code})
		default: // _id is the code
			batch = append(batch, featureCodeDoc{ID: codeKey(d.ID), Feature: d.Feature, Village: d.Village})
		}
		if len(batch) == 1000 {
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
	col := s.keys()
	for range 100000 {
		n, err := s.reserveSerials(ctx, village, short, 1)
		if err != nil {
			return "", err
		}
		code := codeText(short, n)
		_, err = col.InsertOne(ctx, featureCodeDoc{ID: codeKey(code), Feature: id, Village: village})
		if err == nil {
			return code, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return "", err
		}
		// Taken: by this very feature in an attempt that failed after the
		// insert, or by another.
		if ref, err := s.FindCode(ctx, code); err == nil && ref.Feature == id {
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
	if err := s.keys().FindOne(ctx, bson.M{"_id": codeKey(code)}).Decode(&d); err != nil {
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
