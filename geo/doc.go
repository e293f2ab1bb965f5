// Package geo is cunjie's spatial engine: it reads village boundaries from the
// files town offices have (GeoJSON, or KML from Google Earth and 奥维互动地图),
// tells which village a GPS point falls in, measures areas and distances on
// the earth, and converts between WGS-84 and the GCJ-02 coordinates of
// Chinese web maps.
//
// Coordinates are orb.Point values in GeoJSON order [lon, lat], WGS-84
// degrees, everywhere in this package except the input and output of the
// GCJ-02 functions. The package knows nothing of HTTP or of the database; it
// depends on github.com/paulmach/orb only.
package geo
