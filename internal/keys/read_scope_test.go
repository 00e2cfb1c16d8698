package keys

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// ReadScope().Allows (CanRead) answers as the rule reads in DESIGN.md —
// a key's own secret key reads it, else each of its grants lies where the
// principal holds viewer or more — for every principal and key of a small
// world of resources: local, public and secret operators with one
// to three grants, keys with one to three grants, the operator's own key.
func TestReadScopeAgreesWithCanRead(t *testing.T) {
	resources := []Resource{"/", "/acme", "/acme/prod", "/acme/prod/r1", "/acme/prodx", "/acme/dev", "/globex", "/globex/prod", "/acme/prod-1"}
	rng := rand.New(rand.NewPCG(1, 2))
	grantsOf := func() []Grant {
		n := 1 + rng.IntN(3)
		gs := make([]Grant, n)
		for i := range gs {
			gs[i] = Grant{Resource: resources[rng.IntN(len(resources))], Role: Role(1 + rng.IntN(3))}
		}
		return gs
	}
	principals := []*Principal{LocalPrincipal("t")}
	for i := range 300 {
		typ := Secret
		if i%7 == 0 {
			typ = Public
		}
		principals = append(principals, KeyPrincipal(&Key{ID: fmt.Sprintf("key_op%d", i), Type: typ, Grants: grantsOf()}))
	}
	for _, p := range principals {
		scope := p.ReadScope()
		for j := range 50 {
			id := fmt.Sprintf("key_k%d", j)
			if j == 0 && p.Key != nil {
				id = p.Key.ID
			}
			gs := grantsOf()
			want := (p.Key != nil && p.Key.Type != Public && p.Key.ID == id) || p.holdsOnAll(gs, Viewer)
			if got := scope.Allows(id, gs); got != want || CanRead(p, id, gs) != want {
				t.Fatalf("%s (%+v) reading %s %v: scope says %v, the rule %v", p.Actor, p.Key, id, gs, got, want)
			}
		}
	}
}
