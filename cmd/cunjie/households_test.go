package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// The household file (一户一档, issue 17 items 4 and 5): households, the
// links of their records, the file, the checks and who sees names.

type householdFile struct {
	Household map[string]any
	Records   []struct {
		Feature map[string]any
		Stages  []fileStep
	}
	Photos []fileStep
	Checks []struct {
		Rule, Basis, Household, HouseholdHead string
		Features                              []string
	}
}

type fileStep struct {
	Stage, Photo, Feature, Kind, Event, By, ByName string
	At                                             time.Time
}

// The demo's first household of 社上村 has its toilet, its housing reform
// and the old house it demolished, each with its stages (who, when) and
// photos in time order; a cleaner of the village reads the file without
// names or phone numbers, a cleaner of another village not at all.
func TestHouseholdFileDemo(t *testing.T) {
	m := MustRunMain(t, nil, "--demo")
	admin := adminClient(t, m)
	id := "demo-" + demoCode(0) + "-hh01"
	var file householdFile
	admin.must(200, "GET", "/api/v1/households/"+id, nil).JSON(&file)
	hhAttrs := file.Household["attrs"].(map[string]any)
	head, phone := hhAttrs["household_head"].(string), hhAttrs["phone"].(string)
	if file.Household["id"] != id || head == "" || phone == "" || hhAttrs["members"] == nil || hhAttrs["address"] == nil {
		t.Fatalf("household %v", file.Household)
	}
	var kinds []string
	stages := map[string][]string{}
	for _, r := range file.Records {
		kind := r.Feature["kind"].(string)
		kinds = append(kinds, kind)
		if a := r.Feature["attrs"].(map[string]any); a["household"] != id && kind != "demolition" || a["household_head"] != nil && a["household_head"] != head {
			t.Errorf("%s: attrs %v", kind, a)
		}
		for i, s := range r.Stages {
			stages[kind] = append(stages[kind], s.Stage+" "+s.By)
			if s.ByName == "" || s.At.IsZero() || i > 0 && !s.At.After(r.Stages[i-1].At) {
				t.Errorf("%s stage %d: %+v (after %+v)", kind, i, s, r.Stages[max(i-1, 0)])
			}
		}
	}
	if want := []string{"household_toilet", "demolition", "housing_reform"}; !slices.Equal(kinds, want) {
		t.Fatalf("records %v, want %v", kinds, want)
	}
	insp, clean := "inspector.sheshang", "cleaner.sheshang"
	want := map[string][]string{
		"household_toilet": {"planned " + insp, "building " + clean, "done " + insp, "accepted " + insp},
		"demolition":       {"surveyed " + insp, "scheduled " + insp, "demolished " + insp},
		"housing_reform":   {"surveyed " + insp, "applied " + insp, "approved " + insp, "started " + insp, "completed " + insp, "accepted " + insp},
	}
	for k, w := range want {
		if !slices.Equal(stages[k], w) {
			t.Errorf("%s stages %q, want %q", k, stages[k], w)
		}
	}
	// Every photo: the household's, and each record's, by events and by
	// edits, oldest first.
	if len(file.Photos) != 7 {
		t.Fatalf("%d photos, want 7: %+v", len(file.Photos), file.Photos)
	}
	for i, p := range file.Photos {
		if p.Photo == "" || p.ByName == "" || i > 0 && p.At.Before(file.Photos[i-1].At) {
			t.Errorf("photo %d: %+v", i, p)
		}
	}
	if p := file.Photos[0]; p.Feature != id || p.Event != "" {
		t.Errorf("the first photo is not the household's: %+v", p)
	}
	if p := file.Photos[1]; p.Kind != "demolition" || p.Event != "stage_changed" {
		t.Errorf("the second photo is not the old house before demolition: %+v", p)
	}
	admin.must(200, "GET", "/api/v1/photos/"+file.Photos[6].Photo+"?size=thumb", nil)

	// Not a household: no file.
	if r := admin.do("GET", "/api/v1/households/"+id+"-toilet", nil); r.Status != 404 {
		t.Errorf("a toilet's file: %d %s", r.Status, r.Body)
	}
	admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "c1", "password": "cleaner-pw-1", "role": "cleaner", "villages": []string{demoCode(0)}})
	admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "c2", "password": "cleaner-pw-2", "role": "cleaner", "villages": []string{demoCode(1)}})
	r := login(t, m, "c1", "cleaner-pw-1").must(200, "GET", "/api/v1/households/"+id, nil)
	for _, secret := range []string{head, phone, `"household_head"`, `"owner"`, `"phone"`} {
		if strings.Contains(string(r.Body), secret) {
			t.Errorf("a cleaner's file shows %s", secret)
		}
	}
	var cf householdFile
	r.JSON(&cf)
	if len(cf.Records) != 3 || len(cf.Photos) != 7 {
		t.Errorf("a cleaner's file: %d records, %d photos", len(cf.Records), len(cf.Photos))
	}
	if r := login(t, m, "c2", "cleaner-pw-2").do("GET", "/api/v1/households/"+id, nil); r.Status != 404 {
		t.Errorf("a cleaner of another village: %d %s", r.Status, r.Body)
	}
}

