package server

import (
	"reflect"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// Every body the in-place reader accepts reads as encoding/json (with
// decodeBody's strict checks) reads it; the rest is left to those.
func FuzzPlainVerifyBody(f *testing.F) {
	for _, s := range []string{
		`{"key":"sk_x","resource":"/acme/prod","role":"editor"}`, ` { "role" : "viewer" , "key":"k" } `, `{}`, ` {}`, `{"key":""}`,
		`{"resource":""}`, `{"role":""}`, `{"key":"a","key":"b"}`, `{"Key":"a"}`, `{"KEY":"a","key":"b"}`, `{"key":"a\"b"}`,
		`{"key":"a\u0041"}`, `{"key":null}`, `{"key":1}`, `{"key":"a"}x`, `{"key":"a"}{}`, `{"key":"a",}`, `{,}`, `[]`, ``,
		`{"resource":"/acme","role":"owner"}`, `{"role":"root"}`, `{"other":"x"}`, "{\"key\":\"\xff\"}", `{"key":"é"}`,
		`{"key":"a"`, `{"key"`, `{"key":`, "{\"key\":\"a\"}\n", `{"resource":"/a/../b"}`,
		`{"key":"k","ip":"192.0.2.1"}`, `{"ip":"::ffff:1.2.3.4","key":"k"}`, `{"ip":""}`, `{"ip":"1.2.3"}`,
		`{"ip":"fe80::1%eth0"}`, `{"ip":"2001:db8::1","ip":"192.0.2.1"}`, `{"ip":null}`, `{"IP":"192.0.2.1"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := plainVerifyBody(b)
		if !ok {
			return
		}
		var want keys.VerifyRequest
		if err := decodeBytes(b, &want, false); err != nil {
			t.Fatalf("%q: read in place as %+v, but decodeBody says %v", b, got, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: in place %+v, decodeBody %+v", b, got, want)
		}
	})
}
