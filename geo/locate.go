package geo

import (
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
)

// Villages is an immutable set of village shapes that answers which village
// contains a point. Safe for concurrent use.
//
// Which village a boundary point belongs to: every point belongs to at most
// one village, and to exactly one inside a set of villages that share their
// edges exactly (the same vertex coordinates on both sides):
//
//   - A point on an edge between two villages belongs to the village east of
//     the edge, and on an east–west edge to the village north of it. This is
//     the half-open crossing rule (the same rule graphics cards use so that
//     adjacent triangles never share a pixel); it is computed identically from
//     both sides of an edge, so rounding can neither leave a gap nor count a
//     point twice.
//   - A point on a border that no other village is on the far side of (the
//     town's outer border, the edge of an empty hole) belongs to the village
//     whose border it is; where several meet there, to the smallest code.
//   - Where shapes overlap, which valid data does not, the smallest code wins.
type Villages struct {
	shapes []VillageShape // sorted by code
	bounds []orb.Bound    // bounds[i] is shapes[i].Shape's bound
	byCode map[string]int // code → index in shapes
	grid   grid           // candidate shapes per cell
}

// grid is a uniform grid over the bound of all shapes. Each cell lists, in
// ascending order, the shapes whose polygon bounds touch it, so that Locate
// tests a handful of shapes instead of every ring of every village.
type grid struct {
	bound        orb.Bound
	nx, ny       int
	cellW, cellH float64
	cells        [][]int32
}

// NewVillages indexes vs. A later shape with the same code as an earlier one
// replaces it. The shapes are copied, so the caller may keep changing vs; the
// shapes that Get and All return are shared and must not be modified.
func NewVillages(vs []VillageShape) *Villages {
	latest := make(map[string]VillageShape, len(vs))
	for _, s := range vs {
		latest[s.Code] = s
	}
	v := &Villages{byCode: make(map[string]int, len(latest))}
	for _, s := range latest {
		s.Shape = s.Shape.Clone()
		v.shapes = append(v.shapes, s)
	}
	slices.SortFunc(v.shapes, func(a, b VillageShape) int { return strings.Compare(a.Code, b.Code) })
	v.bounds = make([]orb.Bound, len(v.shapes))
	for i, s := range v.shapes {
		v.byCode[s.Code] = i
		v.bounds[i] = s.Shape.Bound()
	}
	v.grid = newGrid(v.shapes)
	return v
}

// Locate returns the code of the village that contains p (see Villages for
// points on a boundary).
func (v *Villages) Locate(p orb.Point) (code string, ok bool) {
	if v == nil {
		return "", false
	}
	candidates := v.grid.candidates(p)
	// Candidates are in code order, so the first hit has the smallest code.
	for _, i := range candidates {
		if v.bounds[i].Contains(p) && shapeContains(v.shapes[i].Shape, p) {
			return v.shapes[i].Code, true
		}
	}
	// Not inside any village by the half-open rule: p may still be on a
	// border with no village beyond it.
	for _, i := range candidates {
		if v.bounds[i].Contains(p) && onShapeBorder(v.shapes[i].Shape, p) {
			return v.shapes[i].Code, true
		}
	}
	return "", false
}

// Get returns the village with this code.
func (v *Villages) Get(code string) (VillageShape, bool) {
	if v == nil {
		return VillageShape{}, false
	}
	i, ok := v.byCode[code]
	if !ok {
		return VillageShape{}, false
	}
	return v.shapes[i], true
}

// All returns every village, sorted by code.
func (v *Villages) All() []VillageShape {
	if v == nil {
		return nil
	}
	return slices.Clone(v.shapes)
}

// Len is the number of villages.
func (v *Villages) Len() int {
	if v == nil {
		return 0
	}
	return len(v.shapes)
}

// With returns a copy of v with vs added, replacing villages of the same
// code; v itself does not change, so readers holding it are not disturbed
// by a re-import.
func (v *Villages) With(vs ...VillageShape) *Villages {
	return NewVillages(append(v.All(), vs...))
}

