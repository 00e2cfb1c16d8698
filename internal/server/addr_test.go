package server_test

import (
	"testing"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

func TestCheckAddr(t *testing.T) {
	for _, ok := range []string{":8080", "127.0.0.1:0", "0.0.0.0:65535", "[::1]:8080", "[fe80::1%lo]:0", "localhost:8080", "keys.example.com:443", "127.0.0.1:http", "my_app:8080"} {
		if err := server.CheckAddr(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:-1", "127.0.0.1:8080:1", "999.1.1.1:80", "1.2.3:80", "bad host:80", "-x.example:80", "[::1:80", "a/b:80"} {
		if err := server.CheckAddr(bad); keys.ErrorCode(err) != keys.Invalid {
			t.Errorf("%q: %v, want invalid", bad, err)
		}
	}
}
