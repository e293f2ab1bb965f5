package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Tests of what a role may and may not do to records, passwords, headers,
// photos and personal data (issue 12), through the real server.

// put creates or updates a feature and returns the answer.
func (tw *town) put(c *client, id string, body map[string]any) *response {
	if body["opId"] == nil {
		body["opId"] = newID("op")
	}
	return c.do("PUT", "/api/v1/features/"+id, createWithRequired(body, c != tw.clean))
}

func attrsOf(f map[string]any) map[string]any { return f["attrs"].(map[string]any) }

func wantErr(t *testing.T, what string, r *response, status int, fields ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
		return
	}
	got := r.ErrFields()
	for _, f := range fields {
		if _, ok := got[f]; !ok {
			t.Errorf("%s: fields %v do not name %s", what, got, f)
		}
	}
}

func TestSettledRecordsAndMoney(t *testing.T) {
	tw := newTown(t)
	loc := tw.pointIn(t, tw.v1)
	id := newID("ht")
	f := tw.put(tw.insp, id, map[string]any{"kind": "household_toilet", "location": loc,
		"attrs": map[string]any{"household_head": "李四", "type": "three_compartment", "subsidy_yuan": 800, "stage": "done"}})
	if f.Status != 201 {
		t.Fatalf("create: %d %s", f.Status, f.Body)
	}
	acc := tw.insp.must(201, "POST", "/api/v1/features/"+id+"/events", map[string]any{"opId": newID("op"), "id": newID("ev"),
		"type": "stage_changed", "status": "accepted", "at": "2026-11-20T08:00:00Z"}).Map()
	version := acc["version"].(float64)

	// The attack of the issue: back to planned with a new subsidy.
	r := tw.put(tw.clean, id, map[string]any{"kind": "household_toilet", "location": loc, "baseVersion": version,
		"attrs": map[string]any{"stage": "planned", "subsidy_yuan": 99999}})
	wantErr(t, "cleaner undoes an acceptance", r, 403, "attrs.stage", "attrs.subsidy_yuan")
	// An update that leaves the stage out keeps it; so do the personal
	// fields the cleaner was never shown.
	r = tw.put(tw.clean, id, map[string]any{"kind": "household_toilet", "location": loc, "baseVersion": version,
		"attrs": map[string]any{"note": "门口有狗"}})
	if r.Status != 200 {
		t.Fatalf("cleaner's note: %d %s", r.Status, r.Body)
	}
	stored := attrsOf(tw.admin.must(200, "GET", "/api/v1/features/"+id, nil).Map())
	if stored["stage"] != "accepted" || stored["household_head"] != "李四" || stored["subsidy_yuan"] != 800.0 || stored["note"] != "门口有狗" {
		t.Fatalf("after the cleaner's note: %v", stored)
	}
	version++

	// An event is a change like another.
	r = tw.clean.do("POST", "/api/v1/features/"+id+"/events", map[string]any{"opId": newID("op"), "id": newID("ev"),
		"type": "stage_changed", "status": "building", "at": "2026-11-21T08:00:00Z"})
	wantErr(t, "cleaner's event sets an accepted toilet back", r, 403, "status")
	r = tw.insp.do("POST", "/api/v1/features/"+id+"/events", map[string]any{"opId": newID("op"), "id": newID("ev"),
		"type": "stage_changed", "status": "building", "at": "2026-11-21T08:00:00Z"})
	wantErr(t, "inspector's event sets it back without a note", r, 400, "note")

	// Staff change a settled record only with a reason, which the
	// history keeps as a corrected event by them.
	r = tw.put(tw.insp, id, map[string]any{"kind": "household_toilet", "location": loc, "baseVersion": version,
		"attrs": map[string]any{"subsidy_yuan": 900}})
	wantErr(t, "inspector changes the subsidy without a reason", r, 400, "reason")
	r = tw.put(tw.insp, id, map[string]any{"kind": "household_toilet", "location": loc, "baseVersion": version,
		"attrs": map[string]any{"subsidy_yuan": 900}, "reason": "验收时漏算化粪池补助"})
	if r.Status != 200 {
		t.Fatalf("inspector's correction: %d %s", r.Status, r.Body)
	}
	evs := tw.admin.must(200, "GET", "/api/v1/features/"+id+"/events", nil).Map()["events"].([]any)
	last := evs[len(evs)-1].(map[string]any)
	if last["type"] != "corrected" || last["by"] != "insp" || last["note"] != "验收时漏算化粪池补助" {
		t.Errorf("the correction's event: %v", last)
	}
	// Sent as null, an attribute is cleared; a blank string too.
	r = tw.put(tw.insp, id, map[string]any{"kind": "household_toilet", "location": loc, "baseVersion": version + 1,
		"attrs": map[string]any{"note": nil}})
	if r.Status != 200 || attrsOf(r.Map())["note"] != nil || attrsOf(r.Map())["household_head"] != "李四" {
		t.Errorf("clearing the note: %d %s", r.Status, r.Body)
	}

	// The other kinds that settle.
	for _, c := range []struct {
		kind, stage, attr string
		value             any
	}{
		{"demolition", "demolished", "area_m2", 120},
		{"housing_reform", "completed", "stage", "started"},
		{"housing_reform", "accepted", "subsidy_yuan", 1},
	} {
		id := newID(c.kind)
		created := tw.put(tw.insp, id, map[string]any{"kind": c.kind, "location": tw.pointIn(t, tw.v1), "attrs": map[string]any{"stage": c.stage}})
		if created.Status != 201 {
			t.Fatalf("%s: %d %s", c.kind, created.Status, created.Body)
		}
		r := tw.put(tw.clean, id, map[string]any{"kind": c.kind, "location": created.Map()["location"], "baseVersion": 1,
			"attrs": map[string]any{c.attr: c.value}})
		wantErr(t, fmt.Sprintf("cleaner changes %s of a %s %s", c.attr, c.stage, c.kind), r, 403, "attrs."+c.attr)
	}
	// A stage moves forward; back takes staff and a reason.
	hr := newID("hr")
	created := tw.put(tw.clean, hr, map[string]any{"kind": "housing_reform", "location": loc, "attrs": map[string]any{"stage": "approved"}})
	if created.Status != 201 {
		t.Fatalf("cleaner records a housing-reform household: %d %s", created.Status, created.Body)
	}
	r = tw.put(tw.clean, hr, map[string]any{"kind": "housing_reform", "location": loc, "baseVersion": 1, "attrs": map[string]any{"stage": "applied"}})
	wantErr(t, "cleaner sets a stage back", r, 403, "attrs.stage")
	r = tw.put(tw.clean, hr, map[string]any{"kind": "housing_reform", "location": loc, "baseVersion": 1, "attrs": map[string]any{"stage": "started"}})
	if r.Status != 200 {
		t.Errorf("cleaner moves a stage on: %d %s", r.Status, r.Body)
	}
	// The same rules through /sync.
	res := tw.clean.must(200, "POST", "/api/v1/sync", map[string]any{"ops": []any{map[string]any{"type": "putFeature", "id": hr, "opId": newID("op"),
		"feature": map[string]any{"kind": "housing_reform", "location": loc, "baseVersion": 2, "attrs": map[string]any{"subsidy_yuan": 5000}}}}}).Map()
	if got := res["results"].([]any)[0].(map[string]any); got["result"] != "rejected" || got["error"].(map[string]any)["code"] != "forbidden" {
		t.Errorf("sync of a cleaner's subsidy: %v", got)
	}
}

