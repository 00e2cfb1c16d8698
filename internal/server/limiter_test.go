package server

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// fakeTime is an injected clock: the limiter's tests never sleep.
type fakeTime struct{ t time.Time }

func (f *fakeTime) now() time.Time          { return f.t }
func (f *fakeTime) advance(d time.Duration) { f.t = f.t.Add(d) }

func newFakeTime() *fakeTime { return &fakeTime{t: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)} }

func TestLimiterBurstThenSteadyRate(t *testing.T) {
	clk := newFakeTime()
	l := newKeyLimiter(clk.now, 1, 0)
	limit := keys.RateLimit{N: 3, Per: time.Second}
	interval := limit.Interval() // 333,333,334ns: rounded up, never more than 3 a second
	if interval != 333_333_334 {
		t.Fatalf("interval %v", interval)
	}
	for i := range 3 {
		if ok, _ := l.take("key_a", limit); !ok {
			t.Fatalf("verification %d of a full bucket of 3 refused", i+1)
		}
	}
	ok, wait := l.take("key_a", limit)
	if ok || wait != interval {
		t.Fatalf("4th at once: ok %v, wait %v; want refused, wait %v", ok, wait, interval)
	}
	clk.advance(interval - 1)
	if ok, wait := l.take("key_a", limit); ok || wait != 1 {
		t.Fatalf("a nanosecond early: ok %v, wait %v", ok, wait)
	}
	clk.advance(1)
	if ok, _ := l.take("key_a", limit); !ok {
		t.Fatal("refused once a verification was regained")
	}
	if ok, _ := l.take("key_a", limit); ok {
		t.Fatal("a second one allowed right after the one regained")
	}
	// Other keys have buckets of their own.
	if ok, _ := l.take("key_b", limit); !ok {
		t.Fatal("another key refused")
	}
	// Refusals use nothing up: N intervals (a period, rounded up) at
	// rest make a full bucket.
	clk.advance(3 * interval)
	for i := range 3 {
		if ok, _ := l.take("key_a", limit); !ok {
			t.Fatalf("after a period at rest, verification %d refused", i+1)
		}
	}
}

// In any span of time d, at most N + ⌊d/I⌋ verifications succeed, what
// the README promises; checked over random arrivals.
func TestLimiterNeverExceedsItsBound(t *testing.T) {
	for _, limit := range []keys.RateLimit{{N: 1, Per: time.Second}, {N: 5, Per: time.Second}, {N: 100, Per: time.Minute}, {N: 7, Per: 3 * time.Second}} {
		t.Run(limit.String(), func(t *testing.T) {
			clk := newFakeTime()
			l := newKeyLimiter(clk.now, 1, 0)
			r := rand.New(rand.NewPCG(1, uint64(limit.N)))
			var times []time.Time
			for range 5000 {
				clk.advance(time.Duration(r.Int64N(int64(2 * limit.Per / time.Duration(limit.N)))))
				if ok, _ := l.take("k", limit); ok {
					times = append(times, clk.now())
				}
			}
			i := limit.Interval()
			for a := range times {
				for b := a; b < len(times); b++ {
					d := times[b].Sub(times[a])
					if n := int64(b - a + 1); n > limit.N+int64(d/i) {
						t.Fatalf("%d verifications succeeded within %v, bound %d", n, d, limit.N+int64(d/i))
					}
					if d > 3*limit.Per {
						break
					}
				}
			}
			if len(times) < 100 {
				t.Fatalf("only %d of 5000 succeeded: the limiter is stricter than its rate", len(times))
			}
		})
	}
}

func TestLimiterShare(t *testing.T) {
	for _, tc := range []struct {
		n     int64
		share int
		want  int
	}{{5, 2, 3}, {6, 2, 3}, {1, 3, 1}, {100, 1, 100}, {100, 7, 15}} {
		clk := newFakeTime()
		l := newKeyLimiter(clk.now, tc.share, 0)
		got := 0
		for range 2 * tc.n {
			if ok, _ := l.take("k", keys.RateLimit{N: tc.n, Per: time.Hour}); ok {
				got++
			}
		}
		if got != tc.want {
			t.Errorf("%d/1h shared by %d: %d at once, want %d", tc.n, tc.share, got, tc.want)
		}
	}
}

func TestLimiterChangedLimitStartsAfresh(t *testing.T) {
	clk := newFakeTime()
	l := newKeyLimiter(clk.now, 1, 0)
	if ok, _ := l.take("k", keys.RateLimit{N: 1, Per: time.Hour}); !ok {
		t.Fatal("first refused")
	}
	if ok, _ := l.take("k", keys.RateLimit{N: 1, Per: time.Hour}); ok {
		t.Fatal("second of 1/1h allowed")
	}
	// Raised (keys update --rate-limit): not held to the old limit's debt.
	if ok, _ := l.take("k", keys.RateLimit{N: 10, Per: time.Second}); !ok {
		t.Fatal("refused under the raised limit")
	}
}

