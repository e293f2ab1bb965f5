package api

import (
	"archive/zip"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/store"
)

// Exports of features for the town office: GeoJSON for GIS, CSV and XLSX
// for spreadsheets, KML for Google Earth and 奥维互动地图. Each is streamed:
// the features of one village at a time are read from the index and written
// to the response, so a whole town's export never sits in memory.

// exportLabels are the Chinese headers of the columns every export has,
// keyed by the English name that GeoJSON and KML use. The attributes' headers
// and the words for kinds and values are the domain's (cunjie.AttrLabel,
// KindLabel, ValueLabel: labels.go), which the web app shows too.
var exportLabels = map[string]string{
	"id":          "编号",
	"village":     "村代码",
	"villageName": "村名",
	"kind":        "类型",
	"status":      "状态",
	"lon":         "经度",
	"lat":         "纬度",
	"accuracy":    "精度（米）",
	"town":        "乡镇",

	"lowAccuracy":       "定位精度低",
	"outsideVillage":    "在村界外",
	"possibleDuplicate": "疑似重复（编号）",
	"photosPending":     "待传照片数",
	"photos":            "照片数",
	"version":           "版本",
	"createdBy":         "创建人",
	"createdAt":         "创建时间",
	"updatedBy":         "修改人",
	"updatedAt":         "修改时间",
}

// exportZone is the zone times are shown in. The users all live in China
// Standard Time, which has had no daylight saving since 1991; a fixed zone
// needs no tzdata on the server.
var exportZone = time.FixedZone("CST", 8*60*60)

// exportTimeout bounds one export, which outlives its request's handler.
const exportTimeout = 10 * time.Minute

// exportRow is one feature with what its columns need besides it.
type exportRow struct {
	f           *cunjie.Feature
	villageName string
}

// exportColumn is one column of an export. Values keep their Go types
// (numbers, bool, time.Time, cunjie.Kind, exportEnum, nil for nothing):
// GeoJSON writes them as JSON, and exportTableValue turns them into what a
// spreadsheet shows.
type exportColumn struct {
	key   string // English name: the GeoJSON property, the KML Data name
	group string // "attrs" or "flags": GeoJSON nests the property in that object
	label string // the Chinese header
	value func(r exportRow) any
}

// exportCol is a column every export has, headed from exportLabels.
func exportCol(key, group string, value func(r exportRow) any) exportColumn {
	label, ok := exportLabels[key]
	if !ok {
		label = key // a new column without a header yet; a test catches it
	}
	return exportColumn{key: key, group: group, label: label, value: value}
}

// exportEnum is a value of an enum attribute (a status, stage, type, ...):
// CSV, XLSX and KML show the domain's Chinese word for it (正常, 验收,
// 三格式化粪池), GeoJSON the value itself (ok), which GIS tools match on.
type exportEnum struct{ attr, value string }

// enumValue wraps v, attr's stored value, as an exportEnum; nothing stays nil.
func enumValue(attr string, v any) any {
	if s, ok := v.(string); ok {
		return exportEnum{attr: attr, value: s}
	}
	return v
}

