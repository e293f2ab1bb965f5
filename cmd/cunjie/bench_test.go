package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cunjie/cunjie/geo"
)

// BenchmarkIngest sends 20,000 new features through POST /sync in batches
// of 200 from 4 concurrent clients against the embedded store, then inserts
// the same documents with the driver's InsertMany, and prints both rates
// and their ratio. Run by `make bench`.
func BenchmarkIngest(b *testing.B) {
	const total, batch, clients = 20000, 200, 4
	for range b.N {
		m := MustRunMain(b, nil)
		admin := adminClient(b, m)
		admin.must(200, "POST", "/api/v1/villages/import", demoGeoJSON())
		// A phone's batch holds what one person recorded: one village.
		points := demoTestPoints(b, total)
		shapes, _ := geo.ParseVillages(demoGeoJSON())
		vs := geo.NewVillages(shapes)
		slices.SortStableFunc(points, func(a, c map[string]any) int {
			va, _ := vs.Locate(orb.Point{a["lon"].(float64), a["lat"].(float64)})
			vc, _ := vs.Locate(orb.Point{c["lon"].(float64), c["lat"].(float64)})
			return strings.Compare(va, vc)
		})
		type op = map[string]any
		bodies := make([][]byte, 0, total/batch)
		for from := 0; from < total; from += batch {
			var ops []op
			for i := from; i < from+batch; i++ {
				id := fmt.Sprintf("ingest-%05d", i)
				ops = append(ops, op{"type": "putFeature", "id": id, "opId": "op-" + id, "feature": op{
					"opId": "op-" + id, "kind": "bin", "location": points[i], "attrs": op{"capacity_l": 240, "status": "ok"}}})
			}
			body, _ := json.Marshal(op{"ops": ops})
			bodies = append(bodies, body)
		}
		var mu sync.Mutex
		var lat []time.Duration
		work := make(chan []byte)
		var wg sync.WaitGroup
		start := time.Now()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for body := range work {
					t0 := time.Now()
					req, _ := http.NewRequest("POST", m.URL()+"/api/v1/sync", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+admin.token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						b.Error(err)
						continue
					}
					var res struct{ Results []struct{ Result string } }
					json.NewDecoder(resp.Body).Decode(&res)
					resp.Body.Close()
					for _, r := range res.Results {
						if r.Result != "applied" {
							b.Errorf("result %s", r.Result)
							break
						}
					}
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			}()
		}
		for _, body := range bodies {
			work <- body
		}
		close(work)
		wg.Wait()
		elapsed := time.Since(start)
		slices.Sort(lat)
		rate := float64(total) / elapsed.Seconds()

		// The store's raw rate for the same documents: read them back and
		// insert copies into a scratch collection, 200 at a time.
		db := m.Store.DB()
		var docs []any
		for _, code := range demoCodes() {
			cur, err := db.Collection("features_"+code).Find(context.Background(), map[string]any{})
			if err != nil {
				b.Fatal(err)
			}
			var ds []map[string]any
			if err := cur.All(context.Background(), &ds); err != nil {
				b.Fatal(err)
			}
			for _, d := range ds {
				docs = append(docs, d)
			}
		}
		raw := db.Collection("bench_raw")
		t0 := time.Now()
		for i := 0; i < len(docs); i += batch {
			if _, err := raw.InsertMany(context.Background(), docs[i:min(i+batch, len(docs))], options.InsertMany().SetOrdered(false)); err != nil {
				b.Fatal(err)
			}
		}
		rawRate := float64(len(docs)) / time.Since(t0).Seconds()
		b.ReportMetric(rate, "features/s")
		b.ReportMetric(rawRate, "raw-docs/s")
		b.ReportMetric(rate/rawRate, "ratio")
		fmt.Printf("ingest: %d features via /sync (batches of %d, %d clients) in %v: %.0f features/s; batch latency p50 %v p99 %v; raw InsertMany %.0f docs/s; ratio %.2f\n",
			total, batch, clients, elapsed.Round(time.Millisecond), rate, lat[len(lat)/2].Round(time.Millisecond),
			lat[len(lat)*99/100].Round(time.Millisecond), rawRate, rate/rawRate)
	}
}
