package commands

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/store"
)

// BackupOptions is everything `backup` needs.
type BackupOptions struct {
	IO       *iostreams.IOStreams
	Settings func() (*config.Settings, error)
	Path     string
	Force    bool
}

func NewCmdBackup(f *Factory, runF func(*BackupOptions) error) *cobra.Command {
	opts := &BackupOptions{IO: f.IO, Settings: settingsFor(f)}
	cmd := &cobra.Command{
		Use:   "backup PATH",
		Short: "Copy a live SQLite database consistently to PATH",
		Long: `Write a consistent copy of the SQLite database (--db) to PATH, while a
server and other writers keep using it: every change committed before
the backup began is in the copy, none after. The copy is made readable
by its owner only (0600). An existing PATH is never replaced without
--force.

To restore: stop the server, copy the backup over the database file (and
remove any -wal and -shm files beside it), start again; or point keyward
at the backup directly (--db PATH).

A PostgreSQL database is backed up with pg_dump, not with keyward.`,
		Example: `  keyward backup /var/backups/keyward-$(date +%F).db
  keyward --db /srv/keyward/keys.db backup /srv/backups/keys.db --force`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			if runF != nil {
				return runF(opts)
			}
			return backupRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace PATH if it exists")
	return cmd
}

func backupRun(ctx context.Context, opts *BackupOptions) error {
	s, err := opts.Settings()
	if err != nil {
		return err
	}
	if s.Server != "" {
		return usageErrorf("backup copies a database file, not a server: run it where the database is, with --db PATH")
	}
	// Ctrl-C or SIGTERM cancel the copy, so its partial temporary file is
	// removed: the runtime's default exit left it (hundreds of MB, hidden).
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := store.BackupFile(ctx, s.DB, opts.Path, store.BackupOptions{Force: opts.Force}); err != nil {
		return err
	}
	// Said to people only, as cp is silent in scripts.
	if opts.IO.IsStderrTTY() {
		fmt.Fprintf(opts.IO.ErrOut, "Backed up %s to %s\n", shownDB(s.DB), opts.Path)
	}
	return nil
}
