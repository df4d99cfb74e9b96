// Package usererr defines the errors a caller may see. Each carries a code that the
// GraphQL layer puts in extensions.code and the HTTP layer turns into a status, and a
// message that is safe to show. Anything else that fails is an internal error: logged
// with a request ID and never shown.
package usererr

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error class, as GraphQL clients see it in extensions.code.
type Code string

// The codes provreport answers with.
const (
	BadUserInput    Code = "BAD_USER_INPUT"
	NotFound        Code = "NOT_FOUND"
	Unauthenticated Code = "UNAUTHENTICATED"
	Forbidden       Code = "FORBIDDEN"
	Gone            Code = "GONE"
	TooManyRequests Code = "TOO_MANY_REQUESTS"
	// ServiceUnavailable says the server cannot do the request now through no fault of
	// the caller (its database is out of space, say); the same request may succeed later.
	ServiceUnavailable Code = "SERVICE_UNAVAILABLE"
)

// Error is an error whose message may be shown to the caller.
type Error struct {
	Code    Code
	Message string
	// Field names the offending input, e.g. "input[3].dateFinished", when there is one.
	Field string
}

func (e *Error) Error() string { return e.Message }

// Is matches errors of the same code, so errors.Is(err, usererr.ErrNotFound) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrBadInput        = &Error{Code: BadUserInput}
	ErrNotFound        = &Error{Code: NotFound}
	ErrUnauthenticated = &Error{Code: Unauthenticated}
	ErrForbidden       = &Error{Code: Forbidden}
)

// BadInput reports invalid input in the named field.
func BadInput(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return &Error{Code: BadUserInput, Message: msg, Field: field}
}

// NotFoundf reports that something the caller named does not exist for it.
func NotFoundf(format string, args ...any) *Error {
	return &Error{Code: NotFound, Message: fmt.Sprintf(format, args...)}
}

// Unauthenticatedf reports a missing, expired or revoked credential.
func Unauthenticatedf(format string, args ...any) *Error {
	return &Error{Code: Unauthenticated, Message: fmt.Sprintf(format, args...)}
}

// Forbiddenf reports a caller that is known but lacks the right.
func Forbiddenf(format string, args ...any) *Error {
	return &Error{Code: Forbidden, Message: fmt.Sprintf(format, args...)}
}

// As returns the user-facing error inside err, if there is one.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
