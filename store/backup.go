package store

import (
	"archive/tar"
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// A backup archive is a gzip'd tar holding
//
//	collections/<name>.bson  every document of the collection as raw BSON,
//	                         one after another (what mongodump writes, so
//	                         bsondump and mongorestore read it too)
//	manifest.json            last: format, version, time, database, and for
//	                         each collection its file, document count, byte
//	                         count and sha256
//
// Every collection of the database is in it, whatever its name, so
// collections added later come along without a change here. Nothing in it
// depends on the backend: documents are BSON as the driver sees them, and
// indexes are not saved but made again by the store's own code. An archive
// of the embedded store therefore restores into a MongoDB and back.
//
// The manifest comes last because its counts and checksums are known only
// once the collections are written. Restore therefore reads the archive
// twice: first to check all of it, then to insert, so that a damaged
// archive is refused before the target is touched.
const (
	ArchiveFormat  = "cunjie-backup"
	ArchiveVersion = 1

	manifestFile  = "manifest.json"
	collectionDir = "collections/"
	// maxDocBytes is MongoDB's document size limit; a larger length
	// prefix can only be damage.
	maxDocBytes = 16 << 20
)

// Errors a caller can tell apart.
var (
	// ErrBadArchive: the archive is damaged, truncated, or not a backup.
	ErrBadArchive = errors.New("not a sound backup archive")
	// ErrNotEmpty: restore refuses a target holding documents.
	ErrNotEmpty = errors.New("the target database is not empty")
)

// Manifest describes an archive.
type Manifest struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Created  time.Time `json:"created"`
	Database string    `json:"database"`
	// Source is "embedded" or "mongodb", for the record: restore ignores it.
	Source string `json:"source"`
	// WritesPaused says the server held its writers while the feature
	// data was read (see BackupOptions.Pause).
	WritesPaused bool                 `json:"writesPaused"`
	Collections  []ManifestCollection `json:"collections"`
}

// ManifestCollection is one collection of an archive.
type ManifestCollection struct {
	Name      string `json:"name"`
	File      string `json:"file"`
	Documents int64  `json:"documents"`
	Bytes     int64  `json:"bytes"`
	SHA256    string `json:"sha256"`
}

// Documents counts the documents of every collection.
func (m *Manifest) Documents() int64 {
	var n int64
	for _, c := range m.Collections {
		n += c.Documents
	}
	return n
}

// BackupOptions tune Backup. The zero value backs up without pausing.
type BackupOptions struct {
	// Pause, if set, is called before the collections are listed and
	// read; the function it returns is called once the feature data is
	// read (index snapshots, features, histories, pending photos, village
	// counters: what feature writers change under a village's lock). A
	// server passes a function that holds those writers (it takes every
	// village's lock), so the feature data is one consistent cut. The
	// rest is read after: no village lock guards its writes, and photos
	// are the bulk of the bytes.
	Pause func(ctx context.Context) (resume func(), err error)
	// TempDir holds one collection at a time while it is written (tar
	// needs an entry's size before its bytes); empty means os.TempDir().
	TempDir string
}

// backupRank orders collections so that, should a write race the backup
// (without a pause, or from another server instance on one MongoDB), the
// archive errs on the harmless side. Collections of equal rank go by name.
// Ranks below heldRanks are the feature data: what a server's feature
// writers change while they hold a village's lock.
func backupRank(name string) int {
	switch {
	case name == colSnapshots:
		// First: read before the features, a snapshot is never ahead of
		// them. It is used only while its rev equals the village's rev,
		// which is read after the features.
		return 0
	case strings.HasPrefix(name, featuresCol("")):
		return 1
	case name == colHistories:
		// After the features: a history may be ahead of its feature,
		// which readers tolerate, rather than behind it.
		return 2
	case name == colPendingPhotos:
		return 3
	case name == colCounters:
		// Last of the feature data: the seq read is past every feature's
		// seq, so after a restore no write reuses a seq a phone's changes
		// cursor has passed.
		return 4
	case strings.HasSuffix(name, "_ids"):
		// Id claims (feature_ids, inspection_ids) are written before the
		// documents that use the ids: read after them, every document
		// has its claim. A claim without its document is a create that
		// stopped half way, which the write paths already handle.
		return 6
	case name == colPhotos:
		// Photos then their blobs: blobs are written before their photo
		// document and never removed, so every photo read has its bytes.
		return 7
	case name == colPhotoBlobs:
		return 8
	}
	return 5 // users, sessions, villages, assessments, the audit log, and collections added later
}

