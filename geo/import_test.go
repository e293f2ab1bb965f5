package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// villageSummary is what the golden files record of a parsed village: enough
// to see that codes, names, rings and holes came through, small enough to
// review in a diff.
type villageSummary struct {
	Code            string     `json:"code"`
	Name            string     `json:"name"`
	Town            string     `json:"town,omitempty"`
	RingsPerPolygon []int      `json:"ringsPerPolygon"`
	Points          int        `json:"points"`
	AreaKm2         float64    `json:"areaKm2"` // rounded to 0.0001 km² = 100 m²
	Bound           [4]float64 `json:"bound"`   // minLon, minLat, maxLon, maxLat
}

func summarize(vs []VillageShape) []villageSummary {
	out := []villageSummary{}
	for _, v := range vs {
		s := villageSummary{Code: v.Code, Name: v.Name, Town: v.Town, Points: pointCount(v.Shape),
			AreaKm2: math.Round(AreaKm2(v.Shape)*1e4) / 1e4}
		for _, p := range v.Shape {
			s.RingsPerPolygon = append(s.RingsPerPolygon, len(p))
		}
		b := v.Shape.Bound()
		s.Bound = [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
		out = append(out, s)
	}
	return out
}

// checkGolden compares got, as indented JSON, with testdata/name, or
// rewrites the file under -update.
func checkGolden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./geo -update to create it)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("%s differs from the golden file; got:\n%s\nwant:\n%s", path, b, want)
	}
}

func TestParseVillagesGolden(t *testing.T) {
	for _, file := range []string{"villages_valid.geojson", "villages_multipolygon_hole.geojson", "villages.kml"} {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			vs, err := ParseVillages(data)
			if err != nil {
				t.Fatalf("ParseVillages: %v", err)
			}
			name := strings.TrimSuffix(file, filepath.Ext(file)) + "_out.json"
			checkGolden(t, name, summarize(vs))
		})
	}
}

// TestParseVillagesBadFiles checks that each bad file is refused with the
// problem pinned on the right feature and field; the full texts are kept in
// testdata/bad_out.json for review.
func TestParseVillagesBadFiles(t *testing.T) {
	type want struct {
		index   int
		field   string
		problem string // a part of the problem text
	}
	tests := []struct {
		file string
		want []want
	}{
		{"bad_ring_open.geojson", []want{{1, "geometry", "ring not closed"}}},
		{"bad_ring_short.geojson", []want{{1, "geometry", "ring has 3 points"}}},
		{"bad_range.geojson", []want{{1, "geometry", "point 1 [294.94, 27.1]: coordinates out of range"}}},
		{"bad_latlon.geojson", []want{{1, "geometry", "coordinates look like lat,lon; GeoJSON/KML order is lon,lat"}}},
		{"bad_zero_area.geojson", []want{{1, "geometry", "zero area"}}},
		{"bad_no_code.geojson", []want{{1, "properties.code", "missing code"}}},
		{"bad_no_name.geojson", []want{{1, "properties.name", "missing name"}}},
		{"bad_not_geo.txt", []want{{-1, "file", "neither GeoJSON nor KML"}}},
		{"bad_dup_code.geojson", []want{{1, "properties.code", "code 360803101201 is already used by feature 0"}}},
		{"bad_kml_ring.kml", []want{
			{0, "geometry", "ring not closed"},
			{1, "geometry", "geometry is a Point"},
			{1, "ExtendedData.code", "missing code"},
		}},
	}
	all := map[string]ImportErrors{}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			vs, err := ParseVillages(data)
			if vs != nil {
				t.Errorf("got %d villages with an error; want none imported", len(vs))
			}
			var errs ImportErrors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v; want ImportErrors", err)
			}
			all[tt.file] = errs
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d problems, want %d: %v", len(errs), len(tt.want), errs)
			}
			for i, w := range tt.want {
				got := errs[i]
				if got.Index != w.index || got.Field != w.field || !strings.Contains(got.Problem, w.problem) {
					t.Errorf("problem %d = %+v; want index %d, field %q, problem containing %q", i, got, w.index, w.field, w.problem)
				}
			}
		})
	}
	if !t.Failed() {
		checkGolden(t, "bad_out.json", all)
	}
}

