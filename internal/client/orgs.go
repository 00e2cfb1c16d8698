package client

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/keyward/keyward/internal/keys"
)

// orgPath is /v1/orgs/{org} with the name sent without its slash
// (acme), as one escaped segment.
func orgPath(name string) string {
	seg := url.PathEscape(strings.TrimPrefix(name, "/"))
	if seg == "." || seg == ".." {
		seg = strings.Repeat("%2E", len(seg))
	}
	return "/v1/orgs/" + seg
}

// orgName checks a name before it travels: a bad one is the same Invalid
// error on every backend, and never a request for another path.
func orgName(name string) error {
	_, err := keys.ParseOrg(name)
	return err
}

func (c *Client) CreateOrg(ctx context.Context, req keys.OrgCreateRequest) (*keys.OrgCreated, error) {
	var out keys.OrgCreated
	if err := c.do(ctx, call{method: http.MethodPost, path: "/v1/orgs", body: req, out: &out}); err != nil {
		return nil, withCheck(err, "check with 'keyward orgs get "+req.Name+"': if it exists, it was created with a default key whose secret never reached you: roll that key ('keyward keys roll "+strings.TrimPrefix(req.Name, "/")+"/"+keys.DefaultKeyName+"')")
	}
	if out.Org == nil || out.DefaultKey == nil {
		return nil, keys.Errorf(keys.Internal, "unexpected answer from %s: not a created organization", c.base.Host)
	}
	if err := c.isKey(&out.DefaultKey.Key); err != nil {
		return nil, err
	}
	out.Org.DefaultKeyStart = out.DefaultKey.Start // not in an org's JSON
	return &out, nil
}

func (c *Client) GetOrg(ctx context.Context, name string) (*keys.Org, error) {
	if err := orgName(name); err != nil {
		return nil, err
	}
	var out keys.Org
	if err := c.do(ctx, call{method: http.MethodGet, path: orgPath(name), out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	if err := c.isOrg(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) ListOrgs(ctx context.Context, f keys.OrgFilter) (*keys.OrgPage, error) {
	q := url.Values{}
	setPage(q, f.Limit, f.Cursor)
	var out keys.OrgPage
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/orgs", query: q, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	if out.Items == nil {
		out.Items = []*keys.Org{}
	}
	return &out, nil
}

// DeleteOrg is not retried once sent: a retry after a lost answer would
// meet an organization made again in between.
func (c *Client) DeleteOrg(ctx context.Context, name string, req keys.OrgDeleteRequest) (*keys.Org, error) {
	if err := orgName(name); err != nil {
		return nil, err
	}
	q := url.Values{}
	if req.WithKeys {
		q.Set("with_keys", "true")
	}
	var out keys.Org
	if err := c.do(ctx, call{method: http.MethodDelete, path: orgPath(name), query: q, out: &out, representation: true}); err != nil {
		return nil, withCheck(err, "check with 'keyward orgs get "+name+"': if it is gone, the delete was made")
	}
	if err := c.isOrg(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

// isOrg checks that a 2xx answer was an organization.
func (c *Client) isOrg(o *keys.Org) error {
	if o.Name == "" {
		return keys.Errorf(keys.Internal, "unexpected answer from %s: not an organization", c.base.Host)
	}
	return nil
}
