package keys

import (
	"errors"
	"fmt"
)

// Code classifies an error. Codes survive the network (the server writes
// them into its error body, the client reads them back) and become the CLI's
// exit codes in one place.
type Code string

const (
	Invalid      Code = "invalid"      // bad input: exit 2, HTTP 400
	NotFound     Code = "not_found"    // exit 3, HTTP 404
	Conflict     Code = "conflict"     // name taken, ambiguous name, last grant: exit 5, HTTP 409
	Unauthorized Code = "unauthorized" // no or bad credential: exit 4, HTTP 401
	Forbidden    Code = "forbidden"    // credential lacks the rights: exit 4, HTTP 403
	Unavailable  Code = "unavailable"  // database locked, server down, keyring missing: exit 6, HTTP 503
	TooLarge     Code = "too_large"    // request body too large: exit 2, HTTP 413
	RateLimited  Code = "rate_limited" // exit 6, HTTP 429
	NoRoute      Code = "no_route"     // a path the server does not serve: no key is missing, so exit 1, HTTP 404
	Internal     Code = "internal"     // anything else: exit 1, HTTP 500
)

// Error is a domain error: a code and a one-line message that never holds a
// secret.
type Error struct {
	Code    Code
	Message string
	// Cause is what went wrong underneath, for the server's log only:
	// Message is what a caller (an API client) is told.
	Cause error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf builds an *Error. String arguments longer than 200 bytes are cut
// (boundArg): a message quotes at most a bounded prefix of its input.
func Errorf(code Code, format string, args ...any) error {
	bounded := make([]any, len(args))
	for i, a := range args {
		bounded[i] = boundArg(a)
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, bounded...)}
}

// ErrorCode returns the code of err: the code of the first *Error in its
// chain, Internal for any other non-nil error, "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the message of the first *Error in err's chain, or
// err.Error() for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
