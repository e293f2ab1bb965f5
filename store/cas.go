package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// docLocks serialise the read-modify-write of one document within this
// process. The embedded backend does not make a filtered replace atomic:
// two concurrent replaces on {_id, version} can both match, so the
// compare-and-set alone guards only against other processes on a real
// MongoDB. The embedded store has a single process (its data directory is
// locked), so the two together keep every write.
var docLocks = keyLocks{m: map[string]*keyLock{}}

// casFilter selects document id if its field still has value (usually
// "version"). The embedded backend pushes a filter down to SQLite only
// when it is {_id} alone; with the field beside it, it reads and decodes
// the whole collection. There docLocks (or the village lock) make the
// check unneeded (one process), so it is left out; a real MongoDB finds
// the document by _id either way.
func (s *Store) casFilter(id, field string, value any) any {
	if s.embedded {
		return bson.M{"_id": id}
	}
	return bson.D{{Key: "_id", Value: id}, {Key: field, Value: value}}
}

// colVersionClaims holds the versions of the versioned documents of a
// shared store (village months, problems, problem lists, template heads).
const colVersionClaims = "version_claims"

// replaceVersion stores doc, whose version is base+1, over document id of
// col while that is at version base, and says whether it did.
//
// On the embedded store the caller holds docLocks, and one process
// writes: a replace by _id is enough (see casFilter). On a shared store
// several instances may write at once, and FerretDB's filtered replace is
// a read, a check in Go and a write by _id: a replace that matched a
// version may land after the next version was written, and undo it. So
// there a version is committed by a unique insert of its content into
// version_claims ("<collection>/<id>@<version>"): one writer takes each
// version, and versions are never written over. The document itself is
// a copy that may lag (or, on FerretDB, even fall back); readers go from
// it along the claims to the latest version (current).
func (s *Store) replaceVersion(ctx context.Context, col *mongo.Collection, id string, base int64, doc any) (bool, error) {
	raw, err := bson.Marshal(doc)
	if err != nil {
		return false, err
	}
	if v, ok := bson.Raw(raw).Lookup("version").AsInt64OK(); !ok || v != base+1 {
		return false, fmt.Errorf("store: %s/%s replaced at version %d with a document at version %d", col.Name(), id, base, v)
	}
	if s.embedded {
		res, err := col.ReplaceOne(ctx, bson.M{"_id": id}, bson.Raw(raw))
		return err == nil && res.MatchedCount == 1, err
	}
	_, err = s.db.Collection(colVersionClaims).InsertOne(ctx, bson.M{"_id": claimID(col, id, base+1), "of": col.Name() + "/" + id, "doc": bson.Raw(raw)})
	if mongo.IsDuplicateKeyError(err) {
		// Writers that lost fall out of step before they read again.
		time.Sleep(time.Duration(rand.Int64N(int64(5 * time.Millisecond))))
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// Committed. The copy is brought forward for readers' sake; if this
	// fails, they find the version among the claims.
	if _, err := col.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: bson.M{"$lt": base + 1}}}, bson.Raw(raw)); err != nil {
		s.log.Warn("versioned copy not brought forward", "collection", col.Name(), "id", id, "err", err)
	}
	return true, nil
}

func claimID(col *mongo.Collection, id string, version int64) string {
	return fmt.Sprintf("%s/%s@%d", col.Name(), id, version)
}

// findVersioned decodes the latest version of document id of col into
// out (see replaceVersion). Returns mongo.ErrNoDocuments as FindOne.
func (s *Store) findVersioned(ctx context.Context, col *mongo.Collection, id string, out any) error {
	raw, err := col.FindOne(ctx, bson.M{"_id": id}).Raw()
	if err != nil {
		return err
	}
	if raw, err = s.current(ctx, col, id, raw); err != nil {
		return err
	}
	return bson.Unmarshal(raw, out)
}

// findAllVersioned reads the latest version of every document of col.
func findAllVersioned[T any](ctx context.Context, s *Store, col *mongo.Collection, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := col.Find(ctx, bson.M{}, opts...)
	if err != nil {
		return nil, err
	}
	var raws []bson.Raw
	if err := cur.All(ctx, &raws); err != nil {
		return nil, err
	}
	out := make([]T, len(raws))
	for i, raw := range raws {
		id, _ := raw.Lookup("_id").StringValueOK()
		if raw, err = s.current(ctx, col, id, raw); err != nil {
			return nil, err
		}
		if err := bson.Unmarshal(raw, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// current is raw, document id of col as read, brought forward along the
// claims of its later versions. On the embedded store there are none.
func (s *Store) current(ctx context.Context, col *mongo.Collection, id string, raw bson.Raw) (bson.Raw, error) {
	if s.embedded {
		return raw, nil
	}
	v, _ := raw.Lookup("version").AsInt64OK()
	claims := s.db.Collection(colVersionClaims)
	for {
		var c struct {
			Doc bson.RawValue `bson:"doc"`
		}
		err := claims.FindOne(ctx, bson.M{"_id": claimID(col, id, v+1)}).Decode(&c)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return raw, nil
		}
		if err != nil {
			return nil, err
		}
		doc, ok := c.Doc.DocumentOK()
		if _, data, isBin := c.Doc.BinaryOK(); isBin {
			doc, ok = data, true // a claim written before versions were kept whole
		}
		if !ok {
			return nil, fmt.Errorf("store: claim of %s/%s@%d holds no document", col.Name(), id, v+1)
		}
		raw, v = doc, v+1
	}
}

// dropVersions removes the versions of a document deleted for good, so
// that a document made later under its id does not inherit them.
func (s *Store) dropVersions(ctx context.Context, col *mongo.Collection, id string) error {
	if s.embedded {
		return nil
	}
	_, err := s.db.Collection(colVersionClaims).DeleteMany(ctx, bson.M{"of": col.Name() + "/" + id})
	return err
}

type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	users int
}

// lock takes the lock of key and returns its release.
func (k *keyLocks) lock(key string) (unlock func()) {
	k.mu.Lock()
	l := k.m[key]
	if l == nil {
		l = &keyLock{}
		k.m[key] = l
	}
	l.users++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.users--; l.users == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
