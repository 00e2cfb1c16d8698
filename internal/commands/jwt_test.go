package commands

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

func TestJWTKeyCommands(t *testing.T) {
	c := newCLITest(t)
	k := c.create("edge --format jwt --resource /acme/edge --ttl 1d")
	if k.Format != keys.FormatJWT || !keys.IsToken(k.Secret) || k.Start != keys.TokenStart(k.Secret) {
		t.Fatalf("created %+v", k.Key)
	}
	// The KEK file beside the database, 0600, made on first use.
	if fi, err := os.Stat(c.db + ".signing-key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("KEK file: %v %v", fi, err)
	}
	if r := c.runIn(k.Secret+"\n", "keys verify --resource /acme/edge -o json"); r.code != 0 || !strings.Contains(r.out, `"VALID"`) {
		t.Fatalf("verify: %d %s %s", r.code, r.out, r.err)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal([]byte(c.ok("jwks")), &set); err != nil || len(set.Keys) != 1 || set.Keys[0]["kty"] != "OKP" || set.Keys[0]["crv"] != "Ed25519" {
		t.Fatalf("jwks: %+v %v", set, err)
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(k.Secret, ".")[0])
	if !strings.Contains(string(hdr), `"kid":"`+set.Keys[0]["kid"]+`"`) {
		t.Fatalf("token header %s does not name the published kid", hdr)
	}
	c.ok("signing-keys rotate")
	var list []keys.SigningKey
	if err := json.Unmarshal([]byte(c.ok("signing-keys list -o json")), &list); err != nil || len(list) != 2 ||
		list[0].State != keys.SigningActive || list[1].State != keys.SigningRetired || list[1].InUse != 1 || list[1].RetiresAt == nil {
		t.Fatalf("signing-keys list: %+v %v", list, err)
	}
	rolled := c.ok("keys roll edge --yes -q")
	if !keys.IsToken(strings.TrimSpace(rolled)) {
		t.Fatalf("roll of a JWT key printed %.20q", rolled)
	}
	if out := c.ok("keys get edge"); !strings.Contains(out, "secret (jwt)") {
		t.Errorf("get does not say jwt:\n%s", out)
	}
}

func TestJWTKeyCommandErrors(t *testing.T) {
	c := newCLITest(t)
	// Reads first: they never make a database.
	for _, line := range []string{"jwks", "signing-keys list", "signing-keys bogus",
		"keys create p --format jwt --type public --resource /acme",
		"keys create p --format jwt --prefix acme --resource /acme",
		"keys create p --format paseto --resource /acme"} {
		c.usageError(line)
		if _, err := os.Stat(c.db); err == nil && !strings.HasPrefix(line, "keys create") {
			t.Errorf("keyward %s made the database", line)
		}
	}
	// A token is never an argument.
	k := c.create("edge --format jwt --resource /acme")
	if r := c.run("keys get " + k.Secret); r.code != 2 || strings.Contains(r.err, k.Secret) {
		t.Errorf("token as an argument: exit %d, stderr %q", r.code, r.err)
	}
	// A KEK file others may read is refused, in one line.
	kek := c.db + ".signing-key"
	if err := os.Chmod(kek, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := c.run("keys create e2 --format jwt --resource /acme"); r.code != 2 || !strings.Contains(r.err, "chmod 600") {
		t.Errorf("wide KEK file: exit %d, stderr %q", r.code, r.err)
	}
	// Elsewhere, named by KEYWARD_SIGNING_KEY.
	other := filepath.Join(t.TempDir(), "kek")
	t.Setenv("KEYWARD_SIGNING_KEY", other)
	if r := c.run("keys create e3 --format jwt --resource /acme"); r.code != 2 || !strings.Contains(r.err, "signing-keys rotate") {
		t.Errorf("another KEK: exit %d, stderr %q", r.code, r.err)
	}
	c.ok("signing-keys rotate")
	c.ok("keys create e4 --format jwt --resource /acme")
}

// -o jsonl is one JSON value per line, for scripts reading line by line:
// the JWK Set too, as every other single-object command prints it.
func TestJWKSUnderJSONLinesIsOneLine(t *testing.T) {
	c := newCLITest(t)
	c.create("edge --format jwt --resource /acme/edge --ttl 1d")
	out := c.ok("jwks -o jsonl")
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("jwks -o jsonl is not one line:\n%s", out)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal([]byte(out), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks -o jsonl: %+v %v", set, err)
	}
	if out := c.ok("jwks -o json"); strings.Count(out, "\n") < 3 {
		t.Errorf("jwks -o json is no longer indented:\n%s", out)
	}
	if out := c.ok("jwks -o jsonl --jq .keys[0].kty"); out != "OKP\n" {
		t.Errorf("jwks -o jsonl --jq: %q", out)
	}
}
