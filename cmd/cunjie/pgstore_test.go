package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// A store shared by several Cunjie processes: PostgreSQL 15 from Debian's
// packages with FerretDB (the version go.mod requires, run in the test
// process) in front of it on 127.0.0.1, the closest thing to a MongoDB
// these machines run. FerretDB makes inserts with a taken _id fail
// atomically (PostgreSQL's unique index) but a filtered update is a read
// then a write, which is what the multi-instance write path must survive.

const pgBin = "/usr/lib/postgresql/15/bin"

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startPostgres runs a throwaway PostgreSQL cluster and returns its URL.
// PostgreSQL refuses to run as root; then it runs as the "postgres" user
// that Debian's package creates.
func startPostgres(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(pgBin, "postgres")); err != nil {
		t.Fatalf("PostgreSQL 15 is needed for the multi-instance tests (apt-get install postgresql-15): %v", err)
	}
	dir, err := os.MkdirTemp("", "cjpg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var asUser []string
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	run := func(args ...string) {
		t.Helper()
		full := append(append([]string{}, asUser...), args...)
		out, err := exec.Command(full[0], full[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	data := filepath.Join(dir, "data")
	run(filepath.Join(pgBin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
	port := freePort(t)
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", port, dir)
	run(filepath.Join(pgBin, "pg_ctl"), "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start")
	t.Cleanup(func() {
		full := append(append([]string{}, asUser...), filepath.Join(pgBin, "pg_ctl"), "-D", data, "-m", "immediate", "stop")
		exec.Command(full[0], full[1:]...).Run()
	})
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres", port)
}

// startSharedStore starts PostgreSQL and FerretDB and returns the MongoDB
// URI that several Cunjie processes are given.
func startSharedStore(t testing.TB) string {
	t.Helper()
	pgURL := startPostgres(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: addr},
		Handler:       "postgresql",
		PostgreSQLURL: pgURL,
		Logger:        slog.New(slog.DiscardHandler), // it logs every duplicate key, which the protocol expects
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("FerretDB does not listen on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return f.MongoDBURI()
}
