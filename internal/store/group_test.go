package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// The group commit's tests form batches deterministically: a first write
// holds the writer (its function waits for the test), the calls of the
// batch under test queue behind it one by one, in a known order, and the
// held write is let go. Every call queued meanwhile is then one batch.

// heldWrite is a write whose function waits until let go.
type heldWrite struct {
	release chan struct{}
	done    chan error
}

// holdWriter starts a write that holds s's writer until release.
func holdWriter(t *testing.T, s *Store) *heldWrite {
	t.Helper()
	h := &heldWrite{release: make(chan struct{}), done: make(chan error, 1)}
	started := make(chan struct{})
	go func() {
		h.done <- s.write(local(ctx), func(*txn) error {
			close(started)
			<-h.release
			return nil
		})
	}()
	<-started
	return h
}

func (h *heldWrite) let(t *testing.T) {
	t.Helper()
	close(h.release)
	if err := <-h.done; err != nil {
		t.Fatalf("the held write: %v", err)
	}
}

// queue runs calls one at a time in the background, each queued behind
// the ones before it; wait returns their outcomes in order.
type queue struct {
	t       *testing.T
	s       *Store
	wg      sync.WaitGroup
	mu      sync.Mutex
	results []error
}

func newQueue(t *testing.T, s *Store) *queue { return &queue{t: t, s: s} }

// add starts call and returns once it waits in s's queue.
func (q *queue) add(call func() error) int {
	q.t.Helper()
	q.mu.Lock()
	i := len(q.results)
	q.results = append(q.results, nil)
	q.mu.Unlock()
	n := queued(q.s)
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		err := call()
		q.mu.Lock()
		q.results[i] = err
		q.mu.Unlock()
	}()
	waitQueueLen(q.t, q.s, n+1)
	return i
}

func (q *queue) wait() []error {
	q.wg.Wait()
	return q.results
}

func queued(s *Store) int {
	s.commits.mu.Lock()
	defer s.commits.mu.Unlock()
	return len(s.commits.queue)
}

// waitQueueLen waits until n calls wait in s's queue (a condition, not a
// time: the deadline only turns a hang into a failure).
func waitQueueLen(t *testing.T, s *Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); queued(s) != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued, want %d", queued(s), n)
		}
	}
}

// batchStats returns the batches and calls s has run.
func batchStats(s *Store) (batches, calls int64) {
	return s.commits.batches.Load(), s.commits.calls.Load()
}

// groupStores runs a group commit test on SQLite and, when a server is
// there, PostgreSQL.
func groupStores(t *testing.T, test func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) { test(t, openTemp(t, Options{})) })
	t.Run("postgres", func(t *testing.T) { test(t, openPG(t, Options{})) })
}

func create(s *Store, c context.Context, name string) func() error {
	return func() error {
		_, err := s.Create(c, keys.CreateRequest{Name: name, Grants: grants("/acme/prod")})
		return err
	}
}

