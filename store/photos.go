package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cunjie/cunjie"
)

// Photos are not kept in GridFS. The embedded FerretDB v1 on SQLite pushes
// down only _id equality filters, and GridFS reads a file's chunks with a
// filter on files_id: every read of one photo would scan the bytes of every
// photo. Instead each blob is one document found by _id:
//
//	photo_blobs    {_id: "<id>/full" | "<id>/thumb", sha256, data: binary}
//	photos         {_id: id, sha256, contentType, width, height, bytes, ...}
//	pending_photos {_id: photo id, village, by, features: [feature ids]}
//
// A photo is at most 8 MB (api.MaxPhotoBytes), well inside the 16 MB limit
// of a document. The metadata document is written last and is the commit
// point: a photo without it does not exist, whatever blobs are stored.
const (
	colPhotos        = "photos"
	colPhotoBlobs    = "photo_blobs"
	colPendingPhotos = "pending_photos"
)

// Photo is the metadata of a stored photo.
type Photo struct {
	ID, SHA256, ContentType string
	Width, Height           int
	Bytes                   int64
	UploadedBy              string // user id
	UploadedAt              time.Time
	// Village is set when the first feature or event naming the photo is
	// stored; until then only the uploader and staff may read the photo.
	Village string
}

type photoDoc struct {
	ID          string    `bson:"_id"`
	SHA256      string    `bson:"sha256"`
	ContentType string    `bson:"contentType"`
	Width       int       `bson:"width"`
	Height      int       `bson:"height"`
	Bytes       int64     `bson:"bytes"`
	ThumbBytes  int64     `bson:"thumbBytes"`
	UploadedBy  string    `bson:"uploadedBy"`
	UploadedAt  time.Time `bson:"uploadedAt"`
	Village     string    `bson:"village"`
}

func (d *photoDoc) toPhoto() *Photo {
	return &Photo{ID: d.ID, SHA256: d.SHA256, ContentType: d.ContentType, Width: d.Width, Height: d.Height,
		Bytes: d.Bytes, UploadedBy: d.UploadedBy, UploadedAt: d.UploadedAt.UTC(), Village: d.Village}
}

// blobDoc holds the bytes of a photo or of its thumbnail.
type blobDoc struct {
	ID     string `bson:"_id"`
	SHA256 string `bson:"sha256"`
	Data   []byte `bson:"data"`
}

// blobID names a blob by its photo and the sha256 of the full photo, so
// blobs are only ever inserted, never updated: the embedded backend serves
// an update by reading the whole collection (every stored photo), an insert
// by its unique index. Two uploads of other bytes under one id write other
// blobs; the metadata insert decides which one is the photo.
func blobID(photoID, sha string, thumb bool) string {
	if thumb {
		return photoID + "/" + sha + "/thumb"
	}
	return photoID + "/" + sha + "/full"
}

// PutPhoto stores a photo and its thumbnail; existed reports the same bytes
// were there already. ECONFLICT for other bytes under the id.
//
// p gives ID, ContentType, Width, Height, UploadedBy and UploadedAt (now if
// zero); PutPhoto sets SHA256 and Bytes from full. On return p holds what is
// stored, which for an existing photo is the first upload's metadata.
func (s *Store) PutPhoto(ctx context.Context, p *Photo, full, thumb []byte) (existed bool, err error) {
	if p.ID == "" {
		return false, cunjie.Invalid("id", "required")
	}
	if len(full) == 0 || len(thumb) == 0 {
		return false, cunjie.Invalid("body", "empty")
	}
	sum := sha256.Sum256(full)
	p.SHA256 = hex.EncodeToString(sum[:])
	p.Bytes = int64(len(full))
	if p.UploadedAt.IsZero() {
		p.UploadedAt = time.Now()
	}
	// BSON keeps milliseconds; truncating here makes p equal what is read back.
	p.UploadedAt = p.UploadedAt.UTC().Truncate(time.Millisecond)

	// A retry of an upload that completed (the phone lost the answer) ends
	// here, without rewriting megabytes. It also keeps a different upload
	// from overwriting the blobs of a stored photo.
	if old, err := s.Photo(ctx, p.ID); err == nil {
		return samePhoto(old, p)
	} else if cunjie.ErrorCode(err) != cunjie.ENOTFOUND {
		return false, err
	}

	// Insert the blobs. A duplicate key means these very bytes are there
	// already (a crashed attempt, or the same upload racing): nothing to do.
	blobs := s.db.Collection(colPhotoBlobs)
	for _, b := range []struct {
		thumb bool
		data  []byte
	}{{false, full}, {true, thumb}} {
		id := blobID(p.ID, p.SHA256, b.thumb)
		if _, err := blobs.InsertOne(ctx, blobDoc{ID: id, SHA256: p.SHA256, Data: b.data}); err != nil && !mongo.IsDuplicateKeyError(err) {
			return false, err
		}
	}

	// The commit point. A duplicate key here is a concurrent upload of the
	// same id that committed first.
	d := photoDoc{ID: p.ID, SHA256: p.SHA256, ContentType: p.ContentType, Width: p.Width, Height: p.Height,
		Bytes: p.Bytes, ThumbBytes: int64(len(thumb)), UploadedBy: p.UploadedBy, UploadedAt: p.UploadedAt,
		Village: p.Village}
	if _, err := s.db.Collection(colPhotos).InsertOne(ctx, d); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			old, err := s.Photo(ctx, p.ID)
			if err != nil {
				return false, err
			}
			return samePhoto(old, p)
		}
		return false, err
	}
	return false, nil
}

