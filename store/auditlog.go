package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// colAuditLog records acts that are not writes to a feature but must be
// answerable later: who exported what, when. (Feature writes are audited in
// each feature's history.)
const colAuditLog = "audit_log"

// AuditLog is one recorded act.
type AuditLog struct {
	ID     string    `bson:"_id" json:"id"`
	At     time.Time `bson:"at" json:"at"`
	User   string    `bson:"user" json:"user"`
	Role   string    `bson:"role" json:"role"`
	Action string    `bson:"action" json:"action"`
	Detail string    `bson:"detail" json:"detail"`
	IP     string    `bson:"ip" json:"ip"`
}

// AddAuditLog stores an entry. Its id starts with the time, so ids sort in
// time order.
func (s *Store) AddAuditLog(ctx context.Context, e AuditLog) error {
	e.At = e.At.UTC().Truncate(time.Millisecond)
	e.ID = fmt.Sprintf("%s-%s", e.At.Format("20060102T150405.000"), NewID()[:8])
	_, err := s.db.Collection(colAuditLog).InsertOne(ctx, e)
	return err
}

// AuditLogs returns the latest entries, newest first. It reads the whole
// collection on the embedded store: this is an admin's occasional look.
func (s *Store) AuditLogs(ctx context.Context, limit int) ([]AuditLog, error) {
	cur, err := s.db.Collection(colAuditLog).Find(ctx, bson.M{},
		options.Find().SetSort(bson.M{"_id": -1}).SetLimit(int64(limit)))
	if err != nil {
		return nil, err
	}
	out := []AuditLog{}
	return out, cur.All(ctx, &out)
}
