package e2e

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/testenv"
)

type e2eKey struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Org    string `json:"org"`
	Secret string `json:"secret"`
	Start  string `json:"start"`
	Grants []struct {
		Resource string `json:"resource"`
		Role     string `json:"role"`
	} `json:"grants"`
	CreatedBy         string  `json:"created_by"`
	PreviousExpiresAt *string `json:"previous_expires_at"`
}

// remoteServer bootstraps a server the way the README does: a root key made
// by direct database access, then `keyward serve` on a loopback port.
func remoteServer(t *testing.T) (bin string, env []string, url, root string) {
	t.Helper()
	bin = keywardBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "server.db")
	env = isolatedEnv(dir)
	r := kwExec(t, bin, env, "", "--db", db, "keys", "create", "root", "--role", "admin", "--resource", "/", "-q").want(t, 0, "bootstrap root key")
	root = strings.TrimSpace(r.stdout)
	url = startServe(t, bin, env, db)
	return bin, env, url, root
}

// TestRemoteLifecycle drives every key command through `keyward serve` with
// KEYWARD_SERVER and KEYWARD_TOKEN: the remote backend end to end.
func TestRemoteLifecycle(t *testing.T) {
	t.Parallel()
	bin, env, url, root := remoteServer(t)
	asRoot := withEnv(env, "KEYWARD_SERVER="+url, "KEYWARD_TOKEN="+root)
	kw := func(stdin string, args ...string) kwRun {
		t.Helper()
		return kwExec(t, bin, asRoot, stdin, append([]string{"-o", "json"}, args...)...)
	}

	var who struct {
		Actor  string  `json:"actor"`
		Name   string  `json:"name"`
		Key    *e2eKey `json:"key"`
		Source string  `json:"source"`
	}
	kw("", "whoami").want(t, 0, "whoami").json(t, &who)
	if who.Name != "root" || who.Key == nil || who.Actor != who.Key.ID || who.Source != "env KEYWARD_TOKEN" {
		t.Fatalf("whoami = %+v", who)
	}

	var ci e2eKey
	kw("", "keys", "create", "ci-deploy", "--resource", "/acme/prod", "--role", "editor", "--ttl", "30d", "--meta", "team=ci").want(t, 0, "create").json(t, &ci)
	if ci.Org != "/acme" || !strings.HasPrefix(ci.Secret, "sk_") || ci.CreatedBy != who.Key.ID {
		t.Fatalf("created %+v", ci)
	}
	var acmeAdmin e2eKey
	kw("", "keys", "create", "acme-admin", "--resource", "/acme", "--role", "admin").want(t, 0, "create acme-admin").json(t, &acmeAdmin)
	kw("", "keys", "create", "ci-deploy", "--resource", "/acme/prod").want(t, 5, "duplicate name")
	kw("", "keys", "create", "bad", "--resource", "/acme", "--ttl", "3x").want(t, 2, "bad ttl")

	// verify needs no operator credential at all.
	anon := withEnv(env, "KEYWARD_SERVER="+url)
	var vr struct {
		Valid bool   `json:"valid"`
		Code  string `json:"code"`
		KeyID string `json:"key_id"`
	}
	kwExec(t, bin, anon, ci.Secret+"\n", "-o", "json", "keys", "verify", "--resource", "/acme/prod/robot-1").want(t, 0, "verify").json(t, &vr)
	if !vr.Valid || vr.Code != "VALID" || vr.KeyID != ci.ID {
		t.Fatalf("verify = %+v", vr)
	}
	kwExec(t, bin, anon, ci.Secret, "-o", "json", "keys", "verify", "--resource", "/acme/dev").want(t, 7, "verify outside the grant").json(t, &vr)
	if vr.Code != "INSUFFICIENT_PERMISSIONS" {
		t.Fatalf("verify = %+v", vr)
	}
	kwExec(t, bin, anon, "sk_notarealkey", "-o", "json", "keys", "verify").want(t, 7, "verify garbage")

	var list []e2eKey
	kw("", "keys", "list").want(t, 0, "list").json(t, &list)
	if len(list) != 3 || list[0].Name != "acme-admin" || list[1].Name != "ci-deploy" || list[2].Name != "root" {
		t.Fatalf("list = %+v", list)
	}
	for _, k := range list {
		if k.Secret != "" {
			t.Fatal("list shows a secret")
		}
	}
	kw("", "keys", "list", "--resource", "/acme/prod").want(t, 0, "list --resource").json(t, &list)
	if len(list) != 1 || list[0].ID != ci.ID {
		t.Fatalf("list --resource = %+v", list)
	}
	// Pages: --limit 1 shows one and says more exist; --limit 0 streams all.
	r := kw("", "keys", "list", "--limit", "1").want(t, 0, "list --limit 1")
	r.json(t, &list)
	if len(list) != 1 {
		t.Fatalf("list --limit 1 = %+v", list)
	}
	kw("", "keys", "list", "--limit", "0").want(t, 0, "list --limit 0").json(t, &list)
	if len(list) != 3 {
		t.Fatalf("list --limit 0 = %d keys", len(list))
	}

	var got e2eKey
	kw("", "keys", "get", "acme/ci-deploy").want(t, 0, "get org/name").json(t, &got)
	if got.ID != ci.ID {
		t.Fatalf("get acme/ci-deploy = %+v", got)
	}
	kw("", "keys", "get", "/root").want(t, 0, "get /name of a root key")
	kw("", "keys", "get", "nope").want(t, 3, "get unknown")

	var rolled e2eKey
	kw("", "keys", "roll", "ci-deploy", "--grace", "1h", "--yes").want(t, 0, "roll").json(t, &rolled)
	if rolled.ID != ci.ID || rolled.Secret == "" || rolled.Secret == ci.Secret || rolled.PreviousExpiresAt == nil {
		t.Fatalf("rolled %+v", rolled)
	}
	kwExec(t, bin, anon, ci.Secret, "keys", "verify").want(t, 0, "old secret within its grace")
	kwExec(t, bin, anon, rolled.Secret, "keys", "verify").want(t, 0, "new secret")
	r = kwExec(t, bin, asRoot, "", "keys", "roll", "ci-deploy", "--grace", "0", "--yes", "-q").want(t, 0, "roll -q")
	if !strings.HasPrefix(strings.TrimSpace(r.stdout), "sk_") || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("roll -q printed %q", r.stdout)
	}
	latest := strings.TrimSpace(r.stdout)
	kwExec(t, bin, anon, rolled.Secret, "keys", "verify").want(t, 7, "rolled out with --grace 0")
	kw("", "keys", "roll", "ci-deploy").want(t, 2, "roll off a terminal without --yes")

	var granted e2eKey
	kw("", "keys", "grant", "ci-deploy", "/acme/dev", "--role", "viewer").want(t, 0, "grant").json(t, &granted)
	if len(granted.Grants) != 2 {
		t.Fatalf("grants after grant: %+v", granted.Grants)
	}
	kwExec(t, bin, anon, latest, "keys", "verify", "--resource", "/acme/dev").want(t, 0, "verify after grant")
	kw("", "keys", "ungrant", "ci-deploy", "/acme/dev").want(t, 0, "ungrant")
	kw("", "keys", "ungrant", "ci-deploy", "/acme/prod").want(t, 5, "ungrant the last grant")
	kw("", "keys", "grant", "ci-deploy", "/globex", "--role", "viewer").want(t, 2, "grant in another organization")

	// Another operator: an admin of /acme only.
	asAcme := withEnv(asRoot, "KEYWARD_TOKEN="+acmeAdmin.Secret)
	acme := func(args ...string) kwRun {
		t.Helper()
		return kwExec(t, bin, asAcme, "", append([]string{"-o", "json"}, args...)...)
	}
	acme("keys", "create", "globex-key", "--resource", "/globex").want(t, 4, "create outside its scope (403)")
	acme("keys", "get", "root").want(t, 3, "a key it may not read is not found")
	acme("keys", "create", "acme-web", "--resource", "/acme/web", "--role", "admin").want(t, 0, "create within its scope")
	acme("keys", "list").want(t, 0, "list").json(t, &list)
	if len(list) != 3 { // acme-admin, acme-web, ci-deploy
		t.Fatalf("acme-admin sees %d keys: %+v", len(list), list)
	}
	asCI := withEnv(asRoot, "KEYWARD_TOKEN="+latest)
	kwExec(t, bin, asCI, "", "keys", "delete", "ci-deploy", "--yes").want(t, 4, "an editor deletes itself (403)")
	kwExec(t, bin, asCI, "", "keys", "get", "acme-web").want(t, 3, "an editor of /acme/prod cannot see /acme/web")
	kwExec(t, bin, asCI, "", "keys", "update", "ci-deploy", "--disable").want(t, 4, "a key changes itself (403)")

	// Bad credentials: a well-formed unknown key, a malformed one.
	unknown := "sk_00000000000000000000000000000000" + "30OBQY"
	r = kwExec(t, bin, withEnv(asRoot, "KEYWARD_TOKEN="+unknown), "", "keys", "list").want(t, 4, "unknown operator key")
	kwExec(t, bin, withEnv(asRoot, "KEYWARD_TOKEN=nonsense"), "", "keys", "list").want(t, 4, "malformed operator key")
	// No credential at all: exit 4 with the way out.
	r = kwExec(t, bin, anon, "", "keys", "list").want(t, 4, "no credential")
	if !strings.Contains(r.stderr, "keyward login") || !strings.Contains(r.stderr, "KEYWARD_TOKEN") {
		t.Fatalf("no-credential error does not say what to do: %s", r.stderr)
	}

	// Errors under -o json are JSON on stderr, carrying the server's code.
	r = kw("", "keys", "get", "nope").want(t, 3, "get unknown")
	var eb struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.stderr), &eb); err != nil || eb.Error.Code != "not_found" {
		t.Fatalf("error JSON %q: %v", r.stderr, err)
	}

	// Delete is all or nothing: with one missing key, nothing goes.
	kw("", "keys", "delete", "ci-deploy", "nope", "--yes").want(t, 3, "delete with a missing key")
	kw("", "keys", "get", "ci-deploy").want(t, 0, "ci-deploy survived the failed delete")
	var deleted []e2eKey
	kw("", "keys", "delete", "ci-deploy", "acme/acme-web", "--yes").want(t, 0, "delete").json(t, &deleted)
	if len(deleted) != 2 {
		t.Fatalf("deleted %+v", deleted)
	}
	kwExec(t, bin, anon, latest, "-o", "json", "keys", "verify").want(t, 7, "a deleted key").json(t, &vr)
	if vr.Code != "NOT_FOUND" {
		t.Fatalf("verify of a deleted key = %+v", vr)
	}

	var audit []struct {
		Action    string  `json:"action"`
		Actor     string  `json:"actor"`
		ActorName *string `json:"actor_name"`
		KeyID     string  `json:"key_id"`
	}
	kw("", "audit", "list", "--limit", "0").want(t, 0, "audit").json(t, &audit)
	actions := map[string]int{}
	for _, a := range audit {
		if a.KeyID == ci.ID {
			actions[a.Action]++
			if a.Actor != who.Key.ID || a.ActorName == nil || *a.ActorName != "root" {
				t.Errorf("audit row %+v: actor should be the root key", a)
			}
		}
	}
	for _, act := range []string{"create", "roll", "grant", "ungrant", "delete"} {
		if actions[act] == 0 {
			t.Errorf("audit has no %s of ci-deploy: %v", act, actions)
		}
	}
	kw("", "audit", "list", "--key", acmeAdmin.ID).want(t, 0, "audit --key").json(t, &audit)
	if len(audit) != 1 || audit[0].Action != "create" {
		t.Fatalf("audit --key = %+v", audit)
	}
}