// heldRanks: collections of a lower rank are read while writes are paused.
const heldRanks = 5

// Backup writes an archive of every collection of the database to w and
// returns its manifest. Documents stream from the database to w: at most
// one batch of documents is in memory, and one collection on disk in
// o.TempDir.
func (s *Store) Backup(ctx context.Context, w io.Writer, o BackupOptions) (*Manifest, error) {
	m := &Manifest{Format: ArchiveFormat, Version: ArchiveVersion, Created: time.Now().UTC().Truncate(time.Second),
		Database: s.db.Name(), Source: "mongodb", Collections: []ManifestCollection{}}
	if s.embedded {
		m.Source = "embedded"
	}
	spool, err := os.CreateTemp(o.TempDir, "cunjie-backup-*")
	if err != nil {
		return nil, err
	}
	// Unlinked at once: the space comes back when it is closed, however
	// the backup ends.
	os.Remove(spool.Name())
	defer spool.Close()

	resume := func() {}
	if o.Pause != nil {
		if resume, err = o.Pause(ctx); err != nil {
			return nil, fmt.Errorf("pause writes: %w", err)
		}
		m.WritesPaused = true
	}
	paused := true
	unpause := func() {
		if paused {
			paused = false
			resume()
		}
	}
	defer unpause()

	// Listed once paused, so that no collection appears in between.
	names, err := s.collectionNames(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(backupRank(a), backupRank(b)), strings.Compare(a, b))
	})

	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // the level is valid
	tw := tar.NewWriter(gz)
	for _, name := range names {
		if backupRank(name) >= heldRanks {
			unpause()
		}
		c, err := s.dumpCollection(ctx, name, spool)
		if err != nil {
			return nil, fmt.Errorf("back up %s: %w", name, err)
		}
		if err := tarFile(tw, c.File, spool, c.Bytes, m.Created); err != nil {
			return nil, err
		}
		m.Collections = append(m.Collections, c)
	}
	unpause()
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := tarFile(tw, manifestFile, bytes.NewReader(mj), int64(len(mj)), m.Created); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return m, nil
}

// collectionNames lists the database's collections: not views (an
// analyst's view on a MongoDB would come back as a collection), nor the
// system.* collections, which belong to the server (profiling, views), not
// to Cunjie, and which a restore could not write.
func (s *Store) collectionNames(ctx context.Context) ([]string, error) {
	names, err := s.db.ListCollectionNames(ctx, bson.D{{Key: "type", Value: "collection"}})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(names, func(n string) bool { return strings.HasPrefix(n, "system.") }), nil
}

// dumpCollection writes the collection's documents to spool (emptied
// first), counting and hashing them, and leaves spool at its start.
func (s *Store) dumpCollection(ctx context.Context, name string, spool *os.File) (ManifestCollection, error) {
	c := ManifestCollection{Name: name, File: collectionDir + name + ".bson"}
	if err := spool.Truncate(0); err != nil {
		return c, err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return c, err
	}
	sum := sha256.New()
	out := bufio.NewWriterSize(io.MultiWriter(spool, sum), 1<<20)
	// Documents range from counters of a few bytes to photos of 8 MB, and
	// FerretDB sends as many documents as asked whatever their size. The
	// first batch is small; later ones are sized from the documents seen
	// so far to carry about 4 MB.
	cur, err := s.db.Collection(name).Find(ctx, bson.D{}, options.Find().SetBatchSize(4))
	if err != nil {
		return c, err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		if _, err := out.Write(cur.Current); err != nil {
			return c, err
		}
		c.Documents++
		c.Bytes += int64(len(cur.Current))
		if cur.RemainingBatchLength() == 0 {
			cur.SetBatchSize(int32(min(1000, max(1, (4<<20)/(c.Bytes/c.Documents)))))
		}
	}
	if err := cur.Err(); err != nil {
		return c, err
	}
	if err := out.Flush(); err != nil {
		return c, err
	}
	c.SHA256 = hex.EncodeToString(sum.Sum(nil))
	_, err = spool.Seek(0, io.SeekStart)
	return c, err
}

func tarFile(tw *tar.Writer, name string, r io.Reader, size int64, mod time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Size: size, Mode: 0o600, ModTime: mod, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	n, err := io.Copy(tw, r)
	if err == nil && n != size {
		err = fmt.Errorf("%s: wrote %d of %d bytes", name, n, size)
	}
	return err
}

