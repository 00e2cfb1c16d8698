// Command writes is the load of bench/writes.sh: it drives creates or
// rolls at a keyward server over HTTP from C connections for a while and
// prints the changes/s, or measures the floor of those figures, a loop of
// single fsynced SQLite commits in a folder.
//
//	writes load  -url URL -token-file F -op create|roll -c 8 -d 5s -tag T
//	writes floor -dir DIR -d 5s
//
// It prints one number. The token is read from a file, never argv.
package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: writes load|floor [flags]")
	}
	var err error
	var rate float64
	switch os.Args[1] {
	case "load":
		rate, err = load(os.Args[2:])
	case "floor":
		rate, err = floor(os.Args[2:])
	default:
		fail("usage: writes load|floor [flags]")
	}
	if err != nil {
		fail("writes: " + err.Error())
	}
	fmt.Printf("%.0f\n", rate)
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(2)
}

// floor is single commits of one small insert, one after another, in a
// SQLite file with keyward's writer settings (WAL, synchronous=FULL).
func floor(args []string) (float64, error) {
	fs := flag.NewFlagSet("floor", flag.ExitOnError)
	dir := fs.String("dir", os.TempDir(), "folder of the file (the file system under test)")
	d := fs.Duration("d", 5*time.Second, "how long")
	fs.Parse(args)
	path := filepath.Join(*dir, fmt.Sprintf("floor-%d.db", os.Getpid()))
	defer func() {
		for _, s := range []string{"", "-wal", "-shm"} {
			os.Remove(path + s)
		}
	}()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE t (v INTEGER)"); err != nil {
		return 0, err
	}
	n := 0
	start := time.Now()
	for time.Since(start) < *d {
		if _, err := db.Exec("INSERT INTO t (v) VALUES (?)", n); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

type loader struct {
	url, token string
	client     *http.Client
}

func load(args []string) (float64, error) {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	url := fs.String("url", "", "the server's base URL")
	tokenFile := fs.String("token-file", "", "file holding an admin key's secret")
	op := fs.String("op", "create", "create or roll")
	conns := fs.Int("c", 8, "connections, each one request at a time")
	d := fs.Duration("d", 5*time.Second, "how long")
	tag := fs.String("tag", "w", "prefix of the names made, unique per run")
	fs.Parse(args)
	tok, err := os.ReadFile(*tokenFile)
	if err != nil {
		return 0, err
	}
	l := &loader{url: strings.TrimRight(*url, "/"), token: strings.TrimSpace(string(tok)),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns}, Timeout: 30 * time.Second}}
	var do func(i int64) error
	switch *op {
	case "create":
		do = func(i int64) error { return l.create(fmt.Sprintf("%s-%d", *tag, i)) }
	case "roll":
		// As many keys as connections, so that rolls of one key rarely wait
		// for each other; each is made before the clock starts.
		ids := make([]string, *conns)
		for i := range ids {
			var err error
			if ids[i], err = l.createID(fmt.Sprintf("%s-r%d", *tag, i)); err != nil {
				return 0, err
			}
		}
		do = func(i int64) error { return l.roll(ids[i%int64(len(ids))]) }
	default:
		return 0, fmt.Errorf("-op %q: create or roll", *op)
	}
	var next, done atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(*d)
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				if err := do(next.Add(1)); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return float64(done.Load()) / elapsed.Seconds(), nil
}

func (l *loader) create(name string) error {
	_, err := l.createID(name)
	return err
}

func (l *loader) createID(name string) (string, error) {
	body := fmt.Sprintf(`{"name":%q,"grants":[{"resource":"/acme/prod","role":"viewer"}]}`, name)
	var k struct{ ID string }
	return k.ID, l.post("/v1/keys", body, http.StatusCreated, &k)
}

func (l *loader) roll(id string) error {
	return l.post("/v1/keys/"+id+"/roll", `{}`, http.StatusOK, nil)
}

func (l *loader) post(path, body string, want int, out any) error {
	req, err := http.NewRequest(http.MethodPost, l.url+path, bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
