package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
)

func columnKeys(cols []exportColumn) []string {
	keys := make([]string, len(cols))
	for i, c := range cols {
		keys[i] = c.key
	}
	return keys
}

// TestExportLabelsComplete: every column of every table has a Chinese
// header (the fixed ones from exportLabels, the attributes' from the domain
// table), and no two columns of one table share a header.
func TestExportLabelsComplete(t *testing.T) {
	tables := [][]cunjie.Kind{cunjie.Kinds()}
	for _, k := range cunjie.Kinds() {
		tables = append(tables, []cunjie.Kind{k})
	}
	for _, kinds := range tables {
		for _, personal := range []bool{false, true} {
			seen := map[string]string{}
			for _, c := range exportColumns(kinds, personal) {
				if c.label == c.key || c.label == "" {
					t.Errorf("column %s has no Chinese header", c.key)
				}
				if other, dup := seen[c.label]; dup {
					t.Errorf("kinds %v: columns %s and %s are both headed %s", kinds, other, c.key, c.label)
				}
				seen[c.label] = c.key
			}
		}
	}
}

func TestExportColumns(t *testing.T) {
	fixed := []string{"id", "village", "villageName", "kind", "status", "lon", "lat", "accuracy"}
	tail := []string{"lowAccuracy", "outsideVillage", "possibleDuplicate", "photosPending", "photos", "version", "createdBy", "createdAt", "updatedBy", "updatedAt"}
	join := func(parts ...[]string) []string { return slices.Concat(parts...) }

	got := columnKeys(exportColumns([]cunjie.Kind{cunjie.KindHouseholdToilet}, true))
	want := join(fixed, []string{"household_head", "type", "tap_water", "subsidy_yuan", "completed_on", "household", "name", "note"}, tail)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("household toilet, admin (-want +got):\n%s", diff)
	}
	got = columnKeys(exportColumns([]cunjie.Kind{cunjie.KindHouseholdToilet}, false))
	want = join(fixed, []string{"type", "tap_water", "subsidy_yuan", "completed_on", "household", "name", "note"}, tail)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("household toilet, not admin (-want +got):\n%s", diff)
	}

	// The union: each attribute once, in kind order, the common ones last,
	// no status or stage among the attributes, and the same every time.
	union := columnKeys(exportColumns(cunjie.Kinds(), false))
	want = join(fixed, []string{
		"capacity_l", "volume_m3", "built_year", "bin_count", "capacity_tpd", "type", "stalls",
		"tap_water", "subsidy_yuan", "completed_on", "household", "structure", "area_m2", "demolished_on",
		"category", "mode", "plot_area_m2", "building_area_m2", "one_household_one_homestead", "old_house",
		"address", "members", "name", "note"}, tail)
	if diff := cmp.Diff(want, union); diff != "" {
		t.Errorf("union of kinds, not admin (-want +got):\n%s", diff)
	}
	admin := columnKeys(exportColumns(cunjie.Kinds(), true))
	for _, p := range cunjie.PersonalAttrs() {
		if !slices.Contains(admin, p) {
			t.Errorf("admin's union lacks %s", p)
		}
	}
}

func TestExportValues(t *testing.T) {
	at := time.Date(2026, 11, 20, 0, 30, 0, 0, time.UTC)
	cases := []struct {
		in   any
		text string
	}{
		{nil, ""},
		{"胡建国", "胡建国"},
		{true, "是"},
		{false, "否"},
		{cunjie.KindHouseholdToilet, "户厕改造"},
		{at, "2026-11-20 08:30:00"}, // China time
		{time.Time{}, ""},
		{1000000.0, "1000000"},
		{114.90123456789, "114.90123456789"},
		{int64(240), "240"},
		{3, "3"},
	}
	for _, tc := range cases {
		if got := exportText(tc.in); got != tc.text {
			t.Errorf("exportText(%#v) = %q, want %q", tc.in, got, tc.text)
		}
	}
	// A spreadsheet keeps numbers as numbers.
	if v := exportTableValue(int64(240)); v != int64(240) {
		t.Errorf("exportTableValue(240) = %#v", v)
	}
}

