package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/keyward/keyward/internal/keys"
)

// Every way a connection to the database can be lost is Unavailable (503,
// exit 6: try again), never an internal error.
func TestLostConnectionErrorsAreUnavailable(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("begin: %w", pgconn.ErrConnClosed),
		io.EOF,
		fmt.Errorf("failed to receive message: %w", io.ErrUnexpectedEOF),
		&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)},
		fmt.Errorf("write failed: %w", syscall.EPIPE),
		fmt.Errorf("%w", syscall.ECONNABORTED),
		net.ErrClosed,
		sql.ErrConnDone,
		driver.ErrBadConn,
	} {
		if got := postgresErr(err); keys.ErrorCode(got) != keys.Unavailable {
			t.Errorf("%v: %v (%s), want unavailable", err, got, keys.ErrorCode(got))
		}
	}
}

// TestPostgresConnClosedIsUnavailable: pgx's "conn closed" (a statement
// or a commit on a connection pgx has already found dead, as a restart
// under load leaves them) is Unavailable.
func TestPostgresConnClosedIsUnavailable(t *testing.T) {
	u := pgDatabase(t)
	s := openPGAt(t, u, Options{})

	// pgx's own error, from a connection it has closed.
	conn, err := pgconn.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	_, err = conn.Exec(ctx, "SELECT 1").ReadAll()
	if got := postgresErr(err); keys.ErrorCode(got) != keys.Unavailable {
		t.Errorf("a closed pgx connection: %v (%s), want unavailable", got, keys.ErrorCode(got))
	}

	// A commit after the server ended the session: the statement that
	// met the end made pgx close the connection; the commit finds it so.
	err = s.write(local(ctx), func(t *txn) error {
		var pid int
		if err := t.queryRow(t.ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			return err
		}
		var gone bool
		if err := pgAdmin.QueryRowContext(context.Background(), "SELECT pg_terminate_backend($1, 10000)", pid).Scan(&gone); err != nil || !gone {
			return fmt.Errorf("terminate the backend: %v", err)
		}
		// Its error dropped, as an optional statement's may be.
		_, _ = t.exec(t.ctx, "SELECT 1")
		return nil
	})
	if keys.ErrorCode(err) != keys.Unavailable {
		t.Fatalf("commit on a lost connection: %v (%s), want unavailable", err, keys.ErrorCode(err))
	}
	// And the store goes on with a new connection.
	mustCreate(t, s, "k", "/acme")
}

// TestPostgresCrashUnderLoadIsUnavailable: connections reset under
// concurrent writes and reads (a crash, a failover) make calls
// Unavailable at worst, and the store goes on.
func TestPostgresCrashUnderLoadIsUnavailable(t *testing.T) {
	proxy, u := startProxy(t, pgDatabase(t))
	s := openPGAt(t, u, Options{})
	k := mustCreate(t, s, "k", "/acme")
	var done atomic.Int64
	errs := make(chan error, 1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				for _, call := range []func() error{
					func() error {
						_, err := s.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("g%d-%d", g, i), Grants: grants("/acme")})
						return err
					},
					func() error { _, err := s.List(local(ctx), keys.ListFilter{}); return err },
					func() error { _, err := s.Verify(ctx, keys.VerifyRequest{Secret: k.Secret}); return err },
					func() error { _, err := s.Audit(local(ctx), keys.AuditFilter{}); return err },
				} {
					if err := call(); err != nil && keys.ErrorCode(err) != keys.Unavailable {
						select {
						case errs <- err:
						default:
						}
					}
					done.Add(1)
				}
			}
		}()
	}
	for range 10 {
		// a cut every 20 calls or so, whatever the machine's speed
		// (polled, not spun: a spinning loop takes one of a small
		// machine's cores from the calls it waits for)
		for start := done.Load(); done.Load() < start+20; {
			time.Sleep(time.Millisecond)
		}
		proxy.cut()
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("a call on lost connections: %v (%s), want unavailable", err, keys.ErrorCode(err))
	default:
	}
	// The last cut may have broken a pooled connection that the next call
	// meets (Unavailable, failed 1 CI run in 5): recovery, not the very
	// next call, is what is promised.
	if c := codeOnceUp(t, s, k.Secret); c != keys.CodeValid {
		t.Fatalf("verify after the crashes: %s", c)
	}
}
