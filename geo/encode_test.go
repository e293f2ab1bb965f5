package geo

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
)

// holed is a square village with a square hole (another village inside it).
var holed = orb.MultiPolygon{{
	{{115.01, 27.10}, {115.04, 27.10}, {115.04, 27.13}, {115.01, 27.13}, {115.01, 27.10}},
	{{115.02, 27.11}, {115.02, 27.12}, {115.03, 27.12}, {115.03, 27.11}, {115.02, 27.11}},
}}

// twoParts is a village with an exclave (飞地), whose coordinates need all
// their digits to come back the same.
var twoParts = orb.MultiPolygon{
	{{{115.05, 27.10}, {115.06, 27.10}, {115.06, 27.11}, {115.05, 27.11}, {115.05, 27.10}}},
	{{{115.0712345678901, 27.1000000000001}, {115.08, 27.10}, {115.08, 27.11}, {115.07, 27.11}, {115.0712345678901, 27.1000000000001}}},
}

// awkward is text that breaks naive XML, JSON and CSV writers.
const awkward = `胡家 <b>"A&B"</b> 'x'` + "\n第二行,逗号"

func TestEncodeKMLBoundaryRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	k := NewKMLWriter(&buf, "村界 & 要素")
	k.StartFolder("下坊村")
	k.Boundary("下坊村", holed, []Prop{{Key: "code", Label: "村代码", Value: "360803101205"}, {Key: "name", Value: "下坊村"}})
	k.EndFolder()
	k.Boundary("上坊村", twoParts, []Prop{{Key: "code", Value: "360803101206"}})
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	vs, err := ParseVillages(buf.Bytes())
	if err != nil {
		t.Fatalf("ParseVillages: %v\n%s", err, buf.String())
	}
	want := []VillageShape{
		{Code: "360803101205", Name: "下坊村", Shape: holed},
		{Code: "360803101206", Name: "上坊村", Shape: twoParts},
	}
	if diff := cmp.Diff(want, vs); diff != "" {
		t.Errorf("villages after a KML round trip (-want +got):\n%s", diff)
	}
	if !strings.Contains(buf.String(), "<innerBoundaryIs>") || !strings.Contains(buf.String(), "<MultiGeometry>") {
		t.Errorf("expected a hole and a MultiGeometry:\n%s", buf.String())
	}
}

// kmlDoc is what a KML reader sees of the export's structure.
type kmlDoc struct {
	Name    string      `xml:"Document>name"`
	Folders []kmlFolder `xml:"Document>Folder"`
}

type kmlFolder struct {
	Name       string         `xml:"name"`
	Folders    []kmlFolder    `xml:"Folder"`
	Placemarks []kmlPlacemark `xml:"Placemark"`
}

func TestEncodeKMLParsesBack(t *testing.T) {
	var buf bytes.Buffer
	k := NewKMLWriter(&buf, awkward)
	k.StartFolder("社上村 (360803101201)")
	k.Boundary("社上村", holed, nil)
	k.StartFolder("垃圾桶")
	k.Point(awkward, orb.Point{114.9, 27.09}, []Prop{
		{Key: "id", Label: "编号", Value: "b-1"},
		{Key: "note", Label: "备注", Value: awkward},
		{Key: "capacity_l", Label: "容量(升)", Value: int64(240)},
		{Key: "subsidy", Value: 1000000.0},
		{Key: "bell", Value: "响\x07铃"}, // a control character XML cannot hold
		{Key: "empty", Value: nil},
	})
	k.Point("b-2", orb.Point{114.91, 27.095}, nil)
	// The inner folder is left open: Close closes it.
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	var doc kmlDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("KML does not parse: %v\n%s", err, buf.String())
	}
	if doc.Name != awkward || len(doc.Folders) != 1 {
		t.Fatalf("document %q with %d folders", doc.Name, len(doc.Folders))
	}
	village := doc.Folders[0]
	if len(village.Placemarks) != 1 || len(village.Placemarks[0].Polygons) != 1 || len(village.Folders) != 1 {
		t.Fatalf("village folder: %+v", village)
	}
	pms := village.Folders[0].Placemarks
	if len(pms) != 2 || pms[0].Name != awkward || len(pms[0].Points) != 1 {
		t.Fatalf("point placemarks: %+v", pms)
	}
	got := map[string]string{}
	for _, d := range pms[0].Data {
		got[d.Name] = d.Value
	}
	want := map[string]string{"id": "b-1", "note": awkward, "capacity_l": "240", "subsidy": "1000000", "bell": "响\uFFFD铃", "empty": ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ExtendedData (-want +got):\n%s", diff)
	}
	if !strings.Contains(buf.String(), "<displayName>容量(升)</displayName>") {
		t.Error("labels should be written as displayName")
	}
	if !strings.Contains(buf.String(), "<coordinates>114.9,27.09</coordinates>") {
		t.Errorf("point coordinates not lon,lat:\n%s", buf.String())
	}
}

