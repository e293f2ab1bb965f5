package cunjie

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AttrType is the type of an attribute's value.
type AttrType string

const (
	AttrInt    AttrType = "int"    // a whole number, stored as int64
	AttrNumber AttrType = "number" // stored as float64
	AttrString AttrType = "string" // free text, trimmed, at most MaxLen characters
	AttrBool   AttrType = "bool"
	AttrEnum   AttrType = "enum" // one of Enum, stored as that string
	AttrDate   AttrType = "date" // a day "YYYY-MM-DD", stored as that string
)

// AttrSpec describes one attribute of a kind. It is what the API publishes
// (and the OpenAPI document and the web app's forms read), so it has JSON
// tags; the words shown to people are in the label table (labels.go),
// keyed "attr.<Name>" and, for an enum's values, "<Name>.<value>".
type AttrSpec struct {
	Name string   `json:"name"`
	Type AttrType `json:"type"`
	Enum []string `json:"enum,omitempty"`
	// Min and Max bound an int or number; nil means unbounded. Min is
	// excluded when ExclusiveMin is set ("more than 0").
	Min          *float64 `json:"min,omitempty"`
	ExclusiveMin bool     `json:"exclusiveMin,omitempty"`
	Max          *float64 `json:"max,omitempty"`
	// MaxLen is the most characters (not bytes: names are Chinese) of a string.
	MaxLen int `json:"maxLen,omitempty"`
	// Default is stored when the attribute is missing, null or blank.
	Default any `json:"default,omitempty"`
	// Required says a stored feature always has the attribute. It is true
	// exactly when there is a Default: no attribute must be sent, because
	// field workers record what they can see and an unknown value is better
	// left out than guessed.
	Required bool `json:"required"`
	// Must attributes are the ones a record of its kind says nothing
	// without (a household toilet's 户主 and type): a create or an update
	// leaving one empty is refused naming it (see CheckRequired).
	Must bool `json:"must,omitempty"`
	// Personal attributes name people: seen by staff only (see rules.go).
	Personal bool `json:"personal,omitempty"`
	// StaffOnly attributes are set by inspectors and admins alone.
	StaffOnly bool `json:"staffOnly,omitempty"`
	// Settled attributes change only by staff, with a reason, once the
	// record has reached one of its kind's settled stages.
	Settled bool `json:"settled,omitempty"`
	// Link names the kind of record whose id the attribute holds (a
	// household toilet's household): a write naming a record that is not
	// one of that kind in the same village is refused (see CheckLinks).
	Link Kind `json:"link,omitempty"`
}

func num(f float64) *float64 { return &f }

// Status values shared by the garbage facilities.
var facilityStatus = []string{"ok", "full", "overflowing", "damaged"} // 正常、已满、溢出、损坏

// builtYear is optional: old facilities often have no known year.
var builtYear = AttrSpec{Name: "built_year", Type: AttrInt, Min: num(1950), Max: num(2100)} // 建成年份

// householdLink ties a household's works to its household record (一户一档).
var householdLink = AttrSpec{Name: "household", Type: AttrString, MaxLen: 64, Link: KindHousehold} // 所属农户（household 要素的 id）

