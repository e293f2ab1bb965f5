// Package store keeps Cunjie's data in MongoDB through the official driver v2:
// an embedded FerretDB on SQLite under the data directory by default, or a real
// MongoDB when a URI is given. It writes by _id (the one access FerretDB's
// SQLite backend serves without scanning) and leaves every other read to the
// in-memory indexes of package geo.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cunjie/cunjie"
)

// Config says where the data lives.
type Config struct {
	URI     string // MongoDB URI; empty starts the embedded FerretDB in DataDir
	DataDir string
	DB      string
	Logger  *slog.Logger
	// Monitor, if set, sees every database command (for metrics).
	Monitor *event.CommandMonitor
}

// Store is an open connection to the database.
type Store struct {
	client   *mongo.Client
	db       *mongo.Database
	log      *slog.Logger
	embedded bool

	stopFerret context.CancelFunc
	ferretDone chan struct{}
	lock       *os.File
	sqliteDir  string
	ids        *idIndexer
	wal        *walSync

	refs refCache
	// histories merges concurrent inserts of changes' histories.
	histories insertQueue
	// serials hands out feature code serials on the embedded store.
	serials serials
	// months are the assessment months whose collections this process
	// has made (see prepareMonth).
	months sync.Map
}

// Open connects to MongoDB or starts the embedded store, and creates indexes.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DB == "" {
		cfg.DB = "cunjie"
	}
	s := &Store{log: cfg.Logger}
	uri := cfg.URI
	if uri == "" {
		var err error
		if uri, err = s.startEmbedded(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	opts := options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(10 * time.Second).
		SetTimeout(30 * time.Second)
	if s.embedded {
		s.wal = newWALSync(s.sqliteDir, cfg.DB, s.log)
		opts.SetMonitor(newWriteGate(cfg.Monitor, s.wal.wrote).monitor())
	} else if cfg.Monitor != nil {
		opts.SetMonitor(cfg.Monitor)
	}
	if s.embedded {
		// A few commands at a time. Each driver connection in use becomes
		// a SQLite connection with its own page cache and schema copy,
		// and SQLite takes one writer at a time anyway (see writeGate):
		// more connections add memory.
		opts.SetMaxPoolSize(8)
	}
	client, err := mongo.Connect(opts)
	if err != nil {
		s.stopEmbedded()
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	s.client = client
	s.db = client.Database(cfg.DB)
	if err := s.Ping(ctx); err != nil {
		s.Close(context.Background())
		return nil, fmt.Errorf("reach the database: %w", err)
	}
	if err := s.createIndexes(ctx); err != nil {
		s.Close(context.Background())
		return nil, fmt.Errorf("create indexes: %w", err)
	}
	if err := s.moveLegacyCodes(ctx); err != nil {
		s.Close(context.Background())
		return nil, fmt.Errorf("move the features' codes: %w", err)
	}
	if s.embedded {
		// Every collection written to at a fixed name is made now, empty,
		// and indexed by _id at once (see idIndexer). Made by its first
		// write instead, it filled unindexed until the next sweep. In
		// BenchmarkSingleWrites every request in flight then waited
		// 200 ms, 10 s after the first event made the histories: by its
		// timing, the sweep's index over their thousands of documents
		// holding SQLite's one writer. Made here, they never waited.
		if err := s.makeIndexed(ctx, embeddedCollections...); err != nil {
			s.Close(context.Background())
			return nil, err
		}
		if s.ids, err = startIDIndexer(ctx, s.sqliteDir, cfg.DB, s.log.Warn); err != nil {
			s.Close(context.Background())
			return nil, err
		}
	}
	return s, nil
}

// startEmbedded starts FerretDB with SQLite files in dir, listening on a Unix
// socket there so that no other user of the host can reach it over TCP.
func (s *Store) startEmbedded(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("data dir is empty")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("create data dir: %w", err)
	}
	// One process per data dir: two FerretDBs on one SQLite directory would
	// each cache metadata the other changes.
	lock, err := os.OpenFile(filepath.Join(abs, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", fmt.Errorf("open data dir lock: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return "", fmt.Errorf("data dir %s is in use by another cunjie process", abs)
	}
	s.lock = lock
	sock := filepath.Join(abs, "ferretdb.sock")
	if len(sock) > 100 {
		return "", fmt.Errorf("data dir path is too long for a Unix socket (%d > 100 characters): %s", len(sock), sock)
	}
	os.Remove(sock) // left behind by a killed process; we hold the lock
	sqliteDir := filepath.Join(abs, "sqlite")
	if err := os.MkdirAll(sqliteDir, 0o700); err != nil {
		return "", err
	}
	s.sqliteDir = sqliteDir
	// FerretDB logs every failed command (a replayed create's duplicate key
	// among them) as a warning; only its errors are worth our log.
	flog := slog.New(levelFilter{base: s.log.Handler(), min: slog.LevelError}).With("component", "ferretdb")
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: sock},
		Handler:   "sqlite",
		SQLiteURL: "file:" + sqliteDir + "/" + sqliteURLPragmas,
		Logger:    flog,
	})
	if err != nil {
		return "", fmt.Errorf("start embedded store: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopFerret = cancel
	s.ferretDone = make(chan struct{})
	s.embedded = true
	go func() {
		defer close(s.ferretDone)
		f.Run(ctx)
	}()
	return f.MongoDBURI(), nil
}

func (s *Store) stopEmbedded() {
	if s.ids != nil {
		s.ids.close()
		s.ids = nil
	}
	if s.stopFerret != nil {
		s.stopFerret()
		<-s.ferretDone
		s.stopFerret = nil
	}
	if s.wal != nil {
		s.wal.stop()
		s.wal = nil
	}
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
}

// Close disconnects the driver first, so the embedded store has no open
// connections to wait for, then stops the embedded store.
func (s *Store) Close(ctx context.Context) error {
	var err error
	if s.client != nil {
		if ferr := s.flushSerials(ctx); ferr != nil {
			s.log.Warn("code serials not saved; the next start looks past them", "err", ferr)
		}
		err = s.client.Disconnect(ctx)
		s.client = nil
	}
	s.stopEmbedded()
	return err
}

// Durable returns once every write the store has answered is on disk,
// or with an error if the disk failed to sync them: callers answer people
// only after it (see walSync). On a store of its own (MongoDB, FerretDB
// on PostgreSQL) each write is durable as it is answered, and Durable
// returns at once.
func (s *Store) Durable() error {
	if s.wal != nil {
		return s.wal.wait()
	}
	return nil
}

// Embedded reports whether the store runs the embedded FerretDB.
func (s *Store) Embedded() bool { return s.embedded }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
}

