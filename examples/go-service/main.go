// Command go-service is a tiny HTTP service that checks its callers' API
// keys against a keyward server with github.com/keyward/keyward/pkg/keyward,
// no gateway in front of it:
//
//	go run . -keyward http://127.0.0.1:8700 -resource /acme/prod
//	curl -H "Authorization: Bearer $SECRET" http://127.0.0.1:8080/hello
//	curl -X POST -H "Authorization: Bearer $SECRET" http://127.0.0.1:8080/deploy
//
// GET /hello takes any valid key; POST /deploy an editor of -resource.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/keyward/keyward/pkg/keyward"
)

func main() {
	server := flag.String("keyward", os.Getenv("KEYWARD_SERVER"), "keyward server URL (default $KEYWARD_SERVER)")
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	resource := flag.String("resource", "/acme/prod", "resource a key must hold editor on to deploy")
	cacheTTL := flag.Duration("cache-ttl", 10*time.Second, "reuse a positive answer this long: the revocation delay (0: ask every time)")
	failOpen := flag.Bool("fail-open", false, "let requests through when keyward cannot be reached (default: answer 503)")
	flag.Parse()
	if err := run(*server, *addr, *resource, *cacheTTL, *failOpen); err != nil {
		fmt.Fprintln(os.Stderr, "go-service:", err)
		os.Exit(1)
	}
}

func run(server, addr, resource string, cacheTTL time.Duration, failOpen bool) error {
	if server == "" {
		return errors.New("no keyward server: give -keyward URL or set KEYWARD_SERVER")
	}
	v, err := keyward.NewVerifier(server, keyward.Options{CacheTTL: cacheTTL, FailOpen: failOpen})
	if err != nil {
		return err
	}
	anyKey, err := v.Middleware(keyward.MiddlewareOptions{})
	if err != nil {
		return err
	}
	editors, err := v.Middleware(keyward.MiddlewareOptions{Resource: resource, Role: "editor"})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /hello", anyKey(http.HandlerFunc(hello)))
	mux.Handle("POST /deploy", editors(http.HandlerFunc(deploy)))

	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	fmt.Printf("go-service listening on http://%s\n", l.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// hello greets the key the middleware let through.
func hello(w http.ResponseWriter, r *http.Request) {
	key, ok := keyward.FromContext(r.Context())
	if !ok { // only with -fail-open, while keyward is unreachable
		http.Error(w, "keyward is unreachable: serving anonymously", http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"hello": key.Name, "key_id": key.KeyID, "org": key.Org, "grants": key.Grants})
}

func deploy(w http.ResponseWriter, r *http.Request) {
	key, ok := keyward.FromContext(r.Context())
	if !ok {
		http.Error(w, "keyward is unreachable: no deploys without a checked key", http.StatusServiceUnavailable)
		return
	}
	log.Printf("deploy by %s (%s)", key.Name, key.KeyID)
	fmt.Fprintf(w, "deploying for %s\n", key.Name)
}
