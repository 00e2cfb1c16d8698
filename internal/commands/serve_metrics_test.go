package commands

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/testenv"
)

// With --metrics-addr, /metrics is served there, open, and not on --addr.
func TestServeMetricsOnTheirOwnListener(t *testing.T) {
	dir := serveEnv(t)
	db := filepath.Join(dir, "server.db")
	root := rootKey(t, db)
	stderr := &testenv.Buffer{}
	base, stop := startServe(t, stderr, "--db", db, "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0")
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()

	get := func(url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := get(base+"/metrics", root.Secret); code != http.StatusNotFound {
		t.Errorf("/metrics on --addr with --metrics-addr: %d, want 404", code)
	}
	// The metrics listener prints its address beside the API's, on a
	// goroutine of its own: wait for the line as startServe does.
	re := regexp.MustCompile(`keyward: metrics on (http://[0-9.]+:[0-9]+)/metrics`)
	m := re.FindStringSubmatch(stderr.String())
	for deadline := time.Now().Add(20 * time.Second); m == nil && time.Now().Before(deadline); m = re.FindStringSubmatch(stderr.String()) {
		time.Sleep(10 * time.Millisecond)
	}
	if m == nil {
		t.Fatalf("no metrics address printed: %s", stderr.String())
	}
	get(base+"/v1/auth", root.Secret)
	code, body := get(m[1]+"/metrics", "")
	if code != http.StatusOK || !strings.Contains(body, `keyward_verifications_total{code="VALID",route="/v1/auth"} 1`) ||
		!strings.Contains(body, "keyward_build_info{") || !strings.Contains(body, "keyward_log_dropped_lines_total 0") {
		t.Fatalf("scrape: %d\n%s", code, body)
	}
	if strings.Contains(body, root.Secret) || strings.Contains(body, root.ID) {
		t.Fatal("the scrape holds the key")
	}
	stopped = true
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d: %s", code, stderr.String())
	}
}

func TestServeMetricsAddrFlag(t *testing.T) {
	serveEnv(t)
	f := NewFactory(nil)
	for _, args := range [][]string{
		{"--metrics-addr", "nonsense"},
		{"--addr", "127.0.0.1:9000", "--metrics-addr", "127.0.0.1:9000"},
	} {
		ios, _, _, _ := iostreams.Test()
		f.IO = ios
		cmd := NewCmdServe(f, func(o *ServeOptions) error { return nil })
		cmd.SetArgs(args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), "--metrics-addr") {
			t.Errorf("%v: %v, want an error naming --metrics-addr", args, err)
		}
	}
}

// When --addr cannot be listened on, serve exits with the listen error even
// though the metrics listener is up: it waited for the metrics listener
// before stopping it, and hung with /metrics still served.
func TestServeExitsWhenAddrFailsBesideMetrics(t *testing.T) {
	dir := serveEnv(t)
	db := filepath.Join(dir, "server.db")
	rootKey(t, db)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	ios, _, _, errOut := iostreams.Test()
	code := Run(context.Background(), ios, []string{"--db", db, "serve", "--addr", taken.Addr().String(), "--metrics-addr", "127.0.0.1:0"})
	if code != ExitUnavailable || !strings.Contains(errOut.String(), "cannot listen on "+taken.Addr().String()) {
		t.Fatalf("serve on a taken --addr: exit %d, stderr %q", code, errOut.String())
	}
}
