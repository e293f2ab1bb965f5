package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
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

// colVersionClaims fences the versioned documents of a shared store.
const colVersionClaims = "version_claims"

// replaceVersion stores doc, whose version is base+1, over document id of
// col while that is at version base, and says whether it did.
//
// On the embedded store the caller holds docLocks, and one process
// writes: a replace by _id is enough (see casFilter). On a shared store
// several instances may replace at once, and FerretDB's filtered replace
// is a read then a write: two may both match. So the next version is
// first claimed, with its content, by a unique insert into
// version_claims ("<collection>/<id>@<version>"): one writer takes each
// version, and the replace that follows has no rival. A writer that finds
// the version claimed stores the claim's content itself, in case its
// claimant stopped before it did (the same content, written twice, is
// written once), and reads again.
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
	claims := s.db.Collection(colVersionClaims)
	claimID := func(v int64) string { return fmt.Sprintf("%s/%s@%d", col.Name(), id, v) }
	filter := bson.D{{Key: "_id", Value: id}, {Key: "version", Value: base}}
	_, err = claims.InsertOne(ctx, bson.M{"_id": claimID(base + 1), "doc": raw})
	if mongo.IsDuplicateKeyError(err) {
		var c struct {
			Doc []byte `bson:"doc"`
		}
		if err := claims.FindOne(ctx, bson.M{"_id": claimID(base + 1)}).Decode(&c); err != nil {
			return false, err
		}
		if _, err := col.ReplaceOne(ctx, filter, bson.Raw(c.Doc)); err != nil {
			return false, err
		}
		// Writers that lost fall out of step before they read again.
		time.Sleep(time.Duration(rand.Int64N(int64(5 * time.Millisecond))))
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := col.ReplaceOne(ctx, filter, bson.Raw(raw)); err != nil {
		return false, err // claimed: the next writer stores it
	}
	// The claim of the version before is not needed any more: the
	// document has moved past it.
	_, _ = claims.DeleteOne(ctx, bson.M{"_id": claimID(base)})
	return true, nil
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
