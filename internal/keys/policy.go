package keys

import (
	"encoding/json"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Key policies (issue 13): an IP allow-list and a rate limit. Both are
// checked on verification only; the allow-list by Evaluate (a pure
// function of the key and the presented address), the rate limit by the
// server that counts (internal/server/limiter.go): counting is state, and
// `keys verify --db` reports a limit without counting.

// MaxAllowedIPs bounds a key's allow-list: a list is checked on every
// verification of its key, and a gateway's address list belongs in the
// gateway.
const MaxAllowedIPs = 32

// AllowList is a key's IP allow-list: the networks a key verifies from.
// nil (JSON null) is no list: any address. Entries are canonical
// (IPv4-mapped IPv6 unmapped, no host bits), sorted and unique.
type AllowList []netip.Prefix

// ParseAllowList reads allow-list entries: CIDRs ("10.0.0.0/8",
// "2001:db8::/32") or bare addresses (a /32 or /128). A CIDR with host
// bits set ("10.1.2.3/8") is refused rather than widened: whoever typed
// it meant either the address or the network, and guessing the network
// would let in 16 million addresses. No entries is an empty, non-nil
// list (an update's "clear").
func ParseAllowList(entries []string) (AllowList, error) {
	if len(entries) > MaxAllowedIPs {
		return nil, Errorf(Invalid, "too many allowed IPs: %d, at most %d (use wider networks)", len(entries), MaxAllowedIPs)
	}
	out := make(AllowList, 0, len(entries))
	for _, e := range entries {
		p, err := parsePrefix(strings.TrimSpace(e))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	slices.SortFunc(out, comparePrefix)
	return slices.Compact(out), nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	bad := func(why string) (netip.Prefix, error) {
		return netip.Prefix{}, Errorf(Invalid, "invalid allowed IP %q: %s (use an address or a CIDR such as 10.0.0.0/8 or 2001:db8::/32)", s, why)
	}
	if s == "" {
		return bad("empty")
	}
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return bad("not an IP address")
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return bad("not a CIDR")
	}
	if p.Addr().Is4In6() {
		// ::ffff:10.0.0.0/104 is 10.0.0.0/8: addresses are unmapped
		// before they are compared, so the list must be too.
		if p.Bits() < 96 {
			return bad("an IPv4-mapped network must be /96 or longer")
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	if p.Masked() != p {
		return bad("host bits are set: did you mean " + p.Masked().String() + " or " + p.Addr().String() + "?")
	}
	return p, nil
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// Allows reports whether addr lies in one of l's networks. The zero
// address (not known) lies in none.
func (l AllowList) Allows(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	addr = addr.Unmap()
	for _, p := range l {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Strings is l as text, for audit rows.
func (l AllowList) Strings() []string {
	if l == nil {
		return nil
	}
	out := make([]string, len(l))
	for i, p := range l {
		out[i] = p.String()
	}
	return out
}

// MarshalJSON writes an array of CIDRs; an empty list is [] (an update's
// "clear"), nil is null.
func (l AllowList) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("null"), nil
	}
	return json.Marshal(l.Strings())
}

// UnmarshalJSON reads an array of addresses and CIDRs, as ParseAllowList.
func (l *AllowList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = nil
		return nil
	}
	var s []string
	if err := json.Unmarshal(b, &s); err != nil {
		return Errorf(Invalid, "allowed_ips must be an array of strings such as [\"10.0.0.0/8\"]")
	}
	v, err := ParseAllowList(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// ParseAddr reads a presented client address (keys verify --ip, POST
// /v1/verify's ip): an IPv4 or IPv6 address, IPv4-mapped ones unmapped,
// a zone dropped (allow-lists hold none).
func ParseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, Errorf(Invalid, "invalid IP address %q: use e.g. 203.0.113.7 or 2001:db8::7", s)
	}
	return a.Unmap().WithZone(""), nil
}

// Rate limit bounds: at least one verification a period, a period from a
// second to a 30-day month, and no more than a billion a period (past
// that a limit limits nothing).
const (
	MaxRateLimitCount  = 1_000_000_000
	MinRateLimitPeriod = time.Second
	MaxRateLimitPeriod = Month
)

// RateLimit is a key's rate limit: N verifications per period, as a token
// bucket (GCRA) holding N: a key may make N verifications at once, and
// regains one every Per/N; in any span of time t at most N + ⌊t·N/Per⌋
// succeed. The zero RateLimit is none: in an update it clears the limit.
type RateLimit struct {
	N   int64
	Per time.Duration
}

// ParseRateLimit reads "N/DURATION" ("100/1s", "5000/1h"; "100/s" is
// "100/1s"). "" is the zero RateLimit.
func ParseRateLimit(s string) (RateLimit, error) {
	if s == "" {
		return RateLimit{}, nil
	}
	bad := func(why string) (RateLimit, error) {
		return RateLimit{}, Errorf(Invalid, "invalid rate limit %q: %s (use N/DURATION, e.g. 100/1s or 5000/1h)", s, why)
	}
	num, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return bad("no /")
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > MaxRateLimitCount || strings.Trim(num, "0123456789") != "" {
		return bad("N must be a whole number from 1 to " + strconv.Itoa(MaxRateLimitCount))
	}
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per
	}
	d, err := parseDuration(per)
	if err != nil || d < MinRateLimitPeriod || d > MaxRateLimitPeriod {
		return bad("the period must be a duration from 1s to 30d")
	}
	return RateLimit{N: n, Per: d}, nil
}

// IsZero reports whether r is no limit.
func (r RateLimit) IsZero() bool { return r.N == 0 }

// String is the canonical "N/DURATION"; "" for none.
func (r RateLimit) String() string {
	if r.IsZero() {
		return ""
	}
	return strconv.FormatInt(r.N, 10) + "/" + FormatDuration(r.Per)
}

func (r RateLimit) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

func (r *RateLimit) UnmarshalText(b []byte) error {
	v, err := ParseRateLimit(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Share is the limit one of n servers enforces so that together they
// allow at most N + n - 1 a period: ⌈N/n⌉ per period each (serve
// --rate-limit-share).
func (r RateLimit) Share(n int) RateLimit {
	if n <= 1 || r.IsZero() {
		return r
	}
	return RateLimit{N: (r.N + int64(n) - 1) / int64(n), Per: r.Per}
}

// Interval is how long the bucket takes to regain one verification,
// rounded up to the nanosecond, so that the bucket never allows more than
// N a period.
func (r RateLimit) Interval() time.Duration {
	if r.N <= 0 {
		return math.MaxInt64
	}
	return (r.Per + time.Duration(r.N) - 1) / time.Duration(r.N)
}

// Limited turns a VALID result into RATE_LIMITED (the last code before
// VALID, so only a result that passed every other check may get it),
// with how long until the next verification would succeed.
func (r *VerifyResult) Limited(retryAfter time.Duration) {
	secs := int64((retryAfter + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	r.Valid, r.Code, r.RetryAfter = false, CodeRateLimited, &secs
}

// CanonicalAllowList is l as ParseAllowList would have read it from its
// text: a Go caller's list held to the same rules as one from JSON or
// flags (IPv4-mapped networks unmapped, host bits refused, sorted,
// unique, bounded).
func CanonicalAllowList(l AllowList) (AllowList, error) {
	if l == nil {
		return nil, nil
	}
	return ParseAllowList(l.Strings())
}

// checkRateLimit holds a Go caller's limit to ParseRateLimit's bounds.
func checkRateLimit(r *RateLimit) error {
	if r == nil || r.IsZero() {
		return nil
	}
	if _, err := ParseRateLimit(r.String()); err != nil || r.N < 0 {
		return Errorf(Invalid, "invalid rate limit %d per %s: use 1 to %d per 1s to 30d", r.N, r.Per, MaxRateLimitCount)
	}
	return nil
}
