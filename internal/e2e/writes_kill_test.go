package e2e

import (
	"bufio"
	"database/sql"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestServerCreatesSurviveSIGKILL: creates from many connections at once
// (so the server commits them in groups, each call in a savepoint) and the
// server killed with SIGKILL while they run. Afterwards every create the
// server answered 201 is in the file with its audit row, and every key in
// the file has its audit row: no caller heard of a change before its
// commit, and no commit kept part of a call. Three rounds on one file, each
// server starting on what the kill left.
func TestServerCreatesSurviveSIGKILL(t *testing.T) {
	bin := keywardBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "keys.db")
	env := isolatedEnv(dir)
	token := strings.TrimSpace(kwExec(t, bin, env, "", "--db", db, "keys", "create", "root",
		"--role", "admin", "--resource", "/", "-q").want(t, 0, "create the admin key").stdout)

	var acked []string
	for round := range 3 {
		acked = append(acked, killDuringCreates(t, bin, env, db, token, round)...)
	}

	conn, err := sql.Open("sqlite3", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, name := range acked {
		var n int
		if err := conn.QueryRow(`SELECT count(*) FROM keys k JOIN audit a ON a.key_id = k.id AND a.action = 'create'
			WHERE k.name = ?`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s: answered 201, then found %d times with its audit row, want 1", name, n)
		}
	}
	var orphans int
	if err := conn.QueryRow(`SELECT count(*) FROM keys k WHERE NOT EXISTS
		(SELECT 1 FROM audit a WHERE a.key_id = k.id AND a.action = 'create')`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%d keys without their create's audit row", orphans)
	}
	if len(acked) < 3*killAfter {
		t.Errorf("%d creates answered in 3 rounds, want at least %d", len(acked), 3*killAfter)
	}
}

// killAfter is how many creates a round's server answers before it is
// killed (the kill waits for a count, not for time).
const killAfter = 60

// killDuringCreates starts a server on db, makes creates from 16
// connections, kills the server with SIGKILL once killAfter of them have
// been answered, and returns the names answered 201.
func killDuringCreates(t *testing.T, bin string, env []string, db, token string, round int) []string {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := servingRE.FindString(sc.Text()); m != "" {
				found <- m
				break
			}
		}
		for sc.Scan() { // drain: the server must never block on its log
		}
	}()
	var url string
	select {
	case url = <-found:
	case <-time.After(15 * time.Second):
		t.Fatal("keyward serve did not print its address within 15s")
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 30 * time.Second}
	var (
		mu      sync.Mutex
		acked   []string
		n       atomic.Int64
		stop    = make(chan struct{})
		enough  = make(chan struct{})
		once    sync.Once
		wg      sync.WaitGroup
		refused atomic.Value
	)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("r%d-w%d-%d", round, w, i)
				body := fmt.Sprintf(`{"name":%q,"grants":[{"resource":"/acme/prod","role":"viewer"}]}`, name)
				req, err := http.NewRequest(http.MethodPost, url+"/v1/keys", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone: this create may or may not have been made
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					refused.CompareAndSwap(nil, fmt.Sprintf("%s: %s", name, resp.Status))
					once.Do(func() { close(enough) })
					return
				}
				mu.Lock()
				acked = append(acked, name)
				mu.Unlock()
				if n.Add(1) >= killAfter {
					once.Do(func() { close(enough) })
				}
			}
		}()
	}
	// A guard against a hang, not a timing assertion.
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		t.Fatalf("round %d: %d creates answered in 60s, want %d (refused: %v)", round, n.Load(), killAfter, refused.Load())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed = true
	close(stop)
	wg.Wait()
	if r := refused.Load(); r != nil {
		t.Errorf("round %d: a create refused before the kill: %v", round, r)
	}
	mu.Lock()
	defer mu.Unlock()
	return acked
}
