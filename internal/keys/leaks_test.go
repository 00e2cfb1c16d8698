package keys

import (
	"strings"
	"testing"
)

func TestIndexSecret(t *testing.T) {
	v1 := "sk_00000000000000000000000000000000" + "30OBQY" // DESIGN's test vectors
	v2 := "sk_abcdefghijklmnopqrstuvwxyzABCDEF" + "1rJNtw"
	long, _ := NewSecret("a_very_long_prefix_2") // 20 characters, with underscores
	for _, tc := range []struct {
		text, want string
	}{
		{v1, v1},
		{"token=" + v2 + "&x=1", v2},
		{"xyz" + v2 + "abc", v2},               // run together: the checksum says where it starts
		{"prefix_" + long + "_", long},         // a prefix with underscores, after more of them
		{strings.Repeat("_", 50) + long, long}, // a run of underscores before it
		{v1[:len(v1)-1] + "Z", ""},             // checksum wrong
		{"sk_" + strings.Repeat("A", 38), ""},  // a shape, not a secret
		{v1[1:], ""},                           // cut short at the front
		{v2[:len(v2)-1], ""},                   // cut short at the end
	} {
		start, end := IndexSecret(tc.text)
		got := ""
		if start >= 0 {
			got = tc.text[start:end]
		}
		if got != tc.want {
			t.Errorf("IndexSecret(%q) = %q, want %q", tc.text, got, tc.want)
		}
		if ContainsSecret(tc.text) != (tc.want != "") {
			t.Errorf("ContainsSecret(%q) disagrees", tc.text)
		}
	}
}

func TestNormalizeLeaks(t *testing.T) {
	s, _ := NewSecret("sk")
	leaks, err := NormalizeLeaks([]Leak{{Secret: s + " \n", Source: "a.env:1"}, {Secret: "garbage", Source: ""}})
	if err != nil || leaks[0].Secret != s || leaks[1].Secret != "garbage" {
		t.Fatalf("NormalizeLeaks: %v %+v", err, leaks)
	}
	other, _ := NewSecret("pk")
	for name, l := range map[string][]Leak{
		"none":             {},
		"too many":         make([]Leak, MaxLeaks+1),
		"secret in source": {{Secret: s, Source: "x " + other}},
		"control":          {{Secret: s, Source: "a\x1b[2J"}},
		"not utf-8":        {{Secret: s, Source: "a\xff"}},
		"long":             {{Secret: s, Source: strings.Repeat("a", maxSourceLen+1)}},
	} {
		if _, err := NormalizeLeaks(l); ErrorCode(err) != Invalid {
			t.Errorf("%s: err %v, want invalid", name, err)
		} else if strings.Contains(err.Error(), other) {
			t.Errorf("%s: the error repeats the secret", name)
		}
	}
	if r := UnknownLeak("garbage"); r.Start != "" || *r.Code != CodeNotFound || *r.Valid {
		t.Errorf("UnknownLeak(garbage) = %+v", r)
	}
	if r := UnknownLeak(s); r.Start != SecretStart(s) {
		t.Errorf("UnknownLeak start %q", r.Start)
	}
}
