package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// ListOptions is everything `keys list` needs.
type ListOptions struct {
	IO      *iostreams.IOStreams
	Service func() (keys.Service, error)
	Printer output.Printer

	Resource       string
	Expired        bool
	Compromised    bool
	ExpiringWithin keys.Duration
	UnusedFor      keys.Duration
	Account        string
	// Limit is how many keys to show; 0 is all, streamed page by page.
	Limit int
}

func NewCmdList(f *Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Service: f.ExistingService}
	var expiringWithin, unusedFor durationFlag
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List keys, ordered by name",
		Example: `  keyward keys list --resource /acme/prod
  keyward keys list --expiring-within 7d -o json | jq -r '.[].name'
  keyward keys list --account deployer
  keyward keys list --limit 0 -o jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := exclusive(cmd, "expired", "expiring-within", "unused-for"); err != nil {
				return err
			}
			opts.ExpiringWithin, opts.UnusedFor = expiringWithin.d, unusedFor.d
			if opts.Limit < 0 {
				return usageErrorf("invalid --limit %d: use 0 (all) or more", opts.Limit)
			}
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Resource, "resource", "", "only keys with a grant at or under this resource")
	cmd.Flags().BoolVar(&opts.Expired, "expired", false, "only expired keys")
	cmd.Flags().BoolVar(&opts.Compromised, "compromised", false, "only keys whose secret was reported leaked (keyward scan --disable)")
	cmd.Flags().Var(&expiringWithin, "expiring-within", "only keys expiring within this long, e.g. 7d")
	cmd.Flags().Var(&unusedFor, "unused-for", "only keys not used for this long (never-used keys count from creation)")
	cmd.Flags().StringVar(&opts.Account, "account", "", "only the keys of this service account (id, name or org/name)")
	cmd.Flags().IntVar(&opts.Limit, "limit", keys.DefaultPageSize, "how many keys to show; 0 for all")
	_ = cmd.RegisterFlagCompletionFunc("resource", completeResources(f))
	_ = cmd.RegisterFlagCompletionFunc("account", accountFlag(f))
	noFileFlags(cmd, "expiring-within", "unused-for", "limit")
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	filter := keys.ListFilter{Expired: opts.Expired, ExpiringWithin: opts.ExpiringWithin, UnusedFor: opts.UnusedFor, Compromised: opts.Compromised, Account: opts.Account}
	if opts.Resource != "" {
		r, err := keys.ParseResource(opts.Resource)
		if err != nil {
			return err
		}
		filter.Resource = &r
	}
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	return printPages(opts.IO.ErrOut, [2]string{"key", "keys"}, opts.Limit, opts.Printer.KeyList(opts.IO.Out),
		func(size int, cursor string) ([]*keys.Key, *string, error) {
			filter.Limit, filter.Cursor = size, cursor
			page, err := svc.List(ctx, filter)
			if err != nil {
				return nil, nil, err
			}
			return page.Items, page.NextCursor, nil
		})
}

// printPages streams a paged listing of at most limit items (0 = all) into
// out and says on stderr when more exist than were shown. what names one
// item and many ("key", "keys").
func printPages[T any](errOut io.Writer, what [2]string, limit int, out output.ListWriter[T], fetch func(size int, cursor string) ([]T, *string, error)) error {
	more, err := eachPage(limit, fetch, out.Add)
	if err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if more {
		noun := what[1]
		if limit == 1 {
			noun = what[0]
		}
		fmt.Fprintf(errOut, "showing first %d %s; use --limit 0 for all\n", limit, noun)
	}
	return nil
}

// eachPage drives a paged listing: limit items in all (0 = everything),
// fetched in pages of at most keys.MaxPageSize and handed to emit one by
// one, so nothing holds the whole list. more reports whether items lie
// beyond the limit. A limit below a full page asks for one item more than
// it shows: the extra one says that more exist, without a second query (a
// second round trip is a tenth of a short listing's time). Only a limit
// that ends exactly at a page's end with a cursor left asks for one more.
func eachPage[T any](limit int, fetch func(size int, cursor string) ([]T, *string, error), emit func(T) error) (more bool, err error) {
	size := keys.MaxPageSize
	if limit > 0 && limit < size {
		size = limit + 1
	}
	cursor, shown := "", 0
	for {
		items, next, err := fetch(size, cursor)
		if err != nil {
			return false, err
		}
		for _, it := range items {
			if limit > 0 && shown == limit {
				return true, nil
			}
			if err := emit(it); err != nil {
				return false, err
			}
			shown++
		}
		if next == nil || *next == "" || len(items) == 0 {
			// (a page without items but with a cursor: stop rather than spin)
			return false, nil
		}
		if limit > 0 && shown >= limit {
			probe, _, err := fetch(1, *next)
			return len(probe) > 0, err
		}
		cursor = *next
	}
}
