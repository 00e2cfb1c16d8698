package commands

import (
	"os/user"
	"strings"
	"testing"
)

// Reads never look the OS user up; a change does, once, and records it.
func TestReadsSkipTheUserLookup(t *testing.T) {
	c := newCLITest(t)
	calls := 0
	defer func(f func() (*user.User, error)) { currentUser = f }(currentUser)
	currentUser = func() (*user.User, error) { calls++; return &user.User{Username: "alice"}, nil }

	k := c.create("a --resource /acme")
	if calls != 1 || k.CreatedBy != "local:alice" {
		t.Fatalf("create: %d lookups, created_by %q", calls, k.CreatedBy)
	}
	calls = 0
	c.ok("keys list")
	c.ok("keys get a")
	if out := c.ok("audit list -o json"); !strings.Contains(out, `"actor": "local:alice"`) {
		t.Fatalf("audit: %s", out)
	}
	if calls != 0 {
		t.Fatalf("list, get and audit looked the user up %d times", calls)
	}
	if out := c.ok("whoami"); !strings.Contains(out, "local:alice") || calls != 1 {
		t.Fatalf("whoami: %q after %d lookups", out, calls)
	}
}
