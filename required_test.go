package cunjie

import "testing"

func TestCheckRequired(t *testing.T) {
	err := CheckRequired(RoleInspector, KindHouseholdToilet, map[string]any{"stage": "planned", "household_head": ""})
	fe := fieldsOf(t, err)
	if fe["attrs.household_head"] == "" || fe["attrs.type"] == "" || len(fe) != 2 {
		t.Errorf("household toilet with nothing: %v", err)
	}
	if err := CheckRequired(RoleInspector, KindHouseholdToilet, map[string]any{"household_head": "胡建国", "type": "biogas"}); err != nil {
		t.Errorf("complete household toilet: %v", err)
	}
	// A cleaner cannot set 户主 (staff only); the type is still asked.
	fe = fieldsOf(t, CheckRequired(RoleCleaner, KindHouseholdToilet, map[string]any{}))
	if len(fe) != 1 || fe["attrs.type"] == "" {
		t.Errorf("cleaner: %v", fe)
	}
	if fieldsOf(t, CheckRequired(RoleCleaner, KindGarbagePool, map[string]any{"status": "ok"}))["attrs.volume_m3"] == "" {
		t.Error("an empty garbage pool saves")
	}
	if err := CheckRequired(RoleCleaner, KindBin, map[string]any{}); err != nil {
		t.Errorf("a bin needs nothing: %v", err)
	}
}

func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	e, ok := err.(*Error)
	if !ok || e.Code != EINVALID {
		t.Fatalf("want an invalid error, got %v", err)
	}
	return e.Fields
}
