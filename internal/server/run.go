package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"

	"github.com/keyward/keyward/internal/keys"
)

// RunConfig is how Run serves a handler.
type RunConfig struct {
	Addr     string // host:port; port 0 picks a free one
	CertFile string // both or neither: TLS
	KeyFile  string
	Handler  http.Handler
	Logger   *slog.Logger // server errors (bad TLS handshakes...); nil discards
	// OnListen is called once the socket is open, with the URL it serves
	// (the real port when Addr asked for 0).
	OnListen func(url string)
	// ShutdownTimeout bounds the wait for requests in flight once ctx is
	// done; 0 is 15s, longer than a request may spend reading its body, so
	// that a slow client cannot make a clean stop fail.
	ShutdownTimeout time.Duration
	// MaxConns caps the connections held at once; 0 is DefaultMaxConns.
	MaxConns int
}

// MaxHeaderBytes bounds a request's headers: what nginx (4 x 8 KiB
// buffers) and Caddy (examples/caddy caps it at this) let through to an
// auth check, so that a valid key with large headers is not refused here
// with a 431, which nginx turns into a 500 for its caller.
const MaxHeaderBytes = 64 << 10

// Run serves until ctx is done (serve cancels it on SIGINT/SIGTERM), then
// shuts down gracefully: no new connections, requests in flight get
// ShutdownTimeout to finish. It returns nil after a clean shutdown.
func Run(ctx context.Context, cfg RunConfig) error {
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return keys.Errorf(keys.Invalid, "--tls-cert and --tls-key go together: give both or neither")
	}
	if err := CheckAddr(cfg.Addr); err != nil {
		return err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	maxConns := cfg.MaxConns
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	guard := newIdleGuard(maxConns)
	srv := &http.Server{
		Handler: cfg.Handler,
		// The timeouts nest: reading a request (10s) ends before a
		// shutdown gives up (15s); a handler's work (RequestTimeout, 8s)
		// ends while its answer can still be written (30s), so a change
		// is never made for a client that can no longer be told. A new
		// connection that sends nothing is closed after 5s (the header
		// timeout runs from the start); between requests a client may stay
		// 30s, and not at all while the server is full (idleGuard).
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ConnState:         guard.connState,
	}
	scheme := "http"
	if cfg.CertFile != "" {
		// Load now so that a bad file is a clear error before listening.
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return keys.Errorf(keys.Invalid, "cannot load the TLS certificate and key: %v", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return keys.Errorf(keys.Unavailable, "cannot listen on %s: %v", cfg.Addr, err)
	}
	ln = netutil.LimitListener(ln, maxConns)
	if cfg.OnListen != nil {
		cfg.OnListen(scheme + "://" + ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	flush, every := summaryEvery(cfg.Handler)
	if flush != nil {
		// After Shutdown, once no request can add to it: the last summary.
		defer flush()
		t := time.NewTicker(every)
		defer t.Stop()
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-t.C:
					flush()
				case <-stop:
					return
				}
			}
		}()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	timeout := cfg.ShutdownTimeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return keys.Errorf(keys.Unavailable, "shutdown: requests still running after %s were cut off", timeout)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