// auditCount is how many audit rows of action name key.
func auditCount(t *testing.T, s *Store, action, name string) int {
	t.Helper()
	var n int
	if err := s.on(s.pools.reader).queryRow(ctx, "SELECT count(*) FROM audit WHERE action = $1 AND key_name = $2", action, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func keyExists(t *testing.T, s *Store, name string) bool {
	t.Helper()
	var n int
	if err := s.on(s.pools.reader).queryRow(ctx, "SELECT count(*) FROM keys WHERE name = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// Calls that arrive while a commit is in flight share the next one, and
// each writes its own key and audit row.
func TestGroupCommitConcurrentCreatesAllLand(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		const n = 40
		b0, c0 := batchStats(s)
		h := holdWriter(t, s)
		q := newQueue(t, s)
		for i := range n {
			q.add(create(s, local(ctx), fmt.Sprintf("k%d", i)))
		}
		h.let(t)
		for i, err := range q.wait() {
			if err != nil {
				t.Errorf("create k%d: %v", i, err)
			}
		}
		// The held write's batch, then one of all the creates.
		b1, c1 := batchStats(s)
		if b1-b0 != 2 || c1-c0 != n+1 {
			t.Errorf("%d batches of %d calls in all, want 2 of %d", b1-b0, c1-c0, n+1)
		}
		for i := range n {
			name := fmt.Sprintf("k%d", i)
			if !keyExists(t, s, name) || auditCount(t, s, keys.ActionCreate, name) != 1 {
				t.Errorf("%s: not there with one audit row", name)
			}
		}
	})
}

// A call refused in a batch (a name taken by the call before it, a create
// outside the operator's scope) fails alone: the others are committed.
func TestGroupCommitAFailingCallLeavesTheOthers(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		viewer, err := s.Create(local(ctx), keys.CreateRequest{Name: "viewer",
			Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Authenticate(ctx, viewer.Secret)
		if err != nil {
			t.Fatal(err)
		}
		asViewer := keys.WithPrincipal(ctx, p)
		h := holdWriter(t, s)
		q := newQueue(t, s)
		q.add(create(s, local(ctx), "a"))
		q.add(create(s, local(ctx), "dup"))
		q.add(create(s, local(ctx), "dup"))     // the one before took the name
		q.add(create(s, asViewer, "forbidden")) // a viewer makes no keys
		q.add(create(s, local(ctx), "b"))
		h.let(t)
		errs := q.wait()
		want := []keys.Code{"", "", keys.Conflict, keys.Forbidden, ""}
		for i, err := range errs {
			if keys.ErrorCode(err) != want[i] {
				t.Errorf("call %d: %v, want code %q", i, err, want[i])
			}
		}
		for _, name := range []string{"a", "dup", "b"} {
			if !keyExists(t, s, name) || auditCount(t, s, keys.ActionCreate, name) != 1 {
				t.Errorf("%s: not there with one audit row", name)
			}
		}
		if keyExists(t, s, "forbidden") || auditCount(t, s, keys.ActionCreate, "forbidden") != 0 {
			t.Error("the refused create left a trace")
		}
	})
}

// Calls of one batch see the ones before them, as if serial: a roll of a
// key created earlier in the batch, a create of a name a rename freed.
func TestGroupCommitCallsSeeEachOtherInOrder(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		old := mustCreate(t, s, "old", "/acme")
		h := holdWriter(t, s)
		q := newQueue(t, s)
		var created, rolled *keys.NewSecretKey
		q.add(func() (err error) {
			created, err = s.Create(local(ctx), keys.CreateRequest{Name: "fresh", Grants: grants("/acme")})
			return err
		})
		q.add(func() (err error) {
			rolled, err = s.Roll(local(ctx), "fresh", keys.RollRequest{Grace: gracep(0)})
			return err
		})
		q.add(func() error {
			name := "renamed"
			_, err := s.Update(local(ctx), "old", keys.UpdateRequest{Name: &name})
			return err
		})
		q.add(create(s, local(ctx), "old"))
		h.let(t)
		for i, err := range q.wait() {
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		if rolled.ID != created.ID {
			t.Fatalf("rolled %s, created %s", rolled.ID, created.ID)
		}
		if c := code(t, s, created.Secret); c != keys.CodeNotFound {
			t.Errorf("the created secret, rolled out without grace: %s", c)
		}
		if c := code(t, s, rolled.Secret); c != keys.CodeValid {
			t.Errorf("the rolled secret: %s", c)
		}
		if c := code(t, s, old.Secret); c != keys.CodeValid {
			t.Errorf("the renamed key: %s", c)
		}
		k, err := s.Get(local(ctx), "old")
		if err != nil || k.ID == old.ID {
			t.Errorf("the new key named old: %v %v", k, err)
		}
	})
}

// breakCommit makes the transaction's COMMIT fail (a constraint checked
// only then), as a full disk or a lost server would.
func breakCommit(t *txn) error {
	if _, ok := t.s.eng.(sqliteEngine); ok {
		if _, err := t.exec(t.ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
			return err
		}
		_, err := t.exec(t.ctx, "INSERT INTO grants (key_id, resource, role) VALUES ('key_none', '/acme', 1)")
		return err
	}
	for _, q := range []string{
		"CREATE TEMP TABLE doomed (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP",
		"INSERT INTO doomed VALUES (1), (1)",
	} {
		if _, err := t.exec(t.ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// A COMMIT that fails fails every call of its batch, and keeps nothing.
func TestGroupCommitAFailedCommitFailsAll(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		h := holdWriter(t, s)
		q := newQueue(t, s)
		q.add(create(s, local(ctx), "a"))
		q.add(func() error { return s.write(local(ctx), breakCommit) })
		q.add(create(s, local(ctx), "b"))
		h.let(t)
		for i, err := range q.wait() {
			if err == nil {
				t.Errorf("call %d succeeded in a batch whose commit failed", i)
			}
		}
		for _, name := range []string{"a", "b"} {
			if keyExists(t, s, name) || auditCount(t, s, keys.ActionCreate, name) != 0 {
				t.Errorf("%s was kept", name)
			}
		}
		// The writer works on.
		mustCreate(t, s, "after", "/acme")
	})
}

// A caller that goes away before its call's turn is told so at once, and
// its call never runs; the rest of the batch is unaffected.
func TestGroupCommitACancelledCallIsSkipped(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		h := holdWriter(t, s)
		q := newQueue(t, s)
		cctx, cancel := context.WithCancel(local(ctx))
		q.add(create(s, local(ctx), "a"))
		gone := make(chan error, 1)
		n := queued(s)
		go func() { gone <- create(s, cctx, "gone")() }()
		waitQueueLen(t, s, n+1)
		q.add(create(s, local(ctx), "b"))
		cancel()
		if err := <-gone; err == nil || !errors.Is(err, context.Canceled) {
			t.Errorf("a cancelled call: %v", err)
		}
		h.let(t)
		for i, err := range q.wait() {
			if err != nil {
				t.Errorf("call %d: %v", i, err)
			}
		}
		if keyExists(t, s, "gone") || !keyExists(t, s, "a") || !keyExists(t, s, "b") {
			t.Error("the batch did not skip the cancelled call alone")
		}
	})
}

