package main

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// instance is one `cunjie serve` process on the shared store.
type instance struct {
	cmd *exec.Cmd
	url string
	log *syncBuffer // what it wrote to stderr
}

func startInstance(t testing.TB, uri string) *instance {
	t.Helper()
	in := &instance{log: &syncBuffer{}}
	in.cmd, in.url, _ = spawn(t, in.log, "MONGODB_URI="+uri, "CUNJIE_SNAPSHOT_EVERY=1s")
	waitReady(t, &client{t: t, base: in.url})
	return in
}

// ledger records what the clients were told, to check against the store.
type ledger struct {
	mu      sync.Mutex
	events  map[string]string // applied event id → feature
	updates map[string]int    // "feature@baseVersion" → updates applied on it
	unknown []map[string]any  // ops sent with no answer (the instance was killed)
	errs    []string
}

func (l *ledger) errorf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) < 20 {
		l.errs = append(l.errs, fmt.Sprintf(format, args...))
	}
}

// record takes the results of a sync batch.
func (l *ledger) record(ops []map[string]any, results []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, r := range results {
		res := r.(map[string]any)
		op := ops[i]
		switch res["result"] {
		case "applied":
			switch op["type"] {
			case "addEvent":
				l.events[op["event"].(map[string]any)["id"].(string)] = op["id"].(string)
			case "putFeature":
				k := fmt.Sprintf("%s@%v", op["id"], op["feature"].(map[string]any)["baseVersion"])
				l.updates[k]++
			}
		case "duplicate", "conflict":
		default:
			if len(l.errs) < 20 {
				l.errs = append(l.errs, fmt.Sprintf("op %s: %v", op["opId"], res))
			}
		}
	}
}

// syncOps posts a batch; ok is false when no answer came (a killed instance).
func syncOps(c *client, ops []map[string]any) ([]any, bool) {
	r, err := c.tryDo("POST", "/api/v1/sync", map[string]any{"ops": ops})
	if err != nil || r.Status != 200 {
		return nil, false
	}
	return r.Map()["results"].([]any), true
}

var evSeq sync.Mutex

func eventOp(feature string, at time.Time) map[string]any {
	return map[string]any{"type": "addEvent", "id": feature, "opId": newIDSafe("op"),
		"event": map[string]any{"id": newIDSafe("ev"), "type": "status_reported", "status": []string{"ok", "full", "overflowing", "damaged"}[rand.IntN(4)],
			"at": at.UTC().Format(time.RFC3339Nano), "note": "load"}}
}

func newIDSafe(prefix string) string {
	evSeq.Lock()
	defer evSeq.Unlock()
	return newID(prefix)
}

