// Package server is keyward's HTTP management API (`keyward serve`) over any
// keys.Backend. It parses requests, authenticates the operator key, applies
// the server's own policy (--max-ttl) and calls the backend; the rules of who
// may do what are the backend's, checked inside its transactions. The API is
// described by the embedded OpenAPI document, served at /v1/openapi.json.
package server

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
)

// Options tune a server.
type Options struct {
	// MaxTTL caps key lifetimes: a create (or `update --no-expiry`) without
	// an expiry gets now+MaxTTL; asking for longer is Invalid. 0 = no cap.
	MaxTTL time.Duration
	// MaxJWTTTL caps JWT keys' lifetimes as MaxTTL caps every key's (the
	// tighter of the two applies); 0 = no cap of its own.
	MaxJWTTTL time.Duration
	// Logger receives one line per request and recovered panics; nil
	// discards them. Secrets never reach it.
	Logger *slog.Logger
	// Now is the clock for --max-ttl decisions; nil is time.Now.
	Now func() time.Time
	// AuthFailuresPerMinute limits failed operator authentications per
	// client IP (answered 429 past it); 0 means no limit.
	AuthFailuresPerMinute int
	// SummaryEvery, when set, sums successful verifications (GET /v1/auth
	// answered 204, POST /v1/verify answered VALID) up into one "verified"
	// line per interval instead of one line each: on a gateway's hot path
	// they are nearly every request. Denials, errors and every other
	// request keep their own line. Run writes the summaries; 0 writes a
	// line per request.
	SummaryEvery time.Duration
	// Metrics, when set, count requests (metrics.go).
	Metrics *Metrics
	// MetricsOnAPI serves Metrics at GET /metrics on this handler, as the
	// API table has it (200, no operator key: they hold no key, name,
	// resource or secret); without it they are served elsewhere
	// (Metrics.Handler on serve's --metrics-addr).
	MetricsOnAPI bool
	// TrustedProxies are the gateways whose X-Forwarded-For and X-Real-IP
	// say a /v1/auth caller's address (clientaddr.go); from any other
	// peer the headers are ignored.
	TrustedProxies []netip.Prefix
	// RateLimitShare makes this server one of that many sharing the
	// keys' rate limits: it allows ⌈N/share⌉ of each key's N (limiter.go);
	// 0 or 1: all of it.
	RateLimitShare int
	// RateLimitKeys bounds how many keys the rate limiter tracks;
	// 0 means DefaultRateLimitKeys.
	RateLimitKeys int
}

// maxBodyBytes bounds every request body: keys are small, and an unbounded
// body is a memory attack.
const maxBodyBytes = 64 << 10

// maxDeleteBodyBytes bounds the bulk delete's body instead: the most keys
// it may name (api.MaxDeleteKeys) in their longest form, /org/name at 130
// bytes, come to 133 KB, and a longer list is refused by its count, which
// says what to do, rather than by its size.
const maxDeleteBodyBytes = 256 << 10

// maxKeyBodyBytes bounds a create's or an update's body: the most meta a
// key may hold (keys.MaxMetaEntries of keys.MaxMetaKeyLen and
// keys.MaxMetaValueLen bytes), every byte one JSON writes as six ("<" as
// \u003c, a control character), comes to 443 KB, its grants to 10 KB more.
// A key that is valid is never refused for its size.
const maxKeyBodyBytes = 512 << 10

// bodyLimit is what a route's request body may weigh.
func bodyLimit(rt route) int64 {
	switch rt.method + " " + rt.path {
	case "POST /v1/keys", "PATCH /v1/keys/{key}":
		return maxKeyBodyBytes
	case "POST /v1/keys/delete":
		return maxDeleteBodyBytes
	}
	return maxBodyBytes
}

type server struct {
	b       keys.Backend
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	limiter *failLimiter
	summary *summary // nil: a line per request
	metrics *Metrics // nil: none kept
	limits  *keyLimiter

	warnedHeaders  atomic.Bool // the log said once that an untrusted peer sent X-Forwarded-For
	warnedDisagree atomic.Bool // the log said once that a trusted proxy's X-Forwarded-For and X-Real-IP disagreed
}

// handler is the API: the mux behind the request log.
type handler struct {
	s   *server
	mux *http.ServeMux
}

// route is one line of DESIGN.md's API table. The table is the single list
// the mux is built from, and the OpenAPI test checks it against the document.
type route struct {
	method, path string
	auth         bool // needs an operator key (Authorization: Bearer)
	handle       func(s *server, w http.ResponseWriter, r *http.Request) error
}