// parseOne is ParseVillages of a FeatureCollection holding one feature with
// these properties and this geometry, both JSON.
func parseOne(props, geometry string) ([]VillageShape, error) {
	return ParseVillages(fmt.Appendf(nil, `{"type":"FeatureCollection","features":[{"type":"Feature","properties":%s,"geometry":%s}]}`, props, geometry))
}

const (
	okProps = `{"code":"360803101201","name":"社上村"}`
	okPoly  = `{"type":"Polygon","coordinates":[[[114.9,27.1],[114.92,27.1],[114.92,27.12],[114.9,27.1]]]}`
)

func TestParseVillagesGeoJSONRules(t *testing.T) {
	tests := []struct {
		name, props, geometry string
		field, problem        string // "" when the feature is good
	}{
		{"ok", okProps, okPoly, "", ""},
		{"code as a number", `{"code":360803101201,"name":"社上村"}`, okPoly, "", ""},
		{"code with spaces around", `{"code":" 360803101201 ","name":"社上村"}`, okPoly, "", ""},
		{"Chinese keys", `{"区划代码":"360803101201","名称":"社上村"}`, okPoly, "", ""},
		{"keys in capitals", `{"CODE":"360803101201","Name":"社上村"}`, okPoly, "", ""},
		{"name_zh", `{"code":"360803101201","name_zh":"社上村"}`, okPoly, "", ""},
		{"null properties", `null`, okPoly, "properties.code", "missing code"},
		{"properties not an object", `[1,2]`, okPoly, "properties", "must be a JSON object"},
		{"code too short", `{"code":"36080310120","name":"社上村"}`, okPoly, "properties.code", "not a 12-digit"},
		{"code with letters", `{"code":"36080310120x","name":"社上村"}`, okPoly, "properties.code", "not a 12-digit"},
		{"code as a float", `{"code":3.60803101201e11,"name":"社上村"}`, okPoly, "properties.code", "not a 12-digit"},
		{"name not text", `{"code":"360803101201","name":true}`, okPoly, "properties.name", "missing name"},
		{"no geometry", okProps, `null`, "geometry", "geometry missing"},
		{"point", okProps, `{"type":"Point","coordinates":[114.9,27.1]}`, "geometry", "geometry is a Point"},
		{"no type", okProps, `{"coordinates":[]}`, "geometry", "no type"},
		{"no coordinates", okProps, `{"type":"Polygon"}`, "geometry", "no coordinates"},
		{"empty polygon", okProps, `{"type":"Polygon","coordinates":[]}`, "geometry", "polygon has no rings"},
		{"empty multipolygon", okProps, `{"type":"MultiPolygon","coordinates":[]}`, "geometry", "no polygons"},
		{"empty ring", okProps, `{"type":"Polygon","coordinates":[[]]}`, "geometry", "ring has 0 points"},
		{"null coordinate", okProps, `{"type":"Polygon","coordinates":[[[114.9,27.1],[null,27.1],[114.92,27.12],[114.9,27.1]]]}`, "geometry", "ring 0 point 1 is not a [lon, lat] position"},
		{"one number", okProps, `{"type":"Polygon","coordinates":[[[114.9,27.1],[114.92],[114.92,27.12],[114.9,27.1]]]}`, "geometry", "point 1 is not"},
		{"huge number", okProps, `{"type":"Polygon","coordinates":[[[114.9,27.1],[1e400,27.1],[114.92,27.12],[114.9,27.1]]]}`, "geometry", "not a finite number"},
		{"projected", okProps, `{"type":"Polygon","coordinates":[[[12791000,3120000],[12793000,3120000],[12793000,3122000],[12791000,3120000]]]}`, "geometry", "projected coordinates"},
		{"lat,lon in the south", okProps, `{"type":"Polygon","coordinates":[[[-27.1,-114.9],[-27.1,-114.92],[-27.12,-114.92],[-27.1,-114.9]]]}`, "geometry", "look like lat,lon"},
		{"all one point", okProps, `{"type":"Polygon","coordinates":[[[114.9,27.1],[114.9,27.1],[114.9,27.1],[114.9,27.1]]]}`, "geometry", "zero area"},
		{"zero-area hole", okProps, `{"type":"Polygon","coordinates":[[[114.9,27.1],[114.92,27.1],[114.92,27.12],[114.9,27.1]],[[114.91,27.105],[114.915,27.11],[114.91,27.105],[114.91,27.105]]]}`, "geometry", "ring 1 (hole): ring has zero area"},
		{"bad part of a multipolygon", okProps, `{"type":"MultiPolygon","coordinates":[[[[114.9,27.1],[114.92,27.1],[114.92,27.12],[114.9,27.1]]],[[[115,27.1],[115.1,27.1],[115,27.1]]]]}`, "geometry", "polygon 1 ring 0 (outer): ring has 3 points"},
		{"multipolygon not nested", okProps, `{"type":"MultiPolygon","coordinates":[[114.9,27.1]]}`, "geometry", "polygon 0 ring 0 must be an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := parseOne(tt.props, tt.geometry)
			if tt.problem == "" {
				if err != nil || len(vs) != 1 || vs[0].Code != "360803101201" || vs[0].Name != "社上村" {
					t.Fatalf("got %+v, %v; want 360803101201 社上村", vs, err)
				}
				return
			}
			var errs ImportErrors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("err = %v; want ImportErrors", err)
			}
			if errs[0].Index != 0 || errs[0].Field != tt.field || !strings.Contains(errs[0].Problem, tt.problem) {
				t.Errorf("got %+v; want field %q, problem containing %q", errs[0], tt.field, tt.problem)
			}
		})
	}
}

