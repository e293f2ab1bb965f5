package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestBusyVillageIsSavedWhenQuiet: on the embedded store a village being
// written to is not saved at every tick (its snapshot would be stale by
// the next write), and is saved once its writes pause.
func TestBusyVillageIsSavedWhenQuiet(t *testing.T) {
	m := MustRunMain(t, map[string]string{"CUNJIE_SNAPSHOT_EVERY": "200ms"})
	admin := adminClient(t, m)
	admin.must(200, "POST", "/api/v1/villages/import", demoGeoJSON())
	code := demoCodes()[0]
	loc := map[string]any{"lon": demoOriginLon + demoCellLon*0.5, "lat": demoOriginLat + demoCellLat*0.5, "accuracy": 5}
	admin.must(201, "PUT", "/api/v1/features/snap-1", map[string]any{"opId": "op-snap-1", "kind": "bin", "location": loc})
	ctx := context.Background()
	snapRev := func() int64 {
		var snap struct {
			Rev int64 `bson:"rev"`
		}
		m.Store.DB().Collection("village_snapshots").FindOne(ctx, bson.D{{Key: "_id", Value: code + "/0"}}).Decode(&snap)
		return snap.Rev
	}
	current := func() bool {
		rev, err := m.Store.VillageRev(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		return snapRev() == rev
	}
	waitFor(t, 20*time.Second, "the first snapshot", current)
	saved := snapRev()

	// An event every 50 ms for 2 s: ten ticks, each with the village busy.
	for i := range 40 {
		admin.must(201, "POST", "/api/v1/features/snap-1/events", map[string]any{"opId": fmt.Sprintf("op-ev-%d", i),
			"id": fmt.Sprintf("ev-%d", i), "type": "emptied", "at": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)})
		time.Sleep(50 * time.Millisecond)
	}
	if got := snapRev(); got != saved {
		t.Errorf("a busy village was saved (snapshot rev %d → %d)", saved, got)
	}
	waitFor(t, 20*time.Second, "a snapshot once the writes paused", current)
}
