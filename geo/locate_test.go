package geo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// testdataVillages parses the valid test files into one set: two villages
// with a shared diagonal edge, a MultiPolygon whose hole holds an enclave
// village, a KML village with an empty hole, a two-part MultiGeometry and a
// triangle.
func testdataVillages(t testing.TB) *Villages {
	t.Helper()
	var all []VillageShape
	for _, file := range []string{"villages_valid.geojson", "villages_multipolygon_hole.geojson", "villages.kml"} {
		data, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		vs, err := ParseVillages(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		all = append(all, vs...)
	}
	return NewVillages(all)
}

func TestLocate(t *testing.T) {
	v := testdataVillages(t)
	// The point on 社上村's diagonal east edge at latitude 27.11, computed the
	// way the crossing test computes it, so that it is on the edge exactly.
	onDiagonal := orb.Point{114.92 + (27.11-27.10)*(114.925-114.92)/(27.12-27.10), 27.11}
	tests := []struct {
		name string
		p    orb.Point
		want string // "" for no village
	}{
		{"inside 社上村", orb.Point{114.91, 27.11}, "360803101201"},
		{"inside 温家村", orb.Point{114.93, 27.11}, "360803101202"},
		{"on the shared diagonal edge: the village east of it", onDiagonal, "360803101202"},
		{"shared vertex on the south border: the village east of it", orb.Point{114.92, 27.10}, "360803101202"},
		{"shared vertex on the north border: both own it, smaller code", orb.Point{114.925, 27.12}, "360803101201"},
		{"west border of 社上村, no village beyond", orb.Point{114.90, 27.11}, "360803101201"},
		{"east border of 温家村, no village beyond", orb.Point{114.94, 27.11}, "360803101202"},
		{"north-east corner of 温家村", orb.Point{114.94, 27.12}, "360803101202"},
		{"just outside", orb.Point{114.94 + 1e-9, 27.11}, ""},
		{"伍家村 around its hole", orb.Point{114.955, 27.115}, "360803101203"},
		{"胡家村 in 伍家村's hole", orb.Point{114.965, 27.115}, "360803101204"},
		{"west edge of the hole: 胡家村 lies east of it", orb.Point{114.96, 27.115}, "360803101204"},
		{"east edge of the hole: 伍家村 lies east of it", orb.Point{114.97, 27.115}, "360803101203"},
		{"south edge of the hole: 胡家村 lies north of it", orb.Point{114.965, 27.11}, "360803101204"},
		{"north edge of the hole: 伍家村 lies north of it", orb.Point{114.965, 27.12}, "360803101203"},
		{"second part of 伍家村", orb.Point{114.995, 27.105}, "360803101203"},
		{"between the parts", orb.Point{114.985, 27.105}, ""},
		{"下坊村", orb.Point{115.015, 27.115}, "360803101205"},
		{"下坊村's empty hole", orb.Point{115.025, 27.115}, ""},
		{"edge of the empty hole belongs to 下坊村", orb.Point{115.02, 27.115}, "360803101205"},
		{"first part of 上坊村", orb.Point{115.055, 27.105}, "360803101206"},
		{"second part of 上坊村", orb.Point{115.075, 27.105}, "360803101206"},
		{"between 上坊村's parts", orb.Point{115.065, 27.105}, ""},
		{"新田村, a triangle", orb.Point{115.099, 27.101}, "360803101207"},
		{"outside 新田村's hypotenuse", orb.Point{115.091, 27.109}, ""},
		{"Beijing", orb.Point{116.397, 39.909}, ""},
		{"null island", orb.Point{0, 0}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := v.Locate(tt.p)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Locate(%v) = %q, %v; want %q", tt.p, got, ok, tt.want)
			}
		})
	}
}

func TestLocateOverlapSmallestCodeWins(t *testing.T) {
	sq := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}
	v := NewVillages([]VillageShape{
		{Code: "360803101209", Shape: orb.MultiPolygon{sq}},
		{Code: "360803101208", Shape: orb.MultiPolygon{sq}},
	})
	if got, _ := v.Locate(orb.Point{0.5, 0.5}); got != "360803101208" {
		t.Errorf("got %q; want the smaller code", got)
	}
}

