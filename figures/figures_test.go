package figures

import (
	"testing"

	"github.com/cunjie/cunjie"
)

func feat(kind cunjie.Kind, status string) *cunjie.Feature {
	return &cunjie.Feature{Kind: kind, Attrs: map[string]any{cunjie.StatusAttr(kind): status}}
}

func TestCount(t *testing.T) {
	v := Count([]*cunjie.Feature{
		feat(cunjie.KindBin, "ok"), feat(cunjie.KindBin, "full"), feat(cunjie.KindBin, "overflowing"), feat(cunjie.KindBin, "missing"),
		feat(cunjie.KindGarbagePool, "damaged"), feat(cunjie.KindCollectionPoint, "ok"),
		feat(cunjie.KindHouseholdToilet, "done"), feat(cunjie.KindHouseholdToilet, "done"), feat(cunjie.KindHousingReform, "started"),
		feat(cunjie.KindDemolition, "demolished"), feat(cunjie.KindPublicToilet, "ok"),
	})
	if v.Bins != (Facilities{Total: 3, Full: 1, Overflowing: 1}) || v.GarbagePools != (Facilities{Total: 1, Damaged: 1}) || v.CollectionPoints.Total != 1 {
		t.Errorf("facilities %+v %+v %+v", v.Bins, v.GarbagePools, v.CollectionPoints)
	}
	if v.HouseholdToilets["done"] != 2 || v.HouseholdToilets["planned"] != 0 || len(v.HouseholdToilets) != 4 {
		t.Errorf("toilets %v", v.HouseholdToilets)
	}
	if v.HousingReform["started"] != 1 || v.Demolitions["demolished"] != 1 {
		t.Errorf("works %v %v", v.HousingReform, v.Demolitions)
	}
	town := New()
	town.Add(v)
	town.Add(v)
	if town.Bins.Total != 6 || town.HouseholdToilets["done"] != 4 {
		t.Errorf("town %+v", town)
	}
}
