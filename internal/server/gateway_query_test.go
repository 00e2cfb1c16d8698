package server

import (
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// The in-place reader of /v1/auth's query must read every query it is
// given exactly as url.ParseQuery would.
func TestGatewayQueryInPlaceReadsAsParseQuery(t *testing.T) {
	for _, raw := range []string{
		"", "resource=/acme/prod&role=editor", "role=viewer&resource=/acme", "resource=/a&resource=/b",
		"resource=/a&role=x&role=y&resource=/c", "&&resource=/a&&", "=x&resource=/a", "resource", "resource=",
		"role=a=b", "Resource=/x", "resource=/a&ROLE=admin", "page=2&resource=/a", "resource=/a&page", " role=x",
		"resource =/a", "rôle=x", "resource=/a&resource", "x=1&y=2&z", "&", "=", "==",
	} {
		var fast, slow gatewayQuery
		errFast, errSlow := fast.readInPlace(raw), slow.readParsed(raw)
		if keys.ErrorCode(errFast) != keys.ErrorCode(errSlow) || (errFast == nil) != (errSlow == nil) {
			t.Errorf("%q: in place %v, parsed %v", raw, errFast, errSlow)
			continue
		}
		if errFast == nil && (fast.p != slow.p || fast.err != nil || slow.err != nil) {
			t.Errorf("%q: in place %+v, parsed %+v", raw, fast.p, slow.p)
		}
	}
}
