package keyward_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/keyward/keyward/pkg/keyward"
)

// A service that lets editors of /acme/prod (and what lies beneath it)
// deploy. A revoked key may go on passing for up to CacheTTL.
func Example() {
	v, err := keyward.NewVerifier("https://keys.example.com", keyward.Options{CacheTTL: 10 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	deploy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, _ := keyward.FromContext(r.Context())
		fmt.Fprintf(w, "deploying for %s (%s)\n", key.Name, key.KeyID)
	})
	editors, err := v.Middleware(keyward.MiddlewareOptions{Resource: "/acme/prod", Role: "editor"})
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("POST /deploy", editors(deploy))
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
}

// Verify checks a key that arrives some other way than a bearer header,
// here a message's field; a malformed one never reaches the server.
func ExampleVerifier_Verify() {
	v, err := keyward.NewVerifier("https://keys.example.com", keyward.Options{})
	if err != nil {
		log.Fatal(err)
	}
	secret := strings.TrimSpace(os.Getenv("MESSAGE_KEY"))
	res, err := v.Verify(context.Background(), secret, "/acme/prod/robot-1", "viewer")
	switch {
	case errors.Is(err, keyward.ErrUnavailable):
		log.Print("keyward is unreachable: refusing the message for now")
	case err != nil:
		log.Fatal(err)
	case res.Valid:
		fmt.Println("accepted from", res.Name)
	default:
		fmt.Println("refused:", res.Code)
	}
}
