package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/figures"
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
	rank, err := s.ranking(ctx, u, month)
	if err != nil {
		return err
	}
	scores := map[string]cunjie.VillageScore{}
	for _, r := range rank.Villages {
		scores[r.Village] = r
	}
	cov, err := s.townCoverage(ctx, u, DefaultCoverageRadiusM)
	if err != nil {
		return err
	}
	out := &Overview{Month: month, Villages: []OverviewVillage{}, Totals: OverviewVillage{Name: "合计", Figures: figures.New()}}
	for _, vc := range cov.Villages {
		v, _ := s.villages.Load().Get(vc.Village)
		fs, err := s.villageFeatures(ctx, vc.Village, nil)
		if err != nil {
			return err
		}
		sc := scores[vc.Village]
		row := OverviewVillage{Village: vc.Village, Name: v.Name, Figures: figures.Count(fs),
			Households: vc.Households, Covered: vc.Covered, CoverageP: percent(vc.Covered, vc.Households),
			Score: sc.Score, Rank: sc.Rank, OpenProblems: sc.OpenProblems, OverdueProblems: sc.OverdueProblems, RectifiedProblems: sc.RectifiedProblems}
		t := &out.Totals
		t.Figures.Add(row.Figures)
		t.Households += row.Households
		t.Covered += row.Covered
		t.OpenProblems += row.OpenProblems
		t.OverdueProblems += row.OverdueProblems
		t.RectifiedProblems += row.RectifiedProblems
		out.Villages = append(out.Villages, row)
	}
	out.Totals.CoverageP = percent(out.Totals.Covered, out.Totals.Households)
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
