package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
)

// town boots a server with the demo villages (no features) and users of
// each role: an inspector, and a cleaner of the first village.
type town struct {
	m                  *Main
	admin, insp, clean *client
	v1, v2             string // two village codes; the cleaner has v1
}

func newTown(t *testing.T) *town {
	t.Helper()
	m := MustRunMain(t, nil)
	admin := adminClient(t, m)
	admin.must(200, "POST", "/api/v1/villages/import", demoGeoJSON())
	tw := &town{m: m, admin: admin, v1: demoCode(0), v2: demoCode(1)}
	admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "insp", "password": "insp-password", "role": "inspector"})
	admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "clean", "password": "clean-password", "role": "cleaner", "villages": []string{tw.v1}})
	tw.insp = login(t, m, "insp", "insp-password")
	tw.clean = login(t, m, "clean", "clean-password")
	return tw
}

var pointRng = rand.New(rand.NewPCG(1, 2))

// pointIn returns a random point inside village code.
func (tw *town) pointIn(t *testing.T, code string) map[string]any {
	t.Helper()
	v, ok := tw.m.Server.Villages().Get(code)
	if !ok {
		t.Fatalf("no village %s", code)
	}
	b := v.Shape.Bound()
	for i := 0; i < 1000; i++ {
		p := orb.Point{b.Min[0] + pointRng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + pointRng.Float64()*(b.Max[1]-b.Min[1])}
		if c, ok := tw.m.Server.Villages().Locate(p); ok && c == code {
			return map[string]any{"lon": p[0], "lat": p[1], "accuracy": 5.0}
		}
	}
	t.Fatal("no point found")
	return nil
}

var idSeq int

func newID(prefix string) string {
	idSeq++
	return fmt.Sprintf("%s-%d-%d", prefix, idSeq, pointRng.IntN(1e9))
}

func feature(r *response) map[string]any { return r.Map() }

func TestFeatureCreateAndRead(t *testing.T) {
	tw := newTown(t)
	id := newID("bin")
	loc := tw.pointIn(t, tw.v1)
	f := tw.clean.must(201, "PUT", "/api/v1/features/"+id, map[string]any{"opId": newID("op"), "kind": "bin", "location": loc}).Map()
	if f["id"] != id || f["village"] != tw.v1 || f["version"] != 1.0 || f["kind"] != "bin" {
		t.Fatalf("created: %v", f)
	}
	if f["attrs"].(map[string]any)["status"] != "ok" {
		t.Errorf("a bin with no attributes should be ok: %v", f["attrs"])
	}
	if f["createdBy"] != "clean" {
		t.Errorf("createdBy %v", f["createdBy"])
	}
	got := tw.insp.must(200, "GET", "/api/v1/features/"+id, nil).Map()
	if got["id"] != id || got["village"] != tw.v1 {
		t.Errorf("read: %v", got)
	}
	// A cleaner of another village cannot see it, and cannot tell it exists.
	tw.admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "other", "password": "other-password", "role": "cleaner", "villages": []string{tw.v2}})
	other := login(t, tw.m, "other", "other-password")
	if r := other.do("GET", "/api/v1/features/"+id, nil); r.Status != 404 {
		t.Errorf("cleaner of another village reads: %d", r.Status)
	}
	if r := other.do("GET", "/api/v1/features/no-such-id", nil); r.Status != 404 {
		t.Errorf("unknown id: %d", r.Status)
	}
}

