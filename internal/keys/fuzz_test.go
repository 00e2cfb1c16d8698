package keys

import (
	"strings"
	"testing"
	"time"
)

// The fuzz targets check the parsers' promises on any input: no panic, and
// whatever is accepted is in canonical, valid form.

func FuzzParseSecret(f *testing.F) {
	f.Add("sk_00000000000000000000000000000000" + "30OBQY")
	f.Add("sk_abcdefghijklmnopqrstuvwxyzABCDEF1rJNtw\n")
	f.Add("my_pre_fix_abcdefghijklmnopqrstuvwxyzABCDEF000000")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSecret(s)
		if err != nil {
			if ErrorCode(err) != NotFound {
				t.Fatalf("ParseSecret(%q) error code %q", s, ErrorCode(err))
			}
			return
		}
		if Checksum(got[:len(got)-6]) != got[len(got)-6:] || strings.TrimRight(got, " \t\r\n") != got {
			t.Fatalf("ParseSecret(%q) accepted %q", s, got)
		}
		if SecretStart(got) == "" {
			t.Fatalf("no start for accepted secret %q", got)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30d", "1h30m", "0", "-1s", "1M", "9999999999999w", "1.5h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if ErrorCode(err) != Invalid {
				t.Fatalf("ParseDuration(%q) error code %q", s, ErrorCode(err))
			}
			return
		}
		if d <= 0 {
			t.Fatalf("ParseDuration(%q) = %v, not positive", s, d)
		}
		if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Fatalf("FormatDuration(%v) = %q does not read back: %v %v", d, FormatDuration(d), back, err)
		}
	})
}

func FuzzParseResource(f *testing.F) {
	for _, s := range []string{"/", "/acme/prod", "/acme/", "//", "/a/../b", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseResource(s)
		if err != nil {
			if ErrorCode(err) != Invalid {
				t.Fatalf("ParseResource(%q) error code %q", s, ErrorCode(err))
			}
			return
		}
		if again, err := ParseResource(string(r)); err != nil || again != r {
			t.Fatalf("ParseResource(%q) = %q, not canonical: %q %v", s, r, again, err)
		}
		if !Root.Covers(r) || !r.Covers(r) || !Resource(r.Org()).Covers(r) {
			t.Fatalf("coverage broken for %q", r)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-12-31", "2026-12-31T10:00:00Z", "2026-12-31T10:00:00+02:00", "0000-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTime(s)
		if err != nil {
			if ErrorCode(err) != Invalid {
				t.Fatalf("ParseTime(%q) error code %q", s, ErrorCode(err))
			}
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("ParseTime(%q) not in UTC", s)
		}
	})
}

func FuzzParseRole(f *testing.F) {
	for _, s := range []string{"viewer", "Owner", "operator", "admin", "none", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRole(s)
		if err != nil {
			if ErrorCode(err) != Invalid {
				t.Fatalf("ParseRole(%q) error code %q", s, ErrorCode(err))
			}
			return
		}
		if r < Viewer || r > Admin {
			t.Fatalf("ParseRole(%q) = %d", s, r)
		}
		if back, err := ParseRole(r.String()); err != nil || back != r {
			t.Fatalf("role %v does not read back: %v %v", r, back, err)
		}
	})
}

// FuzzNames covers the other small parsers of user input: key names,
// secret prefixes and key types.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"ci-deploy", "key_x", "..", "sk", "my_pre", "public", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := ValidateName(s); err == nil {
			if len(s) == 0 || len(s) > 64 || strings.HasPrefix(s, "key_") || strings.ContainsAny(s, "/ \n") || s == "." || s == ".." {
				t.Fatalf("ValidateName accepted %q", s)
			}
		} else if ErrorCode(err) != Invalid {
			t.Fatalf("ValidateName(%q) error code %q", s, ErrorCode(err))
		}
		if err := ValidatePrefix(s); err == nil {
			secret, err := NewSecret(s)
			if err != nil {
				t.Fatalf("NewSecret(%q): %v", s, err)
			}
			if got, err := ParseSecret(secret); err != nil || got != secret {
				t.Fatalf("a secret with prefix %q does not parse: %v", s, err)
			}
		}
		if typ, err := ParseKeyType(s); err == nil && typ != Secret && typ != Public {
			t.Fatalf("ParseKeyType(%q) = %q", s, typ)
		}
	})
}

// FuzzContainsSecret: a secret is found wherever it is embedded, and a
// string holding none is not flagged.
func FuzzContainsSecret(f *testing.F) {
	f.Add("", "sk_00000000000000000000000000000000"+"30OBQY", "")
	f.Add("token=", "my_pre_fix_abcdefghijklmnopqrstuvwxyzABCDEF", "\n")
	f.Add("acme/", "x", "z")
	f.Add("meta=", sampleToken, "")
	f.Fuzz(func(t *testing.T, before, s, after string) {
		whole := before + s + after
		if _, err := ParseSecret(s); err == nil && strings.TrimRight(s, " \t\r\n") == s && !ContainsSecret(whole) {
			t.Fatalf("ContainsSecret(%q) missed the secret %q", whole, s)
		}
		if ContainsSecret(whole) && !containsToken(whole) { // tokens: FuzzContainsToken
			// Then some substring parses as a secret.
			found := false
			for i := 0; i < len(whole) && !found; i++ {
				for j := i + 40; j <= len(whole) && j <= i+59; j++ {
					if _, err := ParseSecret(whole[i:j]); err == nil && !strings.ContainsAny(whole[i:j], " \t\r\n") {
						found = true
						break
					}
				}
			}
			if !found {
				t.Fatalf("ContainsSecret(%q) flagged no secret", whole)
			}
		}
	})
}
