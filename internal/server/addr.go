package server

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"github.com/keyward/keyward/internal/keys"
)

// CheckAddr checks the form of a listen address: HOST:PORT, the port a
// number from 0 to 65535 (0 picks a free one) or a service name, the host
// empty (every interface), an IP address or a host name. A malformed
// address is the caller's mistake (Invalid), found before anything is
// opened; whether it can be listened on is for net.Listen to say.
func CheckAddr(addr string) error {
	bad := func(why string) error {
		return keys.Errorf(keys.Invalid, "invalid address %.64q: %s; use HOST:PORT (e.g. 127.0.0.1:8080, :8080, [::1]:8080)", addr, why)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return bad("not HOST:PORT")
	}
	if port == "" {
		return bad("no port (0 picks a free one)")
	}
	if _, err := net.DefaultResolver.LookupPort(context.Background(), "tcp", port); err != nil {
		return bad("the port must be a number from 0 to 65535")
	}
	if host == "" || validIP(host) {
		return nil
	}
	if !hostName(host) {
		return bad("the host is neither an IP address nor a host name")
	}
	return nil
}

func validIP(host string) bool {
	_, err := netip.ParseAddr(host) // zones (fe80::1%eth0) included
	return err == nil
}

// hostName reports whether s has the form of a host name whose last label
// is not all digits (999.1.1.1 is a mistyped address, not a name).
// Underscores pass: container networks resolve names such as my_app.
func hostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}