func TestFeatureBadInput(t *testing.T) {
	tw := newTown(t)
	in := tw.pointIn(t, tw.v1)
	loc := func(lon, lat any) map[string]any { return map[string]any{"lon": lon, "lat": lat, "accuracy": 5} }
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no opId", map[string]any{"kind": "bin", "location": in}, "opId"},
		{"unknown kind", map[string]any{"opId": "o1", "kind": "rocket", "location": in}, "kind"},
		{"unknown attribute", map[string]any{"opId": "o1", "kind": "bin", "location": in, "attrs": map[string]any{"colour": "red"}}, "attrs.colour"},
		{"enum out", map[string]any{"opId": "o1", "kind": "bin", "location": in, "attrs": map[string]any{"status": "exploded"}}, "attrs.status"},
		{"range out", map[string]any{"opId": "o1", "kind": "demolition", "location": in, "attrs": map[string]any{"area_m2": 0.5}}, "attrs.area_m2"},
		{"wrong type", map[string]any{"opId": "o1", "kind": "bin", "location": in, "attrs": map[string]any{"capacity_l": "big"}}, "attrs.capacity_l"},
		{"lat out of range", map[string]any{"opId": "o1", "kind": "bin", "location": loc(114.9, 91)}, "location.lat"},
		{"lon out of range", map[string]any{"opId": "o1", "kind": "bin", "location": loc(181, 27)}, "location.lon"},
		{"null island", map[string]any{"opId": "o1", "kind": "bin", "location": loc(0, 0)}, "location"},
		{"no location", map[string]any{"opId": "o1", "kind": "bin"}, "location"},
		{"in no village", map[string]any{"opId": "o1", "kind": "bin", "location": loc(100, 30)}, "location"},
		{"version set", map[string]any{"opId": "o1", "kind": "bin", "location": in, "version": 7}, "version"},
		{"creator set", map[string]any{"opId": "o1", "kind": "bin", "location": in, "createdBy": "boss"}, "createdBy"},
		{"unknown field", map[string]any{"opId": "o1", "kind": "bin", "location": in, "colour": "red"}, "colour"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tw.insp.do("PUT", "/api/v1/features/"+newID("f"), tc.body)
			if r.Status != 400 || r.ErrCode() != "invalid" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			found := false
			for k := range r.ErrFields() {
				if strings.HasPrefix(k, tc.field) {
					found = true
				}
			}
			if !found {
				t.Errorf("fields %v do not name %s", r.ErrFields(), tc.field)
			}
		})
	}
	if r := tw.insp.do("PUT", "/api/v1/features/"+newID("f"), `{"opId":"o1","kind":"bin","location":{"lon":NaN,"lat":27}}`); r.Status != 400 {
		t.Errorf("NaN: %d", r.Status)
	}
}

func TestFeatureIdempotentAndConflicts(t *testing.T) {
	tw := newTown(t)
	id, op := newID("hh"), newID("op")
	body := map[string]any{"opId": op, "kind": "household_toilet", "location": tw.pointIn(t, tw.v1),
		"attrs": map[string]any{"household_head": "胡建国", "type": "three_compartment"}}
	first := tw.insp.must(201, "PUT", "/api/v1/features/"+id, body).Map()
	// The same op again: the first outcome, nothing changed.
	r := tw.insp.must(200, "PUT", "/api/v1/features/"+id, body)
	if r.Header.Get("X-Cunjie-Result") != "duplicate" || r.Map()["version"] != 1.0 || r.Map()["seq"] != first["seq"] {
		t.Fatalf("replay: %s %s", r.Header.Get("X-Cunjie-Result"), r.Body)
	}
	// Another op creating the same id: a conflict with the server's copy.
	body2 := map[string]any{"opId": newID("op"), "kind": "household_toilet", "location": body["location"], "attrs": withRequired("household_toilet", nil)}
	r = tw.insp.do("PUT", "/api/v1/features/"+id, body2)
	if r.Status != 409 || r.Map()["error"].(map[string]any)["current"].(map[string]any)["id"] != id {
		t.Fatalf("create over existing: %d %s", r.Status, r.Body)
	}
	// An update on version 1 applies; a second one still on version 1 is stale.
	upd := map[string]any{"opId": newID("op"), "kind": "household_toilet", "location": body["location"], "baseVersion": 1,
		"attrs": map[string]any{"household_head": "胡建国", "type": "three_compartment", "stage": "building"}}
	u := tw.insp.must(200, "PUT", "/api/v1/features/"+id, upd).Map()
	if u["version"] != 2.0 || u["attrs"].(map[string]any)["stage"] != "building" {
		t.Fatalf("update: %v", u)
	}
	tw.insp.must(200, "PUT", "/api/v1/features/"+id, upd) // its replay is a duplicate
	stale := map[string]any{"opId": newID("op"), "kind": "household_toilet", "location": body["location"], "baseVersion": 1,
		"attrs": map[string]any{"stage": "done"}}
	r = tw.insp.do("PUT", "/api/v1/features/"+id, stale)
	cur := r.Map()["error"].(map[string]any)["current"].(map[string]any)
	if r.Status != 409 || r.ErrCode() != "conflict" || cur["version"] != 2.0 || cur["attrs"].(map[string]any)["stage"] != "building" {
		t.Fatalf("stale update: %d %s", r.Status, r.Body)
	}
	// A cleaner may not mark a household toilet accepted.
	acc := map[string]any{"opId": newID("op"), "kind": "household_toilet", "location": body["location"], "baseVersion": 2,
		"attrs": map[string]any{"stage": "accepted"}}
	if r := tw.clean.do("PUT", "/api/v1/features/"+id, acc); r.Status != 403 || r.ErrFields()["attrs.stage"] == "" {
		t.Fatalf("cleaner accepts: %d %s", r.Status, r.Body)
	}
	tw.insp.must(200, "PUT", "/api/v1/features/"+id, acc)
	audit := tw.admin.must(200, "GET", "/api/v1/audit?feature="+id, nil).Map()["entries"].([]any)
	if len(audit) != 3 {
		t.Fatalf("audit entries: %v", audit)
	}
	last := audit[2].(map[string]any)
	if last["by"] != "insp" || last["op"] != acc["opId"] || last["changes"].(map[string]any)["attrs.stage"] == nil {
		t.Errorf("audit entry: %v", last)
	}
	if r := tw.insp.do("GET", "/api/v1/audit?feature="+id, nil); r.Status != 403 {
		t.Errorf("inspector reads audit: %d", r.Status)
	}
}

