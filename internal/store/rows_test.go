package store

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// parseGrants reads every spelling of the grants aggregate as
// encoding/json reads it: SQLite's compact one by hand, others (jsonb's
// spacing and order, escapes) through json.Unmarshal; broken text is an
// error either way.
func TestParseGrantsAsJSON(t *testing.T) {
	for _, s := range []string{
		`[]`,
		`[{"resource":"/acme","role":1}]`,
		`[{"resource":"/b/x","role":3},{"resource":"/a","role":2}]`,
		`[{"resource":"/a_b.c-d/e","role":2},{"resource":"/a","role":1},{"resource":"/","role":3}]`,
		`[{"role": 2, "resource": "/acme/prod"}]`,
		`[{"resource": "/acme", "role": 1}, {"resource": "/acme/x", "role": 3}]`,
		`[{"resource":"/a\u002fb","role":1}]`,
		`[{"resource":"/a\"b","role":1}]`,
		`[{"resource":"/a","role":1}`,
		`[{"resource":"/a","role":x}]`,
		`[{"resource":"/a","role":1},]`,
		`[{"resource":"/a","role":1}{"resource":"/b","role":1}]`,
	} {
		got, err := parseGrants(s)
		var stored []storedGrant
		jerr := json.Unmarshal([]byte(s), &stored)
		if (err != nil) != (jerr != nil) {
			t.Errorf("%s: error %v, encoding/json's %v", s, err, jerr)
			continue
		}
		if jerr != nil {
			continue
		}
		want := []keys.Grant{}
		for _, g := range stored {
			want = append(want, keys.Grant{Role: keys.Role(g.Role), Resource: keys.Resource(g.Resource)})
		}
		keys.SortGrants(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", s, got, want)
		}
	}
}
