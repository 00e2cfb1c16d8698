package client

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/keyward/keyward/internal/keys"
)

// refuseRedirect makes http.Client hand back a redirect answer instead of
// following it: a followed redirect sends the bearer token and the body (a
// secret, for verify) to whatever address the answer names, plain HTTP
// included. keyward's API never redirects.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// withoutRedirects is hc with redirects refused; hc itself is left as it is
// (a caller may share it).
func withoutRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = refuseRedirect
	return &c
}

// redirectError is a 3xx answer as a one-line error. It is Invalid (exit
// 2): what needs fixing is the server URL (http:// redirected to https://,
// a server that moved, a missing path prefix), and a retry would meet the
// same answer. Where the redirect points is named without its query and
// user info, which can carry tokens of their own.
func redirectError(resp *http.Response, host, apiPath string) error {
	loc, err := resp.Location()
	if err != nil {
		return keys.Errorf(keys.Invalid, "%s answered %s (a redirect) without a usable Location: is --server a keyward server?", host, resp.Status)
	}
	shown := url.URL{Scheme: loc.Scheme, Host: loc.Host, Path: loc.Path}
	server := url.URL{Scheme: loc.Scheme, Host: loc.Host, Path: strings.TrimSuffix(loc.Path, apiPath)}
	return keys.Errorf(keys.Invalid, "%s answered %s, a redirect to %s: keyward follows no redirects (the credential and the request would go there too); if %s is your keyward server, use it in --server",
		host, resp.Status, keys.Redact(shown.String()), keys.Redact(server.String()))
}
