package main

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
)

// Two instances on one FerretDB+PostgreSQL store, started at once on
// features an older version left without codes, both migrate: each
// feature ends with one code, the same on both; then both create into
// two villages at once and no code is given twice.
func TestTwoInstancesCodes(t *testing.T) {
	uri := startSharedStore(t)
	a := startInstance(t, uri)
	admin := loginURL(t, a.url, "admin", testAdminPassword)
	admin.must(200, "POST", "/api/v1/villages/import", demoGeoJSON())
	a.cmd.Process.Signal(syscall.SIGTERM)
	a.cmd.Wait()

	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{URI: uri, DB: "cunjie"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for vi, village := range []string{demoCode(0), demoCode(1)} {
		var fs []*cunjie.Feature
		var fids, villages, ops []string
		for i := range 40 {
			id := fmt.Sprintf("old-%d-%d", vi, i)
			ids = append(ids, id)
			fs = append(fs, &cunjie.Feature{ID: id, Village: village, Kind: cunjie.KindBin, Version: 1, Seq: int64(i + 1),
				Location: cunjie.Location{Lon: demoOriginLon + demoCellLon*(0.45+float64(vi)), Lat: demoOriginLat + demoCellLat*0.5},
				Attrs:    map[string]any{"status": "ok"}, CreatedAt: time.Now()})
			fids, villages, ops = append(fids, id), append(villages, village), append(ops, "op-"+id)
		}
		if _, _, err := st.ClaimFeatures(ctx, village, "", fids, ops); err != nil {
			t.Fatal(err)
		}
		if _, err := st.InsertFeatures(ctx, village, fs); err != nil {
			t.Fatal(err)
		}
	}

	var a2, b *instance
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a2 = startInstance(t, uri) }()
	go func() { defer wg.Done(); b = startInstance(t, uri) }()
	wg.Wait()
	ca, cb := loginURL(t, a2.url, "admin", testAdminPassword), loginURL(t, b.url, "admin", testAdminPassword)
	codeOn := func(c *client, id string) string {
		s, _ := c.must(200, "GET", "/api/v1/features/"+id, nil).Map()["code"].(string)
		return s
	}
	seen := map[string]string{}
	for _, id := range ids {
		var code string
		waitFor(t, 30*time.Second, "codes of "+id, func() bool { code = codeOn(ca, id); return code != "" })
		waitFor(t, 10*time.Second, "the other instance to see "+id+"'s code", func() bool { return codeOn(cb, id) == code })
		if other, ok := seen[code]; ok {
			t.Fatalf("code %s given to %s and %s", code, other, id)
		}
		seen[code] = id
	}

	var mu sync.Mutex
	for w, c := range []*client{ca, cb, ca, cb} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				id := fmt.Sprintf("new-%d-%d", w, i)
				loc := map[string]any{"lon": demoOriginLon + demoCellLon*(0.45+float64(w%2)) + float64(i)*1e-4, "lat": demoOriginLat + demoCellLat*0.5, "accuracy": 5}
				f := c.must(201, "PUT", "/api/v1/features/"+id, map[string]any{"opId": "op-" + id, "kind": "bin", "location": loc}).Map()
				code, _ := f["code"].(string)
				mu.Lock()
				if other, ok := seen[code]; ok || !codeRe.MatchString(code) {
					t.Errorf("%s got code %q (also %s's)", id, code, other)
				}
				seen[code] = id
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	codes, links := codeDocs(t, st)
	st.Close(ctx)
	if codes != len(seen) || links != len(seen) {
		t.Fatalf("%d codes stored and %d named by their features for %d features", codes, links, len(seen))
	}
}
