package geo

import (
	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

// AreaKm2 is the area of mp on the earth in km², holes subtracted. It treats
// the earth as a sphere (orb's geo.Area), which for a village is within a
// fraction of a percent of the ellipsoidal area: plenty for the figures a
// town reports.
func AreaKm2(mp orb.MultiPolygon) float64 {
	return orbgeo.Area(mp) / 1e6
}

// DistanceM is the great-circle (haversine) distance between a and b in
// metres.
func DistanceM(a, b orb.Point) float64 {
	return orbgeo.DistanceHaversine(a, b)
}
