package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// GCJ-02 is the obfuscated datum that Chinese law requires of web maps sold
// in China (AMap/Gaode, Tencent; Baidu adds its own BD-09 on top). Points
// are stored in WGS-84 and converted only to be drawn on such tiles, and back
// when a person picks a point on them. The conversion below is the widely
// published approximation of the official algorithm: it agrees with AMap's
// own conversion to within about a metre.

// Krasovsky 1940, the ellipsoid the GCJ-02 formula is defined on.
const (
	krasovskyA  = 6378245.0
	krasovskyE2 = 0.00669342162296594323 // first eccentricity squared
)

// OutOfChina reports whether p (lon, lat) is outside the rectangle where
// GCJ-02 applies. The rectangle, 72.004–137.8347°E and 0.8293–55.8271°N, is
// the one used by published implementations; it is rough (it takes in some
// neighbouring countries) but what the map providers' own offsets follow.
func OutOfChina(p orb.Point) bool {
	lon, lat := p[0], p[1]
	return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271)
}

// WGS84ToGCJ02 converts a WGS-84 point to GCJ-02. Points outside China are
// returned unchanged.
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	dLon, dLat := gcjOffset(p)
	return orb.Point{p[0] + dLon, p[1] + dLat}
}

// GCJ02ToWGS84 converts a GCJ-02 point back to WGS-84. The forward formula
// has no closed-form inverse, so it iterates: guess w, see where
// WGS84ToGCJ02 puts it, and move w by the miss. The offset changes by well
// under 1% of a step, so each round gains two or more digits; a few rounds
// reach a millimetre.
func GCJ02ToWGS84(g orb.Point) orb.Point {
	w := g
	for range 10 {
		f := WGS84ToGCJ02(w)
		dx, dy := f[0]-g[0], f[1]-g[1]
		if math.Abs(dx) < 1e-9 && math.Abs(dy) < 1e-9 { // 1e-9° ≈ 0.1 mm
			break
		}
		w = orb.Point{w[0] - dx, w[1] - dy}
	}
	return w
}

// gcjOffset returns how far GCJ-02 moves p, in degrees of longitude and
// latitude: a smooth pseudo-random distortion in metres, centred on
// (105°E, 35°N), turned into degrees on the Krasovsky ellipsoid.
func gcjOffset(p orb.Point) (dLon, dLat float64) {
	x, y := p[0]-105.0, p[1]-35.0

	// Both distortions share the terms in x; each adds its own.
	wave := (20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)) * 2 / 3
	mLat := -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x)) + wave +
		(20*math.Sin(y*math.Pi)+40*math.Sin(y/3*math.Pi))*2/3 +
		(160*math.Sin(y/12*math.Pi)+320*math.Sin(y*math.Pi/30))*2/3
	mLon := 300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x)) + wave +
		(20*math.Sin(x*math.Pi)+40*math.Sin(x/3*math.Pi))*2/3 +
		(150*math.Sin(x/12*math.Pi)+300*math.Sin(x/30*math.Pi))*2/3

	// Metres to degrees at this latitude: the meridian radius of curvature M
	// for latitude, the parallel's radius N·cos(lat) for longitude.
	lat := p[1] * math.Pi / 180
	s := math.Sin(lat)
	w2 := 1 - krasovskyE2*s*s
	w := math.Sqrt(w2)
	m := krasovskyA * (1 - krasovskyE2) / (w2 * w)
	n := krasovskyA / w
	dLat = mLat * 180 / (m * math.Pi)
	dLon = mLon * 180 / (n * math.Cos(lat) * math.Pi)
	return dLon, dLat
}