// exportColumns lists the columns of an export of kinds: the fixed ones,
// then the attributes of all the kinds, then flags and bookkeeping. An
// attribute several kinds have is one column. Attributes every kind has
// (name, note) come after the kinds' own, so that a union of kinds reads
// like each kind's own table. The status or stage attribute is the status
// column, not an attribute column. Personal attributes (people's names) are
// left out unless personal is set: only admins may take them away.
func exportColumns(kinds []cunjie.Kind, personal bool) []exportColumn {
	cols := []exportColumn{
		exportCol("id", "", func(r exportRow) any { return r.f.ID }),
		exportCol("village", "", func(r exportRow) any { return r.f.Village }),
		exportCol("villageName", "", func(r exportRow) any { return r.villageName }),
		exportCol("kind", "", func(r exportRow) any { return r.f.Kind }),
		exportCol("status", "", func(r exportRow) any {
			attr := cunjie.StatusAttr(r.f.Kind)
			return enumValue(attr, r.f.Attrs[attr])
		}),
		exportCol("lon", "", func(r exportRow) any { return r.f.Location.Lon }),
		exportCol("lat", "", func(r exportRow) any { return r.f.Location.Lat }),
		exportCol("accuracy", "", func(r exportRow) any { return zeroAsNil(r.f.Location.Accuracy) }),
	}
	var attrs []string
	seenIn := map[string]int{}  // attribute → how many of kinds have it
	isEnum := map[string]bool{} // an attribute is an enum in every kind that has it
	for _, k := range kinds {
		for _, spec := range cunjie.AttrSpecs(k) {
			if spec.Name == cunjie.StatusAttr(k) || (!personal && slices.Contains(cunjie.PersonalAttrs(), spec.Name)) {
				continue
			}
			if seenIn[spec.Name] == 0 {
				attrs = append(attrs, spec.Name)
			}
			seenIn[spec.Name]++
			isEnum[spec.Name] = spec.Type == cunjie.AttrEnum
		}
	}
	if len(kinds) > 1 {
		slices.SortStableFunc(attrs, func(a, b string) int {
			return boolInt(seenIn[a] == len(kinds)) - boolInt(seenIn[b] == len(kinds))
		})
	}
	for _, name := range attrs {
		value := func(r exportRow) any { return r.f.Attrs[name] }
		if isEnum[name] {
			value = func(r exportRow) any { return enumValue(name, r.f.Attrs[name]) }
		}
		cols = append(cols, exportColumn{key: name, group: "attrs", label: cunjie.AttrLabel(name), value: value})
	}
	return append(cols,
		exportCol("lowAccuracy", "flags", func(r exportRow) any { return r.f.Flags.LowAccuracy }),
		exportCol("outsideVillage", "flags", func(r exportRow) any { return r.f.Flags.OutsideVillage }),
		exportCol("possibleDuplicate", "flags", func(r exportRow) any { return emptyAsNil(r.f.Flags.PossibleDuplicate) }),
		exportCol("photosPending", "flags", func(r exportRow) any { return len(r.f.Flags.PhotosPending) }),
		exportCol("photos", "", func(r exportRow) any { return len(r.f.Photos) }),
		exportCol("version", "", func(r exportRow) any { return r.f.Version }),
		exportCol("createdBy", "", func(r exportRow) any { return r.f.CreatedBy }),
		exportCol("createdAt", "", func(r exportRow) any { return r.f.CreatedAt }),
		exportCol("updatedBy", "", func(r exportRow) any { return r.f.UpdatedBy }),
		exportCol("updatedAt", "", func(r exportRow) any { return r.f.UpdatedAt }),
	)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// zeroAsNil and emptyAsNil turn "not known" into an empty cell rather than 0 or "".
func zeroAsNil(v float64) any {
	if v == 0 {
		return nil
	}
	return v
}

func emptyAsNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// exportHeaders are the Chinese header row of cols.
func exportHeaders(cols []exportColumn) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.label
	}
	return out
}

// exportTableValue is what a spreadsheet cell shows of v: a kind or an enum
// value in Chinese, 是 or 否 for a bool, a time in China. Numbers stay numbers
// for XLSX; exportText makes text of them.
func exportTableValue(v any) any {
	switch v := v.(type) {
	case cunjie.Kind:
		return cunjie.KindLabel(v)
	case exportEnum:
		return cunjie.ValueLabel(v.attr, v.value)
	case bool:
		if v {
			return "是"
		}
		return "否"
	case time.Time:
		if v.IsZero() {
			return nil
		}
		return v.In(exportZone)
	}
	return v
}

// exportText is v as text, for CSV and KML.
func exportText(v any) string {
	switch v := exportTableValue(v).(type) {
	case nil:
		return ""
	case string:
		return v
	case time.Time:
		return v.Format(time.DateTime)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64) // 1000000, never 1e+06
	}
	return fmt.Sprint(v)
}

// exportJob is what a stream writer needs, copied out of the request: the
// handler's fiber.Ctx is recycled once the handler returns, while the
// writer runs on.
type exportJob struct {
	// features is the source of a village's features: s.villageFeatures.
	features  func(ctx context.Context, code string, keep func(*cunjie.Feature) bool) ([]*cunjie.Feature, error)
	now       time.Time          // when the export was asked for
	villages  []geo.VillageShape // in code order
	kinds     []cunjie.Kind      // exported: the one asked for, or all in their order
	personal  bool               // personal attributes included (admins only)
	requestID string
}

