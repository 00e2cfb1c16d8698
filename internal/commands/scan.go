package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/fserr"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
	"github.com/keyward/keyward/internal/scan"
)

// ScanOptions is everything `keyward scan` needs.
type ScanOptions struct {
	IO *iostreams.IOStreams
	// Backend is the database or server to look found secrets up in; it
	// returns nil, nil when none is configured (no --db, --server or
	// profile, and no default database): findings are then reported
	// without a lookup, and no database is created.
	Backend func() (keys.Service, error)
	Printer output.Printer
	Paths   []string
	Disable bool
	// NoIgnore reads every file of a folder, as if no git were there.
	NoIgnore bool
	// Offline finds secrets by checksum alone, asking no database or
	// server: a pre-commit hook must work without the network.
	Offline bool
	// Detectors are what finds secrets; nil: scan.DefaultDetectors, with
	// tokens checked against the backend's JWK Set (unchecked without
	// one).
	Detectors []scan.Detector
}

func NewCmdScan(f *Factory, runF func(*ScanOptions) error) *cobra.Command {
	opts := &ScanOptions{IO: f.IO, Backend: scanBackend(f)}
	cmd := &cobra.Command{
		Use:   "scan [PATH...]",
		Short: "Find keyward secrets in files (exit 1 when any is found)",
		Long: `Find keyward secrets in files, folders (recursively) or standard input
(no PATH, or -). A secret is found by its checksum: random text shaped like
a secret is not reported. Inside a git work tree a folder's files are those
git sees (.gitignore is respected; a folder git ignores, named, is read
whole; submodules are read too; --no-ignore reads every file, as a leaked
copy of a work tree calls for: its ignored .env files leaked too); binary
files are skipped.

JWT keys are found by their shape, then their signature against the JWK
Set of the database or server; with none (--offline, or nothing configured)
a token is reported only when its header and claims read as keyward's, and
the finding says its signature was not checked (signature_checked false).

Each finding names the file, the line and the secret's start (never the
secret). With a database or server (--db, --server, a profile, or the
default database when it exists), found secrets are looked up by hash,
without counting as a use: the key's id and name (where you may read it)
and whether it is still valid (--offline: no lookup). --disable also disables every found key that
is still valid and marks it compromised (keys list --compromised), with an
audit row naming the file and line.

Exit status: 0 when nothing is found, 1 when a secret is, 2 for bad input
(a path that is not there) or, when nothing was found, a file that could not
be read (the scan is incomplete; each such file is named on stderr); a
lookup that fails exits as its error does (6: server unreachable), after the
findings are printed.`,
		Example: `  keyward scan .
  git diff --cached | keyward scan
  keyward --server https://keys.example.com scan --disable --no-ignore -o json ./leaked-dump`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if err := exclusive(cmd, "disable", "offline"); err != nil {
				return err
			}
			if len(args) == 0 && opts.IO.IsStdinTTY() {
				return usageErrorf("give a file or folder to scan, or pipe text in (keyward scan PATH..., or ... | keyward scan)")
			}
			if runF != nil {
				return runF(opts)
			}
			return scanRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Disable, "disable", false, "disable every found key that is still valid and mark it compromised (needs a database or server)")
	cmd.Flags().BoolVar(&opts.NoIgnore, "no-ignore", false, "read every file of a folder, .gitignore or not (a leaked copy of a work tree)")
	cmd.Flags().BoolVar(&opts.Offline, "offline", false, "find secrets by checksum alone: look nothing up (a pre-commit hook)")
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

// scanBackend is the backend a scan looks secrets up in: whatever the
// settings name, except the default database when it is not there, which
// a scan neither creates nor needs.
func scanBackend(f *Factory) func() (keys.Service, error) {
	return func() (keys.Service, error) {
		s, err := settingsFor(f)()
		if err != nil {
			return nil, err
		}
		if s.Server == "" && !s.ProfileMissing && (s.DB == "" || s.DB == config.DefaultDBPath()) {
			if s.DB == "" {
				return nil, nil
			}
			if _, err := os.Stat(s.DB); err != nil {
				return nil, nil
			}
		}
		if f.ExistingService == nil {
			return nil, nil
		}
		return f.ExistingService()
	}
}

func scanRun(ctx context.Context, opts *ScanOptions) error {
	targets, err := scan.Targets(opts.Paths)
	if err != nil {
		return err
	}
	// The backend before any reading: a --db that is not there, or a
	// server without a credential, is said at once.
	var svc keys.Service
	if !opts.Offline {
		if svc, err = opts.Backend(); err != nil {
			return err
		}
	}
	if opts.Disable && svc == nil {
		return usageErrorf("--disable needs a database or server: give --db, --server or a profile")
	}
	if opts.Detectors == nil {
		tokens, err := tokenDetector(ctx, svc)
		if err != nil {
			return err
		}
		opts.Detectors = scan.DefaultDetectors(tokens)
	}
	hits, unread, err := scanTargets(ctx, opts, targets)
	if err != nil {
		return err
	}
	findings := make([]*keys.Finding, len(hits))
	for i, h := range hits {
		findings[i] = &keys.Finding{File: h.File, Line: h.Line, LeakResult: keys.LeakResult{Start: keys.SecretStart(h.Secret)}}
		describeHit(findings[i], h)
	}
	// A lookup that fails (a server down: exit 6) still prints where the
	// secrets are, with what batches before it learned.
	var lookupErr error
	if svc != nil && len(hits) > 0 {
		lookupErr = lookUpHits(ctx, svc, opts.Disable, hits, findings)
	}
	l := opts.Printer.Findings(opts.IO.Out)
	for _, f := range findings {
		if err := l.Add(f); err != nil {
			return err
		}
	}
	if err := l.Close(); err != nil {
		return err
	}
	if lookupErr != nil {
		return lookupErr
	}
	// A file not read is a scan not done: a CI job must not pass on it.
	// What was found still says exit 1; without a finding, exit 2.
	incomplete := ""
	if unread > 0 {
		incomplete = fmt.Sprintf("%d file(s) could not be read (above): the scan is incomplete", unread)
	}
	if len(findings) == 0 {
		if incomplete != "" {
			return keys.Errorf(keys.Invalid, "%s", incomplete)
		}
		return nil
	}
	if opts.Printer.Format().IsTable() {
		summarize(opts.IO, findings)
	}
	if incomplete != "" {
		fmt.Fprintln(opts.IO.ErrOut, "warning: "+incomplete)
	}
	return errSecretsFound
}

// tokenDetector checks found tokens against svc's JWK Set: the public
// keys of every token that can still verify. A token signed by a key
// dropped from it no longer verifies anywhere, so missing it misses no
// live key. With no backend, tokens are not checked.
func tokenDetector(ctx context.Context, svc keys.Service) (*scan.Tokens, error) {
	if svc == nil {
		return scan.UncheckedTokens(), nil
	}
	sk, err := signingKeysOf(svc)
	if err != nil {
		return nil, err
	}
	set, err := sk.JWKS(ctx)
	if keys.ErrorCode(err) == keys.Unavailable {
		// A server down must not hide where secrets are: the scan goes on
		// with tokens unchecked, and the lookups that follow say exit 6.
		return scan.UncheckedTokens(), nil
	}
	if err != nil {
		return nil, err
	}
	return scan.NewTokens(set)
}

// describeHit says what kind of secret h found, and for a token whether
// its signature was checked.
func describeHit(f *keys.Finding, h scan.Hit) {
	f.Format = keys.FormatOpaque
	if h.Detector == scan.DetectorJWT || h.Detector == scan.DetectorJWTUnchecked {
		f.Format = keys.FormatJWT
		checked := h.Detector == scan.DetectorJWT
		f.SignatureChecked = &checked
	}
}

// scanTargets reads every target, collecting what the detectors find;
// unread counts the files and folders skipped because they could not be
// read.
func scanTargets(ctx context.Context, opts *ScanOptions, targets []scan.Target) (hits []scan.Hit, unread int, err error) {
	rd := &scan.Reader{Detectors: opts.Detectors}
	collect := func(h scan.Hit) { hits = append(hits, h) }
	warn := func(msg string) {
		unread++
		fmt.Fprintln(opts.IO.ErrOut, "warning: "+oneLine(keys.Redact(msg)))
	}
	for _, t := range targets {
		t.NoIgnore = opts.NoIgnore
		if t.Path == scan.Stdin {
			if _, err := rd.Read(opts.IO.In, scan.Stdin, collect); err != nil {
				return nil, 0, keys.Errorf(keys.Invalid, "reading standard input: %s", err.Error())
			}
			continue
		}
		err := t.Files(ctx, func(path string) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			f, err := os.Open(path)
			if err != nil {
				warn("skipped " + path + ": " + fserr.Cause(err).Error())
				return nil
			}
			defer f.Close()
			if _, err := rd.Read(f, path, collect); err != nil {
				warn("skipped the rest of " + path + ": " + fserr.Cause(err).Error())
			}
			return nil
		}, warn)
		if err != nil {
			return nil, 0, err
		}
	}
	return hits, unread, nil
}

