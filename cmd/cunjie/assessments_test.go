package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/api"
)

// The monthly assessment through the whole program: templates, inspections,
// the rectification loop, closing a month, the ranking and its exports.

// testItems is a four-item checklist totalling 100.
var testItems = []map[string]any{
	{"id": "roads", "description": "道路沟渠无垃圾", "maxPoints": 40},
	{"id": "bins", "description": "垃圾桶不满溢", "maxPoints": 30},
	{"id": "toilets", "description": "公厕干净无异味", "maxPoints": 20},
	{"id": "duty", "description": "保洁员在岗", "maxPoints": 10},
}

// newAssessTown is a town whose office made the checklist "monthly", version 1.
func newAssessTown(t *testing.T) *town {
	t.Helper()
	tw := newTown(t)
	tw.admin.must(201, "POST", "/api/v1/templates", map[string]any{"id": "monthly", "name": "村庄环境卫生月度考评表", "items": testItems})
	return tw
}

// scores gives the four items of testItems these points, in order.
func scores(points ...float64) []map[string]any {
	out := make([]map[string]any, len(points))
	for i, p := range points {
		out[i] = map[string]any{"item": testItems[i]["id"], "points": p}
	}
	return out
}

// inspection is the body of a new inspection scored with version 1.
func inspection(village, month, at string, points []float64, problems ...map[string]any) map[string]any {
	if problems == nil {
		problems = []map[string]any{}
	}
	return map[string]any{"opId": newID("op"), "village": village, "month": month, "template": "monthly", "templateVersion": 1,
		"scores": scores(points...), "problems": problems, "at": at}
}

// problemAt is a problem found at a point of village.
func (tw *town) problemAt(t *testing.T, village, description string, photos ...string) map[string]any {
	return map[string]any{"id": newID("prob"), "location": tw.pointIn(t, village), "description": description, "photos": photos}
}

// errCurrent returns error.current of a conflict answer.
func errCurrent(r *response) map[string]any {
	cur, _ := r.Map()["error"].(map[string]any)["current"].(map[string]any)
	return cur
}

func TestTemplatesAndVersions(t *testing.T) {
	tw := newAssessTown(t)
	if r := tw.insp.do("POST", "/api/v1/templates", map[string]any{"name": "x", "items": testItems}); r.Status != 403 {
		t.Errorf("inspector creates a template: %d", r.Status)
	}
	bad := slices.Clone(testItems)
	bad[3] = map[string]any{"id": "duty", "description": "保洁员在岗", "maxPoints": 5}
	if r := tw.admin.do("POST", "/api/v1/templates", map[string]any{"name": "x", "items": bad}); r.Status != 400 || r.ErrFields()["items"] == "" {
		t.Errorf("a template of 95 points: %d %s", r.Status, r.Body)
	}
	if r := tw.admin.do("POST", "/api/v1/templates", map[string]any{"id": "monthly", "name": "x", "items": testItems}); r.Status != 409 {
		t.Errorf("a second template monthly: %d", r.Status)
	}

	// An inspection scored with version 1 keeps it after the checklist changes.
	id := newID("insp")
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+id, inspection(tw.v1, "2026-09", "2026-09-10T02:00:00Z", []float64{35, 25, 18, 10}))
	v2items := []map[string]any{
		{"id": "roads", "description": "道路沟渠无垃圾", "maxPoints": 30},
		{"id": "bins", "description": "垃圾桶不满溢", "maxPoints": 30},
		{"id": "toilets", "description": "公厕干净无异味", "maxPoints": 20},
		{"id": "duty", "description": "保洁员在岗", "maxPoints": 10},
		{"id": "rivers", "description": "河塘水面无漂浮物", "maxPoints": 10},
	}
	v2 := tw.admin.must(200, "PUT", "/api/v1/templates/monthly", map[string]any{"name": "村庄环境卫生月度考评表", "items": v2items, "baseVersion": 1}).Map()
	if v2["version"] != 2.0 || v2["total"] != 100.0 || len(v2["items"].([]any)) != 5 {
		t.Fatalf("version 2: %v", v2)
	}
	r := tw.admin.do("PUT", "/api/v1/templates/monthly", map[string]any{"name": "别人改的", "items": v2items, "baseVersion": 1})
	if r.Status != 409 || errCurrent(r)["version"] != 2.0 {
		t.Fatalf("a change of version 1 again: %d %s", r.Status, r.Body)
	}
	v1 := tw.clean.must(200, "GET", "/api/v1/templates/monthly?version=1", nil).Map()
	if v1["version"] != 1.0 || len(v1["items"].([]any)) != 4 {
		t.Errorf("version 1: %v", v1)
	}
	list := tw.insp.must(200, "GET", "/api/v1/templates", nil).Map()["templates"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["version"] != 2.0 {
		t.Errorf("list: %v", list)
	}
	got := tw.insp.must(200, "GET", "/api/v1/inspections/"+id, nil).Map()
	if got["templateVersion"] != 1.0 || got["total"] != 88.0 {
		t.Errorf("the old inspection: %v", got)
	}
	// Version 1 may still be scored (a phone offline since before the
	// change); version 3 does not exist.
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("insp"), inspection(tw.v2, "2026-10", "2026-10-10T02:00:00Z", []float64{40, 30, 20, 10}))
	b := inspection(tw.v2, "2026-10", "2026-10-10T02:00:00Z", []float64{40, 30, 20, 10})
	b["templateVersion"] = 3
	if r := tw.insp.do("PUT", "/api/v1/inspections/"+newID("insp"), b); r.Status != 400 || r.ErrFields()["templateVersion"] == "" {
		t.Errorf("version 3: %d %s", r.Status, r.Body)
	}
	// Scored with version 2, the fifth item is needed.
	b = inspection(tw.v2, "2026-10", "2026-10-11T02:00:00Z", []float64{30, 30, 20, 10})
	b["templateVersion"] = 2
	if r := tw.insp.do("PUT", "/api/v1/inspections/"+newID("insp"), b); r.Status != 400 || !strings.Contains(r.ErrFields()["scores"], "rivers") {
		t.Errorf("version 2 without rivers: %d %s", r.Status, r.Body)
	}
}

