package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

// TestGatewayHeaderSizes: what nginx and Caddy accept from a caller and
// pass to an auth check (nginx: 4 buffers of 8 KiB; Caddy capped at 64 KiB
// in examples/caddy) is read, not refused with a 431 that the gateway
// turns into a 500; far more still is.
func TestGatewayHeaderSizes(t *testing.T) {
	e := newEnv(t, server.Options{})
	k := e.local("gw", "/acme/prod", keys.Editor)
	addr := runServer(t, server.New(e.st, server.Options{}), 0)
	check := func(n, size int) int {
		t.Helper()
		req, err := http.NewRequest("GET", "http://"+addr+"/v1/auth?resource=/acme/prod&role=editor", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+k.Secret)
		for i := range n {
			req.Header.Set(fmt.Sprintf("X-Big-%d", i), strings.Repeat("a", size))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		n, size, want int
	}{
		{3, 7000, http.StatusNoContent},                                    // the case nginx met
		{4, 8000, http.StatusNoContent},                                    // nginx's most
		{1, server.MaxHeaderBytes - 1024, http.StatusNoContent},            // the limit, with room for the rest
		{2, server.MaxHeaderBytes, http.StatusRequestHeaderFieldsTooLarge}, // well past it
	} {
		if got := check(tc.n, tc.size); got != tc.want {
			t.Errorf("%d headers of %d bytes: %d, want %d", tc.n, tc.size, got, tc.want)
		}
	}
}
