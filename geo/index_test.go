package geo

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

// metresPerDegLat is the length of a degree of latitude on orb's sphere.
const metresPerDegLat = orb.EarthRadius * math.Pi / 180

// offsetPoint is the point east and north metres from o (on a local flat
// approximation, which is all test data needs).
func offsetPoint(o orb.Point, east, north float64) orb.Point {
	return orb.Point{
		o[0] + east/(metresPerDegLat*math.Cos(o[1]*math.Pi/180)),
		o[1] + north/metresPerDegLat,
	}
}

var indexTestKinds = []string{"toilet", "toilet", "toilet", "tank", "household", "rare"}

// randomVillageItems makes n items spread over a square village of sideM
// metres whose south-west corner is o. Some share a point, some sit exactly
// on cell edges, so that ties and edge cases come up without asking.
func randomVillageItems(rng *rand.Rand, o orb.Point, sideM float64, n int) []Item {
	items := make([]Item, n)
	ids := rng.Perm(n) // IDs in another order than Seqs
	for i := range items {
		p := offsetPoint(o, rng.Float64()*sideM, rng.Float64()*sideM)
		switch {
		case i > 0 && rng.IntN(20) == 0:
			p = items[rng.IntN(i)].Point // same place as another item
		case rng.IntN(20) == 0:
			p[0] = math.Round(p[0]*cellsPerDeg) / cellsPerDeg // on a column edge
		case rng.IntN(20) == 0:
			p[1] = math.Round(p[1]*cellsPerDeg) / cellsPerDeg // on a row edge
		}
		items[i] = Item{
			ID:    fmt.Sprintf("f%06d", ids[i]),
			Point: p,
			Kind:  indexTestKinds[rng.IntN(len(indexTestKinds))],
			Seq:   int64(i + 1),
			Value: i,
		}
	}
	return items
}

func indexOf(items []Item) *Index {
	x := NewIndex()
	for _, it := range items {
		x.Put(it)
	}
	return x
}

// bruteNearest is the definition Nearest must meet.
func bruteNearest(items []Item, p orb.Point, k int, maxDistM float64, keep func(Item) bool) []Hit {
	var hits []Hit
	for _, it := range items {
		d := orbgeo.DistanceHaversine(p, it.Point)
		if maxDistM > 0 && d > maxDistM {
			continue
		}
		if keep != nil && !keep(it) {
			continue
		}
		hits = append(hits, Hit{Item: it, DistM: d})
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		return cmp.Or(cmp.Compare(a.DistM, b.DistM), cmp.Compare(a.ID, b.ID))
	})
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// firstHits is bruteNearest on hits already sorted by distance and ID.
func firstHits(sorted []Hit, k int, maxDistM float64, keep func(Item) bool) []Hit {
	var hits []Hit
	for _, h := range sorted {
		if len(hits) == k || maxDistM > 0 && h.DistM > maxDistM {
			break
		}
		if keep == nil || keep(h.Item) {
			hits = append(hits, h)
		}
	}
	return hits
}

func hitsText(hs []Hit) string {
	s := ""
	for _, h := range hs {
		s += fmt.Sprintf(" %s@%.9f", h.ID, h.DistM)
	}
	return "[" + s + " ]"
}

func checkHits(t *testing.T, what string, got, want []Hit) {
	t.Helper()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = got[i].ID == want[i].ID && got[i].DistM == want[i].DistM &&
			got[i].Point == want[i].Point && got[i].Seq == want[i].Seq && got[i].Value == want[i].Value
	}
	if !same {
		t.Fatalf("%s:\n got %s\nwant %s", what, hitsText(got), hitsText(want))
	}
}

// nearestQueries are points inside the village, on items, on cell corners,
// just outside, far outside, and on the other side of the earth.
func nearestQueries(rng *rand.Rand, o orb.Point, sideM float64, items []Item) []orb.Point {
	var qs []orb.Point
	for range 30 {
		qs = append(qs, offsetPoint(o, rng.Float64()*sideM, rng.Float64()*sideM))
	}
	for range 5 {
		qs = append(qs, items[rng.IntN(len(items))].Point)
	}
	c := offsetPoint(o, sideM/2, sideM/2)
	qs = append(qs, orb.Point{math.Floor(c[0]*cellsPerDeg) / cellsPerDeg, math.Floor(c[1]*cellsPerDeg) / cellsPerDeg})
	for range 5 {
		a := rng.Float64() * 2 * math.Pi
		r := sideM*0.75 + rng.Float64()*3000
		qs = append(qs, offsetPoint(c, r*math.Cos(a), r*math.Sin(a)))
	}
	qs = append(qs, offsetPoint(c, 80e3, -30e3), orb.Point{-65.1, -27.1})
	return qs
}

