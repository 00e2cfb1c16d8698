package store

import (
	"database/sql"
)

// pager reads one page of rows the principal may see, in bounded batches
// after a cursor, never the whole table: the query narrows the rows (the
// principal's scope, the filters), keep decides on each one, and rows it
// refuses still move the cursor on.
type pager[T any] struct {
	limit int
	// query is the next batch of at most n rows after the cursor.
	query func(n int) (string, []any)
	scan  func(*sql.Rows) (T, error)
	// seen moves the cursor past a row read, kept or not.
	seen func(T)
	keep func(T) bool
	// next, when set, is asked after a batch that came back short
	// (fewer rows than asked): true when query has more to read
	// elsewhere (list.go: a walk that ended at its window hands over to
	// the merge past it). Nil: a short batch is the end.
	next func() bool
}

// read returns the page and whether more rows follow it.
func (p pager[T]) read(t *txn) (items []T, more bool, err error) {
	batch := p.limit + 1
	for {
		n, more, err := p.batch(t, batch, &items)
		if err != nil || more {
			return items, more, err
		}
		if n < batch && (p.next == nil || !p.next()) {
			return items, false, nil
		}
	}
}

// batch reads one batch into items; n is how many rows it read.
func (p pager[T]) batch(t *txn, size int, items *[]T) (n int, more bool, err error) {
	q, args := p.query(size)
	rows, err := t.query(t.ctx, q, args...)
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := p.scan(rows)
		if err != nil {
			return n, false, err
		}
		n++
		p.seen(r)
		if !p.keep(r) {
			continue
		}
		if len(*items) == p.limit {
			return n, true, nil
		}
		*items = append(*items, r)
	}
	return n, false, rows.Err()
}
