package keyward

import (
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// cache holds positive answers, keyed by the secret's SHA-256 with the
// resource and role asked: never the secret, so a dump of the process's
// memory holds no more than the server's database does. It is bounded in
// size (least recently used first out) and in age: an entry ends ttl after
// its question was sent, or when the key expires, whichever is first. A
// nil cache holds nothing.
type cache struct {
	ttl     time.Duration
	entries *lru.Cache[string, entry]
}

type entry struct {
	r     *Result
	until time.Time
}

func newCache(size int, ttl time.Duration) (*cache, error) {
	entries, err := lru.New[string, entry](size)
	if err != nil {
		return nil, err
	}
	return &cache{ttl: ttl, entries: entries}, nil
}

// get is the answer cached for k, a copy of it, or nil when there is none
// that is still good at now.
func (c *cache) get(k string, now time.Time) *Result {
	if c == nil {
		return nil
	}
	e, ok := c.entries.Get(k)
	if !ok {
		return nil
	}
	if !now.Before(e.until) {
		c.entries.Remove(k)
		return nil
	}
	return e.r.clone()
}

// put caches r for k. sent is when the question left: the server answered
// from what it knew after that, so a revocation after sent+ttl is never
// hidden by this entry, however slow the answer was.
func (c *cache) put(k string, r *Result, sent time.Time) {
	if c == nil {
		return
	}
	until := sent.Add(c.ttl)
	if r.ExpiresAt != nil && r.ExpiresAt.Before(until) {
		until = *r.ExpiresAt
	}
	c.entries.Add(k, entry{r: r.clone(), until: until})
}