func TestIndexNearestMatchesBruteForce(t *testing.T) {
	keeps := map[string]func(Item) bool{
		"all":    nil,
		"toilet": func(it Item) bool { return it.Kind == "toilet" },
		"rare":   func(it Item) bool { return it.Kind == "rare" && it.Value.(int)%7 == 0 },
	}
	cases := []struct {
		seed  uint64
		n     int
		sideM float64
	}{
		{1, 1, 500},
		{2, 7, 300},
		{3, 300, 1000},
		{4, 2000, 2000},
		{5, 5000, 2500},
		{6, 20000, 2000},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("seed%d_n%d", tc.seed, tc.n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(tc.seed, 0))
			o := orb.Point{114.9 + rng.Float64(), 27.1 + rng.Float64()*10}
			items := randomVillageItems(rng, o, tc.sideM, tc.n)
			x := indexOf(items)
			queries := nearestQueries(rng, o, tc.sideM, items)
			if tc.n > 5000 {
				queries = queries[:12]
			}
			for qi, q := range queries {
				// Sorting all items by distance once per query, then
				// filtering, is bruteNearest for every k, maxD and keep.
				sorted := bruteNearest(items, q, len(items), 0, nil)
				for _, k := range []int{1, 2, 10, 37, tc.n + 3} {
					for _, maxD := range []float64{0, 25, 120, 900} {
						for name, keep := range keeps {
							got := x.Nearest(q, k, maxD, keep)
							want := firstHits(sorted, k, maxD, keep)
							checkHits(t, fmt.Sprintf("query %d %v k=%d maxD=%v keep=%s", qi, q, k, maxD, name), got, want)
						}
					}
				}
			}
		})
	}
}

func TestIndexNearestTies(t *testing.T) {
	// Points mirrored east and west of q at the same latitude are at exactly
	// the same haversine distance when the offsets are exact in binary: q and
	// the steps below are sums of powers of two.
	q := orb.Point{114.875, 27.125}
	step := math.Ldexp(1, -13) // 0.000122°, about 12 m east–west
	var items []Item
	add := func(id string, east, north float64) {
		items = append(items, Item{ID: id, Point: orb.Point{q[0] + east*step, q[1] + north*step}, Seq: int64(len(items) + 1)})
	}
	add("m", 1, 0)
	add("c", -1, 0)
	add("z", 1, 0) // same point as m
	add("b", 3, 2)
	add("y", -3, 2)
	add("a", 3, -2)
	add("x", -3, -2)
	add("n", 5, 0) // 5 steps is a few cells away: ties across cells
	add("d", -5, 0)
	add("k", 0, 0) // on q
	x := indexOf(items)

	dist := func(id string) float64 {
		it, _ := x.Get(id)
		return orbgeo.DistanceHaversine(q, it.Point)
	}
	for _, pair := range [][2]string{{"m", "c"}, {"m", "z"}, {"b", "y"}, {"a", "x"}, {"n", "d"}} {
		if dist(pair[0]) != dist(pair[1]) {
			t.Fatalf("test data: %s and %s are not at the same distance", pair[0], pair[1])
		}
	}
	if dist("b") == dist("a") {
		t.Fatalf("test data: north and south pairs should differ")
	}

	all := x.Nearest(q, 100, 0, nil)
	var ids []string
	for _, h := range all {
		ids = append(ids, h.ID)
	}
	// The north pair is nearer than the south one: degrees of longitude
	// are shorter further north.
	want := []string{"k", "c", "m", "z", "b", "y", "a", "x", "d", "n"}
	if !slices.Equal(ids, want) {
		t.Fatalf("order %v, want %v", ids, want)
	}
	for k := 1; k <= len(items); k++ {
		checkHits(t, fmt.Sprintf("k=%d", k), x.Nearest(q, k, 0, nil), bruteNearest(items, q, k, 0, nil))
		// A limit exactly on a distance includes it.
		for _, h := range all[1:] { // all[0] is at 0 m, which means no limit
			got := x.Nearest(q, k, h.DistM, nil)
			checkHits(t, fmt.Sprintf("k=%d maxD=%v", k, h.DistM), got, bruteNearest(items, q, k, h.DistM, nil))
			if k == len(items) && got[len(got)-1].DistM != h.DistM {
				t.Fatalf("maxD=%v excludes the items at that distance", h.DistM)
			}
		}
	}
}

