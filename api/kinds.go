package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
)

// kinds answers GET /kinds: the domain's table of what each kind records,
// with who may change what, and the words for it in Chinese and English
// (keyed as the web app keys them: kind.bin, attr.status, status.ok, ...).
func (s *Server) kinds(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"kinds": cunjie.Schema(), "labels": cunjie.Labels(), "deleteWindowHours": cunjie.DeleteWindow.Hours()})
}
