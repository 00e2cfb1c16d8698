package store

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// tcpProxy stands between a store and its PostgreSQL server, to do to the
// connections what a network or a server can: freeze them (a server
// stopped with SIGSTOP, a silent partition: connections are accepted,
// bytes sent are taken, nothing ever answers) or cut them (a crash: every
// connection reset at once).
type tcpProxy struct {
	t      testing.TB
	ln     net.Listener
	target string

	mu     sync.Mutex
	frozen bool
	thawed chan struct{} // closed when a freeze ends
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// startProxy listens on loopback and forwards every connection to the
// host and port of dbURL; it returns the proxy and dbURL pointed at it.
func startProxy(t testing.TB, dbURL string) (*tcpProxy, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{t: t, ln: ln, target: u.Host, thawed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	close(p.thawed)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			c.Close()
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.gate() // a frozen server accepts, then says nothing
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				p.drop(c)
				return
			}
			if !p.track(up) {
				up.Close()
				p.drop(c)
				return
			}
			p.wg.Add(2)
			go p.pipe(up, c)
			go p.pipe(c, up)
		}()
	}
}

// pipe copies src to dst, holding every chunk while the proxy is frozen.
func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.gate()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			p.drop(dst)
			p.drop(src)
			return
		}
	}
}

// gate waits while the proxy is frozen.
func (p *tcpProxy) gate() {
	p.mu.Lock()
	thawed := p.thawed
	p.mu.Unlock()
	<-thawed
}

func (p *tcpProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *tcpProxy) drop(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

// freeze stops all traffic, on open connections and new ones alike.
func (p *tcpProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.frozen {
		p.frozen = true
		p.thawed = make(chan struct{})
	}
}

// thaw lets traffic through again.
func (p *tcpProxy) thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen {
		p.frozen = false
		close(p.thawed)
	}
}

// cut resets every open connection, both ways, as a crashed server's
// host does.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	p.mu.Unlock()
	for c := range conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST, not FIN
		}
		c.Close()
	}
}

func (p *tcpProxy) close() {
	p.ln.Close()
	p.thaw()
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for c := range conns {
		c.Close()
	}
	p.wg.Wait()
}
