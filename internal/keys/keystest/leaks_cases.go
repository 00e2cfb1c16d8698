package keystest

import (
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// The leak response's cases (keyward scan, POST /v1/leaks): looking found
// secrets up changes nothing; reporting them disables what is still valid,
// marks it compromised, audits it, and no cache outlives it.

func leak(secret, source string) keys.Leak { return keys.Leak{Secret: secret, Source: source} }

func unknownSecret() string {
	body := "sk_" + strings.Repeat("L", 32)
	return body + keys.Checksum(body)
}

func wantLeak(t *testing.T, what string, r *keys.LeakResult, id string, code keys.VerifyCode) {
	t.Helper()
	if r == nil || r.Code == nil || r.Valid == nil {
		t.Fatalf("%s: result %s lacks valid or code", what, jsonOf(t, r))
	}
	if *r.Code != code || *r.Valid != (code == keys.CodeValid) {
		t.Errorf("%s: code %s valid %v, want %s", what, *r.Code, *r.Valid, code)
	}
	switch {
	case id == "" && (r.KeyID != nil || r.Name != nil || r.Org != nil):
		t.Errorf("%s: names a key: %s", what, jsonOf(t, r))
	case id != "" && (r.KeyID == nil || *r.KeyID != id || r.Name == nil || r.Org == nil):
		t.Errorf("%s: key %v, want %s", what, jsonOf(t, r), id)
	}
}

func testCheckLeaks(t *testing.T, e env) {
	live := create(t, e.admin, "live", g("/acme/prod", keys.Editor))
	gone := create(t, e.admin, "gone", g("/acme/prod", keys.Viewer))
	off := create(t, e.admin, "off", g("/acme/prod", keys.Viewer))
	_, err := e.admin.Delete(bg, []string{gone.ID})
	ok(t, err)
	_, err = e.admin.Update(bg, off.ID, keys.UpdateRequest{Enabled: boolPtr(false)})
	ok(t, err)
	before := len(auditAll(t, e.admin, keys.AuditFilter{}))

	out, err := e.admin.CheckLeaks(bg, []keys.Leak{
		leak(live.Secret, "app.env:3"), leak(gone.Secret, "old.env:1"), leak(off.Secret, ""),
		leak(unknownSecret(), "x:1"), leak(flipLast(live.Secret), "typo:1"), leak(live.Secret+"\n", "again:9"),
	})
	ok(t, err)
	if len(out) != 6 {
		t.Fatalf("%d results for 6 leaks", len(out))
	}
	wantLeak(t, "live", out[0], live.ID, keys.CodeValid)
	if out[0].Start != live.Start || *out[0].Name != "live" || *out[0].Org != "/acme" || out[0].CompromisedAt != nil || out[0].Action != nil {
		t.Errorf("live: %s", jsonOf(t, out[0]))
	}
	wantLeak(t, "deleted", out[1], "", keys.CodeNotFound)
	if out[1].Start != gone.Start {
		t.Errorf("deleted: start %q, want %q (the secret's own)", out[1].Start, gone.Start)
	}
	wantLeak(t, "disabled", out[2], off.ID, keys.CodeDisabled)
	wantLeak(t, "unknown", out[3], "", keys.CodeNotFound)
	wantLeak(t, "bad checksum", out[4], "", keys.CodeNotFound)
	if out[4].Start != "" {
		t.Errorf("a malformed secret has no start: %q", out[4].Start)
	}
	wantLeak(t, "trailing newline", out[5], live.ID, keys.CodeValid)

	// A look-up is no use of the key, and no change.
	if k := get(t, e.admin, live.ID); k.LastUsedAt != nil || !k.Enabled || k.CompromisedAt != nil {
		t.Errorf("after a check: %s", jsonOf(t, k))
	}
	if n := len(auditAll(t, e.admin, keys.AuditFilter{})); n != before {
		t.Errorf("a check wrote %d audit rows", n-before)
	}

	for name, leaks := range map[string][]keys.Leak{
		"none":               nil,
		"too many":           make([]keys.Leak, keys.MaxLeaks+1),
		"secret in a source": {leak(live.Secret, "found "+off.Secret)},
		"newline in source":  {leak(live.Secret, "a\nb")},
		"long source":        {leak(live.Secret, strings.Repeat("a", 2000))},
	} {
		_, err := e.admin.CheckLeaks(bg, leaks)
		wantCode(t, err, keys.Invalid)
		_, err = e.admin.ReportLeaks(bg, leaks)
		wantCode(t, err, keys.Invalid)
		_ = name
	}
}

func testReportLeaks(t *testing.T, e env) {
	live := create(t, e.admin, "live", g("/acme/prod", keys.Editor))
	other := create(t, e.admin, "other", g("/acme/prod", keys.Viewer))
	off := create(t, e.admin, "off", g("/acme/prod", keys.Viewer))
	_, err := e.admin.Update(bg, off.ID, keys.UpdateRequest{Enabled: boolPtr(false)})
	ok(t, err)
	// Verified twice: a backend with a verification cache has the key in
	// it, and the disable must still be seen at once.
	wantVerify(t, e.admin, live.Secret, "/acme/prod", nil, keys.CodeValid)
	wantVerify(t, e.admin, live.Secret, "/acme/prod", nil, keys.CodeValid)

	out, err := e.admin.ReportLeaks(bg, []keys.Leak{
		leak(live.Secret, "app.env:3"), leak(off.Secret, "b.txt:1"), leak(unknownSecret(), "c:1"), leak(live.Secret, "copy/app.env:7"),
	})
	ok(t, err)
	if len(out) != 4 {
		t.Fatalf("%d results for 4 leaks", len(out))
	}
	for i, want := range []struct {
		id     string
		code   keys.VerifyCode
		action keys.LeakAction
	}{{live.ID, keys.CodeDisabled, keys.LeakDisabled}, {off.ID, keys.CodeDisabled, keys.LeakNone},
		{"", keys.CodeNotFound, keys.LeakNone}, {live.ID, keys.CodeDisabled, keys.LeakDisabled}} {
		wantLeak(t, "report", out[i], want.id, want.code)
		if out[i].Action == nil || *out[i].Action != want.action {
			t.Errorf("leak %d: %s, want action %s", i, jsonOf(t, out[i]), want.action)
		}
	}
	if out[0].CompromisedAt == nil || out[1].CompromisedAt != nil {
		t.Errorf("compromised_at: %s", jsonOf(t, out))
	}

	wantVerify(t, e.admin, live.Secret, "/acme/prod", nil, keys.CodeDisabled)
	k := get(t, e.admin, live.ID)
	if k.Enabled || k.CompromisedAt == nil || k.LastUsedAt == nil {
		t.Errorf("after report: %s", jsonOf(t, k))
	}
	wantVerify(t, e.admin, other.Secret, "/acme/prod", nil, keys.CodeValid) // untouched

	// One audit row for the key, with both sources and never the secret.
	rows := auditAll(t, e.admin, keys.AuditFilter{Key: live.ID})
	if len(rows) == 0 || rows[0].Action != keys.ActionCompromise {
		t.Fatalf("audit: %s", jsonOf(t, rows))
	}
	n := 0
	for _, r := range rows {
		if r.Action == keys.ActionCompromise {
			n++
		}
	}
	d := jsonOf(t, rows[0].Details)
	if n != 1 || !strings.Contains(d, "app.env:3") || !strings.Contains(d, "copy/app.env:7") {
		t.Errorf("%d compromise rows; details %s", n, d)
	}
	noSecret(t, "audit", jsonOf(t, rows), live.Secret, off.Secret)
	if rows := auditAll(t, e.admin, keys.AuditFilter{Key: off.ID}); rows[0].Action == keys.ActionCompromise {
		t.Errorf("a key already disabled was compromised again: %s", jsonOf(t, rows[0]))
	}

	// keys list --compromised.
	if got := names(listAll(t, e.admin, keys.ListFilter{Compromised: true}), nil); !sameStrings(got, []string{"live"}) {
		t.Errorf("list --compromised = %v", got)
	}

	// Reported again: nothing left to do.
	out, err = e.admin.ReportLeaks(bg, []keys.Leak{leak(live.Secret, "app.env:3")})
	ok(t, err)
	if *out[0].Action != keys.LeakNone || *out[0].Code != keys.CodeDisabled {
		t.Errorf("second report: %s", jsonOf(t, out[0]))
	}
	// Re-enabled, the key keeps its compromised_at (the record of the leak).
	k, err = e.admin.Update(bg, live.ID, keys.UpdateRequest{Enabled: boolPtr(true)})
	ok(t, err)
	if k.CompromisedAt == nil {
		t.Errorf("re-enabled key lost compromised_at: %s", jsonOf(t, k))
	}
}

// testLeaksAuthz: a lookup names only keys the operator reads; a report
// disables only keys it holds admin over, and tells the rest apart.
func testLeaksAuthz(t *testing.T, w *world) {
	viewer := w.as(t, w.acmeViewer.Secret)
	out, err := viewer.CheckLeaks(bg, []keys.Leak{leak(w.deploy.Secret, "a:1"), leak(w.globexSecret.Secret, "b:2")})
	ok(t, err)
	wantLeak(t, "readable", out[0], w.deploy.ID, keys.CodeValid)
	// Unreadable: unnamed, but not passed off as dead.
	wantLeak(t, "unreadable", out[1], "", keys.CodeValid)

	out, err = viewer.ReportLeaks(bg, []keys.Leak{leak(w.deploy.Secret, "a:1"), leak(w.globexSecret.Secret, "b:2")})
	ok(t, err)
	for i, r := range out {
		if r.Action == nil || *r.Action != keys.LeakForbidden || *r.Code != keys.CodeValid {
			t.Errorf("viewer report %d: %s, want forbidden and still valid", i, jsonOf(t, r))
		}
	}
	wantVerify(t, w.admin, w.deploy.Secret, "", nil, keys.CodeValid)

	// An admin of /acme disables /acme's key, not globex's.
	acme := w.as(t, w.acmeAdmin.Secret)
	out, err = acme.ReportLeaks(bg, []keys.Leak{leak(w.deploy.Secret, "a:1"), leak(w.globexSecret.Secret, "b:2")})
	ok(t, err)
	if *out[0].Action != keys.LeakDisabled || *out[1].Action != keys.LeakForbidden || out[1].KeyID != nil {
		t.Errorf("acme admin report: %s", jsonOf(t, out))
	}
	wantVerify(t, w.admin, w.deploy.Secret, "", nil, keys.CodeDisabled)
	wantVerify(t, w.admin, w.globexSecret.Secret, "", nil, keys.CodeValid)
	rows := auditAll(t, w.admin, keys.AuditFilter{Key: w.deploy.ID})
	if rows[0].Action != keys.ActionCompromise || rows[0].Actor != w.acmeAdmin.ID {
		t.Errorf("audit: %s", jsonOf(t, rows[0]))
	}
}

// testRolledOutLeaks: a rolled-out secret still in its grace works, so
// its leak disables the key (the audit row says which secret leaked);
// past its grace it is nobody's.
func testRolledOutLeaks(t *testing.T, e env) {
	a := create(t, e.admin, "a", g("/acme", keys.Viewer))
	b := create(t, e.admin, "b", g("/acme", keys.Viewer))
	for _, k := range []*keys.NewSecretKey{a, b} {
		_, err := e.admin.Roll(bg, k.ID, keys.RollRequest{Grace: dur("1h")})
		ok(t, err)
	}
	out, err := e.admin.CheckLeaks(bg, []keys.Leak{leak(a.Secret, "x:1")})
	ok(t, err)
	wantLeak(t, "previous in grace", out[0], a.ID, keys.CodeValid)

	out, err = e.admin.ReportLeaks(bg, []keys.Leak{leak(a.Secret, "x:1")})
	ok(t, err)
	wantLeak(t, "previous reported", out[0], a.ID, keys.CodeDisabled)
	if rows := auditAll(t, e.admin, keys.AuditFilter{Key: a.ID}); rows[0].Details["leaked_secret"] != "previous" {
		t.Errorf("audit: %s", jsonOf(t, rows[0]))
	}

	e.advance(2 * time.Hour)
	out, err = e.admin.ReportLeaks(bg, []keys.Leak{leak(b.Secret, "y:1")})
	ok(t, err)
	wantLeak(t, "previous past its grace", out[0], "", keys.CodeNotFound)
	if k := get(t, e.admin, b.ID); !k.Enabled || k.CompromisedAt != nil {
		t.Errorf("a dead secret's leak changed its key: %s", jsonOf(t, k))
	}
}
