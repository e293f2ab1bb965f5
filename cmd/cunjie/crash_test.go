package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// TestCrashReplayExactlyOnce sends 2,000 ops in batches to a real server
// process, kills it with SIGKILL while a batch is in flight, restarts it,
// and replays every op whose answer was not seen. Afterwards every op must
// be applied exactly once.
func TestCrashReplayExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := testDir(t)
	cmd, url, _ := startChild(t, dir)
	admin := loginURL(t, url, "admin", testAdminPassword)
	admin.must(200, "POST", "/api/v1/villages/import", demoGeoJSON())
	// 1,600 creates and, in later batches, 400 events on features created
	// in earlier ones.
	type op = map[string]any
	var ops []op
	points := demoTestPoints(t, 1600)
	for i := 0; i < 1600; i++ {
		id := fmt.Sprintf("crash-%04d", i)
		ops = append(ops, op{"type": "putFeature", "id": id, "opId": "op-" + id, "feature": op{
			"opId": "op-" + id, "kind": "bin", "location": points[i], "attrs": op{"capacity_l": 100 + i%500}}})
		if i%4 == 3 {
			target := fmt.Sprintf("crash-%04d", i-3)
			ops = append(ops, op{"type": "addEvent", "id": target, "opId": "evop-" + target, "event": op{
				"opId": "evop-" + target, "id": "ev-" + target, "type": "emptied", "at": "2026-11-20T08:00:00Z"}})
		}
	}
	answered := make([]bool, len(ops))
	send := func(base, token string, from, to int) error {
		body, _ := json.Marshal(op{"ops": ops[from:to]})
		req, _ := http.NewRequest("POST", base+"/api/v1/sync", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var res struct {
			Results []struct{ OpID, Result string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
			return err
		}
		if resp.StatusCode != 200 || len(res.Results) != to-from {
			return fmt.Errorf("status %d, %d results", resp.StatusCode, len(res.Results))
		}
		for i, r := range res.Results {
			if r.Result != "applied" && r.Result != "duplicate" {
				t.Errorf("op %v: %s", ops[from+i]["opId"], r.Result)
			}
			answered[from+i] = true
		}
		return nil
	}
	const batch = 100
	killed := false
	for from := 0; from < len(ops); from += batch {
		to := min(from+batch, len(ops))
		if from >= 10*batch && !killed {
			// Kill while this batch is being applied.
			go func() { time.Sleep(15 * time.Millisecond); cmd.Process.Signal(syscall.SIGKILL) }()
			err := send(url, admin.token, from, to)
			cmd.Wait()
			killed = true
			t.Logf("batch at %d during kill: %v", from, err)
			break
		}
		if err := send(url, admin.token, from, to); err != nil {
			t.Fatal(err)
		}
	}
	if !killed {
		t.Fatal("never killed")
	}
	_, url, _ = startChild(t, dir)
	admin = loginURL(t, url, "admin", testAdminPassword)
	var pending []int
	for i, a := range answered {
		if !a {
			pending = append(pending, i)
		}
	}
	t.Logf("%d ops answered before the kill, replaying %d", len(ops)-len(pending), len(pending))
	for i := 0; i < len(pending); i += batch {
		from := pending[i]
		to := pending[min(i+batch, len(pending))-1] + 1
		if err := send(url, admin.token, from, to); err != nil {
			t.Fatal(err)
		}
	}
	// Every feature once, with its contents; every event once.
	total := 0
	for _, code := range demoCodes() {
		since := "0"
		for {
			var page struct {
				Features []struct {
					ID      string
					Attrs   map[string]any
					Version int
					Events  []struct{ ID string }
				}
				Next string
				More bool
			}
			admin.must(200, "GET", "/api/v1/changes?village="+code+"&limit=1000&since="+since, nil).JSON(&page)
			for _, f := range page.Features {
				total++
				var n int
				fmt.Sscanf(f.ID, "crash-%d", &n)
				if f.Attrs["capacity_l"] != float64(100+n%500) {
					t.Errorf("%s: capacity %v", f.ID, f.Attrs["capacity_l"])
				}
				wantEvents := 0
				if n%4 == 0 && n+3 < 1600 {
					wantEvents = 1
				}
				if len(f.Events) != wantEvents {
					t.Errorf("%s: %d events, want %d", f.ID, len(f.Events), wantEvents)
				}
			}
			since = page.Next
			if !page.More {
				break
			}
		}
	}
	if total != 1600 {
		t.Errorf("%d features stored, want 1600", total)
	}
	for _, n := range []int{0, 996, 1596} {
		id := fmt.Sprintf("crash-%04d", n)
		evs := admin.must(200, "GET", "/api/v1/features/"+id+"/events", nil).Map()["events"].([]any)
		if len(evs) != 1 {
			t.Errorf("%s history has %d events", id, len(evs))
		}
	}
}