// leakBatchBytes keeps one request's body well under the server's 64 KiB,
// measured as JSON writes it (leakJSONBytes).
const leakBatchBytes = 32 << 10

// leakJSONBytes is what a leak weighs in a request body: encoding/json
// writes '&', '<' and '>' as six bytes each, so a file's name of them
// weighs six times its length.
func leakJSONBytes(l keys.Leak) int {
	b, _ := json.Marshal(l)
	return len(b) + 1 // the comma
}

// lookUpHits asks svc about each distinct secret once (or, with disable,
// reports it with up to a few of its places, which the audit row names)
// and gives every finding of that secret the answer. Requests are
// batched, a secret's places never split across two.
func lookUpHits(ctx context.Context, svc keys.Service, disable bool, hits []scan.Hit, findings []*keys.Finding) error {
	perSecret := 1
	if disable {
		perSecret = 20
	}
	type group struct {
		leaks []keys.Leak
		size  int   // leakJSONBytes of leaks
		of    []int // indexes into findings
	}
	var order []*group
	bySecret := map[string]*group{}
	for i, h := range hits {
		g := bySecret[h.Secret]
		if g == nil {
			g = &group{}
			bySecret[h.Secret] = g
			order = append(order, g)
		}
		g.of = append(g.of, i)
		// Places past the batch's bytes are left out, as those past
		// perSecret are: a secret's places never split across requests.
		if len(g.leaks) < perSecret {
			l := keys.Leak{Secret: h.Secret, Source: leakSource(h.File, h.Line)}
			if n := leakJSONBytes(l); len(g.leaks) == 0 || g.size+n <= leakBatchBytes {
				g.leaks = append(g.leaks, l)
				g.size += n
			}
		}
	}
	ask := svc.CheckLeaks
	if disable {
		ask = svc.ReportLeaks
	}
	var batch []keys.Leak
	var groups []*group
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := ask(ctx, batch)
		if err != nil {
			return err
		}
		at := 0
		for _, g := range groups {
			r := res[at]
			for _, x := range res[at : at+len(g.leaks)] {
				if x.Action != nil && *x.Action == keys.LeakDisabled {
					r = x // any of them says what was done
				}
			}
			for _, i := range g.of {
				f := findings[i]
				f.LeakResult = *r
				f.Start = keys.SecretStart(hits[i].Secret)
			}
			at += len(g.leaks)
		}
		batch, groups, size = batch[:0], groups[:0], 0
		return nil
	}
	for _, g := range order {
		n := g.size
		if len(batch)+len(g.leaks) > keys.MaxLeaks || size+n > leakBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, g.leaks...)
		groups = append(groups, g)
		size += n
	}
	return flush()
}

