package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gomutex/godocx"
	"github.com/gomutex/godocx/wml/stypes"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/figures"
	"github.com/cunjie/cunjie/store"
)

// The monthly notice (月度考评通报): one model, made from the ranking and
// the red and black list, written as a Word document and as a printable
// A4 page, so the two cannot say different things.

// DefaultRequirements is the "requirements for next month" paragraph of a
// month the office has not written one for.
const DefaultRequirements = "各村要对照本通报，对未整改问题逐一落实整改，按期销号；保洁员每日在岗清扫，垃圾桶（池）及时清运，杜绝满溢；镇办将继续开展月度考评，考评结果与村级考核挂钩。"

// MaxRequirements bounds the paragraph, in characters.
const MaxRequirements = 2000

type notice struct {
	Title, Period, Requirements string
	Header                      []string
	Rows                        [][]string
	Red, Black                  []figures.Listed
	Rectification               string
}

// noticeHeader is the ranking table's header, in the .docx and the page.
var noticeHeader = []string{"名次", "村", "得分", "检查次数", "较上月", "未整改", "逾期", "已整改"}

func (s *Server) notice(ctx context.Context, u *cunjie.User, month string) (*notice, error) {
	rank, err := s.ranking(ctx, u, month)
	if err != nil {
		return nil, err
	}
	rb, err := s.redBlack(ctx, u, month, figures.DefaultRed, figures.DefaultBlack)
	if err != nil {
		return nil, err
	}
	text, err := s.store.NoticeText(ctx, month)
	if err != nil {
		return nil, err
	}
	n := &notice{Header: noticeHeader, Red: rb.Red, Black: rb.Black, Requirements: DefaultRequirements}
	if text != nil && text.Requirements != "" {
		n.Requirements = text.Requirements
	}
	y, m := month[:4], strings.TrimPrefix(month[5:], "0")
	n.Title = fmt.Sprintf("关于%s年%s月村庄环境卫生考评情况的通报", y, m)
	n.Period = fmt.Sprintf("考评期间：%s年%s月", y, m)
	open, overdue, rectified := 0, 0, 0
	for _, r := range rank.Villages {
		open, overdue, rectified = open+r.OpenProblems, overdue+r.OverdueProblems, rectified+r.RectifiedProblems
		n.Rows = append(n.Rows, noticeRow(r))
	}
	n.Rectification = fmt.Sprintf("本月考评共发现问题%d个，已整改%d个，未整改%d个，其中逾期未整改%d个。", open+rectified, rectified, open, overdue)
	return n, nil
}

// noticeRow is one village's line of the ranking table; a village not
// inspected this month has no rank or score.
func noticeRow(r cunjie.VillageScore) []string {
	dash := func(p *float64, sign bool) string {
		if p == nil {
			return "—"
		}
		if sign && *p > 0 {
			return "+" + figures.TrimNum(*p, 1)
		}
		return figures.TrimNum(*p, 1)
	}
	rank := "—"
	if r.Rank > 0 {
		rank = fmt.Sprint(r.Rank)
	}
	return []string{rank, r.Name, dash(r.Score, false), fmt.Sprint(r.Inspections), dash(r.Change, true),
		fmt.Sprint(r.OpenProblems), fmt.Sprint(r.OverdueProblems), fmt.Sprint(r.RectifiedProblems)}
}

