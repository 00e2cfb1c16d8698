package store

import (
	"net/netip"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// TestPostgresReplicasHearPolicyChanges: a policy change (migration 0008's
// columns) made through one replica reaches the other's warm cache once
// its notification arrives, and the replica that made it at once: the
// 0003 trigger compares every column but last_used_at.
func TestPostgresReplicasHearPolicyChanges(t *testing.T) {
	u := pgDatabase(t)
	clk := newClock()
	a := openPGAt(t, u, Options{Now: clk.Now})
	b := openPGAt(t, u, Options{Now: clk.Now})
	_, wa := pgWatchOf(t, a)
	cb, wb := pgWatchOf(t, b)
	k := mustCreate(t, a, "k", "/acme")
	warm := func(want keys.VerifyCode) {
		t.Helper()
		for range 2 {
			if got := code(t, b, k.Secret); got != want {
				t.Fatalf("replica b: %s, want %s", got, want)
			}
		}
	}
	for _, l := range []keys.AllowList{{netip.MustParsePrefix("192.0.2.0/24")}, {}} {
		warm(map[bool]keys.VerifyCode{true: keys.CodeValid, false: keys.CodeIPNotAllowed}[len(l) > 0])
		flushes, na, nb := cb.flushes.Load(), wa.notify.Load(), wb.notify.Load()
		if _, err := a.Update(local(ctx), k.ID, keys.UpdateRequest{AllowedIPs: &l}); err != nil {
			t.Fatal(err)
		}
		want := map[bool]keys.VerifyCode{true: keys.CodeIPNotAllowed, false: keys.CodeValid}[len(l) > 0]
		if got := code(t, a, k.Secret); got != want {
			t.Fatalf("replica a, right after its own change: %s, want %s", got, want)
		}
		waitFor(t, wa, "a's notification", func() bool { return wa.notify.Load() > na })
		waitFor(t, wb, "b's notification", func() bool { return wb.notify.Load() > nb })
		if got := code(t, b, k.Secret); got != want {
			t.Fatalf("replica b, once notified: %s, want %s", got, want)
		}
		if cb.flushes.Load() == flushes {
			t.Error("replica b's cache was not flushed by the policy change")
		}
	}
}