func testFeature() *cunjie.Feature {
	return &cunjie.Feature{
		ID: "hh-1", Village: "360803101201", Kind: cunjie.KindHouseholdToilet,
		Location: cunjie.Location{Lon: 114.9, Lat: 27.09, Accuracy: 6},
		Attrs:    map[string]any{"household_head": "胡建国", "type": "three_compartment", "tap_water": true, "stage": "building"},
		Photos:   []string{"p1", "p2"},
		Flags:    cunjie.Flags{LowAccuracy: true, PhotosPending: []string{"p2"}},
		Version:  2, CreatedBy: "insp", CreatedAt: time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC),
	}
}

func TestExportPropsNest(t *testing.T) {
	cols := exportColumns([]cunjie.Kind{cunjie.KindHouseholdToilet}, false)
	ps := exportProps(cols, exportRow{f: testFeature(), villageName: "社上村"}, true)
	byKey := map[string]any{}
	var order []string
	for _, p := range ps {
		byKey[p.Key] = p.Value
		order = append(order, p.Key)
	}
	if byKey["status"] != "building" || byKey["kind"] != cunjie.KindHouseholdToilet || byKey["villageName"] != "社上村" {
		t.Errorf("top-level properties: %v", byKey)
	}
	attrs, ok := byKey["attrs"].([]geo.Prop)
	if !ok {
		t.Fatalf("attrs not nested: %v", byKey["attrs"])
	}
	want := []geo.Prop{{Key: "type", Value: "three_compartment"}, {Key: "tap_water", Value: true}, {Key: "subsidy_yuan"}, {Key: "completed_on"}, {Key: "household"}, {Key: "name"}, {Key: "note"}}
	if diff := cmp.Diff(want, attrs); diff != "" {
		t.Errorf("attrs (-want +got):\n%s", diff)
	}
	flags := byKey["flags"].([]geo.Prop)
	if len(flags) != 4 || flags[0].Value != true || flags[3].Value != 1 {
		t.Errorf("flags: %v", flags)
	}
	// The groups stand where their first column stood.
	if i, j := slices.Index(order, "accuracy"), slices.Index(order, "attrs"); j != i+1 {
		t.Errorf("order: %v", order)
	}

	// Flat, as KML lists them: text with Chinese labels.
	flat := exportProps(cols, exportRow{f: testFeature(), villageName: "社上村"}, false)
	if len(flat) != len(cols) || flat[0] != (geo.Prop{Key: "id", Label: "编号", Value: "hh-1"}) {
		t.Errorf("flat: %v", flat[:1])
	}
	for _, p := range flat {
		if p.Value == "胡建国" {
			t.Error("a non-admin's export carries the household head")
		}
	}
}

func TestExportPlacemarkName(t *testing.T) {
	f := testFeature()
	if got := placemarkName(f); got != "户厕改造 hh-1" {
		t.Errorf("unnamed: %q (never the household head)", got)
	}
	f.Attrs = map[string]any{"name": "社上"}
	if got := placemarkName(f); got != "社上" {
		t.Errorf("named: %q", got)
	}
}

