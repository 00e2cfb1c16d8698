package server

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address a /v1/auth check's key was presented from,
// for IP allow-lists. The TCP peer is the client, unless the peer is a
// trusted proxy (serve --trusted-proxy: the gateways): then the client is
// the rightmost address of X-Forwarded-For that is not itself a trusted
// proxy (each proxy appends the address it was called from, so the
// entries left of the first untrusted one are whatever that client chose
// to send), or, without X-Forwarded-For, X-Real-IP. Headers from any
// other peer are ignored: anyone may send them. The zero Addr is an
// address that cannot be told (a malformed entry, two X-Real-IP headers,
// a chain of trusted proxies only, a trusted proxy that sent neither
// header), which a key with an allow-list is
// refused for.
func (s *server) clientAddr(r *http.Request) netip.Addr {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	addr := peer.Addr().Unmap().WithZone("")
	if !s.trusted(addr) {
		if !s.warnedHeaders.Load() && (r.Header["X-Forwarded-For"] != nil || r.Header["X-Real-Ip"] != nil) && s.warnedHeaders.CompareAndSwap(false, true) {
			s.log.Warn("a /v1/auth check carried X-Forwarded-For or X-Real-IP from an address that is not a trusted proxy: the headers are ignored and the peer's own address counts for IP allow-lists (set serve --trusted-proxy to the gateways' addresses)",
				"peer", addr.String())
		}
		return addr
	}
	if xff := r.Header["X-Forwarded-For"]; len(xff) > 0 {
		return rightmostUntrusted(xff, s.trusted)
	}
	if xr := r.Header["X-Real-Ip"]; len(xr) == 1 {
		return parseHop(xr[0])
	} else if len(xr) > 1 {
		return netip.Addr{}
	}
	// A trusted proxy that passed on no address: not known. Taking the
	// proxy's own would let every caller of a gateway that forgot to
	// pass the address through a key allowing the gateway's network.
	return netip.Addr{}
}

// trusted reports whether addr is one of the trusted proxies'.
func (s *server) trusted(addr netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// rightmostUntrusted walks X-Forwarded-For (every field, in order, joined)
// from the right past trusted proxies; a hop that does not parse ends the
// walk with no address.
func rightmostUntrusted(fields []string, trusted func(netip.Addr) bool) netip.Addr {
	for i := len(fields) - 1; i >= 0; i-- {
		f := fields[i]
		for f != "" {
			var hop string
			if j := strings.LastIndexByte(f, ','); j >= 0 {
				hop, f = f[j+1:], f[:j]
			} else {
				hop, f = f, ""
			}
			a := parseHop(hop)
			if !a.IsValid() {
				return netip.Addr{}
			}
			if !trusted(a) {
				return a
			}
		}
	}
	return netip.Addr{}
}

// parseHop reads one X-Forwarded-For or X-Real-IP entry: an address,
// optionally with a port ("203.0.113.7:4711", "[2001:db8::7]:4711").
func parseHop(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	return netip.Addr{}
}