func TestCleanerStaysInOwnVillage(t *testing.T) {
	tw := newTown(t)
	r := tw.clean.do("PUT", "/api/v1/features/"+newID("b"), map[string]any{"opId": newID("op"), "kind": "bin", "location": tw.pointIn(t, tw.v2)})
	if r.Status != 403 || r.ErrFields()["village"] == "" {
		t.Fatalf("cleaner records in another village: %d %s", r.Status, r.Body)
	}
	id := newID("b")
	tw.insp.must(201, "PUT", "/api/v1/features/"+id, map[string]any{"opId": newID("op"), "kind": "bin", "location": tw.pointIn(t, tw.v2)})
	ev := map[string]any{"opId": newID("op"), "id": newID("ev"), "type": "emptied", "at": "2026-11-20T08:00:00Z"}
	if r := tw.clean.do("POST", "/api/v1/features/"+id+"/events", ev); r.Status != 404 {
		t.Errorf("cleaner adds event in another village: %d", r.Status)
	}
	if r := tw.clean.do("GET", "/api/v1/changes?village="+tw.v2, nil); r.Status != 404 {
		t.Errorf("cleaner pulls another village: %d", r.Status)
	}
	if r := tw.clean.do("DELETE", "/api/v1/features/"+id, nil); r.Status != 403 {
		t.Errorf("cleaner deletes: %d", r.Status)
	}
}

func TestFeatureFlags(t *testing.T) {
	tw := newTown(t)
	p := tw.pointIn(t, tw.v1)
	p["accuracy"] = 80.0
	f := tw.insp.must(201, "PUT", "/api/v1/features/"+newID("b"), map[string]any{"opId": newID("op"), "kind": "bin", "location": p}).Map()
	if f["flags"].(map[string]any)["lowAccuracy"] != true {
		t.Errorf("80 m fix not flagged: %v", f["flags"])
	}
	// 1 m away, same kind: a possible duplicate naming the first.
	near := map[string]any{"lon": p["lon"].(float64) + 0.00001, "lat": p["lat"], "accuracy": 4}
	g := tw.insp.must(201, "PUT", "/api/v1/features/"+newID("b"), map[string]any{"opId": newID("op"), "kind": "bin", "location": near}).Map()
	if g["flags"].(map[string]any)["possibleDuplicate"] != f["id"] {
		t.Errorf("possibleDuplicate %v, want %v", g["flags"], f["id"])
	}
	// Another kind at the same spot is no duplicate.
	h := tw.insp.must(201, "PUT", "/api/v1/features/"+newID("p"), map[string]any{"opId": newID("op"), "kind": "garbage_pool", "location": near, "attrs": withRequired("garbage_pool", nil)}).Map()
	if _, ok := h["flags"].(map[string]any)["possibleDuplicate"]; ok {
		t.Errorf("pool flagged as duplicate of a bin: %v", h["flags"])
	}
	out := map[string]any{"lon": 114.5, "lat": 27.5}
	o := tw.insp.must(201, "PUT", "/api/v1/features/"+newID("b"), map[string]any{"opId": newID("op"), "kind": "bin", "location": out, "village": tw.v2}).Map()
	if o["village"] != tw.v2 || o["flags"].(map[string]any)["outsideVillage"] != true {
		t.Errorf("outside village: %v", o)
	}
	ph := tw.insp.must(201, "PUT", "/api/v1/features/"+newID("b"), map[string]any{"opId": newID("op"), "kind": "bin", "location": tw.pointIn(t, tw.v1), "photos": []string{"photo-not-yet"}}).Map()
	if pp, _ := ph["flags"].(map[string]any)["photosPending"].([]any); len(pp) != 1 || pp[0] != "photo-not-yet" {
		t.Errorf("photosPending: %v", ph["flags"])
	}
}

