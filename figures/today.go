package figures

import "github.com/cunjie/cunjie"

// Today is what a village recorded on one day (in the town's time zone),
// for the office's "what changed today".
type Today struct {
	NewFeatures int `json:"newFeatures"`
	// Events are counted from each feature's latest events (a feature
	// keeps its last cunjie.LatestEvents inline), so a feature with more
	// events than that on one day counts that many: enough for a glance,
	// and it costs no read of the histories.
	Events            int `json:"events"`
	ProblemsOpened    int `json:"problemsOpened"`
	ProblemsRectified int `json:"problemsRectified"`
}

// AddFeatures counts the features created and the events stored on day
// (YYYY-MM-DD). An event counts on the day the server stored it: one
// recorded offline yesterday and sent today is news today.
func (t *Today) AddFeatures(fs []*cunjie.Feature, day string) {
	for _, f := range fs {
		if cunjie.Day(f.CreatedAt) == day {
			t.NewFeatures++
		}
		for e := range f.Events.All() {
			at := e.Stored
			if at.IsZero() {
				at = e.At
			}
			if cunjie.Day(at) == day {
				t.Events++
			}
		}
	}
}

// AddProblem counts a problem opened or rectified on day, given the days
// it was opened and last rectified ("" if never).
func (t *Today) AddProblem(opened, rectified, day string) {
	if opened == day {
		t.ProblemsOpened++
	}
	if rectified == day {
		t.ProblemsRectified++
	}
}

// Add adds o's counts to t (the town's totals).
func (t *Today) Add(o Today) {
	t.NewFeatures += o.NewFeatures
	t.Events += o.Events
	t.ProblemsOpened += o.ProblemsOpened
	t.ProblemsRectified += o.ProblemsRectified
}