// leakSource is "file:line" fit for an audit row: no secret (a file may
// be named like one), no control characters, bounded.
func leakSource(file string, line int) string {
	s := oneLine(keys.Redact(file))
	if len(s) > 1000 {
		s = s[:1000]
	}
	return strings.ToValidUTF8(s, "?") + ":" + strconv.Itoa(line)
}

// oneLine is s with control characters (a newline in a file's name) as
// '?': a warning or an audit source cannot forge a line of its own.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// summarize tells people, on stderr, what the findings add up to.
func summarize(ios *iostreams.IOStreams, findings []*keys.Finding) {
	files := map[string]bool{}
	valid, disabled := 0, 0
	for _, f := range findings {
		files[f.File] = true
		if f.Valid != nil && *f.Valid {
			valid++
		}
		if f.Action != nil && *f.Action == keys.LeakDisabled {
			disabled++
		}
	}
	msg := fmt.Sprintf("found %d secret(s) in %d file(s)", len(findings), len(files))
	unchecked := 0
	for _, f := range findings {
		if f.SignatureChecked != nil && !*f.SignatureChecked {
			unchecked++
		}
	}
	if unchecked > 0 {
		msg += fmt.Sprintf("; %d JWT(s) whose signature was not checked (no database or server was asked)", unchecked)
	}
	switch {
	case disabled > 0:
		msg += fmt.Sprintf("; %d disabled now", disabled)
	case valid > 0:
		msg += fmt.Sprintf("; %d still valid: roll or disable them (keyward scan --disable)", valid)
	}
	fmt.Fprintln(ios.ErrOut, msg)
}
