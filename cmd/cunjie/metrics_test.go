package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestMetricsAndRequestLog(t *testing.T) {
	m, logs := runWithJSONLog(t, "--metrics-addr", "127.0.0.1:0")
	admin := adminClient(t, m)
	admin.must(200, "POST", "/api/v1/villages/import", demoGeoJSON())
	admin.must(200, "POST", "/api/v1/sync", map[string]any{"ops": []map[string]any{{"type": "putFeature", "id": "m1", "opId": "o1",
		"feature": map[string]any{"opId": "o1", "kind": "bin", "location": demoTestPoints(t, 1)[0]}}}})
	bad := admin.do("GET", "/api/v1/features/nope", nil)
	reqID := bad.Map()["error"].(map[string]any)["requestId"].(string)

	body := string(admin.must(200, "GET", "/metrics", nil).Body)
	for _, want := range []string{
		`cunjie_http_requests_total{method="POST",route="/api/v1/sync",status="200"} 1`,
		`cunjie_http_requests_total{method="GET",route="/api/v1/features/:id",status="404"} 1`,
		`cunjie_sync_ops_total{result="applied"} 1`,
		`cunjie_http_request_duration_seconds_bucket{method="POST",route="/api/v1/sync"`,
		`cunjie_store_command_duration_seconds_count{collection="features_*",command="insert"}`,
		`cunjie_index_features`,
		`cunjie_photos_stored_total 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "insp", "password": "insp-password", "role": "inspector"})
	if r := login(t, m, "insp", "insp-password").do("GET", "/metrics", nil); r.Status != 403 {
		t.Errorf("inspector reads metrics: %d", r.Status)
	}
	if r := newClient(t, m).do("GET", "/metrics", nil); r.Status != 401 {
		t.Errorf("anonymous reads metrics: %d", r.Status)
	}
	// The separate metrics address needs no token.
	pub := &client{t: t, base: "http://" + m.metricsAddr()}
	if r := pub.do("GET", "/metrics", nil); r.Status != 200 || !strings.Contains(string(r.Body), "cunjie_http_requests_total") {
		t.Errorf("metrics address: %d", r.Status)
	}

	// The error's request id is in the request log, as JSON.
	found := false
	for _, line := range strings.Split(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		if rec["msg"] == "request" && rec["requestId"] == reqID && rec["status"] == 404.0 && rec["user"] == "admin" {
			found = true
		}
	}
	if !found {
		t.Errorf("request %s not in the log:\n%.2000s", reqID, logs.String())
	}
}

// runWithJSONLog boots the program with JSON logs at info level kept in a
// buffer, and closes it when the test ends.
func runWithJSONLog(t *testing.T, args ...string) (*Main, *syncBuffer) {
	t.Helper()
	dir := testDir(t)
	cfg, err := parseConfig("serve", append([]string{"--log-format", "json", "--log-level", "info"}, args...), func(k string) string {
		return map[string]string{"CUNJIE_ADDR": "127.0.0.1:0", "CUNJIE_DATA_DIR": dir, "CUNJIE_ADMIN_PASSWORD": testAdminPassword}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	m := NewMain(cfg, &syncBuffer{}, logs)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, logs
}
