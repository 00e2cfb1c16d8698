package keys

import (
	"strings"
	"testing"
)

func TestChecksumVectors(t *testing.T) {
	for _, tc := range []struct{ body, sum string }{
		{"sk_00000000000000000000000000000000", "30OBQY"},
		{"sk_abcdefghijklmnopqrstuvwxyzABCDEF", "1rJNtw"},
	} {
		if got := Checksum(tc.body); got != tc.sum {
			t.Errorf("Checksum(%q) = %q, want %q", tc.body, got, tc.sum)
		}
		if _, err := ParseSecret(tc.body + tc.sum + "\n"); err != nil {
			t.Errorf("ParseSecret(%q): %v", tc.body+tc.sum, err)
		}
	}
}

func TestNewSecretRoundTrips(t *testing.T) {
	for _, p := range []string{"sk", "pk", "my_app_2", strings.Repeat("a", 20)} {
		s, err := NewSecret(p)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ParseSecret(s); err != nil || got != s {
			t.Fatalf("ParseSecret(%q) = %q, %v", s, got, err)
		}
		if start := SecretStart(s); start != s[:len(p)+5] {
			t.Errorf("SecretStart(%q) = %q", s, start)
		}
	}
}

func TestParseSecretRejects(t *testing.T) {
	good, _ := NewSecret("sk")
	flipped := []byte(good)
	flipped[5] ^= 1
	for _, s := range []string{"", "sk_notarealkey", string(flipped), "SK" + good[2:], "_" + good[1:], good + "x", " " + good} {
		if _, err := ParseSecret(s); ErrorCode(err) != NotFound {
			t.Errorf("ParseSecret(%q) = %v, want not_found", s, err)
		}
	}
}

func TestContainsSecret(t *testing.T) {
	s := "sk_00000000000000000000000000000000" + "30OBQY"
	long := "my_pre_fix_abcdefghijklmnopqrstuvwxyzABCDEF"
	long += Checksum(long)
	for _, c := range []struct {
		in   string
		want bool
	}{
		{s, true},
		{"token=" + s, true},
		{"acme/" + s, true},
		{"--meta=k=" + s + "x", true}, // run together: still a secret to guard
		{"x" + long, true},
		{"X" + s, true}, // 'X' is no prefix byte: the prefix is still "sk"
		{s[:len(s)-1] + "R", false},
		{"sk_" + strings.Repeat("a", 38), false},
		{"sha_" + strings.Repeat("0123456789abcdef", 3), false},
		{"", false},
		{"_", false},
	} {
		if got := ContainsSecret(c.in); got != c.want {
			t.Errorf("ContainsSecret(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}
