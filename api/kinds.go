package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
)

// KindSchema is what one kind records, as GET /kinds publishes it: the
// domain's table, with who may change what.
type KindSchema struct {
	Kind          cunjie.Kind       `json:"kind"`
	StatusAttr    string            `json:"statusAttr"`
	Attrs         []cunjie.AttrSpec `json:"attrs"`
	Events        []string          `json:"events"`
	SettledStages []string          `json:"settledStages,omitempty"`
	// StageDate is the date a write fills when the stage reaches one of
	// its stages and the date is empty (cunjie.FillStageDate).
	StageDate *cunjie.StageDate `json:"stageDate,omitempty"`
}

func (s *Server) kinds(c *fiber.Ctx) error {
	out := []KindSchema{}
	for _, k := range cunjie.Kinds() {
		ks := KindSchema{Kind: k, StatusAttr: cunjie.StatusAttr(k), Attrs: cunjie.AttrSpecs(k),
			Events: cunjie.EventTypes(k), SettledStages: cunjie.SettledStages(k)}
		if d, ok := cunjie.StageDateOf(k); ok {
			ks.StageDate = &d
		}
		out = append(out, ks)
	}
	return c.JSON(fiber.Map{"kinds": out, "deleteWindowHours": cunjie.DeleteWindow.Hours()})
}
