package geo

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// The writers below encode exports one record at a time, straight to an
// io.Writer, so that an export of a whole town never holds more than one
// record's encoding in memory. They know nothing of features or users: the
// caller hands them points, shapes and lists of named values.

// Prop is one named value of an exported record. Key names it in GeoJSON and
// in KML's ExtendedData; Label, when set, is what a person reads instead
// (KML's displayName). In GeoJSON, Value is encoded with encoding/json, and a
// []Prop value becomes a nested object that keeps its order; in KML, Value is
// written as text (see propText).
type Prop struct {
	Key   string
	Label string
	Value any
}

// GeoJSON

// GeoJSONWriter writes a FeatureCollection one Feature at a time. Close ends
// the collection; a writer that is not closed leaves invalid JSON behind,
// which is how a failed export shows that it is incomplete.
type GeoJSONWriter struct {
	w io.Writer
	n int // features written
}

// NewGeoJSONWriter returns a writer of one FeatureCollection to w.
func NewGeoJSONWriter(w io.Writer) *GeoJSONWriter { return &GeoJSONWriter{w: w} }

const geoJSONStart = `{"type":"FeatureCollection","features":[`

// Feature writes one Point feature.
func (g *GeoJSONWriter) Feature(id string, p orb.Point, props []Prop) error {
	sep := ","
	if g.n == 0 {
		sep = geoJSONStart
	}
	if _, err := io.WriteString(g.w, sep); err != nil {
		return err
	}
	g.n++
	return WriteGeoJSONFeature(g.w, id, p, props)
}

// Close ends the collection; an empty one is still a valid collection.
func (g *GeoJSONWriter) Close() error {
	end := "]}\n"
	if g.n == 0 {
		end = geoJSONStart + end
	}
	_, err := io.WriteString(g.w, end)
	return err
}

// WriteGeoJSONFeature writes one GeoJSON Feature with a Point geometry and
// props, in their order, as its properties.
func WriteGeoJSONFeature(w io.Writer, id string, p orb.Point, props []Prop) error {
	b := make([]byte, 0, 512)
	b = append(b, `{"type":"Feature","id":`...)
	b = appendJSON(b, id)
	b = append(b, `,"geometry":{"type":"Point","coordinates":[`...)
	b = appendNumber(b, p[0])
	b = append(b, ',')
	b = appendNumber(b, p[1])
	b = append(b, `]},"properties":`...)
	b = appendProps(b, props)
	b = append(b, '}')
	_, err := w.Write(b)
	return err
}

// appendProps writes props as a JSON object. A map would lose the order,
// and the order is what makes an export readable.
func appendProps(b []byte, props []Prop) []byte {
	b = append(b, '{')
	for i, p := range props {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSON(b, p.Key)
		b = append(b, ':')
		b = appendJSON(b, p.Value)
	}
	return append(b, '}')
}

// appendJSON writes one value. Non-finite numbers, which JSON cannot hold,
// become null; so does any value encoding/json refuses, rather than losing
// the whole export to one odd attribute.
func appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case []Prop:
		return appendProps(b, v)
	case float64:
		return appendNumber(b, v)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}

// KML

// KMLWriter writes a KML 2.2 document, as Google Earth and 奥维互动地图
// (Ovital) open it, one Folder and Placemark at a time. The first write error
// sticks: later calls do nothing and Close returns it. A writer that is not
// closed leaves the document unterminated, which is how a failed export
// shows that it is incomplete.
type KMLWriter struct {
	w       io.Writer
	err     error
	folders int // Folders open
}

// NewKMLWriter starts a document named name. It holds the style of village
// boundaries: a red outline without fill, so that the imagery and the points
// inside stay visible.
func NewKMLWriter(w io.Writer, name string) *KMLWriter {
	k := &KMLWriter{w: w}
	k.write(xml.Header + `<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>`)
	k.text(name)
	k.write(`</name><Style id="boundary"><LineStyle><color>ff0000ff</color><width>2</width></LineStyle><PolyStyle><fill>0</fill></PolyStyle></Style>` + "\n")
	return k
}

// StartFolder opens a Folder named name; EndFolder closes it.
func (k *KMLWriter) StartFolder(name string) {
	k.write("<Folder><name>")
	k.text(name)
	k.write("</name>\n")
	k.folders++
}

// EndFolder closes the Folder opened last.
func (k *KMLWriter) EndFolder() {
	if k.folders == 0 {
		k.fail(errors.New("geo: KML EndFolder without StartFolder"))
		return
	}
	k.write("</Folder>\n")
	k.folders--
}

// Boundary writes an area, such as a village, as a Placemark with a Polygon
// (or a MultiGeometry of them) and data in its ExtendedData. ParseVillages
// reads it back when data has the village's code.
func (k *KMLWriter) Boundary(name string, mp orb.MultiPolygon, data []Prop) {
	k.startPlacemark(name, "#boundary", data)
	if k.err == nil {
		k.fail(WriteKMLPolygon(k.w, mp))
	}
	k.write("</Placemark>\n")
}