// A caller that goes away once its call runs does not interrupt it: it is
// committed with its batch (the others' changes with it), and the caller
// hears so.
func TestGroupCommitACallCancelledWhileRunningIsCommitted(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		h := holdWriter(t, s)
		q := newQueue(t, s)
		cctx, cancel := context.WithCancel(local(ctx))
		defer cancel()
		q.add(create(s, local(ctx), "a"))
		q.add(func() error {
			return s.write(cctx, func(t *txn) error {
				cancel()
				return insertTestKey(t, "midway", true)
			})
		})
		q.add(create(s, local(ctx), "b"))
		h.let(t)
		for i, err := range q.wait() {
			// midway's caller may have heard, before the commit, that
			// its change may have been applied: it was.
			if err != nil && !(i == 1 && err == errGaveUpRunning) {
				t.Errorf("call %d: %v", i, err)
			}
		}
		for _, name := range []string{"a", "midway", "b"} {
			if !keyExists(t, s, name) || auditCount(t, s, keys.ActionCreate, name) != 1 {
				t.Errorf("%s: not there with one audit row", name)
			}
		}
	})
}

// A lone writer waits for nobody: its batch is itself.
func TestGroupCommitALoneWriterIsABatchOfOne(t *testing.T) {
	s := openTemp(t, Options{})
	b0, c0 := batchStats(s)
	for i := range 3 {
		mustCreate(t, s, fmt.Sprintf("k%d", i), "/acme")
	}
	if b, c := batchStats(s); b-b0 != 3 || c-c0 != 3 {
		t.Errorf("%d batches of %d calls for 3 writes one after another", b-b0, c-c0)
	}
}