// TestRemoteUnreachable: a server that is not there is exit 6 with the
// server named, without hanging.
func TestRemoteUnreachable(t *testing.T) {
	t.Parallel()
	bin := keywardBinary(t)
	dir := t.TempDir()
	port := freePort(t) // free now: nothing listens there
	env := withEnv(isolatedEnv(dir), "KEYWARD_SERVER=http://127.0.0.1:"+strconv.Itoa(port), "KEYWARD_TOKEN=sk_00000000000000000000000000000000"+"30OBQY")
	r := kwExec(t, bin, env, "", "keys", "list").want(t, 6, "unreachable server")
	if !strings.Contains(r.stderr, "cannot reach 127.0.0.1:"+strconv.Itoa(port)) {
		t.Fatalf("stderr %q does not name the server", r.stderr)
	}
	kwExec(t, bin, env, "sk_x", "keys", "verify").want(t, 6, "verify against an unreachable server")
}

// TestRemoteTLS: `serve` over HTTPS with a certificate from a private CA;
// the client trusts it only with --ca-file, and login keeps that CA file
// in the profile so that later commands need no flag.
func TestRemoteTLS(t *testing.T) {
	t.Parallel()
	bin := keywardBinary(t)
	dir := t.TempDir()
	env := isolatedEnv(dir)
	db := filepath.Join(dir, "server.db")
	root := strings.TrimSpace(kwExec(t, bin, env, "", "--db", db, "keys", "create", "root", "--role", "admin", "--resource", "/", "-q").want(t, 0, "bootstrap").stdout)
	caFile, certFile, keyFile, _ := testenv.PKI(t, dir)
	url := serveWith(t, bin, env, "serve", "--addr", "127.0.0.1:0", "--db", db, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("serve with a certificate printed %s", url)
	}
	withToken := withEnv(env, "KEYWARD_SERVER="+url, "KEYWARD_TOKEN="+root)
	r := kwExec(t, bin, withToken, "", "keys", "list").want(t, 6, "an unknown CA")
	if !strings.Contains(r.stderr, "--ca-file") {
		t.Fatalf("the error should point at --ca-file: %s", r.stderr)
	}
	kwExec(t, bin, withToken, "", "--ca-file", caFile, "keys", "list").want(t, 0, "with --ca-file")
	kwExec(t, bin, withEnv(withToken, "KEYWARD_CA_FILE="+caFile), "", "keys", "list").want(t, 0, "with KEYWARD_CA_FILE")

	// No keyring needed for this part: the key goes to a 0600 file.
	noBus := withEnv(env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(dir, "no-bus"))
	kwExec(t, bin, noBus, root, "login", "--server", url, "--ca-file", caFile, "--insecure-storage").want(t, 0, "login over TLS")
	kwExec(t, bin, noBus, "", "keys", "list").want(t, 0, "list through the profile, CA from the profile")
}
