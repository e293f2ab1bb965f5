package api

import (
	"bytes"
	"context"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/figures"
	"github.com/cunjie/cunjie/geo"
)

// Reports for the town office: the month's assessment as a workbook and a
// CSV, and the figures of the town's annual report (the seed report's
// sections 四 and 六), computed from the recorded features.

const xlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// problemStatusLabels name the rectification states as the town writes them.
var problemStatusLabels = map[cunjie.ProblemStatus]string{
	cunjie.ProblemOpen:      "待整改",
	cunjie.ProblemRectified: "已整改待验收",
	cunjie.ProblemVerified:  "已验收",
}

// rankingHeader is the ranking's columns, in the workbook and the CSV.
var rankingHeader = []string{"排名", "村代码", "村名", "得分", "上月得分", "较上月", "检查次数", "待整改问题", "逾期问题", "待验收问题"}

func rankingRecord(r cunjie.VillageScore) []any {
	num := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	var rank any
	if r.Rank > 0 {
		rank = r.Rank
	}
	return []any{rank, r.Village, r.Name, num(r.Score), num(r.PreviousScore), num(r.Change), r.Inspections,
		r.OpenProblems, r.OverdueProblems, r.RectifiedProblems}
}

func attachment(c *fiber.Ctx, contentType, name string) {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
}

func (s *Server) exportAssessmentCSV(c *fiber.Ctx) error {
	month, err := monthQuery(c.Params("month"), "month", "")
	if err != nil {
		return err
	}
	r, err := s.ranking(c.UserContext(), currentUser(c), month)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := geo.NewCSVWriter(&buf) // writes the BOM Excel needs to read UTF-8
	if err := w.Write(rankingHeader); err != nil {
		return err
	}
	for _, row := range r.Villages {
		rec := rankingRecord(row)
		fields := make([]string, len(rec))
		for i, v := range rec {
			if v != nil {
				fields[i] = exportText(v)
			}
		}
		if err := w.Write(fields); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	attachment(c, "text/csv; charset=utf-8", "assessment-"+month+".csv")
	return c.Send(buf.Bytes())
}

// xlsxSheetName makes a village's name a sheet name Excel accepts (at most
// 31 characters, none of []:*?/\) and that no other sheet has.
func xlsxSheetName(name, code string, taken map[string]bool) string {
	clean := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, name)
	if clean == "" {
		clean = code
	}
	if r := []rune(clean); len(r) > 31 {
		clean = string(r[:31])
	}
	if taken[clean] {
		// Two villages of one name (in two towns): the code tells them apart.
		r := []rune(clean)
		clean = string(r[:min(len(r), 18)]) + " " + code
	}
	taken[clean] = true
	return clean
}

// setRow writes values from column A of row.
func setRow(f *excelize.File, sheet string, row int, values []any) error {
	cell, _ := excelize.CoordinatesToCellName(1, row)
	return f.SetSheetRow(sheet, cell, &values)
}

func (s *Server) exportAssessmentXLSX(c *fiber.Ctx) error {
	ctx := c.UserContext()
	month, err := monthQuery(c.Params("month"), "month", "")
	if err != nil {
		return err
	}
	r, err := s.ranking(ctx, currentUser(c), month)
	if err != nil {
		return err
	}
	f, bold, err := newWorkbook()
	if err != nil {
		return err
	}
	defer f.Close()
	const rankSheet, problemSheet = "排名", "问题"
	if err := f.SetSheetName(f.GetSheetName(0), rankSheet); err != nil {
		return err
	}
	header := func(sheet string, cols []string) error {
		vals := make([]any, len(cols))
		for i, h := range cols {
			vals[i] = h
		}
		if err := setRow(f, sheet, 1, vals); err != nil {
			return err
		}
		last, _ := excelize.CoordinatesToCellName(len(cols), 1)
		return f.SetCellStyle(sheet, "A1", last, bold)
	}
	if err := header(rankSheet, rankingHeader); err != nil {
		return err
	}
	for i, row := range r.Villages {
		if err := setRow(f, rankSheet, i+2, rankingRecord(row)); err != nil {
			return err
		}
	}
	taken := map[string]bool{rankSheet: true, problemSheet: true}
	byCode := map[string]cunjie.VillageScore{}
	for _, row := range r.Villages {
		byCode[row.Village] = row
	}
	// One sheet per village, in code order, whether inspected or not.
	for _, v := range s.villages.Load().All() {
		if _, ok := byCode[v.Code]; !ok {
			continue // not the caller's
		}
		sheet := xlsxSheetName(v.Name, v.Code, taken)
		if _, err := f.NewSheet(sheet); err != nil {
			return err
		}
		if err := s.writeVillageScores(ctx, f, sheet, v.Code, month, bold); err != nil {
			return err
		}
	}
	if _, err := f.NewSheet(problemSheet); err != nil {
		return err
	}
	if err := s.writeProblemsSheet(ctx, c.BaseURL(), f, problemSheet, r.Villages, month, header); err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return err
	}
	attachment(c, xlsxContentType, "assessment-"+month+".xlsx")
	return c.Send(buf.Bytes())
}

