package cunjie

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRulesNameTheSchema keeps the rules table in step with the schema:
// a misspelt attribute or stage would silently guard nothing.
func TestRulesNameTheSchema(t *testing.T) {
	for kind, r := range kindRules {
		names := []string{}
		for _, s := range kindAttrs(kind) {
			names = append(names, s.Name)
		}
		for _, a := range append(slices.Clone(r.staffOnly), r.settled...) {
			if !slices.Contains(names, a) {
				t.Errorf("%s: rule names %q, which it does not record", kind, a)
			}
		}
		for _, st := range r.settledStages {
			if !slices.Contains(StatusValues(kind), st) {
				t.Errorf("%s: settled stage %q is not one of its stages", kind, st)
			}
		}
		if len(r.settledStages) > 0 && !slices.Contains(r.settled, StatusAttr(kind)) {
			t.Errorf("%s: its stage is not among the settled fields", kind)
		}
		if len(r.settledStages) > 0 && !slices.Contains(EventTypes(kind), "corrected") {
			t.Errorf("%s: settles but takes no corrected event", kind)
		}
	}
	for _, p := range personalAttrs {
		for _, k := range Kinds() {
			if slices.ContainsFunc(kindAttrs(k), func(s AttrSpec) bool { return s.Name == p }) && !StaffOnlyAttr(k, p) {
				t.Errorf("%s.%s is personal but a cleaner could write it without seeing it", k, p)
			}
		}
	}
}

