package e2e

import (
	"testing"
)

// The built binary on a SQLite file, as an operator onboards a tenant:
// the org and its default key in one command, the key verifying at once,
// and the org's removal taking its keys along.
func TestLocalOrgs(t *testing.T) {
	t.Parallel()
	c := newLocalCLI(t)
	type org struct {
		Name         string  `json:"name"`
		KeyCount     int     `json:"key_count"`
		DefaultKeyID *string `json:"default_key_id"`
	}
	created := decode[struct {
		Org        org      `json:"org"`
		DefaultKey localKey `json:"default_key"`
	}](t, c.must(0, "", "orgs", "create", "acme", "-o", "json"))
	if created.Org.Name != "/acme" || created.Org.DefaultKeyID == nil || *created.Org.DefaultKeyID != created.DefaultKey.ID || created.DefaultKey.Secret == "" {
		t.Fatalf("orgs create: %+v", created)
	}
	c.wantVerify("VALID", created.DefaultKey.Secret, "--resource", "/acme/web")
	c.must(5, "", "orgs", "create", "/acme")
	c.must(0, "", "keys", "create", "ci", "--resource", "/beta/prod")
	list := decode[[]org](t, c.must(0, "", "orgs", "list", "-o", "json"))
	if len(list) != 2 || list[0].Name != "/acme" || list[1].Name != "/beta" || list[1].DefaultKeyID != nil || list[1].KeyCount != 1 {
		t.Fatalf("orgs list: %+v", list)
	}
	c.must(2, "", "orgs", "delete", "acme")
	c.must(5, "", "orgs", "delete", "acme", "--yes")
	c.must(0, "", "orgs", "delete", "acme", "--yes", "--with-keys")
	c.wantVerify("NOT_FOUND", created.DefaultKey.Secret)
	c.must(3, "", "orgs", "get", "acme")
}
