package keyward

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
)

// ErrUnavailable is wrapped by every error that means the server could not
// decide for now: it was unreachable, too slow (or the caller's context
// ended first, which the error wraps too), or answered that it could not
// (5xx, 429, 408, from keyward or a proxy before it). Test for it with
// errors.Is. An answer that will not change by waiting (a redirect, 404,
// 401, 403, a page that is not a verify result, a certificate that does
// not verify, plain HTTP for an https:// URL: a wrong server URL or CA)
// is an error that does not wrap it, so that FailOpen never covers a
// mistake, nor a server that cannot be told to be the one configured.
var ErrUnavailable = errors.New("keyward: cannot verify the key right now")

// Defaults of Options.
const (
	DefaultTimeout   = 5 * time.Second
	DefaultCacheSize = 10000
)

// maxAnswer bounds a verify answer read from the server: at most 32
// grants of at most 255 bytes fit in 10 KiB; anything much larger is not
// keyward answering, and must not be kept CacheSize times over.
const maxAnswer = 64 << 10

// maxQuoted bounds what of a server's answer an error quotes (and so each
// warning logged): a broken server's megabyte stays out of the logs.
const maxQuoted = 200

// Options configure a Verifier. The zero value is usable: no cache, fail
// closed, DefaultTimeout.
type Options struct {
	// HTTPClient makes the calls to the server (for a custom CA or
	// transport). Its redirects are never followed: the secret travels in
	// the request body and must reach only the configured server. Nil is
	// a client with Timeout.
	HTTPClient *http.Client

	// Timeout bounds one call to the server, in addition to any deadline
	// of the caller's context. 0 is DefaultTimeout.
	Timeout time.Duration

	// CacheTTL is how long a positive answer is reused, and so the
	// service's revocation delay: a change on the server (delete, disable,
	// ungrant, the end of a roll's grace) may be seen here up to CacheTTL
	// late. An entry is never served past it, nor past the key's expiry.
	// Answers for a key with a rate limit are not cached. 0 caches
	// nothing.
	CacheTTL time.Duration

	// CacheSize bounds the number of cached answers (one per secret,
	// resource and role); the least recently used goes first. 0 is
	// DefaultCacheSize.
	CacheSize int

	// FailOpen makes Middleware let a request through, without a key in
	// its context, when the server cannot decide for now (ErrUnavailable:
	// unreachable, too slow, 5xx, 429). Never for an answer that says the
	// server URL is wrong (a redirect, 401, 403, 404, not a verify
	// result, a certificate that does not verify), which would open the
	// service for as long as the mistake lasts, nor for a request whose
	// context has ended. The default,
	// false, answers 503 instead: a verification outage must not open the
	// service to anyone.
	FailOpen bool

	// Logger receives Middleware's warning for each request whose key
	// the server could not decide on (never a secret; Verify logs
	// nothing, its error says it). Nil is slog.Default().
	Logger *slog.Logger
}

// Verifier checks presented secrets against a keyward server. It is safe
// for concurrent use; make one per server and share it.
type Verifier struct {
	endpoint string
	client   *http.Client
	timeout  time.Duration
	failOpen bool
	ttl      time.Duration // CacheTTL: how old an answer may be served
	log      *slog.Logger
	cache    *cache // nil when CacheTTL is 0
	calls    singleflight.Group
	now      func() time.Time
}

