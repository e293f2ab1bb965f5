package store_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// fillForBackup writes what the store's own code writes (users, sessions,
// villages, features, histories, counters, photos, snapshots, pending
// photos), a collection the store does not know of with every BSON type
// Cunjie uses, one of 1,234 documents (more than two restore batches) and
// an empty one.
func fillForBackup(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	u := &cunjie.User{Username: "admin", Name: "镇办管理员", Role: cunjie.RoleAdmin}
	must(s.CreateUser(ctx, u, "password-1"))
	_, err := s.CreateSession(ctx, u.ID, time.Now())
	must(err)
	must(s.PutVillages(ctx, []*cunjie.Village{
		{Code: "360803101201", Name: "社上村", Town: "长岭镇", Boundary: []byte(`{"type":"Polygon","coordinates":[]}`)},
		{Code: "360803101202", Name: "温家村", Town: "长岭镇", Boundary: []byte(`{"type":"Polygon","coordinates":[]}`)},
	}))
	now := time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	var fs []*cunjie.Feature
	for i := range 40 {
		village := "360803101201"
		if i%3 == 0 {
			village = "360803101202"
		}
		op := fmt.Sprintf("op-%d", i)
		f := &cunjie.Feature{ID: fmt.Sprintf("f-%03d", i), Village: village, Kind: cunjie.KindBin,
			Location: cunjie.Location{Lon: 114.9 + float64(i)*1e-4, Lat: 27.1, Accuracy: 3.5},
			Attrs:    map[string]any{"capacity_l": int64(240), "status": "ok", "note": "路口东侧"},
			Photos:   []string{}, Version: 1, Seq: int64(i + 1), CreatedBy: "admin", CreatedAt: now,
			UpdatedBy: "admin", UpdatedAt: now, Ops: []cunjie.OpHash{cunjie.HashOp(op)},
			Events: cunjie.PackEvents(fmt.Sprintf("f-%03d", i), []cunjie.Event{{ID: fmt.Sprintf("e-%d", i), Feature: fmt.Sprintf("f-%03d", i), Type: "inspect", At: now, Status: "ok", By: "admin",
				Stored: now, Photos: []string{"p-1"}, Location: &cunjie.Location{Lon: 114.9, Lat: 27.1, Accuracy: 5}}})}
		fs = append(fs, f)
		_, _, err := s.ClaimFeatures(ctx, village, "", []string{f.ID}, []string{op})
		must(err)
		_, err = s.InsertFeatures(ctx, village, []*cunjie.Feature{f})
		must(err)
		must(s.InsertHistory(ctx, []store.HistoryEntry{{Feature: f.ID, Change: 0, Events: f.Events.Slice(), Audit: []cunjie.AuditEntry{{Op: op, Action: "create", By: "admin", At: now,
			Version: 1, Changes: map[string]cunjie.Change{"attrs.status": {From: nil, To: "ok"}}}}}}))
		_, err = s.NextSeqs(ctx, village, 1)
		must(err)
		_, err = s.BumpRev(ctx, village)
		must(err)
	}
	must(s.SaveSnapshot(ctx, "360803101201", 5, fs[:10]))
	must(s.AddPendingPhotos(ctx, "360803101201", "f-001", "u-1", []string{"p-missing"}))
	// Three photos of 3 MB: their blobs need more than one restore batch
	// of 8 MB.
	for i := range 3 {
		p := &store.Photo{ID: fmt.Sprintf("p-%d", i), ContentType: "image/jpeg", Width: 4000, Height: 3000, UploadedBy: u.ID}
		_, err := s.PutPhoto(ctx, p, randomBytes(3<<20), randomBytes(20<<10))
		must(err)
	}

	// A collection the store does not know of, with the BSON types the
	// store writes.
	_, err = s.DB().Collection("added_later").InsertMany(ctx, []any{
		bson.D{
			{Key: "_id", Value: "a-1"},
			{Key: "str", Value: "村洁 clean village"},
			{Key: "i32", Value: int32(-7)},
			{Key: "i64", Value: int64(1) << 53},
			{Key: "f64", Value: 0.1 + 0.2},
			{Key: "date", Value: bson.NewDateTimeFromTime(now)},
			{Key: "bin", Value: bson.Binary{Subtype: 0, Data: []byte{0, 1, 2, 0xfe, 0xff}}},
			{Key: "uuid", Value: bson.Binary{Subtype: 4, Data: randomBytes(16)}},
			{Key: "oid", Value: bson.NewObjectID()},
			{Key: "yes", Value: true},
			{Key: "none", Value: nil},
			{Key: "nested", Value: bson.D{{Key: "a", Value: bson.D{{Key: "b", Value: int64(2)}}}, {Key: "c", Value: "d"}}},
			{Key: "items", Value: bson.A{
				bson.D{{Key: "item", Value: "垃圾分类"}, {Key: "score", Value: 4.5}},
				bson.D{{Key: "item", Value: "厕所"}, {Key: "score", Value: int64(5)}, {Key: "photos", Value: bson.A{"p-1", "p-2"}}},
			}},
		},
		bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "month", Value: "2026-03"}},
	})
	must(err)
	many := make([]any, 1234)
	for i := range many {
		many[i] = bson.D{{Key: "_id", Value: int64(i)}, {Key: "n", Value: fmt.Sprintf("doc %d", i)}}
	}
	_, err = s.DB().Collection("many").InsertMany(ctx, many)
	must(err)
	must(s.DB().CreateCollection(ctx, "empty"))
}

