package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// This file is what the simulated phones send and how their answers are
// judged; main.go starts the server and runs the attack.

// phone is one simulated field worker: a cleaner of one village who
// mostly records events on the things of the village (a bin emptied, a
// pool cleared) and now and then a new thing.
type phone struct {
	n       int
	village string
	header  http.Header // Authorization and Content-Type, sent with every batch
	points  []point     // shared pool of the village's points; read only
	ops     int         // ops made so far, for unique ids
	// mine are the features that may receive events: the village's
	// features stored before the load, and those this phone created
	// whose batch was answered applied (a feature still in flight may not
	// exist yet).
	mine []featureRef
	// recent are this phone's last answered batches, the ones a replay
	// picks from (a phone resends a batch when the answer was lost).
	recent []*batch
}

type featureRef struct {
	id   string
	kind string
}

// batch is one POST /sync body and what it holds.
type batch struct {
	phone    *phone
	body     []byte
	firstOp  string       // the answer's first opId names the batch
	ops      int          // how many ops, to check the answer has as many
	creates  []featureRef // features it creates, by op position
	answered bool         // the first answer has come back
}

// By default about one op in twenty creates a new feature (-create-share);
// the rest are events on existing ones, the daily work once a village is
// surveyed. One batch in twenty is a replay of an already answered one
// (its answer was lost).
const (
	defaultCreateShare = 0.05
	replayShare        = 0.05
	maxBatchOps        = 10
	keepRecent         = 8 // answered batches a phone keeps for replays
)

// kindMix is what cleaners log, weighted: mostly bins and the household
// toilets of the renovation programme, some pools, points and toilets.
// Each kind comes with attributes a phone would send and the event a
// cleaner records on it later: each kind takes its own event types (a bin
// is emptied, a pool cleared), and the server refuses any other.
type kindWeight struct {
	kind   string
	weight int
	attrs  map[string]any
	event  string
}

var kindMix = []kindWeight{
	{"bin", 50, map[string]any{"capacity_l": 240, "status": "ok"}, "emptied"},
	{"household_toilet", 25, map[string]any{"type": "three_compartment", "tap_water": true}, "inspected"},
	{"garbage_pool", 10, map[string]any{"volume_m3": 3.5}, "cleared"},
	{"collection_point", 10, map[string]any{"bin_count": 4}, "cleared"},
	{"public_toilet", 5, map[string]any{"stalls": 6, "type": "flush"}, "cleaned"},
}

// takesEvents says whether the soak sends events to a feature of kind.
func takesEvents(kind string) bool {
	return slices.ContainsFunc(kindMix, func(k kindWeight) bool { return k.kind == kind })
}

func eventTypeOf(kind string) string {
	for _, k := range kindMix {
		if k.kind == kind {
			return k.event
		}
	}
	return "inspected"
}

// scenario holds the phones and the batches in flight. The targeter is
// called from many vegeta workers at once and the answers are checked in
// another goroutine, so one mutex guards it all; building a batch takes
// microseconds next to the request.
type scenario struct {
	base        string  // http://127.0.0.1:port
	createShare float64 // of new ops, the share that create a feature

	mu      sync.Mutex
	rng     *rand.Rand
	phones  []*phone
	next    int               // round-robin position
	batches map[string]*batch // by first opId: pending, or kept for replay
	tally   tally
}

// tally counts what the phones sent and what the server answered.
type tally struct {
	batches, replays          int
	ops, creates, events      int
	applied, duplicate, wrong int
	stored                    int // new features answered applied
}

func newScenario(base string, createShare float64, phones []*phone, seed uint64) *scenario {
	return &scenario{base: base, createShare: createShare, phones: phones, rng: rand.New(rand.NewPCG(seed, 7)), batches: map[string]*batch{}}
}

// targeter hands vegeta the next phone's batch: phones take turns, so at
// a total rate R each of N phones syncs every N/R seconds.
func (s *scenario) targeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		p := s.phones[s.next%len(s.phones)]
		s.next++
		var b *batch
		if len(p.recent) > 0 && s.rng.Float64() < replayShare {
			b = p.recent[s.rng.IntN(len(p.recent))]
			s.tally.replays++
		} else {
			b = s.newBatch(p)
			s.batches[b.firstOp] = b
			s.tally.batches++
		}
		t.Method = http.MethodPost
		t.URL = s.base + "/api/v1/sync"
		t.Body = b.body
		t.Header = p.header
		return nil
	}
}

