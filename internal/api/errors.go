package api

import (
	"encoding/json"
	"net/http"

	"github.com/keyward/keyward/internal/keys"
)

// ErrorBody is every error answer: {"error":{"code":…,"message":…}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is an error answer's content.
type ErrorDetail struct {
	Code    keys.Code `json:"code"`
	Message string    `json:"message"`
}

// NewError is the body for an error of code with message.
func NewError(code keys.Code, message string) ErrorBody {
	return ErrorBody{ErrorDetail{Code: code, Message: message}}
}

// statuses is the one table of codes and HTTP statuses. Status takes a
// code's first row; CodeOf a status's first row, so a bare 404 reads as
// not_found (a reader decides what a 404 without keyward's body means).
// The last rows are proxies' answers: read as unavailable, never written.
var statuses = []struct {
	code   keys.Code
	status int
}{
	{keys.Invalid, http.StatusBadRequest},
	{keys.Unauthorized, http.StatusUnauthorized},
	{keys.Forbidden, http.StatusForbidden},
	{keys.NotFound, http.StatusNotFound},
	{keys.NoRoute, http.StatusNotFound},
	{keys.Conflict, http.StatusConflict},
	{keys.TooLarge, http.StatusRequestEntityTooLarge},
	{keys.RateLimited, http.StatusTooManyRequests},
	{keys.Unavailable, http.StatusServiceUnavailable},
	{keys.Internal, http.StatusInternalServerError},
	{keys.Unavailable, http.StatusBadGateway},
	{keys.Unavailable, http.StatusGatewayTimeout},
}

// Status is the HTTP status an error of code is answered with; 500 for a
// code the table does not know.
func Status(code keys.Code) int {
	for _, row := range statuses {
		if row.code == code {
			return row.status
		}
	}
	return http.StatusInternalServerError
}

// CodeOf is the code of an answer that carries no keyward error body (a
// proxy, a load balancer, another server), from its status alone.
func CodeOf(status int) keys.Code {
	for _, row := range statuses {
		if row.status == status {
			return row.code
		}
	}
	return keys.Internal
}

// Known reports whether code is one of the table's. A code it does not
// know (a newer server's) is read by its status instead.
func Known(code keys.Code) bool {
	for _, row := range statuses {
		if row.code == code {
			return true
		}
	}
	return false
}

// ReadError decodes a keyward error body; ok is false when body is not one
// (a proxy's page, an empty body), and then only the status can tell.
func ReadError(body []byte) (d ErrorDetail, ok bool) {
	var eb struct {
		Error *ErrorDetail `json:"error"`
	}
	if json.Unmarshal(body, &eb) != nil || eb.Error == nil || eb.Error.Code == "" {
		return ErrorDetail{}, false
	}
	return *eb.Error, true
}
