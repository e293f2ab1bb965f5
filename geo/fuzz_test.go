package geo

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseVillages checks that no file makes ParseVillages panic, that what
// it accepts is what it promises (closed rings of 4 or more points in range,
// 12-digit codes used once, names), and that what it refuses comes with
// problems a person can read.
func FuzzParseVillages(f *testing.F) {
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"type":"Feature","properties":{"code":360803101201,"name":"a"},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}}`))
	f.Add([]byte(`<kml><Placemark><name>a</name><ExtendedData><Data name="code"><value>360803101201</value></Data></ExtendedData><MultiGeometry><Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1 0,0</coordinates></LinearRing></outerBoundaryIs></Polygon></MultiGeometry></Placemark></kml>`))

	f.Fuzz(func(t *testing.T, data []byte) {
		vs, err := ParseVillages(data)
		if err != nil {
			var errs ImportErrors
			if !errors.As(err, &errs) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if vs != nil || len(errs) == 0 || len(errs) > MaxImportErrors {
				t.Fatalf("%d villages and %d problems", len(vs), len(errs))
			}
			for _, e := range errs {
				if e.Index < -1 || e.Field == "" || e.Problem == "" {
					t.Fatalf("unhelpful problem %+v", e)
				}
			}
			return
		}
		if len(vs) == 0 {
			t.Fatal("no villages and no error")
		}
		codes := map[string]bool{}
		for _, v := range vs {
			if checkCode(v.Code) != "" || codes[v.Code] {
				t.Fatalf("bad or repeated code %q", v.Code)
			}
			codes[v.Code] = true
			if v.Name == "" {
				t.Fatalf("%s has no name", v.Code)
			}
			if len(v.Shape) == 0 {
				t.Fatalf("%s has no polygons", v.Code)
			}
			for _, poly := range v.Shape {
				if len(poly) == 0 {
					t.Fatalf("%s has a polygon without rings", v.Code)
				}
				for _, r := range poly {
					if len(r) < 4 || r[0] != r[len(r)-1] {
						t.Fatalf("%s has an open or short ring %v", v.Code, r)
					}
					for _, p := range r {
						if !(math.Abs(p[0]) <= 180 && math.Abs(p[1]) <= 90) {
							t.Fatalf("%s has a point out of range: %v", v.Code, p)
						}
					}
				}
			}
			back, err := DecodeBoundary(EncodeBoundary(v.Shape))
			if err != nil || !back.Equal(v.Shape) {
				t.Fatalf("%s does not survive storage: %v", v.Code, err)
			}
		}
		// Whatever was imported can be indexed and queried.
		set := NewVillages(vs)
		for _, v := range vs {
			set.Locate(v.Shape[0][0][0])
		}
	})
}