func TestInspectionScoringValidation(t *testing.T) {
	tw := newAssessTown(t)
	at := "2026-10-10T02:00:00Z"
	cases := []struct {
		name  string
		edit  func(b map[string]any)
		field string
	}{
		{"over max", func(b map[string]any) { b["scores"].([]map[string]any)[0]["points"] = 41 }, "scores[0].points"},
		{"negative", func(b map[string]any) { b["scores"].([]map[string]any)[2]["points"] = -1 }, "scores[2].points"},
		{"points missing", func(b map[string]any) { delete(b["scores"].([]map[string]any)[1], "points") }, "scores[1].points"},
		{"item missing", func(b map[string]any) { b["scores"] = b["scores"].([]map[string]any)[:3] }, "scores"},
		{"unknown item", func(b map[string]any) { b["scores"].([]map[string]any)[3]["item"] = "rivers" }, "scores[3].item"},
		{"item twice", func(b map[string]any) { b["scores"].([]map[string]any)[3]["item"] = "roads" }, "scores[3].item"},
		{"unknown village", func(b map[string]any) { b["village"] = "999999999999" }, "village"},
		{"month to come", func(b map[string]any) { b["month"] = "2099-01" }, "month"},
		{"bad month", func(b map[string]any) { b["month"] = "2026-9" }, "month"},
		{"no opId", func(b map[string]any) { delete(b, "opId") }, "opId"},
		{"no template", func(b map[string]any) { delete(b, "template") }, "template"},
		{"no time", func(b map[string]any) { delete(b, "at") }, "at"},
		{"problem without place", func(b map[string]any) { b["problems"] = []map[string]any{{"id": "p-x", "description": "垃圾"}} }, "problems[0].location"},
		{"server field", func(b map[string]any) { b["total"] = 100 }, "total"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := inspection(tw.v1, "2026-10", at, []float64{30, 20, 15, 10})
			tc.edit(b)
			r := tw.insp.do("PUT", "/api/v1/inspections/"+newID("insp"), b)
			if r.Status != 400 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if _, ok := r.ErrFields()[tc.field]; !ok {
				t.Errorf("fields %v do not name %s", r.ErrFields(), tc.field)
			}
		})
	}
	if r := tw.clean.do("PUT", "/api/v1/inspections/"+newID("insp"), inspection(tw.v1, "2026-10", at, []float64{30, 20, 15, 10})); r.Status != 403 {
		t.Errorf("a cleaner inspects: %d", r.Status)
	}
	// Nothing of the refused writes was stored.
	list := tw.admin.must(200, "GET", "/api/v1/inspections?month=2026-10", nil).Map()["inspections"].([]any)
	if len(list) != 0 {
		t.Errorf("refused inspections stored: %v", list)
	}
}