// writeVillageScores writes a village's item scores: a row per checklist
// item, a column per inspection, then the mean; the totals last.
func (s *Server) writeVillageScores(ctx context.Context, f *excelize.File, sheet, village, month string, bold int) error {
	vm, err := s.store.VillageMonth(ctx, village, month)
	if err != nil {
		return err
	}
	if len(vm.Inspections) == 0 {
		return setRow(f, sheet, 1, []any{"本月无检查记录"})
	}
	ins := slices.Clone(vm.Inspections)
	slices.SortFunc(ins, func(a, b *cunjie.Inspection) int { return a.At.Compare(b.At) })
	// The items of every template version used, in the order they first appear.
	var items []cunjie.TemplateItem
	for _, in := range ins {
		t, err := s.store.Template(ctx, in.Template, in.TemplateVersion)
		if err != nil {
			return err
		}
		for _, it := range t.Items {
			if !slices.ContainsFunc(items, func(x cunjie.TemplateItem) bool { return x.ID == it.ID }) {
				items = append(items, it)
			}
		}
	}
	head := []any{"项目编号", "检查内容", "满分"}
	for _, in := range ins {
		head = append(head, cunjie.Day(in.At)+" "+in.CreatedBy)
	}
	head = append(head, "平均", "备注")
	if err := setRow(f, sheet, 1, head); err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(head), 1)
	if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
		return err
	}
	for i, it := range items {
		row := []any{it.ID, it.Description, it.MaxPoints}
		var points []float64
		var notes []string
		for _, in := range ins {
			j := slices.IndexFunc(in.Scores, func(sc cunjie.Score) bool { return sc.Item == it.ID })
			if j < 0 {
				row = append(row, nil) // not on this inspection's checklist version
				continue
			}
			sc := in.Scores[j]
			row = append(row, sc.Points)
			points = append(points, sc.Points)
			if sc.Note != "" {
				notes = append(notes, cunjie.Day(in.At)+"："+sc.Note)
			}
		}
		mean, ok := cunjie.MonthScore(points)
		if ok {
			row = append(row, mean)
		} else {
			row = append(row, nil)
		}
		row = append(row, strings.Join(notes, "；"))
		if err := setRow(f, sheet, i+2, row); err != nil {
			return err
		}
	}
	total := []any{"", "合计", cunjie.TemplateTotal}
	var totals []float64
	for _, in := range ins {
		total = append(total, in.Total)
		totals = append(totals, in.Total)
	}
	score, _ := cunjie.MonthScore(totals)
	total = append(total, score)
	return setRow(f, sheet, len(items)+2, total)
}

