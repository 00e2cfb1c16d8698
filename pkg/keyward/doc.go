// Package keyward lets a Go service check the API keys its callers present
// against a keyward server, without a gateway in front of it.
//
// A Verifier asks the server's POST /v1/verify (which needs no operator
// token) whether a secret may act on a resource with a role. Middleware
// wraps an http.Handler: it reads Authorization: Bearer, and answers 401,
// 403 and 503 as the server's own GET /v1/auth does for gateways, or calls
// the next handler with the key in the request's context (FromContext).
//
// What is decided without the server: a string that is not a well-formed
// keyward secret (its checksum fails) is NOT_FOUND at once, so typos and
// random strings never cost a request.
//
// What may be cached: only positive answers (VALID), keyed by the secret's
// SHA-256 (the secret itself is never kept), the resource and the role,
// for at most Options.CacheTTL and never past the key's own expiry.
// CacheTTL is therefore the service's revocation delay: a key deleted,
// disabled, ungranted or rolled out on the server may still pass here for
// up to CacheTTL. The default, 0, caches nothing and every revocation is
// seen on the next request. Negative answers are never cached, so a key
// made a moment ago works at once; nor are answers for a key with a rate
// limit (servers with key policies), whose every use the server counts.
// Requests asking the same question together share one call; one that
// arrives while a call is in flight takes its answer only as it would
// take a cached one: a positive answer within CacheTTL (never with
// CacheTTL 0, so a revocation during the call is seen), no refusal, and
// nothing for a key with a rate limit.
//
// When the server cannot be reached, is too slow or answers that it
// cannot decide (5xx, 429), Verify returns an error wrapping
// ErrUnavailable; the middleware then answers 503, unless
// Options.FailOpen lets the request through without a key. An answer
// that says the URL is wrong (a redirect, 401, 403, 404, a page that is
// not a verify result, a certificate that does not verify) is an error too, but never ErrUnavailable: the
// middleware answers 503 whatever FailOpen says, and logs why. A cached
// positive answer is still served during an outage, but never beyond its
// CacheTTL.
package keyward
