package geo

import (
	"cmp"
	"math"
	"slices"
	"sort"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

// Item is one point in an index. Value is the caller's object, returned as is.
type Item struct {
	ID    string
	Point orb.Point // lon, lat WGS-84
	Kind  string
	Seq   int64 // the village's write sequence number at the item's last change
	Value any
}

// Hit is an item found near a point.
type Hit struct {
	Item
	DistM float64 // haversine metres
}

// cellsPerDeg sets the grid: cells are 1/1500° on a side, 74 m north–south
// and 66 m east–west at Jiangxi's latitude (44 m at China's northern tip).
// A village of 2,000–5,000 points then holds a few points per cell, and the
// ten nearest are found within two or three rings of cells.
const cellsPerDeg = 1500

// reachSlackM is taken off every "nothing nearer out there" bound so that
// rounding in degrees-to-cells and in the haversine formula can never stop a
// search one ring too early. A centimetre costs nothing and is far above the
// error.
const reachSlackM = 0.01

const radPerDeg = math.Pi / 180

// cellKey packs a cell's integer column and row into one map key.
type cellKey uint64

func cellKeyOf(col, row int32) cellKey {
	return cellKey(uint64(uint32(col))<<32 | uint64(uint32(row)))
}

func (k cellKey) colRow() (col, row int32) {
	return int32(uint32(k >> 32)), int32(uint32(k))
}

// pointCell is the cell holding p. Clamping and multiplying by a positive
// constant keep order in floating point, so a point inside a bound always
// lands in a cell between the cells of the bound's corners.
func pointCell(p orb.Point) (col, row int32) {
	return int32(math.Floor(clampDeg(p[0], 180) * cellsPerDeg)), int32(math.Floor(clampDeg(p[1], 90) * cellsPerDeg))
}

// clampDeg keeps a bad coordinate (out of range, NaN) from making a cell
// number overflow.
func clampDeg(v, limit float64) float64 {
	switch {
	case v > limit:
		return limit
	case v >= -limit:
		return v
	}
	return -limit
}

// seqEntry is one place in the Seq order. A replaced or removed item leaves
// its entry behind with slot -1 rather than shifting the slice on every
// write; the dead entries are squeezed out once they are the majority.
type seqEntry struct {
	seq  int64
	slot int32
}

// Index is not safe for concurrent use; callers hold the VillageIndex lock (below).
// Its reading methods change nothing, so readers may share RLock.
//
// It is a uniform grid of cells keyed by integer column and row. The
// benchmarks in index_bench_test.go chose it over orb's quadtree: for the ten
// nearest it is a little faster (and exact in haversine distance, where the
// quadtree ranks by planar degrees), for a 200 m box 1.3–2× faster, it needs
// no bound fixed in advance, and moving a point is a map update.
type Index struct {
	items []Item           // by slot; a removed item's slot is zeroed and reused
	free  []int32          // slots of removed items
	ids   map[string]int32 // ID -> slot
	cells map[cellKey][]int32
	seqs  []seqEntry // ascending seq; never ends with a dead entry
	dead  int        // entries in seqs with slot -1
}

// NewIndex returns an empty index.
func NewIndex() *Index { return newIndexFor(0) }

// newIndexFor returns an empty index with room for n items, so that loading
// a village neither grows it step by step nor leaves it with spare room.
func newIndexFor(n int) *Index {
	return &Index{
		items: make([]Item, 0, n),
		ids:   make(map[string]int32, n),
		cells: make(map[cellKey][]int32),
		seqs:  make([]seqEntry, 0, n),
	}
}

// Len is the number of items held.
func (x *Index) Len() int { return len(x.ids) }

// Get returns the item with the given ID.
func (x *Index) Get(id string) (Item, bool) {
	slot, ok := x.ids[id]
	if !ok {
		return Item{}, false
	}
	return x.items[slot], true
}

// Put inserts it, or replaces the item with the same ID (the point may move, Seq changes).
func (x *Index) Put(it Item) {
	slot, ok := x.ids[it.ID]
	if !ok {
		slot = x.alloc()
		x.items[slot] = it
		x.ids[it.ID] = slot
		x.addToCell(it.Point, slot)
		x.addSeq(it.Seq, slot)
		return
	}
	old := &x.items[slot]
	oldCol, oldRow := pointCell(old.Point)
	newCol, newRow := pointCell(it.Point)
	if oldCol != newCol || oldRow != newRow {
		x.removeFromCell(old.Point, slot)
		x.addToCell(it.Point, slot)
	}
	if old.Seq != it.Seq {
		x.removeSeq(old.Seq, slot)
		x.addSeq(it.Seq, slot)
	}
	*old = it
}

// Remove deletes the item with the given ID, if any.
func (x *Index) Remove(id string) {
	slot, ok := x.ids[id]
	if !ok {
		return
	}
	it := &x.items[slot]
	x.removeFromCell(it.Point, slot)
	x.removeSeq(it.Seq, slot)
	delete(x.ids, id)
	*it = Item{} // let go of the caller's Value
	x.free = append(x.free, slot)
	if len(x.ids) == 0 {
		// An emptied index gives its memory back.
		*x = *NewIndex()
	}
}

func (x *Index) alloc() int32 {
	if n := len(x.free); n > 0 {
		slot := x.free[n-1]
		x.free = x.free[:n-1]
		return slot
	}
	x.items = append(x.items, Item{})
	return int32(len(x.items) - 1)
}

func (x *Index) addToCell(p orb.Point, slot int32) {
	k := cellKeyOf(pointCell(p))
	x.cells[k] = append(x.cells[k], slot)
}

func (x *Index) removeFromCell(p orb.Point, slot int32) {
	k := cellKeyOf(pointCell(p))
	slots := x.cells[k]
	i := slices.Index(slots, slot)
	if i < 0 {
		return
	}
	last := len(slots) - 1
	slots[i] = slots[last]
	if last == 0 {
		delete(x.cells, k) // empty cells would make the searches and the map grow
		return
	}
	x.cells[k] = slots[:last]
}

// firstAfter is the position of the first entry with a Seq above seq.
func (x *Index) firstAfter(seq int64) int {
	return sort.Search(len(x.seqs), func(i int) bool { return x.seqs[i].seq > seq })
}

func (x *Index) addSeq(seq int64, slot int32) {
	e := seqEntry{seq: seq, slot: slot}
	if n := len(x.seqs); n == 0 || x.seqs[n-1].seq <= seq {
		x.seqs = append(x.seqs, e) // the usual case: a write newer than all others
		return
	}
	x.seqs = slices.Insert(x.seqs, x.firstAfter(seq), e)
}

func (x *Index) removeSeq(seq int64, slot int32) {
	// Seqs are unique per village, but a caller's mistake must not make us
	// kill another item's entry: look for this slot among equal Seqs.
	i := sort.Search(len(x.seqs), func(i int) bool { return x.seqs[i].seq >= seq })
	for ; i < len(x.seqs) && x.seqs[i].seq == seq; i++ {
		if x.seqs[i].slot == slot {
			break
		}
	}
	if i == len(x.seqs) || x.seqs[i].slot != slot {
		return
	}
	x.seqs[i].slot = -1
	x.dead++
	for n := len(x.seqs); n > 0 && x.seqs[n-1].slot < 0; n-- {
		x.seqs = x.seqs[:n-1] // so that MaxSeq is the last entry
		x.dead--
	}
	if x.dead > 32 && x.dead > len(x.seqs)/2 {
		x.seqs = slices.DeleteFunc(x.seqs, func(e seqEntry) bool { return e.slot < 0 })
		x.dead = 0
	}
}

// Since returns up to limit items with Seq > seq, in ascending Seq order (the changes feed pages with it; Seqs are unique per village).
// A limit of 0 or less means no limit.
func (x *Index) Since(seq int64, limit int) []Item {
	after := x.seqs[x.firstAfter(seq):]
	if len(after) == 0 {
		return nil
	}
	n := len(after)
	if limit > 0 {
		n = min(n, limit)
	}
	out := make([]Item, 0, n)
	for _, e := range after {
		if limit > 0 && len(out) == limit {
			break
		}
		if e.slot >= 0 {
			out = append(out, x.items[e.slot])
		}
	}
	return out
}

// Each calls fn for every item in ascending Seq order until fn returns false.
// fn must not change the index.
func (x *Index) Each(fn func(Item) bool) {
	for _, e := range x.seqs {
		if e.slot >= 0 && !fn(x.items[e.slot]) {
			return
		}
	}
}

// MaxSeq is the highest Seq held (0 when the index is empty).
func (x *Index) MaxSeq() int64 {
	if len(x.seqs) == 0 {
		return 0
	}
	return x.seqs[len(x.seqs)-1].seq
}

// InBound calls fn for items inside b (edges inclusive) until fn returns false.
// fn must not change the index.
func (x *Index) InBound(b orb.Bound, fn func(Item) bool) {
	if len(x.ids) == 0 || b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
		return
	}
	c0, r0 := pointCell(b.Min)
	c1, r1 := pointCell(b.Max)
	visit := func(slots []int32) bool {
		for _, s := range slots {
			it := &x.items[s]
			p := it.Point
			if p[0] >= b.Min[0] && p[0] <= b.Max[0] && p[1] >= b.Min[1] && p[1] <= b.Max[1] && !fn(*it) {
				return false
			}
		}
		return true
	}
	span := (int64(c1) - int64(c0) + 1) * (int64(r1) - int64(r0) + 1)
	if span > int64(len(x.cells)) {
		// A bound larger than the village: fewer cells are occupied than the
		// bound covers, so go through the occupied ones.
		for k, slots := range x.cells {
			if c, r := k.colRow(); c >= c0 && c <= c1 && r >= r0 && r <= r1 && !visit(slots) {
				return
			}
		}
		return
	}
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			if slots, ok := x.cells[cellKeyOf(c, r)]; ok && !visit(slots) {
				return
			}
		}
	}
}

