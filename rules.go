package cunjie

import (
	"slices"
	"strings"
	"time"
)

// Who may change what in a feature's attributes, beyond what the schema
// allows. The works (household toilets, demolitions, housing reform) carry
// people's names and money, and their stages release subsidies, so:
//
//   - personal attributes (people's names) are seen and written by staff
//     only: answers to cleaners leave them out (see VisibleAttrs), and a
//     cleaner's update keeps them, since an attribute left out keeps its
//     stored value;
//   - money is set by staff only;
//   - a settled record (accepted, completed, demolished) has its stage and
//     its settled fields (money, dates, areas) changed only by staff, with a
//     reason the history keeps;
//   - a stage moves forward; going back takes staff and a reason.
//
// The table below is the one place these rules are written; the API
// publishes it with the schema, and the web app hides what a role may not
// change.
type attrRules struct {
	// staffOnly are set or changed by inspectors and admins alone.
	staffOnly []string
	// settledStages are the stages after which the record is settled.
	settledStages []string
	// settled change only by staff with a reason once the record is
	// settled; the stage always is one of them.
	settled []string
}

var kindRules = map[Kind]attrRules{
	KindHouseholdToilet: {
		staffOnly:     []string{"household_head", "subsidy_yuan"},
		settledStages: []string{"accepted"},
		settled:       []string{"stage", "subsidy_yuan", "completed_on", "type"},
	},
	KindDemolition: {
		staffOnly:     []string{"owner"},
		settledStages: []string{"demolished"},
		settled:       []string{"stage", "area_m2", "demolished_on", "structure"},
	},
	KindHousingReform: {
		staffOnly:     []string{"household_head", "subsidy_yuan"},
		settledStages: []string{"completed", "accepted"},
		settled:       []string{"stage", "subsidy_yuan", "mode", "building_area_m2", "completed_on"},
	},
	KindHousehold: {
		staffOnly: []string{"household_head", "phone"},
	},
}

// MaxReason is the most characters of a reason given for a correction.
const MaxReason = 500

// StaffOnlyAttr reports whether only inspectors and admins may set attr of kind.
func StaffOnlyAttr(kind Kind, attr string) bool {
	return slices.Contains(kindRules[kind].staffOnly, attr)
}

// SettledAttr reports whether attr of kind is frozen once the record is
// settled (changed then only by staff, with a reason).
func SettledAttr(kind Kind, attr string) bool {
	return slices.Contains(kindRules[kind].settled, attr)
}

// Settled reports whether a feature of kind with attrs is settled: its
// stage is accepted, completed or demolished.
func Settled(kind Kind, attrs map[string]any) bool {
	stage, _ := attrs[StatusAttr(kind)].(string)
	return slices.Contains(kindRules[kind].settledStages, stage)
}

// SettledStages lists kind's settled stages (nil for kinds without).
func SettledStages(kind Kind) []string { return slices.Clone(kindRules[kind].settledStages) }

// stageOrdered reports kinds whose state is a stage of works, which moves
// forward; a facility's status (ok, full, damaged…) comes and goes.
func stageOrdered(kind Kind) bool { return StatusAttr(kind) == "stage" }

// CheckAttrChange checks that role may change a feature of kind from the
// attributes cur (nil for a new feature) to next, both normalized. reason
// is the person's reason for the change, needed where the rules above ask
// for one. It returns EFORBIDDEN naming the attributes ("attrs.<name>")
// role may not change, or EINVALID naming "reason" when one is needed and
// missing or too long.
func CheckAttrChange(role Role, kind Kind, cur, next map[string]any, reason string) error {
	staff := staffRole(role)
	statusAttr := StatusAttr(kind)
	changed := func(attr string) bool {
		if cur == nil {
			_, set := next[attr]
			return set && !isDefault(kind, attr, next[attr])
		}
		return !sameValue(cur[attr], next[attr])
	}
	forbidden := map[string]string{}
	needReason := ""
	for _, spec := range kindAttrs(kind) {
		attr := spec.Name
		if !changed(attr) {
			continue
		}
		switch {
		case StaffOnlyAttr(kind, attr) && !staff:
			forbidden["attrs."+attr] = "only inspectors and admins may set this"
		case attr == statusAttr && next[attr] == acceptedStage && !staff:
			forbidden["attrs."+attr] = "only inspectors and admins may set accepted"
		case cur != nil && Settled(kind, cur) && SettledAttr(kind, attr):
			if !staff {
				forbidden["attrs."+attr] = "the record is settled (" + cur[statusAttr].(string) + "); only inspectors and admins may change this"
			} else {
				needReason = "the record is settled; say why " + attr + " changes"
			}
		case cur != nil && attr == statusAttr && stageOrdered(kind) && stageIndex(kind, next[attr]) < stageIndex(kind, cur[attr]):
			if !staff {
				forbidden["attrs."+attr] = "a stage moves forward; only inspectors and admins may set it back"
			} else {
				needReason = "say why the stage goes back"
			}
		}
	}
	if len(forbidden) > 0 {
		e := Errorf(EFORBIDDEN, "your role (%s) may not change %s", role, strings.Join(sortedKeys(forbidden), ", "))
		e.Fields = forbidden
		return e
	}
	reason = strings.TrimSpace(reason)
	if needReason != "" && reason == "" {
		return Invalid("reason", "%s", needReason)
	}
	if len([]rune(reason)) > MaxReason {
		return Invalid("reason", "at most %d characters", MaxReason)
	}
	return nil
}