// attrSchema is the one table of what each kind records. Defaults are given
// only where the domain has an obvious starting value: the status or stage a
// new thing starts in, the usual toilet type, and the 240-litre bin that
// villages buy by the hundred, so a cleaner logging bins needn't type it.
// Every attribute without a default may be left out.
var attrSchema = map[Kind][]AttrSpec{
	KindBin: { // 垃圾桶
		{Name: "capacity_l", Type: AttrInt, Min: num(1), Max: num(10000), Default: int64(240)},                             // 容量（升）
		{Name: "status", Type: AttrEnum, Enum: []string{"ok", "full", "overflowing", "damaged", "missing"}, Default: "ok"}, // 状态：正常、已满、溢出、损坏、丢失
	},
	KindGarbagePool: { // 垃圾池
		{Name: "volume_m3", Type: AttrNumber, Min: num(0), ExclusiveMin: true, Max: num(1000), Must: true}, // 容积（立方米）
		{Name: "status", Type: AttrEnum, Enum: facilityStatus, Default: "ok"},                              // 状态
		builtYear,
	},
	KindCollectionPoint: { // 垃圾收集点
		{Name: "bin_count", Type: AttrInt, Min: num(0), Max: num(200)},        // 垃圾桶数
		{Name: "status", Type: AttrEnum, Enum: facilityStatus, Default: "ok"}, // 状态
	},
	KindTransferStation: { // 垃圾压缩中转站
		{Name: "capacity_tpd", Type: AttrNumber, Min: num(0), ExclusiveMin: true, Max: num(5000)},  // 处理能力（吨/日）
		{Name: "status", Type: AttrEnum, Enum: []string{"ok", "damaged", "closed"}, Default: "ok"}, // 状态：正常、损坏、关闭
	},
	KindPublicToilet: { // 公厕
		{Name: "type", Type: AttrEnum, Enum: []string{"flush", "dry", "eco", "other"}, Default: "flush"},    // 类型：水冲式、旱厕、生态厕所、其他
		{Name: "stalls", Type: AttrInt, Min: num(1), Max: num(200)},                                         // 厕位数
		{Name: "status", Type: AttrEnum, Enum: []string{"ok", "dirty", "damaged", "closed"}, Default: "ok"}, // 状态：正常、脏乱、损坏、关闭
		builtYear,
	},
	KindHouseholdToilet: { // 户厕改造（改水改厕）
		{Name: "household_head", Type: AttrString, MaxLen: 32, Must: true},                                                     // 户主
		{Name: "type", Type: AttrEnum, Enum: []string{"three_compartment", "double_urn", "sewer_flush", "biogas"}, Must: true}, // 类型：三格式化粪池、双瓮式、完整下水道水冲式、沼气池式
		{Name: "tap_water", Type: AttrBool, Default: false},                                                                    // 改水（通自来水）
		{Name: "subsidy_yuan", Type: AttrNumber, Min: num(0), Max: num(1000000)},                                               // 补助（元）
		{Name: "stage", Type: AttrEnum, Enum: []string{"planned", "building", "done", "accepted"}, Default: "planned"},         // 进度：计划、施工、完工、验收
		{Name: "completed_on", Type: AttrDate},                                                                                 // 完工日期
		householdLink,
	},
	KindDemolition: { // 危旧房拆除
		{Name: "owner", Type: AttrString, MaxLen: 32, Must: true},                                                   // 房主
		{Name: "structure", Type: AttrEnum, Enum: []string{"adobe", "brick_wood", "other"}, Must: true},             // 结构：土坯、砖木、其他
		{Name: "area_m2", Type: AttrNumber, Min: num(1), Max: num(10000)},                                           // 面积（平方米）
		{Name: "stage", Type: AttrEnum, Enum: []string{"surveyed", "scheduled", "demolished"}, Default: "surveyed"}, // 进度：已摸底、已排期、已拆除
		{Name: "demolished_on", Type: AttrDate},                                                                     // 拆除日期
		householdLink,
	},
	KindHousingReform: { // 农村安居工程（危房改造户）
		{Name: "household_head", Type: AttrString, MaxLen: 32, Must: true},                                                                          // 户主
		{Name: "category", Type: AttrEnum, Enum: []string{"homeless", "dilapidated", "five_guarantees", "minimum_living", "hardship"}, Must: true},  // 类别：无房户、危房户、五保户、低保户、困难户
		{Name: "mode", Type: AttrEnum, Enum: []string{"new_build", "repair"}},                                                                       // 方式：新建、维修
		{Name: "subsidy_yuan", Type: AttrNumber, Min: num(0), Max: num(1000000)},                                                                    // 补助（元）
		{Name: "plot_area_m2", Type: AttrNumber, Min: num(1), Max: num(10000)},                                                                      // 占地面积（平方米）
		{Name: "building_area_m2", Type: AttrNumber, Min: num(1), Max: num(10000)},                                                                  // 建筑面积（平方米）
		{Name: "one_household_one_homestead", Type: AttrBool},                                                                                       // 一户一宅
		{Name: "old_house", Type: AttrString, MaxLen: 64, Link: KindDemolition},                                                                     // 拆旧建新：所拆旧房（demolition 要素的 id）
		{Name: "stage", Type: AttrEnum, Enum: []string{"surveyed", "applied", "approved", "started", "completed", "accepted"}, Default: "surveyed"}, // 进度：摸底、申请、审批、开工、竣工、验收
		{Name: "completed_on", Type: AttrDate},                                                                                                      // 竣工日期
		householdLink,
	},
	// 农户（一户一档）: the household its toilet, housing reform and
	// demolished old house link to. It has no state: its works have stages.
	KindHousehold: {
		{Name: "household_head", Type: AttrString, MaxLen: 32, Must: true}, // 户主
		{Name: "address", Type: AttrString, MaxLen: 100},                   // 地址（自然村、门牌）
		{Name: "members", Type: AttrInt, Min: num(1), Max: num(50)},        // 家庭人口
		{Name: "phone", Type: AttrString, MaxLen: 20},                      // 联系电话
	},
}

