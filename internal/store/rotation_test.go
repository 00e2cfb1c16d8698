package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// The first use of a freshly self-rolled secret is recorded before it is
// answered: when the write cannot be made (the database locked past the
// busy timeout), the use is refused as unavailable rather than answered,
// or the old secret could still redo the roll and take away a secret
// someone already holds.
func TestFirstUseOfARolledSecretIsRecordedBeforeItIsAnswered(t *testing.T) {
	s := openTemp(t, Options{BusyTimeout: queueBusy})
	k, err := s.Create(local(ctx), keys.CreateRequest{Name: "ci", Grants: grants("/acme")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Authenticate(ctx, k.Secret)
	if err != nil {
		t.Fatal(err)
	}
	rolled, err := s.Roll(keys.WithPrincipal(ctx, p), "ci", keys.RollRequest{Grace: gracep(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	tx := holdLock(t, "sqlite3", dsn(s.path, time.Second, connWriter))
	if r, err := s.Verify(ctx, keys.VerifyRequest{Secret: rolled.Secret}); keys.ErrorCode(err) != keys.Unavailable {
		t.Fatalf("first use of the new secret under a held lock: %+v, %v; want unavailable", r, err)
	}
	if _, err := s.Authenticate(ctx, rolled.Secret); keys.ErrorCode(err) != keys.Unavailable {
		t.Fatalf("first authentication with the new secret under a held lock: %v; want unavailable", err)
	}
	// The previous secret needs no such write: it answers.
	if r, err := s.Verify(ctx, keys.VerifyRequest{Secret: k.Secret}); err != nil || r.Code != keys.CodeValid {
		t.Fatalf("the previous secret under a held lock: %+v, %v", r, err)
	}
	tx.Rollback()

	if r, err := s.Verify(ctx, keys.VerifyRequest{Secret: rolled.Secret}); err != nil || r.Code != keys.CodeValid {
		t.Fatalf("the new secret once the lock is free: %+v, %v", r, err)
	}
	old, err := s.Authenticate(ctx, k.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Roll(keys.WithPrincipal(ctx, old), "ci", keys.RollRequest{}); keys.ErrorCode(err) != keys.Forbidden {
		t.Fatalf("a redo after the new secret was used: %v; want forbidden", err)
	}
}

// Replicas' clocks differ. A replica whose clock is ahead, seeing the
// previous secret's grace over, must still record the first use of the
// new secret before answering it: on a replica whose clock is behind that
// grace is not over, and the previous secret could redo the roll and take
// away the secret just answered as valid.
func TestFirstUseIsRecordedWhateverTheReplicasClock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	now := time.Now()
	open := func(at time.Time) *Store {
		s, err := Open(ctx, path, Options{Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	behind, ahead := open(now), open(now.Add(time.Minute))
	k, err := behind.Create(local(ctx), keys.CreateRequest{Name: "ci", Grants: grants("/acme")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := behind.Authenticate(ctx, k.Secret)
	if err != nil {
		t.Fatal(err)
	}
	rolled, err := behind.Roll(keys.WithPrincipal(ctx, p), "ci", keys.RollRequest{Grace: gracep(30 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := ahead.Verify(ctx, keys.VerifyRequest{Secret: rolled.Secret}); err != nil || r.Code != keys.CodeValid {
		t.Fatalf("the new secret on the replica ahead: %+v, %v", r, err)
	}
	old, err := behind.Authenticate(ctx, k.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := behind.Roll(keys.WithPrincipal(ctx, old), "ci", keys.RollRequest{}); keys.ErrorCode(err) != keys.Forbidden {
		t.Fatalf("a redo after the new secret was answered valid elsewhere: %v; want forbidden", err)
	}
}
