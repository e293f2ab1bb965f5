package cunjie

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The monthly sanitation assessment (月度考评): inspectors score each village
// on a checklist template, and each problem they photograph becomes a
// rectification task (整改) for the village.

// TownZone is the zone the town's days and months are counted in: China
// Standard Time, which has had no daylight saving since 1991, so a fixed
// zone needs no tzdata on the server.
var TownZone = time.FixedZone("CST", 8*60*60)

// TemplateItem is one line of a checklist: what is checked and its most points.
type TemplateItem struct {
	ID          string `json:"id"`
	Description string `json:"description"` // in Chinese, as the inspector reads it
	MaxPoints   int    `json:"maxPoints"`
}

// Template is one version of a checklist. A change makes a new version, and
// an inspection names the version it was scored with, so a past month keeps
// its checklist.
type Template struct {
	ID        string         `json:"id"`
	Version   int64          `json:"version"`
	Name      string         `json:"name"`
	Items     []TemplateItem `json:"items"`
	Total     int            `json:"total"` // the sum of MaxPoints, always TemplateTotal
	CreatedBy string         `json:"createdBy"`
	CreatedAt time.Time      `json:"createdAt"`
}

// TemplateTotal is what every checklist adds up to. Requiring it makes a
// village's score (the sum of points) comparable across villages, months
// and template versions without any scaling.
const TemplateTotal = 100

// Limits of a template.
const (
	maxTemplateItems  = 50
	maxItemText       = 200
	maxTemplateName   = 64
	maxScoreNote      = 500
	maxProblemText    = 1000
	maxInspectionProb = 50
)

// Item returns the template's item id.
func (t *Template) Item(id string) (TemplateItem, bool) {
	i := slices.IndexFunc(t.Items, func(it TemplateItem) bool { return it.ID == id })
	if i < 0 {
		return TemplateItem{}, false
	}
	return t.Items[i], true
}

// ValidateTemplate checks a template's name and items and sets its Total.
// Problems are named "name", "items", "items[i].id" and so on, in one
// EINVALID error.
func ValidateTemplate(t *Template) error {
	fe := FieldErrors{}
	if !ValidID(t.ID) {
		fe.Add("id", "1–64 letters, digits, '-' or '_'")
	}
	t.Name = strings.TrimSpace(t.Name)
	if n := utf8.RuneCountInString(t.Name); n == 0 || n > maxTemplateName {
		fe.Add("name", "required, at most %d characters", maxTemplateName)
	}
	if len(t.Items) == 0 || len(t.Items) > maxTemplateItems {
		fe.Add("items", "1 to %d items", maxTemplateItems)
	}
	seen := map[string]bool{}
	total := 0
	for i := range t.Items {
		it := &t.Items[i]
		at := func(f string) string { return "items[" + strconv.Itoa(i) + "]." + f }
		it.Description = strings.TrimSpace(it.Description)
		if !ValidID(it.ID) {
			fe.Add(at("id"), "1–64 letters, digits, '-' or '_'")
		} else if seen[it.ID] {
			fe.Add(at("id"), "%q is used twice", it.ID)
		}
		seen[it.ID] = true
		if n := utf8.RuneCountInString(it.Description); n == 0 || n > maxItemText {
			fe.Add(at("description"), "required, at most %d characters", maxItemText)
		}
		if it.MaxPoints < 1 || it.MaxPoints > TemplateTotal {
			fe.Add(at("maxPoints"), "a whole number from 1 to %d", TemplateTotal)
		}
		total += it.MaxPoints
	}
	if _, bad := fe["items"]; !bad && total != TemplateTotal {
		fe.Add("items", "the items' maxPoints add up to %d; they must add up to %d", total, TemplateTotal)
	}
	t.Total = total
	return fe.Err()
}

// Score is the points an inspection gives one template item.
type Score struct {
	Item   string  `json:"item"`
	Points float64 `json:"points"`
	Note   string  `json:"note,omitempty"`
}

