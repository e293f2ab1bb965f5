package cunjie

import (
	"slices"
	"time"
)

// StageDate is the date a work's stage carries: a demolition's 拆除日期
// once it is demolished, a toilet's or a house's 完工日期 once it is done.
type StageDate struct {
	Attr   string   `json:"attr"`
	Stages []string `json:"stages"`
}

// The reports count works by these dates (a demolition in a period is one
// demolished on a day of it), so a stage set without its date would count
// in no period. A phone's stage event has no date field, and a form may be
// left empty: the write fills the day of the change.
var stageDates = map[Kind]StageDate{
	KindHouseholdToilet: {Attr: "completed_on", Stages: []string{"done", "accepted"}},
	KindDemolition:      {Attr: "demolished_on", Stages: []string{"demolished"}},
	KindHousingReform:   {Attr: "completed_on", Stages: []string{"completed", "accepted"}},
}

// FillStageDate sets the stage date in next to the town's day of at when
// the write from cur (nil for a new feature) to next moves the stage to
// one of the date's stages and leaves the date empty. A date given is
// kept; a stage that does not change fills nothing, so a date someone
// cleared on purpose stays cleared.
func FillStageDate(kind Kind, cur, next map[string]any, at time.Time) {
	d, ok := stageDates[kind]
	if !ok {
		return
	}
	attr := StatusAttr(kind)
	stage, _ := next[attr].(string)
	if !slices.Contains(d.Stages, stage) || (cur != nil && cur[attr] == stage) {
		return
	}
	if v, _ := next[d.Attr].(string); v == "" {
		next[d.Attr] = at.In(TownZone).Format(time.DateOnly)
	}
}
