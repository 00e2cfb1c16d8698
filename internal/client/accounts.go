package client

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/keyward/keyward/internal/keys"
)

// accountPath is /v1/accounts/{ref} with the ref escaped as one segment,
// as keyPath does for keys.
func accountPath(ref string, rest ...string) string {
	seg := url.PathEscape(ref)
	if seg == "." || seg == ".." {
		seg = strings.Repeat("%2E", len(seg))
	}
	p := "/v1/accounts/" + seg
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

func (c *Client) CreateAccount(ctx context.Context, req keys.CreateAccountRequest) (*keys.Account, error) {
	var out keys.Account
	if err := c.do(ctx, call{method: http.MethodPost, path: "/v1/accounts", body: req, out: &out}); err != nil {
		return nil, withCheck(err, checkAccount(req.Name))
	}
	return c.isAccount(&out)
}

func (c *Client) GetAccount(ctx context.Context, ref string) (*keys.Account, error) {
	if ref == "" {
		return nil, keys.Errorf(keys.Invalid, "no service account given")
	}
	var out keys.Account
	if err := c.do(ctx, call{method: http.MethodGet, path: accountPath(ref), out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	return c.isAccount(&out)
}

func (c *Client) ListAccounts(ctx context.Context, f keys.AccountFilter) (*keys.AccountPage, error) {
	q := url.Values{}
	setPage(q, f.Limit, f.Cursor)
	var out keys.AccountPage
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/accounts", query: q, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	if out.Items == nil {
		out.Items = []*keys.Account{}
	}
	return &out, nil
}

// DeleteAccount is not retried once sent: a retry after a lost answer
// could meet a new account that took the name.
func (c *Client) DeleteAccount(ctx context.Context, ref string) (*keys.Account, error) {
	var out keys.Account
	if err := c.do(ctx, call{method: http.MethodDelete, path: accountPath(ref), out: &out, representation: true}); err != nil {
		return nil, withCheck(err, checkAccount(ref))
	}
	return c.isAccount(&out)
}

func (c *Client) GrantAccount(ctx context.Context, ref string, g keys.Grant) (*keys.Account, error) {
	var out keys.Account
	body := map[string]any{"resource": g.Resource}
	if g.Role != keys.RoleNone {
		body["role"] = g.Role
	}
	if err := c.do(ctx, call{method: http.MethodPut, path: accountPath(ref, "grants"), body: body, out: &out}); err != nil {
		return nil, withCheck(err, checkAccount(ref))
	}
	return c.isAccount(&out)
}

func (c *Client) UngrantAccount(ctx context.Context, ref string, r keys.Resource) (*keys.Account, error) {
	q := url.Values{"resource": {string(r)}}
	var out keys.Account
	if err := c.do(ctx, call{method: http.MethodDelete, path: accountPath(ref, "grants"), query: q, out: &out}); err != nil {
		return nil, withCheck(err, checkAccount(ref))
	}
	return c.isAccount(&out)
}

// checkAccount is the advice after a lost answer to a change of an account.
func checkAccount(ref string) string {
	return "check with 'keyward accounts get " + ref + "'"
}

// isAccount checks that a 2xx answer was an account, as isKey does.
func (c *Client) isAccount(a *keys.Account) (*keys.Account, error) {
	if !keys.IsAccountID(a.ID) {
		return nil, keys.Errorf(keys.Internal, "unexpected answer from %s: not a service account", c.base.Host)
	}
	return a, nil
}
