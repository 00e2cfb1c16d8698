package client

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/go-jose/go-jose/v4"

	"github.com/keyward/keyward/internal/keys"
)

var _ keys.SigningKeys = (*Client)(nil)

// JWKS fetches the server's JWK Set; it needs no credential. The answer
// is checked to be a JWK Set before it is handed on.
func (c *Client) JWKS(ctx context.Context) ([]byte, error) {
	var raw json.RawMessage
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/jwks", out: &raw, idempotent: true, anonymous: true}); err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, keys.Errorf(keys.Internal, "unexpected answer from %s: not a JWK Set", c.base.Host)
	}
	return raw, nil
}

func (c *Client) ListSigningKeys(ctx context.Context) ([]*keys.SigningKey, error) {
	var out struct {
		Items []*keys.SigningKey `json:"items"`
	}
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/signing-keys", out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	if out.Items == nil {
		out.Items = []*keys.SigningKey{}
	}
	return out.Items, nil
}

// RotateSigningKey is not retried: a second rotation would retire the
// key the first one made.
func (c *Client) RotateSigningKey(ctx context.Context) (*keys.SigningKey, error) {
	var out keys.SigningKey
	if err := c.do(ctx, call{method: http.MethodPost, path: "/v1/signing-keys/rotate", out: &out}); err != nil {
		return nil, err
	}
	if out.KID == "" {
		return nil, keys.Errorf(keys.Internal, "unexpected answer from %s: not a signing key", c.base.Host)
	}
	return &out, nil
}
