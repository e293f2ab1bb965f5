package main

import (
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/cunjie/cunjie/geo"
)

type mapFeature struct {
	ID       string
	Geometry struct{ Coordinates [2]float64 }
	Props    map[string]any `json:"properties"`
}

type mapCollection struct {
	Type     string
	Features []mapFeature
}

// seedFeatures records n features of mixed kinds in the first two demo
// villages and returns them by id with kind and point.
func seedFeatures(t *testing.T, tw *town, n int) map[string]seeded {
	t.Helper()
	kinds := []string{"bin", "bin", "garbage_pool", "household_toilet", "housing_reform", "public_toilet"}
	out := map[string]seeded{}
	var ops []map[string]any
	for i := 0; i < n; i++ {
		code := tw.v1
		if i%3 == 0 {
			code = tw.v2
		}
		loc := tw.pointIn(t, code)
		id := fmt.Sprintf("m-%04d", i)
		k := kinds[i%len(kinds)]
		ops = append(ops, map[string]any{"type": "putFeature", "id": id, "opId": "op-" + id,
			"feature": map[string]any{"opId": "op-" + id, "kind": k, "location": loc, "attrs": withRequired(k, nil)}})
		out[id] = seeded{kind: k, village: code, p: orb.Point{loc["lon"].(float64), loc["lat"].(float64)}}
	}
	var res struct{ Results []struct{ Result string } }
	tw.insp.must(200, "POST", "/api/v1/sync", map[string]any{"ops": ops}).JSON(&res)
	for _, r := range res.Results {
		if r.Result != "applied" {
			t.Fatalf("seed: %s", r.Result)
		}
	}
	return out
}

type seeded struct {
	kind, village string
	p             orb.Point
}

func TestVillageFeaturesAndViewport(t *testing.T) {
	tw := newTown(t)
	all := seedFeatures(t, tw, 300)
	var fc mapCollection
	tw.insp.must(200, "GET", "/api/v1/villages/"+tw.v1+"/features?kind=bin,garbage_pool", nil).JSON(&fc)
	want := 0
	for _, s := range all {
		if s.village == tw.v1 && (s.kind == "bin" || s.kind == "garbage_pool") {
			want++
		}
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) != want {
		t.Fatalf("village features: %d, want %d", len(fc.Features), want)
	}
	for _, f := range fc.Features {
		s := all[f.ID]
		if f.Props["village"] != tw.v1 || f.Props["kind"] != s.kind || f.Geometry.Coordinates != [2]float64(s.p) || f.Props["status"] == nil {
			t.Errorf("feature %s: %+v", f.ID, f)
		}
	}
	if r := tw.insp.do("GET", "/api/v1/villages/"+tw.v1+"/features?kind=spaceship", nil); r.Status != 400 {
		t.Errorf("bad kind: %d", r.Status)
	}
	if r := tw.clean.do("GET", "/api/v1/villages/"+tw.v2+"/features", nil); r.Status != 404 {
		t.Errorf("cleaner reads another village's map: %d", r.Status)
	}

	// A viewport: a box around part of village 1, against brute force.
	v, _ := tw.m.Server.Villages().Get(tw.v1)
	b := v.Shape.Bound()
	box := orb.Bound{Min: b.Min, Max: orb.Point{(b.Min[0] + b.Max[0]) / 2, (b.Min[1] + b.Max[1]) / 2}}
	q := fmt.Sprintf("/api/v1/features?bbox=%f,%f,%f,%f", box.Min[0], box.Min[1], box.Max[0], box.Max[1])
	tw.insp.must(200, "GET", q, nil).JSON(&fc)
	wantIDs := map[string]bool{}
	for id, s := range all {
		// The query rounds the box to 6 decimals; compare with the same box.
		rb := orb.Bound{Min: orb.Point{round6(box.Min[0]), round6(box.Min[1])}, Max: orb.Point{round6(box.Max[0]), round6(box.Max[1])}}
		if rb.Contains(s.p) {
			wantIDs[id] = true
		}
	}
	if len(fc.Features) != len(wantIDs) {
		t.Fatalf("viewport: %d features, want %d", len(fc.Features), len(wantIDs))
	}
	for _, f := range fc.Features {
		if !wantIDs[f.ID] {
			t.Errorf("viewport has %s outside the box", f.ID)
		}
	}
	// Over the limit: clusters whose counts add up to every feature.
	tb := orb.Bound{Min: orb.Point{114.8, 27.0}, Max: orb.Point{115.0, 27.2}}
	tw.insp.must(200, "GET", fmt.Sprintf("/api/v1/features?bbox=%f,%f,%f,%f&limit=50", tb.Min[0], tb.Min[1], tb.Max[0], tb.Max[1]), nil).JSON(&fc)
	sum := 0
	for _, f := range fc.Features {
		if f.Props["cluster"] != true {
			t.Fatalf("not a cluster: %+v", f)
		}
		sum += int(f.Props["count"].(float64))
	}
	if sum != len(all) {
		t.Errorf("clusters count %d, want %d", sum, len(all))
	}
	// The cleaner's town view holds only their village.
	tw.clean.must(200, "GET", fmt.Sprintf("/api/v1/features?bbox=%f,%f,%f,%f", tb.Min[0], tb.Min[1], tb.Max[0], tb.Max[1]), nil).JSON(&fc)
	for _, f := range fc.Features {
		if f.Props["village"] != tw.v1 {
			t.Fatalf("cleaner sees %v", f.Props["village"])
		}
	}
	if r := tw.insp.do("GET", "/api/v1/features?bbox=1,2,3", nil); r.Status != 400 || r.ErrFields()["bbox"] == "" {
		t.Errorf("bad bbox: %d %s", r.Status, r.Body)
	}
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func TestNearestMatchesBruteForce(t *testing.T) {
	tw := newTown(t)
	all := seedFeatures(t, tw, 300)
	for i := 0; i < 20; i++ {
		p := tw.pointIn(t, []string{tw.v1, tw.v2}[i%2])
		lon, lat := p["lon"].(float64), p["lat"].(float64)
		type d struct {
			id string
			m  float64
		}
		var ds []d
		for id, s := range all {
			if s.kind == "bin" {
				ds = append(ds, d{id, geo.DistanceM(orb.Point{lon, lat}, s.p)})
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i].m < ds[j].m || ds[i].m == ds[j].m && ds[i].id < ds[j].id })
		var fc mapCollection
		tw.insp.must(200, "GET", fmt.Sprintf("/api/v1/features/near?lon=%v&lat=%v&kind=bin&limit=7", lon, lat), nil).JSON(&fc)
		if len(fc.Features) != 7 {
			t.Fatalf("near: %d features", len(fc.Features))
		}
		for j, f := range fc.Features {
			if f.ID != ds[j].id || math.Abs(f.Props["distance_m"].(float64)-ds[j].m) > 0.01 {
				t.Errorf("near #%d: %s at %v, want %s at %.2f", j, f.ID, f.Props["distance_m"], ds[j].id, ds[j].m)
			}
		}
		// With maxDistance, only those within it.
		tw.insp.must(200, "GET", fmt.Sprintf("/api/v1/features/near?lon=%v&lat=%v&kind=bin&limit=100&maxDistance=150", lon, lat), nil).JSON(&fc)
		within := 0
		for _, x := range ds {
			if x.m <= 150 {
				within++
			}
		}
		if len(fc.Features) != within {
			t.Errorf("within 150 m: %d, want %d", len(fc.Features), within)
		}
	}
}

