package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/store"
)

// VillageSummary is a village in the list, without its boundary.
type VillageSummary struct {
	Code    string  `json:"code"`
	Name    string  `json:"name"`
	Town    string  `json:"town"`
	AreaKm2 float64 `json:"areaKm2"`
}

// VillageDetail is one village with its boundary as a GeoJSON geometry.
type VillageDetail struct {
	VillageSummary
	Boundary json.RawMessage `json:"boundary"`
}

func summary(v geo.VillageShape) VillageSummary {
	return VillageSummary{Code: v.Code, Name: v.Name, Town: v.Town, AreaKm2: round(geo.AreaKm2(v.Shape), 3)}
}

// VillageListItem is a village with its counts per kind and status.
type VillageListItem struct {
	VillageSummary
	Features int                            `json:"features"`
	Kinds    map[cunjie.Kind]int            `json:"kinds"`
	Statuses map[cunjie.Kind]map[string]int `json:"statuses"`
}

func (s *Server) listVillages(c *fiber.Ctx) error {
	u := currentUser(c)
	out := []VillageListItem{}
	for _, v := range s.villages.Load().All() {
		if !u.CanReadVillage(v.Code) {
			continue
		}
		st, err := s.villageStats(c.UserContext(), v)
		if err != nil {
			return err
		}
		out = append(out, VillageListItem{VillageSummary: summary(v), Features: st.Features, Kinds: st.Kinds, Statuses: st.Statuses})
	}
	return c.JSON(fiber.Map{"villages": out})
}

// village returns a village the caller may read; another village answers
// 404 as if it did not exist.
func (s *Server) village(c *fiber.Ctx, code string) (geo.VillageShape, error) {
	v, ok := s.villages.Load().Get(code)
	if !ok || !currentUser(c).CanReadVillage(code) {
		return v, cunjie.Errorf(cunjie.ENOTFOUND, "village %q not found", code)
	}
	return v, nil
}

func (s *Server) getVillage(c *fiber.Ctx) error {
	v, err := s.village(c, c.Params("code"))
	if err != nil {
		return err
	}
	return c.JSON(VillageDetail{VillageSummary: summary(v), Boundary: geo.EncodeBoundary(v.Shape)})
}

func (s *Server) locateVillage(c *fiber.Ctx) error {
	p, err := queryPoint(c)
	if err != nil {
		return err
	}
	code, ok := s.villages.Load().Locate(p)
	if !ok {
		return cunjie.Errorf(cunjie.ENOTFOUND, "no village contains %.6f,%.6f", p.Lon(), p.Lat())
	}
	v, err := s.village(c, code)
	if err != nil {
		return err
	}
	return c.JSON(summary(v))
}

// importVillages takes a GeoJSON FeatureCollection or a KML file; either
// every village in it is stored or, on any problem, none.
func (s *Server) importVillages(c *fiber.Ctx) error {
	n, err := ImportVillages(c.UserContext(), s.store, c.Body())
	if err != nil {
		return err
	}
	if err := s.reloadVillages(c.UserContext()); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"imported": n})
}

// ImportVillages validates and stores the villages of a GeoJSON or KML
// file. A running server must reload its shapes afterwards.
func ImportVillages(ctx context.Context, st *store.Store, data []byte) (int, error) {
	shapes, err := geo.ParseVillages(data)
	if err != nil {
		return 0, importError(err)
	}
	vs := make([]*cunjie.Village, len(shapes))
	for i, sh := range shapes {
		vs[i] = &cunjie.Village{Code: sh.Code, Name: sh.Name, Town: sh.Town, Boundary: geo.EncodeBoundary(sh.Shape)}
	}
	if err := st.PutVillages(ctx, vs); err != nil {
		return 0, err
	}
	return len(vs), nil
}

// importError turns geo's per-feature problems into one 400 whose fields
// are keyed "features[i].field".
func importError(err error) error {
	ies, ok := err.(geo.ImportErrors)
	if !ok {
		return cunjie.Invalid("file", "%v", err)
	}
	fields := map[string]string{}
	for _, ie := range ies {
		key := ie.Field
		if ie.Index >= 0 {
			key = fmt.Sprintf("features[%d].%s", ie.Index, ie.Field)
		}
		if _, seen := fields[key]; !seen {
			fields[key] = ie.Problem
		}
	}
	return &cunjie.Error{Code: cunjie.EINVALID, Message: "import refused, nothing stored: " + ies.Error(), Fields: fields}
}

// queryPoint reads lon and lat query parameters.
func queryPoint(c *fiber.Ctx) (orb.Point, error) {
	fe := cunjie.FieldErrors{}
	lon, err := strconv.ParseFloat(c.Query("lon"), 64)
	if err != nil || lon < -180 || lon > 180 || lon != lon {
		fe.Add("lon", "a longitude between -180 and 180 is required")
	}
	lat, err := strconv.ParseFloat(c.Query("lat"), 64)
	if err != nil || lat < -90 || lat > 90 || lat != lat {
		fe.Add("lat", "a latitude between -90 and 90 is required")
	}
	return orb.Point{lon, lat}, fe.Err()
}

// Villages returns the village shapes in memory.
func (s *Server) Villages() *geo.Villages { return s.villages.Load() }