// badArchive wraps ErrBadArchive with what is wrong.
func badArchive(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadArchive, fmt.Sprintf(format, a...))
}

// walkArchive calls fn with every file of a gzip'd tar. Errors of the
// gzip and tar layers are damage; fn's errors come back as they are.
func walkArchive(r io.Reader, fn func(name string, size int64, body io.Reader) error) error {
	gz, err := gzip.NewReader(bufio.NewReaderSize(r, 1<<20))
	if err != nil {
		return badArchive("not gzip data (%v)", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return badArchive("damaged or truncated (%v)", err)
		}
		if h.Typeflag != tar.TypeReg {
			return badArchive("unexpected entry %q", h.Name)
		}
		if err := fn(h.Name, h.Size, tr); err != nil {
			return err
		}
	}
	// Read the gzip stream to its end, so its checksum is checked even
	// past the tar's last block.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return badArchive("damaged or truncated (%v)", err)
	}
	return nil
}

// eachDoc reads raw BSON documents one after another from r (file in the
// archive) to its end, checks each is well formed, and hands each to fn in
// a buffer of its own. A failed read is damage, and so reported.
func eachDoc(file string, r io.Reader, fn func(doc bson.Raw) error) (n int64, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		var head [4]byte
		if _, err := io.ReadFull(br, head[:]); err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, badArchive("%s: document %d: %v", file, n+1, err)
		}
		size := int64(int32(binary.LittleEndian.Uint32(head[:])))
		if size < 5 || size > maxDocBytes {
			return n, badArchive("%s: document %d: length %d out of range", file, n+1, size)
		}
		doc := make(bson.Raw, size)
		copy(doc, head[:])
		if _, err := io.ReadFull(br, doc[4:]); err != nil {
			return n, badArchive("%s: document %d: %v", file, n+1, err)
		}
		if err := doc.Validate(); err != nil {
			return n, badArchive("%s: document %d: %v", file, n+1, err)
		}
		if err := fn(doc); err != nil {
			return n, err
		}
		n++
	}
}

// VerifyArchive reads a whole archive and checks it against its manifest:
// every collection file present once, each with the manifest's document
// count, byte count and sha256, each document well formed, nothing else.
// Its errors wrap ErrBadArchive.
func VerifyArchive(r io.Reader) (*Manifest, error) {
	var m *Manifest
	seen := map[string]ManifestCollection{} // by file
	err := walkArchive(r, func(name string, size int64, body io.Reader) error {
		if name == manifestFile {
			if m != nil {
				return badArchive("two manifests")
			}
			m = &Manifest{}
			if err := json.NewDecoder(io.LimitReader(body, 16<<20)).Decode(m); err != nil {
				return badArchive("manifest: %v", err)
			}
			return nil
		}
		if !strings.HasPrefix(name, collectionDir) {
			return badArchive("unexpected file %q", name)
		}
		if _, dup := seen[name]; dup {
			return badArchive("%s appears twice", name)
		}
		sum := sha256.New()
		n, err := eachDoc(name, io.TeeReader(body, sum), func(bson.Raw) error { return nil })
		if err != nil {
			return err
		}
		seen[name] = ManifestCollection{File: name, Documents: n, Bytes: size, SHA256: hex.EncodeToString(sum.Sum(nil))}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, badArchive("no %s", manifestFile)
	}
	if m.Format != ArchiveFormat {
		return nil, badArchive("format %q, want %q", m.Format, ArchiveFormat)
	}
	if m.Version != ArchiveVersion {
		return nil, badArchive("format version %d; this cunjie reads version %d (a newer cunjie made it?)", m.Version, ArchiveVersion)
	}
	names := map[string]bool{}
	for _, c := range m.Collections {
		if err := checkCollectionName(c.Name); err != nil {
			return nil, badArchive("manifest: %v", err)
		}
		if names[c.Name] {
			return nil, badArchive("manifest names %s twice", c.Name)
		}
		names[c.Name] = true
		got, ok := seen[c.File]
		switch {
		case !ok:
			return nil, badArchive("%s is missing", c.File)
		case got.SHA256 != c.SHA256:
			return nil, badArchive("%s: sha256 %s, manifest says %s", c.File, got.SHA256, c.SHA256)
		case got.Documents != c.Documents || got.Bytes != c.Bytes:
			return nil, badArchive("%s: %d documents in %d bytes, manifest says %d in %d",
				c.File, got.Documents, got.Bytes, c.Documents, c.Bytes)
		}
		delete(seen, c.File)
	}
	if len(seen) > 0 {
		return nil, badArchive("%s is not in the manifest", slices.Sorted(maps.Keys(seen))[0])
	}
	return m, nil
}

// checkCollectionName refuses names a database would refuse or that are
// not Cunjie's, so a bad manifest fails before anything is written.
func checkCollectionName(n string) error {
	if n == "" || len(n) > 200 || strings.ContainsAny(n, "$\x00") || strings.HasPrefix(n, "system.") {
		return fmt.Errorf("collection name %q is not allowed", n)
	}
	return nil
}

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// Force drops every collection of the target first. Without it a
	// target with any document is refused (ErrNotEmpty).
	Force bool
}

