package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
)

// keyPath is /v1/keys/{ref} with the ref escaped as one segment, so that
// "acme/ci-deploy" travels as acme%2Fci-deploy and "/root" as %2Froot. A
// ref of "." or ".." is escaped too: as a dot segment, a server's router
// would clean it away (/v1/keys/. is /v1/keys/, the list) instead of
// looking it up.
func keyPath(ref string, rest ...string) string {
	seg := url.PathEscape(ref)
	if seg == "." || seg == ".." {
		seg = strings.Repeat("%2E", len(seg))
	}
	p := "/v1/keys/" + seg
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

func (c *Client) Create(ctx context.Context, req keys.CreateRequest) (*keys.NewSecretKey, error) {
	var out keys.NewSecretKey
	if err := c.do(ctx, call{method: http.MethodPost, path: "/v1/keys", body: req, out: &out}); err != nil {
		return nil, withCheck(err, checkCreate(req))
	}
	if err := c.isKey(&out.Key); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) Get(ctx context.Context, ref string) (*keys.Key, error) {
	if ref == "" {
		return nil, keys.Errorf(keys.Invalid, "no key given")
	}
	var out keys.Key
	if err := c.do(ctx, call{method: http.MethodGet, path: keyPath(ref), out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	if err := c.isKey(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

// setPage puts a listing's page size and cursor in its query, when set.
func setPage(q url.Values, limit int, cursor string) {
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
}

func (c *Client) List(ctx context.Context, f keys.ListFilter) (*keys.KeyPage, error) {
	q := url.Values{}
	if f.Resource != nil {
		q.Set("resource", string(*f.Resource))
	}
	if f.Expired {
		q.Set("expired", "true")
	}
	if f.ExpiringWithin > 0 {
		q.Set("expiring_within", f.ExpiringWithin.String())
	}
	if f.Compromised {
		q.Set("compromised", "true")
	}
	if f.UnusedFor > 0 {
		q.Set("unused_for", f.UnusedFor.String())
	}
	if f.Account != "" {
		q.Set("account", f.Account)
	}
	setPage(q, f.Limit, f.Cursor)
	var out keys.KeyPage
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/keys", query: q, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	if out.Items == nil {
		out.Items = []*keys.Key{}
	}
	return &out, nil
}

func (c *Client) Update(ctx context.Context, ref string, req keys.UpdateRequest) (*keys.Key, error) {
	var out keys.Key
	if err := c.do(ctx, call{method: http.MethodPatch, path: keyPath(ref), body: req, out: &out}); err != nil {
		return nil, withCheck(err, checkKey(ref))
	}
	if err := c.isKey(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) Roll(ctx context.Context, ref string, req keys.RollRequest) (*keys.NewSecretKey, error) {
	var out keys.NewSecretKey
	var header http.Header
	if err := c.do(ctx, call{method: http.MethodPost, path: keyPath(ref, "roll"), body: req, out: &out, header: &header}); err != nil {
		return nil, withCheck(err, checkRoll(ref))
	}
	if err := c.isKey(&out.Key); err != nil {
		return nil, err
	}
	// Only a client told to follow its credential does: one made with a
	// fixed token keeps presenting it.
	if c.onSelfRoll != nil && header.Get(api.HeaderSelf) == "true" && out.Secret != "" {
		old := c.setToken(out.Secret) // later calls of this process use the new secret
		c.onSelfRoll(old, out.Secret)
	}
	return &out, nil
}

// Delete deletes every ref in one request: the server resolves them and
// checks the operator's rights in one transaction, and deletes all or
// none. Like every change but a single delete by id, it is not retried
// once sent: a retry after a lost answer could meet a new key that took a
// deleted one's name.
func (c *Client) Delete(ctx context.Context, refs []string) ([]*keys.Key, error) {
	if len(refs) == 0 {
		return nil, keys.Errorf(keys.Invalid, "no key given")
	}
	if err := api.CheckDeleteCount(len(refs)); err != nil {
		return nil, err
	}
	var out api.DeleteResponse
	if err := c.do(ctx, call{method: http.MethodPost, path: "/v1/keys/delete", body: api.DeleteRequest{Keys: refs}, out: &out}); err != nil {
		return nil, withCheck(err, checkDelete(refs))
	}
	if len(out.Items) == 0 {
		return nil, keys.Errorf(keys.Internal, "unexpected answer from %s: no deleted keys", c.base.Host)
	}
	for _, k := range out.Items {
		if err := c.isKey(k); err != nil {
			return nil, err
		}
	}
	return out.Items, nil
}

func (c *Client) Grant(ctx context.Context, ref string, g keys.Grant) (*keys.Key, error) {
	var out keys.Key
	// No role is sent as none: the server keeps an existing grant's role.
	body := map[string]any{"resource": g.Resource}
	if g.Role != keys.RoleNone {
		body["role"] = g.Role
	}
	if err := c.do(ctx, call{method: http.MethodPut, path: keyPath(ref, "grants"), body: body, out: &out}); err != nil {
		return nil, withCheck(err, checkKey(ref))
	}
	if err := c.isKey(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) Ungrant(ctx context.Context, ref string, r keys.Resource) (*keys.Key, error) {
	q := url.Values{"resource": {string(r)}}
	var out keys.Key
	// A DELETE, but not retried: a second attempt after a lost answer would
	// meet "no grant" or remove a grant added in between.
	if err := c.do(ctx, call{method: http.MethodDelete, path: keyPath(ref, "grants"), query: q, out: &out}); err != nil {
		return nil, withCheck(err, checkKey(ref))
	}
	if err := c.isKey(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Verify needs no operator credential; it is a read, so it is retried.
func (c *Client) Verify(ctx context.Context, req keys.VerifyRequest) (*keys.VerifyResult, error) {
	// What cannot be a secret, by its length or a character none has, is
	// NOT_FOUND before any lookup, as every backend answers it, once the
	// resource and role are checked as they check them. Sent, such text
	// (a file piped by mistake, '<' six bytes in JSON) could be refused as
	// too large: exit 2 where the local backend says NOT_FOUND, exit 7.
	// Anything else goes to the server, which alone can tell.
	if _, err := req.Normalize(); err != nil {
		return nil, err
	}
	if !couldBeSecret(req.Secret) {
		return keys.NotFoundResult(), nil
	}
	var out keys.VerifyResult
	if err := c.do(ctx, call{method: http.MethodPost, path: "/v1/verify", body: req, out: &out, idempotent: true, anonymous: true}); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) Audit(ctx context.Context, f keys.AuditFilter) (*keys.AuditPage, error) {
	q := url.Values{}
	if f.Key != "" {
		q.Set("key", f.Key)
	}
	if f.Since != nil {
		q.Set("since", f.Since.UTC().Format(time.RFC3339))
	}
	setPage(q, f.Limit, f.Cursor)
	var out keys.AuditPage
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/audit", query: q, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	if out.Items == nil {
		out.Items = []*keys.AuditEvent{}
	}
	return &out, nil
}

// WhoAmI asks the server which operator key the token is (GET /v1/whoami
// answers the key).
func (c *Client) WhoAmI(ctx context.Context) (*keys.Principal, error) {
	var k keys.Key
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/whoami", out: &k, idempotent: true}); err != nil {
		return nil, err
	}
	if k.ID == "" {
		return nil, keys.Errorf(keys.Internal, "unexpected whoami answer from %s", c.base.Host)
	}
	return keys.KeyPrincipal(&k), nil
}

// isKey checks that a 2xx answer was a key: one without an id (another
// endpoint's answer, reached through a redirect or a misrouting proxy)
// must not pass for an empty key.
func (c *Client) isKey(k *keys.Key) error {
	if k.ID == "" {
		return keys.Errorf(keys.Internal, "unexpected answer from %s: not a key", c.base.Host)
	}
	return nil
}

// couldBeSecret reports whether s, without the trailing whitespace every
// backend ignores, is no longer than a token and made only of the
// characters secrets (a-z0-9_ prefix, base62) and tokens (base64url,
// dots) are made of: what JSON writes as it is.
func couldBeSecret(s string) bool {
	s = strings.TrimRight(s, " \t\r\n")
	if len(s) > keys.MaxTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.':
		default:
			return false
		}
	}
	return true
}
