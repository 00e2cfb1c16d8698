package store

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// A review of group commit: each test below is a way a batch could differ
// from the same calls run one after another, or a caller could hear
// something other than what the database did.

// A call refused because of a change an earlier call of its batch made
// must not keep that refusal when the commit fails: the change never
// existed, and run serially the call would have been judged on the state
// without it. It hears the commit's failure (try again) instead. A call
// refused with no successful call before it was judged on committed rows:
// its refusal stands.
func TestGroupCommitARefusalOnAChangeNeverCommittedIsNotKept(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		op := mustCreate(t, s, "op", "/acme")
		p, err := s.Authenticate(ctx, op.Secret)
		if err != nil {
			t.Fatal(err)
		}
		asOp := keys.WithPrincipal(ctx, p)
		h := holdWriter(t, s)
		q := newQueue(t, s)
		q.add(create(s, local(ctx), "dup")) // 0: succeeds in the batch
		q.add(create(s, local(ctx), "dup")) // 1: Conflict, on call 0's uncommitted key
		q.add(func() error {                // 2: disables op
			off := false
			_, err := s.Update(local(ctx), "op", keys.UpdateRequest{Enabled: &off})
			return err
		})
		q.add(create(s, asOp, "by-op"))                                 // 3: refused, op disabled by call 2
		q.add(func() error { return s.write(local(ctx), breakCommit) }) // 4: the commit fails
		h.let(t)
		errs := q.wait()
		for i, err := range errs {
			if err == nil {
				t.Errorf("call %d succeeded in a batch whose commit failed", i)
			}
		}
		for _, i := range []int{1, 3} {
			if errs[i] == nil || errs[0] == nil || errs[i].Error() != errs[0].Error() {
				t.Errorf("call %d: %v: a refusal on a change that was never committed (the commit's error: %v)", i, errs[i], errs[0])
			}
		}
		if keyExists(t, s, "dup") || keyExists(t, s, "by-op") {
			t.Fatal("a change of the failed batch was kept")
		}
		// Serially, both would now succeed: the state they were refused on
		// does not exist.
		if err := create(s, local(ctx), "dup")(); err != nil {
			t.Errorf("dup after the failed batch: %v", err)
		}
		if err := create(s, asOp, "by-op")(); err != nil {
			t.Errorf("by-op after the failed batch: %v", err)
		}
	})
}

// A refusal with no successful call before it in the batch was judged on
// committed rows: it stands even when the commit fails.
func TestGroupCommitARefusalOnCommittedRowsStands(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		mustCreate(t, s, "taken", "/acme")
		h := holdWriter(t, s)
		q := newQueue(t, s)
		q.add(create(s, local(ctx), "taken"))
		q.add(create(s, local(ctx), "a"))
		q.add(func() error { return s.write(local(ctx), breakCommit) })
		h.let(t)
		errs := q.wait()
		if c := keys.ErrorCode(errs[0]); c != keys.Conflict {
			t.Errorf("a create of a committed name: %v, want a conflict", errs[0])
		}
		if errs[1] == nil || keyExists(t, s, "a") {
			t.Errorf("a: %v, kept %v", errs[1], keyExists(t, s, "a"))
		}
	})
}

// A call that panics fails alone, and leaves no trace: the calls after it
// in the batch run and are committed, and the writer works on.
func TestGroupCommitAPanickingCallFailsAlone(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		h := holdWriter(t, s)
		q := newQueue(t, s)
		q.add(create(s, local(ctx), "a"))
		q.add(func() error {
			return s.write(local(ctx), func(t *txn) error {
				if err := insertTestKey(t, "half", false); err != nil {
					return err
				}
				panic("half way")
			})
		})
		q.add(create(s, local(ctx), "b"))
		h.let(t)
		errs := q.wait()
		if errs[0] != nil || errs[2] != nil {
			t.Errorf("the calls around the panic: %v, %v", errs[0], errs[2])
		}
		if errs[1] == nil || !strings.Contains(errs[1].Error(), "panicked") {
			t.Errorf("the panicking call: %v", errs[1])
		}
		if keyExists(t, s, "half") || !keyExists(t, s, "a") || !keyExists(t, s, "b") {
			t.Error("the panicking call left a trace, or took the others with it")
		}
		// A lone call that panics: its transaction is rolled back too.
		err := s.write(local(ctx), func(t *txn) error {
			if err := insertTestKey(t, "lone-half", false); err != nil {
				return err
			}
			panic("lone")
		})
		if err == nil || keyExists(t, s, "lone-half") {
			t.Errorf("a lone panicking call: %v, kept %v", err, keyExists(t, s, "lone-half"))
		}
		mustCreate(t, s, "after", "/acme")
	})
}

