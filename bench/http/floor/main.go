// Command floor is the bare net/http handler keyward's gateway check is
// measured against (bench/http.sh): it reads the Authorization header and
// answers 204, as GET /v1/auth answers a valid key, and does nothing else
// (no routing, no log, no lookup). It prints the URL it serves on.
//
// Usage: floor [HOST:PORT]   (default 127.0.0.1:0, a free port)
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := "127.0.0.1:0"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	srv := &http.Server{
		// keyward serve's header timeout, so that both servers arm the
		// same timer per request.
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}),
	}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}
