package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkSingleWrites measures writes of one feature per request, as a
// phone online sends them: 4 keep-alive clients, 5,000 new bins into a
// village that holds 10,000 already, then 5,000 events on them, and prints
// p50, p99 and throughput of each. Then both at once, as a town's phones
// send them: creates into a second village beside events in the first,
// where the events' updates and the creates' inserts take turns at the
// store's one writer. Run by `make bench`.
func BenchmarkSingleWrites(b *testing.B) {
	const preload, n, clients = 10000, 5000, 4
	for range b.N {
		m := MustRunMain(b, nil)
		admin := adminClient(b, m)
		admin.must(200, "POST", "/api/v1/villages/import", demoGeoJSON())
		at := func(i int) map[string]any {
			// A 200 × 100 grid inside the first village's cell.
			return map[string]any{"lon": demoOriginLon + demoCellLon*(0.1+0.8*float64(i%200)/200),
				"lat": demoOriginLat + demoCellLat*(0.1+0.8*float64(i/200%100)/100), "accuracy": 5}
		}
		for from := 0; from < preload; from += 500 {
			var ops []map[string]any
			for i := from; i < from+500; i++ {
				id := fmt.Sprintf("pre-%05d", i)
				ops = append(ops, map[string]any{"type": "putFeature", "id": id, "opId": "op-" + id,
					"feature": map[string]any{"kind": "bin", "location": at(i)}})
			}
			admin.must(200, "POST", "/api/v1/sync", map[string]any{"ops": ops})
		}
		creates := requestLoad(b, m.URL(), admin.token, n, clients, func(i int) (string, string, any) {
			id := fmt.Sprintf("one-%05d", i)
			return "PUT", "/api/v1/features/" + id, map[string]any{"opId": "op-" + id, "kind": "bin", "location": at(preload + i)}
		})
		events := requestLoad(b, m.URL(), admin.token, n, clients, func(i int) (string, string, any) {
			return "POST", fmt.Sprintf("/api/v1/features/one-%05d/events", i), map[string]any{"opId": fmt.Sprintf("ev-op-%05d", i),
				"id": fmt.Sprintf("ev-%05d", i), "type": "emptied", "at": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)}
		})
		fmt.Printf("single writes, %d clients, into a village of %d: %d creates %s; %d events %s\n", clients, preload, n, creates, n, events)
		var mixCreates, mixEvents loadFigures
		var wg sync.WaitGroup
		wg.Go(func() {
			mixCreates = requestLoad(b, m.URL(), admin.token, n/2, clients, func(i int) (string, string, any) {
				id := fmt.Sprintf("mix-%05d", i)
				loc := map[string]any{"lon": demoOriginLon + demoCellLon*(1.3+0.4*float64(i%100)/100),
					"lat": demoOriginLat + demoCellLat*(0.3+0.4*float64(i/100%100)/100), "accuracy": 5}
				return "PUT", "/api/v1/features/" + id, map[string]any{"opId": "op-" + id, "kind": "bin", "location": loc}
			})
		})
		mixEvents = requestLoad(b, m.URL(), admin.token, n/2, clients, func(i int) (string, string, any) {
			return "POST", fmt.Sprintf("/api/v1/features/one-%05d/events", i), map[string]any{"opId": fmt.Sprintf("mix-ev-op-%05d", i),
				"id": fmt.Sprintf("mix-ev-%05d", i), "type": "emptied", "at": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)}
		})
		wg.Wait()
		fmt.Printf("single writes at once, %d + %d clients: %d creates into a second village %s; %d events %s\n", clients, clients, n/2, mixCreates, n/2, mixEvents)
	}
}

// requestLoad sends n requests made by req from clients keep-alive
// clients and answers their figures; any answer but 200 or 201 fails.
func requestLoad(b *testing.B, base, token string, n, clients int, req func(i int) (method, path string, body any)) loadFigures {
	var next atomic.Int64
	var mu sync.Mutex
	lat := make([]time.Duration, 0, n)
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				method, path, body := req(i)
				data, _ := json.Marshal(body)
				r, _ := http.NewRequest(method, base+path, bytes.NewReader(data))
				r.Header.Set("Authorization", "Bearer "+token)
				r.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := hc.Do(r)
				if err != nil {
					b.Error(err)
					return
				}
				var sink bytes.Buffer
				sink.ReadFrom(resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if resp.StatusCode != 200 && resp.StatusCode != 201 {
					b.Errorf("%s %s: %d %s", method, path, resp.StatusCode, sink.String())
					return
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	slices.Sort(lat)
	if len(lat) == 0 {
		b.Fatal("no request answered")
	}
	return loadFigures{perSec: float64(len(lat)) / took.Seconds(), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], max: lat[len(lat)-1], batches: len(lat)}
}
