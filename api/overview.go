package api

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/figures"
	"github.com/cunjie/cunjie/store"
)

// OverviewVillage is one row of the town overview.
type OverviewVillage struct {
	Village string `json:"village"`
	Name    string `json:"name"`
	// Figures are the village's features counted by the figures package.
	Figures    figures.Village `json:"figures"`
	Households int             `json:"households"`
	Covered    int             `json:"covered"`
	CoverageP  *float64        `json:"coveragePercent"` // null with no households
	// The month's score, rank and problems, as GET /ranking has them.
	Score             *float64 `json:"score"`
	Rank              int      `json:"rank"`
	OpenProblems      int      `json:"openProblems"`
	OverdueProblems   int      `json:"overdueProblems"`
	RectifiedProblems int      `json:"rectifiedProblems"`
	// Today is what the village recorded today (town time).
	Today figures.Today `json:"today"`
}

// Overview is the town at a glance for a month: a row per village the
// caller may read, the town's totals, and what phones reported unsent.
type Overview struct {
	Month    string            `json:"month"`
	Villages []OverviewVillage `json:"villages"`
	Totals   OverviewVillage   `json:"totals"`
	// PendingOps and RejectedOps add up what every phone last reported
	// its outbox held.
	PendingOps  int `json:"pendingOps"`
	RejectedOps int `json:"rejectedOps"`
}

// overview counts each readable village's features (from memory) with
// the figures package, and takes coverage and the month's ranking from
// the same code as their own routes, so no figure differs between them.
func (s *Server) overview(c *fiber.Ctx) error {
	ctx, u := c.UserContext(), currentUser(c)
	month, err := monthQuery(c.Query("month"), "month", cunjie.MonthOf(s.now()))
	if err != nil {
		return err
	}
	// Each village's problem list is read once, for its ranking row and
	// for what changed today.
	lists := map[string][]store.ProblemEntry{}
	problems := func(village string) ([]store.ProblemEntry, error) {
		if l, ok := lists[village]; ok {
			return l, nil
		}
		l, err := s.store.VillageProblems(ctx, village)
		lists[village] = l
		return l, err
	}
	rank, err := s.rankingFrom(ctx, u, month, problems)
	if err != nil {
		return err
	}
	scores := map[string]cunjie.VillageScore{}
	for _, r := range rank.Villages {
		scores[r.Village] = r
	}
	out := &Overview{Month: month, Villages: []OverviewVillage{}, Totals: OverviewVillage{Name: "合计", Figures: figures.New()}}
	today := cunjie.Day(s.now())
	for _, code := range s.readableVillages(u) {
		v, _ := s.villages.Load().Get(code)
		vf, err := s.villageOverview(ctx, u, code, today)
		if err != nil {
			return err
		}
		changed := vf.today
		list, err := problems(code)
		if err != nil {
			return err
		}
		for _, p := range list {
			changed.AddProblem(p.Opened, p.Rectified, today)
		}
		sc := scores[code]
		row := OverviewVillage{Village: code, Name: v.Name, Figures: vf.figures,
			Households: vf.households, Covered: vf.covered, CoverageP: figures.Percent(vf.covered, vf.households),
			Score: sc.Score, Rank: sc.Rank, OpenProblems: sc.OpenProblems, OverdueProblems: sc.OverdueProblems, RectifiedProblems: sc.RectifiedProblems,
			Today: changed}
		t := &out.Totals
		t.Figures.Add(row.Figures)
		t.Households += row.Households
		t.Covered += row.Covered
		t.OpenProblems += row.OpenProblems
		t.OverdueProblems += row.OverdueProblems
		t.RectifiedProblems += row.RectifiedProblems
		t.Today.Add(row.Today)
		out.Villages = append(out.Villages, row)
	}
	out.Totals.CoverageP = figures.Percent(out.Totals.Covered, out.Totals.Households)
	out.Totals.Score = rank.Average
	devices, err := s.store.Devices(ctx)
	if err != nil {
		return err
	}
	for _, d := range devices {
		out.PendingOps += d.PendingOps
		out.RejectedOps += d.RejectedOps
	}
	return c.JSON(out)
}

// villageFigures are a village's counted features and coverage, as the
// overview shows them, and what its features changed on a day. They depend
// only on the features of the village and its neighbours (and the day), so
// they are kept until one of those changes: the office's screen refreshing
// reads memory, not every household again.
type villageFigures struct {
	key                 string
	figures             figures.Village
	today               figures.Today
	households, covered int
}

type overviewCache struct {
	mu sync.Mutex
	m  map[string]*villageFigures
}

func (s *Server) villageOverview(ctx context.Context, u *cunjie.User, code, day string) (*villageFigures, error) {
	near, err := s.nearIndexes(ctx, code, DefaultCoverageRadiusM)
	if err != nil {
		return nil, err
	}
	// Every write gives the feature a new, higher sequence number; a
	// reloaded index is a new one.
	var key strings.Builder
	key.WriteString(day)
	for _, vi := range near {
		vi.RLock()
		fmt.Fprintf(&key, "%p:%d:%d;", vi, vi.Index.MaxSeq(), vi.Index.Len())
		vi.RUnlock()
	}
	c := &s.overviews
	c.mu.Lock()
	hit := c.m[code]
	c.mu.Unlock()
	if hit != nil && hit.key == key.String() {
		return hit, nil
	}
	fs, err := s.villageFeatures(ctx, code, nil)
	if err != nil {
		return nil, err
	}
	cov, err := s.coverage(ctx, u, code, DefaultCoverageRadiusM)
	if err != nil {
		return nil, err
	}
	vf := &villageFigures{key: key.String(), figures: figures.Count(fs), households: cov.Households, covered: cov.Covered}
	vf.today.AddFeatures(fs, day)
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*villageFigures{}
	}
	c.m[code] = vf
	c.mu.Unlock()
	return vf, nil
}

// warmOverview counts the villages held in memory for the overview once
// they are loaded, so the office's first look does not pay for the whole
// town's coverage.
func (s *Server) warmOverview(ctx context.Context, limit int) {
	office := &cunjie.User{Role: cunjie.RoleAdmin} // counts only: no feature is shown to anyone
	for i, v := range s.villages.Load().All() {
		if i >= limit || ctx.Err() != nil {
			return
		}
		if _, err := s.villageOverview(ctx, office, v.Code, cunjie.Day(s.now())); err != nil && ctx.Err() == nil {
			s.log.Warn("overview warm-up", "village", v.Code, "err", err)
		}
	}
}