// Inspection is one visit of an inspector to a village, scoring it for a
// month. Its problems are kept apart (they change as they are rectified);
// Problems names them.
type Inspection struct {
	ID              string    `json:"id"`
	Village         string    `json:"village"`
	Month           string    `json:"month"` // YYYY-MM
	Template        string    `json:"template"`
	TemplateVersion int64     `json:"templateVersion"`
	Scores          []Score   `json:"scores"`
	Total           float64   `json:"total"`
	Problems        []string  `json:"problems"`
	At              time.Time `json:"at"` // when the visit was, by the phone's clock
	Version         int64     `json:"version"`
	CreatedBy       string    `json:"createdBy"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedBy       string    `json:"updatedBy"`
	UpdatedAt       time.Time `json:"updatedAt"`
	// Ops are the ids of the writes applied, newest last, so a replay is
	// answered as a duplicate.
	Ops []string `json:"-"`
}

// ProblemStatus is where a problem is in the rectification loop.
type ProblemStatus string

const (
	ProblemOpen      ProblemStatus = "open"      // 待整改: found, or reopened by an inspector
	ProblemRectified ProblemStatus = "rectified" // 已整改: the village says it is fixed, with a photo
	ProblemVerified  ProblemStatus = "verified"  // 已验收: an inspector saw it fixed
)

// ValidProblemStatus reports whether s is a known status.
func ValidProblemStatus(s ProblemStatus) bool {
	return s == ProblemOpen || s == ProblemRectified || s == ProblemVerified
}

// Problem is something an inspection found wrong, at a GPS point with
// photos: a rectification task for its village.
type Problem struct {
	ID          string        `json:"id"`
	Inspection  string        `json:"inspection"`
	Village     string        `json:"village"`
	Month       string        `json:"month"`
	Location    Location      `json:"location"`
	Description string        `json:"description"`
	Photos      []string      `json:"photos"`
	Deadline    string        `json:"deadline"` // the last day to fix it, YYYY-MM-DD in TownZone
	Status      ProblemStatus `json:"status"`
	// Overdue is computed when the problem is read: open after its deadline.
	Overdue   bool           `json:"overdue"`
	Version   int64          `json:"version"`
	CreatedBy string         `json:"createdBy"`
	CreatedAt time.Time      `json:"createdAt"`
	UpdatedAt time.Time      `json:"updatedAt"`
	History   []ProblemEvent `json:"history"`
	Ops       []string       `json:"-"`
}

// ProblemEvent is one step of a problem's history.
type ProblemEvent struct {
	Action   string    `json:"action"` // created, rectified, verified, reopened
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Note     string    `json:"note,omitempty"`
	Photos   []string  `json:"photos"`
	Deadline string    `json:"deadline,omitempty"` // set by created and reopened
	Op       string    `json:"op"`
}

// DefaultDeadlineDays is how long a village has to fix a problem when the
// inspector sets no deadline.
const DefaultDeadlineDays = 7

// Day returns t's day in the town, YYYY-MM-DD.
func Day(t time.Time) string { return t.In(TownZone).Format(time.DateOnly) }

// MonthOf returns t's month in the town, YYYY-MM.
func MonthOf(t time.Time) string { return t.In(TownZone).Format("2006-01") }

// ValidMonth reports whether m is a month YYYY-MM from 2000 on.
func ValidMonth(m string) bool {
	t, err := time.Parse("2006-01", m)
	return err == nil && len(m) == 7 && t.Year() >= 2000
}

// AddMonths returns the month n months after m (before, for n < 0); m must be valid.
func AddMonths(m string, n int) string {
	t, _ := time.Parse("2006-01", m)
	return t.AddDate(0, n, 0).Format("2006-01")
}

// IsOverdue reports whether p is open past its deadline on day today.
func (p *Problem) IsOverdue(today string) bool {
	return p.Status == ProblemOpen && p.Deadline != "" && today > p.Deadline
}

// ValidateInspection checks an inspection against the template version it
// names, with its new problems, as received at now. It sets in.Total. Fields
// are named "month", "scores[i].points", "problems[i].location.lat" and so
// on, in one EINVALID error.
func ValidateInspection(in *Inspection, t *Template, problems []*Problem, now time.Time) error {
	fe := FieldErrors{}
	switch {
	case !ValidMonth(in.Month):
		fe.Add("month", "a month YYYY-MM")
	case in.Month > MonthOf(now):
		fe.Add("month", "must not be after this month")
	}
	checkTime(fe, "at", in.At, now)
	checkScores(fe, in.Scores, t)
	in.Total = ScoreTotal(in.Scores)
	if len(problems) > maxInspectionProb {
		fe.Add("problems", "at most %d", maxInspectionProb)
	}
	ids := map[string]bool{}
	for i, p := range problems {
		at := func(f string) string { return subField("problems["+strconv.Itoa(i)+"]", f) }
		if !ValidID(p.ID) {
			fe.Add(at("id"), "required: 1–64 letters, digits, '-' or '_'")
		} else if ids[p.ID] {
			fe.Add(at("id"), "%q is used twice", p.ID)
		}
		ids[p.ID] = true
		checkLocation(fe, at("location"), p.Location)
		p.Description = strings.TrimSpace(p.Description)
		if n := utf8.RuneCountInString(p.Description); n == 0 || n > maxProblemText {
			fe.Add(at("description"), "required, at most %d characters", maxProblemText)
		}
		checkPhotos(fe, at("photos"), p.Photos)
		if p.Deadline != "" {
			d, err := time.Parse(time.DateOnly, p.Deadline)
			if err != nil {
				fe.Add(at("deadline"), "a date YYYY-MM-DD")
			} else if !in.At.IsZero() && d.Format(time.DateOnly) < Day(in.At) {
				fe.Add(at("deadline"), "must not be before the day of the inspection")
			}
		}
	}
	return fe.Err()
}

// checkScores requires one score for every item of t, each from 0 to the
// item's maximum: a missing item would make a village's total look worse
// than it is.
func checkScores(fe FieldErrors, scores []Score, t *Template) {
	seen := map[string]bool{}
	for i, s := range scores {
		at := func(f string) string { return "scores[" + strconv.Itoa(i) + "]." + f }
		item, ok := t.Item(s.Item)
		switch {
		case !ok:
			fe.Add(at("item"), "%q is not an item of template %s version %d", s.Item, t.ID, t.Version)
		case seen[s.Item]:
			fe.Add(at("item"), "%q is scored twice", s.Item)
		case !finite(s.Points) || s.Points < 0 || s.Points > float64(item.MaxPoints):
			fe.Add(at("points"), "must be from 0 to %d", item.MaxPoints)
		}
		seen[s.Item] = true
		if utf8.RuneCountInString(s.Note) > maxScoreNote {
			fe.Add(at("note"), "at most %d characters", maxScoreNote)
		}
	}
	var missing []string
	for _, it := range t.Items {
		if !seen[it.ID] {
			missing = append(missing, it.ID)
		}
	}
	if len(missing) > 0 {
		fe.Add("scores", "every item must be scored; missing: %s", strings.Join(missing, ", "))
	}
}

func checkPhotos(fe FieldErrors, field string, photos []string) {
	if len(photos) > maxEventPhotos {
		fe.Add(field, "at most %d", maxEventPhotos)
	}
	for _, p := range photos {
		if !ValidID(p) {
			fe.Add(field, "%q is not a photo id", p)
		}
	}
}

// checkTime refuses a missing time and one a phone with a wrong clock sends.
func checkTime(fe FieldErrors, field string, t, now time.Time) {
	switch {
	case t.IsZero():
		fe.Add(field, "required")
	case t.Before(earliestEvent):
		fe.Add(field, "must not be before 2000-01-01")
	case t.After(now.Add(maxClockSkew)):
		fe.Add(field, "must not be more than 10 minutes in the future; check the phone's clock")
	}
}

// ScoreTotal adds up the points, rounded to hundredths so that sums of
// halves and tenths print as people expect.
func ScoreTotal(scores []Score) float64 {
	t := 0.0
	for _, s := range scores {
		t += s.Points
	}
	return Round(t, 2)
}

// Round rounds x to places decimals.
func Round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// MonthScore is a village's score for a month: the mean of its inspections'
// totals, to one decimal as the town publishes it.
func MonthScore(totals []float64) (float64, bool) {
	if len(totals) == 0 {
		return 0, false
	}
	sum := 0.0
	for _, t := range totals {
		sum += t
	}
	return Round(sum/float64(len(totals)), 1), true
}

// Rectify records that the village fixed an open problem, with at least one
// photo of the fixed place. Returns ECONFLICT from another state, EINVALID
// for a bad note, photos or time.
func (p *Problem) Rectify(by string, at, now time.Time, note string, photos []string, op string) error {
	fe := FieldErrors{}
	if len(photos) == 0 {
		fe.Add("photos", "at least one photo of the fixed place is required")
	}
	checkPhotos(fe, "photos", photos)
	checkTime(fe, "at", at, now)
	if utf8.RuneCountInString(note) > maxProblemText {
		fe.Add("note", "at most %d characters", maxProblemText)
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if p.Status != ProblemOpen {
		return Errorf(ECONFLICT, "problem %s is %s; only an open problem can be rectified", p.ID, p.Status)
	}
	p.Status = ProblemRectified
	p.History = append(p.History, ProblemEvent{Action: "rectified", By: by, At: at, Note: note, Photos: photos, Op: op})
	return nil
}

// Verify records an inspector's check of a rectified problem: accepted, it
// is verified; refused, it is open again until deadline (a day, or "" for
// DefaultDeadlineDays after at). Returns ECONFLICT from another state.
func (p *Problem) Verify(by string, at, now time.Time, accept bool, note, deadline string, op string) error {
	fe := FieldErrors{}
	checkTime(fe, "at", at, now)
	if utf8.RuneCountInString(note) > maxProblemText {
		fe.Add("note", "at most %d characters", maxProblemText)
	}
	switch {
	case accept && deadline != "":
		fe.Add("deadline", "only a refused rectification gets a new deadline")
	case deadline != "":
		if _, err := time.Parse(time.DateOnly, deadline); err != nil {
			fe.Add("deadline", "a date YYYY-MM-DD")
		} else if !at.IsZero() && deadline < Day(at) {
			fe.Add("deadline", "must not be before the day of the check")
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if p.Status != ProblemRectified {
		return Errorf(ECONFLICT, "problem %s is %s; only a rectified problem can be verified", p.ID, p.Status)
	}
	ev := ProblemEvent{By: by, At: at, Note: note, Photos: []string{}, Op: op}
	if accept {
		p.Status, ev.Action = ProblemVerified, "verified"
	} else {
		if deadline == "" {
			deadline = DefaultDeadline(at)
		}
		p.Status, p.Deadline, ev.Action, ev.Deadline = ProblemOpen, deadline, "reopened", deadline
	}
	p.History = append(p.History, ev)
	return nil
}

// DefaultDeadline is DefaultDeadlineDays after the day of t.
func DefaultDeadline(t time.Time) string {
	return t.In(TownZone).AddDate(0, 0, DefaultDeadlineDays).Format(time.DateOnly)
}

// VillageScore is one row of a month's ranking.
type VillageScore struct {
	Rank        int      `json:"rank,omitempty"` // 0 (left out) for a village not inspected
	Village     string   `json:"village"`
	Name        string   `json:"name"`
	Score       *float64 `json:"score"` // null when not inspected this month
	Inspections int      `json:"inspections"`
	// PreviousScore and Change compare with the month before.
	PreviousScore *float64 `json:"previousScore"`
	Change        *float64 `json:"change"`
	// Problem counts are of the problems this month's inspections found,
	// as they stand now.
	OpenProblems      int `json:"openProblems"`
	OverdueProblems   int `json:"overdueProblems"`
	RectifiedProblems int `json:"rectifiedProblems"`
}

// RankVillages orders rows by score, best first, ties by village code, and
// villages without a score last; equal scores share a rank (1, 2, 2, 4), as
// the town announces them. It also sets Change.
func RankVillages(rows []VillageScore) {
	slices.SortFunc(rows, func(a, b VillageScore) int {
		switch {
		case a.Score == nil && b.Score == nil:
			return strings.Compare(a.Village, b.Village)
		case a.Score == nil:
			return 1
		case b.Score == nil:
			return -1
		case *a.Score != *b.Score:
			if *a.Score > *b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Village, b.Village)
	})
	for i := range rows {
		r := &rows[i]
		r.Rank, r.Change = 0, nil
		if r.Score == nil {
			continue
		}
		r.Rank = i + 1
		if i > 0 && rows[i-1].Score != nil && *rows[i-1].Score == *r.Score {
			r.Rank = rows[i-1].Rank
		}
		if r.PreviousScore != nil {
			c := Round(*r.Score-*r.PreviousScore, 1)
			r.Change = &c
		}
	}
}
