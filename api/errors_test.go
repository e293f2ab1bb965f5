package api

import (
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
)

// What Fiber raises while a request is read is the client's doing, not
// an internal error (which would be logged as one).
func TestErrorsWhileReading(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{fiber.ErrRequestTimeout, 408, "timeout"},
		{fiber.ErrBadGateway, 400, "invalid"},
		{fiber.ErrRequestEntityTooLarge, 413, "too_large"},
		{fiber.ErrInternalServerError, 500, "internal"},
		// A write that kept losing its village to other instances.
		{cunjie.Errorf(cunjie.EBUSY, "other writes to the village came first; send again shortly"), 503, "busy"},
	} {
		status, d := errorDetail(c.err)
		if status != c.status || d.Code != c.code {
			t.Errorf("%v: %d %s, want %d %s", c.err, status, d.Code, c.status, c.code)
		}
	}
}