func TestInspectionIdempotent(t *testing.T) {
	tw := newAssessTown(t)
	id := newID("insp")
	body := inspection(tw.v1, "2026-10", "2026-10-10T02:00:00Z", []float64{30, 20, 15, 10}, tw.problemAt(t, tw.v1, "路边有垃圾堆", "ph-1"))
	first := tw.insp.must(201, "PUT", "/api/v1/inspections/"+id, body).Map()
	if first["total"] != 75.0 || first["version"] != 1.0 || len(first["problems"].([]any)) != 1 {
		t.Fatalf("created: %v", first)
	}
	prob := first["problems"].([]any)[0].(map[string]any)
	if prob["deadline"] != "2026-10-17" || prob["status"] != "open" || prob["overdue"] != true || prob["village"] != tw.v1 {
		t.Errorf("problem: %v", prob)
	}
	// The same op again: the first outcome, nothing new.
	r := tw.insp.must(200, "PUT", "/api/v1/inspections/"+id, body)
	if r.Header.Get("X-Cunjie-Result") != "duplicate" || r.Map()["version"] != 1.0 {
		t.Fatalf("replay: %s %s", r.Header.Get("X-Cunjie-Result"), r.Body)
	}
	// Another op creating the same id: a conflict with the server's copy.
	other := inspection(tw.v1, "2026-10", "2026-10-10T02:00:00Z", []float64{40, 30, 20, 10})
	r = tw.insp.do("PUT", "/api/v1/inspections/"+id, other)
	if r.Status != 409 || errCurrent(r)["total"] != 75.0 {
		t.Fatalf("create over an existing inspection: %d %s", r.Status, r.Body)
	}
	// A correction of version 1, and its replay; a stale one conflicts.
	fix := inspection(tw.v1, "2026-10", "2026-10-10T02:00:00Z", []float64{30, 25, 15, 10})
	fix["baseVersion"] = 1
	if got := tw.insp.must(200, "PUT", "/api/v1/inspections/"+id, fix).Map(); got["version"] != 2.0 || got["total"] != 80.0 || len(got["problems"].([]any)) != 1 {
		t.Fatalf("correction: %v", got)
	}
	if r := tw.insp.must(200, "PUT", "/api/v1/inspections/"+id, fix); r.Header.Get("X-Cunjie-Result") != "duplicate" {
		t.Errorf("replayed correction: %s", r.Body)
	}
	stale := inspection(tw.v1, "2026-10", "2026-10-10T02:00:00Z", []float64{0, 0, 0, 0})
	stale["baseVersion"] = 1
	if r := tw.insp.do("PUT", "/api/v1/inspections/"+id, stale); r.Status != 409 || errCurrent(r)["version"] != 2.0 {
		t.Errorf("stale correction: %d %s", r.Status, r.Body)
	}
	moved := inspection(tw.v2, "2026-10", "2026-10-10T02:00:00Z", []float64{30, 25, 15, 10})
	moved["baseVersion"] = 2
	if r := tw.insp.do("PUT", "/api/v1/inspections/"+id, moved); r.Status != 400 || r.ErrFields()["village"] == "" {
		t.Errorf("correction to another village: %d %s", r.Status, r.Body)
	}
	// A problem id may not be taken by another inspection.
	reused := inspection(tw.v2, "2026-10", "2026-10-11T02:00:00Z", []float64{30, 25, 15, 10}, map[string]any{
		"id": prob["id"], "location": tw.pointIn(t, tw.v2), "description": "另一个问题"})
	if r := tw.insp.do("PUT", "/api/v1/inspections/"+newID("insp"), reused); r.Status != 409 {
		t.Errorf("a problem id of another inspection: %d %s", r.Status, r.Body)
	}
	// Sync ops take the same entry point: a replay there is a duplicate too.
	var w api.InspectionWrite
	if err := json.Unmarshal(mustJSON(t, body), &w); err != nil {
		t.Fatal(err)
	}
	if res, got, err := tw.m.Server.PutInspection(context.Background(), userNamed(t, tw.m, "insp"), id, &w); res != "duplicate" || err != nil || got == nil {
		t.Errorf("replay through PutInspection: %s %v %v", res, got, err)
	}
	list := tw.insp.must(200, "GET", "/api/v1/inspections?month=2026-10&village="+tw.v1, nil).Map()["inspections"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != id {
		t.Errorf("the village's inspections: %v", list)
	}
	// A cleaner of another village cannot see it, nor tell it exists.
	tw.admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "other", "password": "other-password", "role": "cleaner", "villages": []string{tw.v2}})
	other2 := login(t, tw.m, "other", "other-password")
	if r := other2.do("GET", "/api/v1/inspections/"+id, nil); r.Status != 404 {
		t.Errorf("cleaner of another village reads the inspection: %d", r.Status)
	}
	if got := other2.must(200, "GET", "/api/v1/inspections?month=2026-10", nil).Map()["inspections"].([]any); len(got) != 0 {
		t.Errorf("cleaner of another village lists: %v", got)
	}
	tw.clean.must(200, "GET", "/api/v1/inspections/"+id, nil)
}

