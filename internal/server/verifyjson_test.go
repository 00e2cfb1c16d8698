package server

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// verifyAnswers are answers of every shape: each code, null and set
// fields, grants nil, empty and many, expiries at every precision, in
// zones and at the ends of what Time.MarshalJSON accepts, and strings
// that only encoding/json may escape.
func verifyAnswers() []*keys.VerifyResult {
	str := func(s string) *string { return &s }
	at := func(t time.Time) *time.Time { return &t }
	n := func(v int64) *int64 { return &v }
	east := time.FixedZone("east", 5*3600+30*60)
	odd := time.FixedZone("odd", -(3*3600 + 7*60 + 11))
	grants := []keys.Grant{{Resource: "/acme", Role: keys.Viewer}, {Resource: "/acme/prod", Role: keys.Editor}, {Resource: "/acme/prod/robot-1", Role: keys.Admin}}
	out := []*keys.VerifyResult{
		keys.NotFoundResult(),
		{},
		{Valid: true, Code: keys.CodeValid, KeyID: str("key_01J9Z8Y7X6W5V4T3S2R1Q0P9N8"), Name: str("ci-deploy"), Org: str("/acme"),
			Grants: grants, ExpiresAt: at(time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)), Account: str("deployer"),
			RateLimit: &keys.RateLimit{N: 100, Per: time.Second}},
		{Code: keys.CodeRateLimited, KeyID: str("key_x"), Name: str("n"), Org: str("/o"), Grants: []keys.Grant{},
			RateLimit: &keys.RateLimit{N: 5000, Per: time.Hour}, RetryAfter: n(17)},
		{Code: keys.CodeRateLimited, RetryAfter: n(0), RateLimit: &keys.RateLimit{}},
		{Code: keys.CodeRateLimited, RetryAfter: n(-9223372036854775808)},
		{Code: keys.CodeDisabled, Grants: []keys.Grant{{Resource: "/", Role: keys.RoleNone}, {Resource: "/x", Role: keys.Role(42)}}},
		{Code: keys.CodeExpired, ExpiresAt: at(time.Date(2026, 11, 22, 9, 0, 0, 123456789, time.UTC))},
		{Code: keys.CodeExpired, ExpiresAt: at(time.Date(2026, 11, 22, 9, 0, 0, 120000000, east))},
		{Code: keys.CodeExpired, ExpiresAt: at(time.Date(1, 1, 1, 0, 0, 0, 0, odd))},
		{Code: keys.CodeExpired, ExpiresAt: at(time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC))},
		{Code: keys.CodeExpired, ExpiresAt: at(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))},
		{Code: keys.CodeExpired, ExpiresAt: at(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC))},
		{Code: keys.CodeExpired, ExpiresAt: at(time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC))},
		{Code: keys.CodeExpired, ExpiresAt: at(time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("far", 24*3600)))},
		{Code: keys.CodeExpired, ExpiresAt: at(time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("far", -24*3600+60)))},
		{Code: keys.CodeExpired, ExpiresAt: at(time.Unix(1_800_000_000, 5).Local())},
		{Code: keys.CodeIPNotAllowed, Name: str("ключ-ü"), Org: str("/日本"), Account: str("a\u2028b\u2029c")},
		{Code: keys.CodeInsufficientPermissions, Name: str(`<script>&"x"\y</script>`), KeyID: str("tab\there\nnl\x00\x1f\x7f")},
		{Code: "WEIRD\xff\xfe", Name: str("bad utf-8 \xc3\x28 \xed\xa0\x80"), Org: str("")},
		// A JWT key's answer: its ID and name are a key's, whatever its secret's shape.
		{Valid: true, Code: keys.CodeValid, KeyID: str("key_jwt0000000000000000000000"), Name: str("svc.jwt-1"), Org: str("/acme"),
			Grants: grants[:1], Account: nil},
	}
	// Random answers built from the pieces above and bytes of any kind.
	rng := rand.New(rand.NewPCG(8, 2026))
	pieces := []string{"", "a", "key_01ABC", "/acme/prod", "é", "<", ">", "&", "\"", "\\", "\u2028", "\x00", "\xff", "\n", "x y", "😀"}
	randStr := func() *string {
		if rng.IntN(4) == 0 {
			return nil
		}
		var b []byte
		for range rng.IntN(5) {
			if rng.IntN(3) == 0 {
				b = append(b, byte(rng.IntN(256)))
			} else {
				b = append(b, pieces[rng.IntN(len(pieces))]...)
			}
		}
		return str(string(b))
	}
	codes := []keys.VerifyCode{keys.CodeValid, keys.CodeNotFound, keys.CodeDisabled, keys.CodeExpired, keys.CodeIPNotAllowed,
		keys.CodeInsufficientPermissions, keys.CodeRateLimited}
	zones := []*time.Location{time.UTC, east, odd, time.Local}
	for range 2000 {
		r := &keys.VerifyResult{Valid: rng.IntN(2) == 0, Code: codes[rng.IntN(len(codes))], KeyID: randStr(), Name: randStr(), Org: randStr(), Account: randStr()}
		if rng.IntN(5) > 0 {
			r.Grants = []keys.Grant{}
			for range rng.IntN(6) {
				res := ""
				if s := randStr(); s != nil {
					res = *s
				}
				r.Grants = append(r.Grants, keys.Grant{Resource: keys.Resource(res), Role: keys.Role(rng.IntN(6) - 1)})
			}
		}
		if rng.IntN(2) == 0 {
			t := time.Unix(rng.Int64N(400_000_000_000)-200_000_000_000, rng.Int64N(1_000_000_000)).In(zones[rng.IntN(len(zones))])
			r.ExpiresAt = &t
		}
		if rng.IntN(2) == 0 {
			r.RateLimit = &keys.RateLimit{N: rng.Int64N(1_000_000), Per: time.Duration(rng.Int64N(int64(31 * 24 * time.Hour)))}
		}
		if rng.IntN(2) == 0 {
			r.RetryAfter = n(rng.Int64() - rng.Int64())
		}
		out = append(out, r)
	}
	return out
}