// A call whose statement fails inside the transaction (on PostgreSQL that
// aborts the transaction) is rolled back to its savepoint before the next
// call runs: the next call's statements work and are committed.
func TestGroupCommitAFailedStatementIsRolledBackBeforeTheNextCall(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		h := holdWriter(t, s)
		q := newQueue(t, s)
		q.add(create(s, local(ctx), "a"))
		q.add(func() error {
			return s.write(local(ctx), func(t *txn) error {
				// A key, then a statement the database refuses: both go.
				if err := insertTestKey(t, "doomed", false); err != nil {
					return err
				}
				_, err := t.exec(t.ctx, "INSERT INTO no_such_table VALUES (1)")
				return err
			})
		})
		q.add(create(s, local(ctx), "b"))
		h.let(t)
		errs := q.wait()
		if errs[0] != nil || errs[1] == nil || errs[2] != nil {
			t.Errorf("outcomes %v", errs)
		}
		if keyExists(t, s, "doomed") || !keyExists(t, s, "a") || !keyExists(t, s, "b") {
			t.Error("the failed call left a trace, or took the others with it")
		}
	})
}

// Closing the store while a batch runs and others wait: every caller hears
// an answer (no hang, no panic), and the runner goroutine ends.
func TestGroupCommitCloseWhileBatchesWait(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		h := holdWriter(t, s)
		q := newQueue(t, s)
		for i := range 5 {
			q.add(create(s, local(ctx), fmt.Sprintf("k%d", i)))
		}
		// Close while the held batch runs: it must not wait for the batch
		// (nor the batch for it).
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		select {
		case <-closed:
		case <-time.After(20 * time.Second):
			t.Fatal("Close waited for a running batch")
		}
		h.let(t)
		for i, err := range q.wait() {
			if err == nil {
				t.Errorf("call %d succeeded on a closed store", i)
			}
		}
		if err := create(s, local(ctx), "late")(); err == nil {
			t.Error("a create on a closed store succeeded")
		}
		waitRunnerGone(t, s)
	})
}

// waitRunnerGone waits until s's batch runner has stopped (a condition,
// not a time).
func waitRunnerGone(t *testing.T, s *Store) {
	t.Helper()
	for {
		s.commits.mu.Lock()
		running := s.commits.running
		s.commits.mu.Unlock()
		if !running {
			return
		}
		select {
		case <-t.Context().Done():
			t.Fatal("the batch runner did not stop")
		default:
			time.Sleep(time.Millisecond)
		}
	}
}

// When the COMMIT reaches PostgreSQL and its answer is lost, the batch may
// be durable: its callers must not hear a plain "try again" (a retried
// create would find its own name taken, a retried roll would roll the key
// a second time and throw away the secret the first one made), but that
// the change may have been applied.
func TestGroupCommitALostCommitAnswerMayHaveBeenApplied(t *testing.T) {
	pgAdminURL(t)
	cut, dbURL := startCommitCutter(t, pgDatabase(t))
	s := openPGAt(t, dbURL, Options{})
	h := holdWriter(t, s)
	q := newQueue(t, s)
	q.add(create(s, local(ctx), "a"))
	q.add(create(s, local(ctx), "b"))
	q.add(func() error {
		return s.write(local(ctx), func(*txn) error { cut.arm(); return nil })
	})
	h.let(t)
	errs := q.wait()
	if !cut.fired.Load() {
		t.Fatal("the commit's answer was not cut")
	}
	for i, err := range errs {
		if err == nil || keys.ErrorCode(err) != keys.Unavailable || !strings.Contains(err.Error(), "may have been applied") {
			t.Errorf("call %d: %v: the commit's outcome is unknown, and the caller must hear so", i, err)
		}
	}
	for _, name := range []string{"a", "b"} {
		if !keyExists(t, s, name) {
			t.Errorf("%s: the commit went through and it is not there", name)
		}
	}
	// A commit the database refused is not "may have been applied".
	q = newQueue(t, s)
	h = holdWriter(t, s)
	q.add(create(s, local(ctx), "c"))
	q.add(func() error { return s.write(local(ctx), breakCommit) })
	h.let(t)
	for i, err := range q.wait() {
		if err == nil || strings.Contains(err.Error(), "may have been applied") {
			t.Errorf("call %d of a refused commit: %v", i, err)
		}
	}
}

