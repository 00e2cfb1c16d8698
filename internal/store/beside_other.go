//go:build !unix

package store

// writableBeside is left to SQLite where access(2) does not exist.
func writableBeside(abs, shown string) error { return nil }
