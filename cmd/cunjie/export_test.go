package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// exportTown is a town with four features: in the cleaner's village a bin
// and a household toilet with its household head, in another village a
// demolition with its owner and a second bin.
type exportTown struct {
	*town
	bin1, toilet, demolition, bin2 string
}

func newExportTown(t *testing.T) *exportTown {
	t.Helper()
	tw := &exportTown{town: newTown(t),
		bin1: newID("bin"), toilet: newID("hh"), demolition: newID("dm"), bin2: newID("bin")}
	put := func(c *client, id, village string, body map[string]any) {
		body["opId"] = newID("op")
		body["location"] = tw.pointIn(t, village)
		c.must(201, "PUT", "/api/v1/features/"+id, body)
	}
	put(tw.clean, tw.bin1, tw.v1, map[string]any{"kind": "bin", "attrs": map[string]any{"capacity_l": 240, "note": `=HYPERLINK("x") <b>&</b>`}})
	put(tw.insp, tw.toilet, tw.v1, map[string]any{"kind": "household_toilet",
		"attrs": map[string]any{"household_head": "胡建国", "type": "three_compartment", "tap_water": true, "subsidy_yuan": 1000}})
	put(tw.insp, tw.demolition, tw.v2, map[string]any{"kind": "demolition", "attrs": map[string]any{"owner": "伍德华", "structure": "adobe", "area_m2": 86.5}})
	put(tw.insp, tw.bin2, tw.v2, map[string]any{"kind": "bin", "attrs": map[string]any{"name": "温家路口"}})
	return tw
}

// readCSV checks the byte-order mark and returns the header and the rows,
// each row keyed by header.
func readCSV(t *testing.T, r *response) ([]string, []map[string]string) {
	t.Helper()
	if !bytes.HasPrefix(r.Body, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("CSV does not start with a UTF-8 byte-order mark: %q", r.Body[:min(len(r.Body), 20)])
	}
	recs, err := csv.NewReader(bytes.NewReader(r.Body[3:])).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, r.Body)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
	return recs[0], rows
}

func byID(rows []map[string]string) map[string]map[string]string {
	m := map[string]map[string]string{}
	for _, r := range rows {
		m[r["编号"]] = r
	}
	return m
}