func TestEvents(t *testing.T) {
	tw := newTown(t)
	id := newID("b")
	tw.clean.must(201, "PUT", "/api/v1/features/"+id, map[string]any{"opId": newID("op"), "kind": "bin", "location": tw.pointIn(t, tw.v1)})
	rep := map[string]any{"opId": newID("op"), "id": newID("ev"), "type": "status_reported", "status": "overflowing", "at": "2026-11-20T08:00:00Z", "note": "满了"}
	f := tw.clean.must(201, "POST", "/api/v1/features/"+id+"/events", rep).Map()
	if f["attrs"].(map[string]any)["status"] != "overflowing" || f["version"] != 2.0 || len(f["events"].([]any)) != 1 {
		t.Fatalf("after report: %v", f)
	}
	if r := tw.clean.do("POST", "/api/v1/features/"+id+"/events", rep); r.Status != 200 || r.Header.Get("X-Cunjie-Result") != "duplicate" {
		t.Errorf("replayed event: %d %s", r.Status, r.Body)
	}
	emp := map[string]any{"opId": newID("op"), "id": newID("ev"), "type": "emptied", "at": "2026-11-20T09:00:00Z"}
	f = tw.clean.must(201, "POST", "/api/v1/features/"+id+"/events", emp).Map()
	if f["attrs"].(map[string]any)["status"] != "ok" {
		t.Errorf("emptied bin status %v", f["attrs"])
	}
	bad := []map[string]any{
		{"opId": newID("op"), "id": newID("ev"), "type": "stage_changed", "status": "done", "at": "2026-11-20T09:00:00Z"},
		{"opId": newID("op"), "id": newID("ev"), "type": "status_reported", "status": "melted", "at": "2026-11-20T09:00:00Z"},
		{"opId": newID("op"), "id": newID("ev"), "type": "emptied", "at": "2099-01-01T00:00:00Z"},
		{"opId": newID("op"), "id": rep["id"], "type": "emptied", "at": "2026-11-20T09:00:00Z"}, // event id of another op
	}
	for i, b := range bad {
		r := tw.clean.do("POST", "/api/v1/features/"+id+"/events", b)
		if r.Status != 400 && r.Status != 409 {
			t.Errorf("bad event %d: %d %s", i, r.Status, r.Body)
		}
	}
	evs := tw.insp.must(200, "GET", "/api/v1/features/"+id+"/events", nil).Map()["events"].([]any)
	if len(evs) != 2 || evs[0].(map[string]any)["by"] != "clean" {
		t.Errorf("history: %v", evs)
	}

	// An event id already used is refused under another op whether the
	// first event is still inline (one of the latest) or only in the
	// history (older than all inline ones).
	for i := range cunjie.LatestEvents {
		tw.clean.must(201, "POST", "/api/v1/features/"+id+"/events", map[string]any{"opId": newID("op"), "id": newID("ev"),
			"type": "emptied", "at": fmt.Sprintf("2026-11-21T%02d:00:00Z", 8+i)})
	}
	if f := tw.insp.must(200, "GET", "/api/v1/features/"+id, nil).Map(); len(f["events"].([]any)) != cunjie.LatestEvents {
		t.Fatalf("inline events: %v", f["events"])
	}
	for name, ev := range map[string]map[string]any{"inline": {"id": newID("ev"), "at": "2026-11-21T12:00:00Z"}, "history only": rep} {
		if name == "inline" {
			tw.clean.must(201, "POST", "/api/v1/features/"+id+"/events", map[string]any{"opId": newID("op"), "id": ev["id"], "type": "emptied", "at": ev["at"]})
		}
		again := map[string]any{"opId": newID("op"), "id": ev["id"], "type": "emptied", "at": ev["at"]}
		if r := tw.clean.do("POST", "/api/v1/features/"+id+"/events", again); r.Status != 409 {
			t.Errorf("event id of another op (%s): %d %s", name, r.Status, r.Body)
		}
	}

	// The history is kept in parts of a few changes: a long one reads
	// back whole and in order, events and audit entries alike.
	before := len(tw.insp.must(200, "GET", "/api/v1/features/"+id+"/events", nil).Map()["events"].([]any))
	for i := range 40 {
		tw.clean.must(201, "POST", "/api/v1/features/"+id+"/events", map[string]any{"opId": newID("op"), "id": fmt.Sprintf("long-%02d", i),
			"type": "emptied", "at": fmt.Sprintf("2026-11-22T08:%02d:00Z", i)})
	}
	evs = tw.insp.must(200, "GET", "/api/v1/features/"+id+"/events", nil).Map()["events"].([]any)
	if len(evs) != before+40 || evs[len(evs)-1].(map[string]any)["id"] != "long-39" || evs[before].(map[string]any)["id"] != "long-00" {
		t.Errorf("long history: %d events (want %d)", len(evs), before+40)
	}
	entries := tw.admin.must(200, "GET", "/api/v1/audit?feature="+id, nil).Map()["entries"].([]any)
	if len(entries) != 1+before+40 {
		t.Errorf("audit trail: %d entries, want the create and %d events", len(entries), before+40)
	}

	// A replay of the first event, its op now older than the feature's
	// recent ops, is still answered as a duplicate and adds nothing.
	if r := tw.clean.do("POST", "/api/v1/features/"+id+"/events", rep); r.Status != 200 || r.Header.Get("X-Cunjie-Result") != "duplicate" {
		t.Errorf("event replayed after %d other ops: %d %s", cunjie.RecentOps, r.Status, r.Body)
	}
	if n := len(tw.insp.must(200, "GET", "/api/v1/features/"+id+"/events", nil).Map()["events"].([]any)); n != before+40 {
		t.Errorf("after the late replay: %d events, want %d", n, before+40)
	}
}

