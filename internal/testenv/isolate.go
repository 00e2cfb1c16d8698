package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Isolate points HOME and the XDG folders into dir and clears every
// KEYWARD_* variable for the test, so that neither the developer's config,
// keyring profile or database nor their environment reaches it.
func Isolate(t testing.TB, dir string) {
	t.Helper()
	t.Setenv("HOME", filepath.Join(dir, "home"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "KEYWARD_") {
			t.Setenv(name, "") // restored after the test
			os.Unsetenv(name)
		}
	}
}