// writeProblemsSheet lists the problems the month's inspections found, with
// links to their photos and to the photos of their latest rectification.
func (s *Server) writeProblemsSheet(ctx context.Context, baseURL string, f *excelize.File, sheet string, rows []cunjie.VillageScore,
	month string, header func(string, []string) error) error {
	today := s.today()
	var ps []*cunjie.Problem
	names := map[string]string{}
	for _, row := range rows {
		names[row.Village] = row.Name
		entries, err := s.store.VillageProblems(ctx, row.Village)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Month != month {
				continue
			}
			p, err := s.store.Problem(ctx, e.ID)
			if err != nil {
				return err
			}
			p.Overdue = p.IsOverdue(today)
			ps = append(ps, p)
		}
	}
	maxFound, maxFixed := 1, 1
	fixedPhotos := func(p *cunjie.Problem) []string {
		for i := len(p.History) - 1; i >= 0; i-- {
			if p.History[i].Action == "rectified" {
				return p.History[i].Photos
			}
		}
		return nil
	}
	for _, p := range ps {
		maxFound = max(maxFound, len(p.Photos))
		maxFixed = max(maxFixed, len(fixedPhotos(p)))
	}
	cols := []string{"问题编号", "村代码", "村名", "问题描述", "经度", "纬度", "整改期限", "状态", "是否逾期", "发现时间", "检查编号"}
	fixed := len(cols)
	for i := range maxFound {
		cols = append(cols, "问题照片"+strconv.Itoa(i+1))
	}
	for i := range maxFixed {
		cols = append(cols, "整改照片"+strconv.Itoa(i+1))
	}
	if err := header(sheet, cols); err != nil {
		return err
	}
	for i, p := range ps {
		row := i + 2
		overdue := "否"
		if p.Overdue {
			overdue = "是"
		}
		found := p.CreatedAt
		if len(p.History) > 0 {
			found = p.History[0].At
		}
		vals := []any{p.ID, p.Village, names[p.Village], p.Description, p.Location.Lon, p.Location.Lat, p.Deadline,
			problemStatusLabels[p.Status], overdue, found.In(cunjie.TownZone).Format(time.DateTime), p.Inspection}
		if err := setRow(f, sheet, row, vals); err != nil {
			return err
		}
		link := func(col int, photo string) error {
			cell, _ := excelize.CoordinatesToCellName(col, row)
			url := baseURL + "/api/v1/photos/" + photo
			if err := f.SetCellValue(sheet, cell, url); err != nil {
				return err
			}
			return f.SetCellHyperLink(sheet, cell, url, "External")
		}
		for j, ph := range p.Photos {
			if err := link(fixed+1+j, ph); err != nil {
				return err
			}
		}
		for j, ph := range fixedPhotos(p) {
			if err := link(fixed+maxFound+1+j, ph); err != nil {
				return err
			}
		}
	}
	return nil
}

// ---- The town's report figures

// VillageFigures are one village's figures.
type VillageFigures struct {
	Village string          `json:"village"`
	Name    string          `json:"name"`
	Figures figures.Summary `json:"figures"`
}

// Summary is the town's report over a range of days.
type Summary struct {
	From        string           `json:"from"`
	To          string           `json:"to"`
	Town        string           `json:"town"`
	Figures     figures.Summary  `json:"figures"`
	Villages    []VillageFigures `json:"villages"`
	Paragraph   string           `json:"paragraph"`
	CoverageM   float64          `json:"coverageRadius_m"`
	GeneratedAt time.Time        `json:"generatedAt"`
}

// maxSummaryYears bounds a report's range: each month of it is read for
// the assessment average.
const maxSummaryYears = 5

// summaryRange reads ?from=&to=, by default this year up to today.
func (s *Server) summaryRange(c *fiber.Ctx) (string, string, error) {
	now := s.now().In(cunjie.TownZone)
	from, to := c.Query("from", now.Format("2006")+"-01-01"), c.Query("to", now.Format(time.DateOnly))
	fe := cunjie.FieldErrors{}
	f, err := time.Parse(time.DateOnly, from)
	if err != nil || f.Year() < 2000 {
		fe.Add("from", "a date YYYY-MM-DD")
	}
	t, err2 := time.Parse(time.DateOnly, to)
	if err2 != nil || t.Year() < 2000 {
		fe.Add("to", "a date YYYY-MM-DD")
	}
	if err == nil && err2 == nil {
		if t.Before(f) {
			fe.Add("to", "must not be before from")
		} else if t.After(f.AddDate(maxSummaryYears, 0, 0)) {
			fe.Add("to", "at most %d years after from", maxSummaryYears)
		}
	}
	return f.Format(time.DateOnly), t.Format(time.DateOnly), fe.Err()
}