// samePhoto answers a write of p over the stored old: the same bytes are a
// replay, other bytes a conflict.
func samePhoto(old, p *Photo) (bool, error) {
	if old.SHA256 != p.SHA256 {
		return false, photoConflict(p.ID)
	}
	*p = *old
	return true, nil
}

func photoConflict(id string) error {
	return cunjie.Errorf(cunjie.ECONFLICT, "photo %s already exists with other content; a new photo needs a new id", id)
}

// Photo returns a photo's metadata. Returns ENOTFOUND.
func (s *Store) Photo(ctx context.Context, id string) (*Photo, error) {
	var d photoDoc
	if err := s.db.Collection(colPhotos).FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		return nil, notFound(err, "photo")
	}
	return d.toPhoto(), nil
}

// PhotoBytes returns the bytes of a photo or of its thumbnail. Returns
// ENOTFOUND. Blobs without metadata are the leftovers of an unfinished
// upload, not a photo: the metadata names the blobs.
func (s *Store) PhotoBytes(ctx context.Context, id string, thumb bool) ([]byte, error) {
	p, err := s.Photo(ctx, id)
	if err != nil {
		return nil, err
	}
	var d blobDoc
	if err := s.db.Collection(colPhotoBlobs).FindOne(ctx, bson.M{"_id": blobID(id, p.SHA256, thumb)}).Decode(&d); err != nil {
		return nil, notFound(err, "photo")
	}
	return d.Data, nil
}

// LinkPhotos records the village of photos a feature or event names (first
// link wins; photos not yet uploaded are skipped) and returns the ids not yet
// uploaded.
func (s *Store) LinkPhotos(ctx context.Context, village string, ids []string) (missing []string, err error) {
	col := s.db.Collection(colPhotos)
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		found, err := s.linkPhoto(ctx, col, id, village)
		if err != nil {
			return nil, err
		}
		if !found {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

// linkPhoto gives photo id its village unless it has one, and says whether
// the photo is there. One read by _id per photo: a filter on a list of ids
// would read the whole collection on the embedded backend.
func (s *Store) linkPhoto(ctx context.Context, col *mongo.Collection, id, village string) (bool, error) {
	defer docLocks.lock(colPhotos + "/" + id)()
	var d photoDoc
	err := col.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{"village": 1})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil || d.Village != "" || village == "" {
		return err == nil, err
	}
	// Conditional on the village still being empty, so that of two
	// features linking at once the first keeps it.
	_, err = col.UpdateOne(ctx, s.casFilter(id, "village", ""), bson.M{"$set": bson.M{"village": village}})
	return true, err
}

type pendingPhotoDoc struct {
	ID      string `bson:"_id"`
	Village string `bson:"village"`
	// By is the user id of whoever first named the photo: only they (or
	// staff) may upload it.
	By       string   `bson:"by"`
	Features []string `bson:"features"`
}

// AddPendingPhotos records that feature featureID of village, written by
// user by, waits for each of photoIDs, so the features can be found when
// a photo arrives.
func (s *Store) AddPendingPhotos(ctx context.Context, village, featureID, by string, photoIDs []string) error {
	col := s.db.Collection(colPendingPhotos)
	for _, id := range photoIDs {
		// $setOnInsert: the first village and person to name a photo
		// keep it, as in LinkPhotos.
		_, err := col.UpdateOne(ctx, bson.M{"_id": id}, bson.M{
			"$setOnInsert": bson.M{"village": village, "by": by},
			"$addToSet":    bson.M{"features": featureID},
		}, options.UpdateOne().SetUpsert(true))
		if err != nil {
			return err
		}
	}
	return nil
}

// PhotoAwaitedBy returns the user id of whoever first named photo id on a
// record while it was not uploaded yet; "" when no record waits for it.
func (s *Store) PhotoAwaitedBy(ctx context.Context, photoID string) (string, error) {
	var d pendingPhotoDoc
	err := s.db.Collection(colPendingPhotos).FindOne(ctx, bson.M{"_id": photoID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil
	}
	return d.By, err
}

// TakePendingPhoto returns and forgets the features waiting for a photo;
// empty when none wait.
func (s *Store) TakePendingPhoto(ctx context.Context, photoID string) (village string, featureIDs []string, err error) {
	var d pendingPhotoDoc
	err = s.db.Collection(colPendingPhotos).FindOneAndDelete(ctx, bson.M{"_id": photoID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	return d.Village, d.Features, nil
}
