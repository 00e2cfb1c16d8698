package keys

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// encodeBase62 against math/big's base 62 (its digits 0-9a-zA-Z, ours
// 0-9A-Za-z): checksums of existing secrets must not change.
func TestEncodeBase62MatchesBigInt(t *testing.T) {
	var pairs []string
	for c := 'a'; c <= 'z'; c++ {
		pairs = append(pairs, string(c), strings.ToUpper(string(c)), strings.ToUpper(string(c)), string(c))
	}
	swap := strings.NewReplacer(pairs...)
	want := func(v uint64, width int) string {
		s := swap.Replace(new(big.Int).SetUint64(v).Text(62))
		if len(s) < width {
			s = strings.Repeat("0", width-len(s)) + s
		}
		return s
	}
	values := []uint64{0, 1, 61, 62, 63, 3843, 3844, math.MaxUint32, math.MaxUint64}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		values = append(values, r.Uint64(), uint64(r.Uint32()))
	}
	for _, v := range values {
		for _, width := range []int{0, 1, 6, 11, 12} {
			if got, w := encodeBase62(v, width), want(v, width); got != w {
				t.Fatalf("encodeBase62(%d, %d) = %q, want %q", v, width, got, w)
			}
		}
	}
}