// Restore batches of at most this many documents or bytes (a batch holds
// one document however large, and a document is at most 16 MB).
const (
	restoreBatchDocs  = 500
	restoreBatchBytes = 8 << 20
)

// Restore loads an archive into the store's database, which must be empty
// unless o.Force. The archive is checked whole before anything is dropped
// or written. The store's indexes are made again at the end, by the step
// Open runs, since dropping a collection drops its indexes; so are codes
// an older version kept apart moved, as Open moves them.
//
// A restore that fails half way (the database going away) leaves a partial
// database: run it again with Force.
func (s *Store) Restore(ctx context.Context, archive io.ReadSeeker, o RestoreOptions) (*Manifest, error) {
	m, err := VerifyArchive(archive)
	if err != nil {
		return nil, err
	}
	if _, err := archive.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	existing, err := s.collectionNames(ctx)
	if err != nil {
		return nil, err
	}
	slices.Sort(existing)
	if o.Force {
		for _, n := range existing {
			if err := s.db.Collection(n).Drop(ctx); err != nil {
				return nil, fmt.Errorf("drop %s: %w", n, err)
			}
		}
	} else {
		var full []string
		for _, n := range existing {
			err := s.db.Collection(n).FindOne(ctx, bson.D{}, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
			if err == nil {
				full = append(full, n)
			} else if !errors.Is(err, mongo.ErrNoDocuments) {
				return nil, err
			}
		}
		if len(full) > 0 {
			if len(full) > 5 {
				full = append(full[:5], "…")
			}
			return nil, fmt.Errorf("%w: database %q has documents in %s", ErrNotEmpty, s.db.Name(), strings.Join(full, ", "))
		}
	}

	byFile := map[string]ManifestCollection{}
	for _, c := range m.Collections {
		byFile[c.File] = c
		if c.Documents == 0 {
			// An empty collection still exists in the source; make it,
			// so the restored database lists the same collections.
			if err := s.db.CreateCollection(ctx, c.Name); err != nil && !isNamespaceExists(err) {
				return nil, fmt.Errorf("create %s: %w", c.Name, err)
			}
		}
	}
	err = walkArchive(archive, func(name string, _ int64, body io.Reader) error {
		c, ok := byFile[name]
		if !ok {
			return nil // the manifest
		}
		// Checked again as it is inserted: the file could have changed
		// since the first reading.
		sum := sha256.New()
		n, err := s.insertDocs(ctx, s.db.Collection(c.Name), name, io.TeeReader(body, sum))
		if err != nil {
			return fmt.Errorf("restore %s: %w", c.Name, err)
		}
		if got := hex.EncodeToString(sum.Sum(nil)); n != c.Documents || got != c.SHA256 {
			return badArchive("%s changed while it was restored", c.File)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.createIndexes(ctx); err != nil {
		return nil, fmt.Errorf("create indexes: %w", err)
	}
	// An archive of an older version may keep codes apart.
	if err := s.moveLegacyCodes(ctx); err != nil {
		return nil, fmt.Errorf("move the features' codes: %w", err)
	}
	return m, nil
}

// insertDocs inserts the documents read from r in batches.
func (s *Store) insertDocs(ctx context.Context, col *mongo.Collection, file string, r io.Reader) (int64, error) {
	var batch []any
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := col.InsertMany(ctx, batch); err != nil {
			return err
		}
		batch, size = batch[:0], 0
		return nil
	}
	n, err := eachDoc(file, r, func(doc bson.Raw) error {
		if len(batch) == restoreBatchDocs || len(batch) > 0 && size+len(doc) > restoreBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, doc)
		size += len(doc)
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, flush()
}

// isNamespaceExists reports a create of a collection that exists.
func isNamespaceExists(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && ce.Code == 48
}
