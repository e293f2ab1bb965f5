package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/cunjie/cunjie/store"
)

// backupPNG makes a w×h PNG that differs with seed.
func backupPNG(t *testing.T, w, h int, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x*3) + seed, uint8(y * 5), seed, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// runCmd runs the program with args and no environment but the log level.
func runCmd(args ...string) (string, error) {
	var out bytes.Buffer
	getenv := func(k string) string {
		if k == "CUNJIE_LOG_LEVEL" {
			return "error"
		}
		return ""
	}
	err := run(context.Background(), args, getenv, &out, io.Discard)
	return out.String(), err
}

// backupDumpDB reads every document of every collection as canonical
// extended JSON (which keeps each value's BSON type and the key order),
// by collection and _id.
func backupDumpDB(t *testing.T, db *mongo.Database) map[string]map[string]string {
	t.Helper()
	ctx := context.Background()
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, name := range names {
		cur, err := db.Collection(name).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		docs := map[string]string{}
		for cur.Next(ctx) {
			id, _ := bson.MarshalExtJSON(bson.D{{Key: "id", Value: cur.Current.Lookup("_id")}}, true, false)
			j, err := bson.MarshalExtJSON(cur.Current, true, false)
			if err != nil {
				t.Fatal(err)
			}
			docs[string(id)] = string(j)
		}
		if err := cur.Err(); err != nil {
			t.Fatal(err)
		}
		cur.Close(ctx)
		out[name] = docs
	}
	return out
}

// waitSnapshotsCurrent waits until every village's snapshot is at the
// village's rev: after that the server writes nothing by itself, so the
// database can be compared with a copy.
func waitSnapshotsCurrent(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	db := st.DB()
	waitFor(t, 40*time.Second, "snapshots at every village's rev", func() bool {
		villages := docIDs(t, st, "village_counters")
		for _, village := range villages {
			rev, err := st.VillageRev(ctx, village)
			if err != nil {
				t.Fatal(err)
			}
			var snap struct {
				Rev int64 `bson:"rev"`
			}
			err = db.Collection("village_snapshots").FindOne(ctx, bson.D{{Key: "_id", Value: village + "/0"}}).Decode(&snap)
			if err != nil || snap.Rev != rev {
				return false
			}
		}
		return len(villages) > 0
	})
}

