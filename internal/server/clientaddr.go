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
// to send), or, without X-Forwarded-For, X-Real-IP; with both, they must
// agree (agrees). Headers from any other peer are ignored: anyone may
// send them. The zero Addr is an address that cannot be told (a malformed
// entry, two X-Real-IP headers, a chain of trusted proxies only or an
// X-Real-IP naming one, a trusted proxy that sent neither header, headers
// that disagree), which a key with an allow-list is refused for.
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
	xr := r.Header["X-Real-Ip"]
	if xff := r.Header["X-Forwarded-For"]; len(xff) > 0 {
		a := rightmostUntrusted(xff, s.trusted)
		if len(xr) > 0 && !s.agrees(a, xr) {
			return netip.Addr{}
		}
		return a
	}
	if len(xr) == 1 {
		// One naming a trusted proxy is a gateway that set it to the
		// balancer in front of it: not the caller, as with
		// X-Forwarded-For of trusted hops only.
		if a := parseHop(xr[0]); !s.trusted(a) {
			return a
		}
		return netip.Addr{}
	} else if len(xr) > 1 {
		return netip.Addr{}
	}
	// A trusted proxy that passed on no address: not known. Taking the
	// proxy's own would let every caller of a gateway that forgot to
	// pass the address through a key allowing the gateway's network.
	return netip.Addr{}
}

// agrees reports whether X-Real-IP, sent beside X-Forwarded-For, names
// the address X-Forwarded-For does. A gateway sets one of them and may
// pass the caller's other one on unchanged (nginx passes every request
// header unless told otherwise, and `proxy_set_header X-Real-IP
// $remote_addr` is often its only line; Caddy's forward_auth passes a
// caller's X-Real-IP): which one the gateway wrote cannot be told, so
// trusting either would let the caller name its address. An X-Real-IP
// naming a trusted proxy (a gateway that set it to the load balancer in
// front of it) claims no client and is left aside.
func (s *server) agrees(xffAddr netip.Addr, xr []string) bool {
	ok := false
	if len(xr) == 1 {
		a := parseHop(xr[0])
		ok = a.IsValid() && (a == xffAddr || s.trusted(a))
	}
	if !ok && !s.warnedDisagree.Load() && s.warnedDisagree.CompareAndSwap(false, true) {
		s.log.Warn("a trusted proxy sent X-Forwarded-For and X-Real-IP naming different callers: the caller's address is taken as not known, and keys with an IP allow-list are refused (have the gateway set both, or drop the caller's X-Real-IP or X-Forwarded-For)",
			"x_forwarded_for", xffAddr.String())
	}
	return ok
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
