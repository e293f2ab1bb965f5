package cunjie

import "regexp"

// Village is an administrative village (行政村), identified by its 12-digit
// statistical division code (统计用区划代码).
type Village struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Town string `json:"town"`
	// Boundary is a GeoJSON Polygon or MultiPolygon in WGS-84, kept as raw
	// JSON here so the domain needs no geometry library; geo parses it.
	Boundary []byte `json:"-"`
}

var villageCodeRe = regexp.MustCompile(`^[0-9]{12}$`)

// ValidVillageCode reports whether code is a 12-digit division code.
func ValidVillageCode(code string) bool { return villageCodeRe.MatchString(code) }