// DB exposes the database for benchmarks and backups.
func (s *Store) DB() *mongo.Database { return s.db }

func (s *Store) createIndexes(ctx context.Context) error {
	_, err := s.db.Collection(colUsers).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "username", Value: 1}},
		Options: options.Index().SetUnique(true).SetName("username_unique"),
	})
	if err != nil {
		return err
	}
	if !s.embedded {
		// A shared store reads the history documents of a feature's
		// changes by their feature (see History).
		_, err = s.db.Collection(colHistories).Indexes().CreateOne(ctx, mongo.IndexModel{
			Keys: bson.D{{Key: "feature", Value: 1}, {Key: "change", Value: 1}}, Options: options.Index().SetName("feature_change")})
		if err != nil {
			return err
		}
	}
	villages, err := s.Villages(ctx)
	if err != nil {
		return err
	}
	codes := make([]string, len(villages))
	for i, v := range villages {
		codes[i] = v.Code
	}
	return s.prepareVillages(ctx, codes)
}

// prepareVillages readies villages' features collections for writes. On
// the embedded store they are made now, empty, and indexed by _id before
// the first write (see makeIndexed). On a real MongoDB each gets a
// 2dsphere index, for analysts' own queries; the product's reads come
// from memory and need none. A server that refuses one (another
// MongoDB-compatible backend) is logged, not fatal.
func (s *Store) prepareVillages(ctx context.Context, codes []string) error {
	if s.embedded {
		names := make([]string, len(codes))
		for i, c := range codes {
			names[i] = featuresCol(c)
		}
		return s.makeIndexed(ctx, names...)
	}
	for _, village := range codes {
		_, err := s.db.Collection(featuresCol(village)).Indexes().CreateOne(ctx, mongo.IndexModel{
			Keys: bson.D{{Key: "location", Value: "2dsphere"}}, Options: options.Index().SetName("location_2dsphere")})
		if err != nil {
			s.log.Warn("no 2dsphere index on this backend", "village", village, "err", err)
		}
	}
	return nil
}

