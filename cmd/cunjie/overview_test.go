package main

import (
	"strings"
	"testing"
	"time"

	"github.com/cunjie/cunjie"
)

// The overview's figures agree with the features and inspections stored,
// and with the ranking and coverage routes.
func TestOverview(t *testing.T) {
	tw := newAssessTown(t)
	put := func(village, kind, status string) {
		attrs := map[string]any{cunjie.StatusAttr(cunjie.Kind(kind)): status}
		tw.insp.must(201, "PUT", "/api/v1/features/"+newID("f"), map[string]any{"opId": newID("op"), "kind": kind, "location": tw.pointIn(t, village), "attrs": withRequired(kind, attrs)})
	}
	for _, st := range []string{"ok", "full", "overflowing", "overflowing", "damaged", "missing"} {
		put(tw.v1, "bin", st)
	}
	put(tw.v2, "bin", "ok")
	put(tw.v1, "garbage_pool", "damaged")
	put(tw.v2, "collection_point", "full")
	put(tw.v1, "household_toilet", "done")
	put(tw.v1, "household_toilet", "planned")
	put(tw.v2, "housing_reform", "started")
	put(tw.v2, "demolition", "demolished")

	month := cunjie.MonthOf(time.Now())
	at := time.Now().UTC().Format(time.RFC3339)
	problem := tw.problemAt(t, tw.v1, "路边垃圾")
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("in"), inspection(tw.v1, month, at, []float64{30, 20, 20, 10}, problem))
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("in"), inspection(tw.v2, month, at, []float64{40, 30, 20, 10}))

	var ov struct {
		Month    string
		Villages []struct {
			Village, Name             string
			Figures                   map[string]map[string]float64
			Households, Covered, Rank int
			Score                     *float64
			OpenProblems, Overdue     int
			CoveragePercent           *float64
			Today                     map[string]int
		}
		Totals struct {
			Figures    map[string]map[string]float64
			Households int
			Today      map[string]int
		}
		PendingOps int
	}
	tw.insp.must(200, "GET", "/api/v1/overview?month="+month, nil).JSON(&ov)
	if ov.Month != month || len(ov.Villages) != len(demoCodes()) {
		t.Fatalf("month %s, %d villages", ov.Month, len(ov.Villages))
	}
	rows := map[string]int{}
	for i, v := range ov.Villages {
		rows[v.Village] = i
	}
	v1, v2 := ov.Villages[rows[tw.v1]], ov.Villages[rows[tw.v2]]
	want := func(what string, got, want float64) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	want("v1 bins", v1.Figures["bins"]["total"], 5) // the missing one is not there
	want("v1 bins full", v1.Figures["bins"]["full"], 1)
	want("v1 bins overflowing", v1.Figures["bins"]["overflowing"], 2)
	want("v1 bins damaged", v1.Figures["bins"]["damaged"], 1)
	want("v1 pools damaged", v1.Figures["garbagePools"]["damaged"], 1)
	want("v2 points full", v2.Figures["collectionPoints"]["full"], 1)
	want("v1 toilets done", v1.Figures["householdToilets"]["done"], 1)
	want("v1 toilets planned", v1.Figures["householdToilets"]["planned"], 1)
	want("v2 housing started", v2.Figures["housingReform"]["started"], 1)
	want("v2 demolished", v2.Figures["demolitions"]["demolished"], 1)
	want("town bins", ov.Totals.Figures["bins"]["total"], 6)
	want("v1 households", float64(v1.Households), 2)
	want("v1 open problems", float64(v1.OpenProblems), 1)

	// Score and rank are the ranking's; households the coverage route's.
	var rank struct {
		Villages []struct {
			Village string
			Rank    int
			Score   *float64
		}
	}
	tw.insp.must(200, "GET", "/api/v1/assessments?month="+month, nil).JSON(&rank)
	for _, r := range rank.Villages {
		ov := ov.Villages[rows[r.Village]]
		if ov.Rank != r.Rank || (ov.Score == nil) != (r.Score == nil) || (ov.Score != nil && *ov.Score != *r.Score) {
			t.Errorf("%s: overview rank %d score %v, ranking %d %v", r.Village, ov.Rank, ov.Score, r.Rank, r.Score)
		}
	}
	if v2.Rank != 1 || v1.Rank != 2 || *v2.Score != 100 || *v1.Score != 80 {
		t.Errorf("ranks v1 %d %v, v2 %d %v", v1.Rank, v1.Score, v2.Rank, v2.Score)
	}
	cov := tw.insp.must(200, "GET", "/api/v1/coverage", nil).Map()
	if int(cov["households"].(float64)) != ov.Totals.Households {
		t.Errorf("households: coverage %v, overview %d", cov["households"], ov.Totals.Households)
	}

	// A change after an overview shows in the next (its figures are kept
	// until the village changes).
	put(tw.v1, "bin", "full")
	tw.insp.must(200, "GET", "/api/v1/overview?month="+month, nil).JSON(&ov)
	want("v1 bins after one more", ov.Villages[rows[tw.v1]].Figures["bins"]["full"], 2)
	want("town bins after one more", ov.Totals.Figures["bins"]["total"], 7)

	// What changed today: the features made above, an event, the problem
	// found and then rectified; tomorrow, none of it.
	fid := newID("f")
	tw.insp.must(201, "PUT", "/api/v1/features/"+fid, map[string]any{"opId": newID("op"), "kind": "bin", "location": tw.pointIn(t, tw.v2)})
	tw.insp.must(201, "POST", "/api/v1/features/"+fid+"/events", map[string]any{"opId": newID("op"), "id": newID("ev"), "type": "emptied", "at": at})
	tw.clean.must(200, "POST", "/api/v1/problems/"+problem["id"].(string)+"/rectify", map[string]any{"opId": newID("op"), "photos": []string{"ph-after"}})
	tw.insp.must(200, "GET", "/api/v1/overview?month="+month, nil).JSON(&ov)
	today := map[string]map[string]int{
		tw.v1:  {"newFeatures": 10, "events": 0, "problemsOpened": 1, "problemsRectified": 1},
		tw.v2:  {"newFeatures": 5, "events": 1, "problemsOpened": 0, "problemsRectified": 0},
		"town": {"newFeatures": 15, "events": 1, "problemsOpened": 1, "problemsRectified": 1},
	}
	for what, w := range today {
		got := ov.Totals.Today
		if what != "town" {
			got = ov.Villages[rows[what]].Today
		}
		for k, n := range w {
			want(what+" today "+k, float64(got[k]), float64(n))
		}
	}
	start := time.Now()
	tw.m.Server.SetClock(func() time.Time { return time.Now().Add(time.Since(start) + 24*time.Hour) })
	tw.insp.must(200, "GET", "/api/v1/overview?month="+month, nil).JSON(&ov)
	for k, n := range ov.Totals.Today {
		want("tomorrow "+k, float64(n), 0)
	}
	tw.m.Server.SetClock(time.Now)

	// Phones' reports of unsent ops add up.
	tw.clean.must(200, "POST", "/api/v1/sync", map[string]any{"ops": []any{}, "device": "p1", "pendingOps": 4})
	tw.insp.must(200, "POST", "/api/v1/sync", map[string]any{"ops": []any{}, "device": "p2", "pendingOps": 3})
	tw.insp.must(200, "GET", "/api/v1/overview", nil).JSON(&ov)
	if ov.PendingOps != 7 {
		t.Errorf("pending ops %d, want 7", ov.PendingOps)
	}
	if r := tw.clean.do("GET", "/api/v1/overview", nil); r.Status != 403 {
		t.Errorf("cleaner reads the overview: %d", r.Status)
	}
	if r := tw.insp.do("GET", "/api/v1/overview?month=2026-13", nil); r.Status != 400 || r.ErrFields()["month"] == "" {
		t.Errorf("bad month: %d %s", r.Status, r.Body)
	}
}