// summary computes the report over the villages u may read.
func (s *Server) summary(ctx context.Context, u *cunjie.User, from, to string) (*Summary, error) {
	out := &Summary{From: from, To: to, Villages: []VillageFigures{}, CoverageM: DefaultCoverageRadiusM, GeneratedAt: s.nowMs()}
	codes := s.readableVillages(u)
	users, err := s.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	cov, err := s.townCoverage(ctx, u, DefaultCoverageRadiusM)
	if err != nil {
		return nil, err
	}
	covered := map[string]*VillageCoverage{}
	for _, vc := range cov.Villages {
		covered[vc.Village] = vc
	}
	// The month scores of every month the dates touch.
	monthly := map[string][]float64{} // village → its month scores, oldest first
	inspections := map[string]int{}
	for m := from[:7]; m <= to[:7]; m = cunjie.AddMonths(m, 1) {
		scores, err := s.monthScores(ctx, m)
		if err != nil {
			return nil, err
		}
		for code, ms := range scores {
			monthly[code] = append(monthly[code], ms.score)
			inspections[code] += ms.inspections
		}
	}
	towns := map[string]bool{}
	var all []float64
	for _, code := range codes {
		v, _ := s.villages.Load().Get(code)
		towns[v.Town] = true
		fs, err := s.villageFeatures(ctx, code, nil)
		if err != nil {
			return nil, err
		}
		vf := VillageFigures{Village: code, Name: v.Name}
		vf.Figures.AddFeatures(fs, from, to)
		for _, cu := range users {
			if cu.Role == cunjie.RoleCleaner && !cu.Disabled && slices.Contains(cu.Villages, code) {
				vf.Figures.Cleaners++
			}
		}
		if vc := covered[code]; vc != nil {
			vf.Figures.Households, vf.Figures.HouseholdsCovered = vc.Households, vc.Covered
			vf.Figures.CoveragePercent = figures.Percent(vc.Covered, vc.Households)
		}
		vf.Figures.Inspections = inspections[code]
		if avg, ok := cunjie.MonthScore(monthly[code]); ok {
			vf.Figures.AssessmentAverage = &avg
		}
		all = append(all, monthly[code]...)
		out.Figures.Add(vf.Figures)
		out.Villages = append(out.Villages, vf)
	}
	// A cleaner of two villages is one person.
	for _, cu := range users {
		if cu.Role == cunjie.RoleCleaner && !cu.Disabled && slices.ContainsFunc(cu.Villages, func(c string) bool { return slices.Contains(codes, c) }) {
			out.Figures.Cleaners++
		}
	}
	out.Figures.CoveragePercent = figures.Percent(out.Figures.HouseholdsCovered, out.Figures.Households)
	if avg, ok := cunjie.MonthScore(all); ok {
		out.Figures.AssessmentAverage = &avg
	}
	out.Town = "全镇"
	if len(towns) == 1 {
		for t := range towns {
			if t != "" {
				out.Town = t
			}
		}
	}
	out.Paragraph = figures.Paragraph(out.From, out.To, out.Town, out.CoverageM, out.Figures)
	return out, nil
}

func (s *Server) getSummary(c *fiber.Ctx) error {
	from, to, err := s.summaryRange(c)
	if err != nil {
		return err
	}
	sum, err := s.summary(c.UserContext(), currentUser(c), from, to)
	if err != nil {
		return err
	}
	return c.JSON(sum)
}