// NeedsReason reports whether a change from cur to next is one the rules
// ask a reason for (by staff): the history then records it as an event.
func NeedsReason(kind Kind, cur, next map[string]any) bool {
	return CheckAttrChange(RoleInspector, kind, cur, next, "") != nil
}

func stageIndex(kind Kind, v any) int {
	s, _ := v.(string)
	return slices.Index(statusValues(kind), s)
}

func isDefault(kind Kind, attr string, v any) bool {
	for _, s := range kindAttrs(kind) {
		if s.Name == attr {
			return s.Default != nil && sameValue(s.Default, v)
		}
	}
	return false
}

// sameValue compares two normalized attribute values; numbers compare by
// value whatever their Go type (the store may hand back int32).
func sameValue(a, b any) bool {
	fa, aNum := toFloat(a)
	fb, bNum := toFloat(b)
	if aNum || bNum {
		return aNum && bNum && fa == fb
	}
	return a == b
}

// VisibleAttrs returns attrs as role may see them: without personal
// attributes for a cleaner (a cleaner records bins, not households). It
// returns attrs itself when nothing is hidden, else a copy.
func VisibleAttrs(role Role, attrs map[string]any) map[string]any {
	if staffRole(role) {
		return attrs
	}
	var out map[string]any
	for _, p := range personalAttrs {
		if _, ok := attrs[p]; !ok {
			continue
		}
		if out == nil {
			out = make(map[string]any, len(attrs))
			for k, v := range attrs {
				out[k] = v
			}
		}
		delete(out, p)
	}
	if out == nil {
		return attrs
	}
	return out
}

// SeesPersonal reports whether role sees personal attributes in answers.
func SeesPersonal(role Role) bool { return staffRole(role) }

// MergeAttrs applies an update's attributes to the stored ones: an
// attribute sent replaces the stored value, one sent as null (or blank)
// clears it (back to its default, if it has one), and one left out keeps
// its stored value, so a phone that was not shown an attribute never
// erases it. sent is the update as decoded from JSON, before
// normalization; the result is to be normalized.
func MergeAttrs(stored, sent map[string]any) map[string]any {
	out := make(map[string]any, len(stored)+len(sent))
	for k, v := range stored {
		out[k] = v
	}
	for k, v := range sent {
		if v == nil {
			delete(out, k)
			continue
		}
		if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

// DeleteWindow is how long after recording a feature an inspector may
// delete it: long enough to take back a mistake made in the field (a bin
// recorded twice), short enough that what the office counts stays put.
const DeleteWindow = 24 * time.Hour

// MayDelete says whether u may delete feature f at now: an admin always;
// an inspector what they recorded themselves within DeleteWindow. Returns
// EFORBIDDEN saying why not. A deletion is never final: an admin restores.
func MayDelete(u *User, f *Feature, now time.Time) error {
	switch {
	case u.Role == RoleAdmin:
		return nil
	case u.Role == RoleInspector && f.CreatedBy == u.Username && now.Sub(f.CreatedAt) < DeleteWindow:
		return nil
	case u.Role == RoleInspector:
		return Errorf(EFORBIDDEN, "inspectors delete only what they recorded themselves in the last %d hours; ask the town office", int(DeleteWindow.Hours()))
	}
	return Errorf(EFORBIDDEN, "only admins, and inspectors within a day of recording, delete features")
}
