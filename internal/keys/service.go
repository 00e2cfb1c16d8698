package keys

import (
	"context"
	"time"
)

// Service is keyward's one interface to keys. internal/store implements it
// over SQLite, internal/client over HTTP; commands never know which they
// hold. Every method acts for the principal in ctx (see WithPrincipal) and
// returns errors carrying a Code:
//
//	Invalid      bad input (a name, resource, duration, role)
//	NotFound     no such key, or one the principal may not read
//	Conflict     name taken, ambiguous name, removing the last grant
//	Unauthorized no or bad operator credential
//	Forbidden    a readable key the principal may not change; a create outside its scope
//	Unavailable  database locked past the busy timeout, server unreachable
//
// A ref (the KEY argument) is an id ("key_…"), a name, or "org/name"
// ("acme/ci-deploy"; a root key is "/name"). A name shared by visible keys
// of two organizations is a Conflict naming their ids.
//
// Each changing method is one transaction and writes one audit row per key
// changed; the rules are checked inside it.
type Service interface {
	AccountService
	Create(ctx context.Context, req CreateRequest) (*NewSecretKey, error)
	Get(ctx context.Context, ref string) (*Key, error)
	// List returns one page, ordered by name then id. Callers wanting
	// everything follow NextCursor; no implementation holds the whole list.
	List(ctx context.Context, f ListFilter) (*KeyPage, error)
	Update(ctx context.Context, ref string, req UpdateRequest) (*Key, error)
	Roll(ctx context.Context, ref string, req RollRequest) (*NewSecretKey, error)
	// Delete resolves every ref first and deletes all or nothing; it returns
	// the deleted keys.
	Delete(ctx context.Context, refs []string) ([]*Key, error)
	Grant(ctx context.Context, ref string, g Grant) (*Key, error)
	Ungrant(ctx context.Context, ref string, r Resource) (*Key, error)
	// Verify needs no principal and never fails for a bad secret: the
	// answer is in the result's code. Errors are for the backend itself
	// (Unavailable).
	Verify(ctx context.Context, req VerifyRequest) (*VerifyResult, error)
	Audit(ctx context.Context, f AuditFilter) (*AuditPage, error)
	// CheckLeaks looks found secrets up by their hash and tells, for
	// each, the key it belongs to (named only when the principal may
	// read it) and whether it is still valid. It is a read: no
	// last_used_at, no use of the secret.
	CheckLeaks(ctx context.Context, leaks []Leak) ([]*LeakResult, error)
	// ReportLeaks is CheckLeaks that also disables every found key that
	// is still valid and marks it compromised, where the principal holds
	// admin over the key: one transaction, one audit row (action
	// compromise, the leaks' sources, never a secret) per key disabled.
	ReportLeaks(ctx context.Context, leaks []Leak) ([]*LeakResult, error)
	// WhoAmI describes the principal the calls act for.
	WhoAmI(ctx context.Context) (*Principal, error)
	Close() error
	OrgService
}

// Backend is what a server needs beyond Service: turning a presented bearer
// secret into a principal, and a health check. The SQLite store is one.
type Backend interface {
	Service
	// Authenticate returns the principal for an operator secret:
	// Unauthorized for an unknown, malformed, disabled or expired one,
	// Forbidden for a public key.
	Authenticate(ctx context.Context, secret string) (*Principal, error)
	Ping(ctx context.Context) error
}

// CreateRequest is `keys create` and POST /v1/keys. At most one of TTL and
// ExpiresAt; neither means no expiry.
type CreateRequest struct {
	Name      string            `json:"name"`
	Type      KeyType           `json:"type,omitempty"`
	Prefix    string            `json:"prefix,omitempty"`
	Grants    []Grant           `json:"grants"`
	TTL       *Duration         `json:"ttl,omitempty"`
	ExpiresAt *time.Time        `json:"expires_at,omitempty"`
	Meta      map[string]string `json:"meta,omitempty"`
	// Account makes the key one of this service account's (a ref): it
	// then holds the account's grants, and Grants must be empty.
	Account string    `json:"account,omitempty"`
	Format  KeyFormat `json:"format,omitempty"`
	// AllowedIPs and RateLimit are the key's policies (policy.go); none
	// when empty.
	AllowedIPs AllowList  `json:"allowed_ips,omitempty"`
	RateLimit  *RateLimit `json:"rate_limit,omitempty"`
}

