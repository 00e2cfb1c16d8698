package commands

import (
	"encoding/json"
	"strings"
	"testing"
)

// A --jq expression that fails on a create's or a roll's output must not
// put the new secret in the error line: gojq's messages quote the value
// they failed on (the first 25 characters, or all of it through error),
// and stderr is what CI logs keep. The secret is on stdout, unfiltered,
// as the only time it is shown.
func TestJQErrorNeverQuotesTheSecret(t *testing.T) {
	c := newCLITest(t)
	c.create("seed --resource /acme")
	for i, line := range []string{
		"keys create a --resource /acme --jq .secret+1",
		"keys create b --resource /acme --jq .secret|tonumber",
		"keys create c --resource /acme --jq .secret|error",
		"keys create d --resource /acme --format jwt --jq .secret|error",
		"keys roll seed --yes --jq .secret.x",
		"orgs create globex --jq .default_key.secret+1",
	} {
		r := c.run(line)
		if r.code != ExitUsage {
			t.Errorf("%d %s: exit %d, stderr %q", i, line, r.code, r.err)
			continue
		}
		var out struct {
			Secret     string `json:"secret"`
			DefaultKey struct {
				Secret string `json:"secret"`
			} `json:"default_key"`
		}
		if err := json.Unmarshal([]byte(r.out), &out); err != nil {
			t.Errorf("%s: stdout is not the unfiltered output: %v\n%s", line, err, r.out)
			continue
		}
		secret := out.Secret + out.DefaultKey.Secret
		if len(secret) < 20 {
			t.Errorf("%s: no secret on stdout: %s", line, r.out)
			continue
		}
		// Past the start (prefix and 4 characters, shown anyway), no run
		// of 8 of its characters may be in the error.
		from := strings.IndexByte(secret, '_') + 5
		if strings.HasPrefix(secret, "eyJ") {
			from = strings.IndexByte(secret, '.') + 1 // a token's header is public
		}
		for j := from; j+8 <= len(secret); j++ {
			if strings.Contains(r.err, secret[j:j+8]) {
				t.Errorf("%s: stderr quotes the secret: %q", line, r.err)
				break
			}
		}
		if !strings.Contains(r.err, "--jq:") || strings.Count(r.err, "\n") != 1 {
			t.Errorf("%s: stderr is not one --jq error line: %q", line, r.err)
		}
	}
}