func TestParseVillagesFileProblems(t *testing.T) {
	tests := []struct {
		name, data, problem string
	}{
		{"empty", "  \n", "file is empty"},
		{"broken JSON", `{"type":"FeatureCollection","features":[`, "not valid GeoJSON"},
		{"JSON, not GeoJSON", `{"rows":[]}`, "not GeoJSON"},
		{"features not an array", `{"type":"FeatureCollection","features":{}}`, `"features" has the wrong type`},
		{"no features", `{"type":"FeatureCollection","features":[]}`, "no features"},
		{"bare geometry", okPoly, "bare Polygon geometry"},
		{"zip", "PK\x03\x04rest", "ZIP archive"},
		{"not XML at all", "<<<", "not valid KML"},
		{"XML, not KML", `<?xml version="1.0"?><gpx><trk/></gpx>`, "root element is <gpx>"},
		{"GBK", `<?xml version="1.0" encoding="GBK"?><kml><Placemark/></kml>`, "save it as UTF-8"},
		{"KML without placemarks", `<kml><Document/></kml>`, "no Placemark"},
		{"KML cut short", `<kml><Document><Placemark><name>a</name>`, "not valid KML"},
		{"binary", "\x00\x01\x02", "neither GeoJSON nor KML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseVillages([]byte(tt.data))
			var errs ImportErrors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("err = %v; want one ImportError", err)
			}
			if errs[0].Index != -1 || errs[0].Field != "file" || !strings.Contains(errs[0].Problem, tt.problem) {
				t.Errorf("got %+v; want a file problem containing %q", errs[0], tt.problem)
			}
		})
	}
}

func TestParseVillagesSingleFeatureAndBOM(t *testing.T) {
	data := "\xef\xbb\xbf\n" + `{"type":"Feature","properties":` + okProps + `,"geometry":` + okPoly + `}`
	vs, err := ParseVillages([]byte(data))
	if err != nil || len(vs) != 1 || vs[0].Code != "360803101201" {
		t.Fatalf("got %+v, %v", vs, err)
	}
	want := orb.Ring{{114.9, 27.1}, {114.92, 27.1}, {114.92, 27.12}, {114.9, 27.1}}
	if !vs[0].Shape[0][0].Equal(want) {
		t.Errorf("ring = %v; want %v", vs[0].Shape[0][0], want)
	}
}

