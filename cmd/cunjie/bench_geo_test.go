package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/api"
	"github.com/cunjie/cunjie/geo"
)

// BenchmarkTown100k measures the map reads at county scale: 100,000
// features in 50 villages on the embedded store, one village holding 5,000
// households. The store is filled in-process, then a server process is
// started on it and measured from outside. Run by `make bench`.
func BenchmarkTown100k(b *testing.B) {
	for range b.N {
		dir := testDir(b)
		codes := fillTown100k(b, dir)
		// The fill's garbage is collected now, not by the measuring
		// client during the measurements, on the server's cores.
		debug.FreeOSMemory()
		start := time.Now()
		cmd, url, _ := spawn(b, os.Stderr, "CUNJIE_DATA_DIR="+dir)
		c := loginURL(b, url, "admin", testAdminPassword)
		waitFor(b, 120*time.Second, "ready", func() bool { return c.do("GET", "/readyz", nil).Status == 200 })
		ready := time.Since(start)
		fmt.Printf("town100k: ready after %v; resident memory %d MB\n", ready.Round(time.Millisecond), rssMB(cmd.Process.Pid))

		rng := rand.New(rand.NewPCG(3, 3))
		vb := villageBound(b, codes[1])
		randPoint := func() orb.Point {
			return orb.Point{vb.Min[0] + rng.Float64()*(vb.Max[0]-vb.Min[0]), vb.Min[1] + rng.Float64()*(vb.Max[1]-vb.Min[1])}
		}
		report := func(name string, n int, path func(i int) string) {
			var ds []time.Duration
			for i := 0; i < n; i++ {
				t0 := time.Now()
				r := c.do("GET", path(i), nil)
				ds = append(ds, time.Since(t0))
				if r.Status != 200 {
					b.Fatalf("%s: %d %.200s", name, r.Status, r.Body)
				}
			}
			slices.Sort(ds)
			fmt.Printf("town100k: %-34s n=%-4d p50 %8.2f ms  p99 %8.2f ms\n", name, n, ms(ds[len(ds)/2]), ms(ds[(len(ds)*99)/100]))
		}
		report("village FeatureCollection (~1,900)", 200, func(i int) string { return "/api/v1/villages/" + codes[1+i%49] + "/features" })
		report("town viewport, clustered", 50, func(int) string { return "/api/v1/features?bbox=114.8,27.0,115.2,27.2" })
		report("nearest k=10", 1000, func(int) string {
			p := randPoint()
			return fmt.Sprintf("/api/v1/features/near?lon=%v&lat=%v&limit=10", p[0], p[1])
		})
		report("coverage, 5,000-household village", 20, func(int) string { return "/api/v1/villages/" + codes[0] + "/coverage" })
		report("coverage, whole town", 5, func(int) string { return "/api/v1/coverage" })
		report("overview, whole town (workbench)", 200, func(int) string { return "/api/v1/overview" })
		if r := c.do("GET", "/api/v1/export/features.xlsx", nil); r.Status != 404 {
			t0 := time.Now()
			req, _ := http.NewRequest("GET", url+"/api/v1/export/features.xlsx", nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			fmt.Printf("town100k: XLSX export of all features: %d bytes in %v\n", n, time.Since(t0).Round(time.Millisecond))
		}
		fmt.Printf("town100k: resident memory at the end %d MB\n", rssMB(cmd.Process.Pid))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fillTown100k stores the 50-village town and its features in dir.
func fillTown100k(b *testing.B, dir string) []string {
	names := make([]string, 50)
	for i := range names {
		names[i] = fmt.Sprintf("试验%02d村", i+1)
	}
	code := func(i int) string { return fmt.Sprintf("360803102%03d", 201+i) }
	codes := make([]string, 50)
	for i := range codes {
		codes[i] = code(i)
	}
	m := mustRunIn(b, dir, nil)
	if _, err := api.ImportVillages(context.Background(), m.Store, gridTownGeoJSON(names, 10, code)); err != nil {
		b.Fatal(err)
	}
	m.Close()

	m = mustRunIn(b, dir, nil)
	defer m.Close()
	vs := m.Server.Villages()
	user := &cunjie.User{ID: "bench", Username: "bench", Role: cunjie.RoleAdmin}
	rng := rand.New(rand.NewPCG(9, 9))
	t0 := time.Now()
	total := 0
	for vi, code := range codes {
		v, _ := vs.Get(code)
		households, facilities := 700, 1220 // ~1,920 a village
		if vi == 0 {
			households, facilities = 5000, 1000
		}
		var ops []api.SyncOp
		bd := v.Shape.Bound()
		for i := 0; i < households+facilities; i++ {
			var p orb.Point
			for {
				p = orb.Point{bd.Min[0] + rng.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + rng.Float64()*(bd.Max[1]-bd.Min[1])}
				if c, ok := vs.Locate(p); ok && c == code {
					break
				}
			}
			kind := cunjie.KindHouseholdToilet
			attrs := map[string]any{"stage": "done", "household_head": "测试户", "type": "three_compartment"}
			if i >= households {
				kind, attrs = cunjie.KindBin, map[string]any{"status": "ok"}
				if i%10 == 0 {
					kind, attrs = cunjie.KindGarbagePool, map[string]any{"volume_m3": 4.0}
				}
			}
			id := fmt.Sprintf("t-%s-%05d", code, i)
			ops = append(ops, api.SyncOp{Type: "putFeature", ID: id, OpID: "op-" + id, Feature: &api.FeatureWrite{
				OpID: "op-" + id, Kind: kind, Location: &cunjie.Location{Lon: p[0], Lat: p[1], Accuracy: 5}, Attrs: attrs}})
		}
		for i := 0; i < len(ops); i += api.MaxSyncOps {
			for _, r := range m.Server.Apply(context.Background(), user, ops[i:min(i+api.MaxSyncOps, len(ops))]) {
				if r.Result != "applied" && r.Result != "duplicate" {
					b.Fatalf("fill: %s %+v", r.Result, r.Error)
				}
			}
		}
		total += len(ops)
	}
	fmt.Printf("town100k: stored %d features in 50 villages in %v\n", total, time.Since(t0).Round(time.Second))
	return codes
}

func villageBound(b *testing.B, code string) orb.Bound {
	names := make([]string, 50)
	for i := range names {
		names[i] = "x"
	}
	shapes, err := geo.ParseVillages(gridTownGeoJSON(names, 10, func(i int) string { return fmt.Sprintf("360803102%03d", 201+i) }))
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range shapes {
		if s.Code == code {
			return s.Shape.Bound()
		}
	}
	b.Fatal("no village " + code)
	return orb.Bound{}
}

// rssMB reads a process's resident memory from /proc.
func rssMB(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kb int
			fmt.Sscanf(strings.TrimPrefix(line, "VmRSS:"), "%d", &kb)
			return kb / 1024
		}
	}
	return -1
}
