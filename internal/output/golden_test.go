package output

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the printers' output")

// assertGolden compares got with testdata/name, or rewrites it under -update.
func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// goldenKeys are keys of varied widths: wide characters and emoji in
// names and meta, several grants, every status.
func goldenKeys() []*keys.Key {
	a := sampleKey("ci-deploy")
	b := sampleKey("名前-デプロイ")
	b.ID = "key_fedcba9876543210"
	b.Grants = append(b.Grants, keys.Grant{Resource: "/acme/dev", Role: keys.Viewer})
	b.LastUsedAt = tp(now.Add(-90 * time.Minute))
	c := sampleKey("rocket-🚀")
	c.Enabled = false
	c.ExpiresAt = nil
	d := sampleKey("many")
	d.Grants = nil
	for i := range 8 {
		d.Grants = append(d.Grants, keys.Grant{Resource: keys.Resource(fmt.Sprintf("/acme/team-%d", i)), Role: keys.Admin})
	}
	e := sampleKey("old")
	e.ExpiresAt = tp(now.Add(-2 * time.Hour))
	e.Meta = map[string]string{"owner": "山田", "note": "🚀 launch"}
	return []*keys.Key{a, b, c, d, e}
}

func goldenEvents() []*keys.AuditEvent {
	name := "名前"
	keyID, keyName := "key_0123456789abcdef", "ci-deploy"
	return []*keys.AuditEvent{
		{ID: 1, At: now.Add(-time.Hour), Org: "/acme", Actor: "local:alice", Action: keys.ActionCreate, KeyID: &keyID, KeyName: &keyName,
			Details: map[string]any{"grants": []string{"/acme/prod:editor"}}},
		{ID: 2, At: now, Org: "/acme", Actor: "key_fedcba9876543210", ActorName: &name, Action: keys.ActionRoll, KeyID: &keyID, KeyName: &keyName},
	}
}

// The table printers' output, pinned byte for byte: off a terminal, with
// --no-headers, and on a terminal (relative times, colours).
func TestGoldenTables(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"plain", Options{}},
		{"noheaders", Options{NoHeaders: true}},
		{"terminal", Options{Human: true, Color: true}},
	} {
		tc.o.Format, tc.o.Now = Table, func() time.Time { return now }
		p := New(tc.o)
		var buf bytes.Buffer
		if err := printList(p, &buf, goldenKeys()); err != nil {
			t.Fatal(err)
		}
		assertGolden(t, "list_"+tc.name+".golden", buf.String())

		buf.Reset()
		l := p.AuditList(&buf)
		for _, e := range goldenEvents() {
			if err := l.Add(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		assertGolden(t, "audit_"+tc.name+".golden", buf.String())

		buf.Reset()
		ks := goldenKeys()
		ks[4].PreviousExpiresAt = tp(now.Add(time.Hour))
		for _, k := range ks {
			if err := p.Key(&buf, k); err != nil {
				t.Fatal(err)
			}
			buf.WriteString("--\n")
		}
		if err := p.NewSecret(&buf, &keys.NewSecretKey{Key: *ks[1], Secret: "sk_secret"}); err != nil {
			t.Fatal(err)
		}
		id, name, org := "key_0123456789abcdef", "ci-deploy", "/acme"
		if err := p.Verify(&buf, &keys.VerifyResult{Valid: true, Code: keys.CodeValid, KeyID: &id, Name: &name, Org: &org, Grants: ks[1].Grants, ExpiresAt: ks[1].ExpiresAt}); err != nil {
			t.Fatal(err)
		}
		assertGolden(t, "key_"+tc.name+".golden", buf.String())

		buf.Reset()
		srv, db, cred := "https://keys.example.com", "/var/lib/keyward/keys.db", "keyring"
		if err := p.Profiles(&buf, []ProfileInfo{{Name: "prod", Server: &srv, Current: true}, {Name: "local", DB: &db}, {Name: "default"}}); err != nil {
			t.Fatal(err)
		}
		if err := p.Profile(&buf, ProfileDetail{ProfileInfo: ProfileInfo{Name: "prod", Server: &srv, Current: true}, Credential: &cred}); err != nil {
			t.Fatal(err)
		}
		assertGolden(t, "profiles_"+tc.name+".golden", buf.String())
	}
}
