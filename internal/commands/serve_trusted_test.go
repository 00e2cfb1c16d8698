package commands

import (
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/iostreams"
)

// --trusted-proxy 0.0.0.0/0 (or ::/0) believes X-Forwarded-For from
// every peer: any caller reaching keyward directly names an address in a
// key's allow-list. It may be meant (keyward on a network only gateways
// reach), so serve starts, but says so.
func TestServeWarnsOfATrustedProxyThatIsEveryone(t *testing.T) {
	serveEnv(t)
	for _, tc := range []struct {
		args []string
		warn bool
	}{
		{[]string{"--trusted-proxy", "0.0.0.0/0"}, true},
		{[]string{"--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "::/0"}, true},
		{[]string{"--trusted-proxy", "::ffff:0.0.0.0/96"}, true},
		{[]string{"--trusted-proxy", "10.0.0.0/8"}, false},
	} {
		f := NewFactory(nil)
		ios, _, _, errOut := iostreams.Test()
		f.IO = ios
		cmd := NewCmdServe(f, func(*ServeOptions) error { return nil })
		cmd.SetArgs(tc.args)
		cmd.SetErr(errOut)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := strings.Contains(errOut.String(), "trusts every peer"); got != tc.warn {
			t.Errorf("%v: warned %v, want %v (stderr %q)", tc.args, got, tc.warn, errOut.String())
		}
	}
}
