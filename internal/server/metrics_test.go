package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
	"github.com/keyward/keyward/internal/store"
)

// metricsEnv is env with metrics, served on the API (behind an operator
// key) when onAPI, fed by the real store's counters.
func metricsEnv(t *testing.T, onAPI bool) (*env, *server.Metrics) {
	var st *store.Store
	m := server.NewMetrics(server.MetricsOptions{
		Version: "1.2.3", Commit: "abc123",
		Store: func() server.StoreStats {
			s := st.Stats()
			return server.StoreStats{CacheHits: s.CacheHits, CacheMisses: s.CacheMisses, CacheFlushes: s.CacheFlushes, DatabaseErrors: s.DatabaseErrors}
		},
		LogDropped: func() int64 { return 7 },
	})
	e := newEnv(t, server.Options{Metrics: m, MetricsOnAPI: onAPI})
	st = e.st
	return e, m
}

// scrape parses what h serves at /metrics with Prometheus's own text
// parser.
func scrape(t *testing.T, h http.Handler, token string) map[string]*dto.MetricFamily {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("parsing the scrape: %v\n%s", err, rec.Body)
	}
	return fams
}

// value is the counter, gauge or histogram count of name whose labels
// include want (name=value pairs); -1 when there is no such series.
func value(fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
series:
	for _, m := range f.GetMetric() {
		for i := 0; i < len(want); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == want[i] && l.GetValue() == want[i+1] {
					found = true
				}
			}
			if !found {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

func TestMetricsMoveWithVerificationsChangesAndTheCache(t *testing.T) {
	e, m := metricsEnv(t, false)
	h := m.Handler()
	before := scrape(t, h, "")
	for _, route := range []string{"/v1/auth", "/v1/verify"} {
		for _, code := range []string{"VALID", "NOT_FOUND"} {
			if v := value(before, "keyward_verifications_total", "route", route, "code", code); v != 0 {
				t.Fatalf("%s %s before any request: %v, want a series at 0", route, code, v)
			}
		}
	}
	if v := value(before, "keyward_build_info", "version", "1.2.3", "commit", "abc123", "goversion", runtime.Version()); v != 1 {
		t.Fatalf("build info: %v", v)
	}
	if v := value(before, "keyward_log_dropped_lines_total"); v != 7 {
		t.Fatalf("dropped log lines: %v", v)
	}

	k := e.do("POST", "/v1/keys", e.root, createBody("svc", "/acme/prod", "editor")).want(t, http.StatusCreated).newSecret(t)
	unknown, _ := keys.NewSecret("sk")
	// Three valid checks on each route: the cache starts on the second
	// verification and answers the later ones.
	for range 3 {
		e.do("GET", "/v1/auth?resource=/acme/prod", k.Secret, nil).want(t, http.StatusNoContent)
		e.do("POST", "/v1/verify", "", map[string]string{"key": k.Secret, "resource": "/acme/prod"}).want(t, http.StatusOK)
	}
	e.do("GET", "/v1/auth?resource=/acme/prod", unknown, nil).want(t, http.StatusUnauthorized)
	e.do("GET", "/v1/auth?resource=/acme/prod", "", nil).want(t, http.StatusUnauthorized)
	e.do("POST", "/v1/verify", "", map[string]string{"key": unknown}).want(t, http.StatusOK)
	e.do("GET", "/v1/auth?resource=/acme/prod&Role=admin", k.Secret, nil).want(t, http.StatusForbidden)

	after := scrape(t, h, "")
	for _, c := range []struct {
		route, code string
		n           float64
	}{
		{"/v1/auth", "VALID", 3}, {"/v1/auth", "NOT_FOUND", 1}, {"/v1/auth", "NO_KEY", 1}, {"/v1/auth", "ERROR", 1},
		{"/v1/verify", "VALID", 3}, {"/v1/verify", "NOT_FOUND", 1},
	} {
		if v := value(after, "keyward_verifications_total", "route", c.route, "code", c.code); v != c.n {
			t.Errorf("verifications %s %s: %v, want %v", c.route, c.code, v, c.n)
		}
	}
	if v := value(after, "keyward_key_changes_total", "action", "create"); v != 1 {
		t.Errorf("creates: %v, want 1", v)
	}
	if v := value(after, "keyward_key_changes_total", "action", "delete"); v != 0 {
		t.Errorf("deletes: %v, want 0", v)
	}
	if v := value(after, "keyward_request_duration_seconds", "method", "GET", "route", "/v1/auth"); v != 6 {
		t.Errorf("GET /v1/auth latencies observed: %v, want 6", v)
	}
	if v := value(after, "keyward_request_duration_seconds", "method", "POST", "route", "/v1/keys"); v != 1 {
		t.Errorf("POST /v1/keys latencies observed: %v, want 1", v)
	}
	hits := value(after, "keyward_verify_cache_hits_total")
	misses := value(after, "keyward_verify_cache_misses_total")
	if hits < 1 || misses < 1 {
		t.Errorf("cache: %v hits, %v misses; want a hit after the misses", hits, misses)
	}
	if v := value(after, "keyward_database_errors_total"); v != 0 {
		t.Errorf("database errors: %v", v)
	}
	if value(after, "go_goroutines") < 1 {
		t.Error("no Go runtime metrics")
	}
	// The API's address does not serve them when they have a listener of
	// their own.
	e.do("GET", "/metrics", e.root, nil).wantError(t, http.StatusNotFound, keys.NoRoute)
}

// No label value is a key, a key's name or a secret: the scrape holds
// none of those after they were used.
func TestMetricsHoldNoSecretsOrNames(t *testing.T) {
	e, m := metricsEnv(t, false)
	k := e.do("POST", "/v1/keys", e.root, createBody("payments-svc", "/acme/prod", "editor")).want(t, http.StatusCreated).newSecret(t)
	e.do("GET", "/v1/auth?resource=/acme/prod", k.Secret, nil).want(t, http.StatusNoContent)
	e.do("GET", "/v1/keys/"+k.ID, e.root, nil).want(t, http.StatusOK)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, s := range []string{k.Secret, k.ID, "payments-svc", e.root, "/acme"} {
		if strings.Contains(body, s) {
			t.Errorf("the scrape holds %q", s)
		}
	}
}

// On the API's address /metrics answers 200 without an operator key, as
// DESIGN.md's API table has it and as a scraper expects; a token sent
// anyway, even a wrong one, changes nothing.
func TestMetricsOnTheAPINeedNoOperatorKey(t *testing.T) {
	e, _ := metricsEnv(t, true)
	scoped := e.local("acme-viewer", "/acme", keys.Admin)
	for _, token := range []string{"", "sk_wrong", scoped.Secret} {
		fams := scrape(t, e.srv.Config.Handler, token)
		if value(fams, "keyward_build_info") != 1 {
			t.Fatalf("token %q: no build info in the scrape", token)
		}
	}
}