func TestDeleteAndRestore(t *testing.T) {
	tw := newTown(t)
	mine, theirs := newID("b"), newID("b")
	tw.put(tw.insp, mine, map[string]any{"kind": "bin", "location": tw.pointIn(t, tw.v1)})
	tw.put(tw.clean, theirs, map[string]any{"kind": "bin", "location": tw.pointIn(t, tw.v1)})

	wantErr(t, "cleaner deletes", tw.clean.do("DELETE", "/api/v1/features/"+theirs, nil), 403)
	wantErr(t, "inspector deletes a cleaner's record", tw.insp.do("DELETE", "/api/v1/features/"+theirs, nil), 403)
	if d := tw.insp.must(200, "DELETE", "/api/v1/features/"+mine, nil).Map(); d["deleted"] != true {
		t.Fatalf("inspector deletes their own new record: %v", d)
	}
	if d := tw.admin.must(200, "DELETE", "/api/v1/features/"+theirs+"?opId=del-t", nil).Map(); d["deleted"] != true {
		t.Fatalf("admin deletes: %v", d)
	}
	// Deleted through /sync by a cleaner: refused.
	res := tw.clean.must(200, "POST", "/api/v1/sync", map[string]any{"ops": []any{map[string]any{"type": "deleteFeature", "id": mine, "opId": newID("op")}}}).Map()
	if got := res["results"].([]any)[0].(map[string]any); got["result"] != "rejected" {
		t.Errorf("cleaner's deleteFeature op: %v", got)
	}

	wantErr(t, "inspector restores", tw.insp.do("POST", "/api/v1/features/"+theirs+"/restore", nil), 403)
	wantErr(t, "cleaner restores", tw.clean.do("POST", "/api/v1/features/"+theirs+"/restore", nil), 403)
	r := tw.admin.must(200, "POST", "/api/v1/features/"+theirs+"/restore?opId=res-1", nil).Map()
	if r["deleted"] == true || r["version"] != 3.0 {
		t.Errorf("restored: %v", r)
	}
	if again := tw.admin.do("POST", "/api/v1/features/"+theirs+"/restore?opId=res-1", nil); again.Status != 200 || again.Header.Get("X-Cunjie-Result") != "duplicate" {
		t.Errorf("restore replayed: %d %s", again.Status, again.Body)
	}
	wantErr(t, "restore of a feature not deleted", tw.admin.do("POST", "/api/v1/features/"+theirs+"/restore?opId=res-2", nil), 409)
	wantErr(t, "restore of no feature", tw.admin.do("POST", "/api/v1/features/nothing-here/restore", nil), 404)
	// The phones learn of it through the changes feed.
	fs := tw.clean.must(200, "GET", "/api/v1/changes?village="+tw.v1, nil).Map()["features"].([]any)
	for _, f := range fs {
		if f.(map[string]any)["id"] == theirs && f.(map[string]any)["deleted"] == true {
			t.Errorf("changes still show %s deleted", theirs)
		}
	}
	audit := tw.admin.must(200, "GET", "/api/v1/audit?feature="+theirs, nil).Map()["entries"].([]any)
	if a := audit[len(audit)-1].(map[string]any); a["action"] != "restore" || a["by"] != "admin" {
		t.Errorf("audit of the restore: %v", a)
	}
}

