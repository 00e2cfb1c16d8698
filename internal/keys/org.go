package keys

import (
	"context"
	"strings"
	"time"
)

// Org is an organization as every command and the API show it: /acme as a
// thing of its own, made by `orgs create` (with its default key) or by the
// first key created under it. The JSON field names are a contract.
type Org struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// KeyCount is how many keys are in the organization now (root keys
	// with grants under it are not in it).
	KeyCount int `json:"key_count"`
	// DefaultKeyID is the default key's id; nil when the organization
	// was made implicitly, or its default key was deleted or moved away.
	DefaultKeyID *string `json:"default_key_id"`
	// DefaultKeyStart is the default key's start, for `orgs list`; never
	// in JSON (which names keys by id only).
	DefaultKeyStart string `json:"-"`
}

// OrgService is what Service does with organizations. It is a Service of
// its own, embedded in Service, so that each feature's methods stand
// apart.
type OrgService interface {
	// CreateOrg registers an organization and makes its default key, in
	// one transaction: Conflict when the organization exists.
	CreateOrg(ctx context.Context, req OrgCreateRequest) (*OrgCreated, error)
	GetOrg(ctx context.Context, name string) (*Org, error)
	// ListOrgs returns one page of the organizations the principal may
	// read, ordered by name.
	ListOrgs(ctx context.Context, f OrgFilter) (*OrgPage, error)
	// DeleteOrg removes an organization: Conflict while keys remain in
	// it, unless req.WithKeys, which deletes them in the same
	// transaction (an audit row each). It returns the organization as it
	// was.
	DeleteOrg(ctx context.Context, name string, req OrgDeleteRequest) (*Org, error)
}

// OrgCreateRequest is `orgs create` and POST /v1/orgs. The default key is
// public, viewer on the organization, unless asked otherwise.
type OrgCreateRequest struct {
	Name        string  `json:"name"`
	DefaultType KeyType `json:"default_type,omitempty"`
	DefaultRole Role    `json:"default_role,omitempty"`
	// TTL is the default key's lifetime; none when nil. A server's
	// --max-ttl sets it, as it caps every other key made without one.
	TTL *Duration `json:"ttl,omitempty"`
}

// OrgCreated is the answer of CreateOrg: the only time the default key's
// secret is shown.
type OrgCreated struct {
	Org        *Org          `json:"org"`
	DefaultKey *NewSecretKey `json:"default_key"`
}

// OrgDeleteRequest is `orgs delete` and DELETE /v1/orgs/{org}.
type OrgDeleteRequest struct {
	WithKeys bool `json:"with_keys,omitempty"`
}

// OrgFilter pages ListOrgs: Limit 1–1000, 0 meaning 100.
type OrgFilter struct {
	Limit  int
	Cursor string
}

// OrgPage is one page of organizations; NextCursor is nil on the last one.
type OrgPage struct {
	Items      []*Org  `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// DefaultKeyName is the name of the key `orgs create` makes.
const DefaultKeyName = "default"

// Audit actions of organizations; their rows have no key.
const (
	ActionOrgCreate = "org_create"
	ActionOrgDelete = "org_delete"
)

// ParseOrg reads an organization's name, "acme" or "/acme", as "/acme".
// Root ("/") is no organization.
func ParseOrg(s string) (string, error) {
	name := strings.TrimPrefix(s, "/")
	if ContainsSecret(s) {
		return "", Errorf(Invalid, "invalid organization: it holds a keyward secret")
	}
	if !validSegment(name) {
		return "", Errorf(Invalid, "invalid organization %s: use 1-64 of A-Za-z0-9._- (e.g. acme or /acme; / is root, not an organization)", quoteInput(s))
	}
	return "/" + name, nil
}

// Normalize checks req and fills in its defaults. It returns the request
// for the default key, so that the key is held to every rule of a create
// (a public default key holds at most viewer).
func (req OrgCreateRequest) Normalize() (OrgCreateRequest, CreateRequest, error) {
	org, err := ParseOrg(req.Name)
	if err != nil {
		return req, CreateRequest{}, err
	}
	req.Name = org
	if req.DefaultType == "" {
		req.DefaultType = Public
	}
	if req.DefaultRole == RoleNone {
		req.DefaultRole = Viewer
	}
	if err := req.DefaultRole.check(); err != nil {
		return req, CreateRequest{}, err
	}
	key, _, err := CreateRequest{
		Name:   DefaultKeyName,
		Type:   req.DefaultType,
		Grants: []Grant{{Resource: Resource(org), Role: req.DefaultRole}},
		TTL:    req.TTL,
	}.Normalize()
	if err != nil {
		return req, CreateRequest{}, err
	}
	req.DefaultType = key.Type
	return req, key, nil
}

// Normalize checks f and gives it its page size.
func (f OrgFilter) Normalize() (OrgFilter, error) {
	var err error
	f.Limit, err = pageSize(f.Limit)
	return f, err
}

// CheckOrgAdmin decides whether p may create or delete organizations:
// only an admin on root (the local principal is one). A public key or a
// previous secret never may.
func CheckOrgAdmin(p *Principal, org string) error {
	if p.IsLocal() {
		return nil
	}
	if p.Key.Type == Public {
		return Errorf(Forbidden, "public keys cannot manage organizations")
	}
	if p.Previous {
		return p.rolledOut()
	}
	if p.roleOn(Root) < Admin {
		return Errorf(Forbidden, "%s is not admin on /: only root admins create and delete organizations (%s)", p.describe(), org)
	}
	return nil
}

// CanReadOrg reports whether p may see an organization: it holds viewer
// or more on the whole organization, as it would to read every key in it
// (root viewers see all). A location's operator (/acme/prod) does not see
// /acme: the key count and default key are the organization's.
func CanReadOrg(p *Principal, org string) bool {
	return p.roleOn(Resource(org)) >= Viewer
}

// CheckGetOrg decides whether p may get an organization (orgs get):
// its admins and root's (issue 11). One p may not read is NotFound, as
// if there were none; one it reads (lists) but is not admin of is
// Forbidden, as a readable key it may not change is.
func CheckGetOrg(p *Principal, org string) error {
	if !CanReadOrg(p, org) {
		return Errorf(NotFound, "organization %s not found", org)
	}
	if p.roleOn(Resource(org)) < Admin {
		return Errorf(Forbidden, "%s is not admin on %s: an organization's admins get it (orgs list shows it)", p.describe(), org)
	}
	return nil
}

// OrgAuditGrants is what an organization's audit row records as its
// grants: the organization itself, so that CanReadAudit judges the row by
// the org it records, as CanReadOrg judges the organization (its viewers
// read it), and stores narrow audit reads to it as to any row.
func OrgAuditGrants(org string) []Grant {
	return []Grant{{Resource: Resource(org), Role: Viewer}}
}

// ReadableOrgs is CanReadOrg as data, for a store's query: all when p
// reads every organization (the local principal, a root viewer), else the
// organizations its grants cover whole (those on an organization itself).
func ReadableOrgs(p *Principal) (all bool, orgs []string) {
	if CanReadOrg(p, string(Root)) {
		return true, nil
	}
	if p.IsLocal() || p.Key.Type == Public {
		return false, nil
	}
	for _, g := range p.Key.Grants {
		if org := g.Resource.Org(); string(g.Resource) == org && CanReadOrg(p, org) {
			orgs = append(orgs, org)
		}
	}
	return false, orgs
}
