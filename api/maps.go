package api

import (
	"context"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
)

// GeoFeature is one feature as a GeoJSON Feature; the map and the phone
// read kind, village, status, attributes and flags from its properties.
type GeoFeature struct {
	Type       string   `json:"type"`
	ID         string   `json:"id"`
	Geometry   GeoPoint `json:"geometry"`
	Properties any      `json:"properties"` // *FeatureProps or ClusterProps
}

// FeatureProps are a feature's GeoJSON properties. A struct rather than a
// map: a village's collection of 2,000 is encoded several times faster.
type FeatureProps struct {
	Kind      cunjie.Kind    `json:"kind"`
	Village   string         `json:"village"`
	Code      string         `json:"code,omitempty"`
	Status    any            `json:"status"`
	Attrs     map[string]any `json:"attrs"`
	Flags     cunjie.Flags   `json:"flags"`
	Photos    []string       `json:"photos"`
	Version   int64          `json:"version"`
	Accuracy  float64        `json:"accuracy"`
	UpdatedAt time.Time      `json:"updatedAt"`
	Events    []cunjie.Event `json:"events"`
	// DistanceM is set by nearest and coverage answers.
	DistanceM *float64 `json:"distance_m,omitempty"`
}

// ClusterProps are the properties of a grid cluster of a viewport.
type ClusterProps struct {
	Cluster bool                `json:"cluster"`
	Count   int                 `json:"count"`
	Kinds   map[cunjie.Kind]int `json:"kinds"`
}

// GeoPoint is a GeoJSON Point.
type GeoPoint struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

// FeatureCollection is a GeoJSON FeatureCollection.
type FeatureCollection struct {
	Type     string       `json:"type"`
	Features []GeoFeature `json:"features"`
}

func newCollection(n int) FeatureCollection {
	return FeatureCollection{Type: "FeatureCollection", Features: make([]GeoFeature, 0, n)}
}

func toGeoFeature(f *cunjie.Feature) GeoFeature {
	return GeoFeature{Type: "Feature", ID: f.ID,
		Geometry: GeoPoint{Type: "Point", Coordinates: [2]float64{f.Location.Lon, f.Location.Lat}},
		Properties: &FeatureProps{Kind: f.Kind, Village: f.Village, Code: f.Code, Status: f.Attrs[cunjie.StatusAttr(f.Kind)], Attrs: f.Attrs,
			Flags: f.Flags, Photos: f.Photos, Version: f.Version, Accuracy: f.Location.Accuracy,
			UpdatedAt: f.UpdatedAt, Events: f.Events.Slice()}}
}

// featureFilter reads kind=, status= and flag= into one predicate.
func featureFilter(c *fiber.Ctx) (func(*cunjie.Feature) bool, error) {
	kinds := splitList(c.Query("kind"))
	for _, k := range kinds {
		if !cunjie.ValidKind(cunjie.Kind(k)) {
			return nil, cunjie.Invalid("kind", "%q is not a kind", k)
		}
	}
	statuses := splitList(c.Query("status"))
	flags := splitList(c.Query("flag"))
	// code= finds a feature by its label code (一户一码), as typed or scanned.
	code := strings.ToUpper(strings.TrimSpace(c.Query("code")))
	for _, f := range flags {
		if !slices.Contains(flagNames, f) {
			return nil, cunjie.Invalid("flag", "must be one of %s", strings.Join(flagNames, ", "))
		}
	}
	return func(f *cunjie.Feature) bool {
		if len(kinds) > 0 && !slices.Contains(kinds, string(f.Kind)) {
			return false
		}
		if code != "" && f.Code != code {
			return false
		}
		if len(statuses) > 0 {
			st, _ := f.Attrs[cunjie.StatusAttr(f.Kind)].(string)
			if !slices.Contains(statuses, st) {
				return false
			}
		}
		for _, fl := range flags {
			if !hasFlag(f, fl) {
				return false
			}
		}
		return true
	}, nil
}

var flagNames = []string{"lowAccuracy", "outsideVillage", "possibleDuplicate", "photosPending"}

