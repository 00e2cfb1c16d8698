package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// Two writers on one database (two processes on one SQLite file, two
// replicas on one PostgreSQL database) change an account's grants while
// making keys in it. Each store method is one transaction, so whatever
// order the database chose, every key must end holding exactly its
// account's grants, and no public key an account above viewer.

func TestAccountRacesSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	open := func() *Store {
		s, err := Open(context.Background(), path, Options{})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	testAccountRaces(t, open(), open())
}

func TestAccountRacesPostgres(t *testing.T) {
	u := pgDatabase(t)
	testAccountRaces(t, openPGAt(t, u, Options{}), openPGAt(t, u, Options{}))
}

func testAccountRaces(t *testing.T, a, b *Store) {
	ctx := local(context.Background())
	for _, name := range []string{"fleet", "apps"} {
		if _, err := a.CreateAccount(ctx, keys.CreateAccountRequest{Name: name,
			Grants: []keys.Grant{{Resource: "/acme/prod", Role: keys.Viewer}}}); err != nil {
			t.Fatal(err)
		}
	}
	const rounds = 12
	var wg sync.WaitGroup
	errs := make(chan error, 4*rounds)
	run := func(f func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				if err := f(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	// fleet: grants come and go while secret keys join.
	run(func(i int) error {
		_, err := a.Create(ctx, keys.CreateRequest{Name: fmt.Sprintf("robot-%d", i), Account: "fleet"})
		return err
	})
	run(func(i int) error {
		res := keys.Resource(fmt.Sprintf("/acme/line-%d", i))
		if _, err := b.GrantAccount(ctx, "fleet", keys.Grant{Resource: res, Role: keys.Editor}); err != nil {
			return err
		}
		if i%2 == 1 {
			_, err := b.UngrantAccount(ctx, "fleet", res)
			return err
		}
		return nil
	})
	// apps: public keys join while someone tries to raise the account;
	// each side may be refused, never both let through.
	run(func(i int) error {
		_, err := a.Create(ctx, keys.CreateRequest{Name: fmt.Sprintf("web-%d", i), Type: keys.Public, Account: "apps"})
		if keys.ErrorCode(err) == keys.Invalid {
			return nil
		}
		return err
	})
	run(func(i int) error {
		_, err := b.GrantAccount(ctx, "apps", keys.Grant{Resource: "/acme/prod", Role: keys.Editor})
		if keys.ErrorCode(err) == keys.Invalid {
			return nil
		}
		return err
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call: %v", err)
	}

	for _, name := range []string{"fleet", "apps"} {
		acct, err := a.GetAccount(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		page, err := b.List(ctx, keys.ListFilter{Limit: keys.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, k := range page.Items {
			if k.Account == nil || *k.Account != name {
				continue
			}
			n++
			if fmt.Sprint(k.Grants) != fmt.Sprint(acct.Grants) {
				t.Errorf("key %s holds %v, its account %s %v", k.Name, k.Grants, name, acct.Grants)
			}
			for _, g := range k.Grants {
				if k.Type == keys.Public && g.Role > keys.Viewer {
					t.Errorf("public key %s holds %v", k.Name, k.Grants)
				}
			}
		}
		if n != acct.KeyCount {
			t.Errorf("account %s counts %d keys, %d listed", name, acct.KeyCount, n)
		}
	}
}