// A caller whose context ends while its change runs in a batch returns
// then, saying the change may have been applied, not when the batch ends
// (which its other callers' deadlines, or none, decide); the batch still
// commits it.
func TestGroupCommitACallerGoneWhileRunningReturnsAtOnce(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		cctx, cancel := context.WithCancel(local(ctx))
		defer cancel()
		running, release := make(chan struct{}), make(chan struct{})
		returned := make(chan error, 1)
		go func() {
			returned <- s.write(cctx, func(t *txn) error {
				close(running)
				<-release // the batch holds on, as behind a slow disk
				return insertTestKey(t, "slow", true)
			})
		}()
		<-running
		cancel()
		select {
		case err := <-returned:
			if err != errGaveUpRunning {
				t.Errorf("caller gone while running: %v, want %v", err, errGaveUpRunning)
			}
		case <-time.After(hangLimit):
			t.Fatal("the caller waited for its batch after its context ended")
		}
		close(release)
		for deadline := time.Now().Add(hangLimit); !keyExists(t, s, "slow"); {
			if time.Now().After(deadline) {
				t.Fatal("the change of a caller gone while running was not committed")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// insertTestKey writes a key named name into /acme inside t, as a create
// does but without its checks, and its audit row when audited: a call's
// statements that a test can then interrupt (panic, fail) half way.
func insertTestKey(t *txn, name string, audited bool) error {
	k := &keys.Key{ID: keys.NewID(), Name: name, Org: "/acme", Type: keys.Secret,
		Grants: grants("/acme"), CreatedAt: t.now, Enabled: true, CreatedBy: t.p.Actor}
	if err := t.insertKey(k, "sk", keys.HashSecret(k.ID)); err != nil {
		return err
	}
	if !audited {
		return nil
	}
	return t.audit(keys.ActionCreate, k, nil)
}

// A batch's savepoints are rolled back from a sub-journal that SQLite
// spills to a temporary file past 64 KiB unless temp_store is MEMORY: the
// writer's transactions keep it in memory (it is never synced, so
// durability is the same).
func TestGroupCommitSubJournalStaysInMemory(t *testing.T) {
	s := openTemp(t, Options{})
	mustCreate(t, s, "first", "/acme/prod")
	conn, err := s.pools.writer.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var store int
	if err := conn.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&store); err != nil {
		t.Fatal(err)
	}
	if store != 2 {
		t.Errorf("the writer's temp_store is %d after a write, want 2 (MEMORY)", store)
	}
}

// A call that may change any number of rows (a delete of several keys, an
// organization's with its keys) runs in a batch of its own: in a batch of
// several it would run under a savepoint, whose sub-journal, in memory
// (temp_store), keeps every page it changes.
func TestGroupCommitABulkDeleteIsABatchOfItsOwn(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		mustCreate(t, s, "d1", "/acme/prod")
		mustCreate(t, s, "d2", "/acme/prod")
		mustCreate(t, s, "o1", "/other/prod")
		b0, c0 := batchStats(s)
		h := holdWriter(t, s)
		q := newQueue(t, s)
		q.add(create(s, local(ctx), "a"))
		q.add(create(s, local(ctx), "b"))
		q.add(func() error { _, err := s.Delete(local(ctx), []string{"d1", "d2"}); return err })
		q.add(create(s, local(ctx), "c"))
		q.add(func() error {
			_, err := s.DeleteOrg(local(ctx), "/other", keys.OrgDeleteRequest{WithKeys: true})
			return err
		})
		q.add(create(s, local(ctx), "d"))
		h.let(t)
		for i, err := range q.wait() {
			if err != nil {
				t.Errorf("call %d: %v", i, err)
			}
		}
		// The held write; a and b; the delete; c; the organization's delete; d.
		if b1, c1 := batchStats(s); b1-b0 != 6 || c1-c0 != 7 {
			t.Errorf("%d batches of %d calls in all, want 6 of 7", b1-b0, c1-c0)
		}
		for _, name := range []string{"a", "b", "c", "d"} {
			if !keyExists(t, s, name) {
				t.Errorf("%s was not created", name)
			}
		}
		for _, name := range []string{"d1", "d2", "o1"} {
			if keyExists(t, s, name) {
				t.Errorf("%s was not deleted", name)
			}
		}
	})
}

// A batch whose deadline passes while its statements run ends as a
// deadline does (unavailable: try again), not as an internal error, also
// where its statements run under a context that cannot end (SQLite's
// stmtContext): database/sql rolls the transaction back at the batch's
// end and answers the next statement "transaction done".
func TestGroupCommitABatchPastItsDeadlineIsUnavailable(t *testing.T) {
	groupStores(t, func(t *testing.T, s *Store) {
		p, err := keys.PrincipalFrom(local(ctx))
		if err != nil {
			t.Fatal(err)
		}
		callCtx, cancel := context.WithTimeout(local(ctx), 50*time.Millisecond)
		defer cancel()
		c := &call{p: p, ctx: callCtx, deadline: time.Now().Add(time.Minute), done: make(chan error, 1),
			fn: func(t *txn) error {
				<-callCtx.Done() // the batch's deadline is this call's
				// Until database/sql has rolled the transaction back (the
				// guard turns a hang into a failure).
				for guard := time.Now().Add(20 * time.Second); time.Now().Before(guard); time.Sleep(time.Millisecond) {
					if _, err := t.exec(t.ctx, "SELECT 1"); err != nil {
						return err
					}
				}
				return errors.New("the transaction outlived its batch's deadline")
			}}
		s.runBatch([]*call{c})
		if err := <-c.done; keys.ErrorCode(err) != keys.Unavailable {
			t.Errorf("the call heard %v (%s), want unavailable", err, keys.ErrorCode(err))
		}
	})
}
