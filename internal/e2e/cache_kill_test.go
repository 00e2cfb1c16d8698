package e2e

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/store"
)

// TestCachedVerificationSurvivesKilledWriters: the real binary changes
// keys (update, grant, ungrant, roll, delete) in a loop, each process
// killed with SIGKILL at a random moment (before, during or after its
// commit), while verifications run on a caching store in this process.
// After each writer is gone, the caching store's next verification of
// every known secret agrees with a store that caches nothing. A few
// seconds by default; KEYWARD_KILL_LOOP=N runs N writers.
func TestCachedVerificationSurvivesKilledWriters(t *testing.T) {
	rounds := 12
	if v := os.Getenv("KEYWARD_KILL_LOOP"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("KEYWARD_KILL_LOOP=%q: want a number of rounds", v)
		}
		rounds = n
	}
	bin := keywardBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "keys.db")
	env := isolatedEnv(dir)
	ctx := context.Background()
	local := keys.WithPrincipal(ctx, keys.LocalPrincipal("tester"))

	fresh, err := store.Open(ctx, db, store.Options{VerifyCacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	cached, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cached.Close()

	var mu sync.Mutex
	secrets := map[string]string{} // secret → key name
	create := func(name string) {
		k, err := fresh.Create(local, keys.CreateRequest{Name: name, Grants: []keys.Grant{{Resource: "/acme/prod", Role: keys.Editor}}})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		secrets[k.Secret] = name
		mu.Unlock()
	}
	names := []string{"k0", "k1", "k2", "k3"}
	for _, n := range names {
		create(n)
	}
	known := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := make([]string, 0, len(secrets))
		for s := range secrets {
			out = append(out, s)
		}
		return out
	}
	res := keys.Resource("/acme/prod/robot-1")
	editor := keys.Editor
	request := func(secret string) keys.VerifyRequest {
		return keys.VerifyRequest{Secret: secret, Resource: &res, Role: &editor}
	}

	// Verifications all along, so that the cache fills while writers
	// commit (and die).
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, s := range known() {
					if _, err := cached.Verify(ctx, request(s)); err != nil && keys.ErrorCode(err) != keys.Unavailable {
						t.Errorf("verify: %v", err)
						return
					}
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()

	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	// Kills land anywhere in a writer's life: span is how long one that
	// is left alone takes (on a busy machine, mostly its fsyncs), measured
	// once first and then by every writer that ends on its own.
	start := time.Now()
	cmd := exec.Command(bin, "--db", db, "keys", "update", names[0], "--meta", "calibrate=1")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("keys update: %v\n%s", err, out)
	}
	span := time.Since(start)
	killed := 0
	for round := 0; round < rounds; round++ {
		name := names[rng.IntN(len(names))]
		var args []string
		switch rng.IntN(7) {
		case 0:
			args = []string{"keys", "update", name, "--disable"}
		case 1:
			args = []string{"keys", "update", name, "--enable"}
		case 2:
			args = []string{"keys", "grant", name, "/acme/prod", "--role", []string{"viewer", "editor"}[rng.IntN(2)]}
		case 3:
			args = []string{"keys", "grant", name, "/acme/dev"}
		case 4:
			args = []string{"keys", "ungrant", name, "/acme/dev"}
		case 5:
			args = []string{"keys", "roll", name, "--grace", []string{"0", "1h"}[rng.IntN(2)], "--yes", "-q"}
		case 6:
			args = []string{"keys", "delete", name, "--yes"}
		}
		cmd = exec.Command(bin, append([]string{"--db", db}, args...)...)
		cmd.Env = env
		var stdout strings.Builder
		cmd.Stdout = &stdout
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The kill's moment is what is random; no result depends on time.
		p := cmd.Process
		timer := time.AfterFunc(time.Duration(rng.Int64N(int64(span)*6/5)), func() { p.Signal(syscall.SIGKILL) })
		err := cmd.Wait()
		timer.Stop()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			killed++
		} else {
			span = time.Since(start)
		}
		if err == nil && args[1] == "roll" {
			mu.Lock()
			secrets[strings.TrimSpace(stdout.String())] = name
			mu.Unlock()
		}
		if args[1] == "delete" {
			// Gone or not (killed before its commit), a key of that
			// name again, for the next rounds.
			if _, err := fresh.Get(local, name); keys.ErrorCode(err) == keys.NotFound {
				create(name)
			}
		}
		for _, s := range known() {
			got, gerr := cached.Verify(ctx, request(s))
			want, werr := fresh.Verify(ctx, request(s))
			if gerr != nil || werr != nil {
				t.Fatalf("round %d (%v): verify: %v / %v", round, args, gerr, werr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d (%s, killed %v): the cache answers %s, the database %s\ncached: %+v\nfresh:  %+v",
					round, strings.Join(args, " "), cmd.ProcessState, got.Code, want.Code, got, want)
			}
		}
	}
	t.Logf("%d rounds, %d writers killed, %d secrets checked each round at the end", rounds, killed, len(known()))
	if killed == 0 {
		t.Log("no writer was killed: the kill moments all came after the writers ended")
	}
}
