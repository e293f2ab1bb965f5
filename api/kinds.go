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
}

func (s *Server) kinds(c *fiber.Ctx) error {
	out := []KindSchema{}
	for _, k := range cunjie.Kinds() {
		out = append(out, KindSchema{Kind: k, StatusAttr: cunjie.StatusAttr(k), Attrs: cunjie.AttrSpecs(k),
			Events: cunjie.EventTypes(k), SettledStages: cunjie.SettledStages(k)})
	}
	return c.JSON(fiber.Map{"kinds": out, "deleteWindowHours": cunjie.DeleteWindow.Hours()})
}
