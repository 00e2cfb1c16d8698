package store

import "testing"

func TestRebindDollar(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                        "SELECT 1",
		"a = ? AND b = ?":                 "a = $1 AND b = $2",
		"x = ?1 OR y = ?1 OR z = ?1":      "x = $1 OR y = $1 OR z = $1",
		"a = ?, b = ?, c = ?2, d = ?":     "a = $1, b = $2, c = $2, d = $3",
		"a = ?3, b = ?":                   "a = $3, b = $4",
		"s = '?' AND t = ?":               "s = '?' AND t = $1",
		"s = 'it''s ?' AND t = ?":         "s = 'it''s ?' AND t = $1",
		`"we?ird" = ?`:                    `"we?ird" = $1`,
		"a = ? -- why?\n AND b = ?":       "a = $1 -- why?\n AND b = $2",
		"a = ? /* ? */ AND b = ?":         "a = $1 /* ? */ AND b = $2",
		"a = ? -- trailing ?":             "a = $1 -- trailing ?",
		"s = 'unterminated ?":             "s = 'unterminated ?",
		"LIMIT ?":                         "LIMIT $1",
		"(k.name, k.id) > (?, ?) LIMIT ?": "(k.name, k.id) > ($1, $2) LIMIT $3",
		"a - ? / ?":                       "a - $1 / $2",
		"a = ?10":                         "a = $10",
	} {
		if got := rebindDollar(in); got != want {
			t.Errorf("rebindDollar(%q) = %q, want %q", in, got, want)
		}
	}
	if got := sqliteDialect.rebind("a = ?"); got != "a = ?" {
		t.Errorf("sqlite rebinds: %q", got)
	}
}