func TestBackupRestoreDemoTown(t *testing.T) {
	// One village's snapshot each 200 ms: the test waits for all of them.
	m := MustRunMain(t, map[string]string{"CUNJIE_SNAPSHOT_EVERY": "200ms"}, "--demo")
	// Logged in first: a server closed before it serves its first request
	// may never stop (Main.Close would wait for it).
	admin := adminClient(t, m)
	if !slices.ContainsFunc(m.Server.App().GetRoutes(true), func(r fiber.Route) bool {
		return r.Method == "GET" && r.Path == "/api/v1/admin/backup"
	}) {
		t.Fatal("GET /api/v1/admin/backup is not served: api.(*Server).backupRoutes() must be in the route table (api/routes.go)")
	}
	photos := map[string][]byte{"backup-photo-1": backupPNG(t, 640, 480, 1), "backup-photo-2": backupPNG(t, 300, 500, 2)}
	for id, b := range photos {
		if r := admin.do("PUT", "/api/v1/photos/"+id, b, "Content-Type", "image/png"); r.Status != 201 {
			t.Fatalf("upload %s: %d %s", id, r.Status, r.Body)
		}
	}
	waitSnapshotsCurrent(t, m.Store)

	// The store is the server's: backing it up directly is refused with a
	// pointer to the way that works.
	file := filepath.Join(testDir(t), "town.tar.gz")
	if _, err := runCmd("backup", "--data-dir", m.Config.DataDir, file); err == nil || !strings.Contains(err.Error(), "--url") {
		t.Errorf("backup of a store in use: %v", err)
	}
	if _, err := runCmd("backup", "--url", m.URL(), "--token", "nonsense", file); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("backup with a bad token: %v", err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("a failed backup left %s (%v)", file, err)
	}

	start := time.Now()
	out, err := runCmd("backup", "--url", m.URL(), "--token", admin.token, file)
	if err != nil {
		t.Fatal(err)
	}
	backupTook := time.Since(start)
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", strings.TrimSpace(out))
	// Read after the backup: taking it wrote its audit log entry.
	want := backupDumpDB(t, m.Store.DB())
	if len(want["audit_log"]) == 0 {
		t.Error("the backup is not in the audit log")
	}

	dir := testDir(t)
	start = time.Now()
	out, err = runCmd("restore", "--data-dir", dir, file)
	if err != nil {
		t.Fatal(err)
	}
	restoreTook := time.Since(start)
	t.Logf("%s", strings.TrimSpace(out))
	t.Logf("demo town: backup %v, restore %v, archive %.2f MB", backupTook.Round(time.Millisecond),
		restoreTook.Round(time.Millisecond), float64(fi.Size())/(1<<20))

	// A server on the restored store; compared before anyone logs in to
	// it (a login writes a session).
	m2 := mustRunIn(t, dir, nil)
	got := backupDumpDB(t, m2.Store.DB())
	names, gotNames := slices.Sorted(maps.Keys(want)), slices.Sorted(maps.Keys(got))
	if !slices.Equal(names, gotNames) {
		t.Fatalf("collections differ:\nsource   %v\nrestored %v", names, gotNames)
	}
	docs := 0
	for _, name := range names {
		if len(got[name]) != len(want[name]) {
			t.Errorf("%s: %d documents restored, %d in the source", name, len(got[name]), len(want[name]))
		}
		for id, doc := range want[name] {
			if got[name][id] != doc {
				t.Errorf("%s %s:\nrestored %.300s\nsource   %.300s", name, id, got[name][id], doc)
				break
			}
		}
		docs += len(want[name])
	}
	t.Logf("%d collections, %d documents compared", len(names), docs)

	// Every photo's bytes, through both servers.
	admin2 := adminClient(t, m2)
	if len(want["photos"]) < 2 {
		t.Fatalf("%d photos in the source", len(want["photos"]))
	}
	for idJSON := range want["photos"] {
		var id struct{ ID string }
		if err := bson.UnmarshalExtJSON([]byte(idJSON), true, &id); err != nil {
			t.Fatal(err)
		}
		for _, size := range []string{"", "?size=thumb"} {
			a := admin.must(200, "GET", "/api/v1/photos/"+id.ID+size, nil).Body
			b := admin2.must(200, "GET", "/api/v1/photos/"+id.ID+size, nil).Body
			if !bytes.Equal(a, b) {
				t.Errorf("photo %s%s: %d bytes restored, %d in the source", id.ID, size, len(b), len(a))
			}
			if up, ok := photos[id.ID]; ok && size == "" && !bytes.Equal(b, up) {
				t.Errorf("photo %s: restored bytes differ from the upload", id.ID)
			}
		}
	}

	// Feature counts per village, as the servers see them.
	counts := func(c *client) map[string]string {
		var vs struct {
			Villages []struct {
				Code     string
				Features int
				Kinds    map[string]int
			}
		}
		c.must(200, "GET", "/api/v1/villages", nil).JSON(&vs)
		out := map[string]string{}
		for _, v := range vs.Villages {
			out[v.Code] = fmt.Sprint(v.Features, v.Kinds)
		}
		return out
	}
	wantCounts, gotCounts := counts(admin), counts(admin2)
	if len(wantCounts) != 16 || fmt.Sprint(wantCounts) != fmt.Sprint(gotCounts) {
		t.Errorf("villages:\nsource   %v\nrestored %v", wantCounts, gotCounts)
	}
	features := 0
	for name, d := range want {
		if strings.HasPrefix(name, "features_") {
			features += len(d)
		}
	}
	if features < 2000 {
		t.Errorf("only %d features in the demo town", features)
	}

	// The restored server's data dir is in use; a fresh one takes the
	// archive once, then only with --force.
	if _, err := runCmd("restore", "--data-dir", dir, file); err == nil || !strings.Contains(err.Error(), "stop the server") {
		t.Errorf("restore into a running server's dir: %v", err)
	}
	dir3 := testDir(t)
	if _, err := runCmd("restore", "--data-dir", dir3, file); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd("restore", "--data-dir", dir3, file); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore over a restored store: %v", err)
	}
	if _, err := runCmd("restore", "--force", "--data-dir", dir3, file); err != nil {
		t.Errorf("restore --force: %v", err)
	}

	backupUnderWrites(t, m, admin)
}