func TestCoverageMatchesBruteForce(t *testing.T) {
	tw := newTown(t)
	all := seedFeatures(t, tw, 240)
	for _, radius := range []float64{50, 150, 300} {
		var cov struct {
			Households, Covered int
			CoverageRatio       float64
			Uncovered           mapCollection
		}
		tw.insp.must(200, "GET", fmt.Sprintf("/api/v1/villages/%s/coverage?radius=%v", tw.v1, radius), nil).JSON(&cov)
		wantUncovered := map[string]float64{}
		households := 0
		for id, s := range all {
			if s.village != tw.v1 || (s.kind != "household_toilet" && s.kind != "housing_reform") {
				continue
			}
			households++
			best := math.Inf(1)
			for _, o := range all {
				if o.kind == "bin" || o.kind == "garbage_pool" || o.kind == "collection_point" {
					best = math.Min(best, geo.DistanceM(s.p, o.p))
				}
			}
			if best > radius {
				wantUncovered[id] = best
			}
		}
		if cov.Households != households || len(cov.Uncovered.Features) != len(wantUncovered) || cov.Covered != households-len(wantUncovered) {
			t.Fatalf("radius %v: households %d covered %d uncovered %d; want %d, %d, %d", radius, cov.Households, cov.Covered,
				len(cov.Uncovered.Features), households, households-len(wantUncovered), len(wantUncovered))
		}
		for _, f := range cov.Uncovered.Features {
			if d, ok := wantUncovered[f.ID]; !ok || math.Abs(f.Props["distance_m"].(float64)-d) > 0.1 {
				t.Errorf("uncovered %s at %v, want %v", f.ID, f.Props["distance_m"], d)
			}
		}
		if want := float64(households-len(wantUncovered)) / float64(households); math.Abs(cov.CoverageRatio-want) > 1e-4 {
			t.Errorf("ratio %v, want %v", cov.CoverageRatio, want)
		}
	}
	var town struct {
		Households int
		Villages   []struct{ Village string }
	}
	tw.admin.must(200, "GET", "/api/v1/coverage", nil).JSON(&town)
	if len(town.Villages) != 16 || town.Households == 0 {
		t.Errorf("town coverage: %+v", town)
	}
	var st struct {
		Features             int
		Kinds                map[string]int
		BinsPer100Households float64
		Households           int
		AreaKm2              float64
	}
	tw.insp.must(200, "GET", "/api/v1/villages/"+tw.v1+"/stats", nil).JSON(&st)
	wantKinds := map[string]int{}
	for _, s := range all {
		if s.village == tw.v1 {
			wantKinds[s.kind]++
		}
	}
	if fmt.Sprint(st.Kinds) != fmt.Sprint(wantKinds) || st.AreaKm2 < 1 {
		t.Errorf("stats kinds %v, want %v (area %v)", st.Kinds, wantKinds, st.AreaKm2)
	}
	hh := wantKinds["household_toilet"] + wantKinds["housing_reform"]
	if want := math.Round(float64(wantKinds["bin"])*1000/float64(hh)) / 10; st.BinsPer100Households != want {
		t.Errorf("bins per 100 households %v, want %v", st.BinsPer100Households, want)
	}
}

