package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// BenchmarkLoneCreate is the CLI's write: one writer, one change after
// another, each its own durable commit. Group commit must not slow it:
// read it as a ratio to BenchmarkFsyncFloor measured in the same run.
//
//	go test -run '^$' -bench 'LoneCreate|FsyncFloor' -count 5 ./internal/store
func BenchmarkLoneCreate(b *testing.B) {
	s := openTemp(b, Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("c-%d", i), Grants: grants("/acme/prod")}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
}

// BenchmarkLoneCreateVsFloor alternates one floor commit (fsyncFloorDB, a
// file beside the store's) and one Create, timing each, so that a busy
// machine's drift weighs on both alike: creates/floor is the ratio to read.
func BenchmarkLoneCreateVsFloor(b *testing.B) {
	s := openTemp(b, Options{})
	floor := fsyncFloorDB(b, filepath.Join(b.TempDir(), "floor.db"))
	var inCreate, inFloor time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := floor.Exec("INSERT INTO t (v) VALUES (?)", i); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := s.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("c-%d", i), Grants: grants("/acme/prod")}); err != nil {
			b.Fatal(err)
		}
		inFloor += t1.Sub(t0)
		inCreate += time.Since(t1)
	}
	b.StopTimer()
	b.ReportMetric(float64(inCreate.Microseconds())/float64(b.N), "µs/create")
	b.ReportMetric(float64(inFloor.Microseconds())/float64(b.N), "µs/floor")
	b.ReportMetric(float64(inCreate)/float64(inFloor), "create/floor")
}
