// Package client is keyward's remote backend: keys.Service over the
// management API that `keyward serve` answers (DESIGN.md, "Management
// API"). Errors come back as *keys.Error with the server's code, so that
// commands and exit codes never know which backend they hold.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
)

// Options configure a Client.
type Options struct {
	// BaseURL is the server, e.g. https://keys.example.com (a path prefix is
	// kept). Without a scheme, https is assumed.
	BaseURL string
	// Token is the operator key presented as a bearer token. When empty,
	// Credential (if set) is asked the first time a call needs one.
	Token string
	// Credential finds the token lazily, so that a command that needs none
	// (verify) never touches the keyring. Its error is returned by the
	// first call that needs a credential.
	Credential func() (string, error)
	// CAFile is a PEM bundle added to the system roots.
	CAFile string
	// Debug, when set, gets one line per request and per response; tokens
	// and secrets never appear in it, bodies are never written.
	Debug io.Writer
	// Timeout bounds each HTTP attempt; 0 means 30s.
	Timeout time.Duration
	// AnswerTimeout bounds the wait for an answer once a request is
	// written; 0 means 12s (never more than Timeout).
	AnswerTimeout time.Duration
	// HTTPClient replaces the default transport (CAFile, Timeout and
	// AnswerTimeout are then ignored). Redirects are refused whatever its
	// CheckRedirect says.
	HTTPClient *http.Client
	// Version goes into the User-Agent (keyward/<version>); "" is "dev".
	Version string
	// OnSelfRoll, when set, is called after Roll gave the very key the
	// client authenticates with a new secret (the server's answer says so:
	// api.HeaderSelf), with the old and the new secret, so that a stored
	// credential can follow (DESIGN.md: "Rolling the key one is logged in
	// with updates the stored token"). The roll has happened whatever it
	// does; it must not fail the command.
	OnSelfRoll func(oldToken, newToken string)
}

// Client is keys.Service over HTTP. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	http      *http.Client
	debug     io.Writer
	userAgent string

	tokenOnce  sync.Once
	mu         sync.Mutex // guards token and tokenErr
	token      string
	tokenErr   error
	credential func() (string, error)
	onSelfRoll func(oldToken, newToken string)

	// backoff is the wait before each retry of an idempotent request; its
	// length is the number of retries.
	backoff []time.Duration
	// maxRetryAfter caps how long a Retry-After answer may make us wait;
	// longer, and the error is returned at once.
	maxRetryAfter time.Duration
}

const (
	defaultTimeout = 30 * time.Second
	// headerTimeout bounds the wait for a server that took the request but
	// does not answer (stopped, wedged): exit 6 within seconds, not 30.
	// It is longer than a keyward server lets a request work (8s, see
	// internal/server's RequestTimeout): giving up first could leave a
	// roll made whose new secret nobody received.
	headerTimeout = 12 * time.Second
	dialTimeout   = 5 * time.Second
	maxBody       = 32 << 20 // a page of 1000 keys is far below this
	maxErrorBody  = 64 << 10
)

var _ keys.Service = (*Client)(nil)

// New builds a Client. It does no I/O beyond reading CAFile.
func New(opts Options) (*Client, error) {
	base, err := parseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	var hc *http.Client
	if opts.HTTPClient != nil {
		hc = withoutRedirects(opts.HTTPClient)
	} else if hc, err = newHTTPClient(opts); err != nil {
		return nil, err
	}
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	c := &Client{
		base:          base,
		http:          hc,
		debug:         opts.Debug,
		userAgent:     "keyward/" + version,
		token:         opts.Token,
		credential:    opts.Credential,
		onSelfRoll:    opts.OnSelfRoll,
		backoff:       []time.Duration{200 * time.Millisecond, 400 * time.Millisecond},
		maxRetryAfter: 5 * time.Second,
	}
	if c.token != "" || c.credential == nil {
		c.tokenOnce.Do(func() {}) // nothing to look up
	}
	return c, nil
}

// BaseURL is the server the client talks to, as given (normalized).
func (c *Client) BaseURL() string { return c.base.String() }

func parseBaseURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, keys.Errorf(keys.Invalid, "no server given: use --server URL or KEYWARD_SERVER")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, keys.Errorf(keys.Invalid, "invalid server URL %q: use http(s)://host[:port]", s)
	}
	if u.User != nil {
		return nil, keys.Errorf(keys.Invalid, "invalid server URL: credentials do not belong in the URL; use keyward login or KEYWARD_TOKEN")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u, nil
}

func newHTTPClient(opts Options) (*http.Client, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			// It may come from the flag, KEYWARD_CA_FILE or a profile.
			return nil, keys.Errorf(keys.Invalid, "cannot read the CA file (--ca-file, KEYWARD_CA_FILE or the profile's ca_file): %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, keys.Errorf(keys.Invalid, "the CA file %s (--ca-file, KEYWARD_CA_FILE or the profile's ca_file) holds no PEM certificate", opts.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	answerTimeout := opts.AnswerTimeout
	if answerTimeout <= 0 {
		answerTimeout = headerTimeout
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   dialTimeout,
		ResponseHeaderTimeout: min(timeout, answerTimeout),
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: refuseRedirect}, nil
}

// Close releases idle connections.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// call is one API request.
type call struct {
	method string
	path   string     // already escaped, starting with /v1/
	query  url.Values // may be nil
	body   any        // JSON-encoded when non-nil
	out    any        // JSON-decoded from a 2xx answer when non-nil
	// idempotent requests are retried on connection errors, 429, 502, 503
	// and 504; the others never, since the server may have acted.
	idempotent bool
	// anonymous calls need no credential and never send one: a token
	// has no business travelling with a request that does not use it.
	anonymous bool
	// header, when non-nil, gets a 2xx answer's header.
	header *http.Header
	// representation asks a DELETE for what it deleted instead of a 204
	// (api.WantsRepresentation).
	representation bool
}

func (c *Client) bearer(anonymous bool) (string, error) {
	if anonymous {
		return "", nil // and no keyring lookup for a call that needs none
	}
	c.tokenOnce.Do(func() {
		t, err := c.credential()
		c.mu.Lock()
		c.token, c.tokenErr = t, err
		c.mu.Unlock()
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token, c.tokenErr
}

// setToken replaces the credential after a self-roll.
func (c *Client) setToken(t string) (old string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, c.token = c.token, t
	return old
}

func (c *Client) do(ctx context.Context, cl call) error {
	token, err := c.bearer(cl.anonymous)
	if err != nil {
		return err
	}
	u := *c.base
	u.Path = c.base.Path + mustUnescape(cl.path)
	u.RawPath = c.base.EscapedPath() + cl.path
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}
	var payload []byte
	if cl.body != nil {
		payload, err = json.Marshal(cl.body)
		if err != nil {
			return keys.Errorf(keys.Internal, "cannot encode the request: %v", err)
		}
	}
	retries := 0
	if cl.idempotent {
		retries = len(c.backoff)
	}
	for attempt := 0; ; attempt++ {
		wait, err := c.attempt(ctx, cl, &u, payload, token)
		if err == nil {
			return nil
		}
		if wait < 0 || attempt >= retries {
			return err
		}
		if wait == 0 {
			wait = c.backoff[attempt]
		}
		c.debugf("retrying %s %s in %s", cl.method, keys.Redact(u.String()), wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// attempt sends one request. wait is <0 when err must not be retried, 0 for
// the default backoff, and >0 for a server-asked delay (Retry-After).
func (c *Client) attempt(ctx context.Context, cl call, u *url.URL, payload []byte, token string) (wait time.Duration, err error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	// sent tells "never got through" (nothing can have changed) from "sent,
	// but the answer was lost" (a change may have been made).
	var sent atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			sent.Store(true)
		}
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), cl.method, u.String(), body)
	if err != nil {
		return -1, keys.Errorf(keys.Internal, "cannot build the request: %v", err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if cl.representation {
		req.Header.Set(api.HeaderPrefer, api.ReturnRepresentation)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	auth := ""
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
		auth = " (Authorization: Bearer [redacted])"
	}
	c.debugf("> %s %s%s", cl.method, keys.Redact(u.String()), auth)
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.debugf("< %s %s: %s", cl.method, keys.Redact(u.String()), keys.Redact(transportMessage(err)))
		return c.transportError(ctx, err, sent.Load() && !cl.idempotent)
	}
	defer resp.Body.Close()
	c.debugf("< %s %s (%s)", resp.Status, keys.Redact(u.String()), time.Since(start).Round(time.Millisecond))

	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return -1, redirectError(resp, c.base.Host, mustUnescape(cl.path))
	}

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if cl.header != nil {
			*cl.header = resp.Header
		}
		if cl.out == nil || resp.StatusCode == http.StatusNoContent {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
			return 0, nil
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		if err != nil {
			return c.transportError(ctx, err, !cl.idempotent)
		}
		if err := json.Unmarshal(data, cl.out); err != nil {
			return -1, keys.Errorf(keys.Internal, "unexpected answer from %s: %v", c.base.Host, err)
		}
		return 0, nil
	}

	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	apiErr := decodeError(resp.StatusCode, resp.Status, data)
	if !cl.idempotent && (resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusGatewayTimeout) {
		// A proxy's answer: it may have passed the request on and lost
		// the server's answer. (keyward itself answers neither.)
		return -1, noAnswer(c.base.Host, "a proxy answered "+resp.Status)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if ra, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if ra > c.maxRetryAfter {
				return -1, apiErr // the server asks for longer than a command should hang
			}
			return max(ra, time.Millisecond), apiErr
		}
		return 0, apiErr
	}
	return -1, apiErr
}

// transportError turns a failed round trip into Unavailable: the server could
// not be reached or did not answer in time. Only errors where the request
// plausibly never got through are worth a retry. changeSent says a change
// request was written before it failed: then the server may have made the
// change, which the error says.
func (c *Client) transportError(ctx context.Context, err error, changeSent bool) (time.Duration, error) {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return -1, fmt.Errorf("request to %s: %w", c.base.Host, ctx.Err()) // interrupted: not the server's fault
	case changeSent:
		return -1, noAnswer(c.base.Host, noAnswerReason(ctx, err))
	case ctx.Err() != nil:
		return -1, keys.Errorf(keys.Unavailable, "no answer from %s in time: %v", c.base.Host, ctx.Err())
	}
	msg := transportMessage(err)
	var uerr *url.Error
	if errors.As(err, &uerr) {
		var hostErr x509.HostnameError
		var cert *tls.CertificateVerificationError
		var unknown x509.UnknownAuthorityError
		switch {
		case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
			return -1, keys.Errorf(keys.Invalid, "%s speaks plain HTTP, not HTTPS: use http:// in --server", c.base.Host)
		case errors.As(err, &hostErr):
			return -1, keys.Errorf(keys.Unavailable, "cannot reach %s: its certificate is not for %q (%s); use a name the certificate holds in --server", c.base.Host, hostErr.Host, certNames(hostErr.Certificate))
		case errors.As(err, &cert) || errors.As(err, &unknown):
			return -1, keys.Errorf(keys.Unavailable, "cannot reach %s: %s (use --ca-file with the server's CA bundle)", c.base.Host, msg)
		}
	}
	wait := time.Duration(0)
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		wait = -1 // no such host will not appear in 200ms
	case errors.As(err, &netErr) && netErr.Timeout():
		wait = -1 // we already waited long enough
	}
	return wait, keys.Errorf(keys.Unavailable, "cannot reach %s: %s", c.base.Host, msg)
}

// noAnswerReason says in a few words why an answer did not come.
func noAnswerReason(ctx context.Context, err error) string {
	var netErr net.Error
	switch {
	case ctx.Err() != nil:
		return ctx.Err().Error()
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timed out waiting for it"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return "the connection was closed"
	}
	return keys.Redact(transportMessage(err))
}

// certNames lists the names a certificate is valid for.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return "no names"
	}
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "it names no host"
	}
	return "it is for " + strings.Join(names, ", ")
}

// transportMessage is err without the "Get \"url\":" prefix of *url.Error.
func transportMessage(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return err.Error()
}

func (c *Client) debugf(format string, args ...any) {
	if c.debug == nil {
		return
	}
	fmt.Fprintf(c.debug, "[debug] "+format+"\n", args...)
}

func mustUnescape(p string) string {
	s, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return s
}
