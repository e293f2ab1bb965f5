package figures

import (
	"strings"
	"testing"

	"github.com/cunjie/cunjie"
)

func featAttrs(kind cunjie.Kind, attrs map[string]any) *cunjie.Feature {
	return &cunjie.Feature{Kind: kind, Attrs: attrs}
}

func TestSummaryAddFeatures(t *testing.T) {
	fs := []*cunjie.Feature{
		// Works count by the day they were finished, within the dates.
		featAttrs(cunjie.KindDemolition, map[string]any{"stage": "demolished", "demolished_on": "2026-03-01", "area_m2": 80.0}),
		featAttrs(cunjie.KindDemolition, map[string]any{"stage": "demolished", "demolished_on": "2025-12-31", "area_m2": 50.0}),
		featAttrs(cunjie.KindDemolition, map[string]any{"stage": "scheduled", "demolished_on": "2026-03-01", "area_m2": 70.0}),
		featAttrs(cunjie.KindHouseholdToilet, map[string]any{"stage": "accepted", "completed_on": "2026-06-30", "tap_water": true}),
		featAttrs(cunjie.KindHouseholdToilet, map[string]any{"stage": "done", "completed_on": "2026-07-01", "tap_water": false}),
		featAttrs(cunjie.KindHouseholdToilet, map[string]any{"stage": "building", "completed_on": "2026-07-01"}),
		featAttrs(cunjie.KindHousingReform, map[string]any{"stage": "completed", "completed_on": "2026-05-05", "mode": "new_build", "subsidy_yuan": int64(30000)}),
		featAttrs(cunjie.KindHousingReform, map[string]any{"stage": "accepted", "completed_on": "2026-05-06", "mode": "repair", "subsidy_yuan": 8000.0}),
		// Facilities count as they stand, and as built by their year.
		featAttrs(cunjie.KindPublicToilet, map[string]any{"built_year": 2026.0}),
		featAttrs(cunjie.KindPublicToilet, map[string]any{"built_year": int64(2019)}),
		featAttrs(cunjie.KindGarbagePool, map[string]any{"built_year": int32(2026)}),
		featAttrs(cunjie.KindBin, map[string]any{"status": "ok"}),
		featAttrs(cunjie.KindBin, map[string]any{"status": "missing"}),
		featAttrs(cunjie.KindCollectionPoint, map[string]any{}),
		featAttrs(cunjie.KindTransferStation, map[string]any{}),
	}
	var got Summary
	got.AddFeatures(fs, "2026-01-01", "2026-07-01")
	want := Summary{DemolishedHouses: 1, DemolishedAreaM2: 80, ToiletsRenovated: 2, TapWaterReformed: 1,
		HousingReform: 2, HousingNewBuild: 1, HousingRepair: 1, HousingSubsidyYuan: 38000,
		PublicToilets: 2, PublicToiletsBuilt: 1, GarbagePools: 1, GarbagePoolsBuilt: 1, Bins: 1, CollectionPoints: 1, TransferStations: 1}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	var town Summary
	town.Add(got)
	town.Add(got)
	if town.DemolishedHouses != 2 || town.HousingSubsidyYuan != 76000 || town.Bins != 2 {
		t.Errorf("town %+v", town)
	}
}

func TestParagraph(t *testing.T) {
	f := Summary{DemolishedHouses: 3, DemolishedAreaM2: 240.4, ToiletsRenovated: 12, TapWaterReformed: 9, Bins: 40, Cleaners: 5,
		HousingReform: 2, HousingNewBuild: 1, HousingRepair: 1, HousingSubsidyYuan: 38000}
	p := Paragraph("2026-01-01", "2026-07-01", "长岭镇", 300, f)
	for _, want := range []string{"2026年1月1日至2026年7月1日，长岭镇共拆除危旧房3处、面积240平方米", "完成改水改厕12户，其中改水9户",
		"补助资金3.8万元", "期间暂无月度考评记录"} {
		if !strings.Contains(p, want) {
			t.Errorf("paragraph lacks %q:\n%s", want, p)
		}
	}
	if strings.Contains(p, "中转站") || strings.Contains(p, "覆盖农户") {
		t.Errorf("the paragraph says what the data does not: %s", p)
	}
	if Percent(1, 3) == nil || *Percent(1, 3) != 33.3 || Percent(0, 0) != nil {
		t.Errorf("Percent: %v %v", Percent(1, 3), Percent(0, 0))
	}
}