func TestDeleteIsSoft(t *testing.T) {
	tw := newTown(t)
	id := newID("b")
	tw.insp.must(201, "PUT", "/api/v1/features/"+id, map[string]any{"opId": newID("op"), "kind": "bin", "location": tw.pointIn(t, tw.v1)})
	d := tw.insp.must(200, "DELETE", "/api/v1/features/"+id+"?opId=del-1", nil).Map()
	if d["deleted"] != true {
		t.Fatalf("delete: %v", d)
	}
	tw.insp.must(200, "DELETE", "/api/v1/features/"+id+"?opId=del-1", nil)
	ch := tw.clean.must(200, "GET", "/api/v1/changes?village="+tw.v1, nil).Map()
	fs := ch["features"].([]any)
	if len(fs) != 1 || fs[0].(map[string]any)["deleted"] != true {
		t.Errorf("changes after delete: %v", fs)
	}
}

func TestSyncBatchAndChanges(t *testing.T) {
	tw := newTown(t)
	var ops []map[string]any
	var ids []string
	for i := 0; i < 30; i++ {
		id := newID("b")
		ids = append(ids, id)
		ops = append(ops, map[string]any{"type": "putFeature", "id": id, "opId": "op-" + id,
			"feature": map[string]any{"opId": "op-" + id, "kind": "bin", "location": tw.pointIn(t, tw.v1)}})
	}
	// A bad op in the middle, and an event on a feature created earlier in the batch.
	ops = append(ops[:10], append([]map[string]any{{"type": "putFeature", "id": "x1", "opId": "bad-op", "feature": map[string]any{"opId": "bad-op", "kind": "bin", "location": map[string]any{"lon": 0, "lat": 0}}},
		{"type": "addEvent", "id": ids[0], "opId": "ev-op", "event": map[string]any{"opId": "ev-op", "id": "ev-1", "type": "emptied", "at": "2026-11-20T08:00:00Z"}},
		{"type": "nonsense", "opId": "junk-op"},
		{"type": "putFeature", "id": "x2", "opId": "malformed", "feature": map[string]any{"opId": "malformed", "kind": "bin", "wings": 2}}}, ops[10:]...)...)
	var res struct {
		Results []struct {
			OpID, Result string
			Error        *struct{ Code string }
		}
	}
	tw.clean.must(200, "POST", "/api/v1/sync", map[string]any{"ops": ops}).JSON(&res)
	if len(res.Results) != len(ops) {
		t.Fatalf("%d results for %d ops", len(res.Results), len(ops))
	}
	count := map[string]int{}
	for i, r := range res.Results {
		count[r.Result]++
		if r.OpID != ops[i]["opId"] {
			t.Errorf("result %d is for %q, want %q", i, r.OpID, ops[i]["opId"])
		}
	}
	if count["applied"] != 31 || count["rejected"] != 3 {
		t.Fatalf("results: %v", count)
	}
	// The whole batch again: nothing new.
	tw.clean.must(200, "POST", "/api/v1/sync", map[string]any{"ops": ops}).JSON(&res)
	count = map[string]int{}
	for _, r := range res.Results {
		count[r.Result]++
	}
	if count["duplicate"] != 31 || count["applied"] != 0 {
		t.Fatalf("replayed batch: %v", count)
	}
	// Page through the changes 7 at a time: every feature exactly once.
	seen := map[string]int{}
	since := "0"
	for pages := 0; ; pages++ {
		var page struct {
			Features []struct{ ID string }
			Next     string
			More     bool
		}
		tw.clean.must(200, "GET", "/api/v1/changes?village="+tw.v1+"&limit=7&since="+since, nil).JSON(&page)
		for _, f := range page.Features {
			seen[f.ID]++
		}
		since = page.Next
		if !page.More {
			break
		}
		if pages > 20 {
			t.Fatal("changes never end")
		}
	}
	if len(seen) != 30 {
		t.Errorf("changes listed %d features, want 30", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times", id, n)
		}
	}
	if r := tw.clean.do("POST", "/api/v1/sync", map[string]any{"ops": make([]map[string]any, 501)}); r.Status != 413 {
		t.Errorf("501 ops: %d", r.Status)
	}
}

