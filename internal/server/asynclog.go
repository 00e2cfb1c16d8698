package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// AsyncLogOptions tune an AsyncLog; zero values take the defaults.
type AsyncLogOptions struct {
	// Queue is how many lines may wait for the writer; past it, lines
	// are dropped and counted rather than making a request wait. 4096.
	Queue int
	// FlushEvery bounds how long a written line may sit in the buffer.
	// 100ms.
	FlushEvery time.Duration
}

// AsyncLog is a slog.Handler that takes a record off the caller's
// goroutine: it is queued, then formatted by the handler NewAsyncLog was
// given and written to a buffer by one goroutine of its own, which
// flushes every FlushEvery and on Close. A request then pays for a
// channel send, not for formatting and a write(2) of its own.
//
// When the queue is full a record is dropped and counted, never waited
// for: the next line written carries dropped_log_lines=N, and Dropped
// says how many in all. Close writes out everything queued before it.
type AsyncLog struct {
	inner slog.Handler // formats; only the writing goroutine (or, once closed, a caller holding q.mu) calls it
	q     *logQueue
}

type logQueue struct {
	ch      chan queuedRecord
	dropped atomic.Int64 // not yet reported in a line
	total   atomic.Int64 // since the start, for metrics
	closing sync.RWMutex // held for reading while sending; Close takes it to close ch
	closed  bool
	done    chan struct{} // the writing goroutine has finished

	mu  sync.Mutex // the buffer and the formatting handlers
	buf *bufio.Writer
}

type queuedRecord struct {
	h slog.Handler // the inner handler, with the caller's WithAttrs/WithGroup
	r slog.Record
}

// NewAsyncLog returns an asynchronous handler writing to w: newHandler
// builds the handler that formats the lines (slog.NewTextHandler, say)
// over the buffer it is given.
func NewAsyncLog(w io.Writer, newHandler func(io.Writer) slog.Handler, opts AsyncLogOptions) *AsyncLog {
	if opts.Queue <= 0 {
		opts.Queue = 4096
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = 100 * time.Millisecond
	}
	q := &logQueue{
		ch:   make(chan queuedRecord, opts.Queue),
		done: make(chan struct{}),
		buf:  bufio.NewWriterSize(w, 64<<10),
	}
	inner := newHandler(q.buf)
	go q.run(opts.FlushEvery, inner)
	return &AsyncLog{inner: inner, q: q}
}

func (a *AsyncLog) Enabled(ctx context.Context, l slog.Level) bool {
	return a.inner.Enabled(ctx, l)
}

func (a *AsyncLog) Handle(ctx context.Context, r slog.Record) error {
	q := a.q
	q.closing.RLock()
	if q.closed {
		q.closing.RUnlock()
		// After Close (a line from a goroutine outliving the server):
		// written at once, in the caller's time.
		q.mu.Lock()
		defer q.mu.Unlock()
		err := a.inner.Handle(ctx, r)
		if ferr := q.buf.Flush(); err == nil {
			err = ferr
		}
		return err
	}
	select {
	case q.ch <- queuedRecord{h: a.inner, r: r.Clone()}:
	default:
		q.dropped.Add(1)
		q.total.Add(1)
	}
	q.closing.RUnlock()
	return nil
}

func (a *AsyncLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &AsyncLog{inner: a.inner.WithAttrs(attrs), q: a.q}
}

func (a *AsyncLog) WithGroup(name string) slog.Handler {
	return &AsyncLog{inner: a.inner.WithGroup(name), q: a.q}
}

// Dropped is how many lines were dropped, in all, because the queue was
// full.
func (a *AsyncLog) Dropped() int64 { return a.q.total.Load() }

// Close writes out every line queued before it and flushes; lines logged
// after it are written synchronously. It is safe to call more than once.
func (a *AsyncLog) Close() error {
	q := a.q
	q.closing.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.closing.Unlock()
	<-q.done
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.buf.Flush()
}

func (q *logQueue) run(every time.Duration, inner slog.Handler) {
	defer close(q.done)
	defer func() {
		// Drops that no later line could report.
		if n := q.dropped.Swap(0); n > 0 {
			q.mu.Lock()
			r := slog.NewRecord(time.Now(), slog.LevelWarn, "log lines dropped: the log could not keep up", 0)
			r.AddAttrs(slog.Int64("dropped_log_lines", n))
			_ = inner.Handle(context.Background(), r)
			q.mu.Unlock()
		}
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case rec, ok := <-q.ch:
			if !ok {
				return
			}
			q.mu.Lock()
			q.write(rec)
			// Whatever else is waiting goes out under the same lock.
			for more := true; more; {
				select {
				case rec, ok = <-q.ch:
					if !ok {
						q.mu.Unlock()
						return
					}
					q.write(rec)
				default:
					more = false
				}
			}
			q.mu.Unlock()
		case <-t.C:
			q.mu.Lock()
			_ = q.buf.Flush() // a log that cannot be written has no one to tell
			q.mu.Unlock()
		}
	}
}

// write formats one record; q.mu is held.
func (q *logQueue) write(rec queuedRecord) {
	if n := q.dropped.Swap(0); n > 0 {
		rec.r.AddAttrs(slog.Int64("dropped_log_lines", n))
	}
	_ = rec.h.Handle(context.Background(), rec.r)
}
