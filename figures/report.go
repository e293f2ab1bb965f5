package figures

// The town's report over a range of days (GET /reports/summary and its
// workbook and printable page): what the seed report's sections 四 and 六
// count by hand, from the recorded features.

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cunjie/cunjie"
)

// Summary is the figures the seed report fills by hand, for one
// village or the whole town.
type Summary struct {
	DemolishedHouses   int     `json:"demolishedHouses"`   // 拆除危旧房（处）, demolished within the dates
	DemolishedAreaM2   float64 `json:"demolishedAreaM2"`   // their area
	ToiletsRenovated   int     `json:"toiletsRenovated"`   // 改水改厕（户）, done or accepted within the dates
	TapWaterReformed   int     `json:"tapWaterReformed"`   // of which with tap water (改水)
	PublicToiletsBuilt int     `json:"publicToiletsBuilt"` // built in the years of the dates
	GarbagePoolsBuilt  int     `json:"garbagePoolsBuilt"`  // built in the years of the dates
	PublicToilets      int     `json:"publicToilets"`      // now
	GarbagePools       int     `json:"garbagePools"`       // now
	CollectionPoints   int     `json:"collectionPoints"`   // now
	Bins               int     `json:"bins"`               // now, not counting missing ones
	TransferStations   int     `json:"transferStations"`   // now
	Cleaners           int     `json:"cleaners"`           // active users with the cleaner role
	HousingReform      int     `json:"housingReform"`      // 农村安居工程（户）, completed or accepted within the dates
	HousingNewBuild    int     `json:"housingNewBuild"`
	HousingRepair      int     `json:"housingRepair"`
	HousingSubsidyYuan float64 `json:"housingSubsidyYuan"`
	Households         int     `json:"households"`        // households recorded (cunjie.IsHousehold)
	HouseholdsCovered  int     `json:"householdsCovered"` // within reach of a collection facility
	// CoveragePercent is null with no households recorded.
	CoveragePercent *float64 `json:"coveragePercent"`
	// AssessmentAverage is the mean of the village month scores of the
	// months the dates touch; null with none.
	AssessmentAverage *float64 `json:"assessmentAverage"`
	Inspections       int      `json:"inspections"`
}

// attrNumber reads a number attribute, stored as int64 or float64.
func attrNumber(f *cunjie.Feature, name string) float64 {
	switch v := f.Attrs[name].(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	case int32:
		return float64(v)
	case int:
		return float64(v)
	}
	return 0
}

func attrString(f *cunjie.Feature, name string) string {
	s, _ := f.Attrs[name].(string)
	return s
}

// AddFeatures counts one village's features into fig: works by the
// day they were finished (within from..to, days YYYY-MM-DD compared as
// text), facilities built by their year, and what stands now.
func (fig *Summary) AddFeatures(fs []*cunjie.Feature, from, to string) {
	within := func(day string) bool { return day != "" && day >= from && day <= to }
	fromYear, _ := strconv.Atoi(from[:4])
	toYear, _ := strconv.Atoi(to[:4])
	builtWithin := func(f *cunjie.Feature) bool {
		y := int(attrNumber(f, "built_year"))
		return y >= fromYear && y <= toYear
	}
	for _, f := range fs {
		stage := attrString(f, "stage")
		switch f.Kind {
		case cunjie.KindDemolition:
			if stage == "demolished" && within(attrString(f, "demolished_on")) {
				fig.DemolishedHouses++
				fig.DemolishedAreaM2 += attrNumber(f, "area_m2")
			}
		case cunjie.KindHouseholdToilet:
			if (stage == "done" || stage == "accepted") && within(attrString(f, "completed_on")) {
				fig.ToiletsRenovated++
				if f.Attrs["tap_water"] == true {
					fig.TapWaterReformed++
				}
			}
		case cunjie.KindHousingReform:
			if (stage == "completed" || stage == "accepted") && within(attrString(f, "completed_on")) {
				fig.HousingReform++
				switch attrString(f, "mode") {
				case "new_build":
					fig.HousingNewBuild++
				case "repair":
					fig.HousingRepair++
				}
				fig.HousingSubsidyYuan += attrNumber(f, "subsidy_yuan")
			}
		case cunjie.KindPublicToilet:
			fig.PublicToilets++
			if builtWithin(f) {
				fig.PublicToiletsBuilt++
			}
		case cunjie.KindGarbagePool:
			fig.GarbagePools++
			if builtWithin(f) {
				fig.GarbagePoolsBuilt++
			}
		case cunjie.KindCollectionPoint:
			fig.CollectionPoints++
		case cunjie.KindBin:
			if attrString(f, "status") != "missing" {
				fig.Bins++
			}
		case cunjie.KindTransferStation:
			fig.TransferStations++
		}
	}
}

// Add adds b's counts to a (not the ratios and averages).
func (a *Summary) Add(b Summary) {
	a.DemolishedHouses += b.DemolishedHouses
	a.DemolishedAreaM2 += b.DemolishedAreaM2
	a.ToiletsRenovated += b.ToiletsRenovated
	a.TapWaterReformed += b.TapWaterReformed
	a.PublicToiletsBuilt += b.PublicToiletsBuilt
	a.GarbagePoolsBuilt += b.GarbagePoolsBuilt
	a.PublicToilets += b.PublicToilets
	a.GarbagePools += b.GarbagePools
	a.CollectionPoints += b.CollectionPoints
	a.Bins += b.Bins
	a.TransferStations += b.TransferStations
	a.HousingReform += b.HousingReform
	a.HousingNewBuild += b.HousingNewBuild
	a.HousingRepair += b.HousingRepair
	a.HousingSubsidyYuan += b.HousingSubsidyYuan
	a.Households += b.Households
	a.HouseholdsCovered += b.HouseholdsCovered
	a.Inspections += b.Inspections
}

