package store

import (
	"fmt"
	"os"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// TestMain doubles as a writer process for TestWritersInSeveralProcesses
// and removes the benchmark fixtures at the end.
func TestMain(m *testing.M) {
	if path := os.Getenv("KEYWARD_STORE_TEST_WRITER"); path != "" {
		os.Exit(writerProcess(path, os.Getenv("KEYWARD_STORE_TEST_TAG")))
	}
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// writerProcess creates keys in the database at path, as another keyward
// process would.
func writerProcess(path, tag string) int {
	s, err := Open(ctx, path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 1
	}
	defer s.Close()
	for i := 0; i < processWrites; i++ {
		name := fmt.Sprintf("%s-%d", tag, i)
		k, err := s.Create(local(ctx), keys.CreateRequest{Name: name, Grants: grants("/acme")})
		if err != nil {
			fmt.Fprintln(os.Stderr, "create:", err)
			return 1
		}
		if _, err := s.Roll(local(ctx), k.ID, keys.RollRequest{}); err != nil {
			fmt.Fprintln(os.Stderr, "roll:", err)
			return 1
		}
	}
	return 0
}
