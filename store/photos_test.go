package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
)

func newPhoto(id string) *store.Photo {
	return &store.Photo{ID: id, ContentType: "image/jpeg", Width: 40, Height: 30, UploadedBy: "u1",
		UploadedAt: time.Date(2025, 5, 6, 7, 8, 9, 123456789, time.UTC)}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := cunjie.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func wantBytes(t *testing.T, s *store.Store, id string, full, thumb []byte) {
	t.Helper()
	ctx := context.Background()
	got, err := s.PhotoBytes(ctx, id, false)
	if err != nil || !bytes.Equal(got, full) {
		t.Fatalf("full bytes of %s: %d bytes, err %v; want %d bytes", id, len(got), err, len(full))
	}
	got, err = s.PhotoBytes(ctx, id, true)
	if err != nil || !bytes.Equal(got, thumb) {
		t.Fatalf("thumb bytes of %s: %d bytes, err %v; want %d bytes", id, len(got), err, len(thumb))
	}
}

func TestPhotoRoundTrip(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	full, thumb := []byte("full photo bytes \x00\xff"), []byte("thumb bytes")

	p := newPhoto("p-1")
	existed, err := s.PutPhoto(ctx, p, full, thumb)
	if err != nil || existed {
		t.Fatalf("PutPhoto: existed %v, err %v", existed, err)
	}
	want := store.Photo{ID: "p-1", SHA256: sha(full), ContentType: "image/jpeg", Width: 40, Height: 30,
		Bytes: int64(len(full)), UploadedBy: "u1", UploadedAt: time.Date(2025, 5, 6, 7, 8, 9, 123000000, time.UTC)}
	if *p != want {
		t.Errorf("p after PutPhoto = %+v, want %+v", *p, want)
	}
	got, err := s.Photo(ctx, "p-1")
	if err != nil {
		t.Fatal(err)
	}
	if *got != want {
		t.Errorf("Photo = %+v, want %+v", *got, want)
	}
	wantBytes(t, s, "p-1", full, thumb)

	// The same bytes again, by someone else: a replay, answered with the
	// first upload's metadata.
	again := newPhoto("p-1")
	again.UploadedBy = "u2"
	existed, err = s.PutPhoto(ctx, again, full, thumb)
	if err != nil || !existed {
		t.Fatalf("same bytes again: existed %v, err %v", existed, err)
	}
	if *again != want {
		t.Errorf("p after replay = %+v, want the stored %+v", *again, want)
	}
}

func TestPhotoOtherBytesConflict(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	full, thumb := []byte("first"), []byte("first thumb")
	if _, err := s.PutPhoto(ctx, newPhoto("p-2"), full, thumb); err != nil {
		t.Fatal(err)
	}
	_, err := s.PutPhoto(ctx, newPhoto("p-2"), []byte("second"), []byte("second thumb"))
	wantCode(t, err, cunjie.ECONFLICT)
	got, err := s.Photo(ctx, "p-2")
	if err != nil || got.SHA256 != sha(full) {
		t.Fatalf("metadata after conflict: %+v, %v", got, err)
	}
	wantBytes(t, s, "p-2", full, thumb)
}

func TestPhotoNotFound(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	_, err := s.Photo(ctx, "nope")
	wantCode(t, err, cunjie.ENOTFOUND)
	_, err = s.PhotoBytes(ctx, "nope", false)
	wantCode(t, err, cunjie.ENOTFOUND)
	_, err = s.PhotoBytes(ctx, "nope", true)
	wantCode(t, err, cunjie.ENOTFOUND)
	_, err = s.PutPhoto(ctx, newPhoto(""), []byte("x"), []byte("y"))
	wantCode(t, err, cunjie.EINVALID)
}

// TestPhotoCrashRetry plays a server that died after writing the full blob
// and before the metadata: the photo does not exist, and the phone's retry
// with the same bytes completes it.
func TestPhotoCrashRetry(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	full, thumb := []byte("crash photo"), []byte("crash thumb")
	blobs := s.DB().Collection("photo_blobs")
	// A document write is atomic: what a crash leaves is a whole blob.
	if _, err := blobs.InsertOne(ctx, bson.M{"_id": "p-3/" + sha(full) + "/full", "sha256": sha(full), "data": full}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Photo(ctx, "p-3")
	wantCode(t, err, cunjie.ENOTFOUND)

	existed, err := s.PutPhoto(ctx, newPhoto("p-3"), full, thumb)
	if err != nil || existed {
		t.Fatalf("retry: existed %v, err %v", existed, err)
	}
	wantBytes(t, s, "p-3", full, thumb)

	// Leftovers of other bytes under the id do not claim it: the first
	// metadata written does, and the blobs it names are its own.
	other := []byte("other")
	if _, err := blobs.InsertOne(ctx, bson.M{"_id": "p-4/" + sha(other) + "/full", "sha256": sha(other), "data": other}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutPhoto(ctx, newPhoto("p-4"), full, thumb); err != nil {
		t.Fatal(err)
	}
	wantBytes(t, s, "p-4", full, thumb)
	_, err = s.PutPhoto(ctx, newPhoto("p-4"), other, thumb)
	wantCode(t, err, cunjie.ECONFLICT)
}

// TestPhotoConcurrentUploads races uploads of two different contents under
// one id: exactly one content wins, and the stored blobs are that content's.
func TestPhotoConcurrentUploads(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	contents := [][]byte{[]byte("content A"), []byte("content B")}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			c := contents[i%2]
			_, errs[i] = s.PutPhoto(ctx, newPhoto("p-5"), c, append([]byte("thumb of "), c...))
		})
	}
	wg.Wait()
	got, err := s.Photo(ctx, "p-5")
	if err != nil {
		t.Fatal(err)
	}
	winner := slices.IndexFunc(contents, func(c []byte) bool { return sha(c) == got.SHA256 })
	if winner < 0 {
		t.Fatalf("stored sha256 %s is neither content", got.SHA256)
	}
	for i, err := range errs {
		if i%2 == winner && err != nil {
			t.Errorf("upload %d of the winning content: %v", i, err)
		}
		if i%2 != winner {
			wantCode(t, err, cunjie.ECONFLICT)
		}
	}
	wantBytes(t, s, "p-5", contents[winner], append([]byte("thumb of "), contents[winner]...))
}

