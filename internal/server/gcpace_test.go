package server

import (
	"runtime/debug"
	"testing"
)

func TestGCPercentFor(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want int
	}{
		{0, 800}, // before the first collection
		{1 << 20, 800},
		{4 << 20, 800},
		{8 << 20, 400},
		{16 << 20, 200},
		{32 << 20, 100},
		{200 << 20, 100}, // a full cache: GOGC's own default
		{1 << 40, 100},
	} {
		if got := gcPercentFor(tc.live); got != tc.want {
			t.Errorf("gcPercentFor(%d MB) = %d, want %d", tc.live>>20, got, tc.want)
		}
	}
}

// An operator's GOGC or GOMEMLIMIT is theirs: PaceGC then changes nothing.
func TestPaceGCLeavesTheOperatorsSetting(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, env := range []map[string]string{{"GOGC": "50"}, {"GOMEMLIMIT": "1GiB"}, {"GOGC": "off", "GOMEMLIMIT": "512MiB"}} {
		debug.SetGCPercent(37)
		stop := PaceGC(func(k string) string { return env[k] })
		stop()
		if got := debug.SetGCPercent(37); got != 37 {
			t.Errorf("with %v, GOGC became %d", env, got)
		}
	}
}

// Without either, it sets GOGC at once (the first reading is taken before
// the first tick) and gives GOGC=100 back when stopped.
func TestPaceGCSetsAndRestores(t *testing.T) {
	var set []int
	defer func(f func(int) int) { setGCPercent = f }(setGCPercent)
	setGCPercent = func(p int) int { set = append(set, p); return 100 }
	stop := PaceGC(func(string) string { return "" })
	stop() // waits for the goroutine, which has read and set once by then
	if len(set) != 2 || set[0] < 100 || set[0] > maxGCPercent || set[1] != 100 {
		t.Errorf("GOGC set to %v, want one value in [100, %d] then 100", set, maxGCPercent)
	}
}