// TestTwoInstancesOneStore runs two real servers on one FerretDB +
// PostgreSQL store, 4 clients on each writing events and updates to the
// same features of one village, replays sent at once to the other
// instance, a phone paging the changes feed across both, and a kill -9 of
// one instance mid-load whose unanswered ops are replayed on the other.
// Nothing answered may be lost or applied twice.
func TestTwoInstancesOneStore(t *testing.T) {
	uri := startSharedStore(t)
	a := startInstance(t, uri)
	admin := loginURL(t, a.url, "admin", testAdminPassword)
	admin.must(200, "POST", "/api/v1/villages/import", demoGeoJSON())
	admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "insp", "password": "insp-password", "role": "inspector"})
	b := startInstance(t, uri)
	village := demoCode(0)

	clients := map[string]*client{"a": loginURL(t, a.url, "insp", "insp-password"), "b": loginURL(t, b.url, "insp", "insp-password")}
	// Twelve bins, each written from both instances.
	var features []string
	// Inside the first village, whose cell is the grid's south-west one.
	loc := [2]float64{demoOriginLon + demoCellLon*0.45, demoOriginLat + demoCellLat*0.5}
	for i := range 12 {
		id := fmt.Sprintf("bin-%02d", i)
		clients["a"].must(201, "PUT", "/api/v1/features/"+id, map[string]any{"opId": "create-" + id, "kind": "bin",
			"location": map[string]any{"lon": loc[0] + float64(i)*1e-4, "lat": loc[1], "accuracy": 5}})
		features = append(features, id)
	}

	l := &ledger{events: map[string]string{}, updates: map[string]int{}}
	feed := newFeedPager(village)
	stop := make(chan struct{})
	var feedDone sync.WaitGroup
	feedDone.Add(1)
	go func() {
		defer feedDone.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			feed.page(clients[[]string{"a", "b"}[i%2]])
			time.Sleep(20 * time.Millisecond)
		}
	}()

	start := time.Now().Add(-time.Hour)
	load := func(name string, n int, kill *exec.Cmd) {
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := clients[name]
				other := clients[map[string]string{"a": "b", "b": "a"}[name]]
				rng := rand.New(rand.NewPCG(uint64(w), uint64(len(name))))
				for i := range n {
					var ops []map[string]any
					for range 1 + rng.IntN(4) {
						f := features[rng.IntN(len(features))]
						if rng.IntN(4) == 0 {
							// An update on the version this instance shows.
							r, err := c.tryDo("GET", "/api/v1/features/"+f, nil)
							if err != nil || r.Status != 200 {
								continue
							}
							cur := r.Map()
							ops = append(ops, map[string]any{"type": "putFeature", "id": f, "opId": newIDSafe("op"), "feature": map[string]any{
								"kind": "bin", "location": cur["location"], "baseVersion": cur["version"],
								"attrs": map[string]any{"capacity_l": 100 + rng.IntN(500)}}})
							continue
						}
						ops = append(ops, eventOp(f, start.Add(time.Duration(rng.IntN(3600))*time.Second)))
					}
					if len(ops) == 0 {
						continue
					}
					res, ok := syncOps(c, ops)
					if !ok {
						l.mu.Lock()
						l.unknown = append(l.unknown, ops...)
						l.mu.Unlock()
						continue
					}
					l.record(ops, res)
					if i%10 == 3 {
						// The phone lost the answer and asks the other instance.
						again, ok := syncOps(other, ops)
						if !ok {
							continue
						}
						for j, r := range again {
							first := res[j].(map[string]any)["result"]
							if got := r.(map[string]any)["result"]; got == "applied" && (first == "applied" || first == "duplicate") {
								l.errorf("replay of %s on the other instance applied again", ops[j]["opId"])
							}
						}
					}
					if kill != nil && i == n/2 && w == 0 {
						kill.Process.Signal(syscall.SIGKILL)
					}
				}
			}()
		}
		wg.Wait()
	}
	var both sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		both.Add(1)
		go func() { defer both.Done(); load(name, 60, nil) }()
	}
	both.Wait()

	// kill -9 of b while it takes writes; what it never answered goes to a.
	load("b", 40, b.cmd)
	b.cmd.Wait()
	if len(l.unknown) > 0 {
		for i := 0; i < len(l.unknown); i += 20 {
			batch := l.unknown[i:min(i+20, len(l.unknown))]
			res, ok := syncOps(clients["a"], batch)
			if !ok {
				t.Fatal("a does not answer the replay")
			}
			l.record(batch, res)
		}
	}
	t.Logf("%d events and %d updates applied, %d ops unanswered by the killed instance", len(l.events), len(l.updates), len(l.unknown))
	if len(l.errs) > 0 {
		for _, in := range []*instance{a, b} {
			for _, line := range strings.Split(in.log.String(), "\n") {
				if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
					t.Log(line)
				}
			}
		}
	}
	close(stop)
	feedDone.Wait()
	for _, e := range l.errs {
		t.Error(e)
	}

	// Every applied event is in its feature's history exactly once.
	c := clients["a"]
	seen := map[string]int{}
	for _, f := range features {
		evs := c.must(200, "GET", "/api/v1/features/"+f+"/events", nil).Map()["events"].([]any)
		for _, e := range evs {
			seen[e.(map[string]any)["id"].(string)]++
		}
	}
	lost := 0
	for id := range l.events {
		if seen[id] != 1 {
			lost++
			if lost < 5 {
				t.Errorf("applied event %s is in the history %d times", id, seen[id])
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d applied events not in the history exactly once", lost, len(l.events))
	}
	// No update applied twice on one base version.
	for k, n := range l.updates {
		if n > 1 {
			t.Errorf("%d updates applied on %s", n, k)
		}
	}
	// Seqs are unique, and the phone that paged the feed across both
	// instances has every feature as it now is.
	final := newFeedPager(village)
	for final.page(c) {
	}
	seqs := map[float64]string{}
	for id, f := range final.latest {
		if other, dup := seqs[f.seq]; dup {
			t.Errorf("seq %v given to %s and %s", f.seq, id, other)
		}
		seqs[f.seq] = id
	}
	for feed.page(c) {
	}
	for id, f := range final.latest {
		if got := feed.latest[id]; got.version != f.version || got.seq != f.seq {
			t.Errorf("the paging phone has %s at version %v (seq %v), the store at %v (seq %v)", id, got.version, got.seq, f.version, f.seq)
		}
	}
	// A third instance starting now (from a snapshot and the log after it)
	// has every feature as the others have it.
	third := startInstance(t, uri)
	late := newFeedPager(village)
	for late.page(loginURL(t, third.url, "insp", "insp-password")) {
	}
	for id, f := range final.latest {
		if got := late.latest[id]; got != f {
			t.Errorf("a new instance has %s at version %v (seq %v), the others at %v (seq %v)", id, got.version, got.seq, f.version, f.seq)
		}
	}
	// Two clean stops at once write their snapshots without an error.
	for _, in := range []*instance{a, third} {
		in.cmd.Process.Signal(syscall.SIGTERM)
	}
	for name, in := range map[string]*instance{"a": a, "the third": third} {
		in.cmd.Wait()
		if log := in.log.String(); strings.Contains(log, "E11000") || strings.Contains(log, "level=ERROR") {
			t.Errorf("instance %s logged errors:\n%s", name, log)
		}
	}
}

// feedPager pages GET /changes like a phone, keeping each feature's latest.
type feedPager struct {
	village string
	since   string
	latest  map[string]feedEntry
}

type feedEntry struct{ version, seq float64 }

func newFeedPager(village string) *feedPager {
	return &feedPager{village: village, since: "0", latest: map[string]feedEntry{}}
}

// page reads one page and says whether there is more.
func (p *feedPager) page(c *client) bool {
	r, err := c.tryDo("GET", "/api/v1/changes?limit=50&village="+p.village+"&since="+p.since, nil)
	if err != nil || r.Status != 200 {
		return false
	}
	m := r.Map()
	for _, f := range m["features"].([]any) {
		f := f.(map[string]any)
		p.latest[f["id"].(string)] = feedEntry{version: f["version"].(float64), seq: f["seq"].(float64)}
	}
	p.since = m["next"].(string)
	return m["more"] == true
}

// TestTwoInstancesInspections records inspections of one village and
// month from both instances at once: each is kept (the month's document
// is changed by compare-and-set, which FerretDB does not make atomic
// between processes).
func TestTwoInstancesInspections(t *testing.T) {
	uri := startSharedStore(t)
	a := startInstance(t, uri)
	admin := loginURL(t, a.url, "admin", testAdminPassword)
	admin.must(200, "POST", "/api/v1/villages/import", demoGeoJSON())
	admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "insp", "password": "insp-password", "role": "inspector"})
	admin.must(201, "POST", "/api/v1/templates", map[string]any{"id": "monthly", "name": "村庄环境卫生月度考评表", "items": testItems})
	b := startInstance(t, uri)
	village, month := demoCode(0), time.Now().UTC().Format("2006-01")
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored := map[string]bool{}
	for w, in := range []*instance{a, b, a, b} {
		c := loginURL(t, in.url, "insp", "insp-password")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				id := fmt.Sprintf("insp-%d-%02d", w, i)
				r, err := c.tryDo("PUT", "/api/v1/inspections/"+id, inspection(village, month, at, []float64{40, 30, 20, 10}))
				if err != nil {
					t.Error(err)
					return
				}
				if r.Status == 201 || r.Status == 200 {
					mu.Lock()
					stored[id] = true
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for name, in := range map[string]*instance{"a": a, "b": b} {
		c := loginURL(t, in.url, "insp", "insp-password")
		list := c.must(200, "GET", "/api/v1/inspections?month="+month+"&village="+village, nil).Map()
		got := map[string]bool{}
		for _, x := range list["inspections"].([]any) {
			got[x.(map[string]any)["id"].(string)] = true
		}
		for id := range stored {
			if !got[id] {
				t.Errorf("instance %s: inspection %s was answered stored and is not there", name, id)
			}
		}
	}
	if len(stored) < 30 {
		t.Errorf("only %d of 40 inspections stored", len(stored))
	}
}
