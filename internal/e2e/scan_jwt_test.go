package e2e

import (
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys/keystest"
)

// TestScanFindsJWTKeysThroughServer: a tree seeded with a live JWT key's
// token, a deleted one's, a forgery of the live one (keyward's header and
// claims, another signing key) and another system's JWT, scanned through
// `keyward serve`: tokens are checked against the served JWK Set, so
// only the real ones are found; offline, the forgery is found too, as
// unchecked; --disable ends the live token at once.
func TestScanFindsJWTKeysThroughServer(t *testing.T) {
	t.Parallel()
	bin, env, url, root := remoteServer(t)
	as := func(token string) []string { return withEnv(env, "KEYWARD_SERVER="+url, "KEYWARD_TOKEN="+token) }
	kw := func(token string, args ...string) kwRun {
		t.Helper()
		return kwExec(t, bin, as(token), "", append([]string{"-o", "json"}, args...)...)
	}
	create := func(name string) e2eKey {
		var k e2eKey
		kw(root, "keys", "create", name, "--resource", "/acme/prod", "--format", "jwt").want(t, 0, "create").json(t, &k)
		return k
	}
	live, gone := create("live"), create("gone")
	kw(root, "keys", "delete", "gone", "--yes").want(t, 0, "delete")

	forged := keystest.ForeignSigned(t, live.Secret, nil)
	enc := base64.RawURLEncoding.EncodeToString
	foreign := enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(`{"sub":"42"}`)) + "." + enc([]byte(strings.Repeat("k", 32)))

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app.env"), "A=1\nTOKEN="+live.Secret+"\n")
	writeFile(t, filepath.Join(dir, "old.yaml"), "token: "+gone.Secret+"\n")
	writeFile(t, filepath.Join(dir, "forged.txt"), "Bearer "+forged+"\n")
	writeFile(t, filepath.Join(dir, "other.txt"), "jwt: "+foreign+"\n")

	want := []string{"app.env:2 live VALID -", "old.yaml:1 - NOT_FOUND -"}
	r := kw(root, "scan", dir).want(t, 1, "scan")
	if got := scanFindings(t, r, dir); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("scan:\n%v\nwant\n%v", got, want)
	}
	if strings.Contains(r.stdout+r.stderr, live.Secret) || !strings.Contains(r.stdout, `"signature_checked": true`) {
		t.Errorf("scan output: %s", r.stdout)
	}

	r = kw(root, "scan", "--offline", dir).want(t, 1, "scan --offline")
	want = []string{"app.env:2 - - -", "forged.txt:1 - - -", "old.yaml:1 - - -"}
	if got := scanFindings(t, r, dir); strings.Join(got, "|") != strings.Join(want, "|") || strings.Contains(r.stdout, `"signature_checked": true`) {
		t.Errorf("scan --offline:\n%v\nwant\n%v\n%s", got, want, r.stdout)
	}

	kwExec(t, bin, as(""), live.Secret, "keys", "verify").want(t, 0, "verify before")
	want = []string{"app.env:2 live DISABLED disabled", "old.yaml:1 - NOT_FOUND none"}
	if got := scanFindings(t, kw(root, "scan", "--disable", dir).want(t, 1, "scan --disable"), dir); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("scan --disable:\n%v\nwant\n%v", got, want)
	}
	kwExec(t, bin, as(""), live.Secret, "keys", "verify").want(t, 7, "verify after --disable")
}
