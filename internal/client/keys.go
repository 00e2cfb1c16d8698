package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

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
	if f.UnusedFor > 0 {
		q.Set("unused_for", f.UnusedFor.String())
	}
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Cursor != "" {
		q.Set("cursor", f.Cursor)
	}
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
	// Which key are we? Asked before the roll: with --grace 0 the old
	// secret cannot ask afterwards. Only when someone wants to know.
	selfID := ""
	if c.onSelfRoll != nil {
		if who, err := c.WhoAmI(ctx); err == nil && who.Key != nil {
			selfID = who.Key.ID
		}
	}
	var out keys.NewSecretKey
	if err := c.do(ctx, call{method: http.MethodPost, path: keyPath(ref, "roll"), body: req, out: &out}); err != nil {
		return nil, withCheck(err, checkRoll(ref))
	}
	if err := c.isKey(&out.Key); err != nil {
		return nil, err
	}
	if selfID != "" && out.ID == selfID && out.Secret != "" {
		old := c.setToken(out.Secret) // later calls of this process use the new secret
		c.onSelfRoll(old, out.Secret)
	}
	return &out, nil
}

// Delete resolves every ref first (a GET each), so that one missing key
// deletes nothing, checks the operator may delete them all (deleteOrder),
// then deletes each by id. The API deletes one key per
// request; a failure between two deletes (the server going away) can leave
// the earlier ones deleted, which the error says.
func (c *Client) Delete(ctx context.Context, refs []string) ([]*keys.Key, error) {
	if len(refs) == 0 {
		return nil, keys.Errorf(keys.Invalid, "no key given")
	}
	var found []*keys.Key
	seen := map[string]bool{}
	for _, ref := range refs {
		k, err := c.Get(ctx, ref)
		if err != nil {
			return nil, err
		}
		if seen[k.ID] {
			continue // the same key named twice (by id and by name)
		}
		seen[k.ID] = true
		found = append(found, k)
	}
	order, err := c.deleteOrder(ctx, found)
	if err != nil {
		return nil, err
	}
	for i, k := range order {
		// By id: a name could have moved to another key since the GET.
		err := c.do(ctx, call{method: http.MethodDelete, path: keyPath(k.ID), idempotent: true, goneIsDone: true})
		if err != nil {
			if i > 0 {
				return nil, &keys.Error{Code: keys.ErrorCode(err), Message: keys.ErrorMessage(err) +
					" (" + strconv.Itoa(i) + " of " + strconv.Itoa(len(found)) + " keys were deleted before this error)"}
			}
			return nil, err
		}
	}
	return found, nil
}

// deleteOrder checks several keys to delete against the operator's rights
// before any goes, so that one the operator may read but not delete
// deletes nothing (the server checks each again), and orders them with
// the operator's own key last: once it is gone, the deletes after it
// would no longer be authenticated.
func (c *Client) deleteOrder(ctx context.Context, found []*keys.Key) ([]*keys.Key, error) {
	if len(found) < 2 {
		return found, nil
	}
	who, err := c.WhoAmI(ctx)
	if err != nil {
		return nil, err
	}
	order := make([]*keys.Key, 0, len(found))
	var self *keys.Key
	for _, k := range found {
		if err := keys.CheckChange(who, k, nil); err != nil {
			return nil, err
		}
		if k.ID == who.Key.ID {
			self = k
			continue
		}
		order = append(order, k)
	}
	if self != nil {
		order = append(order, self)
	}
	return order, nil
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
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Cursor != "" {
		q.Set("cursor", f.Cursor)
	}
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
