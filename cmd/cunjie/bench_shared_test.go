package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkSyncShared compares sync throughput and latency of two
// instances on one FerretDB + PostgreSQL store with one instance on the
// embedded store, with one client shape: 4 clients (2 per instance when
// there are two), each sending batches of 50 events on 100 bins of one
// village, for CUNJIE_BENCH_SECONDS (default 45). Run by `make bench`.
func BenchmarkSyncShared(b *testing.B) {
	secs, _ := strconv.Atoi(os.Getenv("CUNJIE_BENCH_SECONDS"))
	d := time.Duration(max(secs, 1)) * time.Second
	if secs == 0 {
		d = 45 * time.Second
	}
	for range b.N {
		uri := startSharedStore(b)
		x := startInstance(b, uri)
		y := startInstance(b, uri)
		two := syncLoad(b, []string{x.url, y.url}, d)
		if b.Failed() {
			b.Fatalf("instance logs:\n%s\n%s", x.log, y.log)
		}
		_, url, _ := startChild(b, testDir(b))
		one := syncLoad(b, []string{url}, d)
		fmt.Printf("sync, 4 clients, batches of 50 events (events/s, batch latency), %v: two instances on FerretDB+PostgreSQL %s; one on the embedded store %s; throughput ratio %.2f\n",
			d, two, one, two.perSec/one.perSec)
	}
}

type loadFigures struct {
	perSec   float64
	p50, p99 time.Duration
	max      time.Duration
	batches  int // requests answered
}

func (f loadFigures) String() string {
	return fmt.Sprintf("%.0f/s, p50 %v, p99 %v, max %v (n=%d)", f.perSec, f.p50.Round(10*time.Microsecond), f.p99.Round(10*time.Microsecond), f.max.Round(10*time.Microsecond), f.batches)
}

// syncLoad sets up 100 bins on the first server and sends batches of 50
// events from 4 clients spread over the servers for d.
func syncLoad(b *testing.B, urls []string, d time.Duration) loadFigures {
	admin := loginURL(b, urls[0], "admin", testAdminPassword)
	admin.must(200, "POST", "/api/v1/villages/import", demoGeoJSON())
	var ids []string
	var creates []map[string]any
	for i := range 100 {
		id := fmt.Sprintf("lb-%03d", i)
		ids = append(ids, id)
		creates = append(creates, map[string]any{"type": "putFeature", "id": id, "opId": "c-" + id, "feature": map[string]any{
			"kind": "bin", "location": map[string]any{"lon": demoOriginLon + demoCellLon*(0.2+float64(i%10)*0.05), "lat": demoOriginLat + demoCellLat*(0.2+float64(i/10)*0.05), "accuracy": 5}}})
	}
	admin.must(200, "POST", "/api/v1/sync", map[string]any{"ops": creates})
	var mu sync.Mutex
	var lat []time.Duration
	events := 0
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range 4 {
		c := loginURL(b, urls[w%len(urls)], "admin", testAdminPassword)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(end); n++ {
				// Each event a little later, as a phone records them: an
				// event older than a bin's latest ones has its history read.
				at := time.Now().Add(-time.Minute)
				var ops []map[string]any
				for k := range 50 {
					ops = append(ops, eventOp(ids[(n*50+k+w*25)%len(ids)], at))
				}
				body, _ := json.Marshal(map[string]any{"ops": ops})
				t0 := time.Now()
				req, _ := http.NewRequest("POST", c.base+"/api/v1/sync", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+c.token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				var res struct {
					Results []struct {
						Result string
						Error  any
					}
				}
				json.NewDecoder(resp.Body).Decode(&res)
				resp.Body.Close()
				ok := 0
				for _, r := range res.Results {
					if r.Result == "applied" {
						ok++
					} else {
						b.Errorf("an event %s: %v", r.Result, r.Error)
					}
				}
				mu.Lock()
				lat = append(lat, time.Since(t0))
				events += ok
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	slices.Sort(lat)
	if len(lat) == 0 {
		b.Fatal("no batch answered")
	}
	return loadFigures{perSec: float64(events) / took.Seconds(), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], max: lat[len(lat)-1], batches: len(lat)}
}
