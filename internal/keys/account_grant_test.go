package keys

import (
	"strings"
	"testing"
)

// An account's ungrant errors speak of the account, not of "a key".
func TestRemoveAccountGrantSaysAccount(t *testing.T) {
	gs := []Grant{{Resource: "/acme/prod", Role: Viewer}}
	_, err := RemoveAccountGrant(gs, "/acme/prod")
	if ErrorCode(err) != Conflict || !strings.Contains(err.Error(), "last grant of a service account") {
		t.Fatalf("last grant: %v", err)
	}
	_, err = RemoveAccountGrant(gs, "/acme/dev")
	if ErrorCode(err) != NotFound || !strings.Contains(err.Error(), "service account has no grant") {
		t.Fatalf("no such grant: %v", err)
	}
	out, err := RemoveAccountGrant(append(gs, Grant{Resource: "/acme/dev", Role: Editor}), "/acme/dev")
	if err != nil || len(out) != 1 || out[0].Resource != "/acme/prod" {
		t.Fatalf("removed: %v %v", out, err)
	}
}