// UpdateRequest is `keys update` and PATCH /v1/keys/{key}. Nil fields stay
// as they are; at most one of TTL, ExpiresAt and NoExpiry. Meta merges: an
// empty value removes its key. AllowedIPs replaces the allow-list, an
// empty one ([]) removing it; RateLimit replaces the limit, the zero one
// ("") removing it.
type UpdateRequest struct {
	Name       *string           `json:"name,omitempty"`
	TTL        *Duration         `json:"ttl,omitempty"`
	ExpiresAt  *time.Time        `json:"expires_at,omitempty"`
	NoExpiry   bool              `json:"no_expiry,omitempty"`
	Enabled    *bool             `json:"enabled,omitempty"`
	Meta       map[string]string `json:"meta,omitempty"`
	AllowedIPs *AllowList        `json:"allowed_ips,omitempty"`
	RateLimit  *RateLimit        `json:"rate_limit,omitempty"`
}

// DefaultGrace is how long a rolled-out secret keeps working by default.
const DefaultGrace = 12 * time.Hour

// RollRequest is `keys roll` and POST /v1/keys/{key}/roll. A nil Grace is
// DefaultGrace; zero ends the old secret at once. TTL, when set, also sets
// the key's expiry to now+TTL.
type RollRequest struct {
	Grace *Duration `json:"grace,omitempty"`
	TTL   *Duration `json:"ttl,omitempty"`
}

// ListFilter selects keys for List. Zero values select everything.
type ListFilter struct {
	// Resource keeps keys with a grant at or under it.
	Resource *Resource
	// Expired keeps keys whose expiry has passed.
	Expired bool
	// ExpiringWithin keeps unexpired keys expiring within this long.
	ExpiringWithin Duration
	// Compromised keeps keys marked compromised (their secret was
	// reported leaked).
	Compromised bool
	// UnusedFor keeps keys not used for this long (a never-used key counts
	// from its creation).
	UnusedFor Duration
	// Account keeps the keys of this service account: an id, a name or
	// org/name, resolved as GetAccount does (NotFound when the principal
	// cannot read it).
	Account string
	// Limit is the page size: 1–1000, 0 meaning 100.
	Limit int
	// Cursor continues from a previous page's NextCursor.
	Cursor string
}

// DefaultPageSize and MaxPageSize bound List and Audit pages.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// KeyPage is one page of keys; NextCursor is nil on the last one.
type KeyPage struct {
	Items      []*Key  `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// AuditEvent is one audit row: one per change, never a secret.
type AuditEvent struct {
	ID        int64          `json:"id"`
	At        time.Time      `json:"at"`
	Org       string         `json:"org"`
	Actor     string         `json:"actor"`
	ActorName *string        `json:"actor_name"`
	Action    string         `json:"action"`
	KeyID     *string        `json:"key_id"`   // null for a row about no key (an account's)
	KeyName   *string        `json:"key_name"` // null with key_id
	Details   map[string]any `json:"details"`
}

// Audit actions.
const (
	ActionCreate  = "create"
	ActionRoll    = "roll"
	ActionUpdate  = "update"
	ActionGrant   = "grant"
	ActionUngrant = "ungrant"
	ActionDelete  = "delete"
	// ActionCompromise: a leaked secret disabled its key (ReportLeaks).
	ActionCompromise = "compromise"
)

// AuditFilter selects audit rows, newest first.
type AuditFilter struct {
	Key    string // a ref; "" for all the principal may read
	Since  *time.Time
	Limit  int
	Cursor string
}

// AuditPage is one page of audit rows.
type AuditPage struct {
	Items      []*AuditEvent `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}
