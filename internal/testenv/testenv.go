// Package testenv is the tests' one rule for what a machine may lack (a
// PostgreSQL server, a shell, nginx, a keyring): on a laptop a test that
// needs it is skipped, saying what is missing; under CI=true, where
// scripts/install-test-deps.sh has installed everything, it fails, so
// that a broken CI setup cannot pass by skipping.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether missing dependencies are failures (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// Require skips t (fails it under CI=true) unless ok; missing says what
// is missing and how to get it.
func Require(t testing.TB, ok bool, missing string) {
	t.Helper()
	if ok {
		return
	}
	if InCI() {
		t.Fatalf("%s (CI=true: a missing dependency fails)", missing)
	}
	t.Skip(missing)
}

// Postgres returns KEYWARD_TEST_POSTGRES, the admin URL of a PostgreSQL
// server for tests (without a password), or skips t without it.
func Postgres(t testing.TB) string {
	t.Helper()
	u := os.Getenv("KEYWARD_TEST_POSTGRES")
	Require(t, u != "", "KEYWARD_TEST_POSTGRES is not set: scripts/postgres-test-server.sh starts a server and prints it")
	return u
}

// Command returns the path of the first of names found on PATH (or as a
// path), or skips t when there is none; install says how to get it.
func Command(t testing.TB, install string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	Require(t, false, names[0]+" is not installed: "+install)
	return ""
}