func (s *Server) getSummaryXLSX(c *fiber.Ctx) error {
	from, to, err := s.summaryRange(c)
	if err != nil {
		return err
	}
	sum, err := s.summary(c.UserContext(), currentUser(c), from, to)
	if err != nil {
		return err
	}
	f, bold, err := newWorkbook()
	if err != nil {
		return err
	}
	defer f.Close()
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	const main, perVillage = "汇总", "分村"
	if err := f.SetSheetName(f.GetSheetName(0), main); err != nil {
		return err
	}
	rows := [][]any{
		{sum.Town + "农村人居环境整治数据汇总"},
		{"统计期间", figures.ChineseDate(sum.From) + "至" + figures.ChineseDate(sum.To)},
		{},
		{"指标", "数值", "单位", "口径"},
	}
	for _, r := range figures.Rows {
		rows = append(rows, []any{r.Label, r.Value(&sum.Figures), r.Unit, r.Basis})
	}
	rows = append(rows, []any{}, []any{"情况综述"}, []any{sum.Paragraph})
	for i, r := range rows {
		if err := setRow(f, main, i+1, r); err != nil {
			return err
		}
	}
	for _, cell := range []string{"A1", "A4", "B4", "C4", "D4"} {
		if err := f.SetCellStyle(main, cell, cell, bold); err != nil {
			return err
		}
	}
	para, _ := excelize.CoordinatesToCellName(1, len(rows))
	paraEnd, _ := excelize.CoordinatesToCellName(4, len(rows))
	if err := f.MergeCell(main, para, paraEnd); err != nil {
		return err
	}
	if err := f.SetCellStyle(main, para, para, wrap); err != nil {
		return err
	}
	if err := f.SetRowHeight(main, len(rows), 160); err != nil {
		return err
	}
	if err := f.SetColWidth(main, "A", "A", 22); err != nil {
		return err
	}
	if err := f.SetColWidth(main, "D", "D", 40); err != nil {
		return err
	}

	if _, err := f.NewSheet(perVillage); err != nil {
		return err
	}
	head := []any{"村代码", "村名"}
	for _, r := range figures.Rows {
		head = append(head, r.Label+"("+r.Unit+")")
	}
	if err := setRow(f, perVillage, 1, head); err != nil {
		return err
	}
	for i, v := range sum.Villages {
		row := []any{v.Village, v.Name}
		for _, r := range figures.Rows {
			row = append(row, r.Value(&v.Figures))
		}
		if err := setRow(f, perVillage, i+2, row); err != nil {
			return err
		}
	}
	total := []any{"", "合计"}
	for _, r := range figures.Rows {
		total = append(total, r.Value(&sum.Figures))
	}
	if err := setRow(f, perVillage, len(sum.Villages)+2, total); err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return err
	}
	attachment(c, xlsxContentType, "summary-"+sum.From+"-"+sum.To+".xlsx")
	return c.Send(buf.Bytes())
}

// summaryPage is printable as it is: the content security policy allows no
// inline style, so the page has none, and tables get borders from the
// border attribute.
var summaryPage = template.Must(template.New("summary").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
</head>
<body>
<h1>{{.Title}}</h1>
<p>统计期间：{{.Period}}　　生成时间：{{.Generated}}</p>
<h2>情况综述</h2>
<p>{{.Sum.Paragraph}}</p>
<h2>主要指标</h2>
<table border="1" cellpadding="4">
<thead><tr><th>指标</th><th>数值</th><th>单位</th><th>口径</th></tr></thead>
<tbody>
{{range .Rows}}<tr><td>{{.Label}}</td><td>{{.Value}}</td><td>{{.Unit}}</td><td>{{.Basis}}</td></tr>
{{end}}</tbody>
</table>
<h2>分村情况</h2>
<table border="1" cellpadding="4">
<thead><tr><th>村名</th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Villages}}<tr><td>{{.Name}}</td>{{range .Values}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
</body>
</html>
`))

func (s *Server) getSummaryHTML(c *fiber.Ctx) error {
	from, to, err := s.summaryRange(c)
	if err != nil {
		return err
	}
	sum, err := s.summary(c.UserContext(), currentUser(c), from, to)
	if err != nil {
		return err
	}
	show := func(v any) string {
		if v == nil {
			return "—"
		}
		return exportText(v)
	}
	type row struct{ Label, Value, Unit, Basis string }
	type village struct {
		Name   string
		Values []string
	}
	data := struct {
		Title, Period, Generated string
		Sum                      *Summary
		Rows                     []row
		Columns                  []string
		Villages                 []village
	}{Title: sum.Town + "农村人居环境整治数据汇总", Period: figures.ChineseDate(sum.From) + "至" + figures.ChineseDate(sum.To),
		Generated: sum.GeneratedAt.In(cunjie.TownZone).Format("2006-01-02 15:04"), Sum: sum}
	for _, r := range figures.Rows {
		data.Rows = append(data.Rows, row{r.Label, show(r.Value(&sum.Figures)), r.Unit, r.Basis})
		data.Columns = append(data.Columns, r.Label+"（"+r.Unit+"）")
	}
	for _, v := range append(sum.Villages, VillageFigures{Name: "合计", Figures: sum.Figures}) {
		vr := village{Name: v.Name}
		for _, r := range figures.Rows {
			vr.Values = append(vr.Values, show(r.Value(&v.Figures)))
		}
		data.Villages = append(data.Villages, vr)
	}
	var buf bytes.Buffer
	if err := summaryPage.Execute(&buf, data); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf.Bytes())
}
