package cunjie

import (
	"math"
	"strings"
	"testing"
	"time"
)

func testTemplate() *Template {
	return &Template{ID: "default", Version: 1, Name: "月度考评表", Items: []TemplateItem{
		{ID: "roads", Description: "道路沟渠无垃圾", MaxPoints: 40},
		{ID: "bins", Description: "垃圾桶不满溢", MaxPoints: 35},
		{ID: "toilets", Description: "公厕干净无异味", MaxPoints: 25},
	}}
}

// hasField reports whether err is an EINVALID naming field (or a field below it).
func hasField(err error, field string) bool {
	e, ok := err.(*Error)
	if !ok || e.Code != EINVALID {
		return false
	}
	for k := range e.Fields {
		if k == field || strings.HasPrefix(k, field+".") {
			return true
		}
	}
	return false
}

func TestValidateTemplate(t *testing.T) {
	if err := ValidateTemplate(testTemplate()); err != nil {
		t.Fatalf("good template: %v", err)
	}
	tt := testTemplate()
	ValidateTemplate(tt)
	if tt.Total != 100 {
		t.Errorf("total %d", tt.Total)
	}
	cases := []struct {
		name   string
		change func(t *Template)
		field  string
	}{
		{"total under 100", func(t *Template) { t.Items[0].MaxPoints = 30 }, "items"},
		{"total over 100", func(t *Template) {
			t.Items = append(t.Items, TemplateItem{ID: "x", Description: "多余", MaxPoints: 5})
		}, "items"},
		{"no items", func(t *Template) { t.Items = nil }, "items"},
		{"item id twice", func(t *Template) { t.Items[1].ID = "roads" }, "items[1].id"},
		{"bad item id", func(t *Template) { t.Items[0].ID = "a b" }, "items[0].id"},
		{"no description", func(t *Template) { t.Items[2].Description = "  " }, "items[2].description"},
		{"zero points", func(t *Template) { t.Items[2].MaxPoints = 0 }, "items[2].maxPoints"},
		{"no name", func(t *Template) { t.Name = "" }, "name"},
		{"bad id", func(t *Template) { t.ID = "" }, "id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tpl := testTemplate()
			tc.change(tpl)
			if err := ValidateTemplate(tpl); !hasField(err, tc.field) {
				t.Errorf("error %v does not name %s", err, tc.field)
			}
		})
	}
}

var assessNow = time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)

func goodInspection() *Inspection {
	return &Inspection{ID: "i1", Village: "360803101201", Month: "2026-11", Template: "default", TemplateVersion: 1,
		At: assessNow.Add(-time.Hour), Scores: []Score{{Item: "roads", Points: 35}, {Item: "bins", Points: 30.5, Note: "两只桶满溢"}, {Item: "toilets", Points: 25}}}
}

func goodProblem() *Problem {
	return &Problem{ID: "p1", Location: Location{Lon: 114.9, Lat: 27.1, Accuracy: 5}, Description: "沟渠里有塑料袋", Photos: []string{"ph1"}}
}

func TestValidateInspection(t *testing.T) {
	in := goodInspection()
	if err := ValidateInspection(in, testTemplate(), []*Problem{goodProblem()}, assessNow); err != nil {
		t.Fatalf("good inspection: %v", err)
	}
	if in.Total != 90.5 {
		t.Errorf("total %v, want 90.5", in.Total)
	}
	cases := []struct {
		name    string
		change  func(in *Inspection, p *Problem)
		field   string
		message string
	}{
		{"points over max", func(in *Inspection, _ *Problem) { in.Scores[0].Points = 41 }, "scores[0].points", "from 0 to 40"},
		{"negative points", func(in *Inspection, _ *Problem) { in.Scores[1].Points = -1 }, "scores[1].points", ""},
		{"NaN points", func(in *Inspection, _ *Problem) { in.Scores[1].Points = math.NaN() }, "scores[1].points", ""},
		{"missing item", func(in *Inspection, _ *Problem) { in.Scores = in.Scores[:2] }, "scores", "missing: toilets"},
		{"unknown item", func(in *Inspection, _ *Problem) { in.Scores[2].Item = "rivers" }, "scores[2].item", "not an item"},
		{"item twice", func(in *Inspection, _ *Problem) { in.Scores[2].Item = "roads" }, "scores[2].item", "twice"},
		{"bad month", func(in *Inspection, _ *Problem) { in.Month = "2026-13" }, "month", ""},
		{"month to come", func(in *Inspection, _ *Problem) { in.Month = "2026-12" }, "month", "after this month"},
		{"no time", func(in *Inspection, _ *Problem) { in.At = time.Time{} }, "at", ""},
		{"time to come", func(in *Inspection, _ *Problem) { in.At = assessNow.Add(time.Hour) }, "at", ""},
		{"problem without description", func(_ *Inspection, p *Problem) { p.Description = " " }, "problems[0].description", ""},
		{"problem at null island", func(_ *Inspection, p *Problem) { p.Location = Location{} }, "problems[0].location", ""},
		{"problem bad photo id", func(_ *Inspection, p *Problem) { p.Photos = []string{"a/b"} }, "problems[0].photos", ""},
		{"deadline before visit", func(_ *Inspection, p *Problem) { p.Deadline = "2026-11-01" }, "problems[0].deadline", ""},
		{"deadline not a date", func(_ *Inspection, p *Problem) { p.Deadline = "next week" }, "problems[0].deadline", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, p := goodInspection(), goodProblem()
			tc.change(in, p)
			err := ValidateInspection(in, testTemplate(), []*Problem{p}, assessNow)
			if !hasField(err, tc.field) {
				t.Fatalf("error %v does not name %s", err, tc.field)
			}
			if tc.message != "" && !strings.Contains(err.Error(), tc.message) {
				t.Errorf("error %q does not say %q", err, tc.message)
			}
		})
	}
	// Two problems with one id.
	err := ValidateInspection(goodInspection(), testTemplate(), []*Problem{goodProblem(), goodProblem()}, assessNow)
	if !hasField(err, "problems[1].id") {
		t.Errorf("problem id twice: %v", err)
	}
}

