package server

import (
	"fmt"
	"strings"
	"testing"
)

func TestCheckMembers(t *testing.T) {
	many := func(dup string) string {
		var b strings.Builder
		b.WriteString(`{"meta":{`)
		for i := 0; i < 200; i++ {
			fmt.Fprintf(&b, `"k%d":"v",`, i)
		}
		b.WriteString(dup + `"last":"v"}}`)
		return b.String()
	}
	for _, ok := range []string{
		`{}`, ` {"a":1} `, `{"a":{"a":{"a":[{"a":1},{"a":2}]}}}`, `{"a":"}\"{","b":"\\"}`,
		`{"a":[1,true,null,"x",{"b":-1.5e3}],"b":[]}`, `{"ab":1,"a\u0062c":2}`, many(""),
	} {
		if err := checkMembers([]byte(ok)); err != nil {
			t.Errorf("%.60s: %v", ok, err)
		}
	}
	for _, bad := range []string{
		`null`, `[]`, `"x"`, `12`, `true`,
		`{"a":1,"a":2}`, `{"a":1,"A":2}`, `{"n\u0061me":1,"name":2}`, `{"k":1,"\u212a":2}`,
		`{"x":{"a":"}\"{","a":1}}`, `{"x":[{"a":1,"b":2,"a":3}]}`, many(`"k7":"w",`), many(`"K199":"w",`),
	} {
		if err := checkMembers([]byte(bad)); err == nil {
			t.Errorf("%.60s: accepted", bad)
		}
	}
}

func BenchmarkCheckMembers(b *testing.B) {
	body := []byte(`{"key":"sk_abcdefghijklmnopqrstuvwxyzABCDEF1rJNtw","resource":"/acme/prod","role":"editor"}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := checkMembers(body); err != nil {
			b.Fatal(err)
		}
	}
}
