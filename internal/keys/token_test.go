package keys

import (
	"encoding/base64"
	"strings"
	"testing"
)

// sampleToken is the shape of a keyward token (its signature is not real).
var sampleToken = b64(`{"alg":"EdDSA","kid":"k1","typ":"JWT"}`) + "." + b64(`{"sub":"key_0123456789abcdef","org":"/acme"}`) + "." +
	strings.Repeat("Ab-_9", 17) + "z"

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestIsToken(t *testing.T) {
	for s, want := range map[string]bool{
		sampleToken:                                      true,
		b64(`{"alg":"none"}`) + ".e30.AA":                true, // a shape: the store checks signatures
		b64(`{"typ":"JWT"}`) + ".e30.AA":                 false,
		b64(`[1]`) + ".e30.AA":                           false,
		b64(`{"alg":"EdDSA"}`) + ".e30.":                 false,
		b64(`{"alg":"EdDSA"}`) + ".e30":                  false,
		b64(`{"alg":"EdDSA"}`) + ".e30.AA.BB":            false,
		b64(`{"alg":"EdDSA"}`) + "=.e30.AA":              false,
		b64(`{"alg":"EdDSA"}`) + ".e3 0.AA":              false,
		"sk_00000000000000000000000000000000" + "30OBQY": false,
		"": false,
	} {
		if got := IsToken(s); got != want {
			t.Errorf("IsToken(%.40q) = %v, want %v", s, got, want)
		}
	}
	if p, err := ParseSecret(sampleToken + "\n"); err != nil || p != sampleToken {
		t.Errorf("ParseSecret(token) = %.20q, %v", p, err)
	}
	if TokenStart(sampleToken) != "Ab-_9A" {
		t.Errorf("TokenStart = %q", TokenStart(sampleToken))
	}
}

func TestContainsToken(t *testing.T) {
	for _, s := range []string{sampleToken, "Bearer " + sampleToken, "x=" + sampleToken + "&y=1", "a.b." + sampleToken + ".c", "foo" + sampleToken} {
		if !ContainsSecret(s) {
			t.Errorf("ContainsSecret missed the token in %.30q…", s)
		}
	}
	for _, s := range []string{"eyJ", "eyJhbGciOiJFZERTQSJ9", "eyJhbGciOiJFZERTQSJ9.e30", "version.1.2", "eyJ.eyJ.eyJ"} {
		if ContainsSecret(s) {
			t.Errorf("ContainsSecret(%q) = true", s)
		}
	}
	// Refused where secrets are refused.
	if ValidateMeta(map[string]string{"t": sampleToken}) == nil {
		t.Error("a token was accepted as a meta value")
	}
}

func TestRedactToken(t *testing.T) {
	for _, s := range []string{sampleToken, "key=" + sampleToken, sampleToken[:60] + "…"} {
		if got := Redact(s); strings.Contains(got, "eyJhbGciOi") || strings.Contains(got, sampleToken[len(sampleToken)-20:]) {
			t.Errorf("Redact left the token: %q", got)
		}
	}
}

// FuzzContainsToken: a token is found wherever it is embedded, and
// whatever is flagged holds a token-shaped run (IsToken) from an "eyJ".
func FuzzContainsToken(f *testing.F) {
	f.Add("", sampleToken, "")
	f.Add("Authorization: Bearer ", sampleToken, "\n")
	f.Add("a.", b64(`{"alg":"x"}`)+".e30.AA", ".b")
	f.Add("eyJ", "x", "y")
	f.Fuzz(func(t *testing.T, before, s, after string) {
		whole := before + s + after
		if IsToken(s) && strings.HasPrefix(s, "eyJ") && !ContainsSecret(whole) {
			t.Fatalf("ContainsSecret(%q) missed the token %q", whole, s)
		}
		if containsToken(whole) {
			found := false
			for i := strings.Index(whole, "eyJ"); i >= 0 && !found; {
				for j := i + 5; j <= len(whole) && !found; j++ {
					found = IsToken(whole[i:j])
				}
				next := strings.Index(whole[i+1:], "eyJ")
				if next < 0 {
					break
				}
				i += 1 + next
			}
			if !found {
				t.Fatalf("containsToken(%q) flagged no token", whole)
			}
		}
	})
}

// TestFindTokenIsLinear: text from a request (a URL the server logs, a
// resource, meta) is searched for tokens; the search looks at each byte a
// bounded number of times, however many "eyJ"s and dots it holds. It used
// to scan forward from every "eyJ" to the end of its run: 64 KiB of
// "eyJ" took over a second of CPU per request.
func TestFindTokenIsLinear(t *testing.T) {
	const n = 64 << 10
	for name, s := range map[string]string{
		"eyJ run":            strings.Repeat("eyJ", n/3),
		"eyJ run, two dots":  strings.Repeat("eyJ", n/3) + ".e30.AA",
		"short triples":      strings.Repeat("eyJ.a.", n/6),
		"headers then dots":  strings.Repeat(b64(`{"x":1}`)+"eyJ", n/14) + ".e30.AA",
		"long pieces":        strings.Repeat(strings.Repeat("eyJ", 200)+".", n/601),
		"many near-headers":  strings.Repeat("."+b64(`{"al":"x"}`), n/16) + ".AA",
		"path of eyJ pieces": "/" + strings.Repeat("eyJ/", n/4),
	} {
		found, work := findToken(s)
		if found {
			t.Errorf("%s: a token found", name)
		}
		if limit := (maxHeaderLen + 1) * len(s); work > limit {
			t.Errorf("%s: %d bytes looked at for %d of text (limit %d)", name, work, len(s), limit)
		}
	}
	// Still found wherever it lies, after or among such runs.
	for _, s := range []string{
		strings.Repeat("eyJ", n/3) + "." + sampleToken,
		strings.Repeat("eyJ", n/3) + " " + sampleToken,
		strings.Repeat("eyJ.", 10) + sampleToken,
		"x" + sampleToken + ".eyJ",
	} {
		if !ContainsSecret(s) {
			t.Errorf("missed the token in %.30q…", s[len(s)-len(sampleToken)-10:])
		}
	}
}

// TestRedactLongRunAllocatesNothing: Redact looks for a default-prefixed
// secret's tail at every position of a run of base62 (a URL the server
// logs, before any authentication); checking a position allocates
// nothing (one buffer for the whole run), so a 64 KiB run costs a pass of
// CRC-32, not 128 Ki strings: it allocated six times a byte.
func TestRedactLongRunAllocatesNothing(t *testing.T) {
	run := strings.Repeat("eyJ", 4<<10)
	if n := testing.AllocsPerRun(5, func() { hasSecretTail(run) }); n > 1 {
		t.Fatalf("hasSecretTail allocated %v times over %d bytes", n, len(run))
	}
	// It still finds the tail of a default-prefixed secret.
	sk, _ := NewSecret("sk")
	pk, _ := NewSecret("pk")
	for _, s := range []string{sk, pk} {
		if !hasSecretTail("xx" + s[3:] + "yy") {
			t.Errorf("missed the tail of %.5s…", s)
		}
	}
	other, _ := NewSecret("acme")
	if hasSecretTail(other[5:]) {
		t.Error("found a default-prefix tail in another prefix's secret")
	}
}
