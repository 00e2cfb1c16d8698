package store

import (
	"context"
	"sync"
	"time"
)

// maxPendingUses bounds the uses waiting for a locked database: past it, a
// use is dropped (its key's next use records it), never memory grown.
const maxPendingUses = 10000

// pendingUses holds last_used_at writes that could not be made at once
// (the database was locked by a writer) and makes them in the background,
// so that a key's first use is recorded even when it came during someone
// else's write, without verification ever waiting for the lock.
type pendingUses struct {
	mu      sync.Mutex
	at      map[string]int64 // key id → unix time of its latest unrecorded use
	started bool
	wake    chan struct{}
	ctx     context.Context // ended by close: the writer stops mid-batch
	stop    context.CancelFunc
	done    chan struct{}
	closed  sync.Once
}

func newPendingUses() *pendingUses {
	ctx, stop := context.WithCancel(context.Background())
	return &pendingUses{
		at:   map[string]int64{},
		wake: make(chan struct{}, 1),
		ctx:  ctx,
		stop: stop,
		done: make(chan struct{}),
	}
}

// add queues a use and starts the background writer if it is not running.
func (p *pendingUses) add(s *Store, id string, unix int64) {
	p.mu.Lock()
	if old, ok := p.at[id]; (ok && unix > old) || (!ok && len(p.at) < maxPendingUses) {
		p.at[id] = unix
	}
	start := !p.started
	p.started = true
	p.mu.Unlock()
	if start {
		go p.run(s)
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run writes pending uses until the store closes, backing off while the
// database stays locked.
func (p *pendingUses) run(s *Store) {
	defer close(p.done)
	for {
		select {
		case <-p.wake:
		case <-p.ctx.Done():
			p.last(s)
			return
		}
		for wait := 20 * time.Millisecond; !p.flush(p.ctx, s); wait = min(2*wait, time.Second) {
			select {
			case <-time.After(wait):
			case <-p.ctx.Done():
				p.last(s)
				return
			}
		}
	}
}

// last is the attempt made as the store closes: bounded as one use is, so
// that closing never waits long for a lock held elsewhere.
func (p *pendingUses) last(s *Store) {
	ctx, cancel := context.WithTimeout(context.Background(), useWait)
	defer cancel()
	p.flush(ctx, s)
}

// flush tries to write every pending use once, until ctx ends; it reports
// whether none is left.
func (p *pendingUses) flush(ctx context.Context, s *Store) bool {
	p.mu.Lock()
	batch := make(map[string]int64, len(p.at))
	for id, u := range p.at {
		batch[id] = u
	}
	p.mu.Unlock()
	for id, u := range batch {
		if ctx.Err() != nil {
			break
		}
		if s.writeUse(ctx, id, u) != nil {
			continue
		}
		p.mu.Lock()
		if p.at[id] == u { // not superseded by a later use meanwhile
			delete(p.at, id)
		}
		p.mu.Unlock()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.at) == 0
}

// close makes a last attempt at what is pending and stops the writer.
func (p *pendingUses) close() {
	p.closed.Do(func() {
		p.mu.Lock()
		started := p.started
		p.started = true // no writer may start from now on
		p.mu.Unlock()
		p.stop()
		if started {
			<-p.done
		}
	})
}
