package commands

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/keys"
)

// Dynamic shell completion (`keyward __complete …`, run by the scripts of
// `keyward completion`). It asks the configured backend, like a command
// would, but it must be fast and quiet: a bounded number of keys, a short
// deadline, nothing on the terminal (errors go to cobra.CompDebugln, which
// writes only when BASH_COMP_DEBUG_FILE is set), never a prompt, and never
// a side effect such as creating a database that is not there yet.
const (
	// completeTimeout bounds one completion: a slow or unreachable
	// server gives no candidates rather than a frozen shell.
	completeTimeout = 2 * time.Second
	// completeMaxPages is how many List pages (of keys.MaxPageSize) a
	// completion reads at most while looking for keys matching a prefix.
	completeMaxPages = 3
	// completeMaxCandidates stops a completion once it has this many.
	completeMaxCandidates = 1000
	// keyIDPrefix starts every key id (and no name).
	keyIDPrefix = "key_"
)

// keyArgs completes KEY arguments with the keys the operator can see: a
// name, or org/name (a root key is /name) when visible keys of several
// organizations share that name, or when what is typed so far contains a
// slash; an id when what is typed starts with key_. max is how many KEY
// arguments the command takes (0: any number, each key offered once).
func keyArgs(f *Factory, max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max > 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return completeKeyRefs(cmd, f, toComplete, args)
	}
}

