package server

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
)

// DefaultMaxConns is how many connections a server holds at most (Run's
// MaxConns when 0). An idle HTTP/1 connection costs about 20 KB and a file
// descriptor; 20,000 idle keep-alive connections once made a server run
// out of descriptors and time new clients out.
const DefaultMaxConns = 1024

// idleGuard withdraws keep-alive while the server is at its connection
// cap (netutil.LimitListener keeps it there: Accept waits for a slot).
// An idle connection, one waiting for a client that has sent nothing
// since its last answer, would otherwise hold its slot for the whole
// IdleTimeout while a new client waits: at the cap, a newcomer makes the
// connection idle longest close, and a connection that goes idle is
// closed at once.
type idleGuard struct {
	max  int
	mu   sync.Mutex
	open int
	seq  uint64
	idle map[net.Conn]uint64 // idle connections, by when they went idle
}

func newIdleGuard(max int) *idleGuard {
	return &idleGuard{max: max, idle: map[net.Conn]uint64{}}
}

// connState is the server's ConnState hook.
func (g *idleGuard) connState(c net.Conn, s http.ConnState) {
	var victim net.Conn
	g.mu.Lock()
	switch s {
	case http.StateNew:
		g.open++
		if g.open >= g.max {
			victim = g.oldestIdle()
		}
	case http.StateIdle:
		if g.open >= g.max {
			victim = c
		} else {
			g.seq++
			g.idle[c] = g.seq
		}
	case http.StateActive:
		delete(g.idle, c)
	case http.StateClosed, http.StateHijacked:
		g.open--
		delete(g.idle, c)
	}
	g.mu.Unlock()
	if victim != nil {
		// The socket itself: a TLS close_notify could wait on a client
		// that does not read, and this runs on the accept loop.
		if tc, ok := victim.(*tls.Conn); ok {
			victim = tc.NetConn()
		}
		_ = victim.Close()
	}
}

func (g *idleGuard) oldestIdle() net.Conn {
	var oldest net.Conn
	var at uint64
	for c, seq := range g.idle {
		if oldest == nil || seq < at {
			oldest, at = c, seq
		}
	}
	delete(g.idle, oldest)
	return oldest
}