// nearCandidate is a hit in the making: the item stays in its slot until the
// search knows it is among the k nearest.
type nearCandidate struct {
	d    float64
	slot int32
}

// nearestSearch keeps the k best candidates found so far in a max-heap, the
// worst of them on top, so that each item is compared with the k-th best in
// constant time and only k are ever sorted.
type nearestSearch struct {
	x     *Index
	p     orb.Point
	k     int
	maxD  float64 // +Inf for no limit
	keep  func(Item) bool
	heap  []nearCandidate
	limit float64 // nothing farther can be a hit: maxD, or the k-th best once there are k
}

// after reports whether a ranks after b: farther, or as far with a greater ID.
func (s *nearestSearch) after(a, b nearCandidate) bool {
	if a.d != b.d {
		return a.d > b.d
	}
	return s.x.items[a.slot].ID > s.x.items[b.slot].ID
}

// visit offers the items in slots. cosMin is at most the cosine of their
// latitudes, for the cheap bound that spares most of them the haversine.
func (s *nearestSearch) visit(slots []int32, cosMin float64) {
	for _, slot := range slots {
		it := &s.x.items[slot]
		if lowerBoundM(s.p, it.Point, cosMin) > s.limit {
			continue
		}
		d := orbgeo.DistanceHaversine(s.p, it.Point)
		if d > s.limit || s.keep != nil && !s.keep(*it) {
			continue
		}
		s.offer(nearCandidate{d: d, slot: slot})
	}
}

