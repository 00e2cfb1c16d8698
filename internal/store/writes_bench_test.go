package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// The write benchmarks run concurrent creates and rolls through a Store, as
// a server's handlers do, and report changes/s; BenchmarkFsyncFloor is what
// one durable commit costs on the same file system, so that a figure is
// read as a ratio to it (the machine's disk and load move both alike).
//
//	go test -run '^$' -bench 'Writes|FsyncFloor' -count 5 ./internal/store

// writers are the concurrent callers of a benchmark, as the HTTP bench's
// connections: 8, and 50.
var writers = []int{8, 50}

func BenchmarkWritesSQLite(b *testing.B) {
	for _, n := range writers {
		b.Run(fmt.Sprintf("create/c%d", n), func(b *testing.B) { benchCreates(b, openTemp(b, Options{}), n, unbounded) })
		b.Run(fmt.Sprintf("roll/c%d", n), func(b *testing.B) { benchRolls(b, openTemp(b, Options{}), n, unbounded) })
	}
}

// BenchmarkWritesSQLiteDeadline is BenchmarkWritesSQLite with each call
// bounded as a server's handler bounds it (server.RequestTimeout, 8s): a
// context that can end is what a server's writes carry, and what the
// driver watches per statement.
func BenchmarkWritesSQLiteDeadline(b *testing.B) {
	for _, n := range writers {
		b.Run(fmt.Sprintf("create/c%d", n), func(b *testing.B) { benchCreates(b, openTemp(b, Options{}), n, bounded) })
		b.Run(fmt.Sprintf("roll/c%d", n), func(b *testing.B) { benchRolls(b, openTemp(b, Options{}), n, bounded) })
	}
}

// A benchmark call's context: unbounded (a command's), or bounded (a
// server's).
type callContext func() (context.Context, context.CancelFunc)

func unbounded() (context.Context, context.CancelFunc) { return local(ctx), func() {} }

func bounded() (context.Context, context.CancelFunc) {
	return context.WithTimeout(local(ctx), 8*time.Second)
}

func BenchmarkWritesPostgres(b *testing.B) {
	if os.Getenv("KEYWARD_TEST_POSTGRES") == "" {
		b.Skip("KEYWARD_TEST_POSTGRES is not set")
	}
	for _, n := range writers {
		b.Run(fmt.Sprintf("create/c%d", n), func(b *testing.B) { benchCreates(b, openPG(b, Options{}), n, unbounded) })
		b.Run(fmt.Sprintf("roll/c%d", n), func(b *testing.B) { benchRolls(b, openPG(b, Options{}), n, unbounded) })
	}
}

// parallel runs op b.N times in all from n goroutines. It reports the
// process's CPU time per change beside the rate: on a shared machine the
// rate swings with the neighbours' load, the CPU time far less.
func parallel(b *testing.B, n int, op func(i int) error) {
	b.SetParallelism(max(1, n/runtime.GOMAXPROCS(0)))
	var next atomic.Int64
	b.ResetTimer()
	start := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(int(next.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportCPU(b, start)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
}

func benchCreates(b *testing.B, s *Store, n int, callCtx callContext) {
	defer reportBatches(b, s)()
	parallel(b, n, func(i int) error {
		c, cancel := callCtx()
		defer cancel()
		_, err := s.Create(c, keys.CreateRequest{Name: fmt.Sprintf("c-%d", i), Grants: grants("/acme/prod")})
		return err
	})
}

// benchRolls rolls 50 keys round robin: never two rolls of one key at
// once from the same goroutine count upward.
func benchRolls(b *testing.B, s *Store, n int, callCtx callContext) {
	var ids []string
	for i := range 50 {
		ids = append(ids, mustCreate(b, s, fmt.Sprintf("r-%d", i), "/acme/prod").ID)
	}
	grace := gracep(0)
	defer reportBatches(b, s)()
	parallel(b, n, func(i int) error {
		c, cancel := callCtx()
		defer cancel()
		_, err := s.Roll(c, ids[i%len(ids)], keys.RollRequest{Grace: grace})
		return err
	})
}

// reportBatches reports the calls per commit of what runs until the
// function it returns is called.
func reportBatches(b *testing.B, s *Store) func() {
	b0, c0 := s.commits.batches.Load(), s.commits.calls.Load()
	return func() {
		if n := s.commits.batches.Load() - b0; n > 0 {
			b.ReportMetric(float64(s.commits.calls.Load()-c0)/float64(n), "calls/commit")
		}
	}
}

// BenchmarkFsyncFloor: single commits of one small insert, one after
// another, in a SQLite file with the writer's settings (WAL,
// synchronous=FULL) on the same file system as the benchmarks' stores.
func BenchmarkFsyncFloor(b *testing.B) {
	db := fsyncFloorDB(b, filepath.Join(b.TempDir(), "floor.db"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.Exec("INSERT INTO t (v) VALUES (?)", i); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

func fsyncFloorDB(tb testing.TB, path string) *sql.DB {
	db, err := sql.Open(driverName, "file:"+path+"?_journal_mode=WAL&_synchronous=FULL")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE t (v INTEGER)"); err != nil {
		tb.Fatal(err)
	}
	return db
}
