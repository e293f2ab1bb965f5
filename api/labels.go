package api

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
)

// Labels are door-plate stickers (一户一码): a QR code of the feature's
// URL on this server (/f/<code>), the code, the kind and the village, 24 to
// an A4 sheet (3 × 8 labels of 70 × 37 mm, the common sticker sheet).
// The QR codes are made by skip2/go-qrcode as PNGs inlined as data: URLs,
// so the page prints as it is, from one request.

// MaxLabels bounds one labels page (a village's features, 125 sheets).
const MaxLabels = 3000

const labelsCSS = `@page{size:A4;margin:0}
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif}
.sheet{width:210mm;height:297mm;padding:0;display:grid;grid-template-columns:repeat(3,70mm);grid-template-rows:repeat(8,37.125mm);break-after:page;page-break-after:always}
.sheet:last-child{break-after:auto;page-break-after:auto}
.label{display:flex;align-items:center;gap:2mm;padding:2mm 3mm;border:0.2mm dashed #bbb;overflow:hidden}
.label img{width:32mm;height:32mm;flex:none;image-rendering:pixelated}
.code{font-size:5.5mm;font-weight:bold;letter-spacing:0.3mm}
.kind{font-size:4mm}
.village{font-size:3.5mm;color:#333}
@media print{.label{border-color:transparent}}`

var labelsTmpl = template.Must(template.New("labels").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title><style>{{.CSS}}</style></head><body>
{{range .Sheets}}<div class="sheet">{{range .}}<div class="label" data-code="{{.Code}}"><img alt="{{.URL}}" src="{{.QR}}"><div><div class="code">{{.Code}}</div><div class="kind">{{.Kind}}</div><div class="village">{{.Village}}</div></div></div>{{end}}</div>
{{end}}</body></html>`))

// labelsCSP admits the page's one stylesheet (by its hash) and its inline
// images, nothing else.
var labelsCSP = func() string {
	sum := sha256.Sum256([]byte(labelsCSS))
	return "default-src 'none'; img-src data:; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; frame-ancestors 'self'"
}()

type label struct {
	Code, Kind, Village, URL string
	QR                       template.URL
}

// villageLabels answers GET /villages/{code}/labels?kind=&feature=.
func (s *Server) villageLabels(c *fiber.Ctx) error {
	v, err := s.village(c, c.Params("code"))
	if err != nil {
		return err
	}
	kinds := splitList(c.Query("kind"))
	for _, k := range kinds {
		if !cunjie.ValidKind(cunjie.Kind(k)) {
			return cunjie.Invalid("kind", "%q is not a kind", k)
		}
	}
	one := c.Query("feature")
	vi, err := s.writes.Village(c.UserContext(), v.Code)
	if err != nil {
		return err
	}
	var fs []*cunjie.Feature
	vi.RLock()
	vi.Index.Each(func(it geo.Item) bool {
		f := it.Value.(*cunjie.Feature)
		if !f.Deleted && f.Code != "" && (len(kinds) == 0 || slices.Contains(kinds, string(f.Kind))) && (one == "" || f.ID == one) {
			fs = append(fs, f)
		}
		return true
	})
	vi.RUnlock()
	if one != "" && len(fs) == 0 {
		return cunjie.Errorf(cunjie.ENOTFOUND, "feature %s has no label in village %s", one, v.Code)
	}
	if len(fs) > MaxLabels {
		return cunjie.Invalid("kind", "%d labels, at most %d a page: choose a kind", len(fs), MaxLabels)
	}
	slices.SortFunc(fs, func(a, b *cunjie.Feature) int { return strings.Compare(a.Code, b.Code) })
	// The URL the QR leads to is this server's as the phone reached it:
	// Protocol and Hostname believe X-Forwarded-* only from a trusted proxy.
	base := c.Protocol() + "://" + c.Hostname() + "/f/"
	var sheets [][]label
	for i, f := range fs {
		url := base + f.Code
		png, err := qrcode.Encode(url, qrcode.Medium, 256)
		if err != nil {
			return err
		}
		if i%24 == 0 {
			sheets = append(sheets, nil)
		}
		sheets[len(sheets)-1] = append(sheets[len(sheets)-1], label{Code: f.Code, Kind: cunjie.KindLabel(f.Kind), Village: v.Name, URL: url,
			QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))})
	}
	c.Set("Content-Security-Policy", labelsCSP)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return labelsTmpl.Execute(c.Response().BodyWriter(), map[string]any{
		"Title": v.Name + " 标签", "CSS": template.CSS(labelsCSS), "Sheets": sheets})
}