// userNamed reads a user from the store, as the sync handler has it.
func userNamed(t *testing.T, m *Main, username string) *cunjie.User {
	t.Helper()
	users, err := m.Store.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Username == username {
			return u
		}
	}
	t.Fatalf("no user %s", username)
	return nil
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAssessmentCloseMonth(t *testing.T) {
	tw := newAssessTown(t)
	id := newID("insp")
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+id, inspection(tw.v1, "2026-09", "2026-09-10T02:00:00Z", []float64{30, 20, 15, 10},
		tw.problemAt(t, tw.v1, "垃圾桶满溢", "ph-1")))
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("insp"), inspection(tw.v2, "2026-09", "2026-09-12T02:00:00Z", []float64{40, 30, 20, 5}))
	if r := tw.insp.do("POST", "/api/v1/assessments/2026-09/close", nil); r.Status != 403 {
		t.Errorf("inspector closes a month: %d", r.Status)
	}
	if r := tw.admin.do("POST", "/api/v1/assessments/2099-01/close", nil); r.Status != 400 {
		t.Errorf("closing a month to come: %d", r.Status)
	}
	closed := tw.admin.must(200, "POST", "/api/v1/assessments/2026-09/close", nil).Map()
	if closed["closed"] != true || closed["closedBy"] != "admin" {
		t.Fatalf("closed: %v", closed)
	}
	rows := closed["villages"].([]any)
	if top := rows[0].(map[string]any); top["village"] != tw.v2 || top["score"] != 95.0 || top["rank"] != 1.0 {
		t.Errorf("final ranking: %v", rows[:2])
	}
	// Closed: a correction and a new inspection are refused, nothing changes.
	fix := inspection(tw.v1, "2026-09", "2026-09-10T02:00:00Z", []float64{40, 30, 20, 10})
	fix["baseVersion"] = 1
	if r := tw.insp.do("PUT", "/api/v1/inspections/"+id, fix); r.Status != 409 {
		t.Errorf("correction in a closed month: %d %s", r.Status, r.Body)
	}
	late := newID("insp")
	if r := tw.insp.do("PUT", "/api/v1/inspections/"+late, inspection(demoCode(2), "2026-09", "2026-09-28T02:00:00Z", []float64{40, 30, 20, 10},
		tw.problemAt(t, demoCode(2), "新问题"))); r.Status != 409 || r.ErrFields()["month"] == "" {
		t.Errorf("new inspection in a closed month: %d %s", r.Status, r.Body)
	}
	if r := tw.insp.do("GET", "/api/v1/inspections/"+late, nil); r.Status != 404 {
		t.Errorf("the refused inspection was kept: %d", r.Status)
	}
	again := tw.admin.must(200, "POST", "/api/v1/assessments/2026-09/close", nil)
	if again.Header.Get("X-Cunjie-Result") != "duplicate" || again.Map()["closedAt"] != closed["closedAt"] {
		t.Errorf("closing twice: %s", again.Body)
	}
	got := tw.insp.must(200, "GET", "/api/v1/assessments?month=2026-09", nil).Map()
	if got["closed"] != true || got["villages"].([]any)[1].(map[string]any)["score"] != 75.0 {
		t.Errorf("ranking of the closed month: %v", got)
	}
	// The rectification loop goes on in a closed month.
	prob := tw.insp.must(200, "GET", "/api/v1/inspections/"+id, nil).Map()["problems"].([]any)[0].(map[string]any)
	tw.clean.must(200, "POST", "/api/v1/problems/"+prob["id"].(string)+"/rectify", map[string]any{"opId": newID("op"), "photos": []string{"ph-after"}})
	// The next month is open.
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("insp"), inspection(tw.v1, "2026-10", "2026-10-10T02:00:00Z", []float64{40, 30, 20, 10}))
}

