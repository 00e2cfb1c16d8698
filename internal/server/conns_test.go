package server_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/server"
)

// runServer serves h with Run on a loopback port and returns its address.
func runServer(t *testing.T, h http.Handler, maxConns int) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.RunConfig{Addr: "127.0.0.1:0", Handler: h, MaxConns: maxConns, OnListen: func(u string) { urls <- u }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case u := <-urls:
		parsed, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		return parsed.Host
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	return ""
}

// rawGet sends one HTTP/1.1 request on a connection of its own and keeps
// the connection open.
func rawGet(t *testing.T, addr, path string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: keyward\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	return c, bufio.NewReader(c)
}

// readStatus reads one response's status, waiting at most wait (a safety
// net: a server that works answers long before).
func readStatus(c net.Conn, r *bufio.Reader, wait time.Duration) (int, error) {
	_ = c.SetReadDeadline(time.Now().Add(wait))
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// blocking answers /block/N only once it receives from release[N] (or end
// is closed), telling entered when it starts; any other path at once. One
// channel a request, so that a test ends exactly the request it means.
func blocking(entered chan<- struct{}, release map[string]chan struct{}, end <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, ok := strings.CutPrefix(r.URL.Path, "/block/"); ok {
			entered <- struct{}{}
			select {
			case <-release[n]:
			case <-end:
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// The server holds at most MaxConns connections: with both busy, a third
// client waits (its connection is not even accepted), and is answered as
// soon as one is done, because a connection that goes idle while the
// server is full is closed to make room.
func TestConnectionCap(t *testing.T) {
	entered, end := make(chan struct{}), make(chan struct{})
	release := map[string]chan struct{}{"1": make(chan struct{}), "2": make(chan struct{})}
	addr := runServer(t, blocking(entered, release, end), 2)
	t.Cleanup(func() { close(end) }) // before the server's shutdown: clean-ups run last first

	c1, r1 := rawGet(t, addr, "/block/1")
	<-entered
	c2, r2 := rawGet(t, addr, "/block/2")
	<-entered
	c3, r3 := rawGet(t, addr, "/fast")
	// Not answered while both slots are busy. (A wait can only make this
	// pass wrongly on a very slow machine, never fail wrongly.)
	if status, err := readStatus(c3, r3, 300*time.Millisecond); err == nil {
		t.Fatalf("a third connection was answered (%d) while the cap of 2 was reached", status)
	}
	release["1"] <- struct{}{} // the first handler ends; its connection goes idle
	if status, err := readStatus(c1, r1, 10*time.Second); err != nil || status != http.StatusNoContent {
		t.Fatalf("first client: %d %v", status, err)
	}
	if status, err := readStatus(c3, r3, 10*time.Second); err != nil || status != http.StatusNoContent {
		t.Fatalf("the waiting client was not answered once a slot was free: %d %v", status, err)
	}
	release["2"] <- struct{}{}
	if status, err := readStatus(c2, r2, 10*time.Second); err != nil || status != http.StatusNoContent {
		t.Fatalf("second client: %d %v", status, err)
	}
}

// Idle keep-alive connections do not lock new clients out: at the cap the
// one idle longest is closed for a newcomer (it would otherwise hold its
// slot for the whole idle timeout).
func TestIdleConnectionsGiveWayAtTheCap(t *testing.T) {
	addr := runServer(t, blocking(nil, nil, nil), 2)
	var idle []net.Conn
	for i := 0; i < 2; i++ {
		c, r := rawGet(t, addr, "/fast")
		if status, err := readStatus(c, r, 10*time.Second); err != nil || status != http.StatusNoContent {
			t.Fatalf("client %d: %d %v", i, status, err)
		}
		idle = append(idle, c) // kept open: keep-alive
	}
	for i := 0; i < 3; i++ {
		c, r := rawGet(t, addr, "/fast")
		if status, err := readStatus(c, r, 10*time.Second); err != nil || status != http.StatusNoContent {
			t.Fatalf("new client %d behind idle connections: %d %v", i, status, err)
		}
	}
	_ = idle
}
