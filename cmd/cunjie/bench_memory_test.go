package main

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkFeatureMemory prints the Go heap a feature keeps live in the
// server: 4,000 features of the soak's kinds and attributes, created by
// /sync as phones send them, each given the five events a feature keeps
// inline, against the heap before. The server keeps every village's
// features in memory, so this is what a town's size costs (and what the
// soak's memory grows by as it adds features). Run by `make bench`.
func BenchmarkFeatureMemory(b *testing.B) {
	const n, batch = 4000, 200
	kinds := []struct {
		kind, event string
		attrs       map[string]any
	}{
		{"bin", "emptied", map[string]any{"capacity_l": 240, "status": "ok"}},
		{"household_toilet", "inspected", map[string]any{"type": "three_compartment", "tap_water": true}},
		{"garbage_pool", "cleared", map[string]any{"volume_m3": 3.5}},
		{"collection_point", "cleared", map[string]any{"bin_count": 4}},
	}
	for range b.N {
		m := MustRunMain(b, nil)
		admin := adminClient(b, m)
		admin.must(200, "POST", "/api/v1/villages/import", demoGeoJSON())
		before := liveHeap()
		at := time.Now().UTC().Add(-time.Hour)
		for from := 0; from < n; from += batch {
			var ops []map[string]any
			for i := from; i < from+batch; i++ {
				k := kinds[i%len(kinds)]
				id := fmt.Sprintf("mem-p%03d-f%06d", i%200, i)
				loc := map[string]any{"lon": demoOriginLon + demoCellLon*(0.1+0.8*float64(i%100)/100),
					"lat": demoOriginLat + demoCellLat*(0.1+0.8*float64(i/100%100)/100), "accuracy": 5 + i%10}
				ops = append(ops, map[string]any{"type": "putFeature", "id": id, "opId": "op-" + id,
					"feature": map[string]any{"kind": k.kind, "attrs": k.attrs, "location": loc}})
			}
			admin.must(200, "POST", "/api/v1/sync", map[string]any{"ops": ops})
			for e := range 5 {
				ops = ops[:0]
				for i := from; i < from+batch; i++ {
					id := fmt.Sprintf("mem-p%03d-f%06d", i%200, i)
					op := fmt.Sprintf("mem-p%03d-op%06d-%d", i%200, i, e)
					ops = append(ops, map[string]any{"type": "addEvent", "id": id, "opId": op, "event": map[string]any{
						"opId": op, "id": "ev-" + op, "type": kinds[i%len(kinds)].event, "at": at.Add(time.Duration(e) * time.Minute).Format(time.RFC3339)}})
				}
				admin.must(200, "POST", "/api/v1/sync", map[string]any{"ops": ops})
			}
		}
		after := liveHeap()
		fmt.Printf("feature memory: %d features with 5 events each keep %.0f bytes of Go heap each live (%.1f MB -> %.1f MB)\n",
			n, float64(after-before)/n, float64(before)/(1<<20), float64(after)/(1<<20))
		b.ReportMetric(float64(after-before)/n, "B/feature")
	}
}

// liveHeap is the heap in use after a full collection (the median of
// three: a snapshot or a request may be in flight at any one).
func liveHeap() uint64 {
	var xs [3]uint64
	for i := range xs {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		xs[i] = ms.HeapAlloc
		time.Sleep(200 * time.Millisecond)
	}
	return max(min(xs[0], xs[1]), min(max(xs[0], xs[1]), xs[2]))
}