func TestPasswordLength(t *testing.T) {
	tw := newTown(t)
	pw72 := strings.Repeat("洁", 24) // 72 bytes
	pw73 := pw72 + "x"
	tw.admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "long72", "password": pw72, "role": "inspector"})
	login(t, tw.m, "long72", pw72)
	// bcrypt reads 72 bytes: more must not log in on the first 72.
	if r := newClient(t, tw.m).do("POST", "/api/v1/auth/login", map[string]string{"username": "long72", "password": pw73}); r.Status != 401 {
		t.Errorf("login with a 73rd byte: %d %s", r.Status, r.Body)
	}
	r := tw.admin.do("POST", "/api/v1/users", map[string]any{"username": "long73", "password": pw73, "role": "inspector"})
	wantErr(t, "a 73-byte password", r, 400, "password")
	if msg := r.ErrFields()["password"]; !strings.Contains(msg, "72 bytes") {
		t.Errorf("the message does not name the limit: %q", msg)
	}
	r = tw.admin.do("POST", "/api/v1/users", map[string]any{"username": "long128", "password": strings.Repeat("长", 40), "role": "cleaner", "villages": []string{tw.v1}})
	wantErr(t, "a 120-byte password", r, 400, "password")
	u := userNamed(t, tw.m, "long72")
	wantErr(t, "a long password by PATCH", tw.admin.do("PATCH", "/api/v1/users/"+u.ID, map[string]any{"password": pw73}), 400, "password")
	login(t, tw.m, "long72", pw72) // the refused change changed nothing
}