// prepareMonth makes an assessment month's collections on the embedded
// store before their first write (see makeIndexed); once a process.
func (s *Store) prepareMonth(ctx context.Context, month string) error {
	if !s.embedded {
		return nil
	}
	if _, ok := s.months.Load(month); ok {
		return nil
	}
	if err := s.makeIndexed(ctx, villageMonthsCol(month), problemsCol(month)); err != nil {
		return err
	}
	s.months.Store(month, true)
	return nil
}

// embeddedCollections are the collections written at fixed names, made
// when the embedded store opens. A month's are made by prepareMonth;
// those a backup restore makes are indexed by the idIndexer's next sweep.
var embeddedCollections = []string{colUsers, colSessions, colVillages, colCounters, colFeatureIDs, colHistories,
	colSnapshots, colVillageLog, colVersionClaims, colAuditLog, colDevices, colSeen, colPhotos, colPhotoBlobs,
	colPendingPhotos, colTemplateHeads, colTemplates, colInspectionIDs, colProblemIDs, colAssessmentMonth, colVillageProblems}

// makeIndexed makes the embedded store's named collections that do not
// exist yet, empty, and has them indexed by _id at once (once the
// idIndexer runs; Open starts it after making them, and its first sweep
// indexes them). Made by its first write instead, a collection filled
// unindexed until the next sweep, whose index over what it held by then
// held SQLite's one writer (see Open).
func (s *Store) makeIndexed(ctx context.Context, names ...string) error {
	have, err := s.db.ListCollectionNames(ctx, bson.M{"name": bson.M{"$in": names}})
	if err != nil {
		return err
	}
	made := false
	for _, n := range names {
		if slices.Contains(have, n) {
			continue
		}
		if err := s.db.CreateCollection(ctx, n); err != nil && !isNamespaceExists(err) {
			return fmt.Errorf("create %s: %w", n, err)
		}
		made = true
	}
	if made && s.ids != nil {
		return s.ids.sweep(ctx)
	}
	return nil
}

// Collection names.
const (
	colUsers    = "users"
	colSessions = "sessions"
	colVillages = "villages"
	// Each village's write counters live apart from its boundary, so that
	// counting a write reads and rewrites a tiny document.
	colCounters = "village_counters"
)

// notFound maps the driver's no-documents error to the domain's not-found.
func notFound(err error, what string) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return cunjie.Errorf(cunjie.ENOTFOUND, "%s not found", what)
	}
	return err
}

// levelFilter passes on records at or above min. FerretDB makes a logger
// with attributes for every connection and command; the wrapped handler
// would format them each time, so they are only applied to a record that
// is actually written.
type levelFilter struct {
	base slog.Handler
	min  slog.Level
	with []func(slog.Handler) slog.Handler
}

func (h levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.base.Enabled(ctx, l)
}

func (h levelFilter) Handle(ctx context.Context, r slog.Record) error {
	out := h.base
	for _, f := range h.with {
		out = f(out)
	}
	return out.Handle(ctx, r)
}

func (h levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return h.then(func(x slog.Handler) slog.Handler { return x.WithAttrs(a) })
}

func (h levelFilter) WithGroup(n string) slog.Handler {
	return h.then(func(x slog.Handler) slog.Handler { return x.WithGroup(n) })
}

func (h levelFilter) then(f func(slog.Handler) slog.Handler) levelFilter {
	return levelFilter{base: h.base, min: h.min, with: append(h.with[:len(h.with):len(h.with)], f)}
}