// TestExportIncompleteShows: a store failure met while streaming cannot
// change the status any more, so each format must make the cut-off file
// look broken rather than complete.
func TestExportIncompleteShows(t *testing.T) {
	errStore := errors.New("store down")
	j := &exportJob{
		villages: []geo.VillageShape{{Code: "360803101201", Name: "社上村"}, {Code: "360803101202", Name: "温家村"}},
		kinds:    cunjie.Kinds(),
		now:      time.Now(),
		features: func(_ context.Context, code string, keep func(*cunjie.Feature) bool) ([]*cunjie.Feature, error) {
			if code == "360803101202" {
				return nil, errStore
			}
			return []*cunjie.Feature{testFeature()}, nil
		},
	}
	for _, tc := range []struct {
		format exportFormat
		broken func(b []byte) bool
	}{
		{exportCSVFormat, func(b []byte) bool {
			return bytes.Contains(b, []byte("hh-1")) && bytes.Contains(b, []byte("导出未完成"))
		}},
		{exportGeoJSONFormat, func(b []byte) bool { return bytes.Contains(b, []byte("hh-1")) && !json.Valid(b) }},
		{exportKMLFormat, func(b []byte) bool {
			return bytes.Contains(b, []byte("hh-1")) && xml.Unmarshal(b, new(struct{})) != nil
		}},
		{exportXLSXFormat, func(b []byte) bool { return len(b) == 0 }},
	} {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		err := tc.format.write(context.Background(), j, w)
		w.Flush()
		if !errors.Is(err, errStore) || !errors.Is(err, errExportSource) {
			t.Errorf("%s: error %v, want the store's", tc.format.ext, err)
		}
		if !tc.broken(buf.Bytes()) {
			t.Errorf("%s: a cut-off export looks complete:\n%s", tc.format.ext, buf.String())
		}
	}
}

// TestExportComplete is the same job without the failure: every format ends
// properly.
func TestExportComplete(t *testing.T) {
	j := &exportJob{
		villages: []geo.VillageShape{{Code: "360803101201", Name: "社上村"}},
		kinds:    []cunjie.Kind{cunjie.KindHouseholdToilet},
		now:      time.Now(),
		features: func(context.Context, string, func(*cunjie.Feature) bool) ([]*cunjie.Feature, error) {
			return []*cunjie.Feature{testFeature()}, nil
		},
	}
	for _, format := range []exportFormat{exportCSVFormat, exportGeoJSONFormat, exportKMLFormat, exportXLSXFormat} {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		if err := format.write(context.Background(), j, w); err != nil {
			t.Fatalf("%s: %v", format.ext, err)
		}
		w.Flush()
		b := buf.Bytes()
		ok := false
		switch format.ext {
		case "csv":
			ok = !bytes.Contains(b, []byte("导出未完成")) && strings.Count(string(b), "\r\n") == 2
		case "geojson":
			ok = json.Valid(b)
		case "kml":
			ok = xml.Unmarshal(b, new(struct{})) == nil
		case "xlsx":
			ok = bytes.HasPrefix(b, []byte("PK\x03\x04"))
		}
		if !ok {
			t.Errorf("%s: not a complete file:\n%q", format.ext, b)
		}
	}
}

// enumFeatures makes features of every kind that between them hold every
// value of every enum attribute, keyed by id.
func enumFeatures() map[string]*cunjie.Feature {
	out := map[string]*cunjie.Feature{}
	for _, k := range cunjie.Schema() {
		n := 0
		for _, a := range k.Attrs {
			n = max(n, len(a.Enum))
		}
		for i := range n {
			f := testFeature()
			f.ID, f.Kind, f.Attrs = fmt.Sprintf("%s-%d", k.Kind, i), k.Kind, map[string]any{}
			for _, a := range k.Attrs {
				if len(a.Enum) > 0 {
					f.Attrs[a.Name] = a.Enum[i%len(a.Enum)]
				}
			}
			out[f.ID] = f
		}
	}
	return out
}

// enumCheck checks the cells of enum columns against the features: each
// shows the Chinese word of the feature's value, never the value itself.
// It remembers which values it saw, to check all were exported.
type enumCheck struct {
	t    *testing.T
	fs   map[string]*cunjie.Feature
	seen map[string]bool // "<attr>.<value>"
}

// cell checks the cell of column key ("status" or an attribute) in the
// row of feature id; columns of other attributes are let be.
func (c *enumCheck) cell(format, id, key, got string) {
	f := c.fs[id]
	if f == nil {
		c.t.Errorf("%s: a row of unknown feature %q", format, id)
		return
	}
	attr := key
	if key == "status" {
		attr = cunjie.StatusAttr(f.Kind)
	}
	i := slices.IndexFunc(cunjie.AttrSpecs(f.Kind), func(s cunjie.AttrSpec) bool { return s.Name == attr })
	if i < 0 || cunjie.AttrSpecs(f.Kind)[i].Type != cunjie.AttrEnum {
		return
	}
	value := f.Attrs[attr].(string)
	c.seen[attr+"."+value] = true
	if want := cunjie.ValueLabel(attr, value); got != want || got == value {
		c.t.Errorf("%s: %s's %s is %q, want %q", format, id, key, got, want)
	}
}