var routes = []route{
	{"POST", "/v1/keys", true, (*server).createKey},
	{"GET", "/v1/keys", true, (*server).listKeys},
	{"GET", "/v1/keys/{key}", true, (*server).getKey},
	{"PATCH", "/v1/keys/{key}", true, (*server).updateKey},
	{"DELETE", "/v1/keys/{key}", true, (*server).deleteKey},
	{"POST", "/v1/keys/delete", true, (*server).deleteKeys},
	{"POST", "/v1/keys/{key}/roll", true, (*server).rollKey},
	{"PUT", "/v1/keys/{key}/grants", true, (*server).grantKey},
	{"DELETE", "/v1/keys/{key}/grants", true, (*server).ungrantKey},
	{"POST", "/v1/accounts", true, (*server).createAccount},
	{"GET", "/v1/accounts", true, (*server).listAccounts},
	{"GET", "/v1/accounts/{account}", true, (*server).getAccount},
	{"DELETE", "/v1/accounts/{account}", true, (*server).deleteAccount},
	{"PUT", "/v1/accounts/{account}/grants", true, (*server).grantAccount},
	{"DELETE", "/v1/accounts/{account}/grants", true, (*server).ungrantAccount},
	{"GET", "/v1/audit", true, (*server).audit},
	{"GET", "/v1/whoami", true, (*server).whoami},
	{"POST", "/v1/orgs", true, (*server).createOrg},
	{"GET", "/v1/orgs", true, (*server).listOrgs},
	{"GET", "/v1/orgs/{org}", true, (*server).getOrg},
	{"DELETE", "/v1/orgs/{org}", true, (*server).deleteOrg},
	{"POST", "/v1/leaks", true, (*server).reportLeaks},
	{"POST", "/v1/leaks/check", true, (*server).checkLeaks},
	{"POST", "/v1/verify", false, (*server).verify},
	{"GET", "/v1/auth", false, (*server).gatewayAuth},
	// Envoy's ext_authz HTTP service appends the original path to its
	// path_prefix and keeps the original method: /v1/auth/<anything>, any
	// method, answers as GET /v1/auth does.
	{"", "/v1/auth/{path...}", false, (*server).gatewayAuth},
	{"GET", "/healthz", false, (*server).healthz},
	{"GET", "/v1/openapi.json", false, (*server).openapi},
	{"GET", "/v1/jwks", false, (*server).jwks},
	{"GET", "/.well-known/jwks.json", false, (*server).jwks},
	{"GET", "/v1/signing-keys", true, (*server).listSigningKeys},
	{"POST", "/v1/signing-keys/rotate", true, (*server).rotateSigningKey},
}

// New returns the management API over b. Serve it with Run, which also
// writes its verification summaries (Options.SummaryEvery).
func New(b keys.Backend, opts Options) http.Handler {
	s := &server{b: b, opts: opts, log: opts.Logger, now: opts.Now, metrics: opts.Metrics}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.AuthFailuresPerMinute > 0 {
		s.limiter = newFailLimiter(opts.AuthFailuresPerMinute, s.now)
	}
	if opts.SummaryEvery > 0 {
		s.summary = newSummary(s.now())
	}
	s.limits = newKeyLimiter(s.now, opts.RateLimitShare, opts.RateLimitKeys)
	mux := http.NewServeMux()
	for i, rt := range routes {
		mux.Handle(strings.TrimSpace(rt.method+" "+rt.path), s.endpoint(i, rt))
	}
	if opts.Metrics != nil && opts.MetricsOnAPI {
		// Outside the route table: not part of the API the OpenAPI
		// document describes, and not counted as a route of its own.
		mux.Handle("GET /metrics", opts.Metrics.Handler())
	}
	// Another method than GET on /v1/auth itself would be redirected by
	// the mux to /v1/auth/ (the Envoy route), where the query is the end
	// user's and ignored: a client following the redirect would have its
	// key checked without the resource and role it asked about. 405.
	mux.Handle("/v1/auth", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, api.NewError(keys.Invalid,
			"method "+r.Method+" is not allowed on /v1/auth; allowed: GET, HEAD (or any method under /v1/auth/, resource and role in X-Keyward-* headers)"))
	}))
	return &handler{s: s, mux: mux}
}

// anyMethod is what a route without a method is documented with.
var anyMethod = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// Routes lists the served routes as "METHOD /path" with OpenAPI's path
// syntax ({path...} is {path}; a route for any method is listed once per
// method), for the test that holds the OpenAPI document to them.
func Routes() []string {
	var out []string
	for _, rt := range routes {
		path := strings.ReplaceAll(rt.path, "...}", "}")
		if rt.method == "" {
			for _, m := range anyMethod {
				out = append(out, m+" "+path)
			}
			continue
		}
		out = append(out, rt.method+" "+path)
	}
	return out
}