// The limiter's memory stays bounded whatever keys come: keys at rest are
// dropped first, and past the bound busy ones too.
func TestLimiterIsBounded(t *testing.T) {
	clk := newFakeTime()
	const max = 4 * limiterShards
	l := newKeyLimiter(clk.now, 1, max)
	rest := keys.RateLimit{N: 10, Per: time.Second}
	for i := range 20_000 {
		l.take(fmt.Sprintf("key_rest%05d", i), rest)
		clk.advance(time.Second) // every earlier key is at rest again
	}
	if n := l.size(); n > max {
		t.Errorf("%d keys tracked after 20,000 keys at rest, bound %d", n, max)
	}
	busy := keys.RateLimit{N: 1, Per: time.Hour}
	for i := range 20_000 {
		l.take(fmt.Sprintf("key_busy%05d", i), busy)
	}
	if n := l.size(); n > max {
		t.Errorf("%d keys tracked after 20,000 busy keys, bound %d", n, max)
	}
	// The most recent busy key is still held to its limit.
	if ok, _ := l.take("key_busy19999", busy); ok {
		t.Error("the last busy key was forgotten at once")
	}
}

func TestLimitedRoundsRetryAfterUp(t *testing.T) {
	for _, tc := range []struct {
		wait time.Duration
		want int64
	}{{1, 1}, {time.Second, 1}, {time.Second + 1, 2}, {30 * time.Minute, 1800}} {
		r := &keys.VerifyResult{Valid: true, Code: keys.CodeValid}
		r.Limited(tc.wait)
		if r.Valid || r.Code != keys.CodeRateLimited || r.RetryAfter == nil || *r.RetryAfter != tc.want {
			t.Errorf("Limited(%v): %+v, want RATE_LIMITED retry %d", tc.wait, r, tc.want)
		}
	}
}

func TestClientAddr(t *testing.T) {
	proxies := keys.AllowList{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		what    string
		peer    string
		trusted keys.AllowList
		header  map[string][]string
		want    string // "" for not known
	}{
		{"the peer, no proxies", "192.0.2.1:5000", nil, nil, "192.0.2.1"},
		{"an IPv4-mapped peer", "[::ffff:192.0.2.1]:5000", nil, nil, "192.0.2.1"},
		{"an IPv6 peer", "[2001:db8::1]:5000", nil, nil, "2001:db8::1"},
		{"X-Forwarded-For from an untrusted peer is ignored", "192.0.2.1:5000", proxies,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, "192.0.2.1"},
		{"X-Real-IP from an untrusted peer is ignored", "192.0.2.1:5000", nil,
			map[string][]string{"X-Real-Ip": {"203.0.113.9"}}, "192.0.2.1"},
		{"a trusted proxy's X-Forwarded-For", "127.0.0.1:5000", proxies,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, "203.0.113.9"},
		{"the rightmost untrusted hop, not what the client wrote", "127.0.0.1:5000", proxies,
			map[string][]string{"X-Forwarded-For": {"198.51.100.1, 203.0.113.9, 10.1.1.1"}}, "203.0.113.9"},
		{"several X-Forwarded-For fields, in order", "127.0.0.1:5000", proxies,
			map[string][]string{"X-Forwarded-For": {"198.51.100.1", "203.0.113.9:4711", "10.1.1.1"}}, "203.0.113.9"},
		{"an IPv6 hop with a port", "127.0.0.1:5000", proxies,
			map[string][]string{"X-Forwarded-For": {"[2001:db8::9]:4711"}}, "2001:db8::9"},
		{"a malformed hop", "127.0.0.1:5000", proxies,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9, unknown"}}, ""},
		{"only trusted hops", "127.0.0.1:5000", proxies,
			map[string][]string{"X-Forwarded-For": {"10.0.0.1, 10.0.0.2"}}, ""},
		{"X-Forwarded-For and X-Real-IP that disagree", "127.0.0.1:5000", proxies,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}, "X-Real-Ip": {"198.51.100.1"}}, ""},
		{"X-Real-IP", "127.0.0.1:5000", proxies, map[string][]string{"X-Real-Ip": {"203.0.113.9"}}, "203.0.113.9"},
		{"two X-Real-IP", "127.0.0.1:5000", proxies, map[string][]string{"X-Real-Ip": {"203.0.113.9", "198.51.100.1"}}, ""},
		{"a trusted proxy that sent no address", "127.0.0.1:5000", proxies, nil, ""},
	} {
		s := &server{opts: Options{TrustedProxies: tc.trusted}, log: slog.New(slog.DiscardHandler)}
		r := &http.Request{RemoteAddr: tc.peer, Header: http.Header(tc.header)}
		got := s.clientAddr(r)
		if tc.want == "" && got.IsValid() || tc.want != "" && got != netip.MustParseAddr(tc.want) {
			t.Errorf("%s: %v, want %q", tc.what, got, tc.want)
		}
	}
}