func TestParseVillagesKMLRules(t *testing.T) {
	placemark := func(inner string) string {
		return `<kml xmlns="http://earth.google.com/kml/2.1"><Document><Placemark>` + inner + `</Placemark></Document></kml>`
	}
	const ring = `<Polygon><outerBoundaryIs><LinearRing><coordinates>114.9,27.1 114.92,27.1 114.92,27.12 114.9,27.1</coordinates></LinearRing></outerBoundaryIs></Polygon>`
	const data = `<ExtendedData><Data name="code"><value>360803101201</value></Data></ExtendedData>`
	tests := []struct {
		name, kml      string
		field, problem string // "" when the placemark is good
	}{
		{"name from <name>", placemark(`<name> 社上村 </name>` + data + ring), "", ""},
		{"old namespace, SimpleData", placemark(`<ExtendedData><SchemaData><SimpleData name="区划代码">360803101201</SimpleData><SimpleData name="name">社上村</SimpleData></SchemaData></ExtendedData>` + ring), "", ""},
		{"nested MultiGeometry", placemark(`<name>社上村</name>` + data + `<MultiGeometry><MultiGeometry>` + ring + `</MultiGeometry></MultiGeometry>`), "", ""},
		{"no name", placemark(data + ring), "name", "missing name"},
		{"no geometry", placemark(`<name>社上村</name>` + data), "geometry", "geometry missing"},
		{"two geometries", placemark(`<name>社上村</name>` + data + ring + ring), "geometry", "more than one geometry"},
		{"LineString in MultiGeometry", placemark(`<name>社上村</name>` + data + `<MultiGeometry>` + ring + `<LineString><coordinates>1,2 3,4</coordinates></LineString></MultiGeometry>`), "geometry", "geometry is a LineString"},
		{"empty MultiGeometry", placemark(`<name>社上村</name>` + data + `<MultiGeometry/>`), "geometry", "holds no Polygon"},
		{"no outer ring", placemark(`<name>社上村</name>` + data + `<Polygon/>`), "geometry", "has 0 outerBoundaryIs"},
		{"bad number", placemark(`<name>社上村</name>` + data + `<Polygon><outerBoundaryIs><LinearRing><coordinates>114.9,27.1 114.92;27.1 114.92,27.12 114.9,27.1</coordinates></LinearRing></outerBoundaryIs></Polygon>`), "geometry", `point 1 "114.92;27.1"`},
		{"NaN", placemark(`<name>社上村</name>` + data + `<Polygon><outerBoundaryIs><LinearRing><coordinates>114.9,27.1 NaN,27.1 114.92,27.12 114.9,27.1</coordinates></LinearRing></outerBoundaryIs></Polygon>`), "geometry", "not a finite number"},
		{"lat,lon", placemark(`<name>社上村</name>` + data + `<Polygon><outerBoundaryIs><LinearRing><coordinates>27.1,114.9 27.1,114.92 27.12,114.92 27.1,114.9</coordinates></LinearRing></outerBoundaryIs></Polygon>`), "geometry", "look like lat,lon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := ParseVillages([]byte(tt.kml))
			if tt.problem == "" {
				if err != nil || len(vs) != 1 || vs[0].Code != "360803101201" || vs[0].Name != "社上村" {
					t.Fatalf("got %+v, %v; want 360803101201 社上村", vs, err)
				}
				return
			}
			var errs ImportErrors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("err = %v; want ImportErrors", err)
			}
			if errs[0].Index != 0 || errs[0].Field != tt.field || !strings.Contains(errs[0].Problem, tt.problem) {
				t.Errorf("got %+v; want field %q, problem containing %q", errs[0], tt.field, tt.problem)
			}
		})
	}
}

// square is a closed 0.001° square ring with its south-west corner at (lon, lat).
func square(lon, lat float64) string {
	return fmt.Sprintf("[[%[1]g,%[2]g],[%[3]g,%[2]g],[%[3]g,%[4]g],[%[1]g,%[4]g],[%[1]g,%[2]g]]", lon, lat, lon+0.001, lat+0.001)
}

func featureCollection(n int, feature func(i int) string) []byte {
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(feature(i))
	}
	b.WriteString("]}")
	return []byte(b.String())
}

