package client

import (
	"context"
	"net/http"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
)

// CheckLeaks asks the server about found secrets: a read, retried like one.
func (c *Client) CheckLeaks(ctx context.Context, leaks []keys.Leak) ([]*keys.LeakResult, error) {
	return c.leaks(ctx, "/v1/leaks/check", leaks, true)
}

// ReportLeaks has the server disable the keys of found secrets. Not
// retried once sent; a lost answer says how to see what was done.
func (c *Client) ReportLeaks(ctx context.Context, leaks []keys.Leak) ([]*keys.LeakResult, error) {
	out, err := c.leaks(ctx, "/v1/leaks", leaks, false)
	return out, withCheck(err, "check with 'keyward keys list --compromised'")
}

func (c *Client) leaks(ctx context.Context, path string, leaks []keys.Leak, idempotent bool) ([]*keys.LeakResult, error) {
	if len(leaks) == 0 {
		return nil, keys.Errorf(keys.Invalid, "no leaks given")
	}
	var out api.LeaksResponse
	if err := c.do(ctx, call{method: http.MethodPost, path: path, body: api.LeaksRequest{Leaks: leaks}, out: &out, idempotent: idempotent}); err != nil {
		return nil, err
	}
	if len(out.Items) != len(leaks) {
		return nil, keys.Errorf(keys.Internal, "unexpected answer from %s: %d results for %d leaks", c.base.Host, len(out.Items), len(leaks))
	}
	for _, r := range out.Items {
		if r == nil || r.Code == nil || r.Valid == nil {
			return nil, keys.Errorf(keys.Internal, "unexpected answer from %s: a leak without a code", c.base.Host)
		}
	}
	return out.Items, nil
}
