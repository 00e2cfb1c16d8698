package store

import (
	"path/filepath"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// Authenticate (every management call's operator key) answers from
// verification's cache, exact as verification is: a key disabled or
// rolled by another process is refused by the very next call.
func TestAuthenticateUsesTheCacheExactly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	root, err := s.Create(local(ctx), keys.CreateRequest{Name: "root", Grants: []keys.Grant{{Resource: "/", Role: keys.Admin}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the cache starts at the second lookup
		if _, err := s.Authenticate(ctx, root.Secret); err != nil {
			t.Fatal(err)
		}
	}
	before := s.Stats()
	for range 3 {
		if _, err := s.Authenticate(ctx, root.Secret); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.CacheHits-before.CacheHits != 3 || st.CacheMisses != before.CacheMisses {
		t.Fatalf("3 authentications: %d hits, %d misses; want them from the cache",
			st.CacheHits-before.CacheHits, st.CacheMisses-before.CacheMisses)
	}
	w := cliWriter(t, path)
	w.disable(t, root.ID, true)
	if _, err := s.Authenticate(ctx, root.Secret); keys.ErrorCode(err) != keys.Forbidden && keys.ErrorCode(err) != keys.Unauthorized {
		t.Fatalf("a key disabled by another process authenticates: %v", err)
	}
	w.disable(t, root.ID, false)
	if _, err := s.Authenticate(ctx, root.Secret); err != nil {
		t.Fatalf("enabled again: %v", err)
	}
	w.delete(t, root.ID)
	if _, err := s.Authenticate(ctx, root.Secret); keys.ErrorCode(err) != keys.Unauthorized {
		t.Fatalf("a key deleted by another process authenticates: %v", err)
	}
}
