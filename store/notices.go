package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// colNotices holds each month's editable text of the monthly notice.
const colNotices = "notice_texts"

// NoticeText is the office's "requirements for next month" paragraph of a
// month's notice.
type NoticeText struct {
	Month        string    `bson:"_id" json:"month"`
	Requirements string    `bson:"requirements" json:"requirements"`
	By           string    `bson:"by" json:"by"`
	At           time.Time `bson:"at" json:"at"`
}

// NoticeText returns a month's text, or nil when none was written.
func (s *Store) NoticeText(ctx context.Context, month string) (*NoticeText, error) {
	var t NoticeText
	err := s.db.Collection(colNotices).FindOne(ctx, bson.M{"_id": month}).Decode(&t)
	if err == mongo.ErrNoDocuments {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// PutNoticeText sets a month's text (the same text again changes nothing
// but who and when).
func (s *Store) PutNoticeText(ctx context.Context, t *NoticeText) error {
	t.At = t.At.UTC().Truncate(time.Millisecond)
	_, err := s.db.Collection(colNotices).ReplaceOne(ctx, bson.M{"_id": t.Month}, t, options.Replace().SetUpsert(true))
	return err
}
