package geo

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// ParseVillages detects GeoJSON (FeatureCollection, or a single Feature) or
// KML by content (not by file name) and returns all villages, in file order,
// or ImportErrors listing every bad feature.
//
// Each feature needs a Polygon or MultiPolygon boundary with closed rings of
// at least 4 points in [lon, lat] order and some area, a 12-digit code that no
// other feature in the file has, and a name; the town is optional. GeoJSON
// features carry them in properties, under these keys (the first key with a
// non-empty text or number wins; ASCII keys match in any case, so "name" also
// finds "NAME"):
//
//	code: code, 村代码, 区划代码, 代码
//	name: name, 村名, 名称, name_zh
//	town: town, 乡镇, town_name
//
// KML placemarks carry them in ExtendedData, as <Data
// name="code"><value>…</value></Data> or <SchemaData><SimpleData
// name="code">…</SimpleData>, under the same keys, and the name falls back to
// the placemark's <name>: this is how Google Earth and 奥维互动地图 (Ovital)
// export. A file may hold at most MaxImportFeatures features and a ring at
// most MaxRingPoints points.
func ParseVillages(data []byte) ([]VillageShape, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM from Windows editors
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	r := &importer{codes: map[string]int{}}
	switch {
	case len(trimmed) == 0:
		r.fail("file is empty")
	case trimmed[0] == '{':
		r.readGeoJSON(trimmed)
	case trimmed[0] == '<':
		r.readKML(trimmed)
	case bytes.HasPrefix(trimmed, []byte("PK\x03\x04")):
		r.fail("file is a ZIP archive (KMZ?); unpack it and import the KML or GeoJSON inside")
	default:
		r.fail("file is neither GeoJSON nor KML (convert shapefiles and other formats to GeoJSON first)")
	}
	if err := r.errs.err(); err != nil {
		return nil, err
	}
	return r.villages, nil
}

// importer gathers villages and problems while one file is read.
type importer struct {
	villages []VillageShape
	codes    map[string]int // code → index of the feature that had it first
	errs     errorList
}

// fail refuses the file as a whole. Problems already found in its features
// are dropped: they would only bury the one that matters.
func (r *importer) fail(problem string) {
	r.errs = errorList{}
	r.errs.add(-1, "file", problem)
}

// labels say, per format, where a feature's attributes come from: they name
// the ImportError fields and tell a person where to add what is missing.
type labels struct {
	codeField, nameField string
	codeHint, nameHint   string
}

var (
	geojsonLabels = labels{
		codeField: "properties.code", nameField: "properties.name",
		codeHint: "add a property named " + keyList(codeKeys),
		nameHint: "add a property named " + keyList(nameKeys),
	}
	kmlLabels = labels{
		codeField: "ExtendedData.code", nameField: "name",
		codeHint: "add ExtendedData Data or SimpleData named " + keyList(codeKeys),
		nameHint: "add a <name>, or ExtendedData Data or SimpleData named " + keyList(nameKeys),
	}
)

// add checks one feature and keeps it, or records each of its problems.
// geomProblem is what the reader already found wrong with the geometry.
func (r *importer) add(index int, l labels, attrs map[string]string, shape orb.MultiPolygon, geomProblem string) {
	v := VillageShape{Code: pick(attrs, codeKeys), Name: pick(attrs, nameKeys), Town: pick(attrs, townKeys), Shape: shape}
	bad := false
	if geomProblem == "" {
		geomProblem = checkShape(shape)
	}
	if geomProblem != "" {
		r.errs.add(index, "geometry", geomProblem)
		bad = true
	}
	switch {
	case v.Code == "":
		r.errs.add(index, l.codeField, "missing code: "+l.codeHint)
		bad = true
	case checkCode(v.Code) != "":
		r.errs.add(index, l.codeField, checkCode(v.Code))
		bad = true
	default:
		if first, seen := r.codes[v.Code]; seen {
			r.errs.add(index, l.codeField, fmt.Sprintf("code %s is already used by feature %d", v.Code, first))
			bad = true
		} else {
			r.codes[v.Code] = index
		}
	}
	if v.Name == "" {
		r.errs.add(index, l.nameField, "missing name: "+l.nameHint)
		bad = true
	}
	if !bad {
		r.villages = append(r.villages, v)
	}
}

// GeoJSON

type jsonFeature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

type jsonDocument struct {
	jsonFeature
	Features []json.RawMessage `json:"features"`
}

