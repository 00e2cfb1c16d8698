package commands

import (
	"errors"
	"fmt"

	"github.com/keyward/keyward/internal/keys"
)

// Exit codes, DESIGN.md's table.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitNotFound    = 3
	ExitAuth        = 4
	ExitConflict    = 5
	ExitUnavailable = 6
	ExitNotValid    = 7
)

// ExitCode maps an error to keyward's exit code: the one place where that
// happens.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var se *silentError
	if errors.As(err, &se) {
		return se.code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	switch keys.ErrorCode(err) {
	case keys.Invalid, keys.TooLarge:
		return ExitUsage
	case keys.NotFound:
		return ExitNotFound
	case keys.NoRoute: // a path that is not keyward's: no key is missing
		return ExitError
	case keys.Unauthorized, keys.Forbidden:
		return ExitAuth
	case keys.Conflict:
		return ExitConflict
	case keys.Unavailable, keys.RateLimited:
		return ExitUnavailable
	}
	return ExitError
}

// usageError is a command line that cobra or a command refused: bad flags,
// wrong arguments. Exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// silentError ends the program with a code and prints nothing more: the
// answer is already on stdout (verify's NOT_FOUND, say).
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// errNotValid is verify's "the key is not valid": exit 7.
var errNotValid error = &silentError{code: ExitNotValid}

// errSecretsFound is scan's "secrets found": exit 1, as gitleaks exits,
// the findings already on stdout.
var errSecretsFound error = &silentError{code: ExitError}
