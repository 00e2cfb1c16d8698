package keys

import (
	"strings"
	"testing"
)

// The secret-shape checks every verification (ParseSecret, HashSecret)
// and every guarded input or log line (ContainsSecret, Redact) runs. Only
// API calls both this tree and older ones have, so the same file measures
// an earlier commit too (BENCHMARKS.md). Speed is never asserted.

func benchSecret(b *testing.B) string {
	s, err := NewSecret("sk")
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkParseSecret(b *testing.B) {
	s := benchSecret(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSecret(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashSecret(b *testing.B) {
	s := benchSecret(b)
	b.ReportAllocs()
	for b.Loop() {
		if HashSecret(s) == "" {
			b.Fatal("no hash")
		}
	}
}

// A meta value or name of ordinary length holding no secret: the common
// case of the guard.
func BenchmarkContainsSecretClean(b *testing.B) {
	s := "team=payments owner=alice@example.com purpose=nightly export to the warehouse"
	b.ReportAllocs()
	for b.Loop() {
		if ContainsSecret(s) {
			b.Fatal("found")
		}
	}
}

func BenchmarkContainsSecretFound(b *testing.B) {
	s := "token=" + benchSecret(b) + "&x=1"
	b.ReportAllocs()
	for b.Loop() {
		if !ContainsSecret(s) {
			b.Fatal("not found")
		}
	}
}

// A request URI as the request log writes it, without and with a secret.
func BenchmarkRedactClean(b *testing.B) {
	s := "/v1/auth/acme/prod/orders/12345?page=2&sort=created_at"
	b.ReportAllocs()
	for b.Loop() {
		if Redact(s) != s {
			b.Fatal("changed")
		}
	}
}

func BenchmarkRedactSecret(b *testing.B) {
	s := "/v1/auth/acme?k=" + benchSecret(b)
	b.ReportAllocs()
	for b.Loop() {
		if strings.Contains(Redact(s), "sk_") {
			b.Fatal("not redacted")
		}
	}
}

// A long query of base62 text (which the tail check walks position by
// position): 4 KiB, a large but ordinary URL.
func BenchmarkRedactLong(b *testing.B) {
	s := "/v1/auth?q=" + strings.Repeat("aZ09", 1024)
	b.ReportAllocs()
	for b.Loop() {
		Redact(s)
	}
}

// A gateway's X-Keyward-Resource, parsed on every verification that
// names one (ParseResource guards it with ContainsSecret).
func BenchmarkParseResource(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseResource("/acme/prod/orders/robot-1"); err != nil {
			b.Fatal(err)
		}
	}
}