// backupUnderWrites takes a backup while phones keep writing, restores it,
// and checks the cut is consistent: every feature has its id claim, and
// every snapshot at its
// village's rev holds exactly the village's features (which the restored
// server would load as its index).
func backupUnderWrites(t *testing.T, m *Main, admin *client) {
	tw := &town{m: m}
	stop := make(chan struct{})
	results := make(chan string, 100000)
	var wg sync.WaitGroup
	for g := range 4 {
		code := demoCode(g * 3)
		loc := tw.pointIn(t, code)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body, _ := json.Marshal(map[string]any{"opId": fmt.Sprintf("op-bw-%d-%d", g, i), "kind": "bin", "location": loc})
				req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/features/bw-%d-%d", m.URL(), g, i), bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+admin.token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					results <- err.Error()
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				results <- resp.Status
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // writers under way
	file := filepath.Join(testDir(t), "busy.tar.gz")
	_, err := runCmd("backup", "--url", m.URL(), "--token", admin.token, file)
	time.Sleep(300 * time.Millisecond) // and still writing after
	close(stop)
	wg.Wait()
	close(results)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r := range results {
		if r != "201 Created" {
			t.Fatalf("a write during the backup: %s", r)
		}
		n++
	}
	t.Logf("%d writes while the backup ran", n)

	dir := testDir(t)
	if _, err := runCmd("restore", "--data-dir", dir, file); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	db := backupDumpDB(t, st.DB())
	type doc struct {
		ID      string `bson:"_id"`
		Village string `bson:"village"`
		Rev     int64  `bson:"rev"`
		Version int64  `bson:"version"`
		Parts   int    `bson:"parts"`
		Items   []byte `bson:"items"`
	}
	decode := func(j string) doc {
		var d doc
		if err := bson.UnmarshalExtJSON([]byte(j), true, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	claims := map[string]string{}
	for _, j := range db["feature_ids"] {
		d := decode(j)
		claims[d.ID] = d.Village
	}
	counters := map[string]doc{}
	for _, j := range db["village_counters"] {
		d := decode(j)
		counters[d.ID] = d
	}
	// (Seqs are not checked against the counters: the embedded store hands
	// them out from memory, and a MongoDB loading the data moves its
	// counters past them; see api's reserveSeqs.)
	checked := 0
	for name, docs := range db {
		code, ok := strings.CutPrefix(name, "features_")
		if !ok {
			continue
		}
		versions := map[string]int64{}
		for _, j := range docs {
			f := decode(j)
			versions[f.ID] = f.Version
			if claims[f.ID] != code {
				t.Errorf("feature %s of %s has no id claim", f.ID, code)
			}
		}
		head, ok := db["village_snapshots"][fmt.Sprintf(`{"id":"%s/0"}`, code)]
		if !ok || decode(head).Rev != counters[code].Rev {
			continue // no current snapshot: the restored server reads the features
		}
		inSnap := map[string]int64{}
		for p := range decode(head).Parts {
			part := decode(db["village_snapshots"][fmt.Sprintf(`{"id":"%s/%d"}`, code, p)])
			var items struct {
				Items []doc `bson:"items"`
			}
			if err := bson.Unmarshal(part.Items, &items); err != nil {
				t.Fatal(err)
			}
			for _, it := range items.Items {
				inSnap[it.ID] = it.Version
			}
		}
		if fmt.Sprint(inSnap) != fmt.Sprint(versions) {
			t.Errorf("village %s: the snapshot at rev %d holds %d features, the collection %d", code, counters[code].Rev, len(inSnap), len(versions))
		}
		checked++
	}
	t.Logf("%d villages' snapshots match their features", checked)
}

// docIDs answers the ids of a collection's documents.
func docIDs(t *testing.T, st *store.Store, collection string) []string {
	t.Helper()
	ctx := context.Background()
	cur, err := st.DB().Collection(collection).Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids
}
