package cunjie

import (
	"encoding/json"
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// errorOf returns the code and fields of err, which must be an *Error.
func errorOf(t *testing.T, err error) (string, map[string]string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e.Code, e.Fields
}

func TestKinds(t *testing.T) {
	want := []Kind{"bin", "garbage_pool", "collection_point", "transfer_station",
		"public_toilet", "household_toilet", "demolition", "housing_reform", "household"}
	if diff := cmp.Diff(want, Kinds()); diff != "" {
		t.Errorf("Kinds() (-want +got):\n%s", diff)
	}
	for _, k := range want {
		if !ValidKind(k) {
			t.Errorf("ValidKind(%q) = false", k)
		}
	}
	for _, k := range []Kind{"", "Bin", "toilet", "bin "} {
		if ValidKind(k) {
			t.Errorf("ValidKind(%q) = true", k)
		}
	}
	// Kinds returns a copy.
	Kinds()[0] = "x"
	if Kinds()[0] != KindBin {
		t.Error("changing Kinds() changed the list")
	}
}

// TestSchemaTable guards the table against slips a reader would not see.
func TestSchemaTable(t *testing.T) {
	if len(attrSchema) != len(kindOrder) || len(eventTypes) != len(kindOrder) {
		t.Errorf("kindOrder has %d kinds, attrSchema %d, eventTypes %d", len(kindOrder), len(attrSchema), len(eventTypes))
	}
	for _, k := range kindOrder {
		specs := AttrSpecs(k)
		if len(specs) == 0 {
			t.Errorf("%s: no attributes", k)
		}
		if len(EventTypes(k)) == 0 {
			t.Errorf("%s: no events", k)
		}
		seen := map[string]bool{}
		for _, s := range specs {
			if seen[s.Name] {
				t.Errorf("%s.%s: listed twice", k, s.Name)
			}
			seen[s.Name] = true
			switch s.Type {
			case AttrInt, AttrNumber:
				if s.Min == nil || s.Max == nil || *s.Min >= *s.Max {
					t.Errorf("%s.%s: bounds %v..%v", k, s.Name, s.Min, s.Max)
				}
			case AttrString:
				if s.MaxLen <= 0 {
					t.Errorf("%s.%s: string without MaxLen", k, s.Name)
				}
			case AttrEnum:
				if len(s.Enum) == 0 {
					t.Errorf("%s.%s: enum without values", k, s.Name)
				}
			case AttrBool, AttrDate:
			default:
				t.Errorf("%s.%s: unknown type %q", k, s.Name, s.Type)
			}
			if s.Default != nil {
				if got, problem := s.normalize(s.Default); problem != "" || got != s.Default {
					t.Errorf("%s.%s: default %#v normalizes to %#v, %q", k, s.Name, s.Default, got, problem)
				}
			}
		}
		for _, typ := range EventTypes(k) {
			if restoringEvents[typ] && !slices.Contains(StatusValues(k), "ok") {
				t.Errorf("%s takes %s, which sets the status ok, but has no status ok", k, typ)
			}
		}
		// Every kind has a state but the household, whose works have stages.
		attr := StatusAttr(k)
		if (attr == "") != (k == KindHousehold) {
			t.Errorf("%s: status or stage %q", k, attr)
		}
		if specs := AttrSpecs(k); specs != nil {
			for _, s := range specs {
				if s.Name == attr && (s.Type != AttrEnum || s.Default == nil) {
					t.Errorf("%s.%s: a state must be an enum with a default", k, s.Name)
				}
			}
		}
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		kind   Kind
		attr   string
		values []string
	}{
		{KindBin, "status", []string{"ok", "full", "overflowing", "damaged", "missing"}},
		{KindGarbagePool, "status", []string{"ok", "full", "overflowing", "damaged"}},
		{KindCollectionPoint, "status", []string{"ok", "full", "overflowing", "damaged"}},
		{KindTransferStation, "status", []string{"ok", "damaged", "closed"}},
		{KindPublicToilet, "status", []string{"ok", "dirty", "damaged", "closed"}},
		{KindHouseholdToilet, "stage", []string{"planned", "building", "done", "accepted"}},
		{KindDemolition, "stage", []string{"surveyed", "scheduled", "demolished"}},
		{KindHousingReform, "stage", []string{"surveyed", "applied", "approved", "started", "completed", "accepted"}},
		{KindHousehold, "", nil},
		{"toilet", "", nil},
	}
	for _, tt := range tests {
		if got := StatusAttr(tt.kind); got != tt.attr {
			t.Errorf("StatusAttr(%q) = %q, want %q", tt.kind, got, tt.attr)
		}
		if diff := cmp.Diff(tt.values, StatusValues(tt.kind)); diff != "" {
			t.Errorf("StatusValues(%q) (-want +got):\n%s", tt.kind, diff)
		}
	}
	StatusValues(KindBin)[0] = "broken"
	if StatusValues(KindBin)[0] != "ok" {
		t.Error("changing StatusValues() changed the table")
	}
}

func TestKindGroups(t *testing.T) {
	tests := []struct {
		kind       Kind
		collection bool
	}{
		{KindBin, true},
		{KindGarbagePool, true},
		{KindCollectionPoint, true},
		{KindTransferStation, false},
		{KindPublicToilet, false},
		{KindHouseholdToilet, false},
		{KindDemolition, false},
		{KindHousingReform, false},
		{KindHousehold, false},
		{"nonsense", false},
	}
	for _, tt := range tests {
		if got := IsCollectionFacility(tt.kind); got != tt.collection {
			t.Errorf("IsCollectionFacility(%q) = %v", tt.kind, got)
		}
	}
	if diff := cmp.Diff([]string{"household_head", "owner", "phone"}, PersonalAttrs()); diff != "" {
		t.Errorf("PersonalAttrs() (-want +got):\n%s", diff)
	}
}

func TestAttrSpecs(t *testing.T) {
	got, err := json.Marshal(AttrSpecs(KindGarbagePool))
	if err != nil {
		t.Fatal(err)
	}
	want := `[` +
		`{"name":"volume_m3","type":"number","min":0,"exclusiveMin":true,"max":1000,"required":false,"must":true},` +
		`{"name":"status","type":"enum","enum":["ok","full","overflowing","damaged"],"default":"ok","required":true},` +
		`{"name":"built_year","type":"int","min":1950,"max":2100,"required":false},` +
		`{"name":"name","type":"string","maxLen":64,"required":false},` +
		`{"name":"note","type":"string","maxLen":500,"required":false}]`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("AttrSpecs(garbage_pool) JSON (-want +got):\n%s", diff)
	}

	got, _ = json.Marshal(AttrSpecs(KindHouseholdToilet)[2])
	if want := `{"name":"tap_water","type":"bool","default":false,"required":true}`; string(got) != want {
		t.Errorf("tap_water spec = %s, want %s", got, want)
	}

	if AttrSpecs("nonsense") != nil {
		t.Error("AttrSpecs of an unknown kind is not nil")
	}

	// The caller may change what it gets without changing the table.
	specs := AttrSpecs(KindGarbagePool)
	*specs[0].Max = 1
	specs[1].Enum[0] = "fine"
	if again := AttrSpecs(KindGarbagePool); *again[0].Max != 1000 || again[1].Enum[0] != "ok" {
		t.Error("changing AttrSpecs() changed the table")
	}
}

