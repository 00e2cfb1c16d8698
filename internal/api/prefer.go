package api

import (
	"net/http"
	"strings"
)

// A DELETE answers 204, as the API table has it for keys and "as keys"
// for organizations and service accounts. A client that wants what was
// deleted — the command prints it, and an organization deleted with its
// keys is more than one thing gone — asks with RFC 7240's Prefer header,
// and the server answers 200 with the body and says so in
// Preference-Applied.
const (
	HeaderPrefer            = "Prefer"
	HeaderPreferenceApplied = "Preference-Applied"
	ReturnRepresentation    = "return=representation"
)

// WantsRepresentation reports whether r's Prefer headers ask for
// return=representation (RFC 7240: comma-separated preferences, each
// possibly with parameters after ';', names case-insensitive).
func WantsRepresentation(r *http.Request) bool {
	for _, v := range r.Header.Values(HeaderPrefer) {
		for _, p := range strings.Split(v, ",") {
			pref, _, _ := strings.Cut(p, ";")
			name, value, _ := strings.Cut(strings.TrimSpace(pref), "=")
			if strings.EqualFold(strings.TrimSpace(name), "return") &&
				strings.EqualFold(strings.Trim(strings.TrimSpace(value), `"`), "representation") {
				return true
			}
		}
	}
	return false
}
