package api

import (
	"context"
	"math"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
)

// DefaultCoverageRadiusM is how near a collection facility a household must
// be to count as covered (全覆盖) when the request does not say.
const DefaultCoverageRadiusM = 300.0

// VillageCoverage answers how many households of a village lie within reach
// of a collection facility.
type VillageCoverage struct {
	Village       string            `json:"village"`
	RadiusM       float64           `json:"radius_m"`
	Households    int               `json:"households"`
	Covered       int               `json:"covered"`
	CoverageRatio *float64          `json:"coverageRatio"` // null when the village has no households
	Uncovered     FeatureCollection `json:"uncovered"`
}

func radiusQuery(c *fiber.Ctx) (float64, error) {
	q := c.Query("radius")
	if q == "" {
		return DefaultCoverageRadiusM, nil
	}
	r, err := strconv.ParseFloat(q, 64)
	if err != nil || r <= 0 || r > 10000 || math.IsNaN(r) {
		return 0, cunjie.Invalid("radius", "metres, more than 0 and at most 10,000")
	}
	return r, nil
}

// isFacility is a collection facility that serves: a missing bin does not.
func isFacility(f *cunjie.Feature) bool {
	return cunjie.IsCollectionFacility(f.Kind) && !f.Deleted && f.Attrs["status"] != "missing"
}

// coverage finds the households of a village farther than radius from
// every facility, looking across village borders: a household by the
// border is served by a bin of the next village.
func (s *Server) coverage(ctx context.Context, u *cunjie.User, code string, radius float64) (*VillageCoverage, error) {
	households, err := s.villageFeatures(ctx, code, func(f *cunjie.Feature) bool { return cunjie.IsHousehold(f) })
	if err != nil {
		return nil, err
	}
	out := &VillageCoverage{Village: code, RadiusM: radius, Households: len(households), Uncovered: newCollection(0)}
	if len(households) == 0 {
		return out, nil
	}
	near, err := s.nearIndexes(ctx, code, radius)
	if err != nil {
		return nil, err
	}
	keep := func(it geo.Item) bool { return isFacility(it.Value.(*cunjie.Feature)) }
	for _, h := range households {
		p := orb.Point{h.Location.Lon, h.Location.Lat}
		best := math.Inf(1)
		for _, vi := range near {
			// Past the own village, only a nearer facility matters: a
			// bounded search stays within a few cells.
			limit := 0.0
			if !math.IsInf(best, 1) {
				limit = best
			}
			vi.RLock()
			hits := vi.Index.Nearest(p, 1, limit, keep)
			vi.RUnlock()
			if len(hits) > 0 && hits[0].DistM < best {
				best = hits[0].DistM
			}
			if best <= radius {
				break
			}
		}
		if best <= radius {
			out.Covered++
			continue
		}
		gf := toGeoFeature(shown(u, h))
		if !math.IsInf(best, 1) { // no facility at all: distance_m left out
			d := round(best, 1)
			gf.Properties.(*FeatureProps).DistanceM = &d
		}
		out.Uncovered.Features = append(out.Uncovered.Features, gf)
	}
	r := round(float64(out.Covered)/float64(out.Households), 4)
	out.CoverageRatio = &r
	return out, nil
}

// nearIndexes are the feature indexes a village's coverage reads: the
// village's first, then its neighbours' within radius of its bound.
func (s *Server) nearIndexes(ctx context.Context, code string, radius float64) ([]*geo.VillageIndex, error) {
	v, _ := s.villages.Load().Get(code)
	vb := v.Shape.Bound()
	own, err := s.writes.Village(ctx, code)
	if err != nil {
		return nil, err
	}
	near := []*geo.VillageIndex{own}
	for _, o := range s.villages.Load().All() {
		if o.Code != code && boundsWithin(vb, o.Shape.Bound(), radius) {
			vi, err := s.writes.Village(ctx, o.Code)
			if err != nil {
				return nil, err
			}
			near = append(near, vi)
		}
	}
	return near, nil
}