// TestIndexNearestVisitsFewItems guards the point of the grid: the ten
// nearest of 20,000 are found by looking at a few hundred items.
func TestIndexNearestVisitsFewItems(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 0))
	o := orb.Point{114.9, 27.1}
	items := randomVillageItems(rng, o, 2000, 20000)
	x := indexOf(items)
	worst := 0
	for range 200 {
		q := offsetPoint(o, 100+rng.Float64()*1800, 100+rng.Float64()*1800)
		looked := 0
		x.Nearest(q, 10, 0, func(Item) bool { looked++; return true })
		worst = max(worst, looked)
	}
	if worst > len(items)/20 {
		t.Fatalf("looked at up to %d of %d items for the 10 nearest", worst, len(items))
	}
	t.Logf("looked at up to %d of %d items", worst, len(items))
}

func TestIndexNearestEmptyAndZeroK(t *testing.T) {
	x := NewIndex()
	if hs := x.Nearest(orb.Point{114.9, 27.1}, 5, 0, nil); len(hs) != 0 {
		t.Fatalf("empty index found %v", hs)
	}
	x.Put(Item{ID: "a", Point: orb.Point{114.9, 27.1}, Seq: 1})
	if hs := x.Nearest(orb.Point{114.9, 27.1}, 0, 0, nil); len(hs) != 0 {
		t.Fatalf("k=0 found %v", hs)
	}
}

func bruteInBound(items []Item, b orb.Bound) []string {
	var ids []string
	for _, it := range items {
		if b.Contains(it.Point) {
			ids = append(ids, it.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func inBoundIDs(x *Index, b orb.Bound) []string {
	var ids []string
	x.InBound(b, func(it Item) bool { ids = append(ids, it.ID); return true })
	slices.Sort(ids)
	return ids
}

func TestIndexInBoundMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 0))
	o := orb.Point{114.9, 27.1}
	items := randomVillageItems(rng, o, 2000, 3000)

	var bounds []orb.Bound
	for _, sideM := range []float64{0, 10, 200, 1000, 2500} {
		for range 10 {
			min := offsetPoint(o, rng.Float64()*2200-100, rng.Float64()*2200-100)
			bounds = append(bounds, orb.Bound{Min: min, Max: offsetPoint(min, sideM, sideM*rng.Float64())})
		}
	}
	bounds = append(bounds,
		orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}, // more cells than the village has
		orb.Bound{Min: orb.Point{115.5, 28}, Max: orb.Point{115.6, 28.1}},
	)
	// Items exactly on every edge and corner of some bounds, and just outside.
	for i, b := range bounds[10:40] {
		mid := b.Center()
		up, down := math.Inf(1), math.Inf(-1)
		edges := []orb.Point{
			b.Min, b.Max, {b.Min[0], b.Max[1]}, {b.Max[0], b.Min[1]},
			{b.Min[0], mid[1]}, {b.Max[0], mid[1]}, {mid[0], b.Min[1]}, {mid[0], b.Max[1]},
			{math.Nextafter(b.Min[0], down), mid[1]}, {math.Nextafter(b.Max[0], up), mid[1]},
			{mid[0], math.Nextafter(b.Min[1], down)}, {mid[0], math.Nextafter(b.Max[1], up)},
		}
		for j, p := range edges {
			items = append(items, Item{ID: fmt.Sprintf("edge%02d-%02d", i, j), Point: p, Seq: int64(len(items) + 1)})
		}
	}
	x := indexOf(items)
	for i, b := range bounds {
		got, want := inBoundIDs(x, b), bruteInBound(items, b)
		if !slices.Equal(got, want) {
			t.Fatalf("bound %d %v: got %d items, want %d\n got %v\nwant %v", i, b, len(got), len(want), got, want)
		}
	}
	// Inverted bounds hold nothing.
	if got := inBoundIDs(x, orb.Bound{Min: offsetPoint(o, 100, 100), Max: o}); len(got) != 0 {
		t.Fatalf("inverted bound found %v", got)
	}
	// fn returning false stops the walk.
	calls := 0
	x.InBound(bounds[len(bounds)-2], func(Item) bool { calls++; return calls < 3 })
	if calls != 3 {
		t.Fatalf("InBound went on after fn returned false: %d calls", calls)
	}
}

// indexModel is what an Index should hold: the items by ID.
type indexModel map[string]Item

func (m indexModel) bySeq() []Item {
	var items []Item
	for _, it := range m {
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b Item) int { return cmp.Compare(a.Seq, b.Seq) })
	return items
}

