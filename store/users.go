package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/crypto/bcrypt"

	"github.com/cunjie/cunjie"
)

type userDoc struct {
	ID           string    `bson:"_id"`
	Username     string    `bson:"username"`
	Name         string    `bson:"name"`
	Role         string    `bson:"role"`
	Villages     []string  `bson:"villages"`
	PasswordHash []byte    `bson:"passwordHash"`
	Disabled     bool      `bson:"disabled"`
	Created      time.Time `bson:"created"`
}

func (d *userDoc) toDomain() *cunjie.User {
	v := d.Villages
	if v == nil {
		v = []string{}
	}
	return &cunjie.User{ID: d.ID, Username: d.Username, Name: d.Name, Role: cunjie.Role(d.Role),
		Villages: v, Disabled: d.Disabled, Created: d.Created}
}

// NewID returns a random 128-bit id as 32 hex characters.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// CreateUser stores a new user with a bcrypt hash of password.
// Returns EINVALID for a bad user and ECONFLICT when the username is taken.
func (s *Store) CreateUser(ctx context.Context, u *cunjie.User, password string) error {
	if err := cunjie.ValidateUser(u, password, true); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	if u.ID == "" {
		u.ID = NewID()
	}
	u.Created = time.Now().UTC().Truncate(time.Millisecond)
	if u.Villages == nil {
		u.Villages = []string{}
	}
	d := userDoc{ID: u.ID, Username: u.Username, Name: u.Name, Role: string(u.Role), Villages: u.Villages,
		PasswordHash: hash, Disabled: u.Disabled, Created: u.Created}
	if _, err := s.db.Collection(colUsers).InsertOne(ctx, d); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return cunjie.Invalid("username", "%q is taken", u.Username).WithCode(cunjie.ECONFLICT)
		}
		return err
	}
	return nil
}

// UserUpdate holds the fields an admin changes; nil means "leave as is".
type UserUpdate struct {
	Name     *string
	Role     *cunjie.Role
	Villages *[]string
	Disabled *bool
	Password *string
}

// UpdateUser applies upd to user id. Disabling a user or changing the
// password ends their sessions. Returns ENOTFOUND, EINVALID.
func (s *Store) UpdateUser(ctx context.Context, id string, upd UserUpdate) (*cunjie.User, error) {
	u, err := s.User(ctx, id)
	if err != nil {
		return nil, err
	}
	set := bson.M{}
	if upd.Name != nil {
		u.Name = *upd.Name
		set["name"] = u.Name
	}
	if upd.Role != nil {
		u.Role = *upd.Role
		set["role"] = string(u.Role)
	}
	if upd.Villages != nil {
		u.Villages = *upd.Villages
		set["villages"] = u.Villages
	}
	if upd.Disabled != nil {
		u.Disabled = *upd.Disabled
		set["disabled"] = u.Disabled
	}
	pw := ""
	if upd.Password != nil {
		pw = *upd.Password
		if pw == "" {
			return nil, cunjie.Invalid("password", "must not be empty")
		}
	}
	if err := cunjie.ValidateUser(u, pw, false); err != nil {
		return nil, err
	}
	if pw != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
		if err != nil {
			return nil, err
		}
		set["passwordHash"] = hash
	}
	if len(set) > 0 {
		if _, err := s.db.Collection(colUsers).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": set}); err != nil {
			return nil, err
		}
	}
	if u.Disabled || pw != "" || upd.Role != nil || upd.Villages != nil {
		// Sessions carry no copy of the user, but ending them makes a
		// changed person log in again and see their new rights.
		if _, err := s.db.Collection(colSessions).DeleteMany(ctx, bson.M{"user": id}); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// User returns one user. Returns ENOTFOUND.
func (s *Store) User(ctx context.Context, id string) (*cunjie.User, error) {
	var d userDoc
	if err := s.db.Collection(colUsers).FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		return nil, notFound(err, "user")
	}
	return d.toDomain(), nil
}

// Users lists every user, by username.
func (s *Store) Users(ctx context.Context) ([]*cunjie.User, error) {
	cur, err := s.db.Collection(colUsers).Find(ctx, bson.M{}, options.Find().SetSort(bson.M{"username": 1}))
	if err != nil {
		return nil, err
	}
	var docs []userDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]*cunjie.User, len(docs))
	for i := range docs {
		out[i] = docs[i].toDomain()
	}
	return out, nil
}