// boundsWithin reports whether b2 comes within d metres of b1 (roughly: the
// boxes grown by d in degrees at b1's latitude).
func boundsWithin(b1, b2 orb.Bound, d float64) bool {
	lat := (b1.Min[1] + b1.Max[1]) / 2
	dLat := d / 111_000
	dLon := d / (111_000 * math.Max(0.01, math.Cos(lat*math.Pi/180)))
	grown := orb.Bound{Min: orb.Point{b1.Min[0] - dLon, b1.Min[1] - dLat}, Max: orb.Point{b1.Max[0] + dLon, b1.Max[1] + dLat}}
	return grown.Intersects(b2)
}

func (s *Server) villageCoverage(c *fiber.Ctx) error {
	v, err := s.village(c, c.Params("code"))
	if err != nil {
		return err
	}
	r, err := radiusQuery(c)
	if err != nil {
		return err
	}
	cov, err := s.coverage(c.UserContext(), currentUser(c), v.Code, r)
	if err != nil {
		return err
	}
	return c.JSON(cov)
}

// TownCoverage sums coverage over the villages the caller may read.
type TownCoverage struct {
	RadiusM       float64            `json:"radius_m"`
	Households    int                `json:"households"`
	Covered       int                `json:"covered"`
	CoverageRatio *float64           `json:"coverageRatio"`
	Villages      []*VillageCoverage `json:"villages"`
}

func (s *Server) townCoverage(ctx context.Context, u *cunjie.User, r float64) (*TownCoverage, error) {
	out := &TownCoverage{RadiusM: r, Villages: []*VillageCoverage{}}
	for _, code := range s.readableVillages(u) {
		cov, err := s.coverage(ctx, u, code, r)
		if err != nil {
			return nil, err
		}
		out.Households += cov.Households
		out.Covered += cov.Covered
		out.Villages = append(out.Villages, cov)
	}
	if out.Households > 0 {
		ratio := round(float64(out.Covered)/float64(out.Households), 4)
		out.CoverageRatio = &ratio
	}
	return out, nil
}

func (s *Server) allCoverage(c *fiber.Ctx) error {
	r, err := radiusQuery(c)
	if err != nil {
		return err
	}
	out, err := s.townCoverage(c.UserContext(), currentUser(c), r)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// VillageStats are a village's figures: area, counts per kind, status and
// flag, and bins per 100 households.
type VillageStats struct {
	Code         string                         `json:"code"`
	Name         string                         `json:"name"`
	AreaKm2      float64                        `json:"areaKm2"`
	Features     int                            `json:"features"`
	Kinds        map[cunjie.Kind]int            `json:"kinds"`
	Statuses     map[cunjie.Kind]map[string]int `json:"statuses"`
	Flags        map[string]int                 `json:"flags"`
	Households   int                            `json:"households"`
	BinsPer100Hh *float64                       `json:"binsPer100Households"`
}

func (s *Server) villageStats(ctx context.Context, v geo.VillageShape) (*VillageStats, error) {
	fs, err := s.villageFeatures(ctx, v.Code, nil)
	if err != nil {
		return nil, err
	}
	st := &VillageStats{Code: v.Code, Name: v.Name, AreaKm2: round(geo.AreaKm2(v.Shape), 3), Features: len(fs),
		Kinds: map[cunjie.Kind]int{}, Statuses: map[cunjie.Kind]map[string]int{}, Flags: map[string]int{}}
	for _, f := range fs {
		st.Kinds[f.Kind]++
		if st.Statuses[f.Kind] == nil {
			st.Statuses[f.Kind] = map[string]int{}
		}
		status, _ := f.Attrs[cunjie.StatusAttr(f.Kind)].(string)
		st.Statuses[f.Kind][status]++
		for _, name := range flagNames {
			if hasFlag(f, name) {
				st.Flags[name]++
			}
		}
		if cunjie.IsHousehold(f) {
			st.Households++
		}
	}
	if st.Households > 0 {
		b := round(float64(st.Kinds[cunjie.KindBin])*100/float64(st.Households), 1)
		st.BinsPer100Hh = &b
	}
	return st, nil
}

func (s *Server) getVillageStats(c *fiber.Ctx) error {
	v, err := s.village(c, c.Params("code"))
	if err != nil {
		return err
	}
	st, err := s.villageStats(c.UserContext(), v)
	if err != nil {
		return err
	}
	return c.JSON(st)
}
