package server

import (
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// gcHeadroom is how far above the live heap PaceGC lets the heap grow
// before a collection. A server's live heap is small (2 MB with a warm
// cache of 50 keys), and GOGC=100 then collects every 2-4 MB: at 25,000
// verifications a second, 20 collections a second, each stopping every
// thread twice. At GOGC=800 (a 32 MB goal at that size) a verification
// cost 6-10 % less CPU (issue 8, BENCHMARKS.md). A large live heap (a
// full cache of 200,000 keys) keeps GOGC=100's doubling, room enough.
const gcHeadroom = 32 << 20

// maxGCPercent bounds the GOGC PaceGC sets: the runtime's smallest heap
// goal is 4 MB × GOGC/100, 32 MB here, whatever the live heap.
const maxGCPercent = 800

// gcPercentFor is the GOGC that gives a live heap of live bytes about
// gcHeadroom of room: from maxGCPercent for a small heap down to GOGC's
// default of 100 from 32 MB live.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return maxGCPercent
	}
	return int(min(maxGCPercent, max(100, gcHeadroom*100/live)))
}

// PaceGC keeps the garbage collector at gcPercentFor of the live heap,
// checked every second, until the returned stop is called (which puts
// GOGC back at 100). An operator who has set GOGC or GOMEMLIMIT keeps
// exactly what they set: getenv (os.Getenv) says whether they have.
func PaceGC(getenv func(string) string) (stop func()) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		set := 0
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				// Within a tenth of the last: not worth a change.
				if p := gcPercentFor(sample[0].Value.Uint64()); p*10 < set*9 || p*10 > set*11 {
					setGCPercent(p)
					set = p
				}
			}
			select {
			case <-t.C:
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-exited
		setGCPercent(100)
	}
}

// setGCPercent is debug.SetGCPercent; a test watches it.
var setGCPercent = debug.SetGCPercent
