package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/keys/keystest"
	"github.com/keyward/keyward/internal/server"
	"github.com/keyward/keyward/internal/testenv"
)

func textHandler(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }

// signalWriter tells when something was written.
type signalWriter struct {
	testenv.Buffer
	wrote chan struct{}
}

func (s *signalWriter) Write(p []byte) (int, error) {
	n, err := s.Buffer.Write(p)
	select {
	case s.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func TestAsyncLogWritesWithoutClose(t *testing.T) {
	out := &signalWriter{wrote: make(chan struct{}, 1)}
	a := server.NewAsyncLog(out, textHandler, server.AsyncLogOptions{FlushEvery: time.Millisecond})
	defer a.Close()
	slog.New(a).Info("hello", "n", 1)
	<-out.wrote // the interval's flush; a hang here is the failure
	if got := out.String(); !strings.Contains(got, "msg=hello n=1") {
		t.Fatalf("log %q", got)
	}
}

func TestAsyncLogCloseWritesEverythingInOrder(t *testing.T) {
	out := &testenv.Buffer{}
	// An interval that never comes within the test: only Close flushes.
	a := server.NewAsyncLog(out, textHandler, server.AsyncLogOptions{FlushEvery: time.Hour})
	l := slog.New(a).With("server", "x")
	for i := range 1000 {
		l.Info("line", "i", i)
	}
	if out.String() != "" {
		t.Fatalf("written before a flush: %q", out.String()[:80])
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1000 {
		t.Fatalf("%d lines after Close, want 1000", len(lines))
	}
	for i, line := range lines {
		if !strings.HasSuffix(line, fmt.Sprintf("msg=line server=x i=%d", i)) {
			t.Fatalf("line %d: %q", i, line)
		}
	}
	l.Info("after close") // written at once, not lost
	if !strings.Contains(out.String(), "after close") {
		t.Error("a line after Close was lost")
	}
	if a.Dropped() != 0 {
		t.Errorf("Dropped %d", a.Dropped())
	}
}

// gateHandler holds the writing goroutine inside its first record until
// released, so that the queue behind it fills.
type gateHandler struct {
	slog.Handler
	entered, release chan struct{}
}

func (g *gateHandler) Handle(ctx context.Context, r slog.Record) error {
	if g.entered != nil {
		close(g.entered)
		g.entered = nil
		<-g.release
	}
	return g.Handler.Handle(ctx, r)
}

func TestAsyncLogFullQueueDropsAndCounts(t *testing.T) {
	out := &testenv.Buffer{}
	g := &gateHandler{entered: make(chan struct{}), release: make(chan struct{})}
	entered := g.entered
	a := server.NewAsyncLog(out, func(w io.Writer) slog.Handler { g.Handler = slog.NewTextHandler(w, nil); return g },
		server.AsyncLogOptions{Queue: 2, FlushEvery: time.Hour})
	l := slog.New(a)
	l.Info("first")
	<-entered // the writer holds "first"; the queue is empty
	done := make(chan struct{})
	go func() { // a full queue must not block the caller
		defer close(done)
		for i := range 5 {
			l.Info("next", "i", i)
		}
	}()
	<-done
	if got := a.Dropped(); got != 3 {
		t.Fatalf("Dropped %d, want 3 (a queue of 2 behind a busy writer, 5 lines)", got)
	}
	close(g.release)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"msg=first", "msg=next i=0 dropped_log_lines=3", "msg=next i=1"}
	if len(lines) != len(want) {
		t.Fatalf("lines:\n%s", out.String())
	}
	for i, w := range want {
		if !strings.HasSuffix(lines[i], w) {
			t.Errorf("line %d %q, want it to end %q", i, lines[i], w)
		}
	}
}

// The server's request log through the asynchronous handler, as `keyward
// serve` runs it: successful verifications summed up, every denial and
// error with its own line, fields in their order, nothing lost at
// shutdown, no secret anywhere.
func TestRequestLogThroughAsyncLog(t *testing.T) {
	out := &testenv.Buffer{}
	a := server.NewAsyncLog(out, textHandler, server.AsyncLogOptions{FlushEvery: time.Hour})
	e := newEnv(t, server.Options{})
	k := e.local("svc", "/acme/prod", keys.Editor)
	h := server.New(e.st, server.Options{Logger: slog.New(a), SummaryEvery: time.Hour, Now: e.clock.Now})

	ctx, cancel := context.WithCancel(context.Background())
	urlc := make(chan string, 1)
	runErr := make(chan error, 1)
	go func() {
		runErr <- server.Run(ctx, server.RunConfig{Addr: "127.0.0.1:0", Handler: h, OnListen: func(u string) { urlc <- u }})
	}()
	base := <-urlc
	get := func(path, token string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	post := func(body string) {
		t.Helper()
		res, err := http.Post(base+"/v1/verify", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	for range 7 {
		if s := get("/v1/auth?resource=/acme/prod/app&role=editor", k.Secret); s != http.StatusNoContent {
			t.Fatalf("auth %d", s)
		}
	}
	for range 3 {
		post(`{"key":"` + k.Secret + `","resource":"/acme/prod"}`)
	}
	post(`{"key":"` + k.Secret + `","resource":"/other"}`) // INSUFFICIENT_PERMISSIONS: its own line
	if s := get("/v1/auth?resource=/other&role=editor", k.Secret); s != http.StatusForbidden {
		t.Fatalf("forbidden auth %d", s)
	}
	if s := get("/v1/auth?resource=/acme/prod", keystest.WrongLast(k.Secret)); s != http.StatusUnauthorized {
		t.Fatalf("denied auth %d", s)
	}
	// A secret where a name belongs: redacted in the line.
	get("/v1/keys/"+k.Secret, e.root)

	cancel()
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	logs := out.String()
	for _, s := range []string{k.Secret, e.root, k.Secret[3 : 3+32]} {
		if strings.Contains(logs, s) {
			t.Fatalf("a secret in the log:\n%s", logs)
		}
	}
	if !regexp.MustCompile(`msg=verified auth_204=7 verify_valid=3 max_duration_ms=\S+ since=\S+ seconds=`).MatchString(logs) {
		t.Errorf("no summary of 7 + 3 verifications:\n%s", logs)
	}
	var requests []string
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "msg=request ") {
			requests = append(requests, line)
		}
	}
	if len(requests) != 4 {
		t.Fatalf("%d request lines, want 4 (the denials and the get):\n%s", len(requests), logs)
	}
	fields := regexp.MustCompile(`msg=request method=\S+ path=\S+ status=\d+ duration_ms=\S+ bytes=\d+ remote=127\.0\.0\.1`)
	for _, line := range requests {
		if !fields.MatchString(line) {
			t.Errorf("fields out of order: %s", line)
		}
	}
	if !strings.Contains(requests[0], "status=200") || !strings.Contains(requests[1], "status=403") {
		t.Errorf("the verify denial and the 403 are not the first lines:\n%s", strings.Join(requests, "\n"))
	}
	if !strings.Contains(requests[2], "status=401") || !strings.Contains(requests[2], "denied=NOT_FOUND") {
		t.Errorf("the 401 line lacks its reason: %s", requests[2])
	}
	if !strings.Contains(requests[3], "path=/v1/keys/REDACTED") {
		t.Errorf("the secret in the path is not redacted: %s", requests[3])
	}
}
