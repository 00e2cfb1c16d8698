package keystest

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

var bg = context.Background()

func dur(s string) *keys.Duration {
	d, err := keys.ParseGrace(s)
	if err != nil {
		panic(err)
	}
	v := keys.Duration(d)
	return &v
}

func res(s string) *keys.Resource {
	r := keys.Resource(s)
	return &r
}

func rolePtr(r keys.Role) *keys.Role { return &r }

func strPtr(s string) *string { return &s }

func boolPtr(b bool) *bool { return &b }

func g(resource string, role keys.Role) keys.Grant {
	return keys.Grant{Resource: keys.Resource(resource), Role: role}
}

// create makes a key or fails the test.
func create(t *testing.T, svc keys.Service, name string, grants ...keys.Grant) *keys.NewSecretKey {
	t.Helper()
	return createReq(t, svc, keys.CreateRequest{Name: name, Grants: grants})
}

func createReq(t *testing.T, svc keys.Service, req keys.CreateRequest) *keys.NewSecretKey {
	t.Helper()
	k, err := svc.Create(bg, req)
	if err != nil {
		t.Fatalf("create %s: %v", req.Name, err)
	}
	return k
}

func get(t *testing.T, svc keys.Service, ref string) *keys.Key {
	t.Helper()
	k, err := svc.Get(bg, ref)
	if err != nil {
		t.Fatalf("get %s: %v", ref, err)
	}
	return k
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code keys.Code) {
	t.Helper()
	if got := keys.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// wantChangesRefused tries every kind of change to the key ref as svc —
// update, roll, grant (of grant), ungrant (of ungrant), delete — and wants
// each refused with code.
func wantChangesRefused(t *testing.T, svc keys.Service, ref string, code keys.Code, grant keys.Grant, ungrant keys.Resource) {
	t.Helper()
	calls := []struct {
		what string
		call func() error
	}{
		{"update", func() error { _, err := svc.Update(bg, ref, keys.UpdateRequest{Enabled: boolPtr(false)}); return err }},
		{"roll", func() error { _, err := svc.Roll(bg, ref, keys.RollRequest{Grace: dur("0")}); return err }},
		{"grant", func() error { _, err := svc.Grant(bg, ref, grant); return err }},
		{"ungrant", func() error { _, err := svc.Ungrant(bg, ref, ungrant); return err }},
		{"delete", func() error { _, err := svc.Delete(bg, []string{ref}); return err }},
	}
	for _, c := range calls {
		if err := c.call(); keys.ErrorCode(err) != code {
			t.Errorf("%s of %s: %v, want %s", c.what, ref, err, code)
		}
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// verify returns the code of a verification.
func verify(t *testing.T, svc keys.Service, secret string, resource string, role *keys.Role) *keys.VerifyResult {
	t.Helper()
	req := keys.VerifyRequest{Secret: secret, Role: role}
	if resource != "" {
		req.Resource = res(resource)
	}
	r, err := svc.Verify(bg, req)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}

func wantVerify(t *testing.T, svc keys.Service, secret string, resource string, role *keys.Role, want keys.VerifyCode) *keys.VerifyResult {
	t.Helper()
	r := verify(t, svc, secret, resource, role)
	if r.Code != want {
		t.Fatalf("verify (resource %q) = %s, want %s", resource, r.Code, want)
	}
	if r.Valid != (want == keys.CodeValid) {
		t.Fatalf("verify valid = %v with code %s", r.Valid, r.Code)
	}
	return r
}

// listAll walks every page of a list and returns the items in order,
// failing if a page is larger than asked.
func listAll(t *testing.T, svc keys.Service, f keys.ListFilter) []*keys.Key {
	t.Helper()
	return walk(t, "list", f.Limit, func(cursor string) ([]*keys.Key, *string, error) {
		f.Cursor = cursor
		p, err := svc.List(bg, f)
		if err != nil {
			return nil, nil, err
		}
		return p.Items, p.NextCursor, nil
	})
}

// auditAll walks every page of audit rows, as listAll does.
func auditAll(t *testing.T, svc keys.Service, f keys.AuditFilter) []*keys.AuditEvent {
	t.Helper()
	return walk(t, "audit", f.Limit, func(cursor string) ([]*keys.AuditEvent, *string, error) {
		f.Cursor = cursor
		p, err := svc.Audit(bg, f)
		if err != nil {
			return nil, nil, err
		}
		return p.Items, p.NextCursor, nil
	})
}

// walk follows next cursors from the first page to the last, failing on an
// error, a page larger than limit (when one is set), an empty cursor
// instead of null, or a walk that does not end.
func walk[T any](t *testing.T, what string, limit int, page func(cursor string) ([]T, *string, error)) []T {
	t.Helper()
	var out []T
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatalf("%s: cursor walk does not end", what)
		}
		items, next, err := page(cursor)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if limit > 0 && len(items) > limit {
			t.Fatalf("%s: page of %d items, limit %d", what, len(items), limit)
		}
		out = append(out, items...)
		if next == nil {
			return out
		}
		if *next == "" {
			t.Fatalf("%s: empty next_cursor instead of null", what)
		}
		cursor = *next
	}
}

// names keeps, in order, the names of the keys whose ids are in only
// (all keys when only is nil): a backend reached with a root token holds
// that token's key too.
func names(ks []*keys.Key, only map[string]bool) []string {
	out := []string{}
	for _, k := range ks {
		if only == nil || only[k.ID] {
			out = append(out, k.Name)
		}
	}
	return out
}

func ids(ks ...*keys.NewSecretKey) map[string]bool {
	m := map[string]bool{}
	for _, k := range ks {
		m[k.ID] = true
	}
	return m
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// jsonOf marshals v; the suite searches it for secrets.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// noSecret fails if text holds any of the secrets, or their random part.
func noSecret(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		body := s[strings.LastIndexByte(s, '_')+1:]
		if strings.Contains(text, s) || strings.Contains(text, body[:20]) {
			t.Fatalf("%s holds a secret: %s", what, text)
		}
	}
}

// near reports whether a is within d of b.
func near(a, b time.Time, d time.Duration) bool {
	diff := a.Sub(b)
	return diff <= d && diff >= -d
}

func grantsEqual(a, b []keys.Grant) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
