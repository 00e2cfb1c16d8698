package commands

import "github.com/keyward/keyward/internal/keys"

// jqFailure is what an error line says of an expression that failed on a
// command's output. gojq's messages quote the value they failed on (its
// first 25 characters, or all of it through `error`): on output holding a
// secret (a create's, a roll's), that would be the secret, or most of it,
// in the error line that CI logs keep. There the message is withheld.
func jqFailure(err error, raw []byte) string {
	if keys.ContainsSecret(string(raw)) {
		return "the expression failed on output that holds a secret, so its message (which quotes values) is withheld"
	}
	return err.Error()
}