// commitCutter forwards PostgreSQL connections and, once armed, lets the
// next COMMIT through to the server, takes the server's answer and resets
// the client's connection: the commit is made, its caller never hears so.
type commitCutter struct {
	ln    net.Listener
	armed atomic.Bool
	fired atomic.Bool
	wg    sync.WaitGroup
}

func startCommitCutter(t *testing.T, dbURL string) (*commitCutter, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &commitCutter{ln: ln}
	target := u.Host
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			var cutting atomic.Bool
			c.wg.Add(2)
			go func() { // client → server
				defer c.wg.Done()
				defer server.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := client.Read(buf)
					if n > 0 {
						if bytes.Contains(bytes.ToLower(buf[:n]), []byte("commit")) && c.armed.CompareAndSwap(true, false) {
							cutting.Store(true)
						}
						if _, werr := server.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
			go func() { // server → client
				defer c.wg.Done()
				defer client.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := server.Read(buf)
					if n > 0 && cutting.Load() {
						// The server answered the COMMIT: it is made.
						c.fired.Store(true)
						if tc, ok := client.(*net.TCPConn); ok {
							_ = tc.SetLinger(0)
						}
						server.Close()
						return
					}
					if n > 0 {
						if _, werr := client.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	u.Host = ln.Addr().String()
	return c, u.String()
}

func (c *commitCutter) arm() { c.armed.Store(true) }

// A full database (SQLITE_FULL, here from max_page_count) part way through
// a batch: SQLite may roll the whole transaction back, and then every call
// of the batch fails; either way each call is kept whole or not at all
// (no key without its audit row nor the reverse), and a call that fails
// hears that the database is full (Unavailable), not the savepoint that
// went with the transaction (an internal error).
func TestGroupCommitADiskFullInABatchKeepsCallsWhole(t *testing.T) {
	s := openTemp(t, Options{})
	setMaxPages := func(t *txn, grow int) error {
		var n int
		if err := t.queryRow(t.ctx, "PRAGMA page_count").Scan(&n); err != nil {
			return err
		}
		_, err := t.exec(t.ctx, fmt.Sprintf("PRAGMA max_page_count = %d", n+grow))
		return err
	}
	h := holdWriter(t, s)
	q := newQueue(t, s)
	q.add(func() error { return s.write(local(ctx), func(t *txn) error { return setMaxPages(t, 2) }) })
	meta := map[string]string{}
	for i := range 8 {
		meta[fmt.Sprintf("m%d", i)] = strings.Repeat("x", keys.MaxMetaValueLen)
	}
	const n = 12
	for i := range n {
		q.add(func() error {
			_, err := s.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("k%d", i), Grants: grants("/acme"), Meta: meta})
			return err
		})
	}
	h.let(t)
	errs := q.wait()
	if errs[0] != nil && keys.ErrorCode(errs[0]) != keys.Unavailable {
		t.Errorf("the call before the full ones: %v, want unavailable (full)", errs[0])
	}
	full := 0
	for i, err := range errs[1:] {
		name := fmt.Sprintf("k%d", i)
		exists, audited := keyExists(t, s, name), auditCount(t, s, keys.ActionCreate, name)
		switch {
		case err == nil && (!exists || audited != 1):
			t.Errorf("%s: created, but there %v with %d audit rows", name, exists, audited)
		case err != nil && (exists || audited != 0):
			t.Errorf("%s: %v, but there %v with %d audit rows", name, err, exists, audited)
		case err != nil:
			full++
			if keys.ErrorCode(err) != keys.Unavailable {
				t.Errorf("%s: %v, want unavailable (full)", name, err)
			}
		}
	}
	if full == 0 {
		t.Fatal("no call met the full database: the test proves nothing")
	}
	if err := s.write(local(ctx), func(t *txn) error { return setMaxPages(t, 1<<20) }); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, "after", "/acme")
}
