package commands

import (
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/keys/keystest"
)

// foreignToken is a JWT from some other system (HS256, no kid).
func foreignToken() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(`{"sub":"1234567890","name":"x"}`)) + "." + enc([]byte(strings.Repeat("s", 32)))
}

// jwtTree is a folder seeded with a live JWT key's token, a deleted
// one's, a forgery of the live one and strings that merely look alike.
func jwtTree(t *testing.T, live, gone string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "live.env"), "KEYWARD_TOKEN="+live+"\n")
	writeFile(t, filepath.Join(dir, "gone.yaml"), "# old\ntoken: \""+gone+"\"\n")
	writeFile(t, filepath.Join(dir, "forged.txt"), "Authorization: Bearer "+keystest.ForeignSigned(t, live, nil)+"\n")
	writeFile(t, filepath.Join(dir, "other.txt"), "jwt="+foreignToken()+"\neyJhbGciOiJFZERTQSJ9 eyJ.eyJ.eyJ eyJzdWIiOiJ4In0.e30.AAAA\n")
	return dir
}

func describeJWT(fs []keys.Finding) string {
	var parts []string
	for _, f := range fs {
		s := describe([]keys.Finding{f}) + " " + string(f.Format)
		if f.SignatureChecked != nil {
			if *f.SignatureChecked {
				s += " checked"
			} else {
				s += " unchecked"
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// Issue 13: scan finds JWT keys by shape and signature. Against the
// database, a token is found only when its signature verifies against
// the JWK Set, then looked up by hash like any secret; a forgery with
// keyward's header is not reported, nor is another system's JWT.
// Offline, tokens that read as keyward's are reported, saying their
// signature was not checked; --disable disables a live JWT key.
func TestScanFindsJWTKeys(t *testing.T) {
	c := newCLITest(t)
	live := c.create("live --resource /acme/prod --format jwt")
	gone := c.create("gone --resource /acme/prod --format jwt")
	c.ok("keys delete gone --yes")
	dir := jwtTree(t, live.Secret, gone.Secret)

	r := c.run("scan -o json " + dir)
	if r.code != 1 {
		t.Fatalf("scan: exit %d, stderr %q", r.code, r.err)
	}
	noSecretIn(t, r.out+r.err, live.Secret, gone.Secret)
	want := "gone.yaml:2 " + gone.Start + " NOT_FOUND jwt checked; live.env:1 " + live.Start + " VALID live jwt checked"
	if got := describeJWT(findings(t, dir, r.out)); got != want {
		t.Errorf("findings\n%s\nwant\n%s", got, want)
	}

	r = c.run("scan --offline -o json " + dir)
	if r.code != 1 {
		t.Fatalf("scan --offline: exit %d, stderr %q", r.code, r.err)
	}
	noSecretIn(t, r.out+r.err, live.Secret, gone.Secret)
	got := describeJWT(findings(t, dir, r.out))
	if !strings.HasPrefix(got, "forged.txt:1 ") || !strings.Contains(got, "; gone.yaml:2 "+gone.Start+" jwt unchecked; live.env:1 "+live.Start+" jwt unchecked") || strings.Contains(got, "other.txt") {
		t.Errorf("offline findings\n%s", got)
	}
	if r := c.run("scan --offline " + dir); !strings.Contains(r.err, "not checked") {
		t.Errorf("offline table should say signatures were not checked: %q", r.err)
	}

	r = c.run("scan --disable -o json " + dir)
	want = "gone.yaml:2 " + gone.Start + " NOT_FOUND none jwt checked; live.env:1 " + live.Start + " DISABLED live disabled jwt checked"
	if got := describeJWT(findings(t, dir, r.out)); r.code != 1 || got != want {
		t.Errorf("--disable: exit %d\n%s\nwant\n%s", r.code, got, want)
	}
	if v := c.runIn(live.Secret, "keys verify -o json"); v.code != 7 || !strings.Contains(v.out, "DISABLED") {
		t.Errorf("verify after --disable: exit %d %s", v.code, v.out)
	}
	var k keys.Key
	json.Unmarshal([]byte(c.ok("keys get live -o json")), &k)
	if k.CompromisedAt == nil {
		t.Errorf("not marked compromised: %+v", k)
	}
}
