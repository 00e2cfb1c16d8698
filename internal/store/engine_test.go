package store

import (
	"encoding/json"
	"testing"
)

// The store's SQL numbers its parameters explicitly; SQLite reads $N as
// ?N, the same parameter N, and PostgreSQL takes it as it is.
func TestEngineRebind(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                            "SELECT 1",
		"a = $1 AND b = $2":                   "a = ?1 AND b = ?2",
		"x = $1 OR y = $1 OR z = $1":          "x = ?1 OR y = ?1 OR z = ?1",
		"a = $2, b = $1":                      "a = ?2, b = ?1",
		"(k.name, k.id) > ($1, $2) LIMIT $3":  "(k.name, k.id) > (?1, ?2) LIMIT ?3",
		"a = $10":                             "a = ?10",
		"json_extract(m, '$.x') = $1":         "json_extract(m, '$.x') = ?1",
		"a = 1 -- trailing $":                 "a = 1 -- trailing $",
		"CASE WHEN p > $2 AND $2 IS NOT NULL": "CASE WHEN p > ?2 AND ?2 IS NOT NULL",
	} {
		if got := (sqliteEngine{}).rebind(in); got != want {
			t.Errorf("sqlite rebind(%q) = %q, want %q", in, got, want)
		}
		if got := (postgresEngine{}).rebind(in); got != in {
			t.Errorf("postgres rebind(%q) = %q, want it unchanged", in, got)
		}
	}
}

// Grants come back as one JSON array, from either engine's aggregate.
func TestParseGrants(t *testing.T) {
	for in, want := range map[string]string{
		"":   "[]",
		"[]": "[]",
		`[{"resource":"/acme/prod","role":2},{"resource":"/acme","role":1}]`: `[{"resource":"/acme","role":"viewer"},{"resource":"/acme/prod","role":"editor"}]`,
		`[{"resource":"/a,b","role":3}]`:                                     `[{"resource":"/a,b","role":"admin"}]`,
	} {
		gs, err := parseGrants(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		b, err := json.Marshal(gs)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("parseGrants(%s) = %s, want %s", in, b, want)
		}
	}
	if _, err := parseGrants("3/acme"); err == nil {
		t.Error("the old digit form parsed")
	}
}
