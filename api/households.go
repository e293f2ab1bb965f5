package api

import (
	"cmp"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
)

// HouseholdCheck is a household (by its head's name, in one village) with
// more than one housing-reform record (一户一宅) or more than one
// renovated household toilet (一户一厕): a second record of one house, or
// a household subsidised twice.
type HouseholdCheck struct {
	HouseholdHead string   `json:"householdHead"`
	Rule          string   `json:"rule"` // one_household_one_homestead, one_household_one_toilet
	Features      []string `json:"features"`
	Codes         []string `json:"codes"`
}

// householdChecks answers GET /villages/{code}/households/checks. The
// households are named by their heads, personal data: staff only, as the
// route table says (see personal.go).
func (s *Server) householdChecks(c *fiber.Ctx) error {
	v, err := s.village(c, c.Params("code"))
	if err != nil {
		return err
	}
	vi, err := s.writes.Village(c.UserContext(), v.Code)
	if err != nil {
		return err
	}
	rules := map[cunjie.Kind]string{cunjie.KindHousingReform: "one_household_one_homestead", cunjie.KindHouseholdToilet: "one_household_one_toilet"}
	groups := map[[2]string][]*cunjie.Feature{}
	vi.RLock()
	vi.Index.Each(func(it geo.Item) bool {
		f := it.Value.(*cunjie.Feature)
		head, _ := f.Attrs["household_head"].(string)
		if rule, ok := rules[f.Kind]; ok && !f.Deleted && strings.TrimSpace(head) != "" {
			k := [2]string{strings.TrimSpace(head), rule}
			groups[k] = append(groups[k], f)
		}
		return true
	})
	vi.RUnlock()
	out := []HouseholdCheck{}
	for k, fs := range groups {
		if len(fs) < 2 {
			continue
		}
		slices.SortFunc(fs, func(a, b *cunjie.Feature) int { return cmp.Compare(a.ID, b.ID) })
		hc := HouseholdCheck{HouseholdHead: k[0], Rule: k[1]}
		for _, f := range fs {
			hc.Features = append(hc.Features, f.ID)
			hc.Codes = append(hc.Codes, f.Code)
		}
		out = append(out, hc)
	}
	slices.SortFunc(out, func(a, b HouseholdCheck) int {
		return cmp.Or(cmp.Compare(a.HouseholdHead, b.HouseholdHead), cmp.Compare(a.Rule, b.Rule))
	})
	return c.JSON(fiber.Map{"village": v.Code, "checks": out})
}
