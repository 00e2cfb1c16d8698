package store

import (
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// cpuTime is the CPU time this process has used, every thread's: on a
// machine shared with other work, CPU per operation varies far less than
// wall time per operation.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// rotationKeys is how many keys the rotating benchmarks present in turn.
const rotationKeys = 50

// openVerifyFixture opens a store over a database of n keys (n ≥
// rotationKeys), rotationKeys of them with secrets the benchmark presents.
func openVerifyFixture(b *testing.B, n int) (*Store, []string) {
	return openFixtureAs(b, fmt.Sprintf("verify-%d", n), func(s *Store) []string {
		if n > rotationKeys {
			bulkInsert(b, s, n-rotationKeys)
		}
		var secrets []string
		for i := 0; i < rotationKeys; i++ {
			k, err := s.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("rot-%02d", i), Grants: grants("/acme/prod")})
			if err != nil {
				b.Fatal(err)
			}
			secrets = append(secrets, k.Secret)
		}
		return secrets
	})
}

// BenchmarkVerifyKeys is verification of one key, or rotationKeys keys in
// turn, in databases of 10 and 100,000 keys, serial and parallel, with a
// resource (what a gateway asks).
func BenchmarkVerifyKeys(b *testing.B) {
	res := keys.Resource("/acme/prod/robot-1")
	for _, n := range []int{rotationKeys, 100_000} {
		for _, rot := range []int{1, rotationKeys} {
			name := fmt.Sprintf("db=%d/keys=%d", n, rot)
			run := func(b *testing.B, parallel bool) {
				s, secrets := openVerifyFixture(b, n)
				reqs := make([]keys.VerifyRequest, rot)
				for i := range reqs {
					reqs[i] = keys.VerifyRequest{Secret: secrets[i], Resource: &res}
					// The first use writes last_used_at; later ones within the fold are reads.
					if r, err := s.Verify(ctx, reqs[i]); err != nil || !r.Valid {
						b.Fatalf("verify: %v %v", r, err)
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				defer reportCPU(b, cpuTime())
				if !parallel {
					for i := 0; i < b.N; i++ {
						if r, err := s.Verify(ctx, reqs[i%rot]); err != nil || !r.Valid {
							b.Fatalf("verify: %v %v", r, err)
						}
					}
					return
				}
				var next atomic.Uint64
				b.RunParallel(func(pb *testing.PB) {
					i := int(next.Add(7))
					for pb.Next() {
						i++
						if r, err := s.Verify(ctx, reqs[i%rot]); err != nil || !r.Valid {
							b.Fatalf("verify: %v %v", r, err)
						}
					}
				})
			}
			b.Run(name+"/serial", func(b *testing.B) { run(b, false) })
			b.Run(name+"/parallel", func(b *testing.B) { run(b, true) })
		}
	}
}

// BenchmarkVerifyUnknown is a well-formed secret no key has, asked again
// and again (a client retrying a revoked key).
func BenchmarkVerifyUnknown(b *testing.B) {
	s, _ := openVerifyFixture(b, rotationKeys)
	secret, err := keys.NewSecret("sk")
	if err != nil {
		b.Fatal(err)
	}
	req := keys.VerifyRequest{Secret: secret}
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	for i := 0; i < b.N; i++ {
		if r, err := s.Verify(ctx, req); err != nil || r.Code != keys.CodeNotFound {
			b.Fatalf("verify: %v %v", r, err)
		}
	}
}

// BenchmarkVerifyFloor is what any verification costs without a store:
// parse and checksum the secret, hash it, evaluate a key in memory. The
// floor the store's Verify is measured against.
func BenchmarkVerifyFloor(b *testing.B) {
	secret, err := keys.NewSecret("sk")
	if err != nil {
		b.Fatal(err)
	}
	res := keys.Resource("/acme/prod/robot-1")
	k := &keys.Key{ID: "key_0123456789abcdef", Name: "k", Org: "/acme", Type: keys.Secret, Enabled: true,
		Grants: []keys.Grant{{Resource: "/acme/prod", Role: keys.Editor}}}
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	for i := 0; i < b.N; i++ {
		req, err := keys.VerifyRequest{Secret: secret, Resource: &res}.Normalize()
		if err != nil {
			b.Fatal(err)
		}
		parsed, err := keys.ParseSecret(req.Secret)
		if err != nil {
			b.Fatal(err)
		}
		if keys.HashSecret(parsed) == "" {
			b.Fatal("no hash")
		}
		if r := keys.Evaluate(k, false, time.Now(), req.Resource, req.Role, req.IP); !r.Valid {
			b.Fatal(r.Code)
		}
	}
}
