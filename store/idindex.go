package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // FerretDB's own SQLite driver, already linked in
)

// The embedded FerretDB 1.24 creates its _id index on the expression
// `_ferretdb_sjson->"_id"` but finds, updates and deletes by
// `_ferretdb_sjson->'$._id'`. SQLite uses an expression index only for the
// very same expression, so every lookup by _id read the whole table (a
// find and an update at 5,000 documents: 42 ms, against 1.0 ms with an
// index on the queried expression; BenchmarkIDLookup), and the server's writes slowed down as the data grew until they queued
// behind SQLite's single write lock (the first soak's failure, issue 7).
//
// idIndexer adds that index to every table of the embedded database.
// FerretDB does not know about it and does not need to: SQLite keeps it up
// to date, and it goes with the table when a collection is dropped. The
// store makes its collections, a new village's features and a new
// assessment month's empty and has them indexed at once (Open,
// PutVillages, prepareMonth); others made by a write (a restore's) are
// indexed at the next sweep. Indexing a collection that has filled
// meanwhile holds SQLite's one writer while it reads them all.
type idIndexer struct {
	db   *sql.DB
	stop chan struct{}
	done chan struct{}
}

// idIndexSuffix names our index beside FerretDB's own ("<table>_<name>").
const idIndexSuffix = "_cunjie_id"

// idIndexSweep is how often new tables are looked for.
const idIndexSweep = 10 * time.Second

// startIDIndexer opens the database file of dbName in sqliteDir, indexes
// every table now and then sweeps for new ones until close.
func startIDIndexer(ctx context.Context, sqliteDir, dbName string, log func(msg string, args ...any)) (*idIndexer, error) {
	q := url.Values{}
	q.Add("mode", "rw") // never create the file: FerretDB owns it
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(sqliteDir, dbName+".sqlite")+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	x := &idIndexer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	if err := x.sweep(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("index _id on the embedded store: %w", err)
	}
	go func() {
		defer close(x.done)
		t := time.NewTicker(idIndexSweep)
		defer t.Stop()
		for {
			select {
			case <-x.stop:
				return
			case <-t.C:
				if err := x.sweep(context.Background()); err != nil {
					log("indexing _id of new collections failed", "err", err)
				}
			}
		}
	}()
	return x, nil
}

// sweep indexes the tables that lack our index.
func (x *idIndexer) sweep(ctx context.Context) error {
	tables, err := x.unindexed(ctx)
	if err != nil {
		return err
	}
	for _, t := range tables {
		// The expression must read exactly as FerretDB's queries write it.
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+idIndexSuffix, t)
		if _, err := x.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("table %s: %w", t, err)
		}
	}
	return nil
}

// unindexed lists the collections' tables without our index.
func (x *idIndexer) unindexed(ctx context.Context) ([]string, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT c.table_name FROM _ferretdb_collections c
		WHERE NOT EXISTS (SELECT 1 FROM sqlite_master m WHERE m.type = 'index' AND m.name = c.table_name || ?)`, idIndexSuffix)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	return tables, rows.Err()
}

func (x *idIndexer) close() {
	close(x.stop)
	<-x.done
	x.db.Close()
}