func itemIDs(items []Item) []string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = fmt.Sprintf("%s/%d", it.ID, it.Seq)
	}
	return ids
}

func checkIndexAgainstModel(t *testing.T, rng *rand.Rand, x *Index, m indexModel, o orb.Point) {
	t.Helper()
	want := m.bySeq()
	if x.Len() != len(want) {
		t.Fatalf("Len %d, want %d", x.Len(), len(want))
	}
	var each []Item
	x.Each(func(it Item) bool { each = append(each, it); return true })
	if !slices.Equal(itemIDs(each), itemIDs(want)) {
		t.Fatalf("Each:\n got %v\nwant %v", itemIDs(each), itemIDs(want))
	}
	wantMax := int64(0)
	if len(want) > 0 {
		wantMax = want[len(want)-1].Seq
	}
	if x.MaxSeq() != wantMax {
		t.Fatalf("MaxSeq %d, want %d", x.MaxSeq(), wantMax)
	}
	for id, it := range m {
		got, ok := x.Get(id)
		if !ok || got.Point != it.Point || got.Seq != it.Seq || got.Kind != it.Kind {
			t.Fatalf("Get(%s) = %v, %v; want %v", id, got, ok, it)
		}
	}
	// Since from random places with random limits, and paging to the end.
	for range 20 {
		seq := rng.Int64N(wantMax+10) - 5
		limit := rng.IntN(12)
		var w []Item
		for _, it := range want {
			if it.Seq > seq && (limit <= 0 || len(w) < limit) {
				w = append(w, it)
			}
		}
		if got := x.Since(seq, limit); !slices.Equal(itemIDs(got), itemIDs(w)) {
			t.Fatalf("Since(%d, %d):\n got %v\nwant %v", seq, limit, itemIDs(got), itemIDs(w))
		}
	}
	var paged []Item
	for seq := int64(0); len(paged) <= len(want); { // bounded, should Since repeat itself
		page := x.Since(seq, 7)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		seq = page[len(page)-1].Seq
	}
	if !slices.Equal(itemIDs(paged), itemIDs(want)) {
		t.Fatalf("paging Since:\n got %v\nwant %v", itemIDs(paged), itemIDs(want))
	}
	// The spatial side follows the moves too.
	for range 5 {
		q := offsetPoint(o, rng.Float64()*600, rng.Float64()*600)
		checkHits(t, "Nearest after writes", x.Nearest(q, 5, 0, nil), bruteNearest(want, q, 5, 0, nil))
		b := orb.Bound{Min: q, Max: offsetPoint(q, 150, 150)}
		if got, w := inBoundIDs(x, b), bruteInBound(want, b); !slices.Equal(got, w) {
			t.Fatalf("InBound after writes:\n got %v\nwant %v", got, w)
		}
	}
	if live := len(x.seqs) - x.dead; live != x.Len() {
		t.Fatalf("%d live Seq entries for %d items", live, x.Len())
	}
}

func TestIndexWritesMatchModel(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			o := orb.Point{114.9, 27.1}
			x := NewIndex()
			m := indexModel{}
			seq := int64(100)
			// Seqs step by 10 so that an out-of-order write can take an
			// unused Seq below the highest.
			nextSeq := func() int64 {
				if rng.IntN(15) == 0 {
					for {
						s := rng.Int64N(seq) + 1
						if s%10 != 0 && !slices.ContainsFunc(m.bySeq(), func(it Item) bool { return it.Seq == s }) {
							return s
						}
					}
				}
				seq += 10
				return seq
			}
			randomPoint := func() orb.Point { return offsetPoint(o, rng.Float64()*600, rng.Float64()*600) }
			ids := func() []string {
				var ids []string
				for id := range m {
					ids = append(ids, id)
				}
				slices.Sort(ids)
				return ids
			}
			for step := range 3000 {
				existing := ids()
				switch op := rng.IntN(10); {
				case op < 3 || len(existing) == 0: // new item
					it := Item{ID: fmt.Sprintf("n%d", step), Point: randomPoint(), Kind: "toilet", Seq: nextSeq()}
					x.Put(it)
					m[it.ID] = it
				case op < 6: // an update: new Seq, maybe moved
					it := m[existing[rng.IntN(len(existing))]]
					it.Seq = nextSeq()
					if rng.IntN(2) == 0 {
						it.Point = randomPoint()
					}
					it.Kind = "tank"
					x.Put(it)
					m[it.ID] = it
				case op < 7: // the same write again, or a move with the same Seq
					it := m[existing[rng.IntN(len(existing))]]
					if rng.IntN(2) == 0 {
						it.Point = randomPoint()
					}
					x.Put(it)
					m[it.ID] = it
				case op < 9:
					id := existing[rng.IntN(len(existing))]
					x.Remove(id)
					delete(m, id)
				default:
					x.Remove("missing")
				}
				if step%50 == 0 || step > 2990 {
					checkIndexAgainstModel(t, rng, x, m, o)
				}
			}
			// Emptying the index leaves a working index.
			for _, id := range ids() {
				x.Remove(id)
				delete(m, id)
			}
			checkIndexAgainstModel(t, rng, x, m, o)
			x.Put(Item{ID: "again", Point: o, Seq: 1})
			m["again"] = Item{ID: "again", Point: o, Seq: 1}
			checkIndexAgainstModel(t, rng, x, m, o)
		})
	}
}

