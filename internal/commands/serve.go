package commands

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
	"github.com/keyward/keyward/internal/store"
)

// ServeOptions is everything `serve` needs; tests fill it directly.
type ServeOptions struct {
	IO       *iostreams.IOStreams
	Settings func() (*config.Settings, error)
	Addr     string
	TLSCert  string
	TLSKey   string
	MaxTTL   keys.Duration // 0 = no cap
	// JWT keys (serve_jwt.go).
	JWT serveJWT
	// MetricsAddr serves /metrics on a listener of its own, open; ""
	// serves them on Addr (open there too).
	MetricsAddr string
	// TrustedProxies are the gateways whose X-Forwarded-For/X-Real-IP
	// name a /v1/auth caller's address (--trusted-proxy).
	TrustedProxies keys.AllowList
	// RateLimitShare is how many servers share the keys' rate limits.
	RateLimitShare int
}

// authFailuresPerMinute is how many failed operator authentications one
// client address may make per minute before it is answered 429.
const authFailuresPerMinute = 60

func NewCmdServe(f *Factory, runF func(*ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: f.IO, Settings: f.Settings}
	var maxTTL durationFlag
	var trusted []string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the management API over a database",
		Long: `Serve the HTTP management API (described at /v1/openapi.json) over the
database given by --db (default $XDG_DATA_HOME/keyward/keyward.db).

Operators authenticate with an operator key as "Authorization: Bearer".
Make the first admin key directly on the database:

  keyward --db server.db keys create root --role admin --resource /

Services verify keys with POST /v1/verify. Gateways check keys with
GET /v1/auth?resource=&role= (nginx auth_request, Traefik ForwardAuth,
Caddy forward_auth) or, for Envoy ext_authz, any method on /v1/auth/...
with the resource in an X-Keyward-Resource header (required there).
Request logs go to stderr, buffered and written by a goroutine of their
own (flushed every 100ms and at shutdown): one line per request, except
successful verifications (/v1/auth answered 204, /v1/verify VALID), which
are summed up in one "verified" line every 10s with their counts. Every
denial and error keeps its own line; no line ever holds a secret. When the
log cannot keep up, lines are dropped rather than delaying requests, and
the next line says how many (dropped_log_lines=N).
SIGINT or SIGTERM shut down gracefully, writing out every queued line.

Prometheus metrics (keyward_*) are served at /metrics, without
authentication, as exporters serve them: on --addr, or with --metrics-addr
on a listener of their own (for a scraper on a private network) and not
on --addr. No metric holds a key, a key's name, a resource or a secret.

Key policies: a key with an IP allow-list verifies only from an address
in it. On /v1/auth the address is the connection's, or, when the
connection comes from a --trusted-proxy, the rightmost address of
X-Forwarded-For that is not a trusted proxy (else X-Real-IP; with
both, only if they name the same caller); such headers from any other
peer are ignored. Rate limits (keys create
--rate-limit) are counted in this server's memory, exactly; a key past
its limit is RATE_LIMITED (/v1/auth 429 with Retry-After, or 403 with
X-Keyward-Code: RATE_LIMITED when asked by ?rate_limited_status=403, for
nginx). Behind a load balancer, --rate-limit-share N makes each of N
servers allow ⌈limit/N⌉, so that together they allow at most the limit
plus N-1 a period.`,
		Example: `  keyward --db /var/lib/keyward/keys.db serve --addr 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem --max-ttl 90d`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.MaxTTL = maxTTL.d
			opts.JWT.MaxTTL = opts.JWT.maxTTL.d
			if (opts.TLSCert == "") != (opts.TLSKey == "") {
				return usageErrorf("--tls-cert and --tls-key go together: give both or neither")
			}
			if err := server.CheckAddr(opts.Addr); err != nil {
				return usageErrorf("--addr: %s", keys.ErrorMessage(err))
			}
			if opts.MetricsAddr != "" {
				if err := server.CheckAddr(opts.MetricsAddr); err != nil {
					return usageErrorf("--metrics-addr: %s", keys.ErrorMessage(err))
				}
				if opts.MetricsAddr == opts.Addr && !strings.HasSuffix(opts.Addr, ":0") {
					return usageErrorf("--metrics-addr is --addr: give it another port, or leave it out to serve /metrics on --addr")
				}
			}
			if len(trusted) > 0 {
				var err error
				if opts.TrustedProxies, err = keys.ParseAllowList(trusted); err != nil {
					return usageErrorf("--trusted-proxy: %s", keys.ErrorMessage(err))
				}
				for _, p := range opts.TrustedProxies {
					if p.Bits() == 0 {
						// Maybe meant (a network only the gateways reach), so
						// not refused; but allow-lists then hold only there.
						fmt.Fprintf(cmd.ErrOrStderr(), "warning: --trusted-proxy %s trusts every peer: anyone who reaches keyward directly can name an address in X-Forwarded-For and pass keys' IP allow-lists (give the gateways' addresses)\n", p)
					}
				}
			}
			if opts.RateLimitShare < 1 || opts.RateLimitShare > 1000 {
				return usageErrorf("--rate-limit-share must be from 1 to 1000 (the number of servers sharing the rate limits)")
			}
			if runF != nil {
				return runF(opts)
			}
			return serveRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "address to listen on, HOST:PORT (port 0 picks a free one)")
	cmd.Flags().StringVar(&opts.TLSCert, "tls-cert", "", "PEM certificate file: serve HTTPS (with --tls-key)")
	cmd.Flags().StringVar(&opts.TLSKey, "tls-key", "", "PEM private key file of --tls-cert")
	cmd.Flags().Var(&maxTTL, "max-ttl", "longest key lifetime the server allows; keys without an expiry get it (e.g. 90d)")
	cmd.Flags().StringVar(&opts.MetricsAddr, "metrics-addr", "", "serve /metrics on this HOST:PORT (a private listener) instead of on --addr")
	cmd.Flags().StringArrayVar(&trusted, "trusted-proxy", nil, "a gateway's address or CIDR (repeatable) whose X-Forwarded-For/X-Real-IP name the caller's address for IP allow-lists")
	cmd.Flags().IntVar(&opts.RateLimitShare, "rate-limit-share", 1, "how many servers share the keys' rate limits: each allows ⌈limit/N⌉")
	noFileFlags(cmd, "addr", "max-ttl", "metrics-addr", "trusted-proxy", "rate-limit-share")
	opts.JWT.addFlags(cmd)
	return cmd
}