func TestVillagesSet(t *testing.T) {
	v := testdataVillages(t)
	all := v.All()
	if len(all) != 7 || v.Len() != 7 {
		t.Fatalf("got %d villages", len(all))
	}
	if !slices.IsSortedFunc(all, func(a, b VillageShape) int { return strings.Compare(a.Code, b.Code) }) {
		t.Errorf("All is not sorted by code")
	}
	if got, ok := v.Get("360803101204"); !ok || got.Name != "胡家村" {
		t.Errorf("Get = %+v, %v", got, ok)
	}
	if _, ok := v.Get("360803999999"); ok {
		t.Errorf("Get of an unknown code succeeded")
	}

	// Re-import 胡家村 somewhere else and add a new village.
	moved := VillageShape{Code: "360803101204", Name: "胡家村", Shape: orb.MultiPolygon{{{{120, 30}, {121, 30}, {121, 31}, {120, 30}}}}}
	added := VillageShape{Code: "360803101299", Name: "新村", Shape: orb.MultiPolygon{{{{122, 30}, {123, 30}, {123, 31}, {122, 30}}}}}
	w := v.With(moved, added)
	if w.Len() != 8 {
		t.Errorf("With: %d villages, want 8", w.Len())
	}
	if got, _ := w.Locate(orb.Point{114.965, 27.115}); got != "" {
		t.Errorf("after the move, the old place is in %q", got)
	}
	if got, _ := w.Locate(orb.Point{120.9, 30.1}); got != "360803101204" {
		t.Errorf("after the move, the new place is in %q", got)
	}
	if got, _ := w.Locate(orb.Point{122.9, 30.1}); got != "360803101299" {
		t.Errorf("added village: %q", got)
	}
	// The original set has not changed.
	if got, _ := v.Locate(orb.Point{114.965, 27.115}); got != "360803101204" || v.Len() != 7 {
		t.Errorf("With changed the original: %q, %d", got, v.Len())
	}

	// The caller's slices may change after NewVillages without harm.
	ring := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}}
	mine := NewVillages([]VillageShape{{Code: "360803101201", Shape: orb.MultiPolygon{{ring}}}})
	ring[1] = orb.Point{-5, -5}
	if _, ok := mine.Locate(orb.Point{0.9, 0.5}); !ok {
		t.Errorf("NewVillages kept the caller's ring")
	}

	var none *Villages
	if _, ok := none.Locate(orb.Point{1, 1}); ok || none.All() != nil || none.Len() != 0 {
		t.Errorf("a nil *Villages is not empty")
	}
	if got := NewVillages(nil).With(added); got.Len() != 1 {
		t.Errorf("With on an empty set: %d", got.Len())
	}
}

// tiling is a random test area: a jittered grid of quadrilateral cells
// sharing their vertices exactly, some cells merged into MultiPolygons, and
// some cells with a hole that an enclave village fills.
type tiling struct {
	villages []VillageShape
	bound    orb.Bound // the union of all cells, a rectangle
	edges    [][2]orb.Point
	vertices []orb.Point
	holes    []orb.Point // points inside holes
}

func newTiling(rng *rand.Rand, nx, ny int) tiling {
	const x0, y0, d = 114.0, 27.0, 0.01
	jitter := func(i, n int) float64 {
		if i == 0 || i == n {
			return 0 // a straight outer border
		}
		return (rng.Float64() - 0.5) * 0.5 * d
	}
	vert := make([][]orb.Point, nx+1)
	for i := range vert {
		vert[i] = make([]orb.Point, ny+1)
		for j := range vert[i] {
			vert[i][j] = orb.Point{x0 + float64(i)*d + jitter(i, nx), y0 + float64(j)*d + jitter(j, ny)}
		}
	}
	var tl tiling
	tl.bound = orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x0 + float64(nx)*d, y0 + float64(ny)*d}}
	codes := rng.Perm(10 * nx * ny) // codes in no spatial order
	next := 0
	newCode := func() string { next++; return fmt.Sprintf("3608031%05d", codes[next]) }
	byCell := map[[2]int]int{} // cell → index in tl.villages
	for i := range nx {
		for j := range ny {
			ring := orb.Ring{vert[i][j], vert[i+1][j], vert[i+1][j+1], vert[i][j+1], vert[i][j]}
			if rng.IntN(2) == 0 {
				slices.Reverse(ring) // orientation must not matter
			}
			poly := orb.Polygon{ring}
			if rng.IntN(4) == 0 {
				// A hole in the middle of the cell, which the vertex jitter
				// never reaches, filled by an enclave village.
				cx, cy := x0+(float64(i)+0.5)*d, y0+(float64(j)+0.5)*d
				r := func() float64 { return (0.1 + 0.1*rng.Float64()) * d }
				hole := orb.Ring{{cx - r(), cy - r()}, {cx + r(), cy - r()}, {cx + r(), cy + r()}, {cx - r(), cy + r()}}
				hole = append(hole, hole[0])
				poly = append(poly, hole)
				enclave := slices.Clone(hole)
				slices.Reverse(enclave)
				tl.villages = append(tl.villages, VillageShape{Code: newCode(), Shape: orb.MultiPolygon{{enclave}}})
				tl.holes = append(tl.holes, orb.Point{cx, cy})
			}
			// Now and then the cell two to the west joins this village, as a
			// second polygon.
			if k, ok := byCell[[2]int{i - 2, j}]; ok && len(tl.villages[k].Shape) == 1 && rng.IntN(3) == 0 {
				tl.villages[k].Shape = append(tl.villages[k].Shape, poly)
			} else {
				tl.villages = append(tl.villages, VillageShape{Code: newCode(), Shape: orb.MultiPolygon{poly}})
				byCell[[2]int{i, j}] = len(tl.villages) - 1
			}
		}
	}
	for _, v := range tl.villages {
		for _, poly := range v.Shape {
			for _, r := range poly {
				for k := 0; k+1 < len(r); k++ {
					tl.edges = append(tl.edges, [2]orb.Point{r[k], r[k+1]})
					tl.vertices = append(tl.vertices, r[k])
				}
			}
		}
	}
	return tl
}

