package main

import (
	"testing"
	"time"
)

// usersByName is GET /users keyed by username.
func usersByName(t *testing.T, admin *client) map[string]map[string]any {
	t.Helper()
	var body struct{ Users []map[string]any }
	admin.must(200, "GET", "/api/v1/users", nil).JSON(&body)
	out := map[string]map[string]any{}
	for _, u := range body.Users {
		out[u["username"].(string)] = u
	}
	return out
}

// A sync's device report is kept per user and phone: GET /users shows
// each user's last sync, app version and what the phone still held, and
// GET /me tells the person the same of themself.
func TestSyncRecordsDevices(t *testing.T) {
	tw := newTown(t)
	before := time.Now().UTC().Add(-time.Second)
	users := usersByName(t, tw.admin)
	if u := users["clean"]; u["lastSyncAt"] != nil || u["pendingOps"] != 0.0 || u["lastSeenAt"] == nil {
		t.Fatalf("before any sync: %v", u)
	}

	op := func() map[string]any {
		id := newID("bin")
		return map[string]any{"type": "putFeature", "id": id, "opId": newID("op"),
			"feature": map[string]any{"kind": "bin", "location": tw.pointIn(t, tw.v1)}}
	}
	body := map[string]any{"ops": []any{op(), op()}, "device": "phone-1", "appVersion": "1.0.0+abc", "pendingOps": 7, "rejectedOps": 1}
	tw.clean.must(200, "POST", "/api/v1/sync", body)
	tw.clean.must(200, "POST", "/api/v1/sync", body) // a retry: the same record

	u := usersByName(t, tw.admin)["clean"]
	at, err := time.Parse(time.RFC3339, u["lastSyncAt"].(string))
	if err != nil || at.Before(before) || time.Since(at) > time.Minute {
		t.Fatalf("lastSyncAt %v (%v)", u["lastSyncAt"], err)
	}
	if u["appVersion"] != "1.0.0+abc" || u["pendingOps"] != 7.0 || u["rejectedOps"] != 1.0 || u["lastSeenAt"] == nil {
		t.Errorf("user after sync: %v", u)
	}
	devices := u["devices"].([]any)
	if len(devices) != 1 || devices[0].(map[string]any)["opsSent"] != 2.0 || devices[0].(map[string]any)["device"] != "phone-1" {
		t.Errorf("devices %v", devices)
	}
	if other := usersByName(t, tw.admin)["insp"]; other["lastSyncAt"] != nil {
		t.Errorf("insp has a sync: %v", other)
	}

	// A second phone of the same person, later: the user shows it, and
	// both phones are listed.
	tw.clean.must(200, "POST", "/api/v1/sync", map[string]any{"ops": []any{}, "device": "phone-2", "appVersion": "1.0.1", "pendingOps": 0})
	u = usersByName(t, tw.admin)["clean"]
	if u["appVersion"] != "1.0.1" || u["pendingOps"] != 0.0 || len(u["devices"].([]any)) != 2 {
		t.Errorf("after the second phone: %v", u)
	}

	// The person sees what the server last heard from their phones.
	me := tw.clean.must(200, "GET", "/api/v1/me", nil).Map()
	if me["username"] != "clean" || me["lastSyncAt"] == nil || len(me["devices"].([]any)) != 2 {
		t.Errorf("/me: %v", me)
	}
	for _, d := range me["devices"].([]any) {
		if d := d.(map[string]any); d["device"] == "phone-1" && d["pendingOps"] != 7.0 {
			t.Errorf("/me phone-1: %v", d)
		}
	}
	// Only admins list users.
	if r := tw.insp.do("GET", "/api/v1/users", nil); r.Status != 403 {
		t.Errorf("inspector lists users: %d", r.Status)
	}
}

// A bad device report is refused whole, naming the field, and applies
// nothing.
func TestSyncDeviceReportValidation(t *testing.T) {
	tw := newTown(t)
	long := make([]byte, 65)
	for i := range long {
		long[i] = 'a'
	}
	cases := []struct {
		field string
		value any
	}{
		{"device", "has spaces"},
		{"device", string(long)},
		{"appVersion", string(long)},
		{"appVersion", "1.0\n"},
		{"pendingOps", -1},
		{"pendingOps", 2_000_000},
		{"rejectedOps", -3},
		{"pendingOps", "many"},
	}
	for _, tc := range cases {
		id := newID("bin")
		body := map[string]any{tc.field: tc.value, "ops": []any{map[string]any{"type": "putFeature", "id": id, "opId": newID("op"),
			"feature": map[string]any{"kind": "bin", "location": tw.pointIn(t, tw.v1)}}}}
		r := tw.clean.do("POST", "/api/v1/sync", body)
		if r.Status != 400 || r.ErrFields()[tc.field] == "" {
			t.Errorf("%s=%v: %d %s", tc.field, tc.value, r.Status, r.Body)
		}
		if r := tw.clean.do("GET", "/api/v1/features/"+id, nil); r.Status != 404 {
			t.Errorf("%s=%v: the op was applied (%d)", tc.field, tc.value, r.Status)
		}
	}
	if u := usersByName(t, tw.admin)["clean"]; u["lastSyncAt"] != nil {
		t.Errorf("a refused sync was recorded: %v", u)
	}
}