// keyThenResource completes `grant KEY RESOURCE`: a key, then resources.
func keyThenResource(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			return completeKeyRefs(cmd, f, toComplete, nil)
		case 1:
			return completeResources(f)(cmd, args[:0], toComplete)
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// keyThenGrant completes `ungrant KEY RESOURCE`: a key, then the resources
// that key holds a grant on.
func keyThenGrant(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			return completeKeyRefs(cmd, f, toComplete, nil)
		case 1:
			ctx, cancel := completeContext(cmd)
			defer cancel()
			svc := completionService(f)
			if svc == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			k, err := svc.Get(ctx, args[0])
			if err != nil {
				cobra.CompDebugln("keyward: "+err.Error(), false)
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []string
			for _, g := range k.Grants {
				if r := string(g.Resource); strings.HasPrefix(r, toComplete) {
					out = append(out, r+"\t"+g.Role.String())
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeResources completes a RESOURCE (or --resource) with the
// resources of the visible keys' grants and the paths above them.
func completeResources(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		seen := map[string]bool{}
		scanKeys(cmd, f, func(k *keys.Key) bool {
			for _, g := range k.Grants {
				// the resource and every path above it up to the
				// organization ("/" only when a key holds a grant on it)
				for r := string(g.Resource); !seen[r]; {
					seen[r] = true
					i := strings.LastIndex(r, "/")
					if i <= 0 {
						break
					}
					r = r[:i]
				}
			}
			return len(seen) < completeMaxCandidates
		})
		var out []string
		for r := range seen {
			if strings.HasPrefix(r, toComplete) {
				out = append(out, r)
			}
		}
		sort.Strings(out)
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeKeyRefs is the KEY candidates for toComplete, leaving out the
// keys named in exclude (the arguments already given), and the directive.
//
// A name that keys of several organizations share is no KEY, so a shell
// must not insert it as one: typed in full (ci), it is offered as each
// key's org/name, which bash and zsh would filter out as not starting
// with what is typed; directiveQualified tells keyward's scripts (see
// completion_write.go) to show them all the same. Typed in part (c), it
// is offered once, bare and without a trailing space, so that the shell
// completes the word up to it and the next TAB offers the org/names:
// what the shells insert always starts with what was typed.
func completeKeyRefs(cmd *cobra.Command, f *Factory, toComplete string, exclude []string) ([]string, cobra.ShellCompDirective) {
	var found []*keys.Key
	byName := map[string][]string{} // name -> organizations
	scanKeys(cmd, f, func(k *keys.Key) bool {
		if matchesRef(k, toComplete) {
			found = append(found, k)
			byName[k.Name] = append(byName[k.Name], k.Org)
		}
		return len(found) < completeMaxCandidates
	})
	skip := map[string]bool{}
	for _, a := range exclude {
		skip[a] = true
	}
	now := nowFor(f)()
	directive := cobra.ShellCompDirectiveNoFileComp
	offeredBare := map[string]bool{}
	var out []string
	for _, k := range found {
		if skip[k.ID] || skip[k.Name] || skip[orgRef(k)] {
			continue
		}
		shared := len(byName[k.Name]) > 1
		ref := k.Name
		switch {
		case strings.HasPrefix(toComplete, keyIDPrefix):
			ref = k.ID
		case strings.Contains(toComplete, "/"):
			ref = orgRef(k)
		case shared && (toComplete == "" || toComplete == k.Name):
			ref = orgRef(k)
			if toComplete != "" {
				directive |= directiveQualified
			}
		case shared:
			if !offeredBare[k.Name] {
				offeredBare[k.Name] = true
				out = append(out, k.Name+"\t"+describeShared(byName[k.Name]))
				directive |= cobra.ShellCompDirectiveNoSpace
			}
			continue
		}
		out = append(out, ref+"\t"+describeKey(k, ref, now))
	}
	return out, directive
}

// describeShared is the description of a name keys of several
// organizations share: how many, and where.
func describeShared(orgs []string) string {
	orgs = slices.Sorted(slices.Values(orgs))
	return strconv.Itoa(len(orgs)) + " keys: " + strings.Join(slices.Compact(orgs), ", ")
}

// matchesRef reports whether k has a reference (id, name or org/name)
// starting with prefix.
func matchesRef(k *keys.Key, prefix string) bool {
	switch {
	case prefix == "":
		return true
	case strings.HasPrefix(prefix, keyIDPrefix):
		return strings.HasPrefix(k.ID, prefix)
	case strings.Contains(prefix, "/"):
		return strings.HasPrefix(orgRef(k), prefix)
	default:
		return strings.HasPrefix(k.Name, prefix)
	}
}

// orgRef is k as org/name: acme/ci-deploy, or /name for a root key.
func orgRef(k *keys.Key) string {
	return strings.TrimPrefix(k.Org, "/") + "/" + k.Name
}

// describeKey is the description shown next to a candidate (zsh, fish,
// and bash when listing several): the organization, or the name when the
// candidate is an id, and the key's state when it cannot be used.
func describeKey(k *keys.Key, ref string, now time.Time) string {
	d := k.Org
	if ref == k.ID {
		d = orgRef(k)
	}
	if !k.Enabled {
		d += ", disabled"
	}
	if k.Expired(now) {
		d += ", expired"
	}
	return d
}

// scanKeys calls visit on the visible keys, page by page, until visit
// returns false, completeMaxPages pages were read, or the deadline passed.
func scanKeys(cmd *cobra.Command, f *Factory, visit func(*keys.Key) bool) {
	svc := completionService(f)
	if svc == nil {
		return
	}
	ctx, cancel := completeContext(cmd)
	defer cancel()
	filter := keys.ListFilter{Limit: keys.MaxPageSize}
	for range completeMaxPages {
		page, err := svc.List(ctx, filter)
		if err != nil {
			cobra.CompDebugln("keyward: "+err.Error(), false)
			return
		}
		for _, k := range page.Items {
			if !visit(k) {
				return
			}
		}
		if page.NextCursor == nil || ctx.Err() != nil {
			return
		}
		filter.Cursor = *page.NextCursor
	}
}

// completionService is the backend to complete from, or nil when there is
// none to ask without side effects: settings that do not resolve, a local
// database that does not exist yet (completion reads: it never creates
// one), or a backend that does not open.
func completionService(f *Factory) keys.Service {
	if f.ExistingService == nil {
		return nil
	}
	svc, err := f.ExistingService()
	if err != nil {
		cobra.CompDebugln("keyward: "+err.Error(), false)
		return nil
	}
	return svc
}

// completeContext is the command's context with the completion deadline.
func completeContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, completeTimeout)
}

func completeRoles(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return []string{"viewer", "editor", "admin"}, cobra.ShellCompDirectiveNoFileComp
}

// noFileFlags registers "no file completion" for flags whose values are
// durations, times, names or numbers: the shell must not offer files.
func noFileFlags(cmd *cobra.Command, names ...string) {
	for _, n := range names {
		_ = cmd.RegisterFlagCompletionFunc(n, cobra.NoFileCompletions)
	}
}