func TestProblemRectificationLoop(t *testing.T) {
	tw := newAssessTown(t)
	tw.admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "other", "password": "other-password", "role": "cleaner", "villages": []string{tw.v2}})
	other := login(t, tw.m, "other", "other-password")
	late := tw.problemAt(t, tw.v1, "沟渠里有塑料袋", "ph-1") // deadline 7 days after the visit: passed
	later := tw.problemAt(t, tw.v1, "公厕有异味")
	later["deadline"] = "2099-12-31"
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("insp"), inspection(tw.v1, "2026-10", "2026-10-10T02:00:00Z", []float64{30, 20, 15, 10}, late, later))
	id := late["id"].(string)
	path := "/api/v1/problems/" + id

	open := tw.clean.must(200, "GET", "/api/v1/problems?status=open", nil).Map()["problems"].([]any)
	if len(open) != 2 || open[0].(map[string]any)["id"] != id || open[0].(map[string]any)["overdue"] != true || open[1].(map[string]any)["overdue"] != false {
		t.Fatalf("the cleaner's open problems, by deadline: %v", open)
	}
	if got := tw.clean.must(200, "GET", "/api/v1/problems?overdue=true", nil).Map()["problems"].([]any); len(got) != 1 {
		t.Errorf("overdue problems: %v", got)
	}
	rank := func() map[string]any {
		for _, row := range tw.insp.must(200, "GET", "/api/v1/assessments?month=2026-10", nil).Map()["villages"].([]any) {
			if row.(map[string]any)["village"] == tw.v1 {
				return row.(map[string]any)
			}
		}
		t.Fatal("village not ranked")
		return nil
	}
	if r := rank(); r["openProblems"] != 2.0 || r["overdueProblems"] != 1.0 {
		t.Errorf("counts before: %v", r)
	}

	// Who may do what.
	if r := other.do("GET", path, nil); r.Status != 404 {
		t.Errorf("cleaner of another village reads: %d", r.Status)
	}
	if r := other.do("POST", path+"/rectify", map[string]any{"opId": newID("op"), "photos": []string{"x"}}); r.Status != 404 {
		t.Errorf("cleaner of another village rectifies: %d", r.Status)
	}
	if r := other.do("GET", "/api/v1/problems?village="+tw.v1, nil); r.Status != 404 {
		t.Errorf("cleaner of another village lists: %d", r.Status)
	}
	if got := other.must(200, "GET", "/api/v1/problems", nil).Map()["problems"].([]any); len(got) != 0 {
		t.Errorf("cleaner of another village sees: %v", got)
	}
	if r := tw.clean.do("POST", path+"/verify", map[string]any{"opId": newID("op"), "accept": true}); r.Status != 403 {
		t.Errorf("cleaner verifies: %d", r.Status)
	}
	// Wrong state, bad bodies.
	if r := tw.insp.do("POST", path+"/verify", map[string]any{"opId": newID("op"), "accept": true}); r.Status != 409 || errCurrent(r)["status"] != "open" {
		t.Errorf("verify an open problem: %d %s", r.Status, r.Body)
	}
	if r := tw.clean.do("POST", path+"/rectify", map[string]any{"opId": newID("op"), "note": "清理了"}); r.Status != 400 || r.ErrFields()["photos"] == "" {
		t.Errorf("rectify without a photo: %d %s", r.Status, r.Body)
	}
	if r := tw.insp.do("POST", path+"/verify", map[string]any{"opId": newID("op")}); r.Status != 400 || r.ErrFields()["accept"] == "" {
		t.Errorf("verify without accept: %d %s", r.Status, r.Body)
	}

	// open → rectified, replayed, and again from the wrong state.
	rect := map[string]any{"opId": newID("op"), "note": "已清理", "photos": []string{"ph-after-1"}, "at": "2026-11-01T03:00:00Z"}
	p := tw.clean.must(200, "POST", path+"/rectify", rect).Map()
	if p["status"] != "rectified" || p["overdue"] != false {
		t.Fatalf("rectified: %v", p)
	}
	if r := tw.clean.must(200, "POST", path+"/rectify", rect); r.Header.Get("X-Cunjie-Result") != "duplicate" || r.Map()["version"] != p["version"] {
		t.Errorf("replayed rectification: %s", r.Body)
	}
	if r := tw.clean.do("POST", path+"/rectify", map[string]any{"opId": newID("op"), "photos": []string{"ph-2"}}); r.Status != 409 {
		t.Errorf("rectify a rectified problem: %d", r.Status)
	}
	if r := rank(); r["openProblems"] != 1.0 || r["overdueProblems"] != 0.0 || r["rectifiedProblems"] != 1.0 {
		t.Errorf("counts after the rectification: %v", r)
	}
	// rectified → open (refused), with a new deadline that has not passed.
	p = tw.insp.must(200, "POST", path+"/verify", map[string]any{"opId": newID("op"), "accept": false, "note": "还有垃圾"}).Map()
	if p["status"] != "open" || p["overdue"] != false || p["deadline"].(string) <= "2026-11-01" {
		t.Fatalf("reopened: %v", p)
	}
	// open → rectified by an inspector (staff may) → verified.
	tw.insp.must(200, "POST", path+"/rectify", map[string]any{"opId": newID("op"), "photos": []string{"ph-after-2"}})
	verify := map[string]any{"opId": newID("op"), "accept": true, "note": "合格"}
	p = tw.insp.must(200, "POST", path+"/verify", verify).Map()
	if p["status"] != "verified" {
		t.Fatalf("verified: %v", p)
	}
	if r := tw.insp.must(200, "POST", path+"/verify", verify); r.Header.Get("X-Cunjie-Result") != "duplicate" {
		t.Errorf("replayed verification: %s", r.Body)
	}
	if r := tw.insp.do("POST", path+"/verify", map[string]any{"opId": newID("op"), "accept": false}); r.Status != 409 {
		t.Errorf("verify a verified problem: %d", r.Status)
	}
	if r := tw.clean.do("POST", path+"/rectify", map[string]any{"opId": newID("op"), "photos": []string{"ph-3"}}); r.Status != 409 {
		t.Errorf("rectify a verified problem: %d", r.Status)
	}
	var actions []string
	for _, h := range tw.clean.must(200, "GET", path, nil).Map()["history"].([]any) {
		actions = append(actions, h.(map[string]any)["action"].(string))
	}
	if want := []string{"created", "rectified", "reopened", "rectified", "verified"}; !slices.Equal(actions, want) {
		t.Errorf("history %v, want %v", actions, want)
	}
	if got := tw.clean.must(200, "GET", "/api/v1/problems?status=verified", nil).Map()["problems"].([]any); len(got) != 1 {
		t.Errorf("verified problems: %v", got)
	}
}

