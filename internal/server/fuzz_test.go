package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

// Nothing a client sends may cause a 500: every request either works or is
// refused with a 4xx. The seeds are odd inputs met in practice; `go test
// -fuzz FuzzNoServerErrors` explores beyond them.
func FuzzNoServerErrors(f *testing.F) {
	seeds := []struct{ method, target, body string }{
		{"GET", "/v1/keys?cursor=garbage", ""},
		{"GET", "/v1/keys?cursor=" + strings.Repeat("A", 4000), ""},
		{"GET", "/v1/keys?limit=99999999999999999999", ""},
		{"GET", "/v1/keys?resource=/" + strings.Repeat("a/", 500), ""},
		{"GET", "/v1/audit?cursor=%00%01", ""},
		{"GET", "/v1/audit?key=%FF%FE", ""},
		{"GET", "/v1/audit?since=9999-12-31T23:59:59Z", ""},
		{"GET", "/v1/audit?since=99999999999d", ""},
		{"GET", "/v1/keys/%FF", ""},
		{"GET", "/v1/keys/" + strings.Repeat("x", 3000), ""},
		{"GET", "/v1/keys/key_0000000000000000", ""},
		{"GET", "/v1/keys/%2F", ""},
		{"GET", "/v1/keys/a%2Fb%2Fc", ""},
		{"POST", "/v1/keys", `{"name":"\u00e9t\u00e9","grants":[{"resource":"/acme"}]}`},
		{"POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/acme"}],"meta":{"":"v"}}`},
		{"POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/acme"}],"prefix":"` + strings.Repeat("a", 50) + `"}`},
		{"POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/acme"}],"type":"weird"}`},
		{"POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/acme"}],"ttl":"99999999999999M"}`},
		{"POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/acme"}],"expires_at":"9999-12-31T23:59:59Z"}`},
		{"POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/acme"}],"expires_at":"1970-01-01T00:00:00Z"}`},
		{"POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/a"},{"resource":"/b"}]}`},
		{"POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/acme"}],"ttl":"1d","expires_at":"2030-01-01T00:00:00Z"}`},
		{"POST", "/v1/keys", `null`},
		{"PATCH", "/v1/keys/root", `{"name":"key_x"}`},
		{"PATCH", "/v1/keys/root", `{"ttl":"1d","no_expiry":true}`},
		{"PATCH", "/v1/keys/root", `{"expires_at":"2000-01-01T00:00:00Z"}`},
		{"POST", "/v1/keys/root/roll", `{"grace":"99999999999999M"}`},
		{"POST", "/v1/keys/root/roll", `{"ttl":"0"}`},
		{"PUT", "/v1/keys/root/grants", `{"resource":"/","role":"owner"}`},
		{"DELETE", "/v1/keys/root/grants?resource=/", ""},
		{"POST", "/v1/verify", `{"key":"sk_00000000000000000000000000000000` + `30OBQY"}`},
		{"POST", "/v1/verify", `{"key":"` + strings.Repeat("\\u0000", 100) + `"}`},
		{"GET", "/v1/auth?resource=/&role=admin", ""},
		{"GET", "/v1/auth/x?resource=/&role=admin", ""},
		{"POST", "/v1/verify", `null`},
		{"POST", "/v1/verify", `{"key":"a","k\u0065y":"b"}`},
		{"POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/acme","RESOURCE":"/"}],"meta":{"a":"}\"{"}}`},
		{"GET", "/v1/keys/sk_%0A" + strings.Repeat("A", 38), ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.body)
	}
	e := newEnv(f, server.Options{MaxTTL: 90 * keys.Day})
	h := server.New(e.st, server.Options{MaxTTL: 90 * keys.Day})
	f.Fuzz(func(t *testing.T, method, target, body string) {
		switch method {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			return
		}
		if !strings.HasPrefix(target, "/") {
			return
		}
		req, err := http.NewRequest(method, "http://keyward"+target, strings.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		req.Header.Set("Authorization", "Bearer "+e.root)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, target, body, rec.Code, rec.Body.String())
		}
	})
}