func TestExportCSV(t *testing.T) {
	tw := newExportTown(t)

	r := tw.admin.must(200, "GET", "/api/v1/export/features.csv", nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	cd := r.Header.Get("Content-Disposition")
	if !regexp.MustCompile(`^attachment; filename="features-all-\d{4}-\d{2}-\d{2}\.csv"$`).MatchString(cd) {
		t.Errorf("Content-Disposition %q", cd)
	}
	// Streamed: sent in chunks as written, so its length is not known ahead.
	if cl := r.Header.Get("Content-Length"); cl != "" {
		t.Errorf("Content-Length %s: the export was buffered, not streamed", cl)
	}
	header, rows := readCSV(t, r)
	for _, h := range []string{"编号", "村代码", "村名", "类型", "状态", "经度", "纬度", "精度（米）", "户主", "房主", "容量（升）", "面积（平方米）", "厕所类型", "备注", "创建人", "修改时间"} {
		if !slices.Contains(header, h) {
			t.Errorf("admin's CSV lacks the column %s: %v", h, header)
		}
	}
	got := byID(rows)
	if len(rows) != 4 || len(got) != 4 {
		t.Fatalf("admin's CSV has %d rows, want 4: %v", len(rows), rows)
	}
	hh := got[tw.toilet]
	if hh["户主"] != "胡建国" || hh["类型"] != "户厕改造" || hh["状态"] != "计划" || hh["厕所类型"] != "三格式化粪池" || hh["村代码"] != tw.v1 ||
		hh["村名"] != "社上村" || hh["改水（通自来水）"] != "是" || hh["补助（元）"] != "1000" || hh["创建人"] != "insp" {
		t.Errorf("household toilet row: %v", hh)
	}
	if got[tw.demolition]["房主"] != "伍德华" || got[tw.demolition]["面积（平方米）"] != "86.5" || got[tw.demolition]["状态"] != "摸底" || got[tw.demolition]["结构"] != "土坯" {
		t.Errorf("demolition row: %v", got[tw.demolition])
	}
	bin := got[tw.bin1]
	if bin["容量（升）"] != "240" || bin["精度（米）"] != "5" || bin["户主"] != "" || bin["创建人"] != "clean" || bin["状态"] != "正常" {
		t.Errorf("bin row: %v", bin)
	}
	// A note that Excel would run as a formula arrives as text.
	if bin["备注"] != `'=HYPERLINK("x") <b>&</b>` {
		t.Errorf("note %q", bin["备注"])
	}

	// The cleaner gets their village only, and no one's name.
	r = tw.clean.must(200, "GET", "/api/v1/export/features.csv", nil)
	header, rows = readCSV(t, r)
	if slices.Contains(header, "户主") || slices.Contains(header, "房主") || bytes.Contains(r.Body, []byte("胡建国")) {
		t.Errorf("cleaner's CSV carries personal data: %v", header)
	}
	if got := byID(rows); len(rows) != 2 || got[tw.bin1] == nil || got[tw.toilet] == nil {
		t.Errorf("cleaner's CSV: %v", rows)
	}

	// One village and one kind: its own columns.
	r = tw.insp.must(200, "GET", "/api/v1/export/features.csv?village="+tw.v2+"&kind=bin", nil)
	header, rows = readCSV(t, r)
	if len(rows) != 1 || rows[0]["编号"] != tw.bin2 || rows[0]["名称"] != "温家路口" || slices.Contains(header, "厕所类型") {
		t.Errorf("v2 bins: %v %v", header, rows)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="features-`+tw.v2+"-") {
		t.Errorf("Content-Disposition %q", cd)
	}
}

func TestExportRefuses(t *testing.T) {
	tw := newTown(t)
	for _, ext := range []string{"csv", "xlsx", "kml", "geojson"} {
		path := "/api/v1/export/features." + ext
		if r := tw.admin.do("GET", path+"?kind=rocket", nil); r.Status != 400 || r.ErrFields()["kind"] == "" {
			t.Errorf("%s bad kind: %d %s", ext, r.Status, r.Body)
		}
		if r := tw.clean.do("GET", path+"?village="+tw.v2, nil); r.Status != 404 || r.ErrCode() != "not_found" {
			t.Errorf("%s another village for a cleaner: %d %s", ext, r.Status, r.Body)
		}
		if r := tw.admin.do("GET", path+"?village=999999999999", nil); r.Status != 404 {
			t.Errorf("%s unknown village: %d", ext, r.Status)
		}
		if r := newClient(t, tw.m).do("GET", path, nil); r.Status != 401 {
			t.Errorf("%s without a token: %d", ext, r.Status)
		}
	}
}

func TestExportXLSX(t *testing.T) {
	tw := newExportTown(t)
	r := tw.admin.must(200, "GET", "/api/v1/export/features.xlsx", nil)
	if !strings.Contains(r.Header.Get("Content-Disposition"), ".xlsx\"") {
		t.Errorf("Content-Disposition %q", r.Header.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer f.Close()
	wantSheets := []string{"垃圾桶", "垃圾池", "垃圾收集点", "垃圾压缩中转站", "公厕", "户厕改造", "危旧房拆除", "农村安居工程", "农户"}
	if got := f.GetSheetList(); !slices.Equal(got, wantSheets) {
		t.Fatalf("sheets %v, want %v", got, wantSheets)
	}
	rowCount := map[string]int{"垃圾桶": 2, "户厕改造": 1, "危旧房拆除": 1, "公厕": 0}
	for sheet, n := range rowCount {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != n+1 || rows[0][0] != "编号" {
			t.Errorf("sheet %s: %d rows, want a header and %d: %v", sheet, len(rows), n, rows)
		}
	}
	rows, _ := f.GetRows("户厕改造")
	col := func(label string) int { return slices.Index(rows[0], label) }
	if c := col("户主"); c < 0 || rows[1][c] != "胡建国" {
		t.Errorf("household toilet sheet: %v", rows)
	}
	if c := col("厕所类型"); c < 0 || rows[1][c] != "三格式化粪池" {
		t.Errorf("toilet type: %v", rows)
	}
	if c := col("状态"); c < 0 || rows[1][c] != "计划" {
		t.Errorf("stage: %v", rows)
	}
	if c := col("创建时间"); c < 0 || !regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`).MatchString(rows[1][c]) {
		t.Errorf("created at: %v", rows)
	}
	// Numbers are numbers, for the office's sums: a number cell carries no
	// type (excelize reports it unset), text is an inline string.
	cell, _ := excelize.CoordinatesToCellName(col("补助（元）")+1, 2)
	if typ, err := f.GetCellType("户厕改造", cell); err != nil || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
		t.Errorf("subsidy cell %s is of type %v (%v), want a number", cell, typ, err)
	}
	head, _ := excelize.CoordinatesToCellName(col("户主")+1, 2)
	if typ, _ := f.GetCellType("户厕改造", head); typ != excelize.CellTypeInlineString {
		t.Errorf("household head cell %s is of type %v, want text", head, typ)
	}
	if v, _ := f.GetCellValue("户厕改造", cell); v != "1000" {
		t.Errorf("subsidy %q", v)
	}

	// The cleaner's workbook: one kind asked, one sheet, no names.
	r = tw.clean.must(200, "GET", "/api/v1/export/features.xlsx?kind=household_toilet", nil)
	f2, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	if got := f2.GetSheetList(); !slices.Equal(got, []string{"户厕改造"}) {
		t.Fatalf("cleaner's sheets %v", got)
	}
	rows, _ = f2.GetRows("户厕改造")
	if len(rows) != 2 || slices.Contains(rows[0], "户主") || slices.Contains(rows[1], "胡建国") {
		t.Errorf("cleaner's household toilets: %v", rows)
	}
}

// kmlFolder is what the test reads of a KML folder.
type kmlFolder struct {
	Name       string      `xml:"name"`
	Folders    []kmlFolder `xml:"Folder"`
	Placemarks []struct {
		Name    string `xml:"name"`
		Polygon []struct {
			Outer string `xml:"outerBoundaryIs>LinearRing>coordinates"`
		} `xml:"Polygon"`
		Point string `xml:"Point>coordinates"`
		Data  []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value"`
		} `xml:"ExtendedData>Data"`
	} `xml:"Placemark"`
}

func readKML(t *testing.T, r *response) []kmlFolder {
	t.Helper()
	var doc struct {
		XMLName xml.Name
		Folders []kmlFolder `xml:"Document>Folder"`
	}
	if err := xml.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("KML does not parse: %v\n%s", err, r.Body)
	}
	if doc.XMLName.Local != "kml" || doc.XMLName.Space != "http://www.opengis.net/kml/2.2" {
		t.Errorf("root element %v", doc.XMLName)
	}
	return doc.Folders
}

