package geo

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// VillageShape is one village's boundary as read from an import file.
type VillageShape struct {
	Code  string           // 12-digit division code (统计用区划代码), e.g. "360803101201"
	Name  string           // the village's name, e.g. "社上村"
	Town  string           // optional: the township the village belongs to
	Shape orb.MultiPolygon // a Polygon is kept as a one-polygon MultiPolygon; holes are kept
}

// Limits on what ParseVillages accepts, so that one upload cannot make the
// server spend unbounded time and memory. A township has tens of villages and
// a surveyed boundary a few thousand points.
const (
	MaxImportFeatures = 5000    // features or placemarks in one file
	MaxRingPoints     = 100_000 // points in one ring
	MaxImportErrors   = 100     // problems listed in one ImportErrors
)

// ImportError names the feature (0-based index in the file) and what is wrong.
//
// Index is -1 for a problem with the file as a whole. Field is "file",
// "feature", "geometry", "properties", "properties.code" or "properties.name"
// for GeoJSON, and "file", "geometry", "ExtendedData.code" or "name" for KML.
// Problem is an English sentence for a person; ring and point numbers in it
// count from 0, like Index.
type ImportError struct {
	Index   int    `json:"index"`
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

func (e ImportError) Error() string {
	if e.Index < 0 {
		return e.Field + ": " + e.Problem
	}
	return fmt.Sprintf("feature %d: %s: %s", e.Index, e.Field, e.Problem)
}

// ImportErrors is returned when any feature is bad; nothing is imported then.
// It lists every problem found, at most MaxImportErrors of them; when there
// were more, the last entry (Index -1, Field "file") says how many were left
// out.
type ImportErrors []ImportError

func (es ImportErrors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return fmt.Sprintf("%d problems in import file: %s", len(es), strings.Join(msgs, "; "))
}

// errorList collects problems while a file is read and caps how many are kept.
type errorList struct {
	list    ImportErrors
	dropped int
}

func (l *errorList) add(index int, field, problem string) {
	if len(l.list) < MaxImportErrors {
		l.list = append(l.list, ImportError{Index: index, Field: field, Problem: problem})
		return
	}
	l.dropped++
}

// err returns the collected problems as an error, or nil when there were none.
func (l *errorList) err() error {
	if len(l.list) == 0 {
		return nil
	}
	if l.dropped > 0 {
		// The summary takes the last slot, so the list stays within the cap.
		l.list[len(l.list)-1] = ImportError{Index: -1, Field: "file",
			Problem: fmt.Sprintf("%d more problems not listed", l.dropped+1)}
		l.dropped = 0
	}
	return l.list
}

// Property keys that ParseVillages reads a village's code, name and town
// from, in order of preference (keep its doc comment in step). The Chinese
// keys are what county GIS offices and hand-made spreadsheets converted to
// GeoJSON tend to use.
var (
	codeKeys = []string{"code", "村代码", "区划代码", "代码"}
	nameKeys = []string{"name", "村名", "名称", "name_zh"}
	townKeys = []string{"town", "乡镇", "town_name"}
)

// pick returns the trimmed value of the first of keys that attrs holds as
// non-empty text.
func pick(attrs map[string]string, keys []string) string {
	for _, key := range keys {
		if v := strings.TrimSpace(attrs[key]); v != "" {
			return v
		}
		// Map order is random; walk the keys sorted so that a file with both
		// "NAME" and "Name" always gives the same answer.
		for _, k := range sortedKeys(attrs) {
			if strings.EqualFold(k, key) {
				if v := strings.TrimSpace(attrs[k]); v != "" {
					return v
				}
			}
		}
	}
	return ""
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// keyList writes keys for a person: "code, 村代码, 区划代码 or 代码".
func keyList(keys []string) string {
	return strings.Join(keys[:len(keys)-1], ", ") + " or " + keys[len(keys)-1]
}

// checkCode returns what is wrong with a division code, or "" when it is a
// 12-digit code.
func checkCode(code string) string {
	if len(code) != 12 || strings.IndexFunc(code, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return fmt.Sprintf("code %q is not a 12-digit division code (统计用区划代码)", code)
	}
	return ""
}

// zeroArea is the planar area, in square degrees, below which a ring counts
// as having no area: about 0.01 m², far below any real boundary, and far
// above the rounding error of points on one line.
const zeroArea = 1e-12

// checkShape returns the first thing that makes mp unusable as a village
// boundary, or "" when there is none.
func checkShape(mp orb.MultiPolygon) string {
	if len(mp) == 0 {
		return "geometry has no polygons"
	}
	for pi, poly := range mp {
		if len(poly) == 0 {
			if len(mp) == 1 {
				return "polygon has no rings"
			}
			return fmt.Sprintf("polygon %d has no rings", pi)
		}
		for ri, ring := range poly {
			if problem := checkRing(ring); problem != "" {
				return ringName(pi, ri, len(mp)) + ": " + problem
			}
		}
	}
	return ""
}

// ringName names a ring for a person: "ring 0 (outer)", "polygon 2 ring 1 (hole)".
func ringName(pi, ri, polygons int) string {
	kind := "outer"
	if ri > 0 {
		kind = "hole"
	}
	if polygons == 1 {
		return fmt.Sprintf("ring %d (%s)", ri, kind)
	}
	return fmt.Sprintf("polygon %d ring %d (%s)", pi, ri, kind)
}

func checkRing(r orb.Ring) string {
	if len(r) > MaxRingPoints {
		return fmt.Sprintf("ring has %d points; at most %d are accepted (simplify the boundary)", len(r), MaxRingPoints)
	}
	if len(r) < 4 {
		return fmt.Sprintf("ring has %d points; a ring needs at least 4, the first repeated at the end", len(r))
	}
	for i, p := range r {
		if problem := checkPoint(p); problem != "" {
			return fmt.Sprintf("point %d %s: %s", i, formatPoint(p), problem)
		}
	}
	if r[0] != r[len(r)-1] {
		return fmt.Sprintf("ring not closed: first point %s differs from last point %s", formatPoint(r[0]), formatPoint(r[len(r)-1]))
	}
	if math.Abs(planarArea(r)) <= zeroArea {
		return "ring has zero area (its points are identical or on one line)"
	}
	return ""
}

func checkPoint(p orb.Point) string {
	lon, lat := p[0], p[1]
	switch {
	case math.IsNaN(lon) || math.IsInf(lon, 0) || math.IsNaN(lat) || math.IsInf(lat, 0):
		return "coordinate is not a finite number"
	case math.Abs(lon) <= 90 && math.Abs(lat) > 90 && math.Abs(lat) <= 180:
		// In China longitude is about 73–135 and latitude 18–54, so a swapped
		// pair puts a "latitude" above 90: say so rather than just "out of range".
		return "coordinates look like lat,lon; GeoJSON/KML order is lon,lat"
	case math.Abs(lon) > 180 || math.Abs(lat) > 90:
		problem := "coordinates out of range: longitude must be within [-180, 180] and latitude within [-90, 90]"
		if math.Abs(lon) > 1000 || math.Abs(lat) > 1000 {
			problem += " (projected coordinates in metres? export as longitude/latitude degrees, WGS-84 or CGCS2000)"
		}
		return problem
	}
	return ""
}

// planarArea is the shoelace area of r in square degrees, signed. Measuring
// from the first point keeps the products small, so that rounding cannot
// make points on one line look like an area.
func planarArea(r orb.Ring) float64 {
	x0, y0 := r[0][0], r[0][1]
	sum := 0.0
	for i := 0; i+1 < len(r); i++ {
		ax, ay := r[i][0]-x0, r[i][1]-y0
		bx, by := r[i+1][0]-x0, r[i+1][1]-y0
		sum += ax*by - bx*ay
	}
	return sum / 2
}

// formatPoint writes p as it would appear in a GeoJSON file: [114.9, 27.1].
func formatPoint(p orb.Point) string {
	return "[" + formatNumber(p[0]) + ", " + formatNumber(p[1]) + "]"
}

func formatNumber(v float64) string {
	if math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64) // not hundreds of digits for 1e300
}
