// Package cunjie holds the domain of Cunjie (村洁): villages, field features and
// their events, users and roles, and the rules that keep them valid. It imports
// nothing of the project; store, geo and api depend on it, never the reverse.
package cunjie

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the api package.
const (
	EINVALID      = "invalid"      // 400: the request is wrong; Fields says where
	EUNAUTHORIZED = "unauthorized" // 401: no valid session
	EFORBIDDEN    = "forbidden"    // 403: the role or village does not allow it
	ENOTFOUND     = "not_found"    // 404
	ECONFLICT     = "conflict"     // 409: stale version, replayed id with other content
	ETIMEOUT      = "timeout"      // 408: the request did not arrive in time
	ETOOLARGE     = "too_large"    // 413
	ERATELIMITED  = "rate_limited" // 429
	EBUSY         = "busy"         // 503: others are writing the same village; send again shortly
	EINTERNAL     = "internal"     // 500: never carries internals to the user
)

// Error is the one error type the domain speaks. Message is safe to show to a
// user; Fields maps a request field (dotted path) to what is wrong with it.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
	// Current is the server's copy of an object for a conflict, shown to the
	// person so they can choose.
	Current any
	// Base is, for a version conflict of a feature, its attributes at the
	// version the writer edited (see api/mergebase.go).
	Base any
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s %v", e.Code, e.Message, e.Fields)
}

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error naming one field.
func Invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: EINVALID, Message: field + ": " + msg, Fields: map[string]string{field: msg}}
}

// ErrorCode returns the code of err, EINTERNAL for anything not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err; internals are hidden.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// FieldErrors collects per-field problems so one answer can name them all.
type FieldErrors map[string]string

// Add records a problem with field, keeping the first one said.
func (f FieldErrors) Add(field, format string, args ...any) {
	if _, ok := f[field]; !ok {
		f[field] = fmt.Sprintf(format, args...)
	}
}

// Err returns nil when nothing was recorded, else one EINVALID error.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	msg := "invalid fields:"
	for _, k := range sortedKeys(f) {
		msg += " " + k + " (" + f[k] + ")"
	}
	return &Error{Code: EINVALID, Message: msg, Fields: f}
}

// WithCode returns a copy of e with another code.
func (e *Error) WithCode(code string) *Error {
	c := *e
	c.Code = code
	return &c
}