func (r *importer) readGeoJSON(data []byte) {
	var doc jsonDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		r.fail("file is not valid GeoJSON: " + jsonProblem(err))
		return
	}
	switch doc.Type {
	case "FeatureCollection":
		if len(doc.Features) > MaxImportFeatures {
			r.fail(fmt.Sprintf("file has %d features; at most %d are accepted in one import", len(doc.Features), MaxImportFeatures))
			return
		}
		if len(doc.Features) == 0 {
			r.fail("FeatureCollection has no features")
			return
		}
		for i, raw := range doc.Features {
			r.readFeature(i, raw)
		}
	case "Feature":
		r.readFeature(0, data)
	case "Polygon", "MultiPolygon":
		r.fail("file is a bare " + doc.Type + " geometry; wrap it in a Feature with code and name properties")
	default:
		r.fail(`file is JSON but not GeoJSON: expected "type": "FeatureCollection" or "Feature"`)
	}
}

func (r *importer) readFeature(index int, raw json.RawMessage) {
	var f jsonFeature
	if err := json.Unmarshal(raw, &f); err != nil {
		r.errs.add(index, "feature", "feature is not a GeoJSON Feature object")
		return
	}
	if f.Type != "Feature" {
		r.errs.add(index, "feature", fmt.Sprintf(`feature has "type": %q; expected "Feature"`, f.Type))
		return
	}
	attrs, ok := jsonProperties(f.Properties)
	if !ok {
		r.errs.add(index, "properties", "properties must be a JSON object")
	}
	shape, problem := decodeGeometry(f.Geometry)
	r.add(index, geojsonLabels, attrs, shape, problem)
}

// jsonProperties keeps the properties that are text or numbers, as text: a
// code is often written as a number (360803101201). Other values (true,
// objects, arrays) are not a code or a name and are left out.
func jsonProperties(raw json.RawMessage) (map[string]string, bool) {
	attrs := map[string]string{}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return attrs, true
	}
	var props map[string]json.RawMessage
	if err := json.Unmarshal(raw, &props); err != nil {
		return attrs, false
	}
	for k, v := range props {
		var s string
		switch {
		case json.Unmarshal(v, &s) == nil:
			attrs[k] = s
		case len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9'):
			attrs[k] = string(v)
		}
	}
	return attrs, true
}

// jsonProblem words a JSON syntax error with its byte offset, which a person
// can find in an editor.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return fmt.Sprintf("%v (at byte %d)", syntax, syntax.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) && typ.Field != "" {
		return fmt.Sprintf("%q has the wrong type (%s)", typ.Field, typ.Value)
	}
	return err.Error()
}

// KML

// kmlPlacemark is the part of a KML Placemark that a village needs. Tags
// without a namespace match any namespace, so both KML 2.2 and the older
// Google Earth namespace work.
type kmlPlacemark struct {
	Name       string          `xml:"name"`
	Data       []kmlData       `xml:"ExtendedData>Data"`
	SimpleData []kmlSimpleData `xml:"ExtendedData>SchemaData>SimpleData"`
	kmlGeometries
}

// kmlGeometries are the geometry elements a Placemark or MultiGeometry may
// hold; the ones other than Polygon are only read to be named in a problem.
type kmlGeometries struct {
	Polygons   []kmlPolygon    `xml:"Polygon"`
	Multi      []kmlGeometries `xml:"MultiGeometry"`
	Points     []struct{}      `xml:"Point"`
	LineString []struct{}      `xml:"LineString"`
	LinearRing []struct{}      `xml:"LinearRing"`
	Track      []struct{}      `xml:"Track"`
	Model      []struct{}      `xml:"Model"`
}

type kmlData struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value"`
}

type kmlSimpleData struct {
	Name  string `xml:"name,attr"`
	Value string `xml:",chardata"`
}

type kmlPolygon struct {
	Outer []string `xml:"outerBoundaryIs>LinearRing>coordinates"`
	Inner []string `xml:"innerBoundaryIs>LinearRing>coordinates"`
}

func (r *importer) readKML(data []byte) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := true
	count := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			r.fail("file is not valid KML: " + xmlProblem(err))
			return
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root {
			if start.Name.Local != "kml" {
				r.fail(fmt.Sprintf("file is XML but not KML (its root element is <%s>, not <kml>)", start.Name.Local))
				return
			}
			root = false
			continue
		}
		if start.Name.Local != "Placemark" {
			continue // Document, Folder, Style and the rest: walk into or past them
		}
		if count == MaxImportFeatures {
			r.fail(fmt.Sprintf("file has more than %d placemarks; at most %d are accepted in one import", MaxImportFeatures, MaxImportFeatures))
			return
		}
		var pm kmlPlacemark
		if err := dec.DecodeElement(&pm, &start); err != nil {
			r.fail(fmt.Sprintf("file is not valid KML: placemark %d: %s", count, xmlProblem(err)))
			return
		}
		r.readPlacemark(count, &pm)
		count++
	}
	if root {
		r.fail("file is neither GeoJSON nor KML")
	} else if count == 0 {
		r.fail("KML file has no Placemark")
	}
}