// dumpDB reads every document of every collection as canonical extended
// JSON, which keeps each value's BSON type and the order of keys.
func dumpDB(t *testing.T, db *mongo.Database) map[string]map[string]string {
	t.Helper()
	ctx := context.Background()
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, name := range names {
		cur, err := db.Collection(name).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		docs := map[string]string{}
		for cur.Next(ctx) {
			id, err := bson.MarshalExtJSON(bson.D{{Key: "id", Value: cur.Current.Lookup("_id")}}, true, false)
			if err != nil {
				t.Fatal(err)
			}
			j, err := bson.MarshalExtJSON(cur.Current, true, false)
			if err != nil {
				t.Fatal(err)
			}
			docs[string(id)] = string(j)
		}
		if err := cur.Err(); err != nil {
			t.Fatal(err)
		}
		cur.Close(ctx)
		out[name] = docs
	}
	return out
}

// sameDB fails unless both databases hold the same collections with the
// same documents.
func sameDB(t *testing.T, want, got map[string]map[string]string) {
	t.Helper()
	wn, gn := slices.Sorted(maps.Keys(want)), slices.Sorted(maps.Keys(got))
	if !slices.Equal(wn, gn) {
		t.Fatalf("collections differ:\nwant %v\n got %v", wn, gn)
	}
	for _, name := range wn {
		w, g := want[name], got[name]
		if len(w) != len(g) {
			t.Errorf("%s: %d documents, want %d", name, len(g), len(w))
		}
		for id, doc := range w {
			if g[id] != doc {
				t.Errorf("%s %s:\n got %.300s\nwant %.300s", name, id, g[id], doc)
				break
			}
		}
	}
}

func backupToFile(t *testing.T, s *store.Store, o store.BackupOptions) (string, *store.Manifest) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.tar.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := s.Backup(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	return path, m
}