// The red and black list takes the best and worst scored villages, each
// with its reasons: the items that lost most points and open problems.
func TestRedBlackList(t *testing.T) {
	tw := newAssessTown(t)
	month := cunjie.MonthOf(time.Now())
	at := time.Now().UTC().Format(time.RFC3339)
	codes := demoCodes()
	// Five villages scored 95, 90, 85, 70, 60; the worst has an open problem.
	points := [][]float64{{40, 30, 20, 5}, {40, 30, 10, 10}, {35, 30, 10, 10}, {20, 30, 10, 10}, {20, 30, 5, 5}}
	for i, p := range points {
		var probs []map[string]any
		if i == 4 {
			probs = []map[string]any{tw.problemAt(t, codes[i], "垃圾池满溢未清运")}
		}
		tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("in"), inspection(codes[i], month, at, p, probs...))
	}
	var l struct {
		Red, Black []struct {
			Village string
			Rank    int
			Score   float64
			Reasons []string
		}
	}
	tw.insp.must(200, "GET", "/api/v1/assessments/"+month+"/redblack?red=2&black=2", nil).JSON(&l)
	if len(l.Red) != 2 || len(l.Black) != 2 || l.Red[0].Village != codes[0] || l.Red[1].Village != codes[1] ||
		l.Black[0].Village != codes[4] || l.Black[1].Village != codes[3] {
		t.Fatalf("list %+v", l)
	}
	if l.Black[0].Score != 60 || l.Black[0].Rank != 5 {
		t.Errorf("worst %+v", l.Black[0])
	}
	worst := strings.Join(l.Black[0].Reasons, "|")
	for _, want := range []string{"道路沟渠无垃圾（扣20分）", "公厕干净无异味（扣15分）", "未整改问题1个：垃圾池满溢未清运", "全镇第5名"} {
		if !strings.Contains(worst, want) {
			t.Errorf("worst's reasons %q lack %q", worst, want)
		}
	}
	if best := strings.Join(l.Red[0].Reasons, "|"); !strings.Contains(best, "保洁员在岗（扣5分）") {
		t.Errorf("best's reasons %q", best)
	}
	// Defaults 3 and 3; with 5 villages scored the black list has 2.
	tw.insp.must(200, "GET", "/api/v1/assessments/"+month+"/redblack", nil).JSON(&l)
	if len(l.Red) != 3 || len(l.Black) != 2 {
		t.Errorf("default sizes: %d red, %d black", len(l.Red), len(l.Black))
	}
	if r := tw.insp.do("GET", "/api/v1/assessments/"+month+"/redblack?red=99", nil); r.Status != 400 || r.ErrFields()["red"] == "" {
		t.Errorf("red=99: %d %s", r.Status, r.Body)
	}
	if r := tw.clean.do("GET", "/api/v1/assessments/"+month+"/redblack", nil); r.Status != 403 {
		t.Errorf("cleaner: %d", r.Status)
	}
}