func Percent(covered, of int) *float64 {
	if of == 0 {
		return nil
	}
	p := cunjie.Round(float64(covered)*100/float64(of), 1)
	return &p
}

// ChineseDate writes 2026-11-26 as 2026年11月26日.
func ChineseDate(day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// TrimNum writes a number with at most places decimals, without trailing zeros.
func TrimNum(x float64, places int) string {
	return strconv.FormatFloat(cunjie.Round(x, places), 'f', -1, 64)
}

// Paragraph writes the figures as the seed report's sections 四 and
// 六 do, leaving out what the data cannot say rather than printing a zero
// for it.
func Paragraph(from, to, town string, radiusM float64, f Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s至%s，%s共拆除危旧房%d处、面积%s平方米，完成改水改厕%d户，其中改水%d户；建公厕%d座，建垃圾池%d座。",
		ChineseDate(from), ChineseDate(to), town, f.DemolishedHouses, TrimNum(f.DemolishedAreaM2, 0),
		f.ToiletsRenovated, f.TapWaterReformed, f.PublicToiletsBuilt, f.GarbagePoolsBuilt)
	fmt.Fprintf(&b, "截至%s，全镇共有垃圾池%d座，设置垃圾收集点%d处，配置垃圾桶%d只", ChineseDate(to), f.GarbagePools, f.CollectionPoints, f.Bins)
	if f.TransferStations > 0 {
		fmt.Fprintf(&b, "，建有垃圾压缩中转站%d座", f.TransferStations)
	}
	fmt.Fprintf(&b, "，聘请卫生保洁员%d人", f.Cleaners)
	if f.CoveragePercent != nil {
		fmt.Fprintf(&b, "，生活垃圾收集设施%d米范围内覆盖农户%s%%", int(radiusM), strconv.FormatFloat(*f.CoveragePercent, 'f', 1, 64))
	}
	if f.TransferStations > 0 {
		b.WriteString("，基本建立了“户集、村收、乡转运、县处理”的垃圾处理模式")
	}
	b.WriteString("。")
	fmt.Fprintf(&b, "农村安居工程完成%d户，其中新建户%d户、维修户%d户，补助资金%s万元。",
		f.HousingReform, f.HousingNewBuild, f.HousingRepair, strconv.FormatFloat(cunjie.Round(f.HousingSubsidyYuan/10000, 1), 'f', 1, 64))
	if f.AssessmentAverage != nil {
		fmt.Fprintf(&b, "期间开展农村环境卫生月度考评%d村次，平均得分%s分。", f.Inspections, strconv.FormatFloat(*f.AssessmentAverage, 'f', 1, 64))
	} else {
		b.WriteString("期间暂无月度考评记录。")
	}
	return b.String()
}

// Row is one figure as the workbook and the printable page show it:
// its Chinese label, unit, what is counted, and its value.
type Row struct {
	Label, Unit, Basis string
	Value              func(f *Summary) any
}

func optional(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Rows are the report's figures in the order the seed report gives them.
var Rows = []Row{
	{"拆除危旧房", "处", "拆除日期在统计期间内", func(f *Summary) any { return f.DemolishedHouses }},
	{"拆除危旧房面积", "平方米", "同上", func(f *Summary) any { return cunjie.Round(f.DemolishedAreaM2, 1) }},
	{"完成改水改厕", "户", "完工或验收，完工日期在统计期间内", func(f *Summary) any { return f.ToiletsRenovated }},
	{"其中改水", "户", "同上，且通自来水", func(f *Summary) any { return f.TapWaterReformed }},
	{"新建公厕", "座", "建成年份在统计期间的年份内", func(f *Summary) any { return f.PublicToiletsBuilt }},
	{"新建垃圾池", "座", "建成年份在统计期间的年份内", func(f *Summary) any { return f.GarbagePoolsBuilt }},
	{"公厕", "座", "现有", func(f *Summary) any { return f.PublicToilets }},
	{"垃圾池", "座", "现有", func(f *Summary) any { return f.GarbagePools }},
	{"垃圾收集点", "处", "现有", func(f *Summary) any { return f.CollectionPoints }},
	{"垃圾桶", "只", "现有，不含丢失", func(f *Summary) any { return f.Bins }},
	{"垃圾压缩中转站", "座", "现有", func(f *Summary) any { return f.TransferStations }},
	{"卫生保洁员", "人", "在用的保洁员账号", func(f *Summary) any { return f.Cleaners }},
	{"农村安居工程", "户", "竣工或验收，竣工日期在统计期间内", func(f *Summary) any { return f.HousingReform }},
	{"其中新建户", "户", "同上", func(f *Summary) any { return f.HousingNewBuild }},
	{"其中维修户", "户", "同上", func(f *Summary) any { return f.HousingRepair }},
	{"安居工程补助资金", "万元", "同上", func(f *Summary) any { return cunjie.Round(f.HousingSubsidyYuan/10000, 2) }},
	{"登记农户", "户", "农户档案，及未归入农户的改厕户、安居工程户", func(f *Summary) any { return f.Households }},
	{"收集设施覆盖农户", "户", "300米内有垃圾桶、垃圾池或收集点", func(f *Summary) any { return f.HouseholdsCovered }},
	{"覆盖率", "%", "同上", func(f *Summary) any { return optional(f.CoveragePercent) }},
	{"月度考评检查", "村次", "统计期间所涉月份", func(f *Summary) any { return f.Inspections }},
	{"月度考评平均得分", "分", "各村月得分的平均", func(f *Summary) any { return optional(f.AssessmentAverage) }},
}