func TestAssessmentRankingAndTrend(t *testing.T) {
	tw := newAssessTown(t)
	v3 := demoCode(2)
	put := func(village, month, day string, points ...float64) {
		tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("insp"), inspection(village, month, month+"-"+day+"T02:00:00Z", points))
	}
	put(tw.v1, "2026-09", "10", 30, 25, 15, 10) // 80
	put(tw.v2, "2026-09", "11", 40, 30, 20, 5)  // 95
	put(tw.v1, "2026-10", "08", 40, 25, 15, 10) // 90
	put(tw.v1, "2026-10", "20", 35, 25, 16, 10) // 86: mean 88
	put(tw.v2, "2026-10", "09", 38, 25, 15, 10) // 88
	put(v3, "2026-10", "10", 40, 27, 17, 8)     // 92
	r := tw.insp.must(200, "GET", "/api/v1/assessments?month=2026-10", nil).Map()
	rows := r["villages"].([]any)
	if len(rows) != len(demoVillages) {
		t.Fatalf("%d rows, want every village", len(rows))
	}
	want := []struct {
		village     string
		rank        float64
		score       any
		change      any
		inspections float64
	}{
		{v3, 1, 92.0, nil, 1}, {tw.v1, 2, 88.0, 8.0, 2}, {tw.v2, 2, 88.0, -7.0, 1}, {demoCode(3), 0, nil, nil, 0},
	}
	for i, w := range want {
		row := rows[i].(map[string]any)
		rank, _ := row["rank"].(float64)
		if row["village"] != w.village || rank != w.rank || row["score"] != w.score || row["change"] != w.change || row["inspections"] != w.inspections {
			t.Errorf("row %d: %v, want %+v", i, row, w)
		}
	}
	if r["average"] != 89.3 || r["closed"] != false {
		t.Errorf("average %v closed %v", r["average"], r["closed"])
	}
	// A cleaner sees their village's row, ranked among all.
	mine := tw.clean.must(200, "GET", "/api/v1/assessments?month=2026-10", nil).Map()["villages"].([]any)
	if len(mine) != 1 || mine[0].(map[string]any)["rank"] != 2.0 {
		t.Errorf("cleaner's ranking: %v", mine)
	}

	tr := tw.insp.must(200, "GET", "/api/v1/assessments/trend?months=3&to=2026-10", nil).Map()
	if got := tr["months"].([]any); len(got) != 3 || got[0] != "2026-08" || got[2] != "2026-10" {
		t.Fatalf("months %v", got)
	}
	if avg := tr["average"].([]any); avg[0] != nil || avg[1] != 87.5 || avg[2] != 89.3 {
		t.Errorf("average %v", avg)
	}
	one := tw.insp.must(200, "GET", "/api/v1/assessments/trend?months=3&to=2026-10&village="+tw.v1, nil).Map()["villages"].([]any)
	if len(one) != 1 {
		t.Fatalf("one village's trend: %v", one)
	}
	if sc := one[0].(map[string]any)["scores"].([]any); sc[0] != nil || sc[1] != 80.0 || sc[2] != 88.0 {
		t.Errorf("scores %v", sc)
	}
	if r := tw.clean.do("GET", "/api/v1/assessments/trend?village="+tw.v2, nil); r.Status != 404 {
		t.Errorf("cleaner's trend of another village: %d", r.Status)
	}
	if r := tw.insp.do("GET", "/api/v1/assessments/trend?months=99", nil); r.Status != 400 {
		t.Errorf("99 months: %d", r.Status)
	}
}

