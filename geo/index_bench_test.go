package geo

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/quadtree"
)

// The benchmarks compare the grid Index with orb's quadtree and with a scan
// of every item, on a 2 km × 2 km village near (114.9, 27.1) holding 2,000
// (typical) or 20,000 (the largest) points. Run them with
//
//	go test -run '^$' -bench 'Index' -benchtime=2000x ./geo/

var benchSizes = []int{2000, 20000}

// benchVillage is a village of n items and 1,024 query points inside it.
func benchVillage(n int) (items []Item, queries []orb.Point, village orb.Bound) {
	rng := rand.New(rand.NewPCG(2025, uint64(n)))
	o := orb.Point{114.9, 27.1}
	items = randomVillageItems(rng, o, 2000, n)
	for range 1024 {
		queries = append(queries, offsetPoint(o, rng.Float64()*2000, rng.Float64()*2000))
	}
	return items, queries, orb.Bound{Min: o, Max: offsetPoint(o, 2000, 2000)}
}

// quadtreeItem puts an Item in orb's quadtree.
type quadtreeItem struct{ it *Item }

func (q quadtreeItem) Point() orb.Point { return q.it.Point }

func newBenchQuadtree(items []Item, village orb.Bound) *quadtree.Quadtree {
	qt := quadtree.New(village.Pad(0.001)) // the tree's bound is fixed: points outside are refused
	for i := range items {
		if err := qt.Add(quadtreeItem{&items[i]}); err != nil {
			panic(err)
		}
	}
	return qt
}

// quadtreeNearest is what Nearest would be over the quadtree. The tree
// ranks by planar distance in degrees, which is not haversine's order (a
// degree of longitude is 0.89 of one of latitude here), so its answer can
// differ from Nearest's near the k-th place; the benchmark is generous to it.
func quadtreeNearest(qt *quadtree.Quadtree, buf []orb.Pointer, p orb.Point, k int) []Hit {
	buf = qt.KNearest(buf[:0], p, k)
	hits := make([]Hit, len(buf))
	for i, q := range buf {
		it := q.(quadtreeItem).it
		hits[i] = Hit{Item: *it, DistM: orbgeo.DistanceHaversine(p, it.Point)}
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		return cmp.Or(cmp.Compare(a.DistM, b.DistM), cmp.Compare(a.ID, b.ID))
	})
	return hits
}

// scanNearest measures every item, keeping the k best in a sorted slice.
func scanNearest(items []Item, p orb.Point, k int) []Hit {
	hits := make([]Hit, 0, k+1)
	for i := range items {
		h := Hit{Item: items[i], DistM: orbgeo.DistanceHaversine(p, items[i].Point)}
		at, _ := slices.BinarySearchFunc(hits, h, func(a, b Hit) int {
			return cmp.Or(cmp.Compare(a.DistM, b.DistM), cmp.Compare(a.ID, b.ID))
		})
		if at == k {
			continue
		}
		hits = slices.Insert(hits, at, h)
		if len(hits) > k {
			hits = hits[:k]
		}
	}
	return hits
}

func BenchmarkIndexNearest(b *testing.B) {
	for _, n := range benchSizes {
		items, queries, village := benchVillage(n)
		x := indexOf(items)
		qt := newBenchQuadtree(items, village)
		b.Run(fmt.Sprintf("grid/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				x.Nearest(queries[i%len(queries)], 10, 0, nil)
			}
		})
		b.Run(fmt.Sprintf("quadtree/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]orb.Pointer, 0, 10)
			for i := 0; b.Loop(); i++ {
				quadtreeNearest(qt, buf, queries[i%len(queries)], 10)
			}
		})
		b.Run(fmt.Sprintf("scan/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				scanNearest(items, queries[i%len(queries)], 10)
			}
		})
	}
}

// BenchmarkIndexInBound finds the items in a 200 m × 200 m box, as the map
// does for a screen at high zoom.
func BenchmarkIndexInBound(b *testing.B) {
	for _, n := range benchSizes {
		items, queries, village := benchVillage(n)
		x := indexOf(items)
		qt := newBenchQuadtree(items, village)
		box := func(i int) orb.Bound {
			q := queries[i%len(queries)]
			return orb.Bound{Min: q, Max: offsetPoint(q, 200, 200)}
		}
		b.Run(fmt.Sprintf("grid/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			found := 0
			for i := 0; b.Loop(); i++ {
				x.InBound(box(i), func(Item) bool { found++; return true })
			}
			b.ReportMetric(float64(found)/float64(b.N), "items/op")
		})
		b.Run(fmt.Sprintf("quadtree/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var buf []orb.Pointer
			found := 0
			for i := 0; b.Loop(); i++ {
				buf = qt.InBound(buf[:0], box(i))
				found += len(buf)
			}
			b.ReportMetric(float64(found)/float64(b.N), "items/op")
		})
		b.Run(fmt.Sprintf("scan/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			found := 0
			for i := 0; b.Loop(); i++ {
				bb := box(i)
				for j := range items {
					if bb.Contains(items[j].Point) {
						found++
					}
				}
			}
			b.ReportMetric(float64(found)/float64(b.N), "items/op")
		})
	}
}

// BenchmarkIndexPut is the usual write: an existing item moves up to 50 m
// and takes the village's next Seq. The quadtree's equivalent is a remove
// and an add.
func BenchmarkIndexPut(b *testing.B) {
	for _, n := range benchSizes {
		items, _, village := benchVillage(n)
		b.Run(fmt.Sprintf("grid/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			x := indexOf(items)
			rng := rand.New(rand.NewPCG(1, 2))
			seq := int64(n)
			for b.Loop() {
				it := items[rng.IntN(n)]
				seq++
				it.Seq = seq
				it.Point = offsetPoint(it.Point, rng.Float64()*100-50, rng.Float64()*100-50)
				x.Put(it)
			}
		})
		b.Run(fmt.Sprintf("quadtree/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			own := slices.Clone(items)
			qt := newBenchQuadtree(own, village)
			rng := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				it := &own[rng.IntN(n)]
				qt.Remove(quadtreeItem{it}, func(p orb.Pointer) bool { return p.(quadtreeItem).it == it })
				it.Point = offsetPoint(it.Point, rng.Float64()*100-50, rng.Float64()*100-50)
				if err := qt.Add(quadtreeItem{it}); err != nil {
					it.Point = village.Center() // wandered out of the tree's fixed bound
					qt.Add(quadtreeItem{it})
				}
			}
		})
		b.Run(fmt.Sprintf("grid-new/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			x := indexOf(items)
			rng := rand.New(rand.NewPCG(3, 4))
			for i := 0; b.Loop(); i++ {
				x.Put(Item{ID: fmt.Sprint("new", i), Point: offsetPoint(village.Min, rng.Float64()*2000, rng.Float64()*2000), Seq: int64(n + i + 1)})
			}
		})
	}
}
