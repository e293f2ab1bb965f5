package geo

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// Published WGS-84 → GCJ-02 pairs, from independent sources. The numbers
// are data quoted from each project's tests; no code was taken from them.
var gcjReference = []struct {
	source   string
	wgs, gcj orb.Point
	tol      float64 // metres
}{
	// wandergis/coordtransform (JavaScript), test/app.js; the same pair is in
	// hutool's CoordinateUtilTest and coordtransform-rs.
	{"coordtransform, Beijing", orb.Point{116.404, 39.915}, orb.Point{116.41024449916938, 39.91640428150164}, 0.01},
	// googollee/eviltransform, its tests in Python and PHP.
	{"eviltransform, Shanghai", orb.Point{121.5272106, 31.1774276}, orb.Point{121.531541859215, 31.17530398364597}, 0.01},
	{"eviltransform, Shenzhen", orb.Point{113.912316, 22.543847}, orb.Point{113.9171764808363, 22.540796131694766}, 0.01},
	{"eviltransform, Beijing", orb.Point{116.377817, 39.911954}, orb.Point{116.38404722455657, 39.91334545536069}, 0.01},
	// An R package's tests, comparing with the answer of AMap's own
	// conversion API (restapi.amap.com/v3/assistant/coordinate/convert),
	// which rounds to 6 decimals: the formula is within a metre of it.
	{"AMap API, Beijing", orb.Point{116.39089, 39.90734}, orb.Point{116.39713623, 39.90874539}, 1},
	// A Java PositionUtil test (cuihw/collection), Zhengzhou.
	{"PositionUtil, Zhengzhou", orb.Point{113.647881, 34.829793}, orb.Point{113.65396374215176, 34.8287280094783}, 0.01},
}

func TestWGS84ToGCJ02Reference(t *testing.T) {
	for _, tt := range gcjReference {
		t.Run(tt.source, func(t *testing.T) {
			got := WGS84ToGCJ02(tt.wgs)
			if d := DistanceM(got, tt.gcj); d > tt.tol {
				t.Errorf("WGS84ToGCJ02(%v) = %v, %.3f m from %v; want within %g m", tt.wgs, got, d, tt.gcj, tt.tol)
			}
			back := GCJ02ToWGS84(tt.gcj)
			if d := DistanceM(back, tt.wgs); d > tt.tol+0.5 {
				t.Errorf("GCJ02ToWGS84(%v) = %v, %.3f m from %v", tt.gcj, back, d, tt.wgs)
			}
		})
	}
}

// TestGCJ02ToWGS84Reference checks the inverse against a published
// GCJ-02 → WGS-84 pair (hujiulong/gcoord, its tests, 5 decimals).
func TestGCJ02ToWGS84Reference(t *testing.T) {
	got := GCJ02ToWGS84(orb.Point{123, 45})
	want := orb.Point{122.99395597, 44.99804071}
	if d := DistanceM(got, want); d > 1 {
		t.Errorf("GCJ02ToWGS84 = %v, %.3f m from %v", got, d, want)
	}
}

func TestGCJ02RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(20240601, 1))
	worst := 0.0
	for range 20000 {
		// Mainland China's longitudes and latitudes, well inside the
		// rectangle where the offset applies.
		w := orb.Point{73.5 + rng.Float64()*(135-73.5), 18 + rng.Float64()*(53.5-18)}
		g := WGS84ToGCJ02(w)
		if off := DistanceM(w, g); off < 1 || off > 1200 {
			t.Fatalf("offset at %v is %.1f m; GCJ-02 moves points by tens to hundreds of metres", w, off)
		}
		back := GCJ02ToWGS84(g)
		worst = max(worst, DistanceM(back, w))
	}
	t.Logf("worst round trip error: %.2g m", worst)
	if worst > 0.5 {
		t.Errorf("worst round trip error %.3f m; want under 0.5 m", worst)
	}
}

func TestOutOfChina(t *testing.T) {
	tests := []struct {
		name string
		p    orb.Point
		out  bool
	}{
		{"Beijing", orb.Point{116.397, 39.909}, false},
		{"Ji'an, Jiangxi", orb.Point{114.99, 27.11}, false},
		{"Sanya", orb.Point{109.51, 18.25}, false},
		{"Kashgar", orb.Point{75.99, 39.47}, false},
		{"Mohe", orb.Point{122.54, 52.97}, false},
		{"null island", orb.Point{0, 0}, true},
		{"Paris", orb.Point{2.35, 48.86}, true},
		{"New York", orb.Point{-74.006, 40.7128}, true},
		{"Tokyo is east of the rectangle", orb.Point{139.69, 35.69}, true},
		{"Moscow", orb.Point{37.62, 55.75}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OutOfChina(tt.p); got != tt.out {
				t.Errorf("OutOfChina(%v) = %v", tt.p, got)
			}
			// No offset outside China, and the points come back exactly.
			if tt.out {
				if got := WGS84ToGCJ02(tt.p); got != tt.p {
					t.Errorf("WGS84ToGCJ02 moved %v to %v", tt.p, got)
				}
				if got := GCJ02ToWGS84(tt.p); got != tt.p {
					t.Errorf("GCJ02ToWGS84 moved %v to %v", tt.p, got)
				}
			}
		})
	}
}
