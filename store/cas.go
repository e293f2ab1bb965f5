package store

import (
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
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