func TestIndexRemoveLetsGoOfValue(t *testing.T) {
	x := NewIndex()
	x.Put(Item{ID: "a", Point: orb.Point{114.9, 27.1}, Seq: 1, Value: "a"})
	x.Put(Item{ID: "b", Point: orb.Point{114.9, 27.1}, Seq: 2, Value: "b"})
	x.Remove("a")
	for _, it := range x.items {
		if it.Value == "a" {
			t.Fatalf("removed item's value still held")
		}
	}
}

// Far from China the same rules hold: across the antimeridian, where
// degrees of longitude are short, and on the equator.
func TestIndexNearestOddPlaces(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 0))
	places := []orb.Point{{179.99, -17.8}, {-179.995, 65.5}, {15.6, 78.2}, {-78.5, -0.1}}
	for _, o := range places {
		var items []Item
		for i := range 400 {
			p := offsetPoint(o, rng.Float64()*1500-750, rng.Float64()*1500-750)
			if p[0] > 180 {
				p[0] -= 360
			}
			if p[0] < -180 {
				p[0] += 360
			}
			items = append(items, Item{ID: fmt.Sprintf("p%03d", i), Point: p, Seq: int64(i + 1)})
		}
		x := indexOf(items)
		for range 40 {
			q := offsetPoint(o, rng.Float64()*2000-1000, rng.Float64()*2000-1000)
			if q[0] > 180 {
				q[0] -= 360
			}
			for _, k := range []int{1, 10, 50} {
				checkHits(t, fmt.Sprintf("near %v, q=%v k=%d", o, q, k), x.Nearest(q, k, 0, nil), bruteNearest(items, q, k, 0, nil))
			}
		}
	}
}

// Bad coordinates and extreme Seqs neither panic nor hang.
func TestIndexBadInput(t *testing.T) {
	x := NewIndex()
	bad := []orb.Point{{math.NaN(), 27}, {114.9, math.NaN()}, {1e300, -1e300}, {math.Inf(1), math.Inf(-1)}, {200, 95}}
	for i, p := range bad {
		x.Put(Item{ID: fmt.Sprint("bad", i), Point: p, Seq: int64(i + 1)})
	}
	x.Put(Item{ID: "good", Point: orb.Point{114.9, 27.1}, Seq: math.MaxInt64})
	for _, q := range append(bad, orb.Point{114.9, 27.1}) {
		if hs := x.Nearest(q, 3, 0, nil); len(hs) != 3 {
			t.Fatalf("Nearest(%v) found %d", q, len(hs))
		}
		x.InBound(orb.Bound{Min: q, Max: orb.Point{q[0] + 1, q[1] + 1}}, func(Item) bool { return true })
	}
	if got := x.Since(math.MaxInt64, 0); len(got) != 0 {
		t.Fatalf("Since(MaxInt64) = %v", itemIDs(got))
	}
	if got := x.Since(math.MinInt64, 2); len(got) != 2 || got[0].ID != "bad0" {
		t.Fatalf("Since(MinInt64, 2) = %v", itemIDs(got))
	}
	x.Remove("good")
	if x.MaxSeq() != int64(len(bad)) {
		t.Fatalf("MaxSeq %d after removing the highest", x.MaxSeq())
	}
	for i := range bad { // moved to a good place, then removed
		x.Put(Item{ID: fmt.Sprint("bad", i), Point: orb.Point{114.9, 27.1}, Seq: int64(100 + i)})
		x.Remove(fmt.Sprint("bad", i))
	}
	if x.Len() != 0 || len(x.cells) != 0 {
		t.Fatalf("%d items, %d cells left", x.Len(), len(x.cells))
	}
}
