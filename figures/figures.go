// Package figures counts a village's features into the figures the town
// office reads: facilities by their state, works by their stage. It knows
// the domain's kinds and attributes and nothing of HTTP, so the overview
// and every report that shows a figure count it the same way.
package figures

import "github.com/cunjie/cunjie"

// Facilities counts one kind of garbage facility by its state. Missing
// bins are not counted: they are not there.
type Facilities struct {
	Total       int `json:"total"`
	Full        int `json:"full"`
	Overflowing int `json:"overflowing"`
	Damaged     int `json:"damaged"`
}

// Village is what one village's features add up to. Stages are counted by
// their stored value (GET /kinds lists them in order). Households (kind
// household) are not counted here: they are works' owners, counted with
// coverage (cunjie.IsHousehold).
type Village struct {
	Bins             Facilities     `json:"bins"`
	GarbagePools     Facilities     `json:"garbagePools"`
	CollectionPoints Facilities     `json:"collectionPoints"`
	HouseholdToilets map[string]int `json:"householdToilets"` // by stage
	HousingReform    map[string]int `json:"housingReform"`    // by stage
	Demolitions      map[string]int `json:"demolitions"`      // by stage
}

// New is a Village with nothing counted and every stage of the works at 0,
// so a table of villages has the same columns in each row.
func New() Village {
	stages := func(k cunjie.Kind) map[string]int {
		m := map[string]int{}
		for _, s := range cunjie.StatusValues(k) {
			m[s] = 0
		}
		return m
	}
	return Village{HouseholdToilets: stages(cunjie.KindHouseholdToilet), HousingReform: stages(cunjie.KindHousingReform),
		Demolitions: stages(cunjie.KindDemolition)}
}

// Count adds up a village's (not deleted) features.
func Count(fs []*cunjie.Feature) Village {
	v := New()
	for _, f := range fs {
		v.add(f)
	}
	return v
}

func (v *Village) add(f *cunjie.Feature) {
	status, _ := f.Attrs[cunjie.StatusAttr(f.Kind)].(string)
	switch f.Kind {
	case cunjie.KindBin:
		v.Bins.add(status)
	case cunjie.KindGarbagePool:
		v.GarbagePools.add(status)
	case cunjie.KindCollectionPoint:
		v.CollectionPoints.add(status)
	case cunjie.KindHouseholdToilet:
		v.HouseholdToilets[status]++
	case cunjie.KindHousingReform:
		v.HousingReform[status]++
	case cunjie.KindDemolition:
		v.Demolitions[status]++
	}
}

func (c *Facilities) add(status string) {
	switch status {
	case "missing":
		return
	case "full":
		c.Full++
	case "overflowing":
		c.Overflowing++
	case "damaged":
		c.Damaged++
	}
	c.Total++
}

func (c *Facilities) plus(o Facilities) {
	c.Total += o.Total
	c.Full += o.Full
	c.Overflowing += o.Overflowing
	c.Damaged += o.Damaged
}

// Add adds o's counts to v (the town's totals).
func (v *Village) Add(o Village) {
	v.Bins.plus(o.Bins)
	v.GarbagePools.plus(o.GarbagePools)
	v.CollectionPoints.plus(o.CollectionPoints)
	for _, p := range [][2]map[string]int{{v.HouseholdToilets, o.HouseholdToilets}, {v.HousingReform, o.HousingReform}, {v.Demolitions, o.Demolitions}} {
		for stage, n := range p[1] {
			p[0][stage] += n
		}
	}
}
