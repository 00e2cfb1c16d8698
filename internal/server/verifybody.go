package server

import (
	"io"
	"net/http"
	"net/netip"

	"github.com/keyward/keyward/internal/keys"
)

// verifyRequest reads POST /v1/verify's body. The bodies services send
// ({"key":"…","resource":"…","role":"…"}, plain strings, each member
// once) are read in place; any other body, and any that would not parse
// into a request, goes through decodeBody, which is then the one to say
// what is wrong with it. encoding/json with its strict checks was half
// of a verification's time in the handler.
func verifyRequest(r *http.Request) (keys.VerifyRequest, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return keys.VerifyRequest{}, bodyError(err)
	}
	if req, ok := plainVerifyBody(body); ok {
		return req, nil
	}
	var req keys.VerifyRequest
	err = decodeBytes(body, &req, false)
	return req, err
}

// plainVerifyBody reads a verify body made only of the members key,
// resource, role and ip, in any order, each at most once, with string values
// holding no escape and no byte outside printable ASCII; ok is false for
// anything else (for which encoding/json's answer might differ: escapes,
// case-folded names, invalid UTF-8, null, a resource or role that does not parse).
func plainVerifyBody(b []byte) (req keys.VerifyRequest, ok bool) {
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return req, false
	}
	var seen [4]bool
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return req, skipSpace(b, i+1) == len(b)
	}
	for {
		name, j, ok := plainBytes(b, i)
		if !ok {
			return req, false
		}
		i = skipSpace(b, j)
		if i == len(b) || b[i] != ':' {
			return req, false
		}
		value, j, ok := plainBytes(b, skipSpace(b, i+1))
		if !ok {
			return req, false
		}
		switch string(name) {
		case "key":
			if seen[0] {
				return req, false
			}
			seen[0], req.Secret = true, string(value)
		case "resource":
			res, err := keys.ParseResource(string(value)) // as its UnmarshalText does
			if seen[1] || err != nil {
				return req, false
			}
			seen[1], req.Resource = true, &res
		case "role":
			role, err := keys.ParseRole(string(value))
			if seen[2] || err != nil {
				return req, false
			}
			seen[2], req.Role = true, &role
		case "ip":
			ip, err := netip.ParseAddr(string(value)) // as its UnmarshalText does
			if seen[3] || err != nil {
				return req, false
			}
			seen[3], req.IP = true, ip
		default:
			return req, false
		}
		i = skipSpace(b, j)
		if i == len(b) {
			return req, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return req, skipSpace(b, i+1) == len(b)
		default:
			return req, false
		}
	}
}

// plainBytes reads a JSON string at b[i] that needs no unescaping and is
// printable ASCII; it returns its content and the index after its quote.
func plainBytes(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return nil, j, false
		}
	}
	return nil, len(b), false
}
