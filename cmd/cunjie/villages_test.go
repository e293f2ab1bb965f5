package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemoVillagesLocate(t *testing.T) {
	m := MustRunMain(t, nil, "--demo")
	admin := adminClient(t, m)
	var list struct {
		Villages []struct {
			Code, Name, Town string
			AreaKm2          float64
		}
	}
	admin.must(200, "GET", "/api/v1/villages", nil).JSON(&list)
	if len(list.Villages) < 12 {
		t.Fatalf("demo town has %d villages", len(list.Villages))
	}
	names := map[string]bool{}
	for _, v := range list.Villages {
		names[v.Name] = true
		if len(v.Code) != 12 || v.AreaKm2 < 1 || v.AreaKm2 > 6 {
			t.Errorf("village %+v: want a 12-digit code and 1–6 km²", v)
		}
		var d struct {
			Code     string
			Boundary struct {
				Type        string
				Coordinates [][][2]float64
			}
		}
		admin.must(200, "GET", "/api/v1/villages/"+v.Code, nil).JSON(&d)
		if d.Boundary.Type != "Polygon" || len(d.Boundary.Coordinates[0]) < 4 {
			t.Fatalf("boundary of %s: %+v", v.Code, d.Boundary)
		}
		// The centroid of the ring's vertices lies inside these convex-ish cells.
		var lon, lat float64
		ring := d.Boundary.Coordinates[0][:len(d.Boundary.Coordinates[0])-1]
		for _, p := range ring {
			lon += p[0]
			lat += p[1]
		}
		lon /= float64(len(ring))
		lat /= float64(len(ring))
		var loc struct{ Code string }
		admin.must(200, "GET", "/api/v1/villages/locate?lon="+ftoa(lon)+"&lat="+ftoa(lat), nil).JSON(&loc)
		if loc.Code != v.Code {
			t.Errorf("locate centre of %s (%s) gave %s", v.Code, v.Name, loc.Code)
		}
	}
	for _, n := range []string{"社上村", "温家村", "伍家村", "胡家村", "淇塘村", "新民村", "庙下村", "陈家村", "赵塘村", "荷洁村", "培模村", "毛山村"} {
		if !names[n] {
			t.Errorf("demo town lacks %s", n)
		}
	}
	if r := admin.do("GET", "/api/v1/villages/locate?lon=100&lat=30", nil); r.Status != 404 || r.ErrCode() != "not_found" {
		t.Errorf("point outside: %d %s", r.Status, r.Body)
	}
	if r := admin.do("GET", "/api/v1/villages/locate?lon=abc&lat=30", nil); r.Status != 400 || r.ErrFields()["lon"] == "" {
		t.Errorf("bad lon: %d %s", r.Status, r.Body)
	}
	if r := admin.do("GET", "/api/v1/villages/000000000000", nil); r.Status != 404 {
		t.Errorf("unknown village: %d", r.Status)
	}
}

func TestDemoIsIdempotent(t *testing.T) {
	dir := testDir(t)
	m := mustRunIn(t, dir, nil, "--demo")
	n1 := len(adminClient(t, m).must(200, "GET", "/api/v1/users", nil).Map()["users"].([]any))
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	m2 := mustRunIn(t, dir, nil, "--demo")
	a := adminClient(t, m2)
	n2 := len(a.must(200, "GET", "/api/v1/users", nil).Map()["users"].([]any))
	if n1 != n2 || n1 < 1+2*12 {
		t.Fatalf("users after first load %d, after second %d", n1, n2)
	}
}

func ftoa(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func TestVillageImport(t *testing.T) {
	m := MustRunMain(t, nil)
	admin := adminClient(t, m)
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", "geo", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	admin.must(200, "POST", "/api/v1/villages/import", read("villages_valid.geojson"))
	before := admin.must(200, "GET", "/api/v1/villages", nil).Body
	bad, _ := filepath.Glob(filepath.Join("..", "..", "geo", "testdata", "bad_*"))
	if len(bad) < 8 {
		t.Fatalf("only %d bad import files", len(bad))
	}
	for _, f := range bad {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			r := admin.do("POST", "/api/v1/villages/import", read(name))
			if r.Status != 400 || r.ErrCode() != "invalid" || len(r.ErrFields()) == 0 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			for k := range r.ErrFields() {
				if k != "file" && !strings.HasPrefix(k, "features[") {
					t.Errorf("field %q names no feature", k)
				}
			}
		})
	}
	if after := admin.must(200, "GET", "/api/v1/villages", nil).Body; string(after) != string(before) {
		t.Errorf("a refused import changed the villages:\n%s\n%s", before, after)
	}
	admin.must(200, "POST", "/api/v1/villages/import", read("villages.kml"))
	admin.must(200, "POST", "/api/v1/villages/import", read("villages_multipolygon_hole.geojson"))
	// Re-importing the same file updates, never duplicates.
	n := len(admin.must(200, "GET", "/api/v1/villages", nil).Map()["villages"].([]any))
	admin.must(200, "POST", "/api/v1/villages/import", read("villages_valid.geojson"))
	if n2 := len(admin.must(200, "GET", "/api/v1/villages", nil).Map()["villages"].([]any)); n2 != n {
		t.Errorf("re-import: %d villages, then %d", n, n2)
	}
	insp := login(t, m, "admin", testAdminPassword)
	insp.must(200, "GET", "/api/v1/villages", nil)
}
