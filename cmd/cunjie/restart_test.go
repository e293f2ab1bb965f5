package main

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cunjie/cunjie/geo"
)

// TestRestartKeepsEveryWriteInOrder stops the server cleanly (its
// snapshots are then current), writes more, kills it (the snapshots are
// then stale) and starts it again: every write is there, and the changes
// feed still goes forward, since the embedded store hands out seqs from
// memory and tells stale snapshots by a revision that moves at the first
// write after a snapshot.
func TestRestartKeepsEveryWriteInOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := testDir(t)
	code := demoCodes()[0]
	// Points of the first village only: the feed read below is its own.
	shapes, _ := geo.ParseVillages(demoGeoJSON())
	vs := geo.NewVillages(shapes)
	var points []map[string]any
	for _, p := range demoTestPoints(t, 400) {
		if c, _ := vs.Locate(orb.Point{p["lon"].(float64), p["lat"].(float64)}); c == code && len(points) < 12 {
			points = append(points, p)
		}
	}
	if len(points) < 12 {
		t.Fatalf("only %d test points in village %s", len(points), code)
	}
	create := func(c *client, from, to int) {
		t.Helper()
		var ops []map[string]any
		for i := from; i < to; i++ {
			id := fmt.Sprintf("rs-%02d", i)
			ops = append(ops, map[string]any{"type": "putFeature", "id": id, "opId": "op-" + id,
				"feature": map[string]any{"opId": "op-" + id, "kind": "bin", "location": points[i]}})
		}
		var res struct{ Results []struct{ Result string } }
		c.must(200, "POST", "/api/v1/sync", map[string]any{"ops": ops}).JSON(&res)
		for _, r := range res.Results {
			if r.Result != "applied" {
				t.Fatalf("create: %v", res.Results)
			}
		}
	}
	type page struct {
		Features []struct{ ID string }
		Next     string
	}
	changes := func(c *client, since string) page {
		t.Helper()
		var p page
		c.must(200, "GET", "/api/v1/changes?village="+code+"&since="+since, nil).JSON(&p)
		return p
	}

	cmd, url, _ := startChild(t, dir)
	admin := loginURL(t, url, "admin", testAdminPassword)
	admin.must(200, "POST", "/api/v1/villages/import", demoGeoJSON())
	create(admin, 0, 4)
	cmd.Process.Signal(syscall.SIGTERM) // a clean stop saves current snapshots
	cmd.Wait()

	cmd, url, _ = startChild(t, dir)
	admin = loginURL(t, url, "admin", testAdminPassword)
	before := changes(admin, "0")
	create(admin, 4, 8)
	admin.must(201, "POST", "/api/v1/features/"+before.Features[0].ID+"/events", map[string]any{
		"opId": "ev-op-1", "id": "ev-1", "type": "emptied", "at": "2026-11-20T08:00:00Z"})
	afterWrites := changes(admin, "0")
	cmd.Process.Signal(syscall.SIGKILL) // no snapshot of these writes
	cmd.Wait()

	_, url, _ = startChild(t, dir)
	admin = loginURL(t, url, "admin", testAdminPassword)
	all := changes(admin, "0")
	if len(all.Features) != len(afterWrites.Features) || all.Next != afterWrites.Next {
		t.Fatalf("after the kill: %d features up to seq %s; before it %d up to %s",
			len(all.Features), all.Next, len(afterWrites.Features), afterWrites.Next)
	}
	if got := changes(admin, before.Next).Features; len(got) != len(afterWrites.Features)-len(before.Features)+1 {
		t.Errorf("changes since the clean stop: %d features, want the new ones and the one with the event", len(got))
	}
	// A write after the restart comes after everything a phone has seen.
	create(admin, 8, 12)
	if got := changes(admin, all.Next).Features; len(got) != 4 {
		t.Errorf("changes since %s after new writes: %v", all.Next, got)
	}
}
