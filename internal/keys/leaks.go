package keys

import (
	"time"
	"unicode"
	"unicode/utf8"
)

// Leak is a secret found where it should not be (a file, a paste, a
// public repository) and where it was found. The JSON names are the
// API's (POST /v1/leaks): what a scanning service sends.
type Leak struct {
	Secret string `json:"key"`
	Source string `json:"source"`
}

// MaxLeaks bounds one CheckLeaks or ReportLeaks call; a scan with more
// findings asks in batches.
const MaxLeaks = 1000

// maxSourceLen bounds a leak's source ("path/to/file:12"): it goes into
// an audit row.
const maxSourceLen = 1024

// LeakAction is what ReportLeaks did about one found secret.
type LeakAction string

const (
	// LeakDisabled: the key was valid; this call disabled it and marked
	// it compromised.
	LeakDisabled LeakAction = "disabled"
	// LeakNone: nothing to do: no such key, it was no longer valid, or
	// it is a public key (LeakCompromises).
	LeakNone LeakAction = "none"
	// LeakForbidden: the key is valid but the caller may not change it
	// (admin over the key is needed); it stays as it is.
	LeakForbidden LeakAction = "forbidden"
)

// LeakResult is what a backend tells of one found secret, looked up by
// its hash, in the order the leaks were given. Key fields are null when no
// key has the secret, or when the caller may not read the key: such a key
// stays unnamed, but its valid and code are told, since whoever holds the
// secret learns them from POST /v1/verify anyway, and a live leaked
// secret must not pass for a dead one. Valid and Code are null only where
// nothing was asked (a scan without a database or server); Action only
// where nothing was to be done (CheckLeaks).
type LeakResult struct {
	Start         string      `json:"start"`
	KeyID         *string     `json:"key_id"`
	Name          *string     `json:"name"`
	Org           *string     `json:"org"`
	Valid         *bool       `json:"valid"`
	Code          *VerifyCode `json:"code"`
	CompromisedAt *time.Time  `json:"compromised_at"`
	Action        *LeakAction `json:"action"`
}

// Finding is one secret `keyward scan` found: where, and what the backend
// told of it (LeakResult, all null without one).
type Finding struct {
	File string `json:"file"`
	Line int    `json:"line"`
	LeakResult
	// Format is the found secret's: opaque, or jwt for a JWT key's token.
	Format KeyFormat `json:"format"`
	// SignatureChecked is, for a token, whether its signature verified
	// against the backend's JWK Set (true), or could not be checked, with
	// no backend (false: its header and claims read as keyward's, which
	// a forgery's can too); null for an opaque secret (its checksum is
	// always checked).
	SignatureChecked *bool `json:"signature_checked"`
}

// NormalizeLeaks checks a CheckLeaks or ReportLeaks request: 1 to
// MaxLeaks leaks, each source short, printable and free of secrets (it is
// written to the audit log). A secret that is not well-formed is not an
// error: it is answered NOT_FOUND without a lookup, as verify answers it.
// Secrets come back with trailing whitespace removed.
func NormalizeLeaks(leaks []Leak) ([]Leak, error) {
	if len(leaks) == 0 || len(leaks) > MaxLeaks {
		return nil, Errorf(Invalid, "give 1 to %d leaks", MaxLeaks)
	}
	out := make([]Leak, len(leaks))
	for i, l := range leaks {
		if err := validateSource(l.Source); err != nil {
			return nil, Errorf(Invalid, "leak %d: %s", i+1, err.Error())
		}
		if s, err := ParseSecret(l.Secret); err == nil {
			l.Secret = s
		}
		out[i] = l
	}
	return out, nil
}

func validateSource(s string) error {
	if len(s) > maxSourceLen || !utf8.ValidString(s) {
		return Errorf(Invalid, "invalid source: use at most %d bytes of UTF-8", maxSourceLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return Errorf(Invalid, "invalid source: no control characters")
		}
	}
	if ContainsSecret(s) {
		return Errorf(Invalid, "invalid source: it contains a secret (name the file and line, not the secret)")
	}
	return nil
}

// UnknownLeak is the answer for a secret no key has (or a malformed one).
func UnknownLeak(secret string) *LeakResult {
	code := CodeNotFound
	valid := false
	r := &LeakResult{Valid: &valid, Code: &code}
	if _, err := ParseSecret(secret); err == nil {
		r.Start = SecretStart(secret)
	}
	return r
}

// DescribeLeak is the answer for a secret of key k: res is k evaluated as
// verification would (no resource, no role); the key is named only when
// p may read it.
func DescribeLeak(p *Principal, k *Key, secret string, res *VerifyResult) *LeakResult {
	valid, code := res.Valid, res.Code
	r := &LeakResult{Start: SecretStart(secret), Valid: &valid, Code: &code}
	if code == CodeNotFound || !CanRead(p, k.ID, k.Grants) {
		return r
	}
	id, name, org := k.ID, k.Name, k.Org
	r.KeyID, r.Name, r.Org = &id, &name, &org
	r.CompromisedAt = k.CompromisedAt
	return r
}

// LeakCompromises reports whether a found secret of k compromises it. A
// public key's secret is meant to be embedded in apps, where anyone sees
// it: a scanner finding it in a bundle or a public repository is no leak,
// and disabling it would take every app that embeds it down.
func LeakCompromises(k *Key) bool { return k.Type != Public }

// Compromise is k disabled and marked compromised at now: what
// ReportLeaks makes of a valid key whose secret leaked.
func Compromise(k *Key, now time.Time) *Key {
	c := *k
	c.Enabled = false
	at := now.UTC().Truncate(time.Second)
	c.CompromisedAt = &at
	return &c
}

// SetAction records what was done about a leak.
func (r *LeakResult) SetAction(a LeakAction) { r.Action = &a }