func TestAssessmentMonths(t *testing.T) {
	if got := AddMonths("2026-01", -1); got != "2025-12" {
		t.Errorf("month before 2026-01: %s", got)
	}
	if got := AddMonths("2025-11", 14); got != "2027-01" {
		t.Errorf("14 months after 2025-11: %s", got)
	}
	for m, ok := range map[string]bool{"2026-11": true, "2026-1": false, "1999-12": false, "2026-00": false, "2026-11-01": false} {
		if ValidMonth(m) != ok {
			t.Errorf("ValidMonth(%q) = %v", m, !ok)
		}
	}
	// 20:00 UTC on the 31st is the 1st of the next month in China.
	if got := MonthOf(time.Date(2026, 10, 31, 20, 0, 0, 0, time.UTC)); got != "2026-11" {
		t.Errorf("MonthOf: %s", got)
	}
	if got := DefaultDeadline(time.Date(2026, 10, 31, 20, 0, 0, 0, time.UTC)); got != "2026-11-08" {
		t.Errorf("DefaultDeadline: %s", got)
	}
}

func TestProblemRectify(t *testing.T) {
	at := assessNow.Add(-time.Minute)
	type step struct {
		name    string
		do      func(p *Problem) error
		code    string // "" for success
		status  ProblemStatus
		history string // the action the step appends
	}
	rectify := func(p *Problem) error {
		return p.Rectify("clean", at, assessNow, "已清理", []string{"after1"}, "op")
	}
	accept := func(p *Problem) error { return p.Verify("insp", at, assessNow, true, "", "", "op") }
	refuse := func(p *Problem) error { return p.Verify("insp", at, assessNow, false, "还有垃圾", "", "op") }
	steps := []step{
		{"verify an open problem", accept, ECONFLICT, ProblemOpen, ""},
		{"rectify without photo", func(p *Problem) error { return p.Rectify("clean", at, assessNow, "", nil, "op") }, EINVALID, ProblemOpen, ""},
		{"rectify", rectify, "", ProblemRectified, "rectified"},
		{"rectify twice", rectify, ECONFLICT, ProblemRectified, ""},
		{"refuse", refuse, "", ProblemOpen, "reopened"},
		{"rectify again", rectify, "", ProblemRectified, "rectified"},
		{"accept with a deadline", func(p *Problem) error { return p.Verify("insp", at, assessNow, true, "", "2026-12-01", "op") }, EINVALID, ProblemRectified, ""},
		{"accept", accept, "", ProblemVerified, "verified"},
		{"rectify a verified problem", rectify, ECONFLICT, ProblemVerified, ""},
		{"refuse a verified problem", refuse, ECONFLICT, ProblemVerified, ""},
	}
	p := &Problem{ID: "p1", Status: ProblemOpen, Deadline: "2026-11-01"}
	for _, s := range steps {
		before := len(p.History)
		err := s.do(p)
		if ErrorCode(err) != s.code {
			t.Fatalf("%s: error %v, want code %q", s.name, err, s.code)
		}
		if p.Status != s.status {
			t.Fatalf("%s: status %s, want %s", s.name, p.Status, s.status)
		}
		if s.code != "" && len(p.History) != before {
			t.Fatalf("%s: a refused step changed the history", s.name)
		}
		if s.code == "" && p.History[len(p.History)-1].Action != s.history {
			t.Fatalf("%s: history %v", s.name, p.History)
		}
		if s.name == "refuse" && p.Deadline != "2026-11-27" {
			t.Errorf("reopened deadline %s, want 7 days after the check", p.Deadline)
		}
	}
}

func TestProblemOverdue(t *testing.T) {
	p := &Problem{Status: ProblemOpen, Deadline: "2026-11-19"}
	if p.IsOverdue("2026-11-19") || !p.IsOverdue("2026-11-20") {
		t.Error("an open problem is overdue from the day after its deadline")
	}
	p.Status = ProblemRectified
	if p.IsOverdue("2026-12-01") {
		t.Error("a rectified problem is not overdue")
	}
}

func fp(f float64) *float64 { return &f }

func TestAssessmentRanking(t *testing.T) {
	rows := []VillageScore{
		{Village: "c", Score: fp(88)},
		{Village: "a", Score: nil},
		{Village: "d", Score: fp(92.5), PreviousScore: fp(90)},
		{Village: "b", Score: fp(88), PreviousScore: fp(91.2)},
		{Village: "e", Score: fp(70)},
	}
	RankVillages(rows)
	want := []struct {
		village string
		rank    int
		change  *float64
	}{{"d", 1, fp(2.5)}, {"b", 2, fp(-3.2)}, {"c", 2, nil}, {"e", 4, nil}, {"a", 0, nil}}
	for i, w := range want {
		r := rows[i]
		if r.Village != w.village || r.Rank != w.rank {
			t.Fatalf("row %d: %s rank %d, want %s rank %d", i, r.Village, r.Rank, w.village, w.rank)
		}
		if (r.Change == nil) != (w.change == nil) || (r.Change != nil && *r.Change != *w.change) {
			t.Errorf("%s change %v, want %v", r.Village, r.Change, w.change)
		}
	}
	if s, ok := MonthScore([]float64{87, 88, 90}); !ok || s != 88.3 {
		t.Errorf("mean score %v", s)
	}
	if _, ok := MonthScore(nil); ok {
		t.Error("a month without inspections has no score")
	}
}