// commonAttrs may be given for every kind.
var commonAttrs = []AttrSpec{
	{Name: "name", Type: AttrString, MaxLen: 64},  // 名称（自然村、地名）
	{Name: "note", Type: AttrString, MaxLen: 500}, // 备注
}

// kindOrder is the order kinds are listed in: the garbage chain from the
// household bin to the town's station, then toilets, then housing, then
// the household that ties its toilet and housing together.
var kindOrder = []Kind{
	KindBin, KindGarbagePool, KindCollectionPoint, KindTransferStation,
	KindPublicToilet, KindHouseholdToilet, KindDemolition, KindHousingReform, KindHousehold,
}

// eventTypes lists the events each kind takes.
var eventTypes = map[Kind][]string{
	KindBin:             {"emptied", "status_reported", "repaired", "replaced", "inspected"}, // 清运、上报状态、维修、更换、检查
	KindGarbagePool:     {"cleared", "status_reported", "repaired", "inspected"},             // 清理、上报状态、维修、检查
	KindCollectionPoint: {"cleared", "status_reported", "repaired", "inspected"},
	KindTransferStation: {"inspected", "status_reported"},
	KindPublicToilet:    {"cleaned", "inspected", "status_reported", "repaired"}, // 保洁、检查、上报状态、维修
	KindHouseholdToilet: {"stage_changed", "inspected", "corrected"},             // 进度变更、检查、更正
	KindDemolition:      {"stage_changed", "inspected", "corrected"},
	KindHousingReform:   {"stage_changed", "inspected", "corrected"},
	KindHousehold:       {"inspected"},
}

// reasonedEvents say why something was changed, so they need a note.
var reasonedEvents = map[string]bool{"corrected": true}

// statusEvents exist to set a status or stage, so they need one.
var statusEvents = map[string]bool{"status_reported": true, "stage_changed": true}

// restoringEvents put a thing back in order. Logged without a status, they
// set it to "ok": a cleaner who empties an overflowing bin should not have to
// say a second time that it is fine now. Only kinds whose status has "ok"
// take them (a test keeps it so).
var restoringEvents = map[string]bool{"emptied": true, "cleared": true, "repaired": true, "replaced": true, "cleaned": true}

// acceptedStage is the acceptance (验收) after which subsidies are paid, so
// only inspectors and admins may set it (see CheckAttrChange).
const acceptedStage = "accepted"

// personalAttrs name or reach people; exports for non-admins leave them out.
var personalAttrs = []string{"household_head", "owner", "phone"}

// ValidKind reports whether k is a known kind.
func ValidKind(k Kind) bool {
	_, ok := attrSchema[k]
	return ok
}

// Kinds lists the known kinds, garbage facilities first, housing last.
func Kinds() []Kind { return slices.Clone(kindOrder) }

// AttrSpecs lists the attributes of kind, its own then the common ones; nil
// for an unknown kind. The result is a copy the caller may change.
func AttrSpecs(kind Kind) []AttrSpec {
	specs := kindAttrs(kind)
	if specs == nil {
		return nil
	}
	out := make([]AttrSpec, len(specs))
	for i, s := range specs {
		s.Enum = slices.Clone(s.Enum)
		if s.Min != nil {
			s.Min = num(*s.Min)
		}
		if s.Max != nil {
			s.Max = num(*s.Max)
		}
		s.Required = s.Default != nil
		s.Personal = slices.Contains(personalAttrs, s.Name)
		s.StaffOnly = StaffOnlyAttr(kind, s.Name)
		s.Settled = SettledAttr(kind, s.Name)
		out[i] = s
	}
	return out
}

// kindAttrs is the table's attributes of kind plus the common ones, for
// reading only: they share Enum, Min and Max with the table.
func kindAttrs(kind Kind) []AttrSpec {
	specs, ok := attrSchema[kind]
	if !ok {
		return nil
	}
	return append(slices.Clip(specs), commonAttrs...)
}