// Point writes a Placemark at p with data in its ExtendedData.
func (k *KMLWriter) Point(name string, p orb.Point, data []Prop) {
	k.startPlacemark(name, "", data)
	k.write("<Point><coordinates>")
	k.write(kmlCoord(p))
	k.write("</coordinates></Point></Placemark>\n")
}

// Close closes any Folder still open and ends the document.
func (k *KMLWriter) Close() error {
	for k.folders > 0 {
		k.EndFolder()
	}
	k.write("</Document></kml>\n")
	return k.err
}

// startPlacemark writes a Placemark's name, style and data, in the order
// the KML 2.2 schema wants them before the geometry.
func (k *KMLWriter) startPlacemark(name, styleURL string, data []Prop) {
	k.write("<Placemark><name>")
	k.text(name)
	k.write("</name>")
	if styleURL != "" {
		k.write("<styleUrl>" + styleURL + "</styleUrl>")
	}
	if len(data) == 0 {
		return
	}
	k.write("<ExtendedData>")
	for _, d := range data {
		k.write(`<Data name="`)
		k.text(d.Key)
		k.write(`">`)
		if d.Label != "" {
			k.write("<displayName>")
			k.text(d.Label)
			k.write("</displayName>")
		}
		k.write("<value>")
		k.text(propText(d.Value))
		k.write("</value></Data>")
	}
	k.write("</ExtendedData>")
}

func (k *KMLWriter) write(s string) {
	if k.err == nil {
		_, k.err = io.WriteString(k.w, s)
	}
}

// text writes s escaped for XML text and attribute values. xml.EscapeText
// also replaces characters XML may not hold at all (most control
// characters), which a free-text note from a phone can contain.
func (k *KMLWriter) text(s string) {
	if k.err == nil {
		k.err = xml.EscapeText(k.w, []byte(s))
	}
}

func (k *KMLWriter) fail(err error) {
	if k.err == nil {
		k.err = err
	}
}

// WriteKMLPolygon writes mp as a KML Polygon, or a MultiGeometry of Polygons
// when it has more than one, with each polygon's first ring as the outer
// boundary and the others as holes. tessellate makes Google Earth drape the
// outline over the hills instead of cutting through them.
func WriteKMLPolygon(w io.Writer, mp orb.MultiPolygon) error {
	var b strings.Builder
	if len(mp) != 1 {
		b.WriteString("<MultiGeometry>")
	}
	for _, poly := range mp {
		b.WriteString("<Polygon><tessellate>1</tessellate>")
		for i, ring := range poly {
			boundary := "innerBoundaryIs"
			if i == 0 {
				boundary = "outerBoundaryIs"
			}
			b.WriteString("<" + boundary + "><LinearRing><coordinates>")
			for j, p := range ring {
				if j > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(kmlCoord(p))
			}
			b.WriteString("</coordinates></LinearRing></" + boundary + ">")
		}
		b.WriteString("</Polygon>")
	}
	if len(mp) != 1 {
		b.WriteString("</MultiGeometry>")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// kmlCoord writes "lon,lat", each in the shortest form that reads back to
// the same float64, so a boundary survives an export and a re-import exactly.
func kmlCoord(p orb.Point) string {
	return strconv.FormatFloat(p[0], 'f', -1, 64) + "," + strconv.FormatFloat(p[1], 'f', -1, 64)
}

// propText is a KML value's text: numbers in their shortest form (never
// 1e+06), nil as nothing.
func propText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ""
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// CSV

// CSVWriter writes CSV that Excel opens right: UTF-8 with a byte-order mark
// (without it, Excel in a Chinese locale reads the file as GBK and garbles
// every Chinese header), lines ended by CRLF, and text that Excel would run
// as a formula made inert.
type CSVWriter struct {
	w       io.Writer
	csv     *csv.Writer
	started bool // the byte-order mark is written
}

// NewCSVWriter returns a CSV writer to w. Call Flush when done.
func NewCSVWriter(w io.Writer) *CSVWriter {
	c := csv.NewWriter(w)
	c.UseCRLF = true
	return &CSVWriter{w: w, csv: c}
}

// Write writes one record. Fields are changed only by CSVSafe.
func (c *CSVWriter) Write(fields []string) error {
	if !c.started {
		c.started = true
		if _, err := io.WriteString(c.w, "\ufeff"); err != nil {
			return err
		}
	}
	safe := make([]string, len(fields))
	for i, f := range fields {
		safe[i] = CSVSafe(f)
	}
	return c.csv.Write(safe)
}

// Flush writes what is buffered and reports any write error so far.
func (c *CSVWriter) Flush() error {
	c.csv.Flush()
	return c.csv.Error()
}

// CSVSafe guards against formula injection: Excel and WPS run a cell that
// starts with =, +, -, @ (or a tab or carriage return before one) as a
// formula, so a note typed on a phone as "=HYPERLINK(…)" would act when the
// office opens the file. Such text gets a leading apostrophe, which Excel
// shows as text. Numbers, negative ones included, are left alone.
func CSVSafe(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}
