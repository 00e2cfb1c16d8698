package keys

import (
	"net/netip"
	"time"
)

// VerifyCode is the outcome of verifying a presented secret.
type VerifyCode string

const (
	CodeValid                   VerifyCode = "VALID"
	CodeNotFound                VerifyCode = "NOT_FOUND"
	CodeDisabled                VerifyCode = "DISABLED"
	CodeExpired                 VerifyCode = "EXPIRED"
	CodeIPNotAllowed            VerifyCode = "IP_NOT_ALLOWED"
	CodeInsufficientPermissions VerifyCode = "INSUFFICIENT_PERMISSIONS"
	CodeRateLimited             VerifyCode = "RATE_LIMITED"
)

// VerifyRequest is a presented secret with what it should allow. The JSON
// names are the API's (POST /v1/verify).
type VerifyRequest struct {
	Secret   string    `json:"key"`
	Resource *Resource `json:"resource,omitempty"`
	Role     *Role     `json:"role,omitempty"`
	// IP is the address the key was presented from (keys verify --ip,
	// the body's ip, or /v1/auth's client address); the zero Addr is
	// not known, which a key with an allow-list is refused for.
	IP netip.Addr `json:"ip,omitzero"`
}

// VerifyResult is verify's answer in every output format. Key fields are
// null when the code is NOT_FOUND.
type VerifyResult struct {
	Valid     bool       `json:"valid"`
	Code      VerifyCode `json:"code"`
	KeyID     *string    `json:"key_id"`
	Name      *string    `json:"name"`
	Org       *string    `json:"org"`
	Grants    []Grant    `json:"grants"`
	ExpiresAt *time.Time `json:"expires_at"`
	// Account is the key's service account's name, null for a key of
	// its own (and when the code is NOT_FOUND).
	Account *string `json:"account"`
	// RateLimit is the key's limit, reported by every backend; only a
	// server counts against it (RATE_LIMITED).
	RateLimit *RateLimit `json:"rate_limit"`
	// RetryAfter is, for RATE_LIMITED, the whole seconds until the next
	// verification of the key would succeed; null otherwise.
	RetryAfter *int64 `json:"retry_after"`
	// Type is the key's type, for gateways (X-Keyward-Key-Type); not part
	// of verify's JSON, whose fields are a contract.
	Type KeyType `json:"-"`
}

// NotFoundResult is the answer for an unknown, malformed, deleted or
// rolled-out secret: nothing about any key.
func NotFoundResult() *VerifyResult {
	return &VerifyResult{Code: CodeNotFound, Grants: nil}
}

// Evaluate decides the code for a found key. previousExpiresAt is set when
// the secret matched is the key's previous one (after a roll): past it, the
// secret is NOT_FOUND. The first code that applies wins: NOT_FOUND,
// DISABLED, EXPIRED, IP_NOT_ALLOWED, INSUFFICIENT_PERMISSIONS, VALID
// (RATE_LIMITED, which needs a count, is the server's: Limited). ip is
// the address the key was presented from; the zero Addr (not known)
// passes only keys without an allow-list. Without a resource,
// the role is checked against the key's highest grant. A public key
// answers as at most viewer, whatever it was stored with before that rule.
func Evaluate(k *Key, matchedPrevious bool, now time.Time, resource *Resource, role *Role, ip netip.Addr) *VerifyResult {
	// A rolled-out secret stops at the end of its grace, and with its key.
	if matchedPrevious && (k.PreviousExpiresAt == nil || !now.Before(*k.PreviousExpiresAt) || k.Expired(now)) {
		return NotFoundResult()
	}
	grants := k.Grants
	if k.Type == Public {
		grants = atMostViewer(grants)
	}
	r := &VerifyResult{KeyID: &k.ID, Name: &k.Name, Org: &k.Org, Grants: grants, ExpiresAt: k.ExpiresAt, Account: k.Account, RateLimit: k.RateLimit, Type: k.Type}
	min := Viewer
	if role != nil {
		min = *role
	}
	switch {
	case !k.Enabled:
		r.Code = CodeDisabled
	case k.Expired(now):
		r.Code = CodeExpired
	case len(k.AllowedIPs) > 0 && !k.AllowedIPs.Allows(ip):
		r.Code = CodeIPNotAllowed
	case resource != nil && RoleOn(grants, *resource) < min:
		r.Code = CodeInsufficientPermissions
	case resource == nil && highestRole(grants) < min:
		r.Code = CodeInsufficientPermissions
	default:
		r.Code, r.Valid = CodeValid, true
	}
	return r
}

// atMostViewer is grants with every role above viewer lowered to viewer;
// grants itself is left alone.
func atMostViewer(grants []Grant) []Grant {
	out := make([]Grant, len(grants))
	for i, g := range grants {
		out[i] = Grant{Resource: g.Resource, Role: min(g.Role, Viewer)}
	}
	return out
}