func hasFlag(f *cunjie.Feature, name string) bool {
	switch name {
	case "lowAccuracy":
		return f.Flags.LowAccuracy
	case "outsideVillage":
		return f.Flags.OutsideVillage
	case "possibleDuplicate":
		return f.Flags.PossibleDuplicate != ""
	case "photosPending":
		return len(f.Flags.PhotosPending) > 0
	}
	return false
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func (s *Server) villageFeatureCollection(c *fiber.Ctx) error {
	v, err := s.village(c, c.Params("code"))
	if err != nil {
		return err
	}
	keep, err := featureFilter(c)
	if err != nil {
		return err
	}
	fs, err := s.villageFeatures(c.UserContext(), v.Code, keep)
	if err != nil {
		return err
	}
	return sendCollection(c, fs)
}

// Viewport limits: at most this many points, else clusters.
const (
	DefaultViewportLimit = 2000
	MaxViewportLimit     = 10000
	clusterCells         = 24 // cells along the longer side of the viewport
)

func parseBBox(s string) (orb.Bound, error) {
	parts := strings.Split(s, ",")
	var v [4]float64
	if len(parts) != 4 {
		return orb.Bound{}, cunjie.Invalid("bbox", "minLon,minLat,maxLon,maxLat")
	}
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return orb.Bound{}, cunjie.Invalid("bbox", "minLon,minLat,maxLon,maxLat as numbers")
		}
		v[i] = f
	}
	if v[0] > v[2] || v[1] > v[3] || v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 {
		return orb.Bound{}, cunjie.Invalid("bbox", "min must not exceed max, within -180..180 and -90..90")
	}
	return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

