package main

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cunjie/cunjie"
)

// docxTables reads a .docx's document.xml and returns its tables' cell
// texts, row by row, and all its paragraphs' texts.
func docxTables(t *testing.T, b []byte) ([][][]string, []string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var body []byte
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			body, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	if body == nil {
		t.Fatal("no word/document.xml")
	}
	const w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	dec := xml.NewDecoder(bytes.NewReader(body))
	var tables [][][]string
	var paras []string
	var para strings.Builder
	depth := 0 // of tables
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("document.xml does not parse: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Space != w {
				continue
			}
			switch e.Name.Local {
			case "tbl":
				depth++
				tables = append(tables, nil)
			case "tr":
				tables[len(tables)-1] = append(tables[len(tables)-1], nil)
			case "p":
				para.Reset()
			}
		case xml.CharData:
			para.Write(e)
		case xml.EndElement:
			if e.Name.Space != w {
				continue
			}
			switch e.Name.Local {
			case "tbl":
				depth--
			case "p":
				if depth > 0 {
					tb := tables[len(tables)-1]
					tb[len(tb)-1] = append(tb[len(tb)-1], para.String())
				} else {
					paras = append(paras, para.String())
				}
			}
		}
	}
	return tables, paras
}

// The monthly notice as .docx opens (zip + XML), its ranking table is the
// API's ranking, and it carries the red and black list and the office's
// requirements; the A4 page says the same.
func TestMonthlyNotice(t *testing.T) {
	tw := newAssessTown(t)
	month := cunjie.MonthOf(time.Now())
	at := time.Now().UTC().Format(time.RFC3339)
	codes := demoCodes()
	for i, p := range [][]float64{{40, 30, 20, 10}, {30, 30, 20, 10}, {20, 20, 10, 10}, {35, 25, 20, 10}} {
		var probs []map[string]any
		if i == 2 {
			probs = []map[string]any{tw.problemAt(t, codes[i], "村口垃圾堆放")}
		}
		tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("in"), inspection(codes[i], month, at, p, probs...))
	}
	req := "各村务必于下月10日前完成整改。"
	if r := tw.insp.do("PUT", "/api/v1/assessments/"+month+"/requirements", map[string]any{"requirements": req}); r.Status != 403 {
		t.Errorf("inspector sets requirements: %d", r.Status)
	}
	tw.admin.must(200, "PUT", "/api/v1/assessments/"+month+"/requirements", map[string]any{"requirements": req})
	tw.admin.must(200, "PUT", "/api/v1/assessments/"+month+"/requirements", map[string]any{"requirements": req}) // again: the same
	if r := tw.admin.do("PUT", "/api/v1/assessments/"+month+"/requirements", map[string]any{"requirements": strings.Repeat("字", 2001)}); r.Status != 400 || r.ErrFields()["requirements"] == "" {
		t.Errorf("too long: %d %s", r.Status, r.Body)
	}

	r := tw.insp.must(200, "GET", "/api/v1/assessments/"+month+"/notice.docx", nil)
	if !strings.Contains(r.Header.Get("Content-Type"), "wordprocessingml") || !strings.Contains(r.Header.Get("Content-Disposition"), ".docx") {
		t.Errorf("headers %v", r.Header)
	}
	tables, paras := docxTables(t, r.Body)
	if len(tables) != 1 {
		t.Fatalf("%d tables", len(tables))
	}
	var rank struct {
		Villages []struct {
			Rank  int
			Name  string
			Score *float64
		}
	}
	tw.insp.must(200, "GET", "/api/v1/assessments?month="+month, nil).JSON(&rank)
	rows := tables[0]
	if len(rows) != len(rank.Villages)+1 || rows[0][0] != "名次" {
		t.Fatalf("table has %d rows for %d villages; header %v", len(rows), len(rank.Villages), rows[0])
	}
	for i, v := range rank.Villages {
		wantRank, wantScore := "—", "—"
		if v.Score != nil {
			wantRank, wantScore = fmt.Sprint(v.Rank), fmt.Sprint(*v.Score)
		}
		if got := rows[i+1]; got[0] != wantRank || got[1] != v.Name || got[2] != wantScore {
			t.Errorf("row %d: %v, ranking says %d %s %v", i+1, got, v.Rank, v.Name, v.Score)
		}
	}
	text := strings.Join(paras, "\n")
	for _, want := range []string{"考评情况的通报", "二、红榜", "三、黑榜", "村口垃圾堆放", "扣分最多", req, "未整改1个"} {
		if !strings.Contains(text, want) {
			t.Errorf("the notice lacks %q:\n%s", want, text)
		}
	}

	page := tw.insp.must(200, "GET", "/api/v1/assessments/"+month+"/notice.html", nil)
	html := string(page.Body)
	if !strings.Contains(html, "@page { size: A4") || !strings.Contains(html, req) || !strings.Contains(page.Header.Get("Content-Security-Policy"), "'sha256-") {
		t.Errorf("page: %s\nCSP %s", html[:min(len(html), 400)], page.Header.Get("Content-Security-Policy"))
	}
	if r := tw.clean.do("GET", "/api/v1/assessments/"+month+"/notice.docx", nil); r.Status != 403 {
		t.Errorf("cleaner: %d", r.Status)
	}
	if r := tw.insp.do("GET", "/api/v1/assessments/2026-13/notice.docx", nil); r.Status != 400 {
		t.Errorf("bad month: %d", r.Status)
	}
}
