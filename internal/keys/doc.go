// Package keys is keyward's domain: keys, secrets, resources, roles, the
// rules of who may do what, and the Service interface that the SQLite store
// and the HTTP client both implement. It performs no I/O: everything here is
// a pure function of its arguments (randomness comes from crypto/rand only
// when a secret or id is generated).
package keys
