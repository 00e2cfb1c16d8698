package client

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
)

// decodeError turns a non-2xx answer into a *keys.Error: the body's code
// and message when it is keyward's error JSON, else a code from the status.
func decodeError(status int, statusText string, body []byte) error {
	if d, ok := api.ReadError(body); ok {
		code := d.Code
		if !api.Known(code) {
			code = api.CodeOf(status)
		}
		msg := strings.TrimSpace(d.Message)
		if msg == "" {
			msg = "server answered " + statusText
		}
		if code == keys.NoRoute {
			// A keyward server without this endpoint (a path in --server,
			// another version): no key is missing.
			msg += "; check the path in --server"
		}
		return &keys.Error{Code: code, Message: keys.Redact(msg)}
	}
	code := api.CodeOf(status)
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