// xmlProblem words an XML error for a person.
func xmlProblem(err error) string {
	if strings.Contains(err.Error(), "CharsetReader") {
		// encoding/xml reads only UTF-8; 奥维 and Google Earth write UTF-8,
		// but a file re-saved by an old editor may declare GBK.
		return "the file declares a character encoding other than UTF-8; save it as UTF-8"
	}
	return err.Error()
}

func (r *importer) readPlacemark(index int, pm *kmlPlacemark) {
	attrs := map[string]string{}
	// SimpleData first, so that Data wins where both name the same key.
	for _, d := range pm.SimpleData {
		attrs[d.Name] = d.Value
	}
	for _, d := range pm.Data {
		attrs[d.Name] = d.Value
	}
	if pick(attrs, nameKeys) == "" {
		attrs["name"] = pm.Name
	}
	var shape orb.MultiPolygon
	problem := ""
	switch n := pm.count(); {
	case n == 0:
		problem = "geometry missing; the Placemark needs a Polygon or a MultiGeometry of Polygons"
	case n > 1:
		problem = "Placemark has more than one geometry; put the polygons in one MultiGeometry"
	default:
		shape, problem = pm.polygons()
	}
	r.add(index, kmlLabels, attrs, shape, problem)
}

// count is how many geometry elements g holds directly.
func (g *kmlGeometries) count() int {
	return len(g.Polygons) + len(g.Multi) + len(g.Points) + len(g.LineString) + len(g.LinearRing) + len(g.Track) + len(g.Model)
}

// polygons flattens g, and any MultiGeometry nested in it, into polygons, or
// says which other geometry it found.
func (g *kmlGeometries) polygons() (orb.MultiPolygon, string) {
	for _, other := range []struct {
		name string
		n    int
	}{{"Point", len(g.Points)}, {"LineString", len(g.LineString)}, {"LinearRing", len(g.LinearRing)}, {"Track", len(g.Track)}, {"Model", len(g.Model)}} {
		if other.n > 0 {
			return nil, "geometry is a " + other.name + "; a village boundary must be a Polygon or a MultiGeometry of Polygons"
		}
	}
	var mp orb.MultiPolygon
	for _, kp := range g.Polygons {
		poly, problem := kp.polygon(len(mp))
		if problem != "" {
			return nil, problem
		}
		mp = append(mp, poly)
	}
	for i := range g.Multi {
		more, problem := g.Multi[i].polygons()
		if problem != "" {
			return nil, problem
		}
		mp = append(mp, more...)
	}
	if len(mp) == 0 {
		return nil, "MultiGeometry holds no Polygon"
	}
	return mp, ""
}

// polygon reads one KML Polygon; index numbers it in problem texts.
func (kp *kmlPolygon) polygon(index int) (orb.Polygon, string) {
	if len(kp.Outer) != 1 {
		return nil, fmt.Sprintf("polygon %d has %d outerBoundaryIs rings; it needs exactly one", index, len(kp.Outer))
	}
	poly := orb.Polygon{}
	for ri, text := range append([]string{kp.Outer[0]}, kp.Inner...) {
		ring, problem := kmlRing(text)
		if problem != "" {
			return nil, fmt.Sprintf("polygon %d ring %d: %s", index, ri, problem)
		}
		poly = append(poly, ring)
	}
	return poly, ""
}

// kmlRing reads a <coordinates> text: "lon,lat[,alt]" tuples separated by
// white space.
func kmlRing(text string) (orb.Ring, string) {
	tuples := strings.Fields(text)
	if len(tuples) > MaxRingPoints {
		return nil, fmt.Sprintf("ring has %d points; at most %d are accepted (simplify the boundary)", len(tuples), MaxRingPoints)
	}
	ring := make(orb.Ring, len(tuples))
	for i, tuple := range tuples {
		parts := strings.Split(tuple, ",")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, fmt.Sprintf("point %d %q is not lon,lat or lon,lat,alt", i, tuple)
		}
		for j := range ring[i] {
			v, err := strconv.ParseFloat(parts[j], 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return nil, fmt.Sprintf("point %d %q is not lon,lat or lon,lat,alt", i, tuple)
			}
			ring[i][j] = v // a range error gives ±Inf, which checkPoint names
		}
	}
	return ring, ""
}
