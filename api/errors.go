package api

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
)

// statusOf maps each domain error code to one HTTP status.
var statusOf = map[string]int{
	cunjie.EINVALID:      fiber.StatusBadRequest,
	cunjie.EUNAUTHORIZED: fiber.StatusUnauthorized,
	cunjie.EFORBIDDEN:    fiber.StatusForbidden,
	cunjie.ENOTFOUND:     fiber.StatusNotFound,
	cunjie.ETIMEOUT:      fiber.StatusRequestTimeout,
	cunjie.ECONFLICT:     fiber.StatusConflict,
	cunjie.ETOOLARGE:     fiber.StatusRequestEntityTooLarge,
	cunjie.ERATELIMITED:  fiber.StatusTooManyRequests,
	cunjie.EBUSY:         fiber.StatusServiceUnavailable,
	cunjie.EINTERNAL:     fiber.StatusInternalServerError,
}

// codeOf maps the statuses Fiber raises itself (unknown route, body too
// large, wrong method, a request that could not be read) back to domain
// codes.
func codeOf(status int) string {
	switch status {
	case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
		return cunjie.ENOTFOUND
	case fiber.StatusRequestTimeout:
		return cunjie.ETIMEOUT
	// Fiber answers 502 when the connection failed while the request was
	// read (the client went, or a shutdown closed it): the client's doing,
	// and no one is left to read the answer.
	case fiber.StatusBadGateway:
		return cunjie.EINVALID
	case fiber.StatusRequestEntityTooLarge, fiber.StatusRequestHeaderFieldsTooLarge:
		return cunjie.ETOOLARGE
	case fiber.StatusBadRequest:
		return cunjie.EINVALID
	case fiber.StatusTooManyRequests:
		return cunjie.ERATELIMITED
	case fiber.StatusServiceUnavailable:
		return cunjie.EBUSY
	case fiber.StatusUnauthorized:
		return cunjie.EUNAUTHORIZED
	case fiber.StatusForbidden:
		return cunjie.EFORBIDDEN
	}
	return cunjie.EINTERNAL
}

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong; Current is the server's copy on a conflict.
type ErrorDetail struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	Current   any               `json:"current,omitempty"`
	Base      any               `json:"base,omitempty"`
	RequestID string            `json:"requestId,omitempty"`
}

// errorDetail turns any error into what a user may see: internals are
// logged, never sent.
func errorDetail(err error) (int, ErrorDetail) {
	var de *cunjie.Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &de):
		return statusOf[de.Code], ErrorDetail{Code: de.Code, Message: de.Message, Fields: de.Fields, Current: de.Current, Base: de.Base}
	case errors.As(err, &fe):
		code := codeOf(fe.Code)
		msg := fe.Message
		switch fe.Code {
		case fiber.StatusNotFound:
			msg = "no such route"
		case fiber.StatusRequestTimeout:
			msg = "the request did not arrive in time"
		case fiber.StatusBadGateway:
			msg = "the request could not be read"
		case fiber.StatusRequestHeaderFieldsTooLarge:
			// Its own status, so a client can tell headers from a body.
			return fe.Code, ErrorDetail{Code: code, Message: fmt.Sprintf("request headers over %d KB", MaxHeaderBytes>>10)}
		}
		if code == cunjie.EINTERNAL {
			return 500, ErrorDetail{Code: code, Message: "Internal error."}
		}
		return statusOf[code], ErrorDetail{Code: code, Message: msg}
	}
	return 500, ErrorDetail{Code: cunjie.EINTERNAL, Message: "Internal error."}
}

func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	status, d := errorDetail(err)
	d.RequestID = requestID(c)
	if d.RequestID == "" {
		// A request refused while it was read never reached the
		// middleware that names it.
		d.RequestID = newRequestID()
		c.Set("X-Request-Id", d.RequestID)
		s.log.Warn("request refused while read", "status", status, "requestId", d.RequestID, "err", err)
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "requestId", d.RequestID, "err", err)
	}
	return c.Status(status).JSON(ErrorBody{Error: d})
}

func logPanic(log *slog.Logger, c *fiber.Ctx, v any, stack []byte) {
	log.Error("panic", "method", c.Method(), "path", c.Path(), "requestId", requestID(c), "panic", v, "stack", string(stack))
}