// StatusAttr is the attribute that carries a kind's state: "status" for
// facilities and toilets, "stage" for the works (toilet reform, demolition,
// housing). It is "" for an unknown kind.
func StatusAttr(kind Kind) string {
	for _, s := range attrSchema[kind] {
		if s.Name == "status" || s.Name == "stage" {
			return s.Name
		}
	}
	return ""
}

// StatusValues lists the values of kind's status or stage, in order.
func StatusValues(kind Kind) []string { return slices.Clone(statusValues(kind)) }

func statusValues(kind Kind) []string {
	name := StatusAttr(kind)
	for _, s := range attrSchema[kind] {
		if s.Name == name {
			return s.Enum
		}
	}
	return nil
}

// IsCollectionFacility reports kinds a household takes its waste to, which
// coverage measures the distance to. The transfer station serves the whole
// town through trucks, not households on foot, so it is not one.
func IsCollectionFacility(k Kind) bool {
	return k == KindBin || k == KindGarbagePool || k == KindCollectionPoint
}

// PersonalAttrs lists attributes that are personal data (people's names),
// left out of exports for non-admins.
func PersonalAttrs() []string { return slices.Clone(personalAttrs) }

// EventTypes lists the event types kind takes; nil for an unknown kind.
func EventTypes(kind Kind) []string { return slices.Clone(eventTypes[kind]) }

