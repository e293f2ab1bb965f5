package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// rectKm2 is the exact area on orb's sphere of the cell between two
// meridians and two parallels: R²·Δλ·(sin φ2 − sin φ1).
func rectKm2(lon1, lat1, lon2, lat2 float64) float64 {
	rad := math.Pi / 180
	return orb.EarthRadius * orb.EarthRadius * (lon2 - lon1) * rad * (math.Sin(lat2*rad) - math.Sin(lat1*rad)) / 1e6
}

func rect(lon1, lat1, lon2, lat2 float64) orb.Ring {
	return orb.Ring{{lon1, lat1}, {lon2, lat1}, {lon2, lat2}, {lon1, lat2}, {lon1, lat1}}
}

func TestAreaKm2(t *testing.T) {
	tests := []struct {
		name string
		mp   orb.MultiPolygon
		want float64
	}{
		{"1° cell at the equator", orb.MultiPolygon{{rect(0, 0, 1, 1)}}, rectKm2(0, 0, 1, 1)},
		{"a village-sized cell at 27°N", orb.MultiPolygon{{rect(114.9, 27.1, 114.92, 27.12)}}, rectKm2(114.9, 27.1, 114.92, 27.12)},
		{"clockwise counts the same", orb.MultiPolygon{{orb.Ring{{114.9, 27.1}, {114.9, 27.12}, {114.92, 27.12}, {114.92, 27.1}, {114.9, 27.1}}}},
			rectKm2(114.9, 27.1, 114.92, 27.12)},
		{"a hole is subtracted", orb.MultiPolygon{{rect(114.9, 27.1, 114.93, 27.13), rect(114.91, 27.11, 114.92, 27.12)}},
			rectKm2(114.9, 27.1, 114.93, 27.13) - rectKm2(114.91, 27.11, 114.92, 27.12)},
		{"parts are added", orb.MultiPolygon{{rect(114.9, 27.1, 114.91, 27.11)}, {rect(115, 27.1, 115.01, 27.11)}},
			rectKm2(114.9, 27.1, 114.91, 27.11) + rectKm2(115, 27.1, 115.01, 27.11)},
		{"empty", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AreaKm2(tt.mp)
			if math.Abs(got-tt.want) > 1e-3*tt.want {
				t.Errorf("AreaKm2 = %.6f; want %.6f", got, tt.want)
			}
		})
	}
}

// cosineLaw is the great-circle distance by the spherical law of cosines, a
// formula independent of haversine (and fine at these distances).
func cosineLaw(a, b orb.Point) float64 {
	rad := math.Pi / 180
	cos := math.Sin(a[1]*rad)*math.Sin(b[1]*rad) + math.Cos(a[1]*rad)*math.Cos(b[1]*rad)*math.Cos((b[0]-a[0])*rad)
	return orb.EarthRadius * math.Acos(cos)
}

func TestDistanceM(t *testing.T) {
	degree := orb.EarthRadius * math.Pi / 180 // one degree of a great circle, about 111,319 m
	tests := []struct {
		name string
		a, b orb.Point
		want float64
	}{
		{"same point", orb.Point{114.9, 27.1}, orb.Point{114.9, 27.1}, 0},
		{"1° along a meridian", orb.Point{114.9, 27.1}, orb.Point{114.9, 28.1}, degree},
		{"1° along the equator", orb.Point{10, 0}, orb.Point{11, 0}, degree},
		// The great circle is a little shorter than the parallel (55,659.7 m).
		{"1° of longitude at 60°N", orb.Point{10, 60}, orb.Point{11, 60}, cosineLaw(orb.Point{10, 60}, orb.Point{11, 60})},
		{"Beijing to Shanghai", orb.Point{116.3975, 39.9087}, orb.Point{121.4737, 31.2304}, cosineLaw(orb.Point{116.3975, 39.9087}, orb.Point{121.4737, 31.2304})},
		{"across a village", orb.Point{114.90, 27.10}, orb.Point{114.92, 27.12}, cosineLaw(orb.Point{114.90, 27.10}, orb.Point{114.92, 27.12})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DistanceM(tt.a, tt.b)
			if math.Abs(got-tt.want) > 0.001*tt.want+1e-6 {
				t.Errorf("DistanceM = %.1f m; want %.1f m", got, tt.want)
			}
			if back := DistanceM(tt.b, tt.a); back != got {
				t.Errorf("not symmetric: %v and %v", got, back)
			}
		})
	}
}
