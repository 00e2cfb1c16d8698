package keys

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomText is text made of the bytes the secret and token searches
// stop at, run together with secrets, so that every search path is taken.
func randomText(rng *rand.Rand, secrets []string) string {
	pieces := []string{"e", "y", "J", "ey", "eyJ", "_", "sk_", "a", "Z", "0", ".", "=", " ", "é", "\xff"}
	var b strings.Builder
	for range rng.IntN(40) {
		switch rng.IntN(8) {
		case 0:
			b.WriteString(secrets[rng.IntN(len(secrets))])
		case 1:
			b.WriteByte(byte(rng.IntN(256)))
		default:
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
	}
	return b.String()
}

// The checks made faster for clean text answer as the plain ones they
// replaced: crc32IEEE as crc32.ChecksumIEEE, checksumIs as comparing
// Checksum, hasTokenStart as strings.Contains, IndexSecret as its
// byte-by-byte loop.
func TestFastSecretChecksAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var secrets []string
	for range 20 {
		s, err := NewSecret("sk")
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, s, s[:len(s)-1]+"x", "my_pre"+s[2:])
	}
	secrets = append(secrets, sampleToken)
	for range 20000 {
		s := randomText(rng, secrets)
		if got, want := crc32IEEE(s), crc32.ChecksumIEEE([]byte(s)); got != want {
			t.Fatalf("crc32IEEE(%q) = %d, want %d", s, got, want)
		}
		sum := Checksum(s)
		if !checksumIs(s, sum) || checksumIs(s, sum[:5]+"!") || checksumIs(s, sum+"0") {
			t.Fatalf("checksumIs(%q, …) disagrees with Checksum %q", s, sum)
		}
		if got, want := hasTokenStart(s), strings.Contains(s, tokenStart); got != want {
			t.Fatalf("hasTokenStart(%q) = %v, want %v", s, got, want)
		}
		gs, ge := IndexSecret(s)
		ws, we := indexSecretByteByByte(s)
		if gs != ws || ge != we {
			t.Fatalf("IndexSecret(%q) = %d, %d; want %d, %d", s, gs, ge, ws, we)
		}
	}
}

// indexSecretByteByByte is IndexSecret as it was before it searched for
// '_' with IndexByte.
func indexSecretByteByByte(s string) (start, end int) {
	const tail = secretRandomLen + secretChecksumLen
	for i := 1; i+tail < len(s); i++ {
		if s[i] != '_' || !isBase62(s[i+1:i+1+tail]) {
			continue
		}
		body := s[:i+1+secretRandomLen]
		sum := s[i+1+secretRandomLen : i+1+tail]
		for j := i - 1; j >= 0 && i-j <= maxPrefixLen && isPrefixByte(s[j]); j-- {
			if Checksum(body[j:]) == sum {
				return j, i + 1 + tail
			}
		}
	}
	return -1, -1
}

// FuzzFastSecretChecksAgree is TestFastSecretChecksAgree on any input, with
// HashSecret and ParseResource held against their plain forms too.
func FuzzFastSecretChecksAgree(f *testing.F) {
	s, err := NewSecret("sk")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(s)
	f.Add("x " + s + " y_" + s[3:])
	f.Add("eyJ" + sampleToken)
	f.Add("/acme/prod/")
	f.Add("/a//b")
	f.Add(strings.Repeat("_", 60) + "eJ")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := crc32IEEE(s), crc32.ChecksumIEEE([]byte(s)); got != want {
			t.Fatalf("crc32IEEE(%q) = %d, want %d", s, got, want)
		}
		if len(s) >= secretChecksumLen {
			body, sum := s[:len(s)-secretChecksumLen], s[len(s)-secretChecksumLen:]
			if got, want := checksumIs(body, sum), Checksum(body) == sum; got != want {
				t.Fatalf("checksumIs(%q, %q) = %v, want %v", body, sum, got, want)
			}
		}
		if got, want := hasTokenStart(s), strings.Contains(s, tokenStart); got != want {
			t.Fatalf("hasTokenStart(%q) = %v, want %v", s, got, want)
		}
		gs, ge := IndexSecret(s)
		ws, we := indexSecretByteByByte(s)
		if gs != ws || ge != we {
			t.Fatalf("IndexSecret(%q) = %d, %d; want %d, %d", s, gs, ge, ws, we)
		}
		h := sha256.Sum256([]byte(s))
		if got, want := HashSecret(s), hex.EncodeToString(h[:]); got != want {
			t.Fatalf("HashSecret(%q) = %s, want %s", s, got, want)
		}
		got, gerr := ParseResource(s)
		want, werr := parseResourceBySplit(s)
		if got != want || (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
			t.Fatalf("ParseResource(%q) = %q, %v; want %q, %v", s, got, gerr, want, werr)
		}
	})
}

// parseResourceBySplit is ParseResource as it was before it walked the
// segments with strings.Cut and sliced its input.
func parseResourceBySplit(s string) (Resource, error) {
	if s == "/" {
		return Root, nil
	}
	if ContainsSecret(s) {
		return "", Errorf(Invalid, "invalid resource: it holds a keyward secret")
	}
	if !strings.HasPrefix(s, "/") {
		return "", Errorf(Invalid, "invalid resource %s: it must start with / (e.g. /acme/prod)", quoteInput(s))
	}
	p := strings.TrimSuffix(s[1:], "/")
	if 1+len(p) > MaxResourceLen {
		return "", Errorf(Invalid, "invalid resource %s: a resource is at most %d bytes, this one has %d", quoteInput(s), MaxResourceLen, 1+len(p))
	}
	for _, seg := range strings.Split(p, "/") {
		if !validSegment(seg) {
			return "", Errorf(Invalid, "invalid resource %s: each segment is 1-64 of A-Za-z0-9._- and not . or ..", quoteInput(s))
		}
	}
	return Resource("/" + p), nil
}
