package server

import (
	"io"
	"net/http"
	"net/netip"
	"sync"

	"github.com/keyward/keyward/internal/keys"
)

// verifyRequest reads POST /v1/verify's body. The bodies services send
// ({"key":"…","resource":"…","role":"…"}, plain strings, each member
// once) are read in place; any other body, and any that would not parse
// into a request, goes through decodeBody, which is then the one to say
// what is wrong with it. encoding/json with its strict checks was half
// of a verification's time in the handler.
func verifyRequest(r *http.Request) (keys.VerifyRequest, error) {
	bp := bodyBufs.Get().(*[]byte)
	defer putBodyBuf(bp)
	body, err := readAll(r.Body, (*bp)[:0])
	*bp = body[:0]
	if err != nil {
		return keys.VerifyRequest{}, bodyError(err)
	}
	// Nothing read from body outlives this call: the request's strings
	// are copies (string(value), encoding/json's own).
	if req, ok := plainVerifyBody(body); ok {
		return req, nil
	}
	var req keys.VerifyRequest
	err = decodeBytes(body, &req, false)
	return req, err
}

// bodyBufs hold verify bodies while they are read: io.ReadAll's 512-byte
// start was the largest allocation of a verification.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// putBodyBuf returns a buffer to the pool, unless a large body (up to
// maxBodyBytes) grew it: verify bodies are small, and the pool should not
// hold on to 64 KiB for each that once came.
func putBodyBuf(bp *[]byte) {
	if cap(*bp) <= 4<<10 {
		bodyBufs.Put(bp)
	}
}

// readAll is io.ReadAll into b's spare capacity.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append pick the next size
		}
	}
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
	// One copy of the body, of which the key and resource are slices,
	// and one home for both pointers: a string and a pointer a member
	// were half of a verification's allocations.
	text := string(b)
	var args *verifyArgs
	var seen [4]bool
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return req, skipSpace(b, i+1) == len(b)
	}
	for {
		ns, ne, j, ok := plainString(b, i)
		if !ok {
			return req, false
		}
		i = skipSpace(b, j)
		if i == len(b) || b[i] != ':' {
			return req, false
		}
		vs, ve, j, ok := plainString(b, skipSpace(b, i+1))
		if !ok {
			return req, false
		}
		value := text[vs:ve]
		if args == nil && (text[ns:ne] == "resource" || text[ns:ne] == "role") {
			args = &verifyArgs{}
		}
		switch text[ns:ne] {
		case "key":
			if seen[0] {
				return req, false
			}
			seen[0], req.Secret = true, value
		case "resource":
			res, err := keys.ParseResource(value) // as its UnmarshalText does
			if seen[1] || err != nil {
				return req, false
			}
			args.resource = res
			seen[1], req.Resource = true, &args.resource
		case "role":
			role, err := keys.ParseRole(value)
			if seen[2] || err != nil {
				return req, false
			}
			args.role = role
			seen[2], req.Role = true, &args.role
		case "ip":
			ip, err := netip.ParseAddr(value) // as its UnmarshalText does
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

// verifyArgs holds what a verify request's resource and role point to.
type verifyArgs struct {
	resource keys.Resource
	role     keys.Role
}

// plainString finds a JSON string at b[i] that needs no unescaping and is
// printable ASCII: its content is b[start:end], next the index after its
// quote.
func plainString(b []byte, i int) (start, end, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return i + 1, j, j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return 0, 0, j, false
		}
	}
	return 0, 0, len(b), false
}
