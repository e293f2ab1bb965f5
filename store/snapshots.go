package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cunjie/cunjie"
)

// A snapshot is a village's features written as a few large documents,
// tagged with the village's rev. Reading 2,000 features one document at a
// time through the embedded backend costs about a third of a second; a
// snapshot whose rev still matches is read in a few milliseconds, so a
// restarted server is ready in seconds rather than minutes. A stale
// snapshot (a write after it, a kill -9) is simply not used.
const (
	colSnapshots = "village_snapshots"
	// snapshotPart bounds one document well under the 16 MB limit.
	snapshotPart = 4000
)

type snapshotDoc struct {
	ID      string `bson:"_id"` // "<village>/<part>"
	Village string `bson:"village"`
	Rev     int64  `bson:"rev"`
	Parts   int    `bson:"parts"`
	// Items is the BSON of a snapshotItems, kept opaque: the embedded
	// backend converts every structured value to and from JSON, which for
	// thousands of nested documents costs as much as reading them one by
	// one; a binary field passes through as one string.
	Items []byte `bson:"items"`
}

type snapshotItems struct {
	Items []featureDoc `bson:"items"`
}

// SaveSnapshot stores fs as village's snapshot at rev. Parts are written
// head last: the head names the part count and rev, and a reader checks
// every part's rev, so a half-written snapshot is never taken as whole.
func (s *Store) SaveSnapshot(ctx context.Context, village string, rev int64, fs []*cunjie.Feature) error {
	parts := max(1, (len(fs)+snapshotPart-1)/snapshotPart)
	col := s.db.Collection(colSnapshots)
	for p := parts - 1; p >= 0; p-- {
		data, err := marshalSnapshotItems(fs[min(p*snapshotPart, len(fs)):min((p+1)*snapshotPart, len(fs))])
		if err != nil {
			return err
		}
		d := snapshotDoc{ID: fmt.Sprintf("%s/%d", village, p), Village: village, Rev: rev, Parts: parts, Items: data}
		if _, err := col.ReplaceOne(ctx, bson.M{"_id": d.ID}, d, replaceUpsert); err != nil {
			return err
		}
	}
	return nil
}

// LoadSnapshot returns village's snapshot if it was taken at rev.
func (s *Store) LoadSnapshot(ctx context.Context, village string, rev int64) ([]*cunjie.Feature, bool, error) {
	col := s.db.Collection(colSnapshots)
	var out []*cunjie.Feature
	parts := 1
	for p := 0; p < parts; p++ {
		var d snapshotDoc
		err := col.FindOne(ctx, bson.M{"_id": fmt.Sprintf("%s/%d", village, p)}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if d.Rev != rev || (p > 0 && d.Parts != parts) {
			return nil, false, nil
		}
		parts = d.Parts
		var items snapshotItems
		if err := bson.Unmarshal(d.Items, &items); err != nil {
			return nil, false, err
		}
		for i := range items.Items {
			out = append(out, items.Items[i].toDomain())
		}
	}
	return out, true, nil
}

var replaceUpsert = options.Replace().SetUpsert(true)

func marshalSnapshotItems(fs []*cunjie.Feature) ([]byte, error) {
	var items snapshotItems
	for _, f := range fs {
		items.Items = append(items.Items, featureToDoc(f))
	}
	return bson.Marshal(items)
}
