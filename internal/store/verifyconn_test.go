package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// hangLimit only turns a hang into a failure: nothing below is expected
// to take more than a fraction of it.
const hangLimit = 30 * time.Second

// holdManagementReaders occupies every connection that management calls
// read on with a read transaction that waits for the returned release,
// as slow audit or list calls would.
func holdManagementReaders(t *testing.T, s *Store) (release func()) {
	t.Helper()
	n := s.pools.reader.Stats().MaxOpenConnections
	if n <= 0 {
		t.Fatal("the management pool has no bound: nothing to exhaust")
	}
	in, out := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.read(local(ctx), func(*txn) error {
				in <- struct{}{}
				<-out
				return nil
			})
			if err != nil {
				t.Errorf("a held read: %v", err)
			}
		}()
	}
	for range n {
		<-in
	}
	if st := s.pools.reader.Stats(); st.InUse != n {
		t.Fatalf("%d of %d management connections held", st.InUse, n)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(out)
			wg.Wait()
		})
	}
	t.Cleanup(release)
	return release
}

// verifiesBesideBusyManagement: with every management connection held by
// a read, verification and authentication still answer (item: management
// load must never take all the connections verification needs).
func verifiesBesideBusyManagement(t *testing.T, s *Store) {
	k := mustCreate(t, s, "k", "/acme")
	root, err := s.Create(local(ctx), keys.CreateRequest{Name: "root", Grants: []keys.Grant{{Resource: "/", Role: keys.Admin}}})
	if err != nil {
		t.Fatal(err)
	}
	release := holdManagementReaders(t, s)
	bounded, cancel := context.WithTimeout(ctx, hangLimit)
	defer cancel()
	for range 3 {
		r, err := s.Verify(bounded, keys.VerifyRequest{Secret: k.Secret})
		if err != nil || r.Code != keys.CodeValid {
			t.Fatalf("verify beside busy management reads: %v %v", r, err)
		}
		if _, err := s.Authenticate(bounded, root.Secret); err != nil {
			t.Fatalf("authenticate beside busy management reads: %v", err)
		}
	}
	release()
	if _, err := s.List(local(ctx), keys.ListFilter{}); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyBesideBusyManagementReads(t *testing.T) {
	verifiesBesideBusyManagement(t, openTemp(t, Options{}))
}

func TestPostgresVerifyBesideBusyManagementReads(t *testing.T) {
	verifiesBesideBusyManagement(t, openPG(t, Options{}))
}

// TestPostgresVerifyOnAHungServer: a server that accepts and never
// answers (stopped with SIGSTOP, or a silent network) makes verification
// and authentication Unavailable after VerifyTimeout, never wait forever;
// callers queued for a connection too. Once it answers again, so do they.
func TestPostgresVerifyOnAHungServer(t *testing.T) {
	proxy, u := startProxy(t, pgDatabase(t))
	s := openPGAt(t, u, Options{VerifyTimeout: 300 * time.Millisecond})
	k := mustCreate(t, s, "k", "/acme")
	root, err := s.Create(local(ctx), keys.CreateRequest{Name: "root", Grants: []keys.Grant{{Resource: "/", Role: keys.Admin}}})
	if err != nil {
		t.Fatal(err)
	}
	// Their first use is recorded now. The 300ms bound holds for these
	// too, and a loaded machine can spend it on opening the first
	// connections through the proxy (it failed 12 runs in 60 with three
	// runs at once): try again, as a gateway would, until they answer.
	for _, secret := range []string{k.Secret, root.Secret} {
		for deadline := time.Now().Add(hangLimit); ; {
			res, err := s.Verify(ctx, keys.VerifyRequest{Secret: secret})
			if err == nil && res.Code == keys.CodeValid {
				break
			}
			if err == nil || keys.ErrorCode(err) != keys.Unavailable || time.Now().After(deadline) {
				t.Fatalf("verify before the hang: %v %v", res, err)
			}
		}
	}

	proxy.freeze()
	calls := 3 * readerPoolSize() // more than the verification pool holds
	errs := make(chan error, calls+1)
	for range calls {
		go func() {
			_, err := s.Verify(ctx, keys.VerifyRequest{Secret: k.Secret})
			errs <- err
		}()
	}
	go func() {
		_, err := s.Authenticate(ctx, root.Secret)
		errs <- err
	}()
	limit := time.After(hangLimit)
	for range calls + 1 {
		select {
		case err := <-errs:
			if keys.ErrorCode(err) != keys.Unavailable {
				t.Fatalf("on a hung server: %v (%s), want unavailable", err, keys.ErrorCode(err))
			}
		case <-limit:
			t.Fatal("verification waits on a hung server")
		}
	}

	// Once it answers, so do they: the connections the hang broke are
	// replaced. Not necessarily by the very next call: on a loaded machine
	// it may meet its 300ms bound while the proxy's backlog drains.
	proxy.thaw()
	for deadline := time.Now().Add(hangLimit); ; {
		res, err := s.Verify(ctx, keys.VerifyRequest{Secret: k.Secret})
		if err == nil && res.Code == keys.CodeValid {
			break
		}
		if err == nil || keys.ErrorCode(err) != keys.Unavailable || time.Now().After(deadline) {
			t.Fatalf("verify once the server answers: %v %v", res, err)
		}
	}
}

// Lookups share a deadline: a lookup gets between 3/4 and all of the
// timeout, and a new context (a new timer) is made a quarter-timeout at
// most, whatever the number of lookups.
func TestVerifyDeadlineIsSharedAndRenewed(t *testing.T) {
	const timeout = time.Hour // nothing fires while the test runs
	d := newVerifyDeadline(timeout)
	defer d.stop()
	t0 := time.Now()
	first := d.context(t0)
	if end, ok := first.Deadline(); !ok || !end.Equal(t0.Add(timeout)) {
		t.Fatalf("deadline %v, want %v", end, t0.Add(timeout))
	}
	if d.context(t0.Add(timeout/4-time.Nanosecond)) != first {
		t.Fatal("a lookup within a quarter of the timeout got a context of its own")
	}
	later := t0.Add(timeout / 4)
	second := d.context(later)
	if second == first {
		t.Fatal("the deadline was not renewed after a quarter of the timeout")
	}
	if end, _ := second.Deadline(); !end.Equal(later.Add(timeout)) {
		t.Fatalf("renewed deadline %v, want %v", end, later.Add(timeout))
	}
	if first.Err() != nil {
		t.Fatal("renewal ended the context lookups may still hold")
	}
	// A caller's own deadline is kept when it comes sooner.
	s := &Store{deadline: d}
	sooner, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if s.verifyCtx(sooner) != sooner {
		t.Error("a sooner deadline of the caller's was not kept")
	}
	later2, cancel2 := context.WithTimeout(ctx, 2*timeout)
	defer cancel2()
	if got := s.verifyCtx(later2); got == later2 {
		t.Error("a caller's later deadline replaced the bound")
	}
	if (&Store{}).verifyCtx(later2) != later2 {
		t.Error("SQLite: the caller's context was not kept")
	}
	if newVerifyDeadline(0).timeout != DefaultVerifyTimeout {
		t.Fatal("no timeout is not the default")
	}
}
