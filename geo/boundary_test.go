package geo

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestEncodeBoundary(t *testing.T) {
	tests := []struct {
		name string
		mp   orb.MultiPolygon
		want string
	}{
		{"one polygon is a Polygon",
			orb.MultiPolygon{{{{114.9, 27.1}, {114.92, 27.1}, {114.92, 27.12}, {114.9, 27.1}}}},
			`{"type":"Polygon","coordinates":[[[114.9,27.1],[114.92,27.1],[114.92,27.12],[114.9,27.1]]]}`},
		{"two polygons, one with a hole",
			orb.MultiPolygon{
				{{{0, 0}, {4, 0}, {4, 4}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 1}}},
				{{{5, 5}, {6, 5}, {6, 6}, {5, 5}}},
			},
			`{"type":"MultiPolygon","coordinates":[[[[0,0],[4,0],[4,4],[0,0]],[[1,1],[2,1],[2,2],[1,1]]],[[[5,5],[6,5],[6,6],[5,5]]]]}`},
		{"empty", orb.MultiPolygon{}, `{"type":"MultiPolygon","coordinates":[]}`},
		{"small and negative numbers stay exact",
			orb.MultiPolygon{{{{-0.000001, 1e-7}, {123.45678901234567, -45.5}, {0, 0}, {-0.000001, 1e-7}}}},
			`{"type":"Polygon","coordinates":[[[-0.000001,0.0000001],[123.45678901234567,-45.5],[0,0],[-0.000001,0.0000001]]]}`},
		{"non-finite is null", orb.MultiPolygon{{{{math.NaN(), math.Inf(1)}}}},
			`{"type":"Polygon","coordinates":[[[null,null]]]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(EncodeBoundary(tt.mp)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestBoundaryRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/villages*.*")
	if err != nil || len(files) < 3 {
		t.Fatalf("testdata: %v %v", files, err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_out.json") {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		vs, err := ParseVillages(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, v := range vs {
			got, err := DecodeBoundary(EncodeBoundary(v.Shape))
			if err != nil {
				t.Fatalf("%s %s: %v", file, v.Code, err)
			}
			if !got.Equal(v.Shape) {
				t.Errorf("%s %s: round trip gave %v, want %v", file, v.Code, got, v.Shape)
			}
		}
	}
}

func TestDecodeBoundary(t *testing.T) {
	tests := []struct {
		name, json string
		want       orb.MultiPolygon
		problem    string
	}{
		{"polygon", `{"type":"Polygon","coordinates":[[[1,2],[3,2],[3,4],[1,2]]]}`,
			orb.MultiPolygon{{{{1, 2}, {3, 2}, {3, 4}, {1, 2}}}}, ""},
		{"multipolygon with altitude", `{"coordinates":[[[[1,2,9],[3,2,9],[3,4,9],[1,2,9]]]], "type":"MultiPolygon"}`,
			orb.MultiPolygon{{{{1, 2}, {3, 2}, {3, 4}, {1, 2}}}}, ""},
		{"not JSON", `{"type":`, nil, "not a GeoJSON geometry"},
		{"empty", ``, nil, "geometry missing"},
		{"a point", `{"type":"Point","coordinates":[1,2]}`, nil, "geometry is a Point"},
		{"null coordinate", `{"type":"Polygon","coordinates":[[[null,null]]]}`, nil, "not a [lon, lat] position"},
		{"infinite", `{"type":"Polygon","coordinates":[[[1e999,2]]]}`, nil, "not a finite number"},
		{"feature, not geometry", `{"type":"Feature","geometry":null}`, nil, "geometry is a Feature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeBoundary([]byte(tt.json))
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("err = %v; want one containing %q", err, tt.problem)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// FuzzDecodeBoundary checks that decoding never panics and that whatever it
// accepts survives an encode/decode round trip unchanged.
func FuzzDecodeBoundary(f *testing.F) {
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[1,2],[3,2],[3,4],[1,2]]]}`))
	f.Add([]byte(`{"type":"MultiPolygon","coordinates":[[[[0,0],[4,0],[4,4],[0,0]],[[1,1],[2,1],[2,2],[1,1]]]]}`))
	f.Add([]byte(`{"type":"MultiPolygon","coordinates":[]}`))
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[-0.000001,1e-7,5]]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		mp, err := DecodeBoundary(data)
		if err != nil {
			return
		}
		again, err := DecodeBoundary(EncodeBoundary(mp))
		if err != nil {
			t.Fatalf("re-decoding %s: %v", EncodeBoundary(mp), err)
		}
		if !again.Equal(mp) {
			t.Fatalf("round trip changed %v into %v", mp, again)
		}
	})
}
