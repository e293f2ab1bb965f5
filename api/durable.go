package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
)

// durable holds the answer to a request that may have written (any but
// GET and HEAD) until what the store has written is on disk: a phone
// drops an op from its outbox once answered, so an answer must not
// outlive a power cut (see store.Durable). It waits for writes of other
// requests too, and they for its: one sync serves them all. A create
// committed by another request's group commit is covered as well, as
// it was written before this request's handler returned. If the disk
// fails the sync, the answer becomes a 500: the phone keeps its ops and
// sends them again, and they answer duplicate once a sync succeeds.
func (s *Server) durable(c *fiber.Ctx) error {
	err := c.Next()
	if m := c.Method(); m == fiber.MethodGet || m == fiber.MethodHead {
		return err
	}
	if derr := s.store.Durable(); derr != nil {
		s.log.Error("answer withheld: the store's log did not sync", "err", derr)
		c.Response().ResetBody()
		c.Response().Header.Del("X-Cunjie-Result")
		return cunjie.Errorf(cunjie.EINTERNAL, "the server could not save to disk; send again shortly")
	}
	return err
}
