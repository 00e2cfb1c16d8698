package keystest

import (
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// env is one subtest's backend.
type env struct {
	admin   keys.Service
	as      func(t *testing.T, secret string) keys.Service
	advance func(time.Duration)
}

type serviceCase struct {
	name string
	run  func(t *testing.T, e env)
}

// RunServiceSuite runs DESIGN.md's behaviour against a keys.Service: every
// subtest opens a fresh backend with open, and they run in parallel (a
// PostgreSQL backend's time is mostly waiting for its server).
func RunServiceSuite(t *testing.T, open Opener) {
	cases := []serviceCase{
		{"create returns the whole key and its secret", testCreateShape},
		{"create refuses bad input", testCreateInvalid},
		{"names are unique within an organization", testNameConflict},
		{"get resolves id, name and org/name", testGetRefs},
		{"list orders by name then id and walks pages", testListOrderAndCursor},
		{"list filters", testListFilters},
		{"update", testUpdate},
		{"roll", testRoll},
		{"grant and ungrant", testGrants},
		{"delete is all or nothing", testDelete},
		{"verify", testVerify},
		{"verify records last use", testLastUsed},
		{"audit", testAudit},
		{"secrets never leave create and roll", testNoSecretLeaks},
		{"time passes: expiry and grace", testTimePasses},
		{"resources and grants are bounded", testBounds},
		{"a public key holds at most viewer", testPublicAtMostViewer},
		{"organizations", testOrgs},
		{"service accounts", testAccounts},
		{"leaks: a look-up changes nothing", testCheckLeaks}, {"leaks: a report disables and marks compromised", testReportLeaks}, {"leaks: rolled-out secrets", testRolledOutLeaks},
		{"leaks: a public key is never disabled", testPublicKeyLeaks},
		{"leaks: a previous secret reports nothing", testPreviousSecretReportsLeaks},
	}
	cases = append(cases, jwtCases()...)
	cases = append(cases, policyCases...)
	cases = append(cases, integCases()...)
	cases = append(cases, rpoliciesCases...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			admin, as, advance := open(t)
			c.run(t, env{admin: admin, as: as, advance: advance})
		})
	}
}
