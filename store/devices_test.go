package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cunjie/cunjie/store"
)

// TestRecordSyncFirstReportsAtOnce: a phone's first reports arriving
// together (two instances, or two requests of one) all succeed, and one
// record is kept. Both upserts could insert, and the loser failed on the
// duplicate _id (seen with two instances on FerretDB and PostgreSQL).
func TestRecordSyncFirstReportsAtOnce(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	const phones, reports = 20, 6
	for p := range phones {
		var wg sync.WaitGroup
		errs := make(chan error, reports)
		for r := range reports {
			wg.Go(func() {
				errs <- s.RecordSync(ctx, store.Device{User: "u1", Device: fmt.Sprintf("phone-%d", p), LastSyncAt: at.Add(time.Duration(r) * time.Second), OpsSent: r})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("phone %d: %v", p, err)
			}
		}
	}
	ds, err := s.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != phones {
		t.Fatalf("%d records, want %d", len(ds), phones)
	}
}
