// Package fserr shapes file-system errors for keyward's one-line messages.
package fserr

import (
	"errors"
	"io/fs"
)

// Cause is what went wrong with a path, without the path: keyward's
// messages name the file themselves (often as the user gave it, not as
// the operation saw it), and *fs.PathError would repeat it as
// "open /abs/path: permission denied".
func Cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