// all checks that every value of every enum attribute was seen.
func (c *enumCheck) all(format string) {
	for _, k := range cunjie.Schema() {
		for _, a := range k.Attrs {
			for _, v := range a.Enum {
				if !c.seen[a.Name+"."+v] {
					c.t.Errorf("%s: no cell of %s %s.%s was checked", format, k.Kind, a.Name, v)
				}
			}
		}
	}
	clear(c.seen)
}

// TestExportEnumsInChinese: CSV, XLSX and KML write every value of every
// enum attribute (status, stage, type, category, ...) as its Chinese word
// from the domain table; GeoJSON keeps the machine value.
func TestExportEnumsInChinese(t *testing.T) {
	fs := enumFeatures()
	j := &exportJob{
		villages: []geo.VillageShape{{Code: "360803101201", Name: "社上村"}},
		kinds:    cunjie.Kinds(),
		personal: true,
		now:      time.Now(),
		features: func(context.Context, string, func(*cunjie.Feature) bool) ([]*cunjie.Feature, error) {
			return slices.Collect(maps.Values(fs)), nil
		},
	}
	write := func(format exportFormat) []byte {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		if err := format.write(context.Background(), j, w); err != nil {
			t.Fatalf("%s: %v", format.ext, err)
		}
		w.Flush()
		return buf.Bytes()
	}
	check := &enumCheck{t: t, fs: fs, seen: map[string]bool{}}
	keyOf := map[string]string{} // header → column key
	for _, c := range exportColumns(cunjie.Kinds(), true) {
		keyOf[c.label] = c.key
	}

	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(write(exportCSVFormat), []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs[1:] {
		for i, h := range recs[0] {
			check.cell("csv", rec[0], keyOf[h], rec[i])
		}
	}
	check.all("csv")

	x, err := excelize.OpenReader(bytes.NewReader(write(exportXLSXFormat)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, sheet := range x.GetSheetList() {
		rows, err := x.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows[1:] {
			for i, h := range rows[0] {
				if i < len(row) {
					check.cell("xlsx", row[0], keyOf[h], row[i])
				}
			}
		}
	}
	check.all("xlsx")

	dec := xml.NewDecoder(bytes.NewReader(write(exportKMLFormat)))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Placemark" {
			var pm struct {
				Data []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value"`
				} `xml:"ExtendedData>Data"`
			}
			if err := dec.DecodeElement(&pm, &se); err != nil {
				t.Fatal(err)
			}
			if len(pm.Data) == 0 || pm.Data[0].Name != "id" {
				continue // a village's boundary
			}
			for _, d := range pm.Data {
				check.cell("kml", pm.Data[0].Value, d.Name, d.Value)
			}
		}
	}
	check.all("kml")

	var fc struct {
		Features []struct {
			ID         string
			Properties struct {
				Status string
				Attrs  map[string]any
			}
		}
	}
	if err := json.Unmarshal(write(exportGeoJSONFormat), &fc); err != nil {
		t.Fatal(err)
	}
	for _, g := range fc.Features {
		f := fs[g.ID]
		if g.Properties.Status != f.Attrs[cunjie.StatusAttr(f.Kind)] {
			t.Errorf("geojson: %s's status %q, want the machine value %q", g.ID, g.Properties.Status, f.Attrs[cunjie.StatusAttr(f.Kind)])
		}
		for name, v := range g.Properties.Attrs {
			if want, ok := f.Attrs[name]; ok && v != want {
				t.Errorf("geojson: %s's %s %v, want the machine value %v", g.ID, name, v, want)
			}
		}
	}
}
