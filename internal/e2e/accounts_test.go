package e2e

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestAccountChangeReachesEveryKeyAtOnce: a service account's keys verify
// through a running server (GET /v1/auth, its cache warm) with the
// account's grants and X-Keyward-Account; a change to the account, made
// through the server's API or by another process on the same SQLite file,
// is seen by the very next verification of every one of its keys.
func TestAccountChangeReachesEveryKeyAtOnce(t *testing.T) {
	t.Parallel()
	bin := keywardBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "keys.db")
	env := isolatedEnv(dir)
	local := func(args ...string) kwRun {
		t.Helper()
		return kwExec(t, bin, env, "", append([]string{"--db", db}, args...)...).want(t, 0, strings.Join(args, " "))
	}
	root := strings.TrimSpace(local("keys", "create", "root", "--resource", "/", "--role", "admin", "-q").stdout)
	local("accounts", "create", "fleet", "--resource", "/acme/prod", "--role", "editor")
	robots := []string{
		strings.TrimSpace(local("keys", "create", "robot-1", "--account", "fleet", "-q").stdout),
		strings.TrimSpace(local("keys", "create", "robot-2", "--account", "fleet", "--ttl", "1d", "-q").stdout),
	}
	api := startServe(t, bin, env, db)
	remote := withEnv(env, "KEYWARD_TOKEN="+root)

	auth := func(secret, resource string) *http.Response {
		t.Helper()
		req, err := http.NewRequest("GET", api+"/v1/auth?resource="+resource, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// wantAll checks every robot twice: the second answer comes from the
	// server's cache, which the next change must not outlive.
	wantAll := func(what, resource string, status int) {
		t.Helper()
		for i, s := range robots {
			for range 2 {
				resp := auth(s, resource)
				if resp.StatusCode != status {
					t.Fatalf("%s: robot-%d on %s answered %d, want %d", what, i+1, resource, resp.StatusCode, status)
				}
				if status == http.StatusNoContent && resp.Header.Get("X-Keyward-Account") != "fleet" {
					t.Fatalf("%s: X-Keyward-Account = %q, want fleet", what, resp.Header.Get("X-Keyward-Account"))
				}
			}
		}
	}
	wantAll("at first", "/acme/prod", http.StatusNoContent)
	wantAll("at first", "/acme/dev", http.StatusForbidden)

	// Through the server's API.
	kwExec(t, bin, remote, "", "--server", api, "accounts", "grant", "fleet", "/acme/dev").want(t, 0, "accounts grant over the API")
	wantAll("after a grant over the API", "/acme/dev", http.StatusNoContent)

	// By another process writing the same SQLite file.
	local("accounts", "ungrant", "fleet", "/acme/prod")
	wantAll("after an ungrant by another process", "/acme/prod", http.StatusForbidden)
	wantAll("after an ungrant by another process", "/acme/dev", http.StatusNoContent)

	// A key's own grants are its account's: keys grant is refused (exit 2)
	// and says where to go.
	r := kwExec(t, bin, env, "", "--db", db, "keys", "grant", "robot-1", "/acme/prod").want(t, 2, "keys grant on an account's key")
	if !strings.Contains(r.stderr, "accounts grant") {
		t.Errorf("keys grant on an account's key: %q does not point to accounts grant", r.stderr)
	}
	// The account goes only once its keys have.
	kwExec(t, bin, env, "", "--db", db, "accounts", "delete", "fleet", "--yes").want(t, 5, "accounts delete with keys")
	local("keys", "delete", "robot-1", "robot-2", "--yes")
	wantAll("after the keys were deleted", "/acme/dev", http.StatusUnauthorized)
	local("accounts", "delete", "fleet", "--yes")
}