func serveRun(ctx context.Context, opts *ServeOptions) (err error) {
	s, err := opts.Settings()
	if err != nil {
		return err
	}
	db := s.DB
	if db == "" {
		if s.Server != "" {
			return usageErrorf("serve serves a database, but the settings name the server %s: give --db PATH", s.Server)
		}
		db = config.DefaultDBPath()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, err := store.Open(ctx, db, store.Options{CreateFolder: db == config.DefaultDBPath(), Signing: opts.JWT.signing()})
	if err != nil {
		return err
	}
	defer st.Close()

	// Off the requests' goroutines: formatting and a write(2) per request
	// were a sixth of a gateway check (issue 8).
	alog := server.NewAsyncLog(opts.IO.ErrOut, func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }, server.AsyncLogOptions{})
	defer alog.Close()
	logger := slog.New(alog)
	if st.Created() {
		logger.Info("created a new keyward database", "path", db)
	}
	metrics := server.NewMetrics(server.MetricsOptions{
		Version: Version, Commit: buildCommit(),
		Store: func() server.StoreStats {
			s := st.Stats()
			return server.StoreStats{CacheHits: s.CacheHits, CacheMisses: s.CacheMisses, CacheFlushes: s.CacheFlushes, DatabaseErrors: s.DatabaseErrors}
		},
		LogDropped: alog.Dropped,
	})
	// Fewer collections of a small heap (issue 8); GOGC and GOMEMLIMIT,
	// when set, win.
	defer server.PaceGC(os.Getenv)()
	handler := server.New(st, server.Options{
		MaxTTL:                time.Duration(opts.MaxTTL),
		MaxJWTTTL:             time.Duration(opts.JWT.MaxTTL),
		Logger:                logger,
		AuthFailuresPerMinute: authFailuresPerMinute,
		SummaryEvery:          10 * time.Second,
		Metrics:               metrics,
		MetricsOnAPI:          opts.MetricsAddr == "",
		TrustedProxies:        opts.TrustedProxies,
		RateLimitShare:        opts.RateLimitShare,
	})
	if opts.MetricsAddr != "" {
		// Either listener failing stops both: a server whose metrics
		// cannot be served would be scraped as down anyway.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics.Handler())
		metricsDone := make(chan error, 1)
		go func() {
			metricsDone <- server.Run(ctx, server.RunConfig{
				Addr:    opts.MetricsAddr,
				Handler: mux,
				Logger:  logger,
				OnListen: func(url string) {
					fmt.Fprintf(opts.IO.ErrOut, "keyward: metrics on %s/metrics\n", url)
				},
			})
			cancel()
		}()
		defer func() {
			// The API's listener has stopped, by a signal or by failing to
			// listen: stop the metrics one before waiting for it.
			cancel()
			if merr := <-metricsDone; merr != nil && err == nil {
				err = merr
			}
		}()
	}
	return server.Run(ctx, server.RunConfig{
		Addr:     opts.Addr,
		CertFile: opts.TLSCert,
		KeyFile:  opts.TLSKey,
		Handler:  handler,
		Logger:   logger,
		OnListen: func(url string) {
			fmt.Fprintf(opts.IO.ErrOut, "keyward: serving on %s\n", url)
			if opts.TLSCert == "" && !loopback(opts.Addr) {
				fmt.Fprintf(opts.IO.ErrOut, "keyward: warning: no TLS on a non-loopback address: operator keys travel in clear text (use --tls-cert and --tls-key, or a TLS proxy)\n")
			}
			logger.Info("serving", "url", url, "db", shownDB(db), "max_ttl", maxTTLText(opts.MaxTTL))
		},
	})
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// shownDB is the database as the log shows it: a PostgreSQL URL without
// its query, where settings such as sslpassword can be (the store's own
// messages show it so too).
// A URL that does not parse is not shown at all: where its password or
// query would be cannot be told.
func shownDB(db string) string {
	scheme, _, isURL := strings.Cut(db, "://")
	if !isURL || !strings.EqualFold(scheme, "postgres") && !strings.EqualFold(scheme, "postgresql") {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return scheme + "://(a URL that does not parse)"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.Redacted()
}

func maxTTLText(d keys.Duration) string {
	if d == 0 {
		return "none"
	}
	return d.String()
}
