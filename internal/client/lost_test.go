package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// closingServer reads each request whole, then drops the connection
// without an answer: a server killed, or a proxy giving up, after the
// request arrived.
func closingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

// silentServer reads each request whole and never answers.
func silentServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var got atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got.Add(1)
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: Close waits for handlers
	return srv, &got
}

// lostAnswerCalls are the changes whose answer can be lost, each with what
// the error must tell to check.
func lostAnswerCalls(c *Client) map[string]struct {
	call  func() error
	check []string
} {
	ctx := context.Background()
	create := keys.CreateRequest{Name: "ci", Grants: []keys.Grant{{Resource: "/acme/prod", Role: keys.Editor}}}
	return map[string]struct {
		call  func() error
		check []string
	}{
		"create": {func() error { _, err := c.Create(ctx, create); return err },
			[]string{"keyward keys get acme/ci'", "created_at", "keyward keys roll acme/ci"}},
		"roll": {func() error { _, err := c.Roll(ctx, "ci", keys.RollRequest{}); return err },
			[]string{"keyward keys get ci'", "start", "previous secret keeps working during its grace"}},
		"update":  {func() error { _, err := c.Update(ctx, "ci", keys.UpdateRequest{}); return err }, []string{"keyward keys get ci'"}},
		"grant":   {func() error { _, err := c.Grant(ctx, "ci", keys.Grant{Resource: "/acme/dev"}); return err }, []string{"keyward keys get ci'"}},
		"ungrant": {func() error { _, err := c.Ungrant(ctx, "ci", "/acme/dev"); return err }, []string{"keyward keys get ci'"}},
	}
}

// TestLostAnswerMayHaveBeenApplied: a change that was sent but got no
// answer may have been made; the error says so and how to check, instead
// of "cannot reach", and stays Unavailable (exit 6). It is not resent.
func TestLostAnswerMayHaveBeenApplied(t *testing.T) {
	servers := map[string]func(*testing.T) (*httptest.Server, *atomic.Int32){
		"connection closed": closingServer,
		"no answer in time": silentServer,
	}
	for sname, start := range servers {
		t.Run(sname, func(t *testing.T) {
			srv, got := start(t)
			// The answer timeout starts once the request is written, so a
			// short one cannot fire before the server has it.
			c := fast(t, mustNew(t, Options{BaseURL: srv.URL, Token: "sk_token", AnswerTimeout: 50 * time.Millisecond}))
			for name, tc := range lostAnswerCalls(c) {
				before := got.Load()
				err := tc.call()
				wantCode(t, err, keys.Unavailable)
				msg := err.Error()
				if !strings.Contains(msg, "sent the request to "+srv.Listener.Addr().String()+" but got no answer") ||
					!strings.Contains(msg, "may have been applied") || strings.Contains(msg, "cannot reach") {
					t.Errorf("%s: %q does not say the change may have been applied", name, msg)
				}
				for _, want := range tc.check {
					if !strings.Contains(msg, want) {
						t.Errorf("%s: %q lacks %q", name, msg, want)
					}
				}
				if n := got.Load() - before; n != 1 {
					t.Errorf("%s: the server got %d requests, want 1 (a change is never resent)", name, n)
				}
			}
		})
	}
}

// TestNothingSentIsUnreachable: when no connection could be made, nothing
// was sent and nothing can have changed: the plain unreachable message.
func TestNothingSentIsUnreachable(t *testing.T) {
	addr := freeAddr(t)
	c := newClient(t, "http://"+addr, "sk_token")
	for name, tc := range lostAnswerCalls(c) {
		err := tc.call()
		wantCode(t, err, keys.Unavailable)
		if msg := err.Error(); !strings.HasPrefix(msg, "cannot reach "+addr) || strings.Contains(msg, "may have") {
			t.Errorf("%s: %q, want the plain unreachable message", name, msg)
		}
	}
}

// TestProxyGaveUpMayHaveBeenApplied: a 502 or 504 to a change comes from
// a proxy that may have passed it on; a 503 (keyward's own: the change was
// rolled back) stays as it is.
func TestProxyGaveUpMayHaveBeenApplied(t *testing.T) {
	for _, status := range []int{http.StatusBadGateway, http.StatusGatewayTimeout} {
		srv, _ := counting(t, status, "", nil)
		_, err := newClient(t, srv.URL, "sk_token").Roll(context.Background(), "x", keys.RollRequest{})
		wantCode(t, err, keys.Unavailable)
		if !strings.Contains(err.Error(), "may have been applied") || !strings.Contains(err.Error(), "keyward keys get x'") {
			t.Errorf("%d: %q", status, err)
		}
	}
	srv, _ := counting(t, http.StatusServiceUnavailable, `{"error":{"code":"unavailable","message":"database is locked"}}`, nil)
	_, err := newClient(t, srv.URL, "sk_token").Roll(context.Background(), "x", keys.RollRequest{})
	if keys.ErrorMessage(err) != "database is locked" {
		t.Errorf("503: %q, want the server's message", err)
	}
}