// demoTestPoints returns n random points spread over the demo villages,
// without a server.
func demoTestPoints(t testing.TB, n int) []map[string]any {
	t.Helper()
	shapes, err := geo.ParseVillages(demoGeoJSON())
	if err != nil {
		t.Fatal(err)
	}
	vs := geo.NewVillages(shapes)
	var b orb.Bound
	for i, s := range shapes {
		if i == 0 {
			b = s.Shape.Bound()
		}
		b = b.Union(s.Shape.Bound())
	}
	rng := rand.New(rand.NewPCG(5, 5))
	var out []map[string]any
	for len(out) < n {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		if _, ok := vs.Locate(p); ok {
			out = append(out, map[string]any{"lon": p[0], "lat": p[1], "accuracy": 5.0})
		}
	}
	return out
}

func demoCodes() []string {
	var cs []string
	for i := range demoVillages {
		cs = append(cs, demoCode(i))
	}
	return cs
}

// TestConcurrentCreatesOneVillage sends creates into one village from
// many clients at once, each create twice with its op and some a third
// time with another op, as phones retrying over a bad line do: creates
// waiting for the village are committed together (group commit), and
// each must still be applied once, its retry answered as a duplicate of
// it, and the rival op refused.
func TestConcurrentCreatesOneVillage(t *testing.T) {
	tw := newTown(t)
	<-tw.m.Server.CodesMigrated()
	type req struct {
		id, op string
		body   map[string]any
	}
	type got struct {
		op     string
		status int
		result string
		seq    float64
		code   string
	}
	const n = 40
	var reqs []req
	for i := range n {
		id, op := fmt.Sprintf("gc-%02d", i), fmt.Sprintf("gc-op-%02d", i)
		body := map[string]any{"opId": op, "kind": "bin", "location": tw.pointIn(t, tw.v1)}
		reqs = append(reqs, req{id, op, body}, req{id, op, body})
		if i%3 == 0 {
			rival := map[string]any{"opId": op + "-rival", "kind": "bin", "location": tw.pointIn(t, tw.v1)}
			reqs = append(reqs, req{id, op + "-rival", rival})
		}
	}
	pointRng.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
	var mu sync.Mutex
	results := map[string][]got{}
	inParallel(8, len(reqs), func(k int) {
		q := reqs[k]
		r, err := tw.insp.tryDo("PUT", "/api/v1/features/"+q.id, q.body)
		if err != nil {
			t.Error(err)
			return
		}
		g := got{op: q.op, status: r.Status, result: r.Header.Get("X-Cunjie-Result")}
		if r.Status < 300 {
			f := r.Map()
			g.seq, _ = f["seq"].(float64)
			g.code, _ = f["code"].(string)
		}
		mu.Lock()
		results[q.id] = append(results[q.id], g)
		mu.Unlock()
	})
	seqs := map[float64]string{}
	for id, gs := range results {
		var winner *got
		for i, g := range gs {
			if g.status == 201 {
				if winner != nil {
					t.Fatalf("%s created twice: %+v", id, gs)
				}
				winner = &gs[i]
			}
		}
		if winner == nil {
			t.Fatalf("%s not created: %+v", id, gs)
		}
		for _, g := range gs {
			switch {
			case g.status == 201:
			case g.op == winner.op:
				if g.status != 200 || g.result != "duplicate" || g.seq != winner.seq || g.code != winner.code {
					t.Errorf("%s: retry answered %+v, created %+v", id, g, *winner)
				}
			case g.status != 409:
				t.Errorf("%s: rival op answered %+v, created %+v", id, g, *winner)
			}
		}
		if other, ok := seqs[winner.seq]; ok {
			t.Errorf("seq %v given to %s and %s", winner.seq, other, id)
		}
		seqs[winner.seq] = id
	}
	ch := tw.insp.must(200, "GET", "/api/v1/changes?village="+tw.v1, nil).Map()
	if fs := ch["features"].([]any); len(fs) != n {
		t.Errorf("changes list %d features, want %d", len(fs), n)
	}
}

