package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// TestRedirectsAreNotFollowed: a server (or a proxy) answering with a
// redirect to another address must not get the token or the request body
// (a secret, for verify) sent there. The second server receives nothing,
// and the error names where the redirect pointed, without its query.
func TestRedirectsAreNotFollowed(t *testing.T) {
	const token = "sk_abcdefghijklmnopqrstuvwxyzABCDEF1rJNtw"
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		_, _ = w.Write([]byte(`{"id":"key_0000000000000000","valid":true,"code":"VALID"}`))
	}))
	t.Cleanup(other.Close)
	ctx := context.Background()

	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			http.Redirect(w, r, other.URL+r.URL.Path+"?token=leaked", status)
		}))
		t.Cleanup(redirecting.Close)
		clients := map[string]*Client{"default transport": newClient(t, redirecting.URL, token)}
		// A caller's own http.Client, redirects allowed by it, is no way around.
		given, err := New(Options{BaseURL: redirecting.URL, Token: token, HTTPClient: &http.Client{}})
		if err != nil {
			t.Fatal(err)
		}
		clients["given http.Client"] = fast(t, given)

		for cname, c := range clients {
			calls := map[string]func() error{
				"verify": func() error { _, err := c.Verify(ctx, keys.VerifyRequest{Secret: token}); return err },
				"get":    func() error { _, err := c.Get(ctx, "x"); return err },
				"create": func() error { _, err := c.Create(ctx, keys.CreateRequest{Name: "x"}); return err },
				"roll":   func() error { _, err := c.Roll(ctx, "x", keys.RollRequest{}); return err },
				"list":   func() error { _, err := c.List(ctx, keys.ListFilter{}); return err },
			}
			for name, call := range calls {
				err := call()
				wantCode(t, err, keys.Invalid)
				msg := err.Error()
				if !strings.Contains(msg, "redirect to "+other.URL+"/v1/") || !strings.Contains(msg, "use it in --server") {
					t.Errorf("%d %s %s: %q does not name where it was redirected", status, cname, name, msg)
				}
				if strings.Contains(msg, "leaked") || strings.Contains(msg, "abcdefghij") {
					t.Errorf("%d %s %s: %q shows the query or a secret", status, cname, name, msg)
				}
			}
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the address redirected to got %d requests, want none", n)
	}
}

// TestVerifySendsNoToken: POST /v1/verify needs no operator credential, so
// none travels with it, even when the client holds one.
func TestVerifySendsNoToken(t *testing.T) {
	auth := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth <- r.Header.Get("Authorization")
		_, _ = w.Write([]byte(`{"valid":false,"code":"NOT_FOUND"}`))
	}))
	t.Cleanup(srv.Close)
	for name, c := range map[string]*Client{
		"token":      newClient(t, srv.URL, "sk_token"),
		"credential": fast(t, mustNew(t, Options{BaseURL: srv.URL, Credential: func() (string, error) { return "sk_token", nil }})),
	} {
		if name == "credential" {
			// A credential already looked up for an earlier call stays home too.
			if _, err := c.bearer(false); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.Verify(context.Background(), keys.VerifyRequest{Secret: "sk_x"}); err != nil {
			t.Fatal(err)
		}
		if a := <-auth; a != "" {
			t.Errorf("%s: verify sent Authorization %q", name, a)
		}
	}
}

func mustNew(t *testing.T, opts Options) *Client {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