func TestExportKML(t *testing.T) {
	tw := newExportTown(t)
	r := tw.admin.must(200, "GET", "/api/v1/export/features.kml", nil)
	if ct := r.Header.Get("Content-Type"); ct != "application/vnd.google-earth.kml+xml" {
		t.Errorf("Content-Type %q", ct)
	}
	folders := readKML(t, r)
	if len(folders) != len(demoVillages) {
		t.Fatalf("%d village folders, want %d", len(folders), len(demoVillages))
	}
	v1 := folders[0]
	if !strings.Contains(v1.Name, "社上村") || len(v1.Placemarks) != 1 || len(v1.Placemarks[0].Polygon) != 1 {
		t.Fatalf("first village folder: %+v", v1)
	}
	var kinds []string
	for _, f := range v1.Folders {
		kinds = append(kinds, f.Name)
	}
	if !slices.Equal(kinds, []string{"垃圾桶", "户厕改造"}) {
		t.Fatalf("kind folders %v", kinds)
	}
	toilet := v1.Folders[1].Placemarks[0]
	data := map[string]string{}
	for _, d := range toilet.Data {
		data[d.Name] = d.Value
	}
	if toilet.Name != "户厕改造 "+tw.toilet || toilet.Point == "" || data["id"] != tw.toilet || data["household_head"] != "胡建国" || data["tap_water"] != "是" ||
		data["status"] != "计划" || data["type"] != "三格式化粪池" {
		t.Errorf("toilet placemark: %+v", toilet)
	}
	if bin := folders[1].Folders[0].Placemarks; len(bin) != 1 || bin[0].Name != "温家路口" {
		t.Errorf("second village's bin: %+v", folders[1].Folders)
	}

	r = tw.clean.must(200, "GET", "/api/v1/export/features.kml", nil)
	folders = readKML(t, r)
	if len(folders) != 1 || !strings.Contains(folders[0].Name, tw.v1) || bytes.Contains(r.Body, []byte("胡建国")) {
		t.Errorf("cleaner's KML: %d folders, first %q", len(folders), folders[0].Name)
	}
}

