package main

import (
	"slices"
	"testing"
	"time"

	"github.com/cunjie/cunjie"
)

// People are shown by name (issue 15, item 6): GET /people names the
// authors a caller may meet, and no more.
func TestPeopleNames(t *testing.T) {
	tw := newTown(t)
	tw.admin.must(200, "PATCH", "/api/v1/users/"+userID(t, tw, "insp"), map[string]any{"name": "社上村检查员 张三"})
	tw.admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "clean2", "password": "clean2-password", "name": "温家村保洁员 李四",
		"role": "cleaner", "villages": []string{tw.v2}})

	names := func(c *client) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, p := range c.must(200, "GET", "/api/v1/people", nil).Map()["people"].([]any) {
			p := p.(map[string]any)
			out[p["username"].(string)] = p
		}
		return out
	}
	staff := names(tw.insp)
	for _, u := range []string{"admin", "insp", "clean", "clean2"} {
		if staff[u] == nil {
			t.Errorf("an inspector is not told %s's name: %v", u, staff)
		}
	}
	if p := staff["insp"]; p["name"] != "社上村检查员 张三" || p["role"] != "inspector" || len(p) != 3 {
		t.Errorf("insp: %v (want login, name and role only)", p)
	}
	mine := names(tw.clean)
	if mine["insp"] == nil || mine["admin"] == nil || mine["clean"] == nil {
		t.Errorf("a cleaner is not told the staff's and their own names: %v", mine)
	}
	if mine["clean2"] != nil {
		t.Errorf("a cleaner is told the name of another village's cleaner: %v", mine["clean2"])
	}
	if r := (&client{t: t, base: tw.m.URL()}).do("GET", "/api/v1/people", nil); r.Status != 401 {
		t.Errorf("without a token: %d", r.Status)
	}
}

func userID(t *testing.T, tw *town, username string) string {
	for _, u := range tw.admin.must(200, "GET", "/api/v1/users", nil).Map()["users"].([]any) {
		if u := u.(map[string]any); u["username"] == username {
			return u["id"].(string)
		}
	}
	t.Fatalf("no user %s", username)
	return ""
}

// A stage reached fills its date (拆除日期, 完工日期) when none is given,
// whichever way the stage was set: the reports count works by it.
func TestStageDateFilled(t *testing.T) {
	tw := newTown(t)
	today := time.Now().In(cunjie.TownZone).Format(time.DateOnly)
	loc := tw.pointIn(t, tw.v1)

	// An event: the event's day in the town (20:00 UTC is the next morning).
	dem := newID("dem")
	tw.put(tw.insp, dem, map[string]any{"kind": "demolition", "location": loc, "attrs": map[string]any{"stage": "scheduled"}})
	f := tw.clean.must(201, "POST", "/api/v1/features/"+dem+"/events", map[string]any{"opId": newID("op"), "id": newID("ev"),
		"type": "stage_changed", "status": "demolished", "at": "2026-11-20T20:00:00Z", "photos": []string{}}).Map()
	if got := attrsOf(f)["demolished_on"]; got != "2026-11-21" {
		t.Errorf("demolished by an event: demolished_on %v", got)
	}

	// An update without the date: today; a create with one keeps it.
	ht := newID("ht")
	created := tw.put(tw.clean, ht, map[string]any{"kind": "household_toilet", "location": loc, "attrs": map[string]any{"stage": "building"}})
	if created.Status != 201 || attrsOf(created.Map())["completed_on"] != nil {
		t.Fatalf("a toilet being built: %d %s", created.Status, created.Body)
	}
	r := tw.put(tw.clean, ht, map[string]any{"kind": "household_toilet", "location": loc, "baseVersion": 1, "attrs": map[string]any{"stage": "done"}})
	if r.Status != 200 || attrsOf(r.Map())["completed_on"] != today {
		t.Errorf("done by an update: %d %s (want completed_on %s)", r.Status, r.Body, today)
	}
	hr := newID("hr")
	r = tw.put(tw.insp, hr, map[string]any{"kind": "housing_reform", "location": loc, "attrs": map[string]any{"stage": "completed", "completed_on": "2026-10-01"}})
	if r.Status != 201 || attrsOf(r.Map())["completed_on"] != "2026-10-01" {
		t.Errorf("a date given: %d %s", r.Status, r.Body)
	}

	kinds := tw.clean.must(200, "GET", "/api/v1/kinds", nil).Map()["kinds"].([]any)
	i := slices.IndexFunc(kinds, func(k any) bool { return k.(map[string]any)["kind"] == "demolition" })
	if d, _ := kinds[i].(map[string]any)["stageDate"].(map[string]any); d["attr"] != "demolished_on" {
		t.Errorf("GET /kinds: the demolition's stage date %v", d)
	}
}
