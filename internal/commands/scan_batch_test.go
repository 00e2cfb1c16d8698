package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/scan"
)

// leakRecorder is a backend that answers leak look-ups and keeps the size
// of each request body a client would send for them.
type leakRecorder struct {
	keys.Service
	bodies []int
}

func (l *leakRecorder) answer(leaks []keys.Leak) ([]*keys.LeakResult, error) {
	b, _ := json.Marshal(api.LeaksRequest{Leaks: leaks})
	l.bodies = append(l.bodies, len(b))
	out := make([]*keys.LeakResult, len(leaks))
	for i := range out {
		out[i] = &keys.LeakResult{}
	}
	return out, nil
}

func (l *leakRecorder) CheckLeaks(_ context.Context, leaks []keys.Leak) ([]*keys.LeakResult, error) {
	return l.answer(leaks)
}

func (l *leakRecorder) ReportLeaks(_ context.Context, leaks []keys.Leak) ([]*keys.LeakResult, error) {
	return l.answer(leaks)
}

// A scan's look-ups fit the server's 64 KiB body whatever the files are
// named: JSON writes '&', '<' and '>' as six bytes each, and a batch
// measured by raw lengths (120 files named with 200 '&' each) came to
// 150 KB, which the server refused as too large: scan --server exited 2
// where the same scan of the database found its secrets. With --disable,
// a secret's places (up to 20, never split across requests) fit too.
func TestScanLookUpsFitTheServersBody(t *testing.T) {
	const serverLimit = 64 << 10
	for _, disable := range []bool{false, true} {
		var hits []scan.Hit
		for i := 0; i < 120; i++ {
			secret := fmt.Sprintf("sk_%032d%06d", i, i)
			for place := 0; place < 20; place++ {
				hits = append(hits, scan.Hit{File: fmt.Sprintf("%s%d-%d", strings.Repeat("&", 990), i, place), Line: 1, Secret: secret})
			}
		}
		findings := make([]*keys.Finding, len(hits))
		for i := range findings {
			findings[i] = &keys.Finding{}
		}
		rec := &leakRecorder{}
		if err := lookUpHits(context.Background(), rec, disable, hits, findings); err != nil {
			t.Fatal(err)
		}
		for i, n := range rec.bodies {
			if n > serverLimit {
				t.Errorf("disable=%v: request %d of %d has a %d-byte body, over the server's %d", disable, i+1, len(rec.bodies), n, serverLimit)
			}
		}
		for i, f := range findings {
			if f.Start == "" {
				t.Fatalf("disable=%v: finding %d got no answer", disable, i)
			}
		}
	}
}