// errExportSource marks a failure to read features, as opposed to a failure
// to write them, which is mostly a person closing the download.
var errExportSource = errors.New("reading features")

// eachVillage calls fn with each village's features of the job's kinds,
// fetching one village at a time.
func (j *exportJob) eachVillage(ctx context.Context, fn func(v geo.VillageShape, fs []*cunjie.Feature) error) error {
	keep := func(f *cunjie.Feature) bool { return slices.Contains(j.kinds, f.Kind) }
	for _, v := range j.villages {
		fs, err := j.features(ctx, v.Code, keep)
		if err != nil {
			return fmt.Errorf("%w of village %s: %w", errExportSource, v.Code, err)
		}
		if err := fn(v, fs); err != nil {
			return err
		}
	}
	return nil
}

// exportFormat is one kind of export file.
type exportFormat struct {
	ext         string
	contentType string
	write       func(ctx context.Context, j *exportJob, w *bufio.Writer) error
}

var (
	exportGeoJSONFormat = exportFormat{"geojson", "application/geo+json", writeGeoJSON}
	exportCSVFormat     = exportFormat{"csv", "text/csv; charset=utf-8", writeCSV}
	exportKMLFormat     = exportFormat{"kml", "application/vnd.google-earth.kml+xml", writeKML}
	exportXLSXFormat    = exportFormat{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", writeXLSX}
)

func (s *Server) exportGeoJSON(c *fiber.Ctx) error { return s.export(c, exportGeoJSONFormat) }
func (s *Server) exportCSV(c *fiber.Ctx) error     { return s.export(c, exportCSVFormat) }
func (s *Server) exportKML(c *fiber.Ctx) error     { return s.export(c, exportKMLFormat) }
func (s *Server) exportXLSX(c *fiber.Ctx) error    { return s.export(c, exportXLSXFormat) }

// export checks the request, sends the headers and streams the file.
// Problems found before the first byte are ordinary error answers; one met
// while streaming (a store failure) can no longer change the status, so the
// writers leave the file visibly incomplete instead, and it is logged.
func (s *Server) export(c *fiber.Ctx, format exportFormat) error {
	u := currentUser(c)
	j := &exportJob{features: s.villageFeatures, now: s.now(), kinds: cunjie.Kinds(), personal: u.Role == cunjie.RoleAdmin, requestID: requestID(c)}
	if k := cunjie.Kind(c.Query("kind")); k != "" {
		if !cunjie.ValidKind(k) {
			return cunjie.Invalid("kind", "%q is not a kind", k)
		}
		j.kinds = []cunjie.Kind{k}
	}
	scope := "all"
	if code := c.Query("village"); code != "" {
		v, err := s.village(c, code)
		if err != nil {
			return err
		}
		j.villages = []geo.VillageShape{v}
		scope = code
	} else {
		for _, v := range s.villages.Load().All() {
			if u.CanReadVillage(v.Code) {
				j.villages = append(j.villages, v)
			}
		}
	}
	// Every export is on record: it may carry personal data.
	detail := c.OriginalURL()
	if j.personal {
		detail += " (with personal data)"
	}
	if err := s.store.AddAuditLog(c.UserContext(), store.AuditLog{At: j.now, User: u.Username, Role: string(u.Role),
		Action: "export", Detail: detail, IP: c.IP()}); err != nil {
		return err
	}
	// The village code is 12 digits (s.village found it), so the name is ASCII.
	name := fmt.Sprintf("features-%s-%s.%s", scope, j.now.In(exportZone).Format(time.DateOnly), format.ext)
	c.Set(fiber.HeaderContentType, format.contentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	// fasthttp runs the writer in a goroutine of its own, starting now.
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		defer func() {
			// A panic here would not reach the recoverer: it would end the server.
			if v := recover(); v != nil {
				s.log.Error("export panicked", "format", format.ext, "requestId", j.requestID, "panic", v)
			}
		}()
		switch err := format.write(ctx, j, w); {
		case errors.Is(err, errExportSource):
			s.log.Error("export incomplete", "format", format.ext, "requestId", j.requestID, "err", err)
		case err != nil:
			s.log.Warn("export not delivered", "format", format.ext, "requestId", j.requestID, "err", err)
		}
	})
	return nil
}