// A problem open past its deadline (7 days by default) is overdue in the
// overview; the clock is moved to see it.
func TestOverviewOverdue(t *testing.T) {
	tw := newAssessTown(t)
	month := cunjie.MonthOf(time.Now())
	at := time.Now().UTC().Format(time.RFC3339)
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("in"), inspection(tw.v1, month, at, []float64{30, 30, 20, 10}, tw.problemAt(t, tw.v1, "沟渠垃圾")))
	overdue := func() (open, late int) {
		var ov struct {
			Villages []struct {
				Village                       string
				OpenProblems, OverdueProblems int
			}
			Totals struct{ OverdueProblems int }
		}
		tw.insp.must(200, "GET", "/api/v1/overview?month="+month, nil).JSON(&ov)
		for _, v := range ov.Villages {
			if v.Village == tw.v1 {
				if ov.Totals.OverdueProblems != v.OverdueProblems {
					t.Errorf("town overdue %d, village %d", ov.Totals.OverdueProblems, v.OverdueProblems)
				}
				return v.OpenProblems, v.OverdueProblems
			}
		}
		t.Fatal("no v1 row")
		return
	}
	if open, late := overdue(); open != 1 || late != 0 {
		t.Fatalf("today: open %d overdue %d", open, late)
	}
	start := time.Now()
	tw.m.Server.SetClock(func() time.Time { return time.Now().Add(time.Since(start) + 6*24*time.Hour) })
	if open, late := overdue(); open != 1 || late != 0 {
		t.Errorf("6 days on: open %d overdue %d", open, late)
	}
	tw.m.Server.SetClock(func() time.Time { return time.Now().Add(time.Since(start) + 9*24*time.Hour) })
	if open, late := overdue(); open != 1 || late != 1 {
		t.Errorf("9 days on: open %d overdue %d", open, late)
	}
}
