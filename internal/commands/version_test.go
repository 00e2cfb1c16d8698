package commands

import "testing"

func TestVersionOf(t *testing.T) {
	for _, tc := range []struct{ injected, commit, want string }{
		{"0.1.0", "abc123", "0.1.0"},
		{"v0.1.0", "abc123", "0.1.0"}, // a tag passed as it is
		{"1.2.3-rc.1", "", "1.2.3-rc.1"},
		{"", "0123456789ab", "0.0.0-dev+0123456789ab"},
		{"", "", "0.0.0-dev+unknown"},
	} {
		if got := versionOf(tc.injected, tc.commit); got != tc.want {
			t.Errorf("versionOf(%q, %q) = %q, want %q", tc.injected, tc.commit, got, tc.want)
		}
	}
}