func TestAssessmentExports(t *testing.T) {
	tw := newAssessTown(t)
	first := tw.problemAt(t, tw.v1, "河塘有漂浮物", "ph-a", "ph-b")
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("insp"), inspection(tw.v1, "2026-10", "2026-10-08T02:00:00Z", []float64{40, 25, 15, 10}, first))
	second := inspection(tw.v1, "2026-10", "2026-10-20T02:00:00Z", []float64{35, 25, 16, 10})
	second["scores"].([]map[string]any)[0]["note"] = "村口有垃圾"
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("insp"), second)
	tw.insp.must(201, "PUT", "/api/v1/inspections/"+newID("insp"), inspection(tw.v2, "2026-10", "2026-10-09T02:00:00Z", []float64{38, 25, 15, 10}))
	tw.clean.must(200, "POST", "/api/v1/problems/"+first["id"].(string)+"/rectify", map[string]any{"opId": newID("op"), "photos": []string{"ph-fixed"}})

	if r := tw.clean.do("GET", "/api/v1/assessments/2026-10/export.xlsx", nil); r.Status != 403 {
		t.Errorf("cleaner exports: %d", r.Status)
	}
	r := tw.insp.must(200, "GET", "/api/v1/assessments/2026-10/export.xlsx", nil)
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != len(demoVillages)+2 || sheets[0] != "排名" || sheets[1] != demoVillages[0].name || sheets[len(sheets)-1] != "问题" {
		t.Fatalf("sheets %v", sheets)
	}
	rank, _ := f.GetRows("排名")
	if len(rank) != len(demoVillages)+1 || rank[0][0] != "排名" {
		t.Fatalf("ranking sheet: %v", rank[:2])
	}
	// 社上村 (v1): 90 and 86, mean 88; 温家村 (v2): 88, the same rank, after by code.
	if got := rank[1][:7]; !slices.Equal(got, []string{"1", tw.v1, demoVillages[0].name, "88", "", "", "2"}) {
		t.Errorf("first row %q", got)
	}
	if got := rank[2][:4]; !slices.Equal(got, []string{"1", tw.v2, demoVillages[1].name, "88"}) {
		t.Errorf("second row %q", got)
	}
	items, _ := f.GetRows(demoVillages[0].name)
	if len(items) != 6 {
		t.Fatalf("item sheet rows: %q", items)
	}
	if items[0][3] != "2026-10-08 insp" || items[0][5] != "平均" {
		t.Errorf("item sheet header: %q", items[0])
	}
	if got := items[1]; !slices.Equal(got, []string{"roads", "道路沟渠无垃圾", "40", "40", "35", "37.5", "2026-10-20：村口有垃圾"}) {
		t.Errorf("roads row %q", got)
	}
	if got := items[5]; !slices.Equal(got[1:], []string{"合计", "100", "90", "86", "88"}) {
		t.Errorf("totals row %q", got)
	}
	if none, _ := f.GetRows(demoVillages[5].name); len(none) != 1 || none[0][0] != "本月无检查记录" {
		t.Errorf("a village without inspections: %q", none)
	}
	probs, _ := f.GetRows("问题")
	if len(probs) != 2 || probs[1][0] != first["id"] || probs[1][3] != "河塘有漂浮物" || probs[1][7] != "已整改待验收" {
		t.Fatalf("problems sheet: %q", probs)
	}
	head := probs[0]
	col := slices.Index(head, "问题照片2")
	if col < 0 || !strings.HasSuffix(probs[1][col], "/api/v1/photos/ph-b") {
		t.Errorf("photo link: %q", probs[1])
	}
	cell, _ := excelize.CoordinatesToCellName(col+1, 2)
	if ok, link, _ := f.GetCellHyperLink("问题", cell); !ok || !strings.HasSuffix(link, "/api/v1/photos/ph-b") {
		t.Errorf("cell %s is no link: %v %q", cell, ok, link)
	}
	if fixed := slices.Index(head, "整改照片1"); fixed < 0 || !strings.HasSuffix(probs[1][fixed], "/api/v1/photos/ph-fixed") {
		t.Errorf("rectification photo: %q %q", head, probs[1])
	}

	csv := tw.insp.must(200, "GET", "/api/v1/assessments/2026-10/export.csv", nil)
	if !bytes.HasPrefix(csv.Body, []byte("\ufeff排名,村代码,村名,得分")) {
		t.Fatalf("csv head %q", csv.Body[:min(60, len(csv.Body))])
	}
	lines := strings.Split(strings.TrimSpace(string(csv.Body)), "\r\n")
	if len(lines) != len(demoVillages)+1 || !strings.HasPrefix(lines[1], "1,"+tw.v1+","+demoVillages[0].name+",88,") {
		t.Errorf("csv rows: %q", lines[:3])
	}
}