// exportProps are r's values for GeoJSON or KML: GeoJSON nests the attributes and
// flags (nest set), KML lists every column flat with its Chinese label.
func exportProps(cols []exportColumn, r exportRow, nest bool) []geo.Prop {
	out := make([]geo.Prop, 0, len(cols))
	groups := map[string]int{} // group → its index in out
	for _, c := range cols {
		if !nest {
			out = append(out, geo.Prop{Key: c.key, Label: c.label, Value: exportText(c.value(r))})
			continue
		}
		v := c.value(r)
		if e, ok := v.(exportEnum); ok {
			v = e.value // GeoJSON is for GIS tools: the machine value
		}
		p := geo.Prop{Key: c.key, Value: v}
		if c.group == "" {
			out = append(out, p)
			continue
		}
		i, ok := groups[c.group]
		if !ok {
			i = len(out)
			groups[c.group] = i
			out = append(out, geo.Prop{Key: c.group, Value: []geo.Prop{}})
		}
		out[i].Value = append(out[i].Value.([]geo.Prop), p)
	}
	return out
}

// exportKindColumns gives each kind its own columns, made once per export.
func exportKindColumns(j *exportJob) map[cunjie.Kind][]exportColumn {
	m := map[cunjie.Kind][]exportColumn{}
	for _, k := range j.kinds {
		m[k] = exportColumns([]cunjie.Kind{k}, j.personal)
	}
	return m
}

// writeGeoJSON writes a FeatureCollection; each feature has its kind's
// properties. Longitude and latitude are in the geometry only.
func writeGeoJSON(ctx context.Context, j *exportJob, w *bufio.Writer) error {
	cols := exportKindColumns(j)
	for k, cs := range cols {
		cols[k] = slices.DeleteFunc(cs, func(c exportColumn) bool { return c.key == "lon" || c.key == "lat" })
	}
	g := geo.NewGeoJSONWriter(w)
	err := j.eachVillage(ctx, func(v geo.VillageShape, fs []*cunjie.Feature) error {
		for _, f := range fs {
			r := exportRow{f: f, villageName: v.Name}
			if err := g.Feature(f.ID, orb.Point{f.Location.Lon, f.Location.Lat}, exportProps(cols[f.Kind], r, true)); err != nil {
				return err
			}
		}
		return w.Flush()
	})
	if err != nil {
		return err
	}
	return g.Close()
}

// writeCSV writes one table of the columns of all the job's kinds.
func writeCSV(ctx context.Context, j *exportJob, w *bufio.Writer) error {
	cols := exportColumns(j.kinds, j.personal)
	cw := geo.NewCSVWriter(w)
	if err := cw.Write(exportHeaders(cols)); err != nil {
		return err
	}
	record := make([]string, len(cols))
	err := j.eachVillage(ctx, func(v geo.VillageShape, fs []*cunjie.Feature) error {
		for _, f := range fs {
			r := exportRow{f: f, villageName: v.Name}
			for i, c := range cols {
				record[i] = exportText(c.value(r))
			}
			if err := cw.Write(record); err != nil {
				return err
			}
		}
		return cw.Flush()
	})
	if err != nil {
		// CSV has no end to leave out: say so in a last line, or a cut-off
		// file would pass for the whole town.
		cw.Write([]string{"导出未完成，请重新导出 (export incomplete, please retry)"})
		cw.Flush()
	}
	return err
}

