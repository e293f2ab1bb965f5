package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
)

var codeRe = regexp.MustCompile(`^(\d{3})-(\d{4})$`)

// Creates from several clients into two villages at once: every feature
// gets a code of its village, no two the same, a replayed create keeps
// its code, and GET /features?code= finds each one.
func TestCodesUniqueUnderConcurrentCreates(t *testing.T) {
	tw := newTown(t)
	<-tw.m.Server.CodesMigrated()
	type made struct{ id, village, code, op string }
	var mu sync.Mutex
	var all []made
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			village := []string{tw.v1, tw.v2}[w%2]
			for range 15 {
				mu.Lock()
				id, op, loc := newID("bin"), newID("op"), tw.pointIn(t, village)
				mu.Unlock()
				f := tw.insp.must(201, "PUT", "/api/v1/features/"+id, map[string]any{"opId": op, "kind": "bin", "location": loc}).Map()
				code, _ := f["code"].(string)
				mu.Lock()
				all = append(all, made{id, village, code, op})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	seen := map[string]string{}
	for _, m := range all {
		g := codeRe.FindStringSubmatch(m.code)
		if g == nil || g[1] != m.village[9:] {
			t.Fatalf("feature %s of %s has code %q", m.id, m.village, m.code)
		}
		if other, ok := seen[m.code]; ok {
			t.Fatalf("code %s given to %s and %s", m.code, other, m.id)
		}
		seen[m.code] = m.id
	}
	// A replay answers the same code, not a second one.
	first := all[0]
	r := tw.insp.do("PUT", "/api/v1/features/"+first.id, map[string]any{"opId": first.op, "kind": "bin", "location": tw.pointIn(t, first.village)})
	if got, _ := r.Map()["code"].(string); got != first.code {
		t.Fatalf("replayed create answered code %q, first %q", got, first.code)
	}
	for _, m := range all[:10] {
		fc := tw.clean.must(200, "GET", "/api/v1/features?code="+m.code, nil).Map()
		n := len(fc["features"].([]any))
		if want := map[bool]int{true: 1, false: 0}[m.village == tw.v1]; n != want {
			t.Fatalf("cleaner of %s finding %s (village %s): %d features, want %d", tw.v1, m.code, m.village, n, want)
		}
		got := tw.insp.must(200, "GET", "/api/v1/features?code="+m.code, nil).Map()["features"].([]any)
		if len(got) != 1 || got[0].(map[string]any)["id"] != m.id {
			t.Fatalf("code %s finds %v, want %s", m.code, got, m.id)
		}
	}
	// A code given back that a failure left in the store leads nowhere:
	// its feature has another code.
	stray := first.code[:4] + "9999"
	if _, err := tw.m.Store.DB().Collection("feature_ids").InsertOne(context.Background(),
		bson.M{"_id": "code:" + stray, "feature": first.id, "village": first.village}); err != nil {
		t.Fatal(err)
	}
	if got := tw.insp.must(200, "GET", "/api/v1/features?code="+stray, nil).Map()["features"].([]any); len(got) != 0 {
		t.Fatalf("a code left behind finds %v", got)
	}
}

// Features stored before codes existed get one each at the next start,
// and the same one at every start after.
func TestCodeMigrationExactlyOnce(t *testing.T) {
	dir := testDir(t)
	m := mustRunIn(t, dir, nil)
	admin := adminClient(t, m)
	admin.must(200, "POST", "/api/v1/villages/import", demoGeoJSON())
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// As an older version left them: features with no code, straight
	// into the store.
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for vi, village := range []string{demoCode(0), demoCode(1)} {
		var fs []*cunjie.Feature
		for i := range 30 {
			id := fmt.Sprintf("old-%d-%d", vi, i)
			ids = append(ids, id)
			fs = append(fs, &cunjie.Feature{ID: id, Village: village, Kind: cunjie.KindBin, Version: 1, Seq: int64(i + 1),
				Location: cunjie.Location{Lon: 114.89, Lat: 27.09}, Attrs: map[string]any{"status": "ok"}, CreatedAt: time.Now()})
		}
		villages := make([]string, len(fs))
		fids := make([]string, len(fs))
		ops := make([]string, len(fs))
		for i, f := range fs {
			villages[i], fids[i], ops[i] = village, f.ID, "op-"+f.ID
		}
		if _, _, err := st.ClaimFeatures(ctx, village, "", fids, ops); err != nil {
			t.Fatal(err)
		}
		if _, err := st.InsertFeatures(ctx, village, fs); err != nil {
			t.Fatal(err)
		}
	}
	st.Close(ctx)
	codesAfterStart := func() map[string]string {
		m := mustRunIn(t, dir, nil)
		<-m.Server.CodesMigrated()
		c := adminClient(t, m)
		out := map[string]string{}
		for _, id := range ids {
			f := c.must(200, "GET", "/api/v1/features/"+id, nil).Map()
			out[id], _ = f["code"].(string)
			if f["version"] != 1.0 {
				t.Errorf("%s: version %v after its code, want 1 (a phone's pending change must not conflict)", id, f["version"])
			}
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := codesAfterStart()
	seen := map[string]bool{}
	for id, code := range first {
		if !codeRe.MatchString(code) || seen[code] {
			t.Fatalf("%s: code %q (repeated: %v)", id, code, seen[code])
		}
		seen[code] = true
	}
	second := codesAfterStart()
	for id, code := range first {
		if second[id] != code {
			t.Fatalf("%s: code %q after the second start, %q after the first", id, second[id], code)
		}
	}
	st, err = store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if codes, links := codeDocs(t, st); codes != len(ids) || links != len(ids) {
		t.Fatalf("%d codes taken and %d named by their features for %d features: the migration took some twice", codes, links, len(ids))
	}
}

// codeDocs counts the codes taken and the features that name theirs (by
// their id's claim, or by a link), kept in feature_ids.
func codeDocs(t *testing.T, st *store.Store) (codes, named int) {
	t.Helper()
	ctx := context.Background()
	cur, err := st.DB().Collection("feature_ids").Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		ID   string `bson:"_id"`
		Code string `bson:"code"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		switch {
		case strings.HasPrefix(d.ID, "code:"):
			codes++
		case d.Code != "": // a claim or a link ("of:<feature>")
			named++
		}
	}
	return codes, named
}