func restoreFile(s *store.Store, path string, force bool) (*store.Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return s.Restore(context.Background(), f, store.RestoreOptions{Force: force})
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	src := MustOpenStore(t)
	fillForBackup(t, src)
	want := dumpDB(t, src.DB())

	paused, resumed := false, false
	path, m := backupToFile(t, src, store.BackupOptions{Pause: func(context.Context) (func(), error) {
		paused = true
		return func() { resumed = true }, nil
	}})
	if !paused || !resumed || !m.WritesPaused {
		t.Errorf("pause %v, resume %v, manifest says paused %v", paused, resumed, m.WritesPaused)
	}
	var names []string
	for _, c := range m.Collections {
		names = append(names, c.Name)
		if int64(len(want[c.Name])) != c.Documents {
			t.Errorf("manifest: %s has %d documents, the store %d", c.Name, c.Documents, len(want[c.Name]))
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(names)), slices.Sorted(maps.Keys(want))) {
		t.Errorf("archived %v, the store has %v", names, slices.Sorted(maps.Keys(want)))
	}
	// The feature data first, counters last of it; id claims after the
	// features they claim; photo bytes after their metadata, last.
	at := func(n string) int { return slices.Index(names, n) }
	if !(at("village_snapshots") == 0 && at("features_360803101201") < at("village_counters") &&
		at("village_counters") < at("users") && at("users") < at("feature_ids") && at("feature_ids") < at("photos") &&
		at("photos") < at("photo_blobs") && at("photo_blobs") == len(names)-1) {
		t.Errorf("collection order %v", names)
	}

	dst := MustOpenStore(t)
	got, err := restoreFile(dst, path, false)
	if err != nil {
		t.Fatal(err)
	}
	if got.Documents() != m.Documents() || m.Documents() < 1300 {
		t.Errorf("restored %d documents, archived %d", got.Documents(), m.Documents())
	}
	sameDB(t, want, dumpDB(t, dst.DB()))

	// The types came through, not only equal strings.
	raw, err := dst.DB().Collection("added_later").FindOne(context.Background(), bson.D{{Key: "_id", Value: "a-1"}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	for key, typ := range map[string]bson.Type{"i32": bson.TypeInt32, "i64": bson.TypeInt64, "f64": bson.TypeDouble,
		"date": bson.TypeDateTime, "bin": bson.TypeBinary, "oid": bson.TypeObjectID, "nested": bson.TypeEmbeddedDocument,
		"items": bson.TypeArray, "none": bson.TypeNull} {
		if v := raw.Lookup(key); v.Type != typ {
			t.Errorf("%s: type %v, want %v", key, v.Type, typ)
		}
	}
	// The store reads the restored data through its own code, and the
	// unique index on usernames was made again.
	if _, err := dst.Authenticate(context.Background(), "admin", "password-1"); err != nil {
		t.Errorf("restored admin cannot log in: %v", err)
	}
	if err := dst.CreateUser(context.Background(), &cunjie.User{Username: "admin", Role: cunjie.RoleAdmin}, "password-2"); cunjie.ErrorCode(err) != cunjie.ECONFLICT {
		t.Errorf("a second admin: %v, want a conflict (unique index)", err)
	}
	b, err := dst.PhotoBytes(context.Background(), "p-2", false)
	if wantB, _ := src.PhotoBytes(context.Background(), "p-2", false); err != nil || !bytes.Equal(b, wantB) {
		t.Errorf("photo bytes differ (err %v)", err)
	}

	// A non-empty target is refused and left alone.
	if _, err := restoreFile(dst, path, false); !errors.Is(err, store.ErrNotEmpty) {
		t.Fatalf("restore over data: %v, want ErrNotEmpty", err)
	} else {
		t.Logf("refused: %v", err)
	}

	// Force drops what is there, extra collections included.
	ctx := context.Background()
	if _, err := dst.DB().Collection("junk").InsertOne(ctx, bson.D{{Key: "x", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.DB().Collection("many").DeleteOne(ctx, bson.D{{Key: "_id", Value: int64(7)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := restoreFile(dst, path, true); err != nil {
		t.Fatal(err)
	}
	sameDB(t, want, dumpDB(t, dst.DB()))
	if err := dst.CreateUser(ctx, &cunjie.User{Username: "admin", Role: cunjie.RoleAdmin}, "password-2"); cunjie.ErrorCode(err) != cunjie.ECONFLICT {
		t.Errorf("after --force, a second admin: %v, want a conflict (unique index)", err)
	}
}

// rewriteArchive copies an archive, letting edit change each file's bytes
// (nil leaves the file out).
func rewriteArchive(t *testing.T, path string, edit func(name string, b []byte) []byte) string {
	t.Helper()
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if b = edit(h.Name, b); b == nil {
			continue
		}
		h.Size = int64(len(b))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	tw.Close()
	zw.Close()
	out := filepath.Join(t.TempDir(), "edited.tar.gz")
	if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRestoreRefusesDamagedArchive(t *testing.T) {
	src := MustOpenStore(t)
	ctx := context.Background()
	if err := src.CreateUser(ctx, &cunjie.User{Username: "admin", Role: cunjie.RoleAdmin}, "password-1"); err != nil {
		t.Fatal(err)
	}
	many := make([]any, 3000)
	for i := range many {
		many[i] = bson.D{{Key: "_id", Value: int64(i)}, {Key: "v", Value: randomBytes(64)}}
	}
	if _, err := src.DB().Collection("many").InsertMany(ctx, many); err != nil {
		t.Fatal(err)
	}
	path, _ := backupToFile(t, src, store.BackupOptions{})
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x40

	// The target holds data, and Force is asked for: a damaged archive
	// must be refused before anything is dropped.
	dst := MustOpenStore(t)
	if _, err := restoreFile(dst, path, false); err != nil {
		t.Fatal(err)
	}
	want := dumpDB(t, dst.DB())

	cases := []struct{ name, path, says string }{
		{"a flipped byte", write("flipped.tar.gz", flipped), ""},
		{"truncated", write("short.tar.gz", good[:len(good)*2/3]), ""},
		{"not an archive", write("text.tar.gz", []byte("hello")), "not gzip"},
		{"a document changed, the manifest not", rewriteArchive(t, path, func(name string, b []byte) []byte {
			if name == "collections/many.bson" {
				b[len(b)-10] ^= 1
			}
			return b
		}), "sha256"},
		{"a collection dropped from the archive", rewriteArchive(t, path, func(name string, b []byte) []byte {
			if name == "collections/many.bson" {
				return nil
			}
			return b
		}), "collections/many.bson is missing"},
		{"a manifest count changed", rewriteArchive(t, path, func(name string, b []byte) []byte {
			if name == "manifest.json" {
				return bytes.Replace(b, []byte(`"documents": 3000`), []byte(`"documents": 2999`), 1)
			}
			return b
		}), "manifest says 2999"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := restoreFile(dst, tc.path, true)
			if !errors.Is(err, store.ErrBadArchive) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("got %v, want ErrBadArchive saying %q", err, tc.says)
			}
			t.Logf("refused: %v", err)
			sameDB(t, want, dumpDB(t, dst.DB()))
		})
	}
}