// CountUsers counts users, to know whether the first admin must be made.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	return s.db.Collection(colUsers).CountDocuments(ctx, bson.M{})
}

// dummyHash is compared against when a username does not exist, so that a
// wrong username takes as long as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)

// Authenticate checks a username and password. Returns EUNAUTHORIZED for
// any mismatch or a disabled user, without saying which.
func (s *Store) Authenticate(ctx context.Context, username, password string) (*cunjie.User, error) {
	var d userDoc
	err := s.db.Collection(colUsers).FindOne(ctx, bson.M{"username": username}).Decode(&d)
	if err != nil && err != mongo.ErrNoDocuments {
		return nil, err
	}
	hash := d.PasswordHash
	if err != nil {
		hash = dummyHash
	}
	// No stored password is longer than cunjie.MaxPasswordBytes; a longer
	// one must not match on its first 72 bytes, which is all bcrypt reads.
	tooLong := len(password) > cunjie.MaxPasswordBytes
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || err != nil || d.Disabled || tooLong {
		return nil, cunjie.Errorf(cunjie.EUNAUTHORIZED, "wrong username or password")
	}
	return d.toDomain(), nil
}

// SessionTTL is how long a session lives without use; each use extends it.
const SessionTTL = 30 * 24 * time.Hour

type sessionDoc struct {
	ID      string    `bson:"_id"` // sha256 of the token: a leaked database holds no usable token
	User    string    `bson:"user"`
	Created time.Time `bson:"created"`
	Expires time.Time `bson:"expires"`
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateSession returns a new opaque token for user id.
func (s *Store) CreateSession(ctx context.Context, userID string, now time.Time) (string, error) {
	var b [32]byte
	rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	d := sessionDoc{ID: tokenHash(token), User: userID, Created: now, Expires: now.Add(SessionTTL)}
	if _, err := s.db.Collection(colSessions).InsertOne(ctx, d); err != nil {
		return "", err
	}
	return token, nil
}

// sessionRefresh bounds how often a session's expiry is written: sliding by
// a day at a time is plenty for 30 days, and spares a write per request.
const sessionRefresh = 24 * time.Hour

// SessionUser returns the user of a valid token and slides its expiry.
// Returns EUNAUTHORIZED for an unknown, expired or revoked token or a
// disabled user.
func (s *Store) SessionUser(ctx context.Context, token string, now time.Time) (*cunjie.User, error) {
	unauth := cunjie.Errorf(cunjie.EUNAUTHORIZED, "not logged in or session expired")
	if token == "" || len(token) > 200 {
		return nil, unauth
	}
	var d sessionDoc
	col := s.db.Collection(colSessions)
	if err := col.FindOne(ctx, bson.M{"_id": tokenHash(token)}).Decode(&d); err != nil {
		if err == mongo.ErrNoDocuments {
			return nil, unauth
		}
		return nil, err
	}
	if !now.Before(d.Expires) {
		col.DeleteOne(ctx, bson.M{"_id": d.ID})
		return nil, unauth
	}
	u, err := s.User(ctx, d.User)
	if err != nil {
		if cunjie.ErrorCode(err) == cunjie.ENOTFOUND {
			return nil, unauth
		}
		return nil, err
	}
	if u.Disabled {
		return nil, unauth
	}
	if d.Expires.Sub(now) < SessionTTL-sessionRefresh {
		if _, err := col.UpdateOne(ctx, bson.M{"_id": d.ID}, bson.M{"$set": bson.M{"expires": now.Add(SessionTTL)}}); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// DeleteSession ends the session of token (logout).
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	_, err := s.db.Collection(colSessions).DeleteOne(ctx, bson.M{"_id": tokenHash(token)})
	return err
}

// SetSessionExpiry moves a token's expiry (used by tests of expiry).
func (s *Store) SetSessionExpiry(ctx context.Context, token string, t time.Time) error {
	_, err := s.db.Collection(colSessions).UpdateOne(ctx, bson.M{"_id": tokenHash(token)}, bson.M{"$set": bson.M{"expires": t}})
	return err
}
