package e2e

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys/keystest"
	"github.com/keyward/keyward/internal/testenv"
)

// nodeVerifier checks tokens the way a service written by someone else
// would: Node's built-in crypto imports each JWK of the set and verifies
// the EdDSA signature of the token's kid, then its exp and iss. It reads
// {"jwks": {...}, "iss": "...", "tokens": {"name": "token"}} on stdin and
// prints {"name": true|false}.
const nodeVerifier = `
const crypto = require('crypto');
let input = '';
process.stdin.on('data', d => input += d);
process.stdin.on('end', () => {
  const {jwks, iss, tokens} = JSON.parse(input);
  const out = {};
  for (const [name, token] of Object.entries(tokens)) {
    out[name] = false;
    try {
      const [h, p, s] = token.split('.');
      const header = JSON.parse(Buffer.from(h, 'base64url'));
      if (header.alg !== 'EdDSA') continue;
      const jwk = jwks.keys.find(k => k.kid === header.kid);
      if (!jwk) continue;
      const key = crypto.createPublicKey({key: jwk, format: 'jwk'});
      if (!crypto.verify(null, Buffer.from(h + '.' + p), key, Buffer.from(s, 'base64url'))) continue;
      const claims = JSON.parse(Buffer.from(p, 'base64url'));
      if (claims.iss !== iss) continue;
      if (claims.exp !== undefined && claims.exp <= Date.now() / 1000) continue;
      out[name] = true;
    } catch (e) {
      out[name] = false;
    }
  }
  console.log(JSON.stringify(out));
});
`

func runNodeVerifier(t *testing.T, node, url, iss string, tokens map[string]string) map[string]bool {
	t.Helper()
	resp, err := http.Get(url + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	jwks, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /.well-known/jwks.json: %d %v", resp.StatusCode, err)
	}
	in, err := json.Marshal(map[string]any{"jwks": json.RawMessage(jwks), "iss": iss, "tokens": tokens})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "-e", nodeVerifier)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var got map[string]bool
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	return got
}

// tamper returns token with its claims' org changed (signature kept) and
// a token of the same claims signed by a key not in the set, under the
// same kid.
func tamper(t *testing.T, token string) (altered, foreign string) {
	t.Helper()
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(payload), `"org":"/acme"`, `"org":"/"`, 1)
	if changed == string(payload) {
		t.Fatalf("no org claim in %s", payload)
	}
	altered = parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(changed)) + "." + parts[2]
	return altered, keystest.ForeignSigned(t, token, payload)
}

// TestJWTKeysVerifiedByNode: a JWT key made through `keyward serve` is
// verified offline by Node's crypto against the served JWK Set; an altered
// token and one signed by a key not in the set are refused offline and
// online; after `signing-keys rotate` the old token and a new one both
// verify offline.
func TestJWTKeysVerifiedByNode(t *testing.T) {
	t.Parallel()
	node := testenv.Command(t, "run scripts/install-test-deps.sh (Debian's nodejs)", "node", "nodejs")
	bin := keywardBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "server.db")
	env := isolatedEnv(dir)
	root := strings.TrimSpace(kwExec(t, bin, env, "", "--db", db, "keys", "create", "root", "--role", "admin", "--resource", "/", "-q").want(t, 0, "bootstrap").stdout)
	const iss = "https://keys.example.test"
	url := serveWith(t, bin, env, "serve", "--addr", "127.0.0.1:0", "--db", db, "--jwt-issuer", iss, "--max-jwt-ttl", "7d")
	asRoot := withEnv(env, "KEYWARD_SERVER="+url, "KEYWARD_TOKEN="+root)

	old := strings.TrimSpace(kwExec(t, bin, asRoot, "", "keys", "create", "edge", "--format", "jwt", "--resource", "/acme", "-q").want(t, 0, "create jwt").stdout)
	altered, foreign := tamper(t, old)
	got := runNodeVerifier(t, node, url, iss, map[string]string{"old": old, "altered": altered, "foreign": foreign})
	if !got["old"] || got["altered"] || got["foreign"] {
		t.Fatalf("node verified %v; want only old", got)
	}
	// Online: the token as any secret; the forgeries not found.
	kwExec(t, bin, asRoot, old+"\n", "keys", "verify", "--resource", "/acme").want(t, 0, "verify the token online")
	kwExec(t, bin, asRoot, altered, "keys", "verify").want(t, 7, "verify the altered token online")
	kwExec(t, bin, asRoot, foreign, "keys", "verify").want(t, 7, "verify the foreign token online")
	// keyward jwks prints what the server serves.
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	r := kwExec(t, bin, asRoot, "", "jwks").want(t, 0, "jwks")
	r.json(t, &set)
	if len(set.Keys) != 1 {
		t.Fatalf("jwks: %s", r.stdout)
	}

	kwExec(t, bin, asRoot, "", "signing-keys", "rotate").want(t, 0, "rotate")
	fresh := strings.TrimSpace(kwExec(t, bin, asRoot, "", "keys", "create", "fresh", "--format", "jwt", "--resource", "/acme", "-q").want(t, 0, "create after rotation").stdout)
	if strings.Split(fresh, ".")[0] == strings.Split(old, ".")[0] {
		t.Fatal("the new token names the old kid")
	}
	got = runNodeVerifier(t, node, url, iss, map[string]string{"old": old, "fresh": fresh, "foreign": foreign})
	if !got["old"] || !got["fresh"] || got["foreign"] {
		t.Fatalf("after rotation node verified %v; want old and fresh", got)
	}
	// The server capped the lifetime (--max-jwt-ttl): the token says so.
	claims, _ := base64.RawURLEncoding.DecodeString(strings.Split(fresh, ".")[1])
	if !strings.Contains(string(claims), `"exp":`) || !strings.Contains(string(claims), `"iss":"`+iss+`"`) {
		t.Fatalf("claims %s", claims)
	}
}
