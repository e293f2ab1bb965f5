package api

import "github.com/gofiber/fiber/v2"

// durable holds the answer to a request that may have written (any but
// GET and HEAD) until what the store has written is on disk: a phone
// drops an op from its outbox once answered, so an answer must not
// outlive a power cut (see store.Durable). It waits for writes of other
// requests too, and they for its: one sync serves them all. A create
// committed by another request's group commit is covered as well, as
// it was written before this request's handler returned.
func (s *Server) durable(c *fiber.Ctx) error {
	err := c.Next()
	if m := c.Method(); m != fiber.MethodGet && m != fiber.MethodHead {
		s.store.Durable()
	}
	return err
}