// points returns n test points of every kind: anywhere in and around the
// area, on or next to edges, on vertices, in holes.
func (tl tiling) points(rng *rand.Rand, n int) []orb.Point {
	w, h := tl.bound.Max[0]-tl.bound.Min[0], tl.bound.Max[1]-tl.bound.Min[1]
	var ps []orb.Point
	for len(ps) < n {
		switch rng.IntN(5) {
		case 0:
			ps = append(ps, orb.Point{tl.bound.Min[0] - 0.1*w + 1.2*w*rng.Float64(), tl.bound.Min[1] - 0.1*h + 1.2*h*rng.Float64()})
		case 1:
			e := tl.edges[rng.IntN(len(tl.edges))]
			f := rng.Float64()
			ps = append(ps, orb.Point{e[0][0] + f*(e[1][0]-e[0][0]), e[0][1] + f*(e[1][1]-e[0][1])})
		case 2:
			ps = append(ps, tl.vertices[rng.IntN(len(tl.vertices))])
		case 3:
			c := tl.holes[rng.IntN(len(tl.holes))]
			ps = append(ps, orb.Point{c[0] + (rng.Float64()-0.5)*0.002, c[1] + (rng.Float64()-0.5)*0.002})
		case 4:
			// On an edge as a crossing test would compute it, from either
			// end: where rounding makes the two ends disagree by a bit, only
			// a rule computed alike from both sides keeps the point in
			// exactly one village.
			e := tl.edges[rng.IntN(len(tl.edges))]
			a, b := e[0], e[1]
			if rng.IntN(2) == 0 {
				a, b = b, a
			}
			if a[1] != b[1] {
				y := a[1] + rng.Float64()*(b[1]-a[1])
				ps = append(ps, orb.Point{a[0] + (y-a[1])*(b[0]-a[0])/(b[1]-a[1]), y})
			}
		}
	}
	return ps
}

// bruteLocate is Locate without the grid: every village in code order.
func bruteLocate(vs []VillageShape, p orb.Point) string {
	for _, v := range vs {
		if shapeContains(v.Shape, p) {
			return v.Code
		}
	}
	for _, v := range vs {
		if onShapeBorder(v.Shape, p) {
			return v.Code
		}
	}
	return ""
}

func TestLocateMatchesBruteForce(t *testing.T) {
	for seed := range uint64(5) {
		rng := rand.New(rand.NewPCG(seed, 2024))
		tl := newTiling(rng, 12+int(seed)*5, 9+int(seed)*3)
		v := NewVillages(tl.villages)
		sorted := v.All()
		for _, p := range tl.points(rng, 10000) {
			want := bruteLocate(sorted, p)
			got, ok := v.Locate(p)
			if got != want || ok != (want != "") {
				t.Fatalf("seed %d: Locate(%v) = %q, %v; brute force says %q", seed, p, got, ok, want)
			}
			// Every point of the closed rectangle is in some village: no gaps,
			// not even on edges and vertices.
			if tl.bound.Contains(p) && !ok {
				t.Fatalf("seed %d: %v is in the area but in no village", seed, p)
			}
		}
	}
}

// TestHalfOpenRulePartitions checks the rule itself: a point inside the area
// is inside exactly one village, and off the boundaries the answer agrees
// with orb's own point-in-polygon test.
func TestHalfOpenRulePartitions(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	tl := newTiling(rng, 15, 15)
	inner := orb.Bound{Min: tl.bound.Min, Max: tl.bound.Max}
	for _, p := range tl.points(rng, 15000) {
		strictlyInside := p[0] > inner.Min[0] && p[0] < inner.Max[0] && p[1] > inner.Min[1] && p[1] < inner.Max[1]
		count := 0
		onBorder := false
		for _, v := range tl.villages {
			in := shapeContains(v.Shape, p)
			if in {
				count++
			}
			if onShapeBorder(v.Shape, p) {
				onBorder = true
			} else if in != planar.MultiPolygonContains(v.Shape, p) && !nearBorder(v.Shape, p, 1e-9) {
				// Within rounding distance of an edge the two tests may
				// differ; elsewhere they must not.
				t.Fatalf("%v: half-open says %v, orb says %v for %s", p, in, !in, v.Code)
			}
		}
		if strictlyInside && count != 1 {
			t.Fatalf("%v (on a border: %v) is inside %d villages; want exactly 1", p, onBorder, count)
		}
		if !strictlyInside && count > 1 {
			t.Fatalf("%v is inside %d villages", p, count)
		}
	}
}