func TestCheckAttrChange(t *testing.T) {
	toilet := func(kv ...any) map[string]any {
		m := map[string]any{"stage": "planned", "tap_water": false}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	accepted := toilet("stage", "accepted", "subsidy_yuan", 800.0, "household_head", "李四")
	tests := []struct {
		name      string
		role      Role
		kind      Kind
		cur, next map[string]any
		reason    string
		code      string
		fields    map[string]string
	}{
		{"cleaner records a bin", RoleCleaner, KindBin, nil, map[string]any{"status": "ok", "capacity_l": int64(240)}, "", "", nil},
		{"cleaner records a planned toilet", RoleCleaner, KindHouseholdToilet, nil, toilet("type", "biogas"), "", "", nil},
		{"cleaner accepts at creation", RoleCleaner, KindHouseholdToilet, nil, toilet("stage", "accepted"), "", EFORBIDDEN,
			map[string]string{"attrs.stage": "only inspectors and admins may set accepted"}},
		{"an unknown role is no inspector", "", KindHousingReform, nil, map[string]any{"stage": "accepted"}, "", EFORBIDDEN,
			map[string]string{"attrs.stage": "only inspectors and admins may set accepted"}},
		{"cleaner names a household head", RoleCleaner, KindHouseholdToilet, nil, toilet("household_head", "张三"), "", EFORBIDDEN,
			map[string]string{"attrs.household_head": "only inspectors and admins may set this"}},
		{"cleaner sets a subsidy", RoleCleaner, KindHousingReform, map[string]any{"stage": "started"},
			map[string]any{"stage": "started", "subsidy_yuan": 99999.0}, "", EFORBIDDEN,
			map[string]string{"attrs.subsidy_yuan": "only inspectors and admins may set this"}},
		{"cleaner names an owner", RoleCleaner, KindDemolition, nil, map[string]any{"stage": "surveyed", "owner": "王五"}, "", EFORBIDDEN,
			map[string]string{"attrs.owner": "only inspectors and admins may set this"}},
		{"cleaner moves an accepted toilet back and pays", RoleCleaner, KindHouseholdToilet, accepted,
			toilet("stage", "planned", "subsidy_yuan", 99999.0, "household_head", "李四"), "", EFORBIDDEN,
			map[string]string{
				"attrs.stage":        "the record is settled (accepted); only inspectors and admins may change this",
				"attrs.subsidy_yuan": "only inspectors and admins may set this",
			}},
		{"cleaner changes the note of an accepted toilet", RoleCleaner, KindHouseholdToilet, accepted,
			mergeInto(accepted, "note", "门口有狗"), "", "", nil},
		{"cleaner leaves the personal fields of an accepted toilet alone", RoleCleaner, KindHouseholdToilet, accepted, accepted, "", "", nil},
		{"cleaner changes a demolished house's area", RoleCleaner, KindDemolition, map[string]any{"stage": "demolished", "area_m2": 80.0},
			map[string]any{"stage": "demolished", "area_m2": 180.0}, "", EFORBIDDEN,
			map[string]string{"attrs.area_m2": "the record is settled (demolished); only inspectors and admins may change this"}},
		{"cleaner changes a completed house's mode", RoleCleaner, KindHousingReform, map[string]any{"stage": "completed", "mode": "repair"},
			map[string]any{"stage": "completed", "mode": "new_build"}, "", EFORBIDDEN,
			map[string]string{"attrs.mode": "the record is settled (completed); only inspectors and admins may change this"}},
		{"cleaner moves a stage back", RoleCleaner, KindHouseholdToilet, toilet("stage", "done"), toilet("stage", "building"), "", EFORBIDDEN,
			map[string]string{"attrs.stage": "a stage moves forward; only inspectors and admins may set it back"}},
		{"cleaner moves a stage on", RoleCleaner, KindHouseholdToilet, toilet("stage", "building"), toilet("stage", "done"), "", "", nil},
		{"cleaner lets a bin's status go back", RoleCleaner, KindBin, map[string]any{"status": "damaged"}, map[string]any{"status": "ok"}, "", "", nil},
		{"inspector changes an accepted subsidy without a reason", RoleInspector, KindHouseholdToilet, accepted,
			mergeInto(accepted, "subsidy_yuan", 900.0), "", EINVALID,
			map[string]string{"reason": "the record is settled; say why subsidy_yuan changes"}},
		{"inspector changes an accepted subsidy with a reason", RoleInspector, KindHouseholdToilet, accepted,
			mergeInto(accepted, "subsidy_yuan", 900.0), "验收时少算了化粪池", "", nil},
		{"inspector moves a stage back without a reason", RoleInspector, KindHousingReform, map[string]any{"stage": "approved"},
			map[string]any{"stage": "applied"}, "  ", EINVALID, map[string]string{"reason": "say why the stage goes back"}},
		{"admin moves a stage back with a reason", RoleAdmin, KindHousingReform, map[string]any{"stage": "approved"},
			map[string]any{"stage": "applied"}, "审批材料不全", "", nil},
		{"inspector accepts", RoleInspector, KindHouseholdToilet, toilet("stage", "done"), toilet("stage", "accepted"), "", "", nil},
		{"a reason too long", RoleAdmin, KindHousingReform, map[string]any{"stage": "approved"}, map[string]any{"stage": "applied"},
			string(make([]rune, MaxReason+1)), EINVALID, map[string]string{"reason": "at most 500 characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAttrChange(tt.role, tt.kind, tt.cur, tt.next, tt.reason)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			code, fields := errorOf(t, err)
			if code != tt.code {
				t.Errorf("code %q, want %q", code, tt.code)
			}
			if diff := cmp.Diff(tt.fields, fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func mergeInto(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for kk, vv := range m {
		if kk != k {
			out[kk] = vv
		}
	}
	return out
}

func TestMergeAttrs(t *testing.T) {
	stored := map[string]any{"stage": "accepted", "household_head": "李四", "subsidy_yuan": 800.0, "note": "旧"}
	got := MergeAttrs(stored, map[string]any{"note": "新", "subsidy_yuan": nil, "type": "biogas", "completed_on": " "})
	want := map[string]any{"stage": "accepted", "household_head": "李四", "note": "新", "type": "biogas"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if stored["note"] != "旧" || stored["subsidy_yuan"] != 800.0 {
		t.Error("MergeAttrs changed the stored map")
	}
	// Left out, the stage keeps its stored value; cleared, it takes the
	// default again when normalized.
	kept, _ := NormalizeAttrs(KindHouseholdToilet, MergeAttrs(stored, map[string]any{}))
	cleared, _ := NormalizeAttrs(KindHouseholdToilet, MergeAttrs(stored, map[string]any{"stage": nil}))
	if kept["stage"] != "accepted" || cleared["stage"] != "planned" {
		t.Errorf("kept %v, cleared %v", kept["stage"], cleared["stage"])
	}
}

func TestVisibleAttrs(t *testing.T) {
	attrs := map[string]any{"household_head": "李四", "stage": "done", "subsidy_yuan": 800.0}
	for _, r := range []Role{RoleAdmin, RoleInspector} {
		if got := VisibleAttrs(r, attrs); !cmp.Equal(got, attrs) {
			t.Errorf("%s sees %v", r, got)
		}
	}
	for _, r := range []Role{RoleCleaner, ""} {
		got := VisibleAttrs(r, attrs)
		if diff := cmp.Diff(map[string]any{"stage": "done", "subsidy_yuan": 800.0}, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", r, diff)
		}
	}
	if attrs["household_head"] != "李四" {
		t.Error("VisibleAttrs changed its argument")
	}
	bin := map[string]any{"status": "ok"}
	if got := VisibleAttrs(RoleCleaner, bin); len(got) != 1 {
		t.Errorf("bin: %v", got)
	}
}

func TestMayDelete(t *testing.T) {
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	f := &Feature{CreatedBy: "insp", CreatedAt: now.Add(-23 * time.Hour)}
	old := &Feature{CreatedBy: "insp", CreatedAt: now.Add(-DeleteWindow)}
	tests := []struct {
		u    *User
		f    *Feature
		want bool
	}{
		{&User{Username: "admin", Role: RoleAdmin}, old, true},
		{&User{Username: "insp", Role: RoleInspector}, f, true},
		{&User{Username: "insp", Role: RoleInspector}, old, false},
		{&User{Username: "other", Role: RoleInspector}, f, false},
		{&User{Username: "insp", Role: RoleCleaner}, f, false},
	}
	for i, tt := range tests {
		err := MayDelete(tt.u, tt.f, now)
		if (err == nil) != tt.want {
			t.Errorf("%d: %s %s: %v", i, tt.u.Role, tt.u.Username, err)
		}
		if err != nil && ErrorCode(err) != EFORBIDDEN {
			t.Errorf("%d: code %s", i, ErrorCode(err))
		}
	}
}
