package cunjie

import (
	"cmp"
	"slices"
	"strings"
)

// A household (农户, kind household) is the family its works are recorded
// for. Its renovated toilet, its housing-reform record and the old house it
// demolished name it in their "household" attribute, a link (AttrSpec.Link)
// checked on every write; the household file (一户一档) is the household
// with every record that names it.

// CheckLinks checks the links of a feature of kind in village, its
// attributes as they will be stored (next), against the records they
// name; cur holds the stored attributes (nil for a create). A link left
// as it was is not checked again. find looks a record up by id in the
// villages the writer may read (ok false for none). A deleted record still
// counts: a deletion is not final (an admin restores it), and a create
// replayed later must be judged as it first was. Problems are named
// "attrs.<name>", in one EINVALID error; an error of find other than
// ENOTFOUND is returned as it is.
func CheckLinks(kind Kind, village string, cur, next map[string]any, find func(id string) (*Feature, error)) error {
	fe := FieldErrors{}
	for _, s := range attrSchema[kind] {
		id, _ := next[s.Name].(string)
		if s.Link == "" || id == "" || (cur != nil && cur[s.Name] == id) {
			continue
		}
		f, err := find(id)
		switch {
		case ErrorCode(err) == ENOTFOUND:
			fe.Add("attrs."+s.Name, "no record with id %q", id)
		case err != nil:
			return err
		case f.Village != village:
			fe.Add("attrs."+s.Name, "is a record of village %s, not %s", f.Village, village)
		case f.Kind != s.Link:
			fe.Add("attrs."+s.Name, "must name a %s record, not a %s", s.Link, f.Kind)
		}
	}
	return fe.Err()
}

// LinkedIDs lists the ids that the links among attrs (of a feature of
// kind) name.
func LinkedIDs(kind Kind, attrs map[string]any) []string {
	var out []string
	for _, s := range attrSchema[kind] {
		if id, _ := attrs[s.Name].(string); s.Link != "" && id != "" {
			out = append(out, id)
		}
	}
	return out
}

// IsHousehold reports whether f counts as one household where households
// are counted (coverage, the village's figures): a household record, or a
// toilet or housing-reform record that names none (recorded before
// households were, or without one). A household with its toilet and its
// house is so counted once.
func IsHousehold(f *Feature) bool {
	switch f.Kind {
	case KindHousehold:
		return true
	case KindHouseholdToilet, KindHousingReform:
		id, _ := f.Attrs["household"].(string)
		return id == ""
	}
	return false
}

// HouseholdRecords lists the records of household hh among fs (its
// village's features): those that name it, then the old houses its
// housing-reform records name (拆旧建新) that do not, in kind order.
// Deleted records are left out.
func HouseholdRecords(hh *Feature, fs []*Feature) []*Feature {
	var out []*Feature
	byID := map[string]*Feature{}
	for _, f := range fs {
		byID[f.ID] = f
		if id, _ := f.Attrs["household"].(string); id == hh.ID && !f.Deleted {
			out = append(out, f)
		}
	}
	for _, f := range slices.Clone(out) {
		old, _ := f.Attrs["old_house"].(string)
		if d, ok := byID[old]; ok && f.Kind == KindHousingReform && !d.Deleted && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, func(a, b *Feature) int {
		return cmp.Or(cmp.Compare(slices.Index(kindOrder, a.Kind), slices.Index(kindOrder, b.Kind)), a.CreatedAt.Compare(b.CreatedAt))
	})
	return out
}

// Household checks: a household may have one homestead (一户一宅) and one
// subsidised toilet (一户一厕).
const (
	RuleOneHomestead = "one_household_one_homestead"
	RuleOneToilet    = "one_household_one_toilet"
)

var checkRules = map[Kind]string{KindHousingReform: RuleOneHomestead, KindHouseholdToilet: RuleOneToilet}

// HouseholdCheck is a household with more than one housing-reform record
// or more than one renovated toilet: a second record of one house, or a
// household subsidised twice. Basis says how the records were found to be
// one household's: "household", they name the same household record (a
// fact); "head", they carry the same household head's name and not all of
// them name a household (a name can be shared: someone looks).
type HouseholdCheck struct {
	Rule          string   `json:"rule"`
	Basis         string   `json:"basis"`
	Household     string   `json:"household,omitempty"`     // basis household: its id
	HouseholdHead string   `json:"householdHead,omitempty"` // basis head (personal data)
	Features      []string `json:"features"`
	Codes         []string `json:"codes"`
}

// HouseholdChecks finds the checks of one village's features. Records that
// all name households are told apart by them, not by their heads' names:
// two families with one head's name are two households.
func HouseholdChecks(fs []*Feature) []HouseholdCheck {
	type key struct{ basis, who, rule string }
	groups := map[key][]*Feature{}
	unlinked := map[key]bool{}
	for _, f := range fs {
		rule, ok := checkRules[f.Kind]
		if !ok || f.Deleted {
			continue
		}
		hh, _ := f.Attrs["household"].(string)
		if hh != "" {
			k := key{"household", hh, rule}
			groups[k] = append(groups[k], f)
		}
		if head, _ := f.Attrs["household_head"].(string); strings.TrimSpace(head) != "" {
			k := key{"head", strings.TrimSpace(head), rule}
			groups[k] = append(groups[k], f)
			unlinked[k] = unlinked[k] || hh == ""
		}
	}
	out := []HouseholdCheck{}
	for k, g := range groups {
		if len(g) < 2 || (k.basis == "head" && !unlinked[k]) {
			continue
		}
		slices.SortFunc(g, func(a, b *Feature) int { return cmp.Compare(a.ID, b.ID) })
		c := HouseholdCheck{Rule: k.rule, Basis: k.basis}
		if k.basis == "household" {
			c.Household = k.who
		} else {
			c.HouseholdHead = k.who
		}
		for _, f := range g {
			c.Features = append(c.Features, f.ID)
			c.Codes = append(c.Codes, f.Code)
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b HouseholdCheck) int {
		return cmp.Or(cmp.Compare(a.HouseholdHead, b.HouseholdHead), cmp.Compare(a.Household, b.Household), cmp.Compare(a.Rule, b.Rule))
	})
	return out
}

// ChecksOf picks from a village's checks those about household hh, whose
// records are records: the ones on its records, or on its head's name.
func ChecksOf(checks []HouseholdCheck, hh *Feature, records []*Feature) []HouseholdCheck {
	head, _ := hh.Attrs["household_head"].(string)
	out := []HouseholdCheck{}
	for _, c := range checks {
		mine := c.Household == hh.ID || (c.HouseholdHead != "" && c.HouseholdHead == strings.TrimSpace(head)) ||
			slices.ContainsFunc(records, func(f *Feature) bool { return slices.Contains(c.Features, f.ID) })
		if mine {
			out = append(out, c)
		}
	}
	return out
}
