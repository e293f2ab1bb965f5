package main

import "testing"

// A stale update is answered with the current feature and the attributes
// at the version the phone edited, read back from the history, so the
// phone can merge field by field (issue 15).
func TestConflictCarriesBase(t *testing.T) {
	tw := newTown(t)
	id := newID("hh")
	loc := tw.pointIn(t, tw.v1)
	put := func(base int, attrs map[string]any) *response {
		return tw.insp.do("PUT", "/api/v1/features/"+id, map[string]any{"opId": newID("op"), "kind": "household_toilet",
			"location": loc, "baseVersion": base, "attrs": attrs})
	}
	tw.insp.must(201, "PUT", "/api/v1/features/"+id, map[string]any{"opId": newID("op"), "kind": "household_toilet", "location": loc,
		"attrs": map[string]any{"household_head": "胡建国", "type": "three_compartment", "stage": "building"}})
	if r := put(1, map[string]any{"note": "第一次"}); r.Status != 200 { // v2: the phone's base
		t.Fatal(r.Status, string(r.Body))
	}
	if r := put(2, map[string]any{"stage": "done"}); r.Status != 200 { // v3: the other phone
		t.Fatal(r.Status, string(r.Body))
	}
	if r := put(3, map[string]any{"note": nil}); r.Status != 200 { // v4: a field cleared
		t.Fatal(r.Status, string(r.Body))
	}
	r := put(2, map[string]any{"subsidy_yuan": 800, "note": "改了"})
	if r.Status != 409 {
		t.Fatal(r.Status, string(r.Body))
	}
	e := r.Map()["error"].(map[string]any)
	base, _ := e["base"].(map[string]any)
	if base == nil || base["version"] != 2.0 {
		t.Fatalf("no base: %s", r.Body)
	}
	attrs := base["attrs"].(map[string]any)
	if attrs["stage"] != "building" || attrs["note"] != "第一次" || attrs["household_head"] != "胡建国" || attrs["subsidy_yuan"] != nil {
		t.Errorf("base attrs: %v", attrs)
	}
	if cur := e["current"].(map[string]any)["attrs"].(map[string]any); cur["stage"] != "done" || cur["note"] != nil {
		t.Errorf("current attrs: %v", cur)
	}
	// Through /sync too, where the feature field carries the current copy.
	var res struct {
		Results []struct {
			Result string
			Error  struct {
				Base struct {
					Version float64
					Attrs   map[string]any
				}
			}
		}
	}
	tw.insp.must(200, "POST", "/api/v1/sync", map[string]any{"ops": []map[string]any{{"type": "putFeature", "id": id, "opId": "s1",
		"feature": map[string]any{"opId": "s1", "kind": "household_toilet", "location": loc, "baseVersion": 1, "attrs": map[string]any{"note": "x"}}}}}).JSON(&res)
	if len(res.Results) != 1 || res.Results[0].Result != "conflict" || res.Results[0].Error.Base.Version != 1 ||
		res.Results[0].Error.Base.Attrs["note"] != nil || res.Results[0].Error.Base.Attrs["stage"] != "building" {
		t.Errorf("sync conflict: %+v", res.Results)
	}
}
