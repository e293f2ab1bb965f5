package cunjie

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheckLinks(t *testing.T) {
	records := map[string]*Feature{
		"hh":    {ID: "hh", Village: "v1", Kind: KindHousehold},
		"gone":  {ID: "gone", Village: "v1", Kind: KindHousehold, Deleted: true},
		"hh2":   {ID: "hh2", Village: "v2", Kind: KindHousehold},
		"bin":   {ID: "bin", Village: "v1", Kind: KindBin},
		"old":   {ID: "old", Village: "v1", Kind: KindDemolition},
		"other": {ID: "other", Village: "v2", Kind: KindDemolition},
	}
	find := func(id string) (*Feature, error) {
		if f, ok := records[id]; ok {
			return f, nil
		}
		if id == "broken" {
			return nil, errors.New("the store is down")
		}
		return nil, Errorf(ENOTFOUND, "feature %s not found", id)
	}
	tests := []struct {
		name      string
		kind      Kind
		cur, next map[string]any
		want      map[string]string // nil: accepted
	}{
		{"a household of the village", KindHouseholdToilet, nil, map[string]any{"household": "hh"}, nil},
		{"a deleted household still counts", KindDemolition, nil, map[string]any{"household": "gone"}, nil},
		{"no link", KindHousingReform, nil, map[string]any{"stage": "surveyed"}, nil},
		{"the household and the old house", KindHousingReform, nil, map[string]any{"household": "hh", "old_house": "old"}, nil},
		{"unknown id", KindHouseholdToilet, nil, map[string]any{"household": "nobody"},
			map[string]string{"attrs.household": `no record with id "nobody"`}},
		{"another village", KindHouseholdToilet, nil, map[string]any{"household": "hh2"},
			map[string]string{"attrs.household": "is a record of village v2, not v1"}},
		{"a bin is no household", KindHousingReform, nil, map[string]any{"household": "bin"},
			map[string]string{"attrs.household": "must name a household record, not a bin"}},
		{"a household is no old house; an old house of another village", KindHousingReform, nil, map[string]any{"household": "old", "old_house": "other"},
			map[string]string{"attrs.household": "must name a household record, not a demolition", "attrs.old_house": "is a record of village v2, not v1"}},
		{"a link kept as it was is not checked again", KindHouseholdToilet, map[string]any{"household": "nobody"}, map[string]any{"household": "nobody", "stage": "done"}, nil},
		{"a changed link is", KindHouseholdToilet, map[string]any{"household": "hh"}, map[string]any{"household": "bin"},
			map[string]string{"attrs.household": "must name a household record, not a bin"}},
	}
	if err := CheckLinks(KindHouseholdToilet, "v1", nil, map[string]any{"household": "broken"}, find); ErrorCode(err) != EINTERNAL {
		t.Errorf("a failed look-up: %v, want it as it is", err)
	}
	if diff := cmp.Diff([]string{"old", "hh"}, LinkedIDs(KindHousingReform, map[string]any{"household": "hh", "old_house": "old", "household_head": "x"})); diff != "" {
		t.Errorf("LinkedIDs (-want +got):\n%s", diff)
	}
	for _, tt := range tests {
		err := CheckLinks(tt.kind, "v1", tt.cur, tt.next, find)
		if tt.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		code, fields := errorOf(t, err)
		if code != EINVALID || !cmp.Equal(tt.want, fields) {
			t.Errorf("%s: %s %v", tt.name, code, fields)
		}
	}
}

func TestIsHousehold(t *testing.T) {
	tests := []struct {
		f    Feature
		want bool
	}{
		{Feature{Kind: KindHousehold}, true},
		{Feature{Kind: KindHouseholdToilet, Attrs: map[string]any{}}, true},
		{Feature{Kind: KindHouseholdToilet, Attrs: map[string]any{"household": "hh"}}, false},
		{Feature{Kind: KindHousingReform, Attrs: map[string]any{"household_head": "刘建国"}}, true},
		{Feature{Kind: KindHousingReform, Attrs: map[string]any{"household": "hh"}}, false},
		{Feature{Kind: KindDemolition, Attrs: map[string]any{}}, false},
		{Feature{Kind: KindBin}, false},
	}
	for _, tt := range tests {
		if got := IsHousehold(&tt.f); got != tt.want {
			t.Errorf("IsHousehold(%s %v) = %v", tt.f.Kind, tt.f.Attrs, got)
		}
	}
}