// docx writes the notice as a Word document (WPS opens it too).
func (n *notice) docx() ([]byte, error) {
	doc, err := godocx.NewDocument()
	if err != nil {
		return nil, err
	}
	title := doc.AddParagraph("")
	title.AddText(n.Title).Bold(true).Size(36) // half-points: 18 pt, 小二
	title.Justification(stypes.JustificationCenter)
	doc.AddParagraph(n.Period).Justification(stypes.JustificationCenter)
	doc.AddParagraph("各村：")
	heading := func(text string) { doc.AddParagraph("").AddText(text).Bold(true) }

	heading("一、考评排名")
	table := doc.AddTable()
	table.Style("TableGrid")
	hdr := table.AddRow()
	for _, h := range n.Header {
		hdr.AddCell().AddParagraph("").AddText(h).Bold(true)
	}
	for _, r := range n.Rows {
		row := table.AddRow()
		for _, v := range r {
			row.AddCell().AddParagraph(v)
		}
	}
	listed := func(title string, ls []figures.Listed) {
		heading(title)
		if len(ls) == 0 {
			doc.AddParagraph("无。")
		}
		for _, l := range ls {
			doc.AddParagraph(fmt.Sprintf("%s（%s分）：%s。", l.Name, figures.TrimNum(l.Score, 1), strings.Join(l.Reasons, "；")))
		}
	}
	listed("二、红榜", n.Red)
	listed("三、黑榜", n.Black)
	heading("四、整改情况")
	doc.AddParagraph(n.Rectification)
	heading("五、下月要求")
	doc.AddParagraph(n.Requirements)
	var buf bytes.Buffer
	if err := doc.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (s *Server) noticeOf(c *fiber.Ctx) (*notice, string, error) {
	month := c.Params("month")
	if !cunjie.ValidMonth(month) {
		return nil, "", cunjie.Invalid("month", "a month YYYY-MM")
	}
	n, err := s.notice(c.UserContext(), currentUser(c), month)
	return n, month, err
}

func (s *Server) getNoticeDocx(c *fiber.Ctx) error {
	n, month, err := s.noticeOf(c)
	if err != nil {
		return err
	}
	b, err := n.docx()
	if err != nil {
		return err
	}
	attachment(c, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "notice-"+month+".docx")
	return c.Send(b)
}

// noticeStyle lays the page out on A4 for printing. It is allowed by its
// hash in this answer's Content-Security-Policy (the site allows no inline
// style otherwise).
const noticeStyle = `@page { size: A4; margin: 25mm 20mm; }
body { font-family: "FangSong", "STFangsong", "SimSun", serif; font-size: 16px; line-height: 1.7; max-width: 170mm; margin: 0 auto; color: #000; }
h1 { font-family: "SimHei", "Heiti SC", sans-serif; font-size: 22px; text-align: center; margin: 0 0 4px; }
.period { text-align: center; margin: 0 0 16px; }
h2 { font-family: "SimHei", "Heiti SC", sans-serif; font-size: 16px; margin: 16px 0 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border: 1px solid #000; padding: 2px 6px; text-align: center; }
td:nth-child(2) { text-align: left; }
@media print { h2 { break-after: avoid; } tr { break-inside: avoid; } }`

var noticeStyleHash = func() string {
	h := sha256.Sum256([]byte(noticeStyle))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}()

var noticePage = template.Must(template.New("notice").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{.N.Title}}</title>
<style>{{.Style}}</style>
</head>
<body>
<h1>{{.N.Title}}</h1>
<p class="period">{{.N.Period}}</p>
<p>各村：</p>
<h2>一、考评排名</h2>
<table id="ranking">
<thead><tr>{{range .N.Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .N.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody>
</table>
<h2>二、红榜</h2>
{{range .N.Red}}<p>{{.Name}}（{{.Score}}分）：{{range $i, $r := .Reasons}}{{if $i}}；{{end}}{{$r}}{{end}}。</p>{{else}}<p>无。</p>{{end}}
<h2>三、黑榜</h2>
{{range .N.Black}}<p>{{.Name}}（{{.Score}}分）：{{range $i, $r := .Reasons}}{{if $i}}；{{end}}{{$r}}{{end}}。</p>{{else}}<p>无。</p>{{end}}
<h2>四、整改情况</h2>
<p>{{.N.Rectification}}</p>
<h2>五、下月要求</h2>
<p id="requirements">{{.N.Requirements}}</p>
</body>
</html>
`))

func (s *Server) getNoticeHTML(c *fiber.Ctx) error {
	n, _, err := s.noticeOf(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := noticePage.Execute(&buf, struct {
		N     *notice
		Style template.CSS
	}{n, template.CSS(noticeStyle)}); err != nil {
		return err
	}
	c.Set("Content-Security-Policy", strings.Replace(s.csp, "style-src 'self'", "style-src 'self' "+noticeStyleHash, 1))
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf.Bytes())
}

type requirementsWrite struct {
	Requirements string `json:"requirements"`
}

// putRequirements sets the month's "requirements for next month"; an
// empty text goes back to the default. Setting it again is harmless.
func (s *Server) putRequirements(c *fiber.Ctx) error {
	month := c.Params("month")
	if !cunjie.ValidMonth(month) {
		return cunjie.Invalid("month", "a month YYYY-MM")
	}
	var w requirementsWrite
	if err := decodeJSON(c, MaxJSONBody, &w); err != nil {
		return err
	}
	w.Requirements = strings.TrimSpace(w.Requirements)
	if n := len([]rune(w.Requirements)); n > MaxRequirements {
		return cunjie.Invalid("requirements", "at most %d characters, got %d", MaxRequirements, n)
	}
	t := &store.NoticeText{Month: month, Requirements: w.Requirements, By: currentUser(c).Username, At: s.now()}
	if err := s.store.PutNoticeText(c.UserContext(), t); err != nil {
		return err
	}
	return c.JSON(t)
}

func (s *Server) getRequirements(c *fiber.Ctx) error {
	month := c.Params("month")
	if !cunjie.ValidMonth(month) {
		return cunjie.Invalid("month", "a month YYYY-MM")
	}
	t, err := s.store.NoticeText(c.UserContext(), month)
	if err != nil {
		return err
	}
	if t == nil || t.Requirements == "" {
		t = &store.NoticeText{Month: month, Requirements: DefaultRequirements}
	}
	return c.JSON(t)
}