func TestNormalizeAttrsDefaults(t *testing.T) {
	tests := []struct {
		kind Kind
		want map[string]any
	}{
		{KindBin, map[string]any{"capacity_l": int64(240), "status": "ok"}},
		{KindGarbagePool, map[string]any{"status": "ok"}},
		{KindCollectionPoint, map[string]any{"status": "ok"}},
		{KindTransferStation, map[string]any{"status": "ok"}},
		{KindPublicToilet, map[string]any{"type": "flush", "status": "ok"}},
		{KindHouseholdToilet, map[string]any{"tap_water": false, "stage": "planned"}},
		{KindDemolition, map[string]any{"stage": "surveyed"}},
		{KindHousingReform, map[string]any{"stage": "surveyed"}},
	}
	for _, tt := range tests {
		for _, in := range []map[string]any{nil, {}} {
			got, err := NormalizeAttrs(tt.kind, in)
			if err != nil {
				t.Errorf("%s: %v", tt.kind, err)
				continue
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.kind, diff)
			}
		}
	}
}

func TestNormalizeAttrs(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		attrs map[string]any
		want  map[string]any
	}{
		{"bin as JSON gives it", KindBin,
			map[string]any{"capacity_l": 120.0, "status": "overflowing", "name": " 社上 ", "note": "by the bridge"},
			map[string]any{"capacity_l": int64(120), "status": "overflowing", "name": "社上", "note": "by the bridge"}},
		{"bin at the bounds", KindBin,
			map[string]any{"capacity_l": 10000.0, "status": "missing"},
			map[string]any{"capacity_l": int64(10000), "status": "missing"}},
		{"ints from Go code and the store", KindBin,
			map[string]any{"capacity_l": int32(660)},
			map[string]any{"capacity_l": int64(660), "status": "ok"}},
		{"nil and blank are not known: defaults or left out", KindBin,
			map[string]any{"capacity_l": nil, "status": "  ", "name": "", "note": nil},
			map[string]any{"capacity_l": int64(240), "status": "ok"}},
		{"garbage pool", KindGarbagePool,
			map[string]any{"volume_m3": 0.5, "status": "full", "built_year": 1950.0},
			map[string]any{"volume_m3": 0.5, "status": "full", "built_year": int64(1950)}},
		{"collection point with no bins yet", KindCollectionPoint,
			map[string]any{"bin_count": 0.0, "status": "damaged"},
			map[string]any{"bin_count": int64(0), "status": "damaged"}},
		{"transfer station", KindTransferStation,
			map[string]any{"capacity_tpd": 5000.0, "status": "closed"},
			map[string]any{"capacity_tpd": 5000.0, "status": "closed"}},
		{"public toilet", KindPublicToilet,
			map[string]any{"type": "eco", "stalls": 6.0, "status": "dirty", "built_year": 2100.0},
			map[string]any{"type": "eco", "stalls": int64(6), "status": "dirty", "built_year": int64(2100)}},
		{"household toilet", KindHouseholdToilet,
			map[string]any{"household_head": "胡建国", "type": "three_compartment", "tap_water": true,
				"subsidy_yuan": 1200.5, "stage": "accepted", "completed_on": "2024-02-29"},
			map[string]any{"household_head": "胡建国", "type": "three_compartment", "tap_water": true,
				"subsidy_yuan": 1200.5, "stage": "accepted", "completed_on": "2024-02-29"}},
		{"household head of 32 Chinese characters", KindHouseholdToilet,
			map[string]any{"household_head": strings.Repeat("温", 32)},
			map[string]any{"household_head": strings.Repeat("温", 32), "tap_water": false, "stage": "planned"}},
		{"demolition", KindDemolition,
			map[string]any{"owner": "伍", "structure": "adobe", "area_m2": 1.0, "stage": "demolished", "demolished_on": "2023-11-05"},
			map[string]any{"owner": "伍", "structure": "adobe", "area_m2": 1.0, "stage": "demolished", "demolished_on": "2023-11-05"}},
		{"housing reform", KindHousingReform,
			map[string]any{"household_head": "温", "category": "five_guarantees", "mode": "new_build", "subsidy_yuan": 0.0,
				"plot_area_m2": 120.0, "building_area_m2": 80.0, "one_household_one_homestead": false,
				"old_house": "d-0001", "stage": "completed", "completed_on": "2024-12-31"},
			map[string]any{"household_head": "温", "category": "five_guarantees", "mode": "new_build", "subsidy_yuan": 0.0,
				"plot_area_m2": 120.0, "building_area_m2": 80.0, "one_household_one_homestead": false,
				"old_house": "d-0001", "stage": "completed", "completed_on": "2024-12-31"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := maps.Clone(tt.attrs)
			got, err := NormalizeAttrs(tt.kind, tt.attrs)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(in, tt.attrs); diff != "" {
				t.Errorf("the input changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestNormalizeAttrsErrors(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		attrs map[string]any
		want  map[string]string
	}{
		{"unknown attribute", KindBin, map[string]any{"colour": "green"},
			map[string]string{"attrs.colour": "unknown attribute for bin"}},
		{"attribute of another kind", KindBin, map[string]any{"stage": "planned"},
			map[string]string{"attrs.stage": "unknown attribute for bin"}},
		{"names are case-sensitive", KindBin, map[string]any{"Status": "ok"},
			map[string]string{"attrs.Status": "unknown attribute for bin"}},
		{"status out of the enum", KindBin, map[string]any{"status": "broken"},
			map[string]string{"attrs.status": "must be one of ok, full, overflowing, damaged, missing"}},
		{"enum is case-sensitive", KindGarbagePool, map[string]any{"status": "OK"},
			map[string]string{"attrs.status": "must be one of ok, full, overflowing, damaged"}},
		{"enum given a number", KindPublicToilet, map[string]any{"type": 1.0},
			map[string]string{"attrs.type": "must be one of flush, dry, eco, other"}},
		{"capacity zero", KindBin, map[string]any{"capacity_l": 0.0},
			map[string]string{"attrs.capacity_l": "must be at least 1 and at most 10000"}},
		{"capacity too large", KindBin, map[string]any{"capacity_l": 10001.0},
			map[string]string{"attrs.capacity_l": "must be at least 1 and at most 10000"}},
		{"a float for an int", KindBin, map[string]any{"capacity_l": 2.5},
			map[string]string{"attrs.capacity_l": "must be a whole number"}},
		{"a string for an int", KindBin, map[string]any{"capacity_l": "240"},
			map[string]string{"attrs.capacity_l": "must be a whole number"}},
		{"a bool for an int", KindCollectionPoint, map[string]any{"bin_count": true},
			map[string]string{"attrs.bin_count": "must be a whole number"}},
		{"NaN for an int", KindCollectionPoint, map[string]any{"bin_count": math.NaN()},
			map[string]string{"attrs.bin_count": "must be a whole number"}},
		{"negative bin count", KindCollectionPoint, map[string]any{"bin_count": -1.0},
			map[string]string{"attrs.bin_count": "must be at least 0 and at most 200"}},
		{"volume zero is excluded", KindGarbagePool, map[string]any{"volume_m3": 0.0},
			map[string]string{"attrs.volume_m3": "must be more than 0 and at most 1000"}},
		{"volume too large", KindGarbagePool, map[string]any{"volume_m3": 1000.5},
			map[string]string{"attrs.volume_m3": "must be more than 0 and at most 1000"}},
		{"a string for a number", KindGarbagePool, map[string]any{"volume_m3": "5"},
			map[string]string{"attrs.volume_m3": "must be a number"}},
		{"infinity for a number", KindTransferStation, map[string]any{"capacity_tpd": math.Inf(1)},
			map[string]string{"attrs.capacity_tpd": "must be a number"}},
		{"built too early", KindGarbagePool, map[string]any{"built_year": 1949.0},
			map[string]string{"attrs.built_year": "must be at least 1950 and at most 2100"}},
		{"stalls zero", KindPublicToilet, map[string]any{"stalls": 0.0},
			map[string]string{"attrs.stalls": "must be at least 1 and at most 200"}},
		{"subsidy negative", KindHouseholdToilet, map[string]any{"subsidy_yuan": -0.01},
			map[string]string{"attrs.subsidy_yuan": "must be at least 0 and at most 1000000"}},
		{"subsidy over a million", KindHousingReform, map[string]any{"subsidy_yuan": 1000001.0},
			map[string]string{"attrs.subsidy_yuan": "must be at least 0 and at most 1000000"}},
		{"household head too long", KindHouseholdToilet, map[string]any{"household_head": strings.Repeat("温", 33)},
			map[string]string{"attrs.household_head": "at most 32 characters"}},
		{"a number for a string", KindDemolition, map[string]any{"owner": 42.0},
			map[string]string{"attrs.owner": "must be text"}},
		{"a string for a bool", KindHouseholdToilet, map[string]any{"tap_water": "yes"},
			map[string]string{"attrs.tap_water": "must be true or false"}},
		{"a number for a bool", KindHousingReform, map[string]any{"one_household_one_homestead": 1.0},
			map[string]string{"attrs.one_household_one_homestead": "must be true or false"}},
		{"date in another format", KindHouseholdToilet, map[string]any{"completed_on": "2024/03/01"},
			map[string]string{"attrs.completed_on": "must be a date YYYY-MM-DD"}},
		{"date that does not exist", KindDemolition, map[string]any{"demolished_on": "2023-02-29"},
			map[string]string{"attrs.demolished_on": "must be a date YYYY-MM-DD"}},
		{"date with a time", KindHousingReform, map[string]any{"completed_on": "2024-03-01T08:00:00Z"},
			map[string]string{"attrs.completed_on": "must be a date YYYY-MM-DD"}},
		{"area zero", KindDemolition, map[string]any{"area_m2": 0.0},
			map[string]string{"attrs.area_m2": "must be at least 1 and at most 10000"}},
		{"old house id too long", KindHousingReform, map[string]any{"old_house": strings.Repeat("a", 65)},
			map[string]string{"attrs.old_house": "at most 64 characters"}},
		{"name too long", KindTransferStation, map[string]any{"name": strings.Repeat("村", 65)},
			map[string]string{"attrs.name": "at most 64 characters"}},
		{"note too long", KindBin, map[string]any{"note": strings.Repeat("x", 501)},
			map[string]string{"attrs.note": "at most 500 characters"}},
		{"every bad one is named", KindHousingReform,
			map[string]any{"category": "rich", "mode": "rebuild", "plot_area_m2": 0.0, "building_area_m2": "80",
				"stage": "finished", "size": 3.0, "household_head": "ok"},
			map[string]string{
				"attrs.category":         "must be one of homeless, dilapidated, five_guarantees, minimum_living, hardship",
				"attrs.mode":             "must be one of new_build, repair",
				"attrs.plot_area_m2":     "must be at least 1 and at most 10000",
				"attrs.building_area_m2": "must be a number",
				"attrs.stage":            "must be one of surveyed, applied, approved, started, completed, accepted",
				"attrs.size":             "unknown attribute for housing_reform",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeAttrs(tt.kind, tt.attrs)
			if got != nil {
				t.Errorf("returned %v with the error", got)
			}
			code, fields := errorOf(t, err)
			if code != EINVALID {
				t.Errorf("code %q, want %q", code, EINVALID)
			}
			if diff := cmp.Diff(tt.want, fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizeAttrsUnknownKind(t *testing.T) {
	for _, k := range []Kind{"", "toilet", "BIN"} {
		_, err := NormalizeAttrs(k, map[string]any{"status": "ok"})
		code, fields := errorOf(t, err)
		want := map[string]string{"kind": "must be one of bin, garbage_pool, collection_point, transfer_station, public_toilet, household_toilet, demolition, housing_reform, household"}
		if code != EINVALID || !cmp.Equal(want, fields) {
			t.Errorf("kind %q: %s %v", k, code, fields)
		}
	}
}

func TestEventTypes(t *testing.T) {
	tests := []struct {
		kind Kind
		want []string
	}{
		{KindBin, []string{"emptied", "status_reported", "repaired", "replaced", "inspected"}},
		{KindGarbagePool, []string{"cleared", "status_reported", "repaired", "inspected"}},
		{KindCollectionPoint, []string{"cleared", "status_reported", "repaired", "inspected"}},
		{KindTransferStation, []string{"inspected", "status_reported"}},
		{KindPublicToilet, []string{"cleaned", "inspected", "status_reported", "repaired"}},
		{KindHouseholdToilet, []string{"stage_changed", "inspected", "corrected"}},
		{KindDemolition, []string{"stage_changed", "inspected", "corrected"}},
		{KindHousingReform, []string{"stage_changed", "inspected", "corrected"}},
		{"nonsense", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, EventTypes(tt.kind)); diff != "" {
			t.Errorf("EventTypes(%q) (-want +got):\n%s", tt.kind, diff)
		}
	}
}

var eventNow = time.Date(2024, 5, 10, 8, 0, 0, 0, time.UTC)

func TestValidateEvent(t *testing.T) {
	tests := []struct {
		name       string
		kind       Kind
		typ        string
		status     string
		wantStatus string // ev.Status after validation
	}{
		{"emptied bin becomes ok", KindBin, "emptied", "", "ok"},
		{"emptied bin, but damaged", KindBin, "emptied", "damaged", "damaged"},
		{"repaired bin", KindBin, "repaired", "", "ok"},
		{"replaced bin", KindBin, "replaced", "", "ok"},
		{"bin reported overflowing", KindBin, "status_reported", "overflowing", "overflowing"},
		{"bin inspected sets nothing", KindBin, "inspected", "", ""},
		{"cleared pool", KindGarbagePool, "cleared", "", "ok"},
		{"repaired pool", KindGarbagePool, "repaired", "", "ok"},
		{"pool reported full", KindGarbagePool, "status_reported", "full", "full"},
		{"cleared collection point", KindCollectionPoint, "cleared", "", "ok"},
		{"collection point inspected", KindCollectionPoint, "inspected", "damaged", "damaged"},
		{"station inspected", KindTransferStation, "inspected", "", ""},
		{"station closed", KindTransferStation, "status_reported", "closed", "closed"},
		{"cleaned toilet becomes ok", KindPublicToilet, "cleaned", "", "ok"},
		{"repaired toilet becomes ok", KindPublicToilet, "repaired", "", "ok"},
		{"toilet reported dirty", KindPublicToilet, "status_reported", "dirty", "dirty"},
		{"toilet inspected", KindPublicToilet, "inspected", "", ""},
		{"household toilet built", KindHouseholdToilet, "stage_changed", "done", "done"},
		{"household toilet accepted by inspector", KindHouseholdToilet, "stage_changed", "accepted", "accepted"},
		{"household toilet inspected", KindHouseholdToilet, "inspected", "", ""},
		{"house demolished", KindDemolition, "stage_changed", "demolished", "demolished"},
		{"demolition inspected", KindDemolition, "inspected", "", ""},
		{"housing accepted by admin", KindHousingReform, "stage_changed", "accepted", "accepted"},
		{"housing inspected and accepted", KindHousingReform, "inspected", "accepted", "accepted"},
		{"housing started", KindHousingReform, "stage_changed", "started", "started"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := &Event{ID: "0b8f6c1e-3d2a-4f5b-9c7d-1e2f3a4b5c6d", Type: tt.typ, Status: tt.status,
				At: eventNow.Add(-time.Hour), Note: "ok", Photos: []string{"p1", "p_2"},
				Location: &Location{Lon: 115.9, Lat: 28.7, Accuracy: 8}}
			if err := ValidateEvent(tt.kind, ev, eventNow); err != nil {
				t.Fatal(err)
			}
			if ev.Status != tt.wantStatus {
				t.Errorf("Status = %q, want %q", ev.Status, tt.wantStatus)
			}
		})
	}
}

func TestValidateEventErrors(t *testing.T) {
	good := func() Event {
		return Event{ID: "e1", Type: "emptied", At: eventNow}
	}
	tests := []struct {
		name   string
		kind   Kind
		change func(*Event)
		code   string
		want   map[string]string
	}{
		{"no id", KindBin, func(e *Event) { e.ID = "" },
			EINVALID, map[string]string{"id": "required: 1–64 letters, digits, '-' or '_'"}},
		{"id with a slash", KindBin, func(e *Event) { e.ID = "a/b" },
			EINVALID, map[string]string{"id": "required: 1–64 letters, digits, '-' or '_'"}},
		{"id too long", KindBin, func(e *Event) { e.ID = strings.Repeat("a", 65) },
			EINVALID, map[string]string{"id": "required: 1–64 letters, digits, '-' or '_'"}},
		{"type of another kind", KindBin, func(e *Event) { e.Type = "cleaned" },
			EINVALID, map[string]string{"type": "must be one of emptied, status_reported, repaired, replaced, inspected"}},
		{"no type", KindTransferStation, func(e *Event) { e.Type = "" },
			EINVALID, map[string]string{"type": "must be one of inspected, status_reported"}},
		{"emptied is not for toilets", KindHouseholdToilet, func(e *Event) {},
			EINVALID, map[string]string{"type": "must be one of stage_changed, inspected, corrected"}},
		{"status of another kind", KindBin, func(e *Event) { e.Status = "dirty" },
			EINVALID, map[string]string{"status": "must be one of ok, full, overflowing, damaged, missing"}},
		{"stage of another kind", KindDemolition, func(e *Event) { e.Type, e.Status = "stage_changed", "accepted" },
			EINVALID, map[string]string{"status": "must be one of surveyed, scheduled, demolished"}},
		{"status report without a status", KindBin, func(e *Event) { e.Type = "status_reported" },
			EINVALID, map[string]string{"status": "required for status_reported"}},
		{"stage change without a stage", KindHousingReform, func(e *Event) { e.Type = "stage_changed" },
			EINVALID, map[string]string{"status": "required for stage_changed"}},
		{"no time", KindBin, func(e *Event) { e.At = time.Time{} },
			EINVALID, map[string]string{"at": "required"}},
		{"before 2000", KindBin, func(e *Event) { e.At = time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC) },
			EINVALID, map[string]string{"at": "must not be before 2000-01-01"}},
		{"more than 10 minutes ahead", KindBin, func(e *Event) { e.At = eventNow.Add(10*time.Minute + time.Second) },
			EINVALID, map[string]string{"at": "must not be more than 10 minutes in the future; check the phone's clock"}},
		{"note too long", KindBin, func(e *Event) { e.Note = strings.Repeat("满", 1001) },
			EINVALID, map[string]string{"note": "at most 1000 characters"}},
		{"too many photos", KindBin, func(e *Event) { e.Photos = strings.Split("a b c d e f g h i j k", " ") },
			EINVALID, map[string]string{"photos": "at most 10"}},
		{"bad photo id", KindBin, func(e *Event) { e.Photos = []string{"ok", "../x"} },
			EINVALID, map[string]string{"photos": `"../x" is not a photo id`}},
		{"location out of range", KindBin, func(e *Event) { e.Location = &Location{Lon: 181, Lat: -91, Accuracy: -1} },
			EINVALID, map[string]string{
				"location.lon":      "must be between -180 and 180",
				"location.lat":      "must be between -90 and 90",
				"location.accuracy": "must not be negative",
			}},
		{"location without a fix", KindBin, func(e *Event) { e.Location = &Location{} },
			EINVALID, map[string]string{"location": "(0, 0) is not a GPS fix; wait for the phone to find its position"}},
		{"every problem at once", KindPublicToilet, func(e *Event) {
			*e = Event{Type: "status_reported", Note: strings.Repeat("x", 1001), Photos: []string{""}}
		}, EINVALID, map[string]string{
			"id":     "required: 1–64 letters, digits, '-' or '_'",
			"status": "required for status_reported",
			"at":     "required",
			"note":   "at most 1000 characters",
			"photos": `"" is not a photo id`,
		}},
		{"a correction without a note", KindHouseholdToilet, func(e *Event) { e.Type, e.Status = "corrected", "building" },
			EINVALID, map[string]string{"note": "required for corrected: say what was corrected and why"}},
		{"unknown kind", "toilet", func(e *Event) {},
			EINVALID, map[string]string{"kind": "must be one of bin, garbage_pool, collection_point, transfer_station, public_toilet, household_toilet, demolition, housing_reform, household"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := good()
			tt.change(&ev)
			before := ev
			code, fields := errorOf(t, ValidateEvent(tt.kind, &ev, eventNow))
			if code != tt.code {
				t.Errorf("code %q, want %q", code, tt.code)
			}
			if diff := cmp.Diff(tt.want, fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if ev.Status != before.Status {
				t.Errorf("a refused event's status changed to %q", ev.Status)
			}
		})
	}
}

// TestValidateEventTimeBounds checks the edges are taken.
func TestValidateEventTimeBounds(t *testing.T) {
	for _, at := range []time.Time{eventNow.Add(10 * time.Minute), earliestEvent} {
		ev := &Event{ID: "e1", Type: "inspected", At: at}
		if err := ValidateEvent(KindTransferStation, ev, eventNow); err != nil {
			t.Errorf("at %v: %v", at, err)
		}
	}
}