// NewVerifier returns a Verifier for the keyward server at serverURL
// (https://keys.example.com, or a path under which a proxy serves it).
func NewVerifier(serverURL string, opts Options) (*Verifier, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("keyward: server URL %q: want http(s)://host[:port][/path]", serverURL)
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("keyward: server URL %q: no user, query or fragment, please", u.Redacted())
	}
	if opts.Timeout < 0 || opts.CacheTTL < 0 || opts.CacheSize < 0 {
		return nil, errors.New("keyward: Timeout, CacheTTL and CacheSize must not be negative")
	}
	v := &Verifier{
		endpoint: strings.TrimSuffix(u.String(), "/") + "/v1/verify",
		timeout:  opts.Timeout,
		failOpen: opts.FailOpen,
		ttl:      opts.CacheTTL,
		log:      opts.Logger,
		now:      time.Now,
	}
	if v.timeout == 0 {
		v.timeout = DefaultTimeout
	}
	if v.log == nil {
		v.log = slog.Default()
	}
	var c http.Client
	if opts.HTTPClient != nil {
		c = *opts.HTTPClient
	} else {
		// One server, asked by every request of a busy service: keep more
		// than net/http's 2 idle connections to it, or each burst opens
		// (and TLS-handshakes) new ones.
		c = http.Client{Timeout: v.timeout}
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			t := dt.Clone()
			t.MaxIdleConnsPerHost = 64
			c.Transport = t
		}
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	v.client = &c
	if opts.CacheTTL > 0 {
		size := opts.CacheSize
		if size == 0 {
			size = DefaultCacheSize
		}
		if v.cache, err = newCache(size, opts.CacheTTL); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Code is a verification's outcome, as the server's verify JSON says it.
// Servers newer than this package may answer codes not listed here; every
// code but CodeValid means the key may not do what was asked.
type Code string

// The codes, the first that applies winning, in this order.
const (
	CodeNotFound                = Code(keys.CodeNotFound) // unknown, malformed, deleted or rolled out
	CodeDisabled                = Code(keys.CodeDisabled)
	CodeExpired                 = Code(keys.CodeExpired)
	CodeIPNotAllowed            = Code("IP_NOT_ALLOWED") // servers with key policies: not from this address
	CodeInsufficientPermissions = Code(keys.CodeInsufficientPermissions)
	CodeRateLimited             = Code("RATE_LIMITED") // servers with key policies: over the key's rate limit
	CodeValid                   = Code(keys.CodeValid)
)

// Grant is one of a key's rights: a role on a resource and everything
// beneath it.
type Grant struct {
	Resource string `json:"resource"`
	Role     string `json:"role"`
}

// Result is a verification's answer. Only Valid and Code are set for
// CodeNotFound; the other codes name the key that was found.
type Result struct {
	Valid bool   `json:"valid"`
	Code  Code   `json:"code"`
	KeyID string `json:"key_id,omitempty"`
	Name  string `json:"name,omitempty"`
	Org   string `json:"org,omitempty"`
	// Account is the key's service account's name, "" for a key of its
	// own (its Grants are then the account's).
	Account   string     `json:"account,omitempty"`
	Grants    []Grant    `json:"grants,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`

	// limited: the key has a rate limit (a server with key policies), so
	// the server must count each use: never cached.
	limited bool
	// retryAfter is a RATE_LIMITED answer's wait in seconds, 0 unknown.
	retryAfter int64
}

// Verify asks whether secret may act on resource with at least role. An
// empty resource asks for any valid key (the role is then checked against
// the key's highest grant); an empty role is viewer. A secret that is not
// well-formed is answered CodeNotFound without asking the server. The
// error is for what prevents an answer: an invalid resource or role, the
// server being unavailable or ctx ending first (errors.Is(err,
// ErrUnavailable)), or an answer that is not keyward's (a wrong server
// URL: not ErrUnavailable, as waiting will not change it).
func (v *Verifier) Verify(ctx context.Context, secret, resource, role string) (*Result, error) {
	return v.VerifyFrom(ctx, secret, resource, role, "")
}

// VerifyFrom is Verify for a secret presented from the address ip (your
// caller's, "" for not known): a key with an IP allow-list is valid only
// from an address in it, and never from one not known (CodeIPNotAllowed).
func (v *Verifier) VerifyFrom(ctx context.Context, secret, resource, role, ip string) (*Result, error) {
	q, err := newQuery(resource, role)
	if err != nil {
		return nil, err
	}
	if q, err = q.from(ip); err != nil {
		return nil, err
	}
	return v.verify(ctx, secret, q)
}

// query is what is asked of a secret, parsed once: a middleware asks the
// same of every request.
type query struct {
	resource *keys.Resource
	role     *keys.Role
	ip       netip.Addr // the caller's address; zero: not known
	tag      string     // resource, role and address as a cache key's tail
}

// from is q asked for a secret presented from ip ("" for not known).
func (q query) from(ip string) (query, error) {
	q.ip = netip.Addr{}
	if ip != "" {
		a, err := keys.ParseAddr(ip)
		if err != nil {
			return q, fmt.Errorf("keyward: %s", keys.ErrorMessage(err))
		}
		q.ip = a
	}
	q.tag = tag(q.resource, q.role, q.ip)
	return q, nil
}

func newQuery(resource, role string) (query, error) {
	var q query
	if resource != "" {
		r, err := keys.ParseResource(resource)
		if err != nil {
			return q, fmt.Errorf("keyward: %s", keys.ErrorMessage(err))
		}
		q.resource = &r
	}
	if role != "" {
		r, err := keys.ParseRole(role)
		if err != nil {
			return q, fmt.Errorf("keyward: %s", keys.ErrorMessage(err))
		}
		q.role = &r
	}
	q.tag = tag(q.resource, q.role, q.ip)
	return q, nil
}

// tag is a resource, role and address as a cache key's tail, in canonical forms, so
// that "/acme/" and "/acme", or owner and admin, share an entry; 0
// separates what no resource or role may hold. It must hold everything a
// verify request carries besides the secret (TestCacheKeyCoversTheWholeRequest).
func tag(resource *keys.Resource, role *keys.Role, ip netip.Addr) string {
	var t string
	if resource != nil {
		t = string(*resource)
	}
	t += "\x00"
	if role != nil {
		t += role.String()
	}
	if ip.IsValid() {
		t += "\x00" + ip.String()
	}
	return t
}

func (v *Verifier) verify(ctx context.Context, secret string, q query) (*Result, error) {
	// The one check the server makes before any lookup (keys.ParseSecret):
	// a string that fails it is unknown to every server.
	secret, err := keys.ParseSecret(secret)
	if err != nil {
		return &Result{Code: CodeNotFound}, nil
	}
	sum := sha256.Sum256([]byte(secret))
	ck := string(sum[:]) + q.tag
	now := v.now()
	if r := v.cache.get(ck, now); r != nil {
		return r, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, leftError(err) // no call for a caller that has left
	}
	// Identical requests arriving together share one call. It runs on a
	// context of its own, so that the first caller leaving does not fail
	// the others; each caller still waits only as long as its own context.
	led := false // this caller's call, not one joined in flight
	ch := v.calls.DoChan(ck, func() (any, error) {
		led = true // read after ch delivers, which happens after this
		f := flight{sent: v.now()}
		var err error
		f.r, err = v.ask(context.WithoutCancel(ctx), secret, q)
		if err == nil {
			v.keep(ck, f)
		}
		return f, err
	})
	select {
	case <-ctx.Done():
		return nil, leftError(ctx.Err())
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		f := res.Val.(flight)
		if !led && !f.takes(now, v.ttl) {
			return v.askAlone(ctx, ck, secret, q)
		}
		return f.r.clone(), nil
	}
}

// flight is a shared call's answer and when it was sent.
type flight struct {
	r    *Result
	sent time.Time
}

// takes reports whether a request that arrived at now, and joined this
// call in flight, may take its answer: a call sent before the request
// arrived answers it only as the cache would. A positive answer no older
// than ttl (CacheTTL; with none, not older at all, so that a revocation
// during the call is seen); a refusal only from a call sent as the
// request came (refusals are never cached: a key made a moment ago works
// at once); and never an answer for a key whose every use the server
// must count.
func (f flight) takes(now time.Time, ttl time.Duration) bool {
	if f.r.limited {
		return false
	}
	if !f.r.Valid {
		ttl = 0
	}
	return !now.After(f.sent.Add(ttl))
}

// keep caches what may be cached of a call's answer: positive answers
// for keys without a rate limit.
func (v *Verifier) keep(ck string, f flight) {
	if f.r.Valid && !f.r.limited {
		v.cache.put(ck, f.r, f.sent)
	}
}

// askAlone is a call of this caller's own, on its context.
func (v *Verifier) askAlone(ctx context.Context, ck, secret string, q query) (*Result, error) {
	f := flight{sent: v.now()}
	var err error
	if f.r, err = v.ask(ctx, secret, q); err != nil {
		if ctx.Err() != nil {
			return nil, leftError(ctx.Err())
		}
		return nil, err
	}
	v.keep(ck, f)
	return f.r.clone(), nil
}

// leftError is Verify's error when the caller's context ended first: for
// a deadline, the server was too slow for the caller (ErrUnavailable);
// either way errors.Is finds the context's own error.
func leftError(err error) error {
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// outage reports whether an answer's status says the server cannot decide
// for now, rather than that the URL is not a keyward server's /v1/verify.
func outage(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}

// transportError is a failed call's error. Not reaching the server, or no
// answer in time, is an outage; a server that cannot be told to be the
// one configured (its certificate does not verify: another CA, another
// name, or someone in the middle), or that speaks plain HTTP to an
// https:// URL, is a mistake that lasts, and never ErrUnavailable.
func transportError(endpoint string, err error) error {
	var cert *tls.CertificateVerificationError
	switch {
	case errors.As(err, &cert):
		return fmt.Errorf("keyward: %s: the server's certificate does not verify (%v): give Options.HTTPClient the CA that signed it, or a URL with a name it holds", endpoint, cert.Err)
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("keyward: %s speaks plain HTTP, not HTTPS: use http:// in the server URL", endpoint)
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// location is where a redirect points, for an error message: without its
// query and user info, which can carry tokens of their own.
func location(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil {
		return "nowhere usable"
	}
	shown := url.URL{Scheme: loc.Scheme, Host: loc.Host, Path: loc.Path}
	return quote(keys.Redact(shown.String()))
}

// quote is s for an error message: one line, at most maxQuoted bytes.
func quote(s string) string {
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "…"
	}
	return strconv.Quote(s)
}

// verifyAnswer is POST /v1/verify's body: a verify result, and what servers with
// key policies add to it.
type verifyAnswer struct {
	keys.VerifyResult
	RateLimit  json.RawMessage `json:"rate_limit"`
	RetryAfter *int64          `json:"retry_after"`
}

// ask is one POST /v1/verify.
func (v *Verifier) ask(ctx context.Context, secret string, q query) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	body, err := json.Marshal(keys.VerifyRequest{Secret: secret, Resource: q.resource, Role: q.role, IP: q.ip})
	if err != nil {
		return nil, fmt.Errorf("keyward: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("keyward: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, transportError(v.endpoint, err)
	}
	defer resp.Body.Close()
	// One byte past the bound tells a long answer from one that fits.
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the answer: %v", ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		msg := resp.Status
		if d, ok := api.ReadError(raw); ok {
			msg = fmt.Sprintf("%s: %s", resp.Status, quote(d.Message))
		}
		switch {
		case outage(resp.StatusCode):
			return nil, fmt.Errorf("%w: %s answered %s", ErrUnavailable, v.endpoint, msg)
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			return nil, fmt.Errorf("keyward: %s answered %s to %s: redirects are not followed (the secret goes to the configured server only); give the server URL it names",
				v.endpoint, msg, location(resp))
		case resp.StatusCode == http.StatusBadRequest:
			// The server read the request and refused it: no outage, and
			// failing open would be wrong.
			return nil, fmt.Errorf("keyward: %s refused the verify request: %s", v.endpoint, msg)
		}
		return nil, fmt.Errorf("keyward: %s answered %s: is the server URL a keyward server's?", v.endpoint, msg)
	}
	if len(raw) > maxAnswer {
		return nil, fmt.Errorf("keyward: %s answered more than %d KiB: not a verify result (is the server URL a keyward server's?)", v.endpoint, maxAnswer>>10)
	}
	var a verifyAnswer
	if err := json.Unmarshal(raw, &a); err != nil || a.Code == "" || a.Valid != (a.Code == keys.CodeValid) {
		return nil, fmt.Errorf("keyward: %s answered something that is not a verify result: is the server URL a keyward server's?", v.endpoint)
	}
	return fromAnswer(&a), nil
}

func fromAnswer(a *verifyAnswer) *Result {
	vr := &a.VerifyResult
	r := &Result{Valid: vr.Valid, Code: Code(vr.Code), ExpiresAt: vr.ExpiresAt,
		limited: len(a.RateLimit) > 0 && string(a.RateLimit) != "null"}
	if a.RetryAfter != nil && *a.RetryAfter > 0 {
		r.retryAfter = *a.RetryAfter
	}
	for _, s := range []struct {
		to   *string
		from *string
	}{{&r.KeyID, vr.KeyID}, {&r.Name, vr.Name}, {&r.Org, vr.Org}, {&r.Account, vr.Account}} {
		if s.from != nil {
			*s.to = *s.from
		}
	}
	if len(vr.Grants) > 0 {
		r.Grants = make([]Grant, len(vr.Grants))
		for i, g := range vr.Grants {
			r.Grants[i] = Grant{Resource: string(g.Resource), Role: g.Role.String()}
		}
	}
	return r
}

// clone is a copy the caller may change without touching the cache.
func (r *Result) clone() *Result {
	c := *r
	c.Grants = append([]Grant(nil), r.Grants...)
	if r.ExpiresAt != nil {
		t := *r.ExpiresAt
		c.ExpiresAt = &t
	}
	return &c
}