func TestExportGeoJSON(t *testing.T) {
	tw := newExportTown(t)
	type collection struct {
		Type     string
		Features []struct {
			ID       string
			Geometry struct {
				Type        string
				Coordinates []float64
			}
			Properties map[string]any
		}
	}
	read := func(r *response) collection {
		var fc collection
		if err := json.Unmarshal(r.Body, &fc); err != nil {
			t.Fatalf("GeoJSON does not decode: %v\n%s", err, r.Body)
		}
		return fc
	}
	r := tw.admin.must(200, "GET", "/api/v1/export/features.geojson", nil)
	if ct := r.Header.Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("Content-Type %q", ct)
	}
	fc := read(r)
	if fc.Type != "FeatureCollection" || len(fc.Features) != 4 {
		t.Fatalf("%s with %d features", fc.Type, len(fc.Features))
	}
	for _, f := range fc.Features {
		if f.ID != tw.toilet {
			continue
		}
		p := f.Properties
		attrs, _ := p["attrs"].(map[string]any)
		flags, _ := p["flags"].(map[string]any)
		// GeoJSON is for GIS tools: machine values, not the Chinese words.
		if p["kind"] != "household_toilet" || p["village"] != tw.v1 || p["status"] != "planned" || attrs["type"] != "three_compartment" || p["version"] != 1.0 ||
			attrs["household_head"] != "胡建国" || attrs["tap_water"] != true || flags == nil || f.Geometry.Type != "Point" || len(f.Geometry.Coordinates) != 2 {
			t.Errorf("toilet feature: %+v", f)
		}
	}

	fc = read(tw.clean.must(200, "GET", "/api/v1/export/features.geojson", nil))
	if len(fc.Features) != 2 {
		t.Errorf("cleaner's GeoJSON has %d features, want 2", len(fc.Features))
	}
	for _, f := range fc.Features {
		attrs, _ := f.Properties["attrs"].(map[string]any)
		if _, ok := attrs["household_head"]; ok || f.Properties["village"] != tw.v1 {
			t.Errorf("cleaner's feature: %+v", f.Properties)
		}
	}
	// A village with nothing of the kind is an empty, valid collection.
	if fc := read(tw.admin.must(200, "GET", "/api/v1/export/features.geojson?kind=transfer_station", nil)); fc.Type != "FeatureCollection" || len(fc.Features) != 0 {
		t.Errorf("empty export: %+v", fc)
	}
}
