package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// walSync makes the embedded store's writes durable with one fsync for
// many of them (group commit at the disk). SQLite in WAL mode with
// synchronous=FULL, its default, syncs the log inside every commit while
// it holds the one write lock: every write waited for the disk in turn,
// and the writers behind it slept in SQLite's busy handler meanwhile. In
// 25 s of the soak at 40 batches/s, requests spent 4.7 s in those fsyncs
// and 5.1 s in those sleeps, and its latency rose and fell with the disk.
//
// So the store runs synchronous=NORMAL, where a commit only writes the
// log, and whoever is about to tell someone that something is stored
// (the api, before it answers a request that may have written) calls
// Durable, which returns once a sync of the log that began after every
// write answered so far has finished. One fsync covers all the writes of
// a request and of every other request meanwhile, and none holds the
// lock while the disk works. fsync is per file (inode), so syncing the
// log from our own descriptor covers what SQLite wrote through its own.
// Checkpoints still sync the log first and the database after (NORMAL).
// What a power cut takes is a suffix of the commits none of which was
// answered: the store as a crash between two commands leaves it, which
// every write path is made to survive.
type walSync struct {
	path string // the database's log (<db>.sqlite-wal); mu guards it
	log  *slog.Logger

	mu      sync.Mutex
	cond    *sync.Cond
	writes  uint64 // write commands answered
	synced  uint64 // of those, how many the last finished sync covers
	waiting int    // callers of wait
	// failures counts failed syncs; err is the last one's.
	failures uint64
	err      error
	stopped  bool

	file *os.File // the log, open (the flusher's alone)
}

// sqliteURLPragmas are the embedded store's SQLite settings (see walSync).
const sqliteURLPragmas = "?_pragma=synchronous(normal)"

func newWALSync(sqliteDir, db string, log *slog.Logger) *walSync {
	w := &walSync{path: filepath.Join(sqliteDir, db+".sqlite-wal"), log: log}
	w.cond = sync.NewCond(&w.mu)
	go w.run()
	return w
}

// wrote counts the write commands answered; the store's write gate calls
// it with every command. A failed write counts too: it may have written
// part of its documents (an unordered insert's others).
func (w *walSync) wrote(command string) {
	if isWrite(command) {
		w.mu.Lock()
		w.writes++
		w.mu.Unlock()
	}
}

// wait returns when every write answered before the call is synced, or
// with the error of a sync that failed meanwhile: those writes are
// stored but may not outlive a power cut, and their requests must not
// be answered as done (their ops, sent again, answer duplicate once a
// sync succeeds).
func (w *walSync) wait() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	target := w.writes
	if w.synced >= target {
		return nil
	}
	failures := w.failures
	w.waiting++
	w.cond.Broadcast()
	for w.synced < target && w.failures == failures && !w.stopped {
		w.cond.Wait()
	}
	w.waiting--
	if w.synced < target && w.failures != failures {
		return w.err
	}
	return nil
}

// run syncs the log while callers wait, until stop.
func (w *walSync) run() {
	for {
		w.mu.Lock()
		for (w.waiting == 0 || w.synced >= w.writes) && !w.stopped {
			w.cond.Wait()
		}
		if w.stopped {
			w.mu.Unlock()
			if w.file != nil {
				w.file.Close()
			}
			return
		}
		covered, path := w.writes, w.path
		w.mu.Unlock()

		err := w.syncLog(path)

		w.mu.Lock()
		if err == nil {
			w.synced = covered
		} else {
			w.failures++
			w.err = err
		}
		w.cond.Broadcast()
		w.mu.Unlock()
		if err != nil {
			time.Sleep(syncRetryWait) // a failing disk is not asked again at once
		}
	}
}

// syncRetryWait is the pause after a failed sync.
const syncRetryWait = 100 * time.Millisecond

// syncLog fsyncs the database's log. A log made since the last sync
// (SQLite removes it when the last connection closes and makes it again)
// is opened, and the directory synced so that its name is on disk too.
func (w *walSync) syncLog(path string) error {
	f, err := w.open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // no log: nothing written since the database was opened
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		// The disk failed a write it had taken: what is not synced may
		// be lost at a power cut.
		w.log.Error("store log not synced", "file", path, "err", err)
		return fmt.Errorf("sync the store's log: %w", err)
	}
	return nil
}

// open answers a descriptor of the log, opened again when the file at
// its path is not the one held (a look at the path costs a stat; a
// listing of the directory each sync cost 9 % of the server's CPU).
func (w *walSync) open(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if w.file != nil {
		if held, err := w.file.Stat(); err == nil && os.SameFile(held, st) {
			return w.file, nil
		}
		w.file.Close()
		w.file = nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	w.file = f
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
			w.log.Error("store directory not synced", "err", err)
		}
		d.Close()
	}
	return f, nil
}

// stop ends the flusher; callers of wait after it do not wait (the store
// is closing, and SQLite syncs the log as it closes).
func (w *walSync) stop() {
	w.mu.Lock()
	w.stopped = true
	w.cond.Broadcast()
	w.mu.Unlock()
}