// newBatch makes 1–10 ops of p's village: events on its features, and
// new features (createShare of the ops).
func (s *scenario) newBatch(p *phone) *batch {
	n := 1 + s.rng.IntN(maxBatchOps)
	b := &batch{phone: p, ops: n}
	now := time.Now().UTC().Format(time.RFC3339)
	ops := make([]map[string]any, 0, n)
	for range n {
		p.ops++
		opID := fmt.Sprintf("soak-p%03d-op%06d", p.n, p.ops)
		if b.firstOp == "" {
			b.firstOp = opID
		}
		if len(p.mine) > 0 && s.rng.Float64() >= s.createShare {
			f := p.mine[s.rng.IntN(len(p.mine))]
			ev := map[string]any{"opId": opID, "id": "ev-" + opID, "type": eventTypeOf(f.kind), "at": now}
			ops = append(ops, map[string]any{"type": "addEvent", "id": f.id, "opId": opID, "event": ev})
			b.creates = append(b.creates, featureRef{}) // keeps creates aligned with ops
			s.tally.events++
			continue
		}
		k := s.pickKind()
		pt := p.points[s.rng.IntN(len(p.points))]
		id := fmt.Sprintf("soak-p%03d-f%06d", p.n, p.ops)
		ops = append(ops, map[string]any{"type": "putFeature", "id": id, "opId": opID, "feature": map[string]any{
			"opId": opID, "kind": kindMix[k].kind, "attrs": kindMix[k].attrs,
			"location": map[string]any{"lon": pt.lon, "lat": pt.lat, "accuracy": 5 + s.rng.IntN(10)},
		}})
		b.creates = append(b.creates, featureRef{id: id, kind: kindMix[k].kind})
		s.tally.creates++
	}
	s.tally.ops += n
	b.body, _ = json.Marshal(map[string]any{"ops": ops}) // plain maps of plain values: cannot fail
	return b
}

func (s *scenario) pickKind() int {
	total := 0
	for _, k := range kindMix {
		total += k.weight
	}
	r := s.rng.IntN(total)
	for i, k := range kindMix {
		if r < k.weight {
			return i
		}
		r -= k.weight
	}
	return 0
}

