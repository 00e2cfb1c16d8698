package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// TestKEKFileMadeAtOnce: commands and servers that open one SQLite
// database at the same moment all make its KEK file together; each must
// end up with the one KEK that was written, never a file seen half made
// (empty, then "not a key-encryption key"), and the file is 0600.
func TestKEKFileMadeAtOnce(t *testing.T) {
	dir := t.TempDir()
	for round := 0; round < 200; round++ {
		path := filepath.Join(dir, "k.db"+signingFileSuffix)
		const n = 8
		var wg sync.WaitGroup
		got := make([][]byte, n)
		errs := make([]error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				got[i], errs[i] = kekFile(path, true)
			}(i)
		}
		close(start)
		wg.Wait()
		for i := 0; i < n; i++ {
			if errs[i] != nil {
				t.Fatalf("round %d: %v", round, errs[i])
			}
			if !bytes.Equal(got[i], got[0]) {
				t.Fatalf("round %d: two KEKs for one file", round)
			}
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("round %d: %v, %v", round, fi, err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Fatalf("round %d: left behind %d files", round, len(entries)-1)
		}
		os.Remove(path)
	}
}

// TestPostgresKEKFileIsNeverMade: replicas on one PostgreSQL database
// share signing keys, so they must share one KEK. A --signing-key file
// missing on a replica used to be made afresh there: a KEK of its own,
// under which it could not open the shared keys (and a rotation from it
// would leave every other replica unable to sign). It is refused instead.
func TestPostgresKEKFileIsNeverMade(t *testing.T) {
	pgAdminURL(t)
	u := pgDatabase(t)
	a := openPGAt(t, u, Options{})
	createJWTKey(t, a, "from-a")

	missing := filepath.Join(t.TempDir(), "kek")
	b := openPGAt(t, u, Options{Signing: SigningOptions{KeyFile: missing}})
	_, err := b.Create(local(context.Background()), keys.CreateRequest{Name: "from-b", Format: keys.FormatJWT,
		Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}}})
	if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "every replica") {
		t.Fatalf("create with a missing KEK file on PostgreSQL: %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("a KEK file was made for a PostgreSQL database")
	}
}
