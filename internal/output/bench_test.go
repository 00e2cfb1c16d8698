package output

import (
	"fmt"
	"io"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// BenchmarkKeyList prints 10,000 keys per op in each format: the cost of
// the printer alone, without the store.
func BenchmarkKeyList(b *testing.B) {
	ks := make([]*keys.Key, 10000)
	for i := range ks {
		ks[i] = sampleKey(fmt.Sprintf("key-%05d", i))
	}
	for _, f := range []Format{Table, JSON, JSONL} {
		b.Run(string(f), func(b *testing.B) {
			p := New(Options{Format: f})
			for b.Loop() {
				if err := printList(p, io.Discard, ks); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