func TestParseVillagesLimits(t *testing.T) {
	t.Run("every bad feature is listed, up to the cap", func(t *testing.T) {
		data := featureCollection(150, func(i int) string {
			return fmt.Sprintf(`{"type":"Feature","properties":{"name":"村%d"},"geometry":{"type":"Polygon","coordinates":[%s]}}`, i, square(114+float64(i)*0.01, 27))
		})
		_, err := ParseVillages(data)
		var errs ImportErrors
		if !errors.As(err, &errs) {
			t.Fatalf("err = %v", err)
		}
		if len(errs) != MaxImportErrors {
			t.Fatalf("got %d problems; want %d", len(errs), MaxImportErrors)
		}
		if errs[98].Index != 98 || errs[99].Index != -1 || errs[99].Problem != "51 more problems not listed" {
			t.Errorf("tail = %+v, %+v", errs[98], errs[99])
		}
	})
	t.Run("5000 features are fine", func(t *testing.T) {
		data := featureCollection(MaxImportFeatures, func(i int) string {
			return fmt.Sprintf(`{"type":"Feature","properties":{"code":"%012d","name":"村%d"},"geometry":{"type":"Polygon","coordinates":[%s]}}`, 360803000000+i, i, square(114+float64(i%100)*0.01, 27+float64(i/100)*0.01))
		})
		vs, err := ParseVillages(data)
		if err != nil || len(vs) != MaxImportFeatures {
			t.Fatalf("got %d villages, %v", len(vs), err)
		}
	})
	t.Run("5001 features are too many", func(t *testing.T) {
		data := featureCollection(MaxImportFeatures+1, func(i int) string { return `{}` })
		_, err := ParseVillages(data)
		if err == nil || !strings.Contains(err.Error(), "5001 features; at most 5000") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("5001 placemarks are too many", func(t *testing.T) {
		kml := "<kml>" + strings.Repeat("<Placemark/>", MaxImportFeatures+1) + "</kml>"
		_, err := ParseVillages([]byte(kml))
		var errs ImportErrors
		if !errors.As(err, &errs) || len(errs) != 1 || !strings.Contains(errs[0].Problem, "more than 5000 placemarks") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a ring of more than 100,000 points", func(t *testing.T) {
		for _, format := range []string{"geojson", "kml"} {
			var b strings.Builder
			n := MaxRingPoints + 1
			for i := range n - 1 {
				a := 2 * math.Pi * float64(i) / float64(n-1)
				if format == "geojson" {
					fmt.Fprintf(&b, "[%.7f,%.7f],", 114.9+0.01*math.Cos(a), 27.1+0.01*math.Sin(a))
				} else {
					fmt.Fprintf(&b, "%.7f,%.7f ", 114.9+0.01*math.Cos(a), 27.1+0.01*math.Sin(a))
				}
			}
			var data string
			if format == "geojson" {
				data = `{"type":"Feature","properties":` + okProps + `,"geometry":{"type":"Polygon","coordinates":[[` + b.String() + `[114.91,27.1]]]}}`
			} else {
				data = `<kml><Placemark><name>社上村</name><ExtendedData><Data name="code"><value>360803101201</value></Data></ExtendedData><Polygon><outerBoundaryIs><LinearRing><coordinates>` + b.String() + `114.91,27.1</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>`
			}
			_, err := ParseVillages([]byte(data))
			if err == nil || !strings.Contains(err.Error(), "ring has 100001 points; at most 100000") {
				t.Errorf("%s: err = %v", format, err)
			}
		}
	})
}

func TestImportErrorsText(t *testing.T) {
	one := ImportErrors{{Index: 2, Field: "properties.code", Problem: "missing code"}}
	if got := one.Error(); got != "feature 2: properties.code: missing code" {
		t.Errorf("one: %q", got)
	}
	two := append(one, ImportError{Index: -1, Field: "file", Problem: "too big"})
	if got := two.Error(); got != "2 problems in import file: feature 2: properties.code: missing code; file: too big" {
		t.Errorf("two: %q", got)
	}
}
