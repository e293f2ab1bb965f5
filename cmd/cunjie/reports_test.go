package main

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// reportFeature is a feature the report test records, with what the report
// should make of it.
type reportFeature struct {
	village string
	kind    string
	attrs   map[string]any
	at      map[string]any // location; nil for a random point of the village
}

func TestSummaryReport(t *testing.T) {
	tw := newAssessTown(t)
	far := demoCode(15) // the far corner of the town: no facility within kilometres
	const from, to = "2026-01-01", "2026-10-31"

	bin := tw.pointIn(t, tw.v1)
	pool := tw.pointIn(t, tw.v1)
	fs := []reportFeature{
		// In the range and finished: counted.
		{tw.v1, "demolition", map[string]any{"stage": "demolished", "demolished_on": "2026-03-01", "area_m2": 120.25, "structure": "adobe"}, nil},
		{tw.v2, "demolition", map[string]any{"stage": "demolished", "demolished_on": "2026-10-31", "area_m2": 80.0}, nil},
		// Before the range, or not demolished: not counted.
		{tw.v1, "demolition", map[string]any{"stage": "demolished", "demolished_on": "2025-12-31", "area_m2": 300.0}, nil},
		{tw.v1, "demolition", map[string]any{"stage": "scheduled", "area_m2": 60.0}, nil},

		{tw.v1, "bin", map[string]any{"status": "ok"}, bin},
		{tw.v1, "bin", map[string]any{"status": "overflowing"}, nil},
		{tw.v2, "bin", map[string]any{"status": "ok"}, nil},
		{tw.v2, "bin", map[string]any{"status": "missing"}, nil}, // not counted
		{tw.v1, "garbage_pool", map[string]any{"built_year": 2026}, pool},
		{tw.v2, "garbage_pool", map[string]any{"built_year": 2026}, nil},
		{tw.v2, "garbage_pool", map[string]any{"built_year": 2020}, nil},
		{tw.v1, "collection_point", map[string]any{"bin_count": 4}, nil},
		{tw.v2, "transfer_station", map[string]any{"capacity_tpd": 30}, nil},
		{tw.v1, "public_toilet", map[string]any{"built_year": 2026}, nil},
		{tw.v2, "public_toilet", map[string]any{"built_year": 2025}, nil},
		{tw.v2, "public_toilet", map[string]any{}, nil},

		// Households by a facility (covered) and far from any (not).
		{tw.v1, "household_toilet", map[string]any{"stage": "done", "completed_on": "2026-05-05", "tap_water": true}, bin},
		{tw.v1, "household_toilet", map[string]any{"stage": "accepted", "completed_on": "2026-06-01", "tap_water": false}, pool},
		{tw.v1, "household_toilet", map[string]any{"stage": "done", "completed_on": "2025-11-01", "tap_water": true}, bin},
		{far, "household_toilet", map[string]any{"stage": "done", "completed_on": "2026-02-02", "tap_water": true}, nil},
		{far, "household_toilet", map[string]any{"stage": "building"}, nil},
		{tw.v1, "housing_reform", map[string]any{"stage": "completed", "completed_on": "2026-04-01", "mode": "new_build", "subsidy_yuan": 30000}, pool},
		{far, "housing_reform", map[string]any{"stage": "accepted", "completed_on": "2026-07-01", "mode": "repair", "subsidy_yuan": 8000}, nil},
		{far, "housing_reform", map[string]any{"stage": "accepted", "completed_on": "2026-09-09", "mode": "new_build", "subsidy_yuan": 25000}, nil},
		{far, "housing_reform", map[string]any{"stage": "completed", "completed_on": "2024-04-01", "mode": "new_build", "subsidy_yuan": 20000}, nil},
		{far, "housing_reform", map[string]any{"stage": "started", "mode": "repair"}, nil},
	}
	for _, f := range fs {
		loc := f.at
		if loc == nil {
			loc = tw.pointIn(t, f.village)
		}
		tw.insp.must(201, "PUT", "/api/v1/features/"+newID("f"), map[string]any{"opId": newID("op"), "kind": f.kind, "location": loc, "attrs": withRequired(f.kind, f.attrs)})
	}

	// The figures, counted here from the list above by the report's rules.
	type figures struct {
		demolished, toilets, tap, publicBuilt, poolsBuilt, publicNow, poolsNow, points, bins, stations int
		housing, newBuild, repair, households, covered                                                 int
		area, subsidy                                                                                  float64
	}
	var want figures
	inRange := func(a map[string]any, key string) bool {
		d, _ := a[key].(string)
		return d >= from && d <= to
	}
	for _, f := range fs {
		a := f.attrs
		switch f.kind {
		case "demolition":
			if a["stage"] == "demolished" && inRange(a, "demolished_on") {
				want.demolished++
				want.area += a["area_m2"].(float64)
			}
		case "household_toilet", "housing_reform":
			want.households++
			if f.at != nil { // placed on a bin or a pool
				want.covered++
			}
			done := a["stage"] == "done" || a["stage"] == "accepted" || a["stage"] == "completed"
			if f.kind == "household_toilet" && done && inRange(a, "completed_on") {
				want.toilets++
				if a["tap_water"] == true {
					want.tap++
				}
			}
			if f.kind == "housing_reform" && done && inRange(a, "completed_on") {
				want.housing++
				if a["mode"] == "new_build" {
					want.newBuild++
				} else {
					want.repair++
				}
				want.subsidy += float64(a["subsidy_yuan"].(int))
			}
		case "public_toilet":
			want.publicNow++
			if a["built_year"] == 2026 {
				want.publicBuilt++
			}
		case "garbage_pool":
			want.poolsNow++
			if a["built_year"] == 2026 {
				want.poolsBuilt++
			}
		case "collection_point":
			want.points++
		case "transfer_station":
			want.stations++
		case "bin":
			if a["status"] != "missing" {
				want.bins++
			}
		}
	}

	// Cleaners: "clean" (v1), one of v1 and v2 (counted once), a disabled one.
	tw.admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "clean2", "password": "clean-password", "role": "cleaner", "villages": []string{tw.v1, tw.v2}})
	gone := tw.admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "clean3", "password": "clean-password", "role": "cleaner", "villages": []string{tw.v2}}).Map()
	tw.admin.must(200, "PATCH", "/api/v1/users/"+gone["id"].(string), map[string]any{"disabled": true})

	// Assessments: three village months in the range, one before it.
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("insp"), inspection(tw.v1, "2026-09", "2026-09-10T02:00:00Z", []float64{30, 20, 10, 10})) // 70
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("insp"), inspection(tw.v1, "2026-10", "2026-10-10T02:00:00Z", []float64{35, 25, 10, 10})) // 80
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("insp"), inspection(tw.v2, "2026-10", "2026-10-10T02:00:00Z", []float64{40, 25, 15, 10})) // 90
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("insp"), inspection(tw.v2, "2025-12", "2025-12-10T02:00:00Z", []float64{0, 0, 0, 10}))    // 10, before

	if r := tw.clean.do("GET", "/api/v1/reports/summary", nil); r.Status != 403 {
		t.Errorf("cleaner reads the report: %d", r.Status)
	}
	if r := tw.insp.do("GET", "/api/v1/reports/summary?from=2026-10-01&to=2026-01-01", nil); r.Status != 400 {
		t.Errorf("to before from: %d", r.Status)
	}
	var sum struct {
		From, To, Town, Paragraph string
		Figures                   map[string]any
		Villages                  []struct {
			Village string
			Figures map[string]any
		}
	}
	tw.insp.must(200, "GET", "/api/v1/reports/summary?from="+from+"&to="+to, nil).JSON(&sum)
	f := sum.Figures
	check := func(name string, want any) {
		t.Helper()
		got := f[name]
		if w, ok := want.(int); ok {
			want = float64(w)
		}
		if g, ok := got.(float64); ok && math.Abs(g-want.(float64)) < 1e-9 {
			return
		}
		t.Errorf("%s = %v, want %v", name, got, want)
	}
	check("demolishedHouses", want.demolished)
	check("demolishedAreaM2", want.area)
	check("toiletsRenovated", want.toilets)
	check("tapWaterReformed", want.tap)
	check("publicToiletsBuilt", want.publicBuilt)
	check("garbagePoolsBuilt", want.poolsBuilt)
	check("publicToilets", want.publicNow)
	check("garbagePools", want.poolsNow)
	check("collectionPoints", want.points)
	check("bins", want.bins)
	check("transferStations", want.stations)
	check("cleaners", 2)
	check("housingReform", want.housing)
	check("housingNewBuild", want.newBuild)
	check("housingRepair", want.repair)
	check("housingSubsidyYuan", want.subsidy)
	check("households", want.households)
	check("householdsCovered", want.covered)
	check("coveragePercent", math.Round(float64(want.covered)*1000/float64(want.households))/10)
	check("assessmentAverage", 80.0)
	check("inspections", 3)
	if len(sum.Villages) != len(demoVillages) || sum.Villages[0].Village != tw.v1 || sum.Villages[0].Figures["cleaners"] != 2.0 ||
		sum.Villages[1].Figures["cleaners"] != 1.0 || sum.Villages[0].Figures["assessmentAverage"] != 75.0 {
		t.Errorf("per village: %+v", sum.Villages[:2])
	}

	wantText := []string{
		"2026年1月1日至2026年10月31日，长岭镇共拆除危旧房" + fmt.Sprint(want.demolished) + "处、面积" + fmt.Sprintf("%.0f", want.area) + "平方米",
		fmt.Sprintf("完成改水改厕%d户，其中改水%d户", want.toilets, want.tap),
		fmt.Sprintf("建公厕%d座，建垃圾池%d座", want.publicBuilt, want.poolsBuilt),
		fmt.Sprintf("设置垃圾收集点%d处，配置垃圾桶%d只，建有垃圾压缩中转站%d座，聘请卫生保洁员2人", want.points, want.bins, want.stations),
		fmt.Sprintf("农村安居工程完成%d户，其中新建户%d户、维修户%d户，补助资金%.1f万元", want.housing, want.newBuild, want.repair, want.subsidy/10000),
		"月度考评3村次，平均得分80.0分",
	}
	for _, w := range wantText {
		if !strings.Contains(sum.Paragraph, w) {
			t.Errorf("paragraph lacks %q:\n%s", w, sum.Paragraph)
		}
	}

	r := tw.insp.must(200, "GET", "/api/v1/reports/summary.xlsx?from="+from+"&to="+to, nil)
	x, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer x.Close()
	rows, _ := x.GetRows("汇总")
	found := false
	for _, row := range rows {
		if len(row) >= 3 && row[0] == "拆除危旧房" {
			found = row[1] == fmt.Sprint(want.demolished) && row[2] == "处"
		}
	}
	if !found || rows[len(rows)-1][0] != sum.Paragraph {
		t.Errorf("summary sheet: %q", rows)
	}
	byVillage, _ := x.GetRows("分村")
	if len(byVillage) != len(demoVillages)+2 || byVillage[len(byVillage)-1][1] != "合计" {
		t.Errorf("village sheet: %d rows", len(byVillage))
	}

	page := tw.insp.must(200, "GET", "/api/v1/reports/summary.html?from="+from+"&to="+to, nil)
	html := string(page.Body)
	if !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") || !strings.Contains(html, sum.Paragraph) || !strings.Contains(html, "<table") {
		t.Errorf("page: %s", page.Header.Get("Content-Type"))
	}
	for _, banned := range []string{"<style", "style=", "<script"} {
		if strings.Contains(html, banned) {
			t.Errorf("the page has %s, which the content security policy blocks", banned)
		}
	}
}
