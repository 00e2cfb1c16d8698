package fserr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestCauseDropsThePath(t *testing.T) {
	_, err := os.Open(filepath.Join(t.TempDir(), "missing"))
	if got := Cause(err); got != fs.ErrNotExist && !errors.Is(got, fs.ErrNotExist) || got.Error() != "no such file or directory" {
		t.Fatalf("Cause(%v) = %v", err, got)
	}
	wrapped := fmt.Errorf("lock: %w", err)
	if got := Cause(wrapped).Error(); got != "no such file or directory" {
		t.Fatalf("Cause(wrapped) = %q", got)
	}
	other := errors.New("plain")
	if Cause(other) != other {
		t.Fatal("an error without a path changed")
	}
}