// TestAssessmentCloseMonthRace writes inspections while the month is closed: each is
// either in the final ranking or refused, never stored and left out.
func TestAssessmentCloseMonthRace(t *testing.T) {
	tw := newAssessTown(t)
	ctx := context.Background()
	insp, admin := userNamed(t, tw.m, "insp"), userNamed(t, tw.m, "admin")
	codes := demoCodes()
	results := make([]string, len(codes))
	done := make(chan struct{})
	for i, code := range codes {
		go func() {
			defer func() { done <- struct{}{} }()
			var w api.InspectionWrite
			json.Unmarshal(mustJSON(t, inspection(code, "2026-08", "2026-08-10T02:00:00Z", []float64{30, 20, 15, 10})), &w)
			results[i], _, _ = tw.m.Server.PutInspection(ctx, insp, "race-"+code, &w)
		}()
	}
	res, r, err := tw.m.Server.CloseMonth(ctx, admin, "2026-08")
	for range codes {
		<-done
	}
	if err != nil || res != "applied" {
		t.Fatalf("close: %s %v", res, err)
	}
	for i, row := range r.Villages {
		j := slices.Index(codes, row.Village)
		switch results[j] {
		case "applied":
			if row.Inspections != 1 || row.Score == nil || *row.Score != 75 {
				t.Errorf("village %s: its inspection was stored but is not in the final ranking: %+v", row.Village, row)
			}
		case "conflict":
			if row.Inspections != 0 {
				t.Errorf("village %s: refused, yet ranked: %+v", row.Village, row)
			}
			if r := tw.insp.do("GET", "/api/v1/inspections/race-"+row.Village, nil); r.Status != 404 {
				t.Errorf("village %s: refused, yet stored: %d", row.Village, r.Status)
			}
		default:
			t.Errorf("row %d: result %q", i, results[j])
		}
	}
	// Whatever came first, the ranking read later is the stored one.
	again, _ := tw.m.Server.Ranking(ctx, admin, "2026-08")
	for i := range again.Villages {
		if again.Villages[i].Inspections != r.Villages[i].Inspections {
			t.Errorf("ranking changed after the close: %+v, then %+v", r.Villages[i], again.Villages[i])
		}
	}
}

// TestAssessmentDemo loads the demo town's year of assessments twice (the
// second time stores nothing) and reads the ranking, trend and report.
func TestAssessmentDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the whole demo town")
	}
	m := MustRunMain(t, nil, "--demo")
	ctx := context.Background()
	insp, clean := userNamed(t, m, "inspector.sheshang"), userNamed(t, m, "cleaner.sheshang")
	start := time.Now()
	if err := loadDemoAssessments(ctx, m.Server, insp, clean); err != nil {
		t.Fatal(err)
	}
	t.Logf("demo assessments loaded in %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if err := loadDemoAssessments(ctx, m.Server, insp, clean); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a second load took %v", d)
	}
	admin := adminClient(t, m)
	tpl := admin.must(200, "GET", "/api/v1/templates/default", nil).Map()
	if tpl["version"] != 2.0 || len(tpl["items"].([]any)) != 10 || tpl["total"] != 100.0 {
		t.Errorf("demo template: %v", tpl)
	}
	sep := admin.must(200, "GET", "/api/v1/assessments?month=2026-09", nil).Map()
	if sep["closed"] != true || sep["villages"].([]any)[0].(map[string]any)["rank"] != 1.0 {
		t.Errorf("September: %v", sep)
	}
	oct := admin.must(200, "GET", "/api/v1/assessments?month=2026-10", nil).Map()
	if oct["closed"] != false {
		t.Errorf("October is closed")
	}
	for _, row := range oct["villages"].([]any) {
		if row.(map[string]any)["score"] == nil || row.(map[string]any)["change"] == nil {
			t.Errorf("October row without a score or change: %v", row)
		}
	}
	tr := admin.must(200, "GET", "/api/v1/assessments/trend?months=12&to=2026-10", nil).Map()
	for i, a := range tr["average"].([]any) {
		if i > 0 && a == nil {
			t.Errorf("trend month %v has no average", tr["months"].([]any)[i])
		}
	}
	// Problems in every state of the loop, and some open ones overdue.
	states := map[string]int{}
	for _, p := range admin.must(200, "GET", "/api/v1/problems?limit=2000", nil).Map()["problems"].([]any) {
		p := p.(map[string]any)
		states[p["status"].(string)]++
		if p["overdue"] == true {
			states["overdue"]++
		}
	}
	t.Logf("demo problems: %v", states)
	for _, s := range []string{"open", "rectified", "verified", "overdue"} {
		if states[s] == 0 {
			t.Errorf("no %s problems in the demo: %v", s, states)
		}
	}
	sum := admin.must(200, "GET", "/api/v1/reports/summary?from=2026-01-01&to=2026-11-26", nil).Map()
	t.Logf("summary paragraph:\n%s", sum["paragraph"])
	if !strings.Contains(sum["paragraph"].(string), "月度考评") {
		t.Errorf("paragraph: %s", sum["paragraph"])
	}
}
