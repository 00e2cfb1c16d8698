package server_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/keys/keystest"
	"github.com/keyward/keyward/internal/server"
)

// newMemBackend is a MapVerifier of n keys and their secrets.
func newMemBackend(tb testing.TB, n int) (*keystest.MapVerifier, []string) {
	tb.Helper()
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	m := &keystest.MapVerifier{ByHash: map[string]*keys.Key{}, Now: func() time.Time { return at }}
	var secrets []string
	for i := range n {
		s, err := keys.NewSecret("sk")
		if err != nil {
			tb.Fatal(err)
		}
		id := "key_" + keys.SecretStart(s)[3:] + strings.Repeat("0", 12)
		m.ByHash[keys.HashSecret(s)] = &keys.Key{
			ID: id, Name: "bench-" + string(rune('a'+i%26)), Org: "/acme", Type: keys.Secret, Enabled: true,
			Grants: []keys.Grant{{Resource: "/acme/prod", Role: keys.Editor}},
		}
		secrets = append(secrets, s)
	}
	return m, secrets
}

// benchWriter is a ResponseWriter that keeps nothing but the status, so
// that neither the floor nor keyward pays for a recorder.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(s int)           { w.status = s }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) reset()                      { clear(w.h); w.status = 0 }

// floor is the bare handler keyward's gateway check is measured against
// (bench/http/floor does the same over the network).
var floor = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") == "" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusNoContent)
})

// benchLogs: the request log as `keyward serve` writes it (asynchronous,
// successful verifications summed up), a line per request formatted on
// the request's goroutine (as serve did before), and none at all; each to
// a sink that costs nothing.
type benchLog struct {
	logger  *slog.Logger
	every   time.Duration
	metrics *server.Metrics
}

func benchLogs(b *testing.B) map[string]benchLog {
	a := server.NewAsyncLog(io.Discard, func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }, server.AsyncLogOptions{})
	b.Cleanup(func() { _ = a.Close() })
	return map[string]benchLog{
		"log=serve": {slog.New(a), time.Hour, nil},
		// As serve runs: the request log and the metrics.
		"log=serve+metrics": {slog.New(a), time.Hour, server.NewMetrics(server.MetricsOptions{LogDropped: a.Dropped})},
		"log=text":          {slog.New(slog.NewTextHandler(io.Discard, nil)), 0, nil},
		"log=off":           {},
	}
}

func authRequest(secret string) *http.Request {
	req := httptest.NewRequest("GET", "/v1/auth?resource=/acme/prod/app&role=editor", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	req.RemoteAddr = "127.0.0.1:40000"
	return req
}

func serveLoop(b *testing.B, h http.Handler, reqs []*http.Request, body func(int) io.ReadCloser, want int) {
	w := &benchWriter{h: http.Header{}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := reqs[i%len(reqs)]
		if body != nil {
			r.Body = body(i % len(reqs))
		}
		w.reset()
		h.ServeHTTP(w, r)
		if w.status != want {
			b.Fatalf("status %d, want %d", w.status, want)
		}
		i++
	}
}

// BenchmarkFloorHandler is the bare handler: what any Go handler costs
// through ServeHTTP, the denominator of the handler benchmarks below.
func BenchmarkFloorHandler(b *testing.B) {
	serveLoop(b, floor, []*http.Request{authRequest("sk_x")}, nil, http.StatusNoContent)
}

// BenchmarkGatewayAuthHandler is GET /v1/auth through the whole handler
// chain (request log, routing, query, verification) over the in-memory
// backend, with one key and with 50 in rotation.
func BenchmarkGatewayAuthHandler(b *testing.B) {
	handlerBench(b, http.StatusNoContent, func(secret string) (*http.Request, []byte) {
		return authRequest(secret), nil
	})
}

// BenchmarkVerifyHandler is POST /v1/verify the same way.
func BenchmarkVerifyHandler(b *testing.B) {
	handlerBench(b, http.StatusOK, func(secret string) (*http.Request, []byte) {
		req := httptest.NewRequest("POST", "/v1/verify", nil)
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "127.0.0.1:40000"
		return req, []byte(`{"key":"` + secret + `","resource":"/acme/prod/app","role":"editor"}`)
	})
}

// handlerBench serves the request (and body, if any) made for each key's
// secret in turn, under every request log, with 1 and 50 keys.
func handlerBench(b *testing.B, want int, request func(secret string) (*http.Request, []byte)) {
	for lname, l := range benchLogs(b) {
		for _, n := range []int{1, 50} {
			b.Run(lname+"/keys="+itoa(n), func(b *testing.B) {
				m, secrets := newMemBackend(b, n)
				h := server.New(m, server.Options{Logger: l.logger, SummaryEvery: l.every, Metrics: l.metrics, Now: m.Now})
				var reqs []*http.Request
				var bodies [][]byte
				for _, s := range secrets {
					req, body := request(s)
					reqs = append(reqs, req)
					bodies = append(bodies, body)
				}
				var body func(int) io.ReadCloser
				if bodies[0] != nil {
					rd := &bytes.Reader{}
					body = func(i int) io.ReadCloser { rd.Reset(bodies[i]); return io.NopCloser(rd) }
				}
				serveLoop(b, h, reqs, body, want)
			})
		}
	}
}

func itoa(n int) string {
	if n == 1 {
		return "1"
	}
	return "50"
}

// The same through the real SQLite store: what a request costs today end
// to end inside the process (no network).
func BenchmarkGatewayAuthSQLite(b *testing.B) {
	e := newEnv(b, server.Options{})
	k := e.local("svc", "/acme/prod", keys.Editor)
	h := server.New(e.st, server.Options{})
	serveLoop(b, h, []*http.Request{authRequest(k.Secret)}, nil, http.StatusNoContent)
}

func BenchmarkVerifySQLite(b *testing.B) {
	e := newEnv(b, server.Options{})
	k := e.local("svc", "/acme/prod", keys.Editor)
	h := server.New(e.st, server.Options{})
	body := []byte(`{"key":"` + k.Secret + `","resource":"/acme/prod"}`)
	req := httptest.NewRequest("POST", "/v1/verify", nil)
	rd := &bytes.Reader{}
	serveLoop(b, h, []*http.Request{req}, func(int) io.ReadCloser { rd.Reset(body); return io.NopCloser(rd) }, http.StatusOK)
}