func (s *nearestSearch) offer(c nearCandidate) {
	h := s.heap
	switch {
	case len(h) < s.k:
		h = append(h, c)
		for i := len(h) - 1; i > 0; {
			up := (i - 1) / 2
			if !s.after(h[i], h[up]) {
				break
			}
			h[i], h[up] = h[up], h[i]
			i = up
		}
	case s.after(h[0], c):
		h[0] = c
		for i := 0; ; {
			worst, l, r := i, 2*i+1, 2*i+2
			if l < len(h) && s.after(h[l], h[worst]) {
				worst = l
			}
			if r < len(h) && s.after(h[r], h[worst]) {
				worst = r
			}
			if worst == i {
				break
			}
			h[i], h[worst] = h[worst], h[i]
			i = worst
		}
	default:
		return
	}
	s.heap = h
	if len(h) == s.k {
		s.limit = min(s.maxD, h[0].d)
	}
}

// Nearest returns up to k items within maxDistM (0 = no limit) of p, nearest first; equal distances ordered by ID; keep (may be nil) filters items.
// Distances are haversine metres, as DistanceM. keep must not change the index.
func (x *Index) Nearest(p orb.Point, k int, maxDistM float64, keep func(Item) bool) []Hit {
	if k <= 0 || len(x.ids) == 0 {
		return nil
	}
	s := nearestSearch{x: x, p: p, k: k, maxD: math.Inf(1), keep: keep, heap: make([]nearCandidate, 0, min(k, len(x.ids)))}
	if maxDistM > 0 {
		s.maxD = maxDistM
	}
	s.limit = s.maxD

	// Search the rings of cells around p's cell, outward, until nothing
	// outside the rings searched can be nearer than the k-th found.
	pc, pr := pointCell(p)
	for ring := 0; ; ring++ {
		if side := int64(2*ring + 1); side*side > int64(len(x.cells)) {
			// The rings so far and this one cover more cells than are
			// occupied (p is far from the village, or few items pass keep):
			// visiting the occupied cells not yet searched is cheaper and
			// bounds the work at one pass over the index.
			for key, slots := range x.cells {
				if c, r := key.colRow(); ringDistance(int64(c)-int64(pc), int64(r)-int64(pr)) >= int64(ring) {
					s.visit(slots, 0)
				}
			}
			break
		}
		cosMin := ringCosMin(pr, ring)
		x.visitRing(pc, pr, ring, func(slots []int32) { s.visit(slots, cosMin) })
		if ringReachM(p, pc, pr, ring) > s.limit {
			break
		}
	}

	slices.SortFunc(s.heap, func(a, b nearCandidate) int {
		return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(x.items[a.slot].ID, x.items[b.slot].ID))
	})
	hits := make([]Hit, len(s.heap))
	for i, c := range s.heap {
		hits[i] = Hit{Item: x.items[c.slot], DistM: c.d}
	}
	return hits
}