func feat(id string, kind Kind, attrs map[string]any) *Feature {
	return &Feature{ID: id, Code: "201-" + id, Village: "v1", Kind: kind, Attrs: attrs, CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func ids(fs []*Feature) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func TestHouseholdRecords(t *testing.T) {
	hh := feat("hh", KindHousehold, map[string]any{"household_head": "刘建国"})
	gone := feat("t-gone", KindHouseholdToilet, map[string]any{"household": "hh"})
	gone.Deleted = true
	fs := []*Feature{
		hh,
		feat("h1", KindHousingReform, map[string]any{"household": "hh", "old_house": "d-old"}),
		feat("d-old", KindDemolition, map[string]any{}), // named by the house only
		feat("t1", KindHouseholdToilet, map[string]any{"household": "hh"}),
		gone,
		feat("t-other", KindHouseholdToilet, map[string]any{"household": "hh-other", "household_head": "刘建国"}),
		feat("bin", KindBin, map[string]any{}),
	}
	if diff := cmp.Diff([]string{"t1", "d-old", "h1"}, ids(HouseholdRecords(hh, fs))); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestHouseholdChecks(t *testing.T) {
	fs := []*Feature{
		feat("hh", KindHousehold, map[string]any{"household_head": "刘建国"}),
		// Two toilets of one household: a fact.
		feat("t1", KindHouseholdToilet, map[string]any{"household": "hh", "household_head": "刘建国"}),
		feat("t2", KindHouseholdToilet, map[string]any{"household": "hh"}),
		// Two families whose heads share a name, each with its house
		// linked: told apart by their households.
		feat("h1", KindHousingReform, map[string]any{"household": "hh", "household_head": "刘建国"}),
		feat("h2", KindHousingReform, map[string]any{"household": "hh-b", "household_head": "刘建国"}),
		// A house of the same name recorded without a household: looked at.
		feat("h3", KindHousingReform, map[string]any{"household_head": "王秋生"}),
		feat("h4", KindHousingReform, map[string]any{"household_head": " 王秋生 "}),
		feat("t3", KindHouseholdToilet, map[string]any{"household_head": "刘建国"}),
		feat("d1", KindDemolition, map[string]any{"household": "hh", "owner": "刘建国"}),
		feat("d2", KindDemolition, map[string]any{"household": "hh", "owner": "刘建国"}),
	}
	deleted := feat("h5", KindHousingReform, map[string]any{"household_head": "赵德胜"})
	deleted.Deleted = true
	fs = append(fs, deleted, feat("h6", KindHousingReform, map[string]any{"household_head": "赵德胜"}))
	want := []HouseholdCheck{
		{Rule: RuleOneToilet, Basis: "household", Household: "hh", Features: []string{"t1", "t2"}, Codes: []string{"201-t1", "201-t2"}},
		{Rule: RuleOneToilet, Basis: "head", HouseholdHead: "刘建国", Features: []string{"t1", "t3"}, Codes: []string{"201-t1", "201-t3"}},
		{Rule: RuleOneHomestead, Basis: "head", HouseholdHead: "王秋生", Features: []string{"h3", "h4"}, Codes: []string{"201-h3", "201-h4"}},
	}
	got := HouseholdChecks(fs)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	mine := ChecksOf(got, fs[0], HouseholdRecords(fs[0], fs))
	if diff := cmp.Diff(want[:2], mine); diff != "" {
		t.Errorf("the household's checks (-want +got):\n%s", diff)
	}
}
