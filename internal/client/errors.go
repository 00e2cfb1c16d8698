package client

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// errorBody is the server's error answer: {"error":{"code","message"}}.
type errorBody struct {
	Error *struct {
		Code    keys.Code `json:"code"`
		Message string    `json:"message"`
	} `json:"error"`
}

var knownCodes = map[keys.Code]bool{
	keys.Invalid: true, keys.NotFound: true, keys.Conflict: true, keys.Unauthorized: true,
	keys.Forbidden: true, keys.Unavailable: true, keys.TooLarge: true, keys.RateLimited: true,
	keys.Internal: true,
}

// statusCodes maps an HTTP status to a code when the answer carries no
// keyward error body (a proxy, a load balancer, another server).
var statusCodes = map[int]keys.Code{
	http.StatusBadRequest:            keys.Invalid,
	http.StatusUnauthorized:          keys.Unauthorized,
	http.StatusForbidden:             keys.Forbidden,
	http.StatusNotFound:              keys.NotFound,
	http.StatusConflict:              keys.Conflict,
	http.StatusRequestEntityTooLarge: keys.TooLarge,
	http.StatusTooManyRequests:       keys.RateLimited,
	http.StatusServiceUnavailable:    keys.Unavailable,
	http.StatusBadGateway:            keys.Unavailable,
	http.StatusGatewayTimeout:        keys.Unavailable,
}

// decodeError turns a non-2xx answer into a *keys.Error: the body's code
// and message when it is keyward's error JSON, else a code from the status.
func decodeError(status int, statusText string, body []byte) error {
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error != nil && eb.Error.Code != "" {
		code := eb.Error.Code
		if !knownCodes[code] {
			code = codeForStatus(status)
		}
		msg := strings.TrimSpace(eb.Error.Message)
		if msg == "" {
			msg = "server answered " + statusText
		}
		if code == keys.NotFound && strings.HasPrefix(msg, noRoutePrefix) {
			// A keyward server without this endpoint (a path in --server,
			// another version): no key is missing, so not exit 3.
			return &keys.Error{Code: keys.Internal, Message: redact(msg) + "; check the path in --server"}
		}
		return &keys.Error{Code: code, Message: redact(msg)}
	}
	code := codeForStatus(status)
	msg := "server answered " + statusText
	switch {
	case code == keys.Unauthorized:
		msg += ": the credential was refused; run 'keyward login' or set KEYWARD_TOKEN"
	case code == keys.NotFound:
		// Not keyward's answer: no key is missing, so not exit 3.
		code = keys.Internal
		msg += " without a keyward error: is --server a keyward server (and its path right)?"
	case status == http.StatusBadRequest && strings.Contains(string(body), "HTTP request to an HTTPS server"):
		msg += ": the server speaks HTTPS; use https:// in --server"
	}
	return &keys.Error{Code: code, Message: msg}
}

// noRoutePrefix starts the message of a keyward server's 404 for a path it
// does not serve (see internal/server's fallbacks).
const noRoutePrefix = "no such endpoint:"

func codeForStatus(status int) keys.Code {
	if c, ok := statusCodes[status]; ok {
		return c
	}
	return keys.Internal
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// secretShape matches anything that looks like a keyward secret
// (<prefix>_<32 random><6 checksum>), so that even a secret typed where a
// key name belongs never reaches a debug line or an error message.
var secretShape = regexp.MustCompile(`[a-z0-9_]{1,20}_[0-9A-Za-z]{38}`)

func redact(s string) string {
	return secretShape.ReplaceAllString(s, "[redacted]")
}
