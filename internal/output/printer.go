// Package output prints keyward's results as a table for people or as JSON
// or JSON lines for scripts. The format is chosen once, from -o; commands
// hand their results to a Printer and never format anything themselves.
package output

import (
	"io"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Format is an output format.
type Format string

const (
	Table Format = "table"
	// Wide is a table that shows everything: no cell cut to the
	// terminal's width, every grant (kubectl's -o wide).
	Wide  Format = "wide"
	JSON  Format = "json"
	JSONL Format = "jsonl"
)

// ParseFormat reads -o; "" is table.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "table":
		return Table, nil
	case "wide":
		return Wide, nil
	case "json":
		return JSON, nil
	case "jsonl":
		return JSONL, nil
	}
	return "", keys.Errorf(keys.Invalid, "invalid output format %q: use table, wide, json or jsonl", s)
}

// Options configure a Printer.
type Options struct {
	Format    Format
	NoHeaders bool
	// Human writes relative times ("in 3 days", "never used"): on a terminal.
	Human bool
	// Color marks expired and disabled keys: on a terminal without NO_COLOR.
	Color bool
	// Width is the terminal's width in columns, to which listings are cut
	// (the widest columns first, with an ellipsis) and past which a key's
	// grants are counted rather than listed; 0 (off a terminal) cuts
	// nothing.
	Width int
	// ErrOut receives warnings (such as "this secret will not be shown
	// again"); nil discards them.
	ErrOut io.Writer
	// Now is the clock for relative times; nil is time.Now.
	Now func() time.Time
}

// VersionInfo is what `keyward version` prints.
type VersionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// Printer writes results to w in one format.
type Printer interface {
	Format() Format
	// Key prints one key (get, update, grant, ungrant).
	Key(w io.Writer, k *keys.Key) error
	// NewSecret prints a key with its secret (create, roll).
	NewSecret(w io.Writer, k *keys.NewSecretKey) error
	// Deleted prints the keys a delete removed: JSON lists them, a table
	// says what went.
	Deleted(w io.Writer, ks []*keys.Key) error
	// KeyList starts a streamed list of keys: JSON formats write each item
	// as it is added and never hold the list.
	KeyList(w io.Writer) ListWriter[*keys.Key]
	// AuditList starts a streamed list of audit events.
	AuditList(w io.Writer) ListWriter[*keys.AuditEvent]
	// Findings starts a streamed list of the secrets `keyward scan` found.
	Findings(w io.Writer) ListWriter[*keys.Finding]
	// Verify prints a verification result.
	Verify(w io.Writer, r *keys.VerifyResult) error
	// Principal prints who the calls act for (whoami).
	Principal(w io.Writer, p *keys.Principal) error
	// Version prints version information.
	Version(w io.Writer, v VersionInfo) error
	// Profiles prints the config file's profiles (profile list).
	Profiles(w io.Writer, ps []ProfileInfo) error
	// Profile prints one profile and its credential's source (profile show).
	Profile(w io.Writer, d ProfileDetail) error
	OrgPrinter
	// Account prints one service account (get, create, grant, ungrant).
	Account(w io.Writer, a *keys.Account) error
	// DeletedAccount prints the account a delete removed.
	DeletedAccount(w io.Writer, a *keys.Account) error
	// AccountList starts a list of service accounts.
	AccountList(w io.Writer) ListWriter[*keys.Account]
	// SigningKeys prints JWT keys' signing keys (signing-keys list, rotate).
	SigningKeys(w io.Writer, ks []*keys.SigningKey) error
}

// ListWriter receives a list item by item; Close ends it (and must be
// called even for an empty list, which prints [] in JSON).
type ListWriter[T any] interface {
	Add(item T) error
	Close() error
}

// New returns the printer for o.Format.
func New(o Options) Printer {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ErrOut == nil {
		o.ErrOut = io.Discard
	}
	switch o.Format {
	case JSON, JSONL:
		return &jsonPrinter{lines: o.Format == JSONL}
	}
	return &tablePrinter{o: o, wide: o.Format == Wide}
}

// IsTable reports whether f is one of the table formats.
func (f Format) IsTable() bool { return f == Table || f == Wide }
