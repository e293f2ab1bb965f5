package cunjie

import "maps"

// Label is one word of the domain in the two languages the app speaks.
type Label struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// labels is the one table of the words people read for the kinds, their
// attributes, the values of their enum attributes and their event types:
// the web app's forms and lists take it from pwa/src/domain.gen.js (made
// from this table by `go generate ./pwa`), and the exports' headers and
// values, the door labels and the sheet names come from here. Keys are the
// web app's:
//
//	kind.<kind>          垃圾桶
//	attr.<attribute>     容量（升）
//	<attribute>.<value>  status.ok 正常, stage.accepted 验收, type.biogas 沼气池式
//	event.<type>         清运
//
// A value is named by its attribute, not its kind: status "damaged" reads
// 损坏 for a bin and for a toilet. TestLabelsComplete keeps every kind,
// attribute, value and event type named in both languages.
var labels = map[string]Label{
	"kind.bin":              {"垃圾桶", "Garbage bin"},
	"kind.garbage_pool":     {"垃圾池", "Garbage pool"},
	"kind.collection_point": {"垃圾收集点", "Collection point"},
	"kind.transfer_station": {"垃圾压缩中转站", "Transfer station"},
	"kind.public_toilet":    {"公厕", "Public toilet"},
	"kind.household_toilet": {"户厕改造", "Household toilet reform"},
	"kind.demolition":       {"危旧房拆除", "Dilapidated house demolition"},
	"kind.housing_reform":   {"农村安居工程", "Rural housing project"},
	"kind.household":        {"农户", "Household"},

	"attr.name":          {"名称", "Name"},
	"attr.note":          {"备注", "Note"},
	"attr.capacity_l":    {"容量（升）", "Capacity (litres)"},
	"attr.status":        {"状态", "Status"},
	"attr.volume_m3":     {"容积（立方米）", "Volume (m³)"},
	"attr.built_year":    {"建成年份", "Year built"},
	"attr.bin_count":     {"垃圾桶数", "Bins"},
	"attr.capacity_tpd":  {"处理能力（吨/日）", "Capacity (t/day)"},
	"attr.stalls":        {"厕位数", "Stalls"},
	"attr.stage":         {"进度", "Stage"},
	"attr.subsidy_yuan":  {"补助（元）", "Subsidy (yuan)"},
	"attr.completed_on":  {"完工日期", "Completed on"},
	"attr.demolished_on": {"拆除日期", "Demolished on"},
	// Both kinds with a type are toilets; a table's kind column says 类型.
	"attr.type":                        {"厕所类型", "Toilet type"},
	"attr.household_head":              {"户主", "Household head"},
	"attr.tap_water":                   {"改水（通自来水）", "Tap water"},
	"attr.owner":                       {"房主", "Owner"},
	"attr.structure":                   {"结构", "Structure"},
	"attr.area_m2":                     {"面积（平方米）", "Area (m²)"},
	"attr.category":                    {"类别", "Category"},
	"attr.mode":                        {"改造方式", "Mode"},
	"attr.plot_area_m2":                {"占地面积（平方米）", "Plot area (m²)"},
	"attr.building_area_m2":            {"建筑面积（平方米）", "Building area (m²)"},
	"attr.one_household_one_homestead": {"一户一宅", "One household, one homestead"},
	"attr.old_house":                   {"拆旧建新：所拆旧房编号", "Old house demolished (id)"},
	"attr.household":                   {"所属农户", "Household"},
	"attr.address":                     {"地址（自然村、门牌）", "Address (hamlet, house number)"},
	"attr.members":                     {"家庭人口", "Members"},
	"attr.phone":                       {"联系电话", "Phone"},

	"status.ok":          {"正常", "OK"},
	"status.full":        {"已满", "Full"},
	"status.overflowing": {"溢出", "Overflowing"},
	"status.damaged":     {"损坏", "Damaged"},
	"status.missing":     {"丢失", "Missing"},
	"status.dirty":       {"脏乱", "Dirty"},
	"status.closed":      {"关闭", "Closed"},

	"stage.planned":    {"计划", "Planned"},
	"stage.building":   {"施工", "Building"},
	"stage.done":       {"完工", "Done"},
	"stage.accepted":   {"验收", "Accepted"},
	"stage.surveyed":   {"摸底", "Surveyed"},
	"stage.scheduled":  {"已排期", "Scheduled"},
	"stage.demolished": {"已拆除", "Demolished"},
	"stage.applied":    {"申请", "Applied"},
	"stage.approved":   {"审批", "Approved"},
	"stage.started":    {"开工", "Started"},
	"stage.completed":  {"竣工", "Completed"},

	"type.flush":             {"水冲式", "Flush"},
	"type.dry":               {"旱厕", "Dry"},
	"type.eco":               {"生态厕所", "Eco"},
	"type.other":             {"其他", "Other"},
	"type.three_compartment": {"三格式化粪池", "Three-compartment septic tank"},
	"type.double_urn":        {"双瓮式", "Double urn"},
	"type.sewer_flush":       {"完整下水道水冲式", "Sewer flush"},
	"type.biogas":            {"沼气池式", "Biogas"},

	"structure.adobe":      {"土坯", "Adobe"},
	"structure.brick_wood": {"砖木", "Brick and wood"},
	"structure.other":      {"其他", "Other"},

	"category.homeless":        {"无房户", "Homeless"},
	"category.dilapidated":     {"危房户", "Dilapidated house"},
	"category.five_guarantees": {"五保户", "Five guarantees"},
	"category.minimum_living":  {"低保户", "Minimum living allowance"},
	"category.hardship":        {"困难户", "Hardship"},

	"mode.new_build": {"新建", "New build"},
	"mode.repair":    {"维修", "Repair"},

	"event.emptied":         {"清运", "Emptied"},
	"event.status_reported": {"上报状态", "Report status"},
	"event.repaired":        {"维修", "Repaired"},
	"event.replaced":        {"更换", "Replaced"},
	"event.cleaned":         {"保洁", "Cleaned"},
	"event.cleared":         {"清理", "Cleared"},
	"event.inspected":       {"检查", "Inspected"},
	"event.stage_changed":   {"进度变更", "Stage changed"},
	"event.corrected":       {"更正", "Corrected"},
}

// Labels is a copy of the label table, keyed as described at labels.
func Labels() map[string]Label { return maps.Clone(labels) }

// KindLabel is the kind's Chinese name (垃圾桶), or the kind itself when
// the table has none.
func KindLabel(k Kind) string { return zhOr("kind."+string(k), string(k)) }

// AttrLabel is the attribute's Chinese name (容量（升）), or the name itself.
func AttrLabel(attr string) string { return zhOr("attr."+attr, attr) }

// ValueLabel is the Chinese word for value of the enum attribute attr
// (status ok: 正常), or the value itself when the table has none.
func ValueLabel(attr, value string) string { return zhOr(attr+"."+value, value) }

func zhOr(key, fallback string) string {
	if l, ok := labels[key]; ok {
		return l.Zh
	}
	return fallback
}
