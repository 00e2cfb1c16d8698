package commands

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// AuditListOptions is everything `audit list` needs.
type AuditListOptions struct {
	IO      *iostreams.IOStreams
	Service func() (keys.Service, error)
	Printer output.Printer
	Now     func() time.Time

	Key   string
	Since string
	Limit int
}

func NewCmdAuditList(f *Factory, runF func(*AuditListOptions) error) *cobra.Command {
	opts := &AuditListOptions{IO: f.IO, Service: f.ExistingService, Now: nowFor(f)}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List key changes, newest first",
		Example: `  keyward audit list --key ci-deploy --since 7d
  keyward audit list --since 2026-11-01 -o jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Limit < 0 {
				return usageErrorf("invalid --limit %d: use 0 (all) or more", opts.Limit)
			}
			if runF != nil {
				return runF(opts)
			}
			return auditListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Key, "key", "", "only changes of this key (id, name or org/name)")
	cmd.Flags().StringVar(&opts.Since, "since", "", "only changes since T: RFC 3339, YYYY-MM-DD, or a duration ago (7d)")
	cmd.Flags().IntVar(&opts.Limit, "limit", keys.DefaultPageSize, "how many events to show; 0 for all")
	_ = cmd.RegisterFlagCompletionFunc("key", keyArgs(f, 0))
	noFileFlags(cmd, "since", "limit")
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func auditListRun(ctx context.Context, opts *AuditListOptions) error {
	filter := keys.AuditFilter{Key: opts.Key}
	if opts.Since != "" {
		t, err := keys.ParseSince(opts.Since, opts.Now())
		if err != nil {
			return keys.Errorf(keys.Invalid, "invalid --since: %s", keys.ErrorMessage(err))
		}
		filter.Since = &t
	}
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	return printPages(opts.IO.ErrOut, [2]string{"event", "events"}, opts.Limit, opts.Printer.AuditList(opts.IO.Out),
		func(size int, cursor string) ([]*keys.AuditEvent, *string, error) {
			filter.Limit, filter.Cursor = size, cursor
			page, err := svc.Audit(ctx, filter)
			if err != nil {
				return nil, nil, err
			}
			return page.Items, page.NextCursor, nil
		})
}
