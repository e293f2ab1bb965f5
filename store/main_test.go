package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/cunjie/cunjie/store"
)

// MustOpenStore starts a real embedded store in a fresh directory and
// closes it when the test ends. The directory is short (os.MkdirTemp, not
// t.TempDir) because the Unix socket path inside it must stay under 100
// characters.
func MustOpenStore(t testing.TB) *store.Store {
	t.Helper()
	dir := storeDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// Registered after RemoveAll, so it runs first: close, then delete.
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// storeDir is a fresh, short data directory, removed when the test ends.
func storeDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cjs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