func intQuery(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	q := c.Query(name)
	if q == "" {
		return def, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < lo || n > hi {
		return 0, cunjie.Invalid(name, "a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

// viewport answers the features in a map view across villages. Past the
// limit it answers grid clusters with counts, so a whole-town view of
// 100,000 features stays a few kilobytes.
func (s *Server) viewport(c *fiber.Ctx) error {
	if c.Query("bbox") == "" && c.Query("code") != "" {
		return s.featuresByCode(c)
	}
	b, err := parseBBox(c.Query("bbox"))
	if err != nil {
		return err
	}
	keep, err := featureFilter(c)
	if err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", DefaultViewportLimit, 1, MaxViewportLimit)
	if err != nil {
		return err
	}
	g := newClusterGrid(b)
	var points []*cunjie.Feature
	total := 0
	u := currentUser(c)
	for _, v := range s.villages.Load().All() {
		if !u.CanReadVillage(v.Code) || !v.Shape.Bound().Intersects(b) {
			continue
		}
		vi, err := s.writes.Village(c.UserContext(), v.Code)
		if err != nil {
			return err
		}
		vi.RLock()
		vi.Index.InBound(b, func(it geo.Item) bool {
			f := it.Value.(*cunjie.Feature)
			if f.Deleted || !keep(f) {
				return true
			}
			total++
			if total <= limit {
				points = append(points, f)
			}
			g.add(it.Point, f.Kind)
			return true
		})
		vi.RUnlock()
	}
	if total <= limit {
		return sendCollection(c, points)
	}
	return c.JSON(g.collection(total))
}

// clusterGrid counts points in square-ish cells over a bound.
type clusterGrid struct {
	b          orb.Bound
	cols, rows int
	cells      map[int]*cluster
}

type cluster struct {
	n          int
	sumX, sumY float64
	kinds      map[cunjie.Kind]int
}

func newClusterGrid(b orb.Bound) *clusterGrid {
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	cols, rows := clusterCells, clusterCells
	if w > h && h > 0 {
		rows = max(1, int(float64(clusterCells)*h/w))
	} else if h > w && w > 0 {
		cols = max(1, int(float64(clusterCells)*w/h))
	}
	return &clusterGrid{b: b, cols: cols, rows: rows, cells: map[int]*cluster{}}
}

func (g *clusterGrid) add(p orb.Point, k cunjie.Kind) {
	cx := cellIndex(p[0], g.b.Min[0], g.b.Max[0], g.cols)
	cy := cellIndex(p[1], g.b.Min[1], g.b.Max[1], g.rows)
	key := cy*g.cols + cx
	cl := g.cells[key]
	if cl == nil {
		cl = &cluster{kinds: map[cunjie.Kind]int{}}
		g.cells[key] = cl
	}
	cl.n++
	cl.sumX += p[0]
	cl.sumY += p[1]
	cl.kinds[k]++
}

func cellIndex(x, lo, hi float64, n int) int {
	if hi <= lo {
		return 0
	}
	return min(n-1, max(0, int((x-lo)/(hi-lo)*float64(n))))
}

func (g *clusterGrid) collection(total int) FeatureCollection {
	keys := make([]int, 0, len(g.cells))
	for k := range g.cells {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	fc := newCollection(len(keys))
	for _, k := range keys {
		cl := g.cells[k]
		fc.Features = append(fc.Features, GeoFeature{Type: "Feature", ID: "cluster-" + strconv.Itoa(k),
			Geometry:   GeoPoint{Type: "Point", Coordinates: [2]float64{cl.sumX / float64(cl.n), cl.sumY / float64(cl.n)}},
			Properties: ClusterProps{Cluster: true, Count: cl.n, Kinds: cl.kinds}})
	}
	return fc
}

// nearest answers the features nearest a point across villages, each with
// distance_m, nearest first.
func (s *Server) nearest(c *fiber.Ctx) error {
	p, err := queryPoint(c)
	if err != nil {
		return err
	}
	keep, err := featureFilter(c)
	if err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", 10, 1, 100)
	if err != nil {
		return err
	}
	maxDist := 0.0
	if q := c.Query("maxDistance"); q != "" {
		maxDist, err = strconv.ParseFloat(q, 64)
		if err != nil || maxDist <= 0 || math.IsNaN(maxDist) || maxDist > 1e6 {
			return cunjie.Invalid("maxDistance", "metres, more than 0 and at most 1,000,000")
		}
	}
	hits, err := s.nearestAcross(c.UserContext(), currentUser(c), p, limit, maxDist, keep)
	if err != nil {
		return err
	}
	fc := newCollection(len(hits))
	for _, h := range hits {
		gf := toGeoFeature(shown(currentUser(c), h.Item.Value.(*cunjie.Feature)))
		d := round(h.DistM, 2)
		gf.Properties.(*FeatureProps).DistanceM = &d
		fc.Features = append(fc.Features, gf)
	}
	return c.JSON(fc)
}

// nearestAcross searches villages in order of their distance from p and
// stops once no unsearched village can hold a nearer feature.
func (s *Server) nearestAcross(ctx context.Context, u *cunjie.User, p orb.Point, k int, maxDist float64, keep func(*cunjie.Feature) bool) ([]geo.Hit, error) {
	type cand struct {
		code string
		d    float64
	}
	var vs []cand
	for _, v := range s.villages.Load().All() {
		if u.CanReadVillage(v.Code) {
			vs = append(vs, cand{v.Code, boundDistanceM(v.Shape.Bound(), p)})
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].d < vs[j].d || vs[i].d == vs[j].d && vs[i].code < vs[j].code })
	var hits []geo.Hit
	for _, v := range vs {
		if maxDist > 0 && v.d > maxDist {
			break
		}
		if len(hits) >= k && v.d > hits[k-1].DistM {
			break
		}
		vi, err := s.writes.Village(ctx, v.code)
		if err != nil {
			return nil, err
		}
		vi.RLock()
		hits = append(hits, vi.Index.Nearest(p, k, maxDist, func(it geo.Item) bool {
			f := it.Value.(*cunjie.Feature)
			return !f.Deleted && (keep == nil || keep(f))
		})...)
		vi.RUnlock()
		sort.Slice(hits, func(i, j int) bool {
			return hits[i].DistM < hits[j].DistM || hits[i].DistM == hits[j].DistM && hits[i].ID < hits[j].ID
		})
		if len(hits) > k {
			hits = hits[:k]
		}
	}
	return hits, nil
}

// boundDistanceM is a lower bound of the distance from p to anything in b:
// the distance to the nearest point of the box, less 1 % for the sphere.
func boundDistanceM(b orb.Bound, p orb.Point) float64 {
	q := orb.Point{min(max(p[0], b.Min[0]), b.Max[0]), min(max(p[1], b.Min[1]), b.Max[1])}
	if q == p {
		return 0
	}
	return geo.DistanceM(p, q) * 0.99
}