// syncAnswer is the part of a /sync answer the soak reads.
type syncAnswer struct {
	Results []struct {
		OpID   string `json:"opId"`
		Result string `json:"result"`
		Error  *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"results"`
}

// check judges one /sync answer and returns "" when it is right: HTTP 200
// and every result applied or duplicate, one per op; a replay must be all
// duplicate (applied again would mean the server did the work twice).
// A right first answer makes the batch's features eligible for events and
// the batch for replays.
func (s *scenario) check(r *vegeta.Result) string {
	if r.Error != "" || r.Code != http.StatusOK {
		return fmt.Sprintf("HTTP %d %s: %.200s", r.Code, r.Error, r.Body)
	}
	var a syncAnswer
	if err := json.Unmarshal(r.Body, &a); err != nil {
		return fmt.Sprintf("unreadable answer: %v: %.200s", err, r.Body)
	}
	if len(a.Results) == 0 {
		return "answer without results"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.batches[a.Results[0].OpID]
	if b == nil {
		return fmt.Sprintf("answer for unknown batch starting with op %q", a.Results[0].OpID)
	}
	replay := b.answered
	problem := ""
	if len(a.Results) != b.ops {
		problem = fmt.Sprintf("%d results for %d ops", len(a.Results), b.ops)
	}
	for i, res := range a.Results {
		switch {
		case res.Result == "duplicate":
			s.tally.duplicate++
		case res.Result == "applied" && !replay:
			s.tally.applied++
			if i < len(b.creates) && b.creates[i].id != "" {
				b.phone.mine = append(b.phone.mine, b.creates[i])
				s.tally.stored++
			}
		default:
			s.tally.wrong++
			if problem == "" {
				problem = fmt.Sprintf("op %s: %s", res.OpID, res.Result)
				if replay {
					problem += " on a replay (want duplicate)"
				}
				if res.Error != nil {
					problem += fmt.Sprintf(" (%s: %s)", res.Error.Code, res.Error.Message)
				}
			}
		}
	}
	if !replay {
		b.answered = true
		p := b.phone
		p.recent = append(p.recent, b)
		if len(p.recent) > keepRecent {
			// Forget the oldest so the soak's own memory stays flat.
			delete(s.batches, p.recent[0].firstOp)
			p.recent = p.recent[1:]
		}
	}
	return problem
}

// counts returns a copy of the tally.
func (s *scenario) counts() tally {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tally
}

// readTargeter is the town office: village maps, the town viewport and
// coverage, in turn, with the admin token.
func readTargeter(base, token string, villages []string) vegeta.Targeter {
	var mu sync.Mutex
	i := 0
	header := http.Header{"Authorization": {"Bearer " + token}}
	return func(t *vegeta.Target) error {
		mu.Lock()
		n := i
		i++
		mu.Unlock()
		v := villages[(n/3)%len(villages)]
		t.Method = http.MethodGet
		t.Header = header
		switch n % 3 {
		case 0:
			t.URL = base + "/api/v1/villages/" + v + "/features"
		case 1:
			t.URL = base + "/api/v1/features?bbox=114.85,27.05,115.0,27.15"
		default:
			t.URL = base + "/api/v1/villages/" + v + "/coverage"
		}
		return nil
	}
}

// point is a longitude/latitude inside a village.
type point struct{ lon, lat float64 }

// pointPool picks n random points inside a village's boundary (a GeoJSON
// Polygon or MultiPolygon): random points of its bounding box, kept when
// inside. Bounded: at most 200 tries per point wanted.
func pointPool(boundary json.RawMessage, n int, rng *rand.Rand) ([]point, error) {
	rings, err := boundaryRings(boundary)
	if err != nil {
		return nil, err
	}
	minLon, minLat, maxLon, maxLat := 180.0, 90.0, -180.0, -90.0
	for _, ring := range rings {
		for _, c := range ring {
			minLon, maxLon = min(minLon, c[0]), max(maxLon, c[0])
			minLat, maxLat = min(minLat, c[1]), max(maxLat, c[1])
		}
	}
	out := make([]point, 0, n)
	for try := 0; try < 200*n && len(out) < n; try++ {
		p := point{minLon + rng.Float64()*(maxLon-minLon), minLat + rng.Float64()*(maxLat-minLat)}
		if inside(rings, p) {
			out = append(out, p)
		}
	}
	if len(out) < n {
		return nil, fmt.Errorf("found only %d of %d points inside the boundary", len(out), n)
	}
	return out, nil
}

// boundaryRings flattens a Polygon or MultiPolygon into its rings, outer
// and holes alike: the even-odd rule below needs no more.
func boundaryRings(boundary json.RawMessage) ([][][2]float64, error) {
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(boundary, &g); err != nil {
		return nil, err
	}
	var polys [][][][2]float64
	switch g.Type {
	case "Polygon":
		var p [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			return nil, err
		}
		polys = append(polys, p)
	case "MultiPolygon":
		if err := json.Unmarshal(g.Coordinates, &polys); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("boundary of type %q", g.Type)
	}
	var rings [][][2]float64
	for _, p := range polys {
		rings = append(rings, p...)
	}
	if len(rings) == 0 {
		return nil, fmt.Errorf("empty boundary")
	}
	return rings, nil
}

// inside is the even-odd ray test: a point is inside when a ray from it
// crosses the rings' edges an odd number of times. Holes and the parts of
// a MultiPolygon need nothing special, since parts never overlap.
func inside(rings [][][2]float64, p point) bool {
	in := false
	for _, ring := range rings {
		for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
			a, b := ring[i], ring[j]
			if (a[1] > p.lat) != (b[1] > p.lat) &&
				p.lon < (b[0]-a[0])*(p.lat-a[1])/(b[1]-a[1])+a[0] {
				in = !in
			}
		}
	}
	return in
}