// The appended answer is byte for byte encoding/json's, and the answers
// encoding/json refuses are the ones the appender hands back to it.
func TestAppendVerifyResultIsEncodingJSON(t *testing.T) {
	fast := 0
	for i, res := range verifyAnswers() {
		var want bytes.Buffer
		wantErr := json.NewEncoder(&want).Encode(res)
		got, ok := appendVerifyResult(nil, res)
		if !ok {
			if wantErr == nil {
				t.Errorf("answer %d: the appender gave up on what encoding/json encodes: %s", i, want.Bytes())
			}
			continue
		}
		fast++
		if wantErr != nil {
			t.Errorf("answer %d: encoding/json refuses it (%v), the appender wrote %s", i, wantErr, got)
			continue
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("answer %d:\n got %q\nwant %q", i, got, want.Bytes())
		}
	}
	if fast < 1000 {
		t.Errorf("only %d answers were appended: the comparison shows little", fast)
	}
}

// The whole answer (status, headers, body) is writeJSON's, for answers
// appended and answers handed back alike.
func TestWriteVerifyResultIsWriteJSON(t *testing.T) {
	for i, res := range verifyAnswers()[:200] {
		want := httptest.NewRecorder()
		writeJSON(want, http.StatusOK, res)
		got := httptest.NewRecorder()
		writeVerifyResult(got, res)
		if got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
			t.Errorf("answer %d: %d %q, want %d %q", i, got.Code, got.Body.Bytes(), want.Code, want.Body.Bytes())
		}
		if g, w := got.Header(), want.Header(); len(g) != len(w) || g.Get("Content-Type") != w.Get("Content-Type") ||
			g.Get("Cache-Control") != w.Get("Cache-Control") || g.Get("X-Content-Type-Options") != w.Get("X-Content-Type-Options") {
			t.Errorf("answer %d: headers %v, want %v", i, g, w)
		}
	}
}

// An answer grown past 8 KiB (a key with very many grants) is not kept in
// the pool for the next one.
func TestLargeAnswerBufferIsNotPooled(t *testing.T) {
	big := make([]byte, 0, 64<<10)
	putAnswerBuf(&big)
	for range 8 {
		bp := answerBufs.Get().(*[]byte)
		if cap(*bp) > 8<<10 {
			t.Fatalf("the pool gave back a %d-byte buffer", cap(*bp))
		}
	}
}
