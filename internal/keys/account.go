package keys

import (
	"context"
	"strings"
	"time"
)

// Account is a service account: an identity that holds grants and owns
// several keys, each with its own name, expiry, secrets and revocation,
// and each holding exactly the account's grants. Its organization is that
// of its grants; its name is unique there. The JSON field names are a
// contract.
type Account struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Org       string    `json:"org"`
	Grants    []Grant   `json:"grants"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	// KeyCount is how many keys belong to the account.
	KeyCount int `json:"key_count"`
}

// AccountService is the Service's half for service accounts, kept apart
// so that it reads (and merges) as one piece. Refs are an id ("acc_…"), a
// name, or "org/name"; the same Codes as Service's. Each change is one
// transaction with its audit row, and a change to an account's grants
// reaches every one of its keys in that transaction.
type AccountService interface {
	CreateAccount(ctx context.Context, req CreateAccountRequest) (*Account, error)
	GetAccount(ctx context.Context, ref string) (*Account, error)
	// ListAccounts returns one page of the accounts the principal may
	// read, ordered by name then id.
	ListAccounts(ctx context.Context, f AccountFilter) (*AccountPage, error)
	// DeleteAccount is a Conflict while keys belong to the account; it
	// returns the account as it was.
	DeleteAccount(ctx context.Context, ref string) (*Account, error)
	GrantAccount(ctx context.Context, ref string, g Grant) (*Account, error)
	UngrantAccount(ctx context.Context, ref string, r Resource) (*Account, error)
}

// AccountFilter pages ListAccounts: Limit 1–1000, 0 meaning 100.
type AccountFilter struct {
	Limit  int
	Cursor string
}

// Normalize checks the page size and gives the default.
func (f AccountFilter) Normalize() (AccountFilter, error) {
	var err error
	f.Limit, err = pageSize(f.Limit)
	return f, err
}

// AccountPage is one page of accounts; NextCursor is nil on the last one.
type AccountPage struct {
	Items      []*Account `json:"items"`
	NextCursor *string    `json:"next_cursor"`
}

// CreateAccountRequest is `accounts create` and POST /v1/accounts.
type CreateAccountRequest struct {
	Name   string  `json:"name"`
	Grants []Grant `json:"grants"`
}

// Audit actions of accounts: their rows name no key (key_id and key_name
// are null) and say which account in details.account_id and
// details.account_name.
const (
	ActionAccountCreate = "account_create"
	ActionAccountUpdate = "account_update"
	ActionAccountDelete = "account_delete"
)

const accountIDPrefix = "acc_"

// NewAccountID returns a fresh account id: "acc_" and 16 base62 characters.
func NewAccountID() string { return accountIDPrefix + randomBase62(idRandomLen) }

// IsAccountID reports whether s has the shape of an account id.
func IsAccountID(s string) bool {
	return len(s) == len(accountIDPrefix)+idRandomLen && strings.HasPrefix(s, accountIDPrefix) && isBase62(s[len(accountIDPrefix):])
}

// ValidateAccountName checks an account's name: as a key's, and not
// shaped like an account id.
func ValidateAccountName(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if strings.HasPrefix(name, accountIDPrefix) {
		return Errorf(Invalid, "invalid name %q: account names must not start with %q", name, accountIDPrefix)
	}
	return nil
}

// Normalize checks req as a key's create is checked: a name, grants one
// per resource in one organization, which it returns.
func (req CreateAccountRequest) Normalize() (CreateAccountRequest, string, error) {
	if err := ValidateAccountName(req.Name); err != nil {
		return req, "", err
	}
	grants, org, err := NormalizeGrants(req.Grants)
	if err != nil {
		return req, "", err
	}
	req.Grants = grants
	return req, org, nil
}

// asKey is the account as the rules of keys judge it: its keys hold its
// grants, so who may change the account is who may change such a key.
func (a *Account) asKey() *Key {
	if a == nil {
		return nil
	}
	return &Key{Name: a.Name, Org: a.Org, Grants: a.Grants}
}

// CanReadAccount reports whether p may see a: as a key with its grants.
func CanReadAccount(p *Principal, a *Account) bool {
	return CanRead(p, "", a.Grants)
}

// CheckAccountChange decides whether p may change an account from before
// to after (nil before: a create; nil after: a delete), by CheckChange's
// rules: admin over its grants before and after, nothing above p's role.
func CheckAccountChange(p *Principal, before, after *Account) error {
	return CheckChange(p, before.asKey(), after.asKey())
}

// CheckAccountGrants checks the grants an account would hold after a
// change: at most MaxGrants, in its own organization (an account never
// moves: its keys are named within it), and at most viewer while any of
// its keys is public (publicKeys).
func CheckAccountGrants(a *Account, after []Grant, publicKeys int) error {
	if err := checkGrantCount(len(after)); err != nil {
		return err
	}
	if org, err := OrgOf(after); err != nil || org != a.Org {
		return Errorf(Invalid, "account %s lives in %s: its grants stay there; create another account for another organization", a.Name, a.Org)
	}
	if publicKeys > 0 && highestRole(after) > Viewer {
		return Errorf(Invalid, "account %s has %d public key(s), which hold at most viewer: delete them, or use another account, before granting it more", a.Name, publicKeys)
	}
	return nil
}

// CheckAccountKey checks a new key of type typ for account a: a public
// key may belong only to an account that holds at most viewer.
func CheckAccountKey(typ KeyType, a *Account) error {
	if typ == Public && highestRole(a.Grants) > Viewer {
		return Errorf(Invalid, "a public key holds at most viewer, and account %s holds %s: use a secret key, or an account holding only viewer", a.Name, highestRole(a.Grants))
	}
	return nil
}

// CheckOwnGrants refuses a grant or ungrant on a key of an account once
// p may change the key at all: its grants are its account's.
func CheckOwnGrants(p *Principal, k *Key) error {
	if err := CheckChange(p, k, k); err != nil {
		return err
	}
	if k.Account != nil {
		return Errorf(Invalid, "key %s belongs to service account %s and holds its grants: change them with `keyward accounts grant|ungrant %s%s RESOURCE`", k.Name, *k.Account, strings.TrimPrefix(k.Org, "/")+"/", *k.Account)
	}
	return nil
}

// RemoveAccountGrant is RemoveGrant for an account: the same rules, said of
// the account (an account, like a key, always keeps one grant).
func RemoveAccountGrant(grants []Grant, r Resource) ([]Grant, error) {
	out, err := RemoveGrant(grants, r)
	switch ErrorCode(err) {
	case NotFound:
		return nil, Errorf(NotFound, "the service account has no grant on %s", r)
	case Conflict:
		return nil, Errorf(Conflict, "cannot remove the last grant of a service account (%s); grant another first or delete the account", r)
	}
	return out, err
}
