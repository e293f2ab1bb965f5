package api

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/figures"
)

// RedBlackList is a month's red and black list (红黑榜).
type RedBlackList struct {
	Month  string           `json:"month"`
	Closed bool             `json:"closed"`
	Red    []figures.Listed `json:"red"`
	Black  []figures.Listed `json:"black"`
}

// redBlack builds the list from the month's ranking (the same as GET
// /assessments), with the reasons of the villages on it.
func (s *Server) redBlack(ctx context.Context, u *cunjie.User, month string, red, black int) (*RedBlackList, error) {
	rank, err := s.ranking(ctx, u, month)
	if err != nil {
		return nil, err
	}
	// Which villages are listed does not depend on the reasons: read
	// the inspections and problems of those alone.
	r, b := figures.RedBlack(rank.Villages, red, black, nil)
	details := map[string]figures.Detail{}
	for _, l := range append(r, b...) {
		d, err := s.monthDetail(ctx, l.Village, month)
		if err != nil {
			return nil, err
		}
		details[l.Village] = d
	}
	r, b = figures.RedBlack(rank.Villages, red, black, details)
	return &RedBlackList{Month: month, Closed: rank.Closed, Red: r, Black: b}, nil
}

// monthDetail is what a village's month says for its reasons: the points
// its inspections lost per item, averaged, and its open problems.
func (s *Server) monthDetail(ctx context.Context, village, month string) (figures.Detail, error) {
	d := figures.Detail{Lost: map[string]float64{}}
	vm, err := s.store.VillageMonth(ctx, village, month)
	if err != nil {
		return d, err
	}
	for _, in := range vm.Inspections {
		t, err := s.store.Template(ctx, in.Template, in.TemplateVersion)
		if err != nil {
			return d, err
		}
		for _, item := range t.Items {
			for _, sc := range in.Scores {
				if sc.Item == item.ID {
					d.Lost[item.Description] += (float64(item.MaxPoints) - sc.Points) / float64(len(vm.Inspections))
				}
			}
		}
	}
	entries, err := s.store.VillageProblems(ctx, village)
	if err != nil {
		return d, err
	}
	for _, e := range entries {
		if e.Month != month || e.Status != cunjie.ProblemOpen {
			continue
		}
		p, err := s.store.Problem(ctx, e.ID)
		if err != nil {
			return d, err
		}
		d.Open = append(d.Open, p.Description)
	}
	return d, nil
}

func (s *Server) getRedBlack(c *fiber.Ctx) error {
	month := c.Params("month")
	if !cunjie.ValidMonth(month) {
		return cunjie.Invalid("month", "a month YYYY-MM")
	}
	red, err := intQuery(c, "red", figures.DefaultRed, 0, 20)
	if err != nil {
		return err
	}
	black, err := intQuery(c, "black", figures.DefaultBlack, 0, 20)
	if err != nil {
		return err
	}
	l, err := s.redBlack(c.UserContext(), currentUser(c), month, red, black)
	if err != nil {
		return err
	}
	return c.JSON(l)
}
