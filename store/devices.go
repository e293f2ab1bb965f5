package store

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// colDevices holds, per user and phone, what the phone said on its last
// sync; colSeen, per user, when the server last heard from them at all.
const (
	colDevices = "devices"
	colSeen    = "user_seen"
)

// Device is what the server last heard from one phone of one user.
type Device struct {
	User       string    `bson:"user" json:"user"`
	Device     string    `bson:"device" json:"device"`
	LastSyncAt time.Time `bson:"lastSyncAt" json:"lastSyncAt"`
	AppVersion string    `bson:"appVersion" json:"appVersion"`
	// OpsSent is the number of ops in that last sync; PendingOps and
	// RejectedOps what the phone's outbox still held, as it said.
	OpsSent     int `bson:"opsSent" json:"opsSent"`
	PendingOps  int `bson:"pendingOps" json:"pendingOps"`
	RejectedOps int `bson:"rejectedOps" json:"rejectedOps"`
}

// RecordSync keeps a phone's report of a sync, keyed by user and device.
// It sets the fields (never adds to them), so a retried sync leaves the
// same record; a report older than the one kept (a batch that arrived
// late) changes nothing. Both commands go by _id alone: a filter on a
// second field is not passed down to SQLite by the embedded store, which
// then reads and decodes every phone's record (10 ms a sync with 200
// phones in the soak, a quarter of the server's time at 40 syncs a
// second). Two reports of one phone at the same moment may leave either.
func (s *Store) RecordSync(ctx context.Context, d Device) error {
	d.LastSyncAt = d.LastSyncAt.UTC().Truncate(time.Millisecond)
	id := d.User + "/" + d.Device
	col := s.db.Collection(colDevices)
	for try := 0; ; try++ {
		var have Device
		err := col.FindOne(ctx, bson.M{"_id": id}).Decode(&have)
		if err == nil && have.LastSyncAt.After(d.LastSyncAt) {
			return nil
		}
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return err
		}
		_, err = col.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": d}, options.UpdateOne().SetUpsert(true))
		// Two first reports of a phone at once (two instances, or two
		// requests of one) both upsert, and the backend may insert both:
		// the loser finds the record there when it tries again.
		if try == 0 && mongo.IsDuplicateKeyError(err) {
			continue
		}
		return err
	}
}

// Devices lists every phone's last report, newest sync first.
func (s *Store) Devices(ctx context.Context) ([]Device, error) {
	return s.devices(ctx, bson.M{})
}

// UserDevices lists one user's phones, newest sync first.
func (s *Store) UserDevices(ctx context.Context, user string) ([]Device, error) {
	return s.devices(ctx, bson.M{"user": user})
}

func (s *Store) devices(ctx context.Context, filter bson.M) ([]Device, error) {
	cur, err := s.db.Collection(colDevices).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "lastSyncAt", Value: -1}}))
	if err != nil {
		return nil, err
	}
	out := []Device{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Seen records that user was heard from at t; a later time is kept.
func (s *Store) Seen(ctx context.Context, user string, t time.Time) error {
	t = t.UTC().Truncate(time.Millisecond)
	_, err := s.db.Collection(colSeen).UpdateOne(ctx, bson.M{"_id": user},
		bson.M{"$max": bson.M{"at": t}}, options.UpdateOne().SetUpsert(true))
	return err
}

// LastSeen returns when each user was last heard from, by user id.
func (s *Store) LastSeen(ctx context.Context) (map[string]time.Time, error) {
	cur, err := s.db.Collection(colSeen).Find(ctx, bson.M{})
	if err != nil {
		return nil, err
	}
	var docs []struct {
		ID string    `bson:"_id"`
		At time.Time `bson:"at"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(docs))
	for _, d := range docs {
		out[d.ID] = d.At
	}
	return out, nil
}