// newGrid sizes the grid at about four cells per village, squarish cells,
// and at most 256 cells a side.
func newGrid(shapes []VillageShape) grid {
	if len(shapes) == 0 {
		return grid{}
	}
	b := shapes[0].Shape.Bound()
	for _, s := range shapes[1:] {
		b = b.Union(s.Shape.Bound())
	}
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	cells := 4.0 * float64(len(shapes))
	nx, ny := 1, 1
	switch {
	case w > 0 && h > 0:
		nx = int(math.Ceil(math.Sqrt(cells * w / h)))
		ny = int(math.Ceil(cells / float64(nx)))
	case w > 0:
		nx = int(cells)
	case h > 0:
		ny = int(cells)
	}
	nx, ny = min(max(nx, 1), 256), min(max(ny, 1), 256)
	g := grid{bound: b, nx: nx, ny: ny, cellW: w / float64(nx), cellH: h / float64(ny), cells: make([][]int32, nx*ny)}
	for i, s := range shapes {
		for _, poly := range s.Shape {
			pb := poly.Bound()
			x0, y0 := g.cell(pb.Min)
			x1, y1 := g.cell(pb.Max)
			for y := y0; y <= y1; y++ {
				for x := x0; x <= x1; x++ {
					c := &g.cells[y*nx+x]
					// Shapes are added in order, so a shape already listed is last.
					if n := len(*c); n == 0 || (*c)[n-1] != int32(i) {
						*c = append(*c, int32(i))
					}
				}
			}
		}
	}
	return g
}

// cell returns the column and row of p, clamped to the grid. The same
// arithmetic places a point and a polygon's bound, and it is monotonic, so a
// point inside a bound always lands in one of the bound's cells.
func (g *grid) cell(p orb.Point) (int, int) {
	x, y := 0, 0
	if g.cellW > 0 {
		x = min(max(int((p[0]-g.bound.Min[0])/g.cellW), 0), g.nx-1)
	}
	if g.cellH > 0 {
		y = min(max(int((p[1]-g.bound.Min[1])/g.cellH), 0), g.ny-1)
	}
	return x, y
}

// candidates returns the shapes whose bounds may contain p, in code order.
func (g *grid) candidates(p orb.Point) []int32 {
	if len(g.cells) == 0 || !g.bound.Contains(p) {
		return nil
	}
	x, y := g.cell(p)
	return g.cells[y*g.nx+x]
}

// shapeContains reports whether p is inside mp by the half-open rule
// described at Villages. Within one polygon the crossings of all its rings
// are counted together, so a point in a hole is outside.
func shapeContains(mp orb.MultiPolygon, p orb.Point) bool {
	for _, poly := range mp {
		inside := false
		for _, ring := range poly {
			if ringCrossesOdd(ring, p) {
				inside = !inside
			}
		}
		if inside {
			return true
		}
	}
	return false
}

// ringCrossesOdd reports whether a ray from p towards +x (east) crosses r
// an odd number of times. An edge counts when its lower end is at or below p
// and its upper end above (half-open in y) and it lies strictly east of p.
// Each edge is taken lower end first, so the two villages on either side of
// a shared edge compute the very same numbers and get opposite answers.
// A ring that is not closed is closed implicitly.
func ringCrossesOdd(r orb.Ring, p orb.Point) bool {
	odd := false
	for i := range r {
		a, b := r[i], r[(i+1)%len(r)]
		if a[1] > b[1] {
			a, b = b, a
		}
		if p[1] < a[1] || p[1] >= b[1] {
			continue // also skips horizontal edges
		}
		x := a[0] + (p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
		if p[0] < x {
			odd = !odd
		}
	}
	return odd
}

// onShapeBorder reports whether p lies exactly on an edge of mp.
func onShapeBorder(mp orb.MultiPolygon, p orb.Point) bool {
	for _, poly := range mp {
		for _, r := range poly {
			for i := range r {
				if onSegment(r[i], r[(i+1)%len(r)], p) {
					return true
				}
			}
		}
	}
	return false
}

func onSegment(a, b, p orb.Point) bool {
	if p[0] < min(a[0], b[0]) || p[0] > max(a[0], b[0]) || p[1] < min(a[1], b[1]) || p[1] > max(a[1], b[1]) {
		return false
	}
	return (b[0]-a[0])*(p[1]-a[1]) == (b[1]-a[1])*(p[0]-a[0])
}
