package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// Main runs keyward with os.Args and returns the exit code.
//
// It leaves SIGINT alone: an interrupted command simply ends (every change
// is one transaction, so nothing is left half done), and a prompt stays
// interruptible. `serve` and the hidden secret prompt handle signals
// themselves.
func Main() int {
	return Run(context.Background(), iostreams.System(), os.Args[1:])
}

// Run executes one keyward command line on ios and returns its exit code:
// errors are printed here, once, as one line on stderr, and mapped to exit
// codes in one place (ExitCode). A panic is reported as an error, never a
// stack trace.
func Run(ctx context.Context, ios *iostreams.IOStreams, args []string) int {
	return RunFactory(ctx, NewFactory(ios), args)
}

// RunFactory is Run with a given factory (tests replace parts of it).
func RunFactory(ctx context.Context, f *Factory, args []string) (code int) {
	ios := f.IO
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(ios.ErrOut, "error: internal error: %s\n", output.OneLine(fmt.Sprint(r)))
			code = ExitError
		}
	}()
	defer f.Close()

	for _, a := range args {
		// Anywhere in it: --flag=<secret>, --meta k=<secret>, acme/<secret>.
		if keys.ContainsSecret(a) {
			// Never echo it back, not even in "unknown command".
			output.Error(ios.ErrOut, errorFormat(f, args), keys.Errorf(keys.Invalid, "an argument is a keyward secret: secrets are never taken as arguments (pipe them on stdin)"))
			return ExitUsage
		}
	}
	root := newCmdRoot(f, args)
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	err := root.ExecuteContext(ctx)
	if f.jq != nil {
		// Even after an error: verify prints its result and exits 7.
		if jqErr := f.jq.finish(); jqErr != nil && err == nil {
			err = jqErr
		}
		ios.Out = f.jq.out
	}
	if err == nil {
		return ExitOK
	}
	if !f.started && keys.ErrorCode(err) == keys.Internal {
		var ue *usageError
		if !errors.As(err, &ue) {
			err = usageErrorf("%s (see '%s --help')", err.Error(), root.CommandPath())
		}
	}
	code = ExitCode(err)
	var se *silentError
	if errors.As(err, &se) {
		return code
	}
	if code == ExitUsage {
		if _, ok := err.(*keys.Error); !ok {
			err = keys.Errorf(keys.Invalid, "%s", keys.ErrorMessage(err))
		}
	}
	if errors.Is(err, context.Canceled) {
		err = keys.Errorf(keys.Internal, "interrupted")
	}
	output.Error(ios.ErrOut, errorFormat(f, args), err)
	return code
}

// errorFormat is the format errors are printed in: the -o in effect, or
// table when the settings themselves are what failed. An -o on the command
// line counts even when parsing stopped before reaching it (`keys create x
// --ttl 0 -o json`): a script asked for JSON errors.
func errorFormat(f *Factory, args []string) output.Format {
	if v, ok := outputArg(args); ok {
		if format, err := output.ParseFormat(strings.ToLower(v)); err == nil {
			return format
		}
		return output.Table
	}
	if f.Settings != nil {
		if s, err := f.Settings(); err == nil {
			if format, err := output.ParseFormat(s.Output); err == nil {
				return format
			}
			return output.Table
		}
	}
	// No settings (a broken config file, say): KEYWARD_OUTPUT still counts.
	if format, err := output.ParseFormat(strings.ToLower(os.Getenv(config.EnvName(config.FlagOutput)))); err == nil {
		return format
	}
	return output.Table
}

// outputArg is the last -o/--output value on the command line (as pflag
// reads it: "-o json", "-ojson", "-o=json", "--output json",
// "--output=json"), up to a "--".
func outputArg(args []string) (value string, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return value, ok
		case a == "-o" || a == "--output":
			if i+1 < len(args) {
				value, ok = args[i+1], true
				i++
			}
		case strings.HasPrefix(a, "--output="):
			value, ok = strings.TrimPrefix(a, "--output="), true
		case strings.HasPrefix(a, "-o") && !strings.HasPrefix(a, "--"):
			value, ok = strings.TrimPrefix(strings.TrimPrefix(a, "-o"), "="), true
		}
	}
	return value, ok
}
