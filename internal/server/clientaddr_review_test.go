package server

import (
	"log/slog"
	"net/http"
	"net/netip"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// A gateway that sets one of the two headers and passes the caller's
// other one on unchanged (nginx's default: every request header goes
// along, and `proxy_set_header X-Real-IP $remote_addr` alone is the
// usual line; Caddy's forward_auth passes a caller's X-Real-IP) must not
// let the caller's header name the address. Which header a gateway set
// cannot be told, so two that disagree name none.
func TestClientAddrHeadersThatDisagreeNameNoAddress(t *testing.T) {
	proxies := keys.AllowList{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		what   string
		header map[string][]string
		want   string // "" for not known
	}{
		{"the caller's X-Forwarded-For beside the gateway's X-Real-IP",
			map[string][]string{"X-Forwarded-For": {"127.0.0.2"}, "X-Real-Ip": {"198.51.100.1"}}, ""},
		{"the caller's X-Real-IP beside the gateway's X-Forwarded-For",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}, "X-Real-Ip": {"127.0.0.2"}}, ""},
		{"a malformed X-Real-IP beside X-Forwarded-For",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}, "X-Real-Ip": {"nobody"}}, ""},
		{"two X-Real-IP beside X-Forwarded-For",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}, "X-Real-Ip": {"198.51.100.1", "198.51.100.1"}}, ""},
		{"both naming the caller (the Caddy example)",
			map[string][]string{"X-Forwarded-For": {"203.0.113.5, 198.51.100.1"}, "X-Real-Ip": {"198.51.100.1"}}, "198.51.100.1"},
		{"both naming the caller, in other spellings",
			map[string][]string{"X-Forwarded-For": {"[::ffff:198.51.100.1]:4711"}, "X-Real-Ip": {" 198.51.100.1"}}, "198.51.100.1"},
		{"X-Real-IP naming a trusted proxy (a gateway behind a load balancer) claims nothing",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1, 10.0.0.7"}, "X-Real-Ip": {"10.0.0.7"}}, "198.51.100.1"},
	} {
		s := &server{opts: Options{TrustedProxies: proxies}, log: slog.New(slog.DiscardHandler)}
		r := &http.Request{RemoteAddr: "127.0.0.1:5000", Header: http.Header(tc.header)}
		got := s.clientAddr(r)
		if tc.want == "" && got.IsValid() || tc.want != "" && got != netip.MustParseAddr(tc.want) {
			t.Errorf("%s: %v, want %q", tc.what, got, tc.want)
		}
	}
}

// X-Real-IP alone naming a trusted proxy is a gateway that set it to the
// load balancer in front of it (nginx without set_real_ip_from): every
// caller would look like the balancer, and pass a key allowing the
// balancer's network. Not known, as X-Forwarded-For of trusted hops only
// is.
func TestClientAddrXRealIPNamingATrustedProxyIsNotKnown(t *testing.T) {
	proxies := keys.AllowList{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		xr   string
		want string
	}{
		{"10.0.0.7", ""},
		{"::ffff:10.0.0.7", ""},
		{"127.0.0.1:4711", ""},
		{"198.51.100.1", "198.51.100.1"},
	} {
		s := &server{opts: Options{TrustedProxies: proxies}, log: slog.New(slog.DiscardHandler)}
		r := &http.Request{RemoteAddr: "127.0.0.1:5000", Header: http.Header{"X-Real-Ip": {tc.xr}}}
		got := s.clientAddr(r)
		if tc.want == "" && got.IsValid() || tc.want != "" && got != netip.MustParseAddr(tc.want) {
			t.Errorf("X-Real-IP %s: %v, want %q", tc.xr, got, tc.want)
		}
	}
}
