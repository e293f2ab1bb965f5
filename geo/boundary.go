package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/paulmach/orb"
)

// EncodeBoundary writes mp as a GeoJSON geometry: a Polygon when mp has one
// polygon, else a MultiPolygon. Boundaries are stored in this form because
// the embedded FerretDB rejects the nested arrays of a GeoJSON document, but
// takes a string. Non-finite coordinates, which ParseVillages never returns,
// are written as null so that the output stays JSON and DecodeBoundary
// refuses it.
func EncodeBoundary(mp orb.MultiPolygon) []byte {
	b := make([]byte, 0, 64+40*pointCount(mp))
	if len(mp) == 1 {
		b = append(b, `{"type":"Polygon","coordinates":`...)
		b = appendPolygon(b, mp[0])
	} else {
		b = append(b, `{"type":"MultiPolygon","coordinates":[`...)
		for i, p := range mp {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPolygon(b, p)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// DecodeBoundary reads a GeoJSON Polygon or MultiPolygon geometry, as written
// by EncodeBoundary, into a MultiPolygon.
func DecodeBoundary(b []byte) (orb.MultiPolygon, error) {
	mp, problem := decodeGeometry(b)
	if problem != "" {
		return nil, errors.New("decode boundary: " + problem)
	}
	for _, poly := range mp {
		for _, ring := range poly {
			for _, p := range ring {
				if math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
					return nil, errors.New("decode boundary: coordinate is not a finite number")
				}
			}
		}
	}
	return mp, nil
}

func pointCount(mp orb.MultiPolygon) int {
	n := 0
	for _, poly := range mp {
		for _, ring := range poly {
			n += len(ring)
		}
	}
	return n
}

func appendPolygon(b []byte, poly orb.Polygon) []byte {
	b = append(b, '[')
	for i, ring := range poly {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, p := range ring {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = appendNumber(b, p[0])
			b = append(b, ',')
			b = appendNumber(b, p[1])
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

func appendNumber(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return append(b, "null"...)
	case math.Abs(v) < 1e21:
		// Shortest form that reads back to the same float64.
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	default:
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	}
}

// jsonGeometry is a GeoJSON geometry object before its coordinates are read.
type jsonGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// decodeGeometry reads a GeoJSON Polygon or MultiPolygon geometry. It
// reports a problem for a person instead of an error, since ParseVillages
// lists it against the feature; the shape itself is checked by checkShape.
func decodeGeometry(raw []byte) (orb.MultiPolygon, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, "geometry missing; a village boundary must be a Polygon or MultiPolygon"
	}
	var g jsonGeometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, "geometry is not a GeoJSON geometry object"
	}
	switch g.Type {
	case "Polygon", "MultiPolygon":
	case "":
		return nil, "geometry has no type; a village boundary must be a Polygon or MultiPolygon"
	default:
		return nil, fmt.Sprintf("geometry is a %s; a village boundary must be a Polygon or MultiPolygon", g.Type)
	}
	// Numbers are read as text first, so that null is told apart from 0 (which
	// encoding/json would quietly make of it) and 1e400 becomes +Inf for
	// checkPoint to name, rather than a decoding error.
	var coords any
	dec := json.NewDecoder(bytes.NewReader(g.Coordinates))
	dec.UseNumber()
	if len(g.Coordinates) == 0 || dec.Decode(&coords) != nil || coords == nil {
		return nil, "geometry has no coordinates"
	}
	if g.Type == "Polygon" {
		poly, problem := toPolygon(coords, "")
		if problem != "" {
			return nil, problem
		}
		return orb.MultiPolygon{poly}, ""
	}
	polys, ok := coords.([]any)
	if !ok {
		return nil, "MultiPolygon coordinates must be an array of polygons"
	}
	mp := make(orb.MultiPolygon, len(polys))
	for i, v := range polys {
		var problem string
		if mp[i], problem = toPolygon(v, fmt.Sprintf("polygon %d ", i)); problem != "" {
			return nil, problem
		}
	}
	return mp, ""
}

// toPolygon converts decoded JSON coordinates to a polygon; where prefixes
// the problem text ("polygon 2 ") inside a MultiPolygon.
func toPolygon(v any, where string) (orb.Polygon, string) {
	rings, ok := v.([]any)
	if !ok {
		return nil, where + "coordinates must be an array of rings"
	}
	poly := make(orb.Polygon, len(rings))
	for ri, rv := range rings {
		positions, ok := rv.([]any)
		if !ok {
			return nil, fmt.Sprintf("%sring %d must be an array of [lon, lat] positions", where, ri)
		}
		ring := make(orb.Ring, len(positions))
		for i, pv := range positions {
			if ring[i], ok = toPoint(pv); !ok {
				return nil, fmt.Sprintf("%sring %d point %d is not a [lon, lat] position of two numbers", where, ri, i)
			}
		}
		poly[ri] = ring
	}
	return poly, ""
}

// toPoint reads a position [lon, lat] or [lon, lat, alt]; altitude is dropped.
func toPoint(v any) (orb.Point, bool) {
	nums, ok := v.([]any)
	if !ok || len(nums) < 2 {
		return orb.Point{}, false
	}
	var p orb.Point
	for i := range p {
		n, ok := nums[i].(json.Number)
		if !ok {
			return orb.Point{}, false
		}
		// A range error still gives ±Inf or 0, which checkPoint judges.
		p[i], _ = strconv.ParseFloat(string(n), 64)
	}
	return p, true
}
