package client

import (
	"errors"
	"fmt"
	"strings"

	"github.com/keyward/keyward/internal/keys"
)

// errNoAnswer is the cause of a change request that was written to the
// server but got no answer (the connection reset, the wait for the answer
// ran out, a proxy gave up upstream): unlike "cannot reach", the server may
// have made the change. It stays exit 6.
var errNoAnswer = errors.New("the request was sent but no answer came")

func noAnswer(host, reason string) error {
	return &keys.Error{Code: keys.Unavailable, Cause: errNoAnswer,
		Message: fmt.Sprintf("sent the request to %s but got no answer (%s): the change may have been applied", host, reason)}
}

// withCheck adds to a no-answer error how to find out whether the change
// was made; any other error is returned as it is.
func withCheck(err error, how string) error {
	if !errors.Is(err, errNoAnswer) {
		return err
	}
	return &keys.Error{Code: keys.ErrorCode(err), Cause: errNoAnswer, Message: keys.ErrorMessage(err) + "; " + keys.Redact(how)}
}

// checkKey is the generic advice after a lost answer to a change of ref.
func checkKey(ref string) string {
	return "check with 'keyward keys get " + ref + "'"
}

// checkCreate: a key that exists after a lost create answer has a secret
// nobody received; its created_at tells it from a key of that name made
// earlier.
func checkCreate(req keys.CreateRequest) string {
	ref := req.Name
	if org, err := keys.OrgOf(req.Grants); err == nil {
		ref = strings.TrimPrefix(org, "/") + "/" + req.Name
	}
	return checkKey(ref) + ": if it exists with a created_at of just now, it was created but its secret never reached you: roll it ('keyward keys roll " + ref + "') to get one"
}

// checkDelete: the keys still there after a lost delete answer were not
// deleted, and then none was (the delete is all or nothing).
func checkDelete(refs []string) string {
	return checkKey(refs[0]) + ": if it is gone, the delete was made (all of the keys or none)"
}

// checkRoll: after a lost roll answer the key's start tells whether the
// roll was made, and the secret it replaced keeps working for its grace.
func checkRoll(ref string) string {
	return checkKey(ref) + ": if its start is not how the secret you hold begins, the roll was made and its new secret lost; the previous secret keeps working during its grace (previous_expires_at), so roll again before it ends"
}
