package keystest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

func testCreateShape(t *testing.T, e env) {
	before := time.Now().Add(-time.Second)
	k := createReq(t, e.admin, keys.CreateRequest{
		Name:   "ci-deploy",
		Grants: []keys.Grant{g("/acme/prod", keys.Editor)},
		TTL:    dur("30d"),
		Meta:   map[string]string{"team": "ops"},
	})
	after := time.Now().Add(time.Second)

	if !keys.IsID(k.ID) {
		t.Errorf("id %q is not key_ and 16 base62", k.ID)
	}
	if k.Name != "ci-deploy" || k.Org != "/acme" || k.Type != keys.Secret || !k.Enabled {
		t.Errorf("key = %+v", k.Key)
	}
	if parsed, err := keys.ParseSecret(k.Secret); err != nil || parsed != k.Secret || !strings.HasPrefix(k.Secret, "sk_") {
		t.Errorf("secret %q is not a well-formed sk_ secret: %v", k.Secret, err)
	}
	if k.Start != k.Secret[:len("sk_")+4] {
		t.Errorf("start = %q, want the prefix, _ and 4 characters of the secret", k.Start)
	}
	if !grantsEqual(k.Grants, []keys.Grant{g("/acme/prod", keys.Editor)}) {
		t.Errorf("grants = %v", k.Grants)
	}
	if k.CreatedAt.Before(before) || k.CreatedAt.After(after) || k.CreatedAt.Location() != time.UTC {
		t.Errorf("created_at = %v, want now in UTC", k.CreatedAt)
	}
	if k.ExpiresAt == nil || !near(*k.ExpiresAt, k.CreatedAt.Add(30*keys.Day), 2*time.Second) {
		t.Errorf("expires_at = %v, want created_at + 30d", k.ExpiresAt)
	}
	if k.PreviousExpiresAt != nil || k.LastUsedAt != nil {
		t.Errorf("previous_expires_at %v, last_used_at %v: want null", k.PreviousExpiresAt, k.LastUsedAt)
	}
	if k.Meta["team"] != "ops" || len(k.Meta) != 1 {
		t.Errorf("meta = %v", k.Meta)
	}
	if k.CreatedBy == "" {
		t.Error("created_by is empty")
	}

	// Get shows the same key, without its secret.
	got := get(t, e.admin, k.ID)
	if got.Name != k.Name || got.Start != k.Start || !got.CreatedAt.Equal(k.CreatedAt) || !grantsEqual(got.Grants, k.Grants) {
		t.Errorf("get = %+v, create said %+v", got, k.Key)
	}

	// Every JSON field is present; absent values are null, meta is {}.
	plain := createReq(t, e.admin, keys.CreateRequest{Name: "plain", Grants: []keys.Grant{g("/acme", keys.Viewer)}})
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(jsonOf(t, plain)), &fields); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"id", "name", "org", "type", "start", "grants", "created_at", "expires_at",
		"previous_expires_at", "enabled", "last_used_at", "meta", "created_by", "secret"} {
		if _, ok := fields[f]; !ok {
			t.Errorf("create JSON lacks %q: %s", f, jsonOf(t, plain))
		}
	}
	for f, want := range map[string]string{"expires_at": "null", "previous_expires_at": "null", "last_used_at": "null", "meta": "{}"} {
		if string(fields[f]) != want {
			t.Errorf("%s = %s, want %s", f, fields[f], want)
		}
	}
	if string(fields["grants"]) != `[{"resource":"/acme","role":"viewer"}]` {
		t.Errorf("grants JSON = %s", fields["grants"])
	}
	if !strings.HasSuffix(strings.Trim(string(fields["created_at"]), `"`), "Z") {
		t.Errorf("created_at %s is not UTC", fields["created_at"])
	}

	// Public keys, custom prefixes, root keys.
	pub := createReq(t, e.admin, keys.CreateRequest{Name: "web", Type: keys.Public, Grants: []keys.Grant{g("/acme/web", keys.Viewer)}})
	if pub.Type != keys.Public || !strings.HasPrefix(pub.Secret, "pk_") {
		t.Errorf("public key: type %s, secret %.3s…", pub.Type, pub.Secret)
	}
	custom := createReq(t, e.admin, keys.CreateRequest{Name: "live", Prefix: "acme_live", Grants: []keys.Grant{g("/acme", keys.Viewer)}})
	if !strings.HasPrefix(custom.Secret, "acme_live_") || custom.Start != custom.Secret[:len("acme_live_")+4] {
		t.Errorf("prefix: secret %.12s…, start %q", custom.Secret, custom.Start)
	}
	root := create(t, e.admin, "root-admin", g("/", keys.Admin))
	if root.Org != "/" {
		t.Errorf("root key org = %q, want /", root.Org)
	}
	// A duplicate resource keeps the highest role; grants come sorted.
	multi := create(t, e.admin, "multi", g("/acme/b", keys.Viewer), g("/acme/a", keys.Editor), g("/acme/b", keys.Admin))
	if !grantsEqual(multi.Grants, []keys.Grant{g("/acme/a", keys.Editor), g("/acme/b", keys.Admin)}) {
		t.Errorf("grants = %v, want sorted, one per resource", multi.Grants)
	}
	// An absolute expiry.
	at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	dated := createReq(t, e.admin, keys.CreateRequest{Name: "dated", Grants: []keys.Grant{g("/acme", keys.Viewer)}, ExpiresAt: &at})
	if dated.ExpiresAt == nil || !dated.ExpiresAt.Equal(at) {
		t.Errorf("expires_at = %v, want %v", dated.ExpiresAt, at)
	}
}

