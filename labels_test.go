package cunjie

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// schemaKeys lists every label key the schema needs: each kind, attribute,
// enum value and event type.
func schemaKeys() []string {
	var keys []string
	for _, k := range Schema() {
		keys = append(keys, "kind."+string(k.Kind))
		for _, a := range k.Attrs {
			keys = append(keys, "attr."+a.Name)
			for _, v := range a.Enum {
				keys = append(keys, a.Name+"."+v)
			}
		}
		for _, e := range k.Events {
			keys = append(keys, "event."+e)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// TestLabelsComplete: every kind, attribute, enum value and event type has
// a Chinese and an English word, and the table names nothing else (a word
// left behind by a removed value would hide that it is gone).
func TestLabelsComplete(t *testing.T) {
	need := schemaKeys()
	if len(need) < 70 {
		t.Fatalf("only %d keys: the schema walk is broken", len(need))
	}
	for _, key := range need {
		l, ok := labels[key]
		switch {
		case !ok:
			t.Errorf("%s has no label", key)
		case !hasHan(l.Zh):
			t.Errorf("%s: %q is not Chinese", key, l.Zh)
		case strings.TrimSpace(l.En) == "" || hasHan(l.En):
			t.Errorf("%s: %q is not English", key, l.En)
		}
	}
	for key := range labels {
		if !slices.Contains(need, key) {
			t.Errorf("%s is labelled but the schema has no such thing", key)
		}
	}
}

// TestSameAttrSameType: values are labelled by attribute name across kinds
// ("status.damaged" for a bin and a toilet), and an export has one column
// per name, so a name must mean one type everywhere.
func TestSameAttrSameType(t *testing.T) {
	seen := map[string]AttrType{}
	for _, k := range Schema() {
		for _, a := range k.Attrs {
			if typ, ok := seen[a.Name]; ok && typ != a.Type {
				t.Errorf("%s is %s in %s but %s elsewhere", a.Name, a.Type, k.Kind, typ)
			}
			seen[a.Name] = a.Type
		}
	}
}

func TestLabelLookups(t *testing.T) {
	cases := []struct{ got, want string }{
		{KindLabel(KindHouseholdToilet), "户厕改造"},
		{KindLabel("rocket"), "rocket"},
		{AttrLabel("capacity_l"), "容量（升）"},
		{AttrLabel("nonsense"), "nonsense"},
		{ValueLabel("status", "ok"), "正常"},
		{ValueLabel("stage", "accepted"), "验收"},
		{ValueLabel("type", "three_compartment"), "三格式化粪池"},
		{ValueLabel("status", "unheard_of"), "unheard_of"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	l := Labels()
	l["kind.bin"] = Label{"x", "x"}
	if KindLabel(KindBin) != "垃圾桶" {
		t.Error("Labels() hands out the table itself")
	}
}
