package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cunjie/cunjie"
)

type villageDoc struct {
	Code string `bson:"_id"`
	Name string `bson:"name"`
	Town string `bson:"town"`
	// Boundary is a GeoJSON geometry as a string: the embedded backend
	// refuses the nested arrays of a Polygon's coordinates.
	Boundary string    `bson:"boundary"`
	Updated  time.Time `bson:"updated"`
}

func (d *villageDoc) toDomain() *cunjie.Village {
	return &cunjie.Village{Code: d.Code, Name: d.Name, Town: d.Town, Boundary: []byte(d.Boundary)}
}

// PutVillages creates or updates villages by code.
// The caller validates every village first, so a bad import stores nothing.
func (s *Store) PutVillages(ctx context.Context, vs []*cunjie.Village) error {
	now := time.Now().UTC()
	col := s.db.Collection(colVillages)
	codes := make([]string, len(vs))
	for i, v := range vs {
		_, err := col.UpdateOne(ctx, bson.M{"_id": v.Code}, bson.M{
			"$set": bson.M{"name": v.Name, "town": v.Town, "boundary": string(v.Boundary), "updated": now},
		}, options.UpdateOne().SetUpsert(true))
		if err != nil {
			return err
		}
		codes[i] = v.Code
	}
	return s.prepareVillages(ctx, codes)
}

// Villages lists every village, by code.
func (s *Store) Villages(ctx context.Context) ([]*cunjie.Village, error) {
	cur, err := s.db.Collection(colVillages).Find(ctx, bson.M{}, options.Find().SetSort(bson.M{"_id": 1}))
	if err != nil {
		return nil, err
	}
	var docs []villageDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]*cunjie.Village, len(docs))
	for i := range docs {
		out[i] = docs[i].toDomain()
	}
	return out, nil
}

// Village returns one village. Returns ENOTFOUND.
func (s *Store) Village(ctx context.Context, code string) (*cunjie.Village, error) {
	var d villageDoc
	if err := s.db.Collection(colVillages).FindOne(ctx, bson.M{"_id": code}).Decode(&d); err != nil {
		return nil, notFound(err, "village")
	}
	return d.toDomain(), nil
}