// writeKML writes one Folder per village with its boundary and a sub-Folder
// per kind of its points.
func writeKML(ctx context.Context, j *exportJob, w *bufio.Writer) error {
	cols := exportKindColumns(j)
	k := geo.NewKMLWriter(w, "村洁要素导出 "+j.now.In(exportZone).Format(time.DateOnly))
	err := j.eachVillage(ctx, func(v geo.VillageShape, fs []*cunjie.Feature) error {
		k.StartFolder(v.Name + " " + v.Code)
		k.Boundary(v.Name, v.Shape, []geo.Prop{
			{Key: "code", Label: exportLabels["village"], Value: v.Code},
			{Key: "name", Label: exportLabels["villageName"], Value: v.Name},
			{Key: "town", Label: exportLabels["town"], Value: v.Town},
		})
		for _, kind := range j.kinds {
			started := false
			for _, f := range fs {
				if f.Kind != kind {
					continue
				}
				if !started {
					k.StartFolder(cunjie.KindLabel(kind))
					started = true
				}
				r := exportRow{f: f, villageName: v.Name}
				k.Point(placemarkName(f), orb.Point{f.Location.Lon, f.Location.Lat}, exportProps(cols[kind], r, false))
			}
			if started {
				k.EndFolder()
			}
		}
		k.EndFolder()
		return w.Flush()
	})
	if err != nil {
		return err // the document stays unterminated: KML readers refuse it
	}
	return k.Close()
}

// placemarkName is the feature's name if it has one (a hamlet's bin, 社上
// collection point), else its kind and id. Never a person's name: the map
// labels are seen by whoever opens the file.
func placemarkName(f *cunjie.Feature) string {
	if name, _ := f.Attrs["name"].(string); name != "" {
		return name
	}
	return cunjie.KindLabel(f.Kind) + " " + f.ID
}

// writeXLSX writes one sheet per kind with excelize's StreamWriter, which
// keeps up to 16 MB of each sheet in memory and spills the rest to a
// temporary file. A zip cannot be sent before its parts are complete, so
// the file goes out at the end.
func writeXLSX(ctx context.Context, j *exportJob, w *bufio.Writer) error {
	f, bold, err := newWorkbook()
	if err != nil {
		return err
	}
	defer f.Close()
	dateTime, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateTimeFormat})
	if err != nil {
		return err
	}
	type sheet struct {
		sw   *excelize.StreamWriter
		cols []exportColumn
		row  int
	}
	sheets := map[cunjie.Kind]*sheet{}
	for i, k := range j.kinds {
		name := cunjie.KindLabel(k)
		if i == 0 {
			err = f.SetSheetName(f.GetSheetName(0), name)
		} else {
			_, err = f.NewSheet(name)
		}
		if err != nil {
			return err
		}
		sh := &sheet{cols: exportColumns([]cunjie.Kind{k}, j.personal), row: 1}
		if sh.sw, err = f.NewStreamWriter(name); err != nil {
			return err
		}
		if err := sh.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		header := make([]any, len(sh.cols))
		for i, c := range sh.cols {
			header[i] = excelize.Cell{StyleID: bold, Value: c.label}
		}
		if err := sh.sw.SetRow("A1", header); err != nil {
			return err
		}
		sheets[k] = sh
	}
	err = j.eachVillage(ctx, func(v geo.VillageShape, fs []*cunjie.Feature) error {
		for _, feat := range fs {
			sh := sheets[feat.Kind]
			r := exportRow{f: feat, villageName: v.Name}
			values := make([]any, len(sh.cols))
			for i, c := range sh.cols {
				values[i] = exportTableValue(c.value(r))
				if t, ok := values[i].(time.Time); ok {
					values[i] = excelize.Cell{StyleID: dateTime, Value: t}
				}
			}
			sh.row++
			cell, _ := excelize.CoordinatesToCellName(1, sh.row)
			if err := sh.sw.SetRow(cell, values); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err // nothing is written: an empty body is no spreadsheet
	}
	for _, k := range j.kinds {
		if err := sheets[k].sw.Flush(); err != nil {
			return err
		}
	}
	// excelize's WriteTo builds the whole zip in a bytes.Buffer and then
	// copies it. Given a zip writer on the response instead, it compresses
	// each part straight to the client, and the buffer stays empty.
	zw := zip.NewWriter(w)
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zw })
	if _, err := f.WriteTo(io.Discard); err != nil {
		return err
	}
	return w.Flush()
}

// dateTimeFormat shows times as 2026-11-20 08:30:00, as Chinese offices write them.
var dateTimeFormat = "yyyy-mm-dd hh:mm:ss"

// newWorkbook starts an XLSX file with the bold style its header rows use.
func newWorkbook() (*excelize.File, int, error) {
	f := excelize.NewFile()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, bold, nil
}