// TestConcurrentEventsOneVillage sends events to the features of one
// village from many clients at once, each event twice with its op, as
// phones retrying over a bad line do: each event must be applied once,
// its retry answered as a duplicate, and every feature's history hold
// each of its events once.
func TestConcurrentEventsOneVillage(t *testing.T) {
	tw := newTown(t)
	const features, perFeature = 6, 8
	var ids []string
	for i := range features {
		id := fmt.Sprintf("ge-%02d", i)
		tw.insp.must(201, "PUT", "/api/v1/features/"+id, map[string]any{"opId": "op-" + id, "kind": "bin", "location": tw.pointIn(t, tw.v1)})
		ids = append(ids, id)
	}
	type req struct{ feature, op string }
	var reqs []req
	for _, id := range ids {
		for k := range perFeature {
			op := fmt.Sprintf("%s-ev-%d", id, k)
			reqs = append(reqs, req{id, op}, req{id, op})
		}
	}
	pointRng.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	var mu sync.Mutex
	results := map[string][]string{} // op -> "applied" or "duplicate", per answer
	inParallel(8, len(reqs), func(k int) {
		q := reqs[k]
		r, err := tw.insp.tryDo("POST", "/api/v1/features/"+q.feature+"/events",
			map[string]any{"opId": q.op, "id": "e-" + q.op, "type": "emptied", "at": at})
		if err != nil {
			t.Error(err)
			return
		}
		if r.Status >= 300 {
			t.Errorf("%s: %d %s", q.op, r.Status, r.Body)
			return
		}
		result := "applied"
		if h := r.Header.Get("X-Cunjie-Result"); h != "" {
			result = h
		}
		mu.Lock()
		results[q.op] = append(results[q.op], result)
		mu.Unlock()
	})
	for op, rs := range results {
		slices.Sort(rs)
		if !slices.Equal(rs, []string{"applied", "duplicate"}) {
			t.Errorf("%s answered %v, want applied once and duplicate once", op, rs)
		}
	}
	for _, id := range ids {
		evs := tw.insp.must(200, "GET", "/api/v1/features/"+id+"/events", nil).Map()["events"].([]any)
		seen := map[string]bool{}
		for _, e := range evs {
			eid := e.(map[string]any)["id"].(string)
			if seen[eid] {
				t.Errorf("%s: event %s twice in its history", id, eid)
			}
			seen[eid] = true
		}
		if len(seen) != perFeature {
			t.Errorf("%s: %d events in its history, want %d", id, len(seen), perFeature)
		}
	}
}

// inParallel calls do(k) for every k in [0, n) from workers goroutines,
// each taking the next k, as phones sending at once do.
func inParallel(workers, n int, do func(k int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := int(next.Add(1)) - 1; k < n; k = int(next.Add(1)) - 1 {
				do(k)
			}
		}()
	}
	wg.Wait()
}