// TestSharedEdgeRounding looks for the rare points where computing an
// edge's crossing from its two ends gives two different floats, and checks
// that each such point still lies in exactly one village: the crossing test
// must compute a shared edge the same way from both sides.
func TestSharedEdgeRounding(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	tl := newTiling(rng, 12, 12)
	inside := func(p orb.Point) int {
		n := 0
		for _, v := range tl.villages {
			if shapeContains(v.Shape, p) {
				n++
			}
		}
		return n
	}
	found := 0
	for tries := 0; found < 40 && tries < 5_000_000; tries++ {
		e := tl.edges[rng.IntN(len(tl.edges))]
		a, b := e[0], e[1]
		if a[1] == b[1] {
			continue
		}
		y := a[1] + rng.Float64()*(b[1]-a[1])
		xa := a[0] + (y-a[1])*(b[0]-a[0])/(b[1]-a[1])
		xb := b[0] + (y-b[1])*(a[0]-b[0])/(a[1]-b[1])
		if xa == xb || !tl.bound.Contains(orb.Point{xa, y}) || y == tl.bound.Min[1] {
			continue
		}
		found++
		for _, p := range []orb.Point{{xa, y}, {xb, y}} {
			if n := inside(p); n != 1 && p[0] != tl.bound.Min[0] && p[0] != tl.bound.Max[0] {
				t.Fatalf("%v, on an edge, is inside %d villages", p, n)
			}
		}
	}
	if found < 40 {
		t.Fatalf("found only %d points where rounding differs", found)
	}
}

// nearBorder reports whether p is within eps degrees of an edge of mp.
func nearBorder(mp orb.MultiPolygon, p orb.Point, eps float64) bool {
	for _, poly := range mp {
		for _, r := range poly {
			if planar.DistanceFrom(orb.LineString(r), p) <= eps {
				return true
			}
		}
	}
	return false
}

// TestLocateUsesTheGrid checks that Locate looks at a handful of villages,
// not all of them.
func TestLocateUsesTheGrid(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	tl := newTiling(rng, 30, 20)
	v := NewVillages(tl.villages)
	total, worst := 0, 0
	ps := tl.points(rng, 5000)
	for _, p := range ps {
		n := len(v.grid.candidates(p))
		total += n
		worst = max(worst, n)
	}
	mean := float64(total) / float64(len(ps))
	t.Logf("%d villages: %.1f candidates per point on average, %d at worst", v.Len(), mean, worst)
	if mean > 6 || worst > 20 {
		t.Errorf("%.1f candidates on average, %d at worst; the grid is not narrowing the search", mean, worst)
	}
}

func TestLocateConcurrent(t *testing.T) {
	v := testdataVillages(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if got, _ := v.Locate(orb.Point{114.965, 27.115}); got != "360803101204" {
					t.Errorf("got %q", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkLocate(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	tl := newTiling(rng, 30, 20) // about 750 villages
	v := NewVillages(tl.villages)
	ps := tl.points(rng, 1024)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		v.Locate(ps[i%len(ps)])
	}
}

// TestVillagesOddShapes checks that shapes ParseVillages would refuse, but
// that could come from elsewhere (a hand-edited database), do no harm.
func TestVillagesOddShapes(t *testing.T) {
	nan := math.NaN()
	v := NewVillages([]VillageShape{
		{Code: "a"},
		{Code: "b", Shape: orb.MultiPolygon{{}}},
		{Code: "c", Shape: orb.MultiPolygon{{{}}}},
		{Code: "d", Shape: orb.MultiPolygon{{{{nan, nan}, {1, nan}, {nan, 1}}}}},
		{Code: "e", Shape: orb.MultiPolygon{{{{0, 0}, {math.Inf(1), 0}, {0, 1}}}}},
		{Code: "f", Shape: orb.MultiPolygon{{{{10, 10}, {11, 10}, {11, 11}}}}}, // not closed: closed implicitly
	})
	for _, p := range []orb.Point{{0, 0}, {0.5, 0.5}, {nan, nan}, {10.9, 10.5}, {math.Inf(-1), 3}} {
		v.Locate(p)
	}
	if got, _ := v.Locate(orb.Point{10.9, 10.5}); got != "f" {
		t.Errorf("open ring: got %q", got)
	}
}
