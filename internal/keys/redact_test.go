package keys

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	secret, err := NewSecret("sk")
	if err != nil {
		t.Fatal(err)
	}
	custom, err := NewSecret("ci_deploy")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"key " + secret + " not found", "key [redacted] not found"},
		{"GET /v1/keys/" + custom + "x", "GET /v1/keys/[redacted]x"},
		{"a typo: sk_" + strings.Repeat("A", 38), "a typo: [redacted]"},
		// Split by a separator, or cut from its prefix: nothing of it stays.
		{"k=" + secret[:10] + "\n" + secret[10:], Redacted},
		{"a=sk_&b=" + secret[3:], Redacted},
		// Not secrets.
		{"svc_payments-eu-west-1 is not a secret", "svc_payments-eu-west-1 is not a secret"},
		{"/v1/keys?resource=/acme/prod&limit=5", "/v1/keys?resource=/acme/prod&limit=5"},
		{"", ""},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