// visitRing visits the occupied cells at Chebyshev distance ring from
// (col, row).
func (x *Index) visitRing(col, row int32, ring int, visit func([]int32)) {
	try := func(c, r int32) {
		if slots, ok := x.cells[cellKeyOf(c, r)]; ok {
			visit(slots)
		}
	}
	if ring == 0 {
		try(col, row)
		return
	}
	n := int32(ring)
	for c := col - n; c <= col+n; c++ {
		try(c, row-n)
		try(c, row+n)
	}
	for r := row - n + 1; r <= row+n-1; r++ {
		try(col-n, r)
		try(col+n, r)
	}
}

// ringDistance is the ring, counted from 0, that holds the cell dc columns
// and dr rows away.
func ringDistance(dc, dr int64) int64 {
	return max(dc, -dc, dr, -dr)
}

// ringRows are the latitudes bounding the rings 0..ring around row.
func ringRows(row int32, ring int) (south, north float64) {
	n := int64(ring)
	return float64(int64(row)-n) / cellsPerDeg, float64(int64(row)+n+1) / cellsPerDeg
}

// ringCosMin is at most the cosine of the latitude of any point in the rings
// 0..ring around row: the cosine at the edge farther from the equator.
func ringCosMin(row int32, ring int) float64 {
	south, north := ringRows(row, ring)
	highest := min(90, max(math.Abs(south), math.Abs(north)))
	return max(0, math.Cos(highest*radPerDeg))
}

// ringReachM is how far from p, in metres, every point outside the rings
// 0..ring around p's cell (col, row) is at least, less reachSlackM.
//
// A degree of longitude shrinks with latitude, so a count of cells is no
// distance: the bound is taken from the edges of the searched square. A point
// beyond its north or south edge is at least the latitude gap away (a
// meridian is the shortest path between two parallels). A point beyond its
// east or west edge but between those parallels is at least
// 2R·asin(c·sin(Δλ/2)) away, c being the cosine of the highest latitude
// there, because haversine's hav(d/R) ≥ cos φ1·cos φ2·hav(Δλ).
func ringReachM(p orb.Point, col, row int32, ring int) float64 {
	n := int64(ring)
	west := float64(int64(col)-n) / cellsPerDeg
	east := float64(int64(col)+n+1) / cellsPerDeg
	south, north := ringRows(row, ring)

	dLat := max(0, min(p[1]-south, north-p[1]))
	dLon := max(0, min(p[0]-west, east-p[0]))
	// Across the antimeridian a point beyond the edge can be closer in
	// longitude than the edge is.
	dLon = min(dLon, max(0, 180-math.Abs(p[0])))

	latM := dLat * radPerDeg * orb.EarthRadius
	lonM := 2 * orb.EarthRadius * math.Asin(ringCosMin(row, ring)*math.Sin(dLon*radPerDeg/2))
	return min(latM, lonM) - reachSlackM
}

// lowerBoundM is at most the haversine distance from p to q when cosMin is
// at most the cosine of both latitudes, and costs no trigonometry, so most
// items of the outer cells are turned away before haversine's sines. It is
// the same reasoning as ringReachM's, with sin(x/2) ≥ x/2·(1 − x²/24); the
// longitude part is left out for gaps of a radian or more.
func lowerBoundM(p, q orb.Point, cosMin float64) float64 {
	latM := math.Abs(p[1]-q[1]) * radPerDeg * orb.EarthRadius
	lonM := 0.0
	if x := math.Abs(p[0]-q[0]) * radPerDeg; x < 1 {
		lonM = orb.EarthRadius * cosMin * x * (1 - x*x/24)
	}
	return max(latM, lonM) - reachSlackM
}