// TestRefusedWhileSending: a client still sending its headers when the
// server refuses them (over the limit) can finish sending and then read
// the 431. The headers go in 1 KB pieces a few milliseconds apart, as over
// a slow phone link, so the server answers long before they end. Closed
// at once, the server's socket reset the connection: the client's next
// write failed, and an HTTP client (Go's, under load in CI) reported that
// reset instead of the answer.
func TestRefusedWhileSending(t *testing.T) {
	tw := newTown(t)
	u, _ := url.Parse(tw.m.URL())
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /api/v1/me HTTP/1.1\r\nHost: %s\r\n", u.Host)
	piece := "X-Padding-%03d: " + strings.Repeat("a", 1000) + "\r\n"
	for i := range 64 {
		if _, err := fmt.Fprintf(c, piece, i); err != nil {
			t.Fatalf("sending header %d: %v", i, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to read: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
}

func TestOversizedHeaders(t *testing.T) {
	tw := newTown(t)
	for _, n := range []int{16<<10 + 1, 40 << 10} {
		r := tw.insp.do("GET", "/api/v1/me", nil, "X-Padding", strings.Repeat("a", n))
		if r.Status != http.StatusRequestHeaderFieldsTooLarge || r.ErrCode() != "too_large" {
			t.Errorf("%d-byte header: %d %s", n, r.Status, r.Body)
		}
		var b struct{ Error struct{ RequestID string } }
		r.JSON(&b)
		if b.Error.RequestID == "" || r.Header.Get("X-Request-Id") != b.Error.RequestID {
			t.Errorf("%d-byte header: request id %q, header %q", n, b.Error.RequestID, r.Header.Get("X-Request-Id"))
		}
	}
	c := newClient(t, tw.m)
	c.token = strings.Repeat("t", 40<<10)
	if r := c.do("GET", "/api/v1/me", nil); r.Status != 431 {
		t.Errorf("40 KB Authorization: %d %s", r.Status, r.Body)
	}
	// A large but allowed header still works.
	tw.insp.must(200, "GET", "/api/v1/me", nil)
	if r := tw.insp.do("GET", "/api/v1/me", nil, "X-Padding", strings.Repeat("a", 8<<10)); r.Status != 200 {
		t.Errorf("8 KB header: %d", r.Status)
	}
}

func TestPhotoLinks(t *testing.T) {
	tw := newTown(t)
	tw.admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "clean2", "password": "clean2-password", "role": "cleaner", "villages": []string{tw.v2}})
	other := login(t, tw.m, "clean2", "clean2-password")

	// A photo uploaded by the first cleaner, named by no record yet.
	tw.clean.must(201, "PUT", "/api/v1/photos/ph-a", testPNG(t, 64, 48, 1))
	r := tw.put(other, newID("b"), map[string]any{"kind": "bin", "location": tw.pointIn(t, tw.v2), "photos": []string{"ph-a"}})
	wantErr(t, "another village's cleaner names the photo", r, 403, "photos")
	if r := other.do("GET", "/api/v1/photos/ph-a", nil); r.Status != 404 {
		t.Errorf("the other cleaner reads the photo: %d", r.Status)
	}
	// Its uploader names it; then it is of their village.
	own := newID("b")
	if r := tw.put(tw.clean, own, map[string]any{"kind": "bin", "location": tw.pointIn(t, tw.v1), "photos": []string{"ph-a"}}); r.Status != 201 {
		t.Fatalf("uploader names it: %d %s", r.Status, r.Body)
	}
	// Named on an event of a feature elsewhere: refused too.
	theirs := newID("b")
	tw.put(other, theirs, map[string]any{"kind": "bin", "location": tw.pointIn(t, tw.v2)})
	r = other.do("POST", "/api/v1/features/"+theirs+"/events", map[string]any{"opId": newID("op"), "id": newID("ev"), "type": "emptied",
		"at": "2026-11-20T08:00:00Z", "photos": []string{"ph-a"}})
	wantErr(t, "named on another village's event", r, 403, "photos")
	// Staff may name any photo.
	if r := tw.put(tw.insp, newID("b"), map[string]any{"kind": "bin", "location": tw.pointIn(t, tw.v2), "photos": []string{"ph-a"}}); r.Status != 201 {
		t.Errorf("inspector names it: %d %s", r.Status, r.Body)
	}

	// A photo named before it is uploaded is its namer's to upload.
	awaited := newID("b")
	tw.put(tw.clean, awaited, map[string]any{"kind": "bin", "location": tw.pointIn(t, tw.v1), "photos": []string{"ph-later"}})
	r = other.do("PUT", "/api/v1/photos/ph-later", testPNG(t, 64, 48, 7))
	wantErr(t, "someone else uploads the awaited photo", r, 403)
	r = tw.put(other, newID("b"), map[string]any{"kind": "bin", "location": tw.pointIn(t, tw.v2), "photos": []string{"ph-later"}})
	wantErr(t, "someone else names the awaited photo", r, 403, "photos")
	tw.clean.must(201, "PUT", "/api/v1/photos/ph-later", testPNG(t, 64, 48, 8))
	waitFor(t, 5e9, "the photo reaches its record", func() bool {
		f := tw.clean.must(200, "GET", "/api/v1/features/"+awaited, nil).Map()
		_, pending := f["flags"].(map[string]any)["photosPending"]
		return !pending
	})
	if r := other.do("GET", "/api/v1/photos/ph-later", nil); r.Status != 404 {
		t.Errorf("the other cleaner reads the awaited photo: %d", r.Status)
	}
}

func TestPersonalDataByRole(t *testing.T) {
	tw := newTown(t)
	loc := tw.pointIn(t, tw.v1)
	id := newID("ht")
	tw.put(tw.insp, id, map[string]any{"kind": "household_toilet", "location": loc,
		"attrs": map[string]any{"household_head": "李四", "stage": "building"}})
	dem := newID("dm")
	tw.put(tw.insp, dem, map[string]any{"kind": "demolition", "location": tw.pointIn(t, tw.v1), "attrs": map[string]any{"owner": "王五"}})

	hasName := func(body []byte) bool {
		return strings.Contains(string(body), "李四") || strings.Contains(string(body), "王五")
	}
	for _, path := range []string{
		"/api/v1/features/" + id,
		"/api/v1/features/" + dem,
		"/api/v1/villages/" + tw.v1 + "/features",
		"/api/v1/changes?village=" + tw.v1,
		fmt.Sprintf("/api/v1/features/near?lon=%v&lat=%v&limit=10", loc["lon"], loc["lat"]),
		"/api/v1/villages/" + tw.v1 + "/coverage?radius=1",
	} {
		if r := tw.clean.must(200, "GET", path, nil); hasName(r.Body) {
			t.Errorf("a cleaner sees a name in %s", path)
		}
		if r := tw.insp.must(200, "GET", path, nil); !hasName(r.Body) && !strings.Contains(path, "coverage") {
			t.Errorf("an inspector does not see the names in %s", path)
		}
	}
	v, _ := tw.m.Server.Villages().Get(tw.v1)
	b := v.Shape.Bound()
	if r := tw.clean.must(200, "GET", fmt.Sprintf("/api/v1/features?bbox=%f,%f,%f,%f", b.Min[0], b.Min[1], b.Max[0], b.Max[1]), nil); hasName(r.Body) {
		t.Error("a cleaner sees a name in the viewport")
	}
	// The cleaner's update, with what they were shown, keeps the name.
	shown := tw.clean.must(200, "GET", "/api/v1/features/"+id, nil).Map()
	r := tw.put(tw.clean, id, map[string]any{"kind": "household_toilet", "location": shown["location"], "baseVersion": shown["version"],
		"attrs": mergeAttrs(attrsOf(shown), "stage", "done")})
	if r.Status != 200 || hasName(r.Body) {
		t.Fatalf("cleaner's update: %d %s", r.Status, r.Body)
	}
	if a := attrsOf(tw.insp.must(200, "GET", "/api/v1/features/"+id, nil).Map()); a["household_head"] != "李四" || a["stage"] != "done" {
		t.Errorf("after the cleaner's update: %v", a)
	}
	// A conflict's server copy and a sync result hide it too.
	r = tw.put(tw.clean, id, map[string]any{"kind": "household_toilet", "location": shown["location"], "baseVersion": 1, "attrs": map[string]any{"note": "x"}})
	if r.Status != 409 || hasName(r.Body) {
		t.Errorf("conflict: %d %s", r.Status, r.Body)
	}
	res := tw.clean.must(200, "POST", "/api/v1/sync", map[string]any{"ops": []any{map[string]any{"type": "putFeature", "id": id, "opId": newID("op"),
		"feature": map[string]any{"kind": "household_toilet", "location": shown["location"], "baseVersion": 1, "attrs": map[string]any{}}}}})
	if hasName(res.Body) {
		t.Errorf("sync conflict shows the name: %s", res.Body)
	}
	// The schema says who sees and writes what.
	schema := tw.clean.must(200, "GET", "/api/v1/kinds", nil).Map()
	kinds := schema["kinds"].([]any)
	// With the words for it, as the exports and the web app say them.
	if l, _ := schema["labels"].(map[string]any)["stage.accepted"].(map[string]any); l["zh"] != "验收" || l["en"] != "Accepted" {
		t.Errorf("GET /kinds labels stage.accepted %v", l)
	}
	found := false
	for _, k := range kinds {
		k := k.(map[string]any)
		for _, a := range k["attrs"].([]any) {
			a := a.(map[string]any)
			if k["kind"] == "household_toilet" && a["name"] == "household_head" {
				found = a["personal"] == true && a["staffOnly"] == true
			}
		}
	}
	if !found {
		t.Error("GET /kinds does not mark household_head personal and staff-only")
	}
}

func mergeAttrs(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for kk, vv := range m {
		if kk != k {
			out[kk] = vv
		}
	}
	return out
}
