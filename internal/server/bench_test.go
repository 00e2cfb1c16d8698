package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

// The gateway path is the hot one: every request of a protected service.
func BenchmarkGatewayAuth(b *testing.B) {
	e := newEnv(b, server.Options{})
	k := e.local("svc", "/acme/prod", keys.Editor)
	h := server.New(e.st, server.Options{})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/v1/auth?resource=/acme/prod/app&role=editor", nil)
		req.Header.Set("Authorization", "Bearer "+k.Secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	e := newEnv(b, server.Options{})
	k := e.local("svc", "/acme/prod", keys.Editor)
	h := server.New(e.st, server.Options{})
	body := `{"key":"` + k.Secret + `","resource":"/acme/prod"}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/verify", strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
