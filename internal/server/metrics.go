package server

import (
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/keyward/keyward/internal/keys"
)

// Metrics are `keyward serve`'s Prometheus metrics. Every series a
// request moves is made here, once, and kept by route index: a request
// pays an atomic add and a histogram observation, no label lookup, map
// or allocation (the verification path is a few microseconds). No label
// holds a key, a key's name or anything a caller chose: the values are
// the route table's, verification codes and actions, a bounded set.
type Metrics struct {
	reg    *prometheus.Registry
	routes []routeMetrics // 0: a request no route answered; i+1: routes[i]
}

// MetricsOptions are what the metrics read from outside the server.
type MetricsOptions struct {
	Version, Commit string
	// Store reports the backend's counters; nil exports none.
	Store func() StoreStats
	// LogDropped is the request log's dropped lines (AsyncLog.Dropped);
	// nil exports none.
	LogDropped func() int64
}

// StoreStats are a backend's counters (store.Stats).
type StoreStats struct {
	CacheHits, CacheMisses, CacheFlushes, DatabaseErrors uint64
}

type routeMetrics struct {
	latency prometheus.Observer
	change  prometheus.Counter                    // nil: not a change
	verify  *[len(verifyCodes)]prometheus.Counter // nil: not a verification
}

// verifyCodes label keyward_verifications_total: the answers of
// verification, then a gateway check without a key, then a request that
// got no answer (a malformed check, a backend that could not decide).
var verifyCodes = [...]keys.VerifyCode{
	keys.CodeValid, keys.CodeNotFound, keys.CodeDisabled, keys.CodeExpired, keys.CodeIPNotAllowed,
	keys.CodeInsufficientPermissions, keys.CodeRateLimited, codeNoKey, codeError,
}

const (
	codeNoKey keys.VerifyCode = "NO_KEY"
	codeError keys.VerifyCode = "ERROR"
)

// changeActions name the management calls that change keys.
var changeActions = map[string]string{
	"POST /v1/keys":                "create",
	"PATCH /v1/keys/{key}":         "update",
	"DELETE /v1/keys/{key}":        "delete",
	"POST /v1/keys/delete":         "bulk_delete",
	"POST /v1/keys/{key}/roll":     "roll",
	"PUT /v1/keys/{key}/grants":    "grant",
	"DELETE /v1/keys/{key}/grants": "ungrant",
}

// latencyBuckets span a cached verification (tens of microseconds) to a
// write that waited out the busy timeout (seconds): the default buckets
// start at 5ms, where every verification would fall in the first.
var latencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// NewMetrics makes the metrics of a server, in a registry of their own
// (with Go's runtime and the process's metrics beside them).
func NewMetrics(o MetricsOptions) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{reg: reg}

	verifications := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keyward_verifications_total",
		Help: "Verifications answered, by route (/v1/auth for every gateway check, /v1/verify) and code (VALID, NOT_FOUND, DISABLED, EXPIRED, IP_NOT_ALLOWED, INSUFFICIENT_PERMISSIONS, RATE_LIMITED; NO_KEY: a gateway check without a bearer key; ERROR: no answer, a malformed check or a backend that could not decide).",
	}, []string{"route", "code"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "keyward_request_duration_seconds",
		Help:    "Time to answer a request, by route as the API table names it (other: no route matched).",
		Buckets: latencyBuckets,
	}, []string{"method", "route"})
	changes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keyward_key_changes_total",
		Help: "Management calls that changed keys, by action (bulk_delete counts calls, not keys).",
	}, []string{"action"})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "keyward_build_info",
		Help: "Always 1: the version, commit and Go version of the running binary.",
	}, []string{"version", "commit", "goversion"})
	reg.MustRegister(verifications, latency, changes, build)
	build.WithLabelValues(o.Version, o.Commit, runtime.Version()).Set(1)

	byRoute := map[string]*[len(verifyCodes)]prometheus.Counter{}
	for _, route := range []string{"/v1/auth", "/v1/verify"} {
		var cs [len(verifyCodes)]prometheus.Counter
		for i, c := range verifyCodes {
			cs[i] = verifications.WithLabelValues(route, string(c))
		}
		byRoute[route] = &cs
	}
	for _, action := range changeActions {
		changes.WithLabelValues(action) // exported at 0 before the first change
	}
	m.routes = make([]routeMetrics, len(routes)+1)
	m.routes[0] = routeMetrics{latency: latency.WithLabelValues("ANY", "other")}
	for i, rt := range routes {
		method := rt.method
		if method == "" {
			method = "ANY"
		}
		rm := routeMetrics{latency: latency.WithLabelValues(method, rt.path)}
		if a, ok := changeActions[rt.method+" "+rt.path]; ok {
			rm.change = changes.WithLabelValues(a)
		}
		switch {
		case rt.path == "/v1/verify":
			rm.verify = byRoute["/v1/verify"]
		case rt.path == "/v1/auth" || rt.path == "/v1/auth/{path...}":
			rm.verify = byRoute["/v1/auth"]
		}
		m.routes[i+1] = rm
	}

	if o.Store != nil {
		counter := func(name, help string, v func(StoreStats) uint64) prometheus.Collector {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
				func() float64 { return float64(v(o.Store())) })
		}
		reg.MustRegister(
			counter("keyward_verify_cache_hits_total", "Verifications answered from the verification cache, without a database read (a remembered unknown key too).",
				func(s StoreStats) uint64 { return s.CacheHits }),
			counter("keyward_verify_cache_misses_total", "Verifications that read the database.",
				func(s StoreStats) uint64 { return s.CacheMisses }),
			counter("keyward_verify_cache_flushes_total", "Times a change emptied the verification cache.",
				func(s StoreStats) uint64 { return s.CacheFlushes }),
			counter("keyward_database_errors_total", "Calls the database failed (locked past the busy timeout, connection lost, no answer in time, unexpected errors); refusals such as a taken name are not counted.",
				func(s StoreStats) uint64 { return s.DatabaseErrors }),
		)
	}
	if o.LogDropped != nil {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "keyward_log_dropped_lines_total",
			Help: "Request log lines dropped because the log could not keep up.",
		}, func() float64 { return float64(o.LogDropped()) }))
	}
	return m
}

// Handler serves the metrics in Prometheus's text format, unauthenticated,
// as exporters do: at /metrics on the API's address (Options.MetricsOnAPI)
// or on a listener of their own (serve --metrics-addr). No series holds a
// key, a key's name, a resource or a secret.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// observe records a request once it is answered.
func (m *Metrics) observe(info *requestInfo, status int, took time.Duration) {
	rm := &m.routes[info.route]
	rm.latency.Observe(took.Seconds())
	if rm.change != nil && status >= 200 && status < 300 {
		rm.change.Inc()
	}
	if rm.verify != nil {
		rm.verify[verifyCodeIndex(info.code)].Inc()
	}
}

func verifyCodeIndex(c keys.VerifyCode) int {
	for i, v := range verifyCodes {
		if c == v {
			return i
		}
	}
	return len(verifyCodes) - 1 // ERROR
}