func testCreateInvalid(t *testing.T, e env) {
	past := time.Now().Add(-time.Hour)
	future := time.Now().Add(time.Hour)
	ok1 := []keys.Grant{g("/acme", keys.Viewer)}
	for name, req := range map[string]keys.CreateRequest{
		"empty name":         {Name: "", Grants: ok1},
		"bad name":           {Name: "has space", Grants: ok1},
		"name like an id":    {Name: "key_abc", Grants: ok1},
		"long name":          {Name: strings.Repeat("a", 65), Grants: ok1},
		"no grant":           {Name: "x"},
		"bad resource":       {Name: "x", Grants: []keys.Grant{g("acme", keys.Viewer)}},
		"dot segment":        {Name: "x", Grants: []keys.Grant{g("/acme/..", keys.Viewer)}},
		"two organizations":  {Name: "x", Grants: []keys.Grant{g("/acme", keys.Viewer), g("/globex", keys.Viewer)}},
		"ttl and expires_at": {Name: "x", Grants: ok1, TTL: dur("1d"), ExpiresAt: &future},
		"expiry in the past": {Name: "x", Grants: ok1, ExpiresAt: &past},
		"zero ttl":           {Name: "x", Grants: ok1, TTL: dur("0")},
		"bad prefix":         {Name: "x", Grants: ok1, Prefix: "SK"},
		"long prefix":        {Name: "x", Grants: ok1, Prefix: strings.Repeat("a", 21)},
		"bad type":           {Name: "x", Grants: ok1, Type: "private"},
		"empty meta key":     {Name: "x", Grants: ok1, Meta: map[string]string{"": "v"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.admin.Create(bg, req)
			wantCode(t, err, keys.Invalid)
		})
	}
	page, err := e.admin.List(bg, keys.ListFilter{Resource: res("/acme")})
	ok(t, err)
	if len(page.Items) != 0 {
		t.Errorf("refused creates left keys: %v", names(page.Items, nil))
	}
}

func testNameConflict(t *testing.T, e env) {
	create(t, e.admin, "ci", g("/acme/prod", keys.Viewer))
	_, err := e.admin.Create(bg, keys.CreateRequest{Name: "ci", Grants: []keys.Grant{g("/acme/dev", keys.Admin)}})
	wantCode(t, err, keys.Conflict)
	if !strings.Contains(keys.ErrorMessage(err), `"ci"`) || !strings.Contains(keys.ErrorMessage(err), "/acme") {
		t.Errorf("message %q should name the key and its organization", keys.ErrorMessage(err))
	}
	// The same name in another organization is another key.
	create(t, e.admin, "ci", g("/globex", keys.Viewer))
	create(t, e.admin, "ci", g("/", keys.Viewer))
}

func testGetRefs(t *testing.T, e env) {
	a := create(t, e.admin, "ci-deploy", g("/acme/prod", keys.Editor))
	b := create(t, e.admin, "ci-deploy", g("/globex", keys.Editor))
	r := create(t, e.admin, "boss", g("/", keys.Admin))
	only := create(t, e.admin, "lonely", g("/acme", keys.Viewer))

	for ref, want := range map[string]string{
		a.ID: a.ID, b.ID: b.ID,
		"acme/ci-deploy": a.ID, "/acme/ci-deploy": a.ID, "globex/ci-deploy": b.ID,
		"/boss": r.ID, "boss": r.ID,
		"lonely": only.ID, "acme/lonely": only.ID,
	} {
		if got := get(t, e.admin, ref); got.ID != want {
			t.Errorf("get %q = %s, want %s", ref, got.ID, want)
		}
	}
	for _, ref := range []string{"nope", "acme/nope", "globex/lonely", "key_0000000000000000", "/lonely"} {
		_, err := e.admin.Get(bg, ref)
		wantCode(t, err, keys.NotFound)
	}
	// A name two visible organizations share is ambiguous: the error names
	// both ids.
	_, err := e.admin.Get(bg, "ci-deploy")
	wantCode(t, err, keys.Conflict)
	if msg := keys.ErrorMessage(err); !strings.Contains(msg, a.ID) || !strings.Contains(msg, b.ID) {
		t.Errorf("ambiguity message %q should list both ids", msg)
	}
}