// Links are checked as they are written: a household of the record's own
// village, of the right kind; a household and its toilet sent in one
// batch; checks by the links and by the heads' names.
func TestHouseholdLinks(t *testing.T) {
	tw := newTown(t)
	hh, hh2, bin := newID("hh"), newID("hh"), newID("bin")
	home := tw.pointIn(t, tw.v1)
	tw.put(tw.insp, hh, map[string]any{"kind": "household", "location": home, "attrs": map[string]any{"household_head": "张三丰", "phone": "13800001111", "members": 4}})
	tw.put(tw.insp, hh2, map[string]any{"kind": "household", "location": tw.pointIn(t, tw.v2), "attrs": map[string]any{"household_head": "李四"}})
	tw.put(tw.insp, bin, map[string]any{"kind": "bin", "location": home})
	toilet := func(c *client, village, link string) *response {
		return tw.put(c, newID("t"), map[string]any{"kind": "household_toilet", "location": tw.pointIn(t, village), "attrs": map[string]any{"household_head": "张三丰", "household": link}})
	}
	t1 := toilet(tw.insp, tw.v1, hh)
	if t1.Status != 201 {
		t.Fatalf("a toilet of the household: %d %s", t1.Status, t1.Body)
	}
	wantErr(t, "a household of another village", toilet(tw.insp, tw.v1, hh2), 400, "attrs.household")
	wantErr(t, "a bin as the household", toilet(tw.insp, tw.v1, bin), 400, "attrs.household")
	wantErr(t, "an unknown household", toilet(tw.insp, tw.v1, "nobody"), 400, "attrs.household")
	r := tw.put(tw.clean, newID("t"), map[string]any{"kind": "household_toilet", "location": home, "attrs": map[string]any{"household": hh2}})
	wantErr(t, "a cleaner naming a household of a village not theirs", r, 400, "attrs.household")
	if strings.Contains(string(r.Body), tw.v2) {
		t.Errorf("the refusal tells the cleaner where %s is: %s", hh2, r.Body)
	}
	wantErr(t, "a bin as the old house", tw.put(tw.insp, newID("h"), map[string]any{"kind": "housing_reform", "location": home, "attrs": map[string]any{"old_house": bin}}), 400, "attrs.old_house")
	// An update that changes the link is checked; one that keeps it is not.
	f := t1.Map()
	wantErr(t, "relinked to a bin", tw.put(tw.insp, f["id"].(string), map[string]any{"kind": "household_toilet", "location": f["location"], "baseVersion": f["version"],
		"attrs": map[string]any{"household": bin}}), 400, "attrs.household")
	tw.insp.must(200, "PUT", "/api/v1/features/"+f["id"].(string), map[string]any{"opId": newID("op"), "kind": "household_toilet", "location": f["location"],
		"baseVersion": f["version"], "attrs": map[string]any{"stage": "building"}})

	// A cleaner records a household and its toilet offline: one batch,
	// applied in order, and the same again is answered duplicate.
	hhC, tC := newID("hh"), newID("t")
	ops := map[string]any{"ops": []any{
		map[string]any{"type": "putFeature", "id": hhC, "opId": "op-" + hhC, "feature": map[string]any{"kind": "household", "location": home, "attrs": map[string]any{"address": "社上村12号"}}},
		map[string]any{"type": "putFeature", "id": tC, "opId": "op-" + tC, "feature": map[string]any{"kind": "household_toilet", "location": home, "attrs": map[string]any{"type": "biogas", "household": hhC}}},
	}}
	for _, want := range []string{"applied", "duplicate"} {
		var res struct{ Results []struct{ Result string } }
		tw.clean.must(200, "POST", "/api/v1/sync", ops).JSON(&res)
		if len(res.Results) != 2 || res.Results[0].Result != want || res.Results[1].Result != want {
			t.Fatalf("household and toilet in one batch: %+v, want %s", res.Results, want)
		}
	}

	// Checks: a second toilet of the household (by its link), and two
	// housing-reform records of one head's name recorded without one.
	t2 := toilet(tw.insp, tw.v1, hh).Map()["id"].(string)
	h1 := tw.put(tw.insp, newID("h"), map[string]any{"kind": "housing_reform", "location": home, "attrs": map[string]any{"household_head": "王五"}}).Map()["id"].(string)
	h2 := tw.put(tw.insp, newID("h"), map[string]any{"kind": "housing_reform", "location": tw.pointIn(t, tw.v1), "attrs": map[string]any{"household_head": "王五"}}).Map()["id"].(string)
	var checks struct{ Checks []map[string]any }
	tw.insp.must(200, "GET", "/api/v1/villages/"+tw.v1+"/households/checks", nil).JSON(&checks)
	got := map[string]string{}
	for _, c := range checks.Checks {
		fs := []string{}
		for _, f := range c["features"].([]any) {
			fs = append(fs, f.(string))
		}
		got[c["rule"].(string)+" "+c["basis"].(string)] = strings.Join(fs, ",")
	}
	ids := func(xs ...string) string { slices.Sort(xs); return strings.Join(xs, ",") }
	wantChecks := map[string]string{
		"one_household_one_toilet household": ids(f["id"].(string), t2),
		"one_household_one_homestead head":   ids(h1, h2),
	}
	for k, w := range wantChecks {
		if got[k] != w {
			t.Errorf("check %s: %q, want %q (all: %v)", k, got[k], w, got)
		}
	}
	if r := tw.clean.do("GET", "/api/v1/villages/"+tw.v1+"/households/checks", nil); r.Status != 403 {
		t.Errorf("a cleaner reads the checks: %d", r.Status)
	}
	// Households are counted once: the two household records, and the two
	// housing-reform records that name none; the linked toilets not.
	if n := tw.insp.must(200, "GET", "/api/v1/villages/"+tw.v1+"/coverage", nil).Map()["households"]; n != 4.0 {
		t.Errorf("coverage counts %v households, want 4", n)
	}

	// The file: the staff see the name and the check; a cleaner neither
	// the name nor the phone, but the check.
	var file householdFile
	tw.insp.must(200, "GET", "/api/v1/households/"+hh, nil).JSON(&file)
	if len(file.Records) != 2 || len(file.Checks) != 1 || file.Checks[0].Household != hh || file.Household["attrs"].(map[string]any)["phone"] != "13800001111" {
		t.Errorf("the inspector's file: %+v", file)
	}
	r = tw.clean.must(200, "GET", "/api/v1/households/"+hh, nil)
	if strings.Contains(string(r.Body), "张三丰") || strings.Contains(string(r.Body), "13800001111") {
		t.Errorf("the cleaner's file names the household: %s", r.Body)
	}
	var cf householdFile
	r.JSON(&cf)
	if len(cf.Records) != 2 || len(cf.Checks) != 1 {
		t.Errorf("the cleaner's file: %+v", cf)
	}
}