// NormalizeAttrs validates attrs, as decoded from JSON (float64, string,
// bool, nil), for kind and returns a fresh map to store: ints as int64,
// numbers as float64, strings trimmed, defaults filled in. A nil or blank
// value means "not known": it is left out, or takes the default. Every
// unknown attribute and bad value is named in one EINVALID error, as
// "attrs.<name>".
func NormalizeAttrs(kind Kind, attrs map[string]any) (map[string]any, error) {
	specs := kindAttrs(kind)
	if specs == nil {
		return nil, Invalid("kind", "must be one of %s", strings.Join(kindNames(), ", "))
	}
	fe := FieldErrors{}
	out := map[string]any{}
	for name, v := range attrs {
		i := slices.IndexFunc(specs, func(s AttrSpec) bool { return s.Name == name })
		if i < 0 {
			fe.Add("attrs."+name, "unknown attribute for %s", kind)
			continue
		}
		nv, problem := specs[i].normalize(v)
		switch {
		case problem != "":
			fe.Add("attrs."+name, "%s", problem)
		case nv != nil:
			out[specs[i].Name] = nv // the table's copy of the name, shared by every feature
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	for _, s := range specs {
		if _, ok := out[s.Name]; !ok && s.Default != nil {
			out[s.Name] = s.Default
		}
	}
	return out, nil
}

func kindNames() []string {
	names := make([]string, len(kindOrder))
	for i, k := range kindOrder {
		names[i] = string(k)
	}
	return names
}

// normalize checks one value against s. It returns the value to store (nil
// for "not known") or a short message saying what is wrong.
func (s AttrSpec) normalize(v any) (any, string) {
	if str, ok := v.(string); ok {
		// A form's empty field is "not known", the same as null.
		str = strings.TrimSpace(str)
		if str == "" {
			return nil, ""
		}
		v = str
	}
	if v == nil {
		return nil, ""
	}
	switch s.Type {
	case AttrInt:
		f, ok := toFloat(v)
		if !ok || !finite(f) || f != math.Trunc(f) {
			return nil, "must be a whole number"
		}
		if problem := s.checkRange(f); problem != "" {
			return nil, problem
		}
		return int64(f), "" // exact: every int attribute is bounded well within ±2^53
	case AttrNumber:
		f, ok := toFloat(v)
		if !ok || !finite(f) {
			return nil, "must be a number"
		}
		if problem := s.checkRange(f); problem != "" {
			return nil, problem
		}
		return f, ""
	case AttrString:
		str, ok := v.(string)
		if !ok {
			return nil, "must be text"
		}
		if s.MaxLen > 0 && utf8.RuneCountInString(str) > s.MaxLen {
			return nil, "at most " + strconv.Itoa(s.MaxLen) + " characters"
		}
		return str, ""
	case AttrBool:
		b, ok := v.(bool)
		if !ok {
			return nil, "must be true or false"
		}
		return b, ""
	case AttrEnum:
		str, ok := v.(string)
		if !ok || !slices.Contains(s.Enum, str) {
			return nil, "must be one of " + strings.Join(s.Enum, ", ")
		}
		return str, ""
	case AttrDate:
		str, ok := v.(string)
		if !ok {
			return nil, "must be a date YYYY-MM-DD"
		}
		if _, err := time.Parse(time.DateOnly, str); err != nil {
			return nil, "must be a date YYYY-MM-DD"
		}
		return str, ""
	}
	return nil, "has a type the server does not know" // a mistake in the table; tests guard it
}

// toFloat reads a number as JSON decodes it (float64) or as Go code and the
// store hand it over (int, int32, int64).
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// checkRange says how f is out of s's bounds, or "" when it is within.
func (s AttrSpec) checkRange(f float64) string {
	tooLow := s.Min != nil && (f < *s.Min || (s.ExclusiveMin && f == *s.Min))
	tooHigh := s.Max != nil && f > *s.Max
	if !tooLow && !tooHigh {
		return ""
	}
	var want []string
	if s.Min != nil && s.ExclusiveMin {
		want = append(want, "more than "+formatNum(*s.Min))
	} else if s.Min != nil {
		want = append(want, "at least "+formatNum(*s.Min))
	}
	if s.Max != nil {
		want = append(want, "at most "+formatNum(*s.Max))
	}
	return "must be " + strings.Join(want, " and ")
}

// formatNum writes 1000000 as "1000000", not "1e+06".
func formatNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// staffRole reports roles that may accept works and see personal data;
// an unknown role may not.
func staffRole(r Role) bool { return r == RoleAdmin || r == RoleInspector }

// Limits of an event.
const (
	maxEventNote   = 1000
	maxEventPhotos = 10
	// maxClockSkew is how far in the future an event may be: phone clocks
	// run a little fast, but an event from tomorrow is a wrong clock.
	maxClockSkew = 10 * time.Minute
)

// earliestEvent is before anything this product records; an earlier time is
// a phone whose clock was reset.
var earliestEvent = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ValidateEvent checks an event for a feature of kind, received at now.
// Problems are named "id", "type", "status", "at", "note", "photos",
// "location.lon" and so on, in one EINVALID error. Whether the recorder's
// role may make the change the event makes is CheckAttrChange's to say.
//
// status_reported and stage_changed need a Status. The restoring events
// (emptied, cleared, repaired, replaced, cleaned) given without a Status get
// ev.Status = "ok": this is the one change ValidateEvent makes to ev, and
// only when it returns nil.
func ValidateEvent(kind Kind, ev *Event, now time.Time) error {
	types, ok := eventTypes[kind]
	if !ok {
		return Invalid("kind", "must be one of %s", strings.Join(kindNames(), ", "))
	}
	statuses := statusValues(kind)
	fe := FieldErrors{}
	if !ValidID(ev.ID) {
		fe.Add("id", "required: 1–64 letters, digits, '-' or '_'")
	}
	if !slices.Contains(types, ev.Type) {
		fe.Add("type", "must be one of %s", strings.Join(types, ", "))
	}
	switch {
	case ev.Status != "" && !slices.Contains(statuses, ev.Status):
		fe.Add("status", "must be one of %s", strings.Join(statuses, ", "))
	case ev.Status == "" && statusEvents[ev.Type]:
		fe.Add("status", "required for %s", ev.Type)
	}
	switch {
	case ev.At.IsZero():
		fe.Add("at", "required")
	case ev.At.Before(earliestEvent):
		fe.Add("at", "must not be before 2000-01-01")
	case ev.At.After(now.Add(maxClockSkew)):
		fe.Add("at", "must not be more than 10 minutes in the future; check the phone's clock")
	}
	if reasonedEvents[ev.Type] && strings.TrimSpace(ev.Note) == "" {
		fe.Add("note", "required for %s: say what was corrected and why", ev.Type)
	}
	if utf8.RuneCountInString(ev.Note) > maxEventNote {
		fe.Add("note", "at most %d characters", maxEventNote)
	}
	if len(ev.Photos) > maxEventPhotos {
		fe.Add("photos", "at most %d", maxEventPhotos)
	}
	for _, p := range ev.Photos {
		if !ValidID(p) {
			fe.Add("photos", "%q is not a photo id", p)
		}
	}
	if ev.Location != nil {
		checkLocation(fe, "location", *ev.Location)
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if ev.Status == "" && restoringEvents[ev.Type] {
		ev.Status = "ok"
	}
	return nil
}
