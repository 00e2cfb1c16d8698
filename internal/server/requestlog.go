package server

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// logRequest writes the request's line, or counts it into the summary.
func (s *server) logRequest(r *http.Request, sw *statusWriter, took time.Duration) {
	if sw.info.verified && s.summary != nil {
		s.summary.add(r.URL.Path == "/v1/verify", took)
		return
	}
	ctx := r.Context()
	if !s.log.Enabled(ctx, slog.LevelInfo) {
		return // nor redact a URL no one will read
	}
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs,
		slog.String("method", r.Method),
		slog.Any("path", uriForLog{r.URL.EscapedPath(), r.URL.RawQuery}),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(took.Microseconds())/1000),
		slog.Int("bytes", sw.bytes),
		slog.String("remote", clientIP(r)),
	)
	if sw.info.actor != "" {
		attrs = append(attrs, slog.String("actor", sw.info.actor))
	}
	if sw.info.denied != "" {
		attrs = append(attrs, slog.String("denied", sw.info.denied))
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

// uriForLog is a request's path and query, redacted when the line is
// formatted: by the asynchronous log's own goroutine, off the request's.
type uriForLog struct{ path, rawQuery string }

func (u uriForLog) LogValue() slog.Value {
	return slog.StringValue(redactedPathQuery(u.path, u.rawQuery))
}

// summary counts successful verifications between two "verified" lines.
type summary struct {
	auth, verify atomic.Int64
	maxMicros    atomic.Int64
	mu           sync.Mutex // one writer of a line at a time
	since        time.Time
}

func newSummary(now time.Time) *summary { return &summary{since: now} }

func (m *summary) add(verify bool, took time.Duration) {
	if verify {
		m.verify.Add(1)
	} else {
		m.auth.Add(1)
	}
	us := took.Microseconds()
	for cur := m.maxMicros.Load(); us > cur && !m.maxMicros.CompareAndSwap(cur, us); cur = m.maxMicros.Load() {
	}
}

// flushSummary writes the verifications counted since the last line, if
// any: Run calls it every SummaryEvery and once more at shutdown, after
// the last request.
func (h *handler) flushSummary() {
	m := h.s.summary
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := h.s.now()
	auth, verify, max := m.auth.Swap(0), m.verify.Swap(0), m.maxMicros.Swap(0)
	since := m.since
	m.since = now
	if auth == 0 && verify == 0 {
		return
	}
	h.s.log.LogAttrs(context.Background(), slog.LevelInfo, "verified",
		slog.Int64("auth_204", auth),
		slog.Int64("verify_valid", verify),
		slog.Float64("max_duration_ms", float64(max)/1000),
		slog.Time("since", since),
		slog.Float64("seconds", now.Sub(since).Seconds()),
	)
}

// summaryEvery is how often Run writes the summary; 0 when h keeps none.
func summaryEvery(h http.Handler) (func(), time.Duration) {
	if a, ok := h.(*handler); ok && a.s.summary != nil {
		return a.flushSummary, a.s.opts.SummaryEvery
	}
	return nil, 0
}
