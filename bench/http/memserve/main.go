// Command memserve is keyward's HTTP handler (server.New, server.Run, the
// request log as `keyward serve` writes it) over an in-memory backend
// that knows the secrets of a file: verification answered from a map
// keyed by the secret's hash, as a cache would. bench/http.sh runs it
// beside `keyward serve` and the floor, so that what the handler costs
// under load shows apart from what the store costs. It prints the URL it
// serves on; the log goes to stderr.
//
// Usage: memserve SECRETS [HOST:PORT]
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/keys/keystest"
	"github.com/keyward/keyward/internal/server"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: memserve SECRETS [HOST:PORT]")
		os.Exit(2)
	}
	addr := "127.0.0.1:0"
	if len(os.Args) > 2 {
		addr = os.Args[2]
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "memserve:", err)
		os.Exit(1)
	}
	m := &keystest.MapVerifier{ByHash: map[string]*keys.Key{}}
	sc := bufio.NewScanner(f)
	for i := 0; sc.Scan(); i++ {
		s := strings.TrimSpace(sc.Text())
		m.ByHash[keys.HashSecret(s)] = &keys.Key{
			ID: fmt.Sprintf("key_%016d", i), Name: fmt.Sprintf("bench-%d", i), Org: "/acme", Type: keys.Secret, Enabled: true,
			Grants: []keys.Grant{{Resource: "/acme/prod", Role: keys.Editor}},
		}
	}
	f.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	alog := server.NewAsyncLog(os.Stderr, func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }, server.AsyncLogOptions{})
	defer alog.Close()
	logger := slog.New(alog)
	defer server.PaceGC(os.Getenv)() // as serve paces it
	h := server.New(m, server.Options{Logger: logger, SummaryEvery: 10 * time.Second})
	err = server.Run(ctx, server.RunConfig{Addr: addr, Handler: h, Logger: logger, OnListen: func(u string) { fmt.Println(u) }})
	if err != nil {
		fmt.Fprintln(os.Stderr, "memserve:", err)
		os.Exit(1)
	}
}