func TestEncodeKMLEndFolderUnbalanced(t *testing.T) {
	k := NewKMLWriter(&bytes.Buffer{}, "x")
	k.EndFolder()
	if err := k.Close(); err == nil {
		t.Error("EndFolder without a Folder should be an error")
	}
}

// failAfter accepts n bytes, then fails every write.
type failAfter struct{ n int }

var errDiskFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errDiskFull
	}
	f.n -= len(p)
	return len(p), nil
}

func TestEncodeKMLWriteErrorSticks(t *testing.T) {
	k := NewKMLWriter(&failAfter{n: 200}, "x")
	for range 10 {
		k.Point("p", orb.Point{115, 27}, []Prop{{Key: "k", Value: "v"}})
	}
	if err := k.Close(); !errors.Is(err, errDiskFull) {
		t.Errorf("Close: %v, want the write error", err)
	}
}

func TestEncodeGeoJSON(t *testing.T) {
	var buf bytes.Buffer
	g := NewGeoJSONWriter(&buf)
	if err := g.Feature("b-1", orb.Point{114.9, 27.09}, []Prop{
		{Key: "kind", Value: "bin"},
		{Key: "note", Value: awkward},
		{Key: "attrs", Value: []Prop{{Key: "capacity_l", Value: int64(240)}, {Key: "built_year", Value: nil}}},
		{Key: "bad", Value: math.NaN()},
		{Key: "ok", Value: true},
	}); err != nil {
		t.Fatal(err)
	}
	if err := g.Feature(`quote"id`, orb.Point{114.91, 27.095}, nil); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string
		Features []struct {
			Type     string
			ID       string
			Geometry struct {
				Type        string
				Coordinates []float64
			}
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &fc); err != nil {
		t.Fatalf("GeoJSON does not decode: %v\n%s", err, buf.String())
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) != 2 {
		t.Fatalf("collection: %+v", fc)
	}
	f := fc.Features[0]
	if f.Type != "Feature" || f.ID != "b-1" || f.Geometry.Type != "Point" || !cmp.Equal(f.Geometry.Coordinates, []float64{114.9, 27.09}) {
		t.Errorf("feature: %+v", f)
	}
	wantProps := map[string]any{"kind": "bin", "note": awkward, "attrs": map[string]any{"capacity_l": 240.0, "built_year": nil}, "bad": nil, "ok": true}
	if diff := cmp.Diff(wantProps, f.Properties); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	if fc.Features[1].ID != `quote"id` || len(fc.Features[1].Properties) != 0 {
		t.Errorf("second feature: %+v", fc.Features[1])
	}
	// Properties keep the order given, which a map would not.
	s := buf.String()
	if strings.Index(s, `"kind"`) > strings.Index(s, `"note"`) || strings.Index(s, `"capacity_l"`) > strings.Index(s, `"built_year"`) {
		t.Errorf("properties out of order: %s", s)
	}
}

func TestEncodeGeoJSONEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := NewGeoJSONWriter(&buf).Close(); err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string
		Features []any
	}
	if err := json.Unmarshal(buf.Bytes(), &fc); err != nil || fc.Type != "FeatureCollection" || fc.Features == nil {
		t.Errorf("empty collection %q: %v", buf.String(), err)
	}
}

func TestEncodeCSV(t *testing.T) {
	var buf bytes.Buffer
	w := NewCSVWriter(&buf)
	rows := [][]string{
		{"编号", "备注", "数"},
		{"b-1", awkward, "-3.5"},
		{"b-2", "=HYPERLINK(\"http://x\")", "+1"},
		{"b-3", "@SUM(A1)", ""},
		{"b-4", "-走失", "\t=1"},
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if !bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("no UTF-8 byte-order mark: % x", b[:8])
	}
	if bytes.Count(b, []byte{0xEF, 0xBB, 0xBF}) != 1 {
		t.Error("the byte-order mark belongs at the start only")
	}
	got, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"编号", "备注", "数"},
		{"b-1", awkward, "-3.5"},
		{"b-2", "'=HYPERLINK(\"http://x\")", "+1"},
		{"b-3", "'@SUM(A1)", ""},
		{"b-4", "'-走失", "'\t=1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if !bytes.Contains(b, []byte("数\r\n")) {
		t.Error("lines should end with CRLF for Excel")
	}
}