// TestVillageMapShowsEveryWrite: after every kind of write the village map
// (and the viewport) show the feature as it now is: an update (a new
// version), an event that keeps the version, the photo arriving (the
// server's own change to the flags) and a delete. The map is written by
// its own encoder (api/geojson.go); should each feature's GeoJSON ever be
// cached, this is the test a stale one fails.
func TestVillageMapShowsEveryWrite(t *testing.T) {
	tw := newTown(t)
	seedFeatures(t, tw, 30)
	path := "/api/v1/villages/" + tw.v1 + "/features"
	id := newID("b")
	loc := tw.pointIn(t, tw.v1)
	tw.clean.must(201, "PUT", "/api/v1/features/"+id, map[string]any{"opId": newID("op"), "kind": "bin",
		"location": loc, "photos": []string{"ph-map"}})
	onMap := func(what string) map[string]any {
		t.Helper()
		var fc mapCollection
		tw.insp.must(200, "GET", path, nil).JSON(&fc)
		for _, f := range fc.Features {
			if f.ID == id {
				return f.Props
			}
		}
		t.Fatalf("%s: %s not on the map", what, id)
		return nil
	}
	// Twice, as a cache would answer the second time.
	for range 2 {
		if p := onMap("created"); p["version"] != 1.0 || p["status"] != "ok" || p["flags"].(map[string]any)["photosPending"] == nil {
			t.Fatalf("created: %v", p)
		}
	}

	tw.insp.must(200, "PUT", "/api/v1/features/"+id, map[string]any{"opId": newID("op"), "kind": "bin", "location": loc,
		"baseVersion": 1, "attrs": map[string]any{"status": "damaged"}, "photos": []string{"ph-map"}})
	if p := onMap("updated"); p["version"] != 2.0 || p["status"] != "damaged" {
		t.Fatalf("updated: %v", p)
	}

	ev := map[string]any{"opId": newID("op"), "id": newID("ev"), "type": "inspected", "at": "2026-11-20T08:00:00Z", "note": "看过"}
	tw.insp.must(201, "POST", "/api/v1/features/"+id+"/events", ev)
	if p := onMap("event"); p["version"] != 2.0 || len(p["events"].([]any)) != 1 {
		t.Fatalf("after an event that keeps the version: %v", p)
	}

	if r := tw.clean.do("PUT", "/api/v1/photos/ph-map", testPNG(t, 64, 48, 3), "Content-Type", "image/png"); r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	waitFor(t, 5*time.Second, "photosPending cleared on the map", func() bool {
		_, pending := onMap("photo")["flags"].(map[string]any)["photosPending"]
		return !pending
	})

	// The town viewport is written the same way.
	v, _ := tw.m.Server.Villages().Get(tw.v1)
	b := v.Shape.Bound()
	var vp mapCollection
	tw.insp.must(200, "GET", fmt.Sprintf("/api/v1/features?bbox=%f,%f,%f,%f", b.Min[0]-0.001, b.Min[1]-0.001, b.Max[0]+0.001, b.Max[1]+0.001), nil).JSON(&vp)
	found := false
	for _, f := range vp.Features {
		if f.ID == id {
			found = f.Props["version"] == 2.0 && len(f.Props["events"].([]any)) == 1
		}
	}
	if !found {
		t.Errorf("viewport does not show %s as it now is", id)
	}

	tw.admin.must(200, "DELETE", "/api/v1/features/"+id+"?opId="+newID("del"), nil)
	var fc mapCollection
	tw.insp.must(200, "GET", path, nil).JSON(&fc)
	for _, f := range fc.Features {
		if f.ID == id {
			t.Fatalf("deleted feature still on the map: %v", f.Props)
		}
	}
}