// TestPhotoLarge checks that a photo at the API's limit (8 MB, random so
// nothing compresses) fits in one document of the embedded store.
func TestPhotoLarge(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	full := make([]byte, 8<<20)
	rand.Read(full)
	thumb := full[:40<<10]
	if _, err := s.PutPhoto(ctx, newPhoto("p-big"), full, thumb); err != nil {
		t.Fatal(err)
	}
	wantBytes(t, s, "p-big", full, thumb)
}

func TestPhotoLinkAndPending(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	const v1, v2 = "110101001001", "110101001002"
	if _, err := s.PutPhoto(ctx, newPhoto("here"), []byte("a"), []byte("b")); err != nil {
		t.Fatal(err)
	}

	missing, err := s.LinkPhotos(ctx, v1, []string{"here", "later", "here", "later"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(missing, []string{"later"}) {
		t.Errorf("missing = %q, want [later]", missing)
	}
	// The first link wins: a later feature of another village does not
	// move the photo.
	if _, err := s.LinkPhotos(ctx, v2, []string{"here"}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Photo(ctx, "here")
	if err != nil || p.Village != v1 {
		t.Fatalf("village of linked photo: %+v, %v; want %s", p, err, v1)
	}
	if missing, err := s.LinkPhotos(ctx, v1, nil); err != nil || len(missing) != 0 {
		t.Errorf("LinkPhotos of nothing: %q, %v", missing, err)
	}

	// Two features wait for "later", one of them twice.
	if err := s.AddPendingPhotos(ctx, v1, "f1", "u1", []string{"later"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPendingPhotos(ctx, v2, "f2", "u2", []string{"later", "other"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPendingPhotos(ctx, v1, "f1", "u1", []string{"later"}); err != nil {
		t.Fatal(err)
	}
	village, features, err := s.TakePendingPhoto(ctx, "later")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(features)
	if village != v1 || !slices.Equal(features, []string{"f1", "f2"}) {
		t.Errorf("TakePendingPhoto = %q %q, want %s [f1 f2]", village, features, v1)
	}
	// Taken means gone.
	village, features, err = s.TakePendingPhoto(ctx, "later")
	if err != nil || village != "" || len(features) != 0 {
		t.Errorf("second TakePendingPhoto = %q %q %v, want empty", village, features, err)
	}
	village, features, err = s.TakePendingPhoto(ctx, "other")
	if err != nil || village != v2 || !slices.Equal(features, []string{"f2"}) {
		t.Errorf("TakePendingPhoto(other) = %q %q %v", village, features, err)
	}
}
