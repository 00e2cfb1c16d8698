package api

import "github.com/keyward/keyward/internal/keys"

// DeleteRequest is the body of POST /v1/keys/delete: the keys to delete,
// each an id, a name or org/name, in one transaction: if one is missing or
// may not be deleted, none is.
type DeleteRequest struct {
	Keys []string `json:"keys"`
}

// DeleteResponse answers a DeleteRequest (200) with the deleted keys, in
// the order asked, each once. It is an object, as list pages are, so that
// it can grow fields without breaking a reader.
type DeleteResponse struct {
	Items []*keys.Key `json:"items"`
}

// MaxDeleteKeys bounds one bulk delete: its transaction holds the write
// lock while it resolves every key.
const MaxDeleteKeys = 1000

// CheckDeleteCount refuses a bulk delete of more than MaxDeleteKeys keys:
// the server, and the client before it sends one the server would refuse.
func CheckDeleteCount(n int) error {
	if n > MaxDeleteKeys {
		return keys.Errorf(keys.Invalid, "too many keys in one delete: %d, at most %d on a server; delete them in several commands", n, MaxDeleteKeys)
	}
	return nil
}

// HeaderSelf is set to "true" on a roll's answer when the key rolled is the
// operator key that asked: the caller then holds a secret of its own that
// has been replaced (or, with grace 0, has already stopped working), and
// can follow the roll into wherever it keeps its credential.
const HeaderSelf = "X-Keyward-Self"

// HeaderCode carries the verification code of a /v1/auth denial that is
// not a 401 (IP_NOT_ALLOWED, RATE_LIMITED): a gateway that can only pass
// 401 and 403 on (nginx) tells a rate limit from missing rights by it.
const HeaderCode = "X-Keyward-Code"
