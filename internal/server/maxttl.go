package server

import (
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// The --max-ttl policy is the server's, not the domain's: the same database
// opened with --db has no cap. It rewrites requests before the backend sees
// them: no expiry becomes the cap, a longer one is refused. Requests asking
// for two kinds of expiry at once pass untouched so that the backend refuses
// them with its own message.

func (s *server) capCreate(req *keys.CreateRequest) error {
	if s.opts.MaxTTL <= 0 {
		return nil
	}
	if req.TTL == nil && req.ExpiresAt == nil {
		d := keys.Duration(s.opts.MaxTTL)
		req.TTL = &d
		return nil
	}
	return s.checkLifetime(req.TTL, req.ExpiresAt)
}

// capOrg caps an organization's default key as capCreate caps any key.
func (s *server) capOrg(req *keys.OrgCreateRequest) error {
	if s.opts.MaxTTL <= 0 {
		return nil
	}
	if req.TTL == nil {
		d := keys.Duration(s.opts.MaxTTL)
		req.TTL = &d
		return nil
	}
	return s.checkLifetime(req.TTL, nil)
}

func (s *server) capUpdate(req *keys.UpdateRequest) error {
	if s.opts.MaxTTL <= 0 {
		return nil
	}
	if req.NoExpiry && req.TTL == nil && req.ExpiresAt == nil {
		d := keys.Duration(s.opts.MaxTTL)
		req.NoExpiry, req.TTL = false, &d
		return nil
	}
	return s.checkLifetime(req.TTL, req.ExpiresAt)
}

// capRoll also bounds the grace: a previous secret is a credential too, and
// a grace beyond the cap would outlive every key the server lets exist.
// The default grace is cut to the cap; a longer one asked for is refused.
func (s *server) capRoll(req *keys.RollRequest) error {
	max := s.opts.MaxTTL
	if max <= 0 {
		return nil
	}
	switch {
	case req.Grace == nil && keys.DefaultGrace > max:
		d := keys.Duration(max)
		req.Grace = &d
	case req.Grace != nil && time.Duration(*req.Grace) > max:
		return keys.Errorf(keys.Invalid, "grace %s is longer than this server's maximum key lifetime of %s (serve --max-ttl); ask for %s or less",
			req.Grace, keys.FormatDuration(max), keys.FormatDuration(max))
	}
	return s.checkLifetime(req.TTL, nil)
}

func (s *server) checkLifetime(ttl *keys.Duration, at *time.Time) error {
	max := s.opts.MaxTTL
	if ttl != nil && time.Duration(*ttl) > max {
		return keys.Errorf(keys.Invalid, "ttl %s is longer than this server's maximum key lifetime of %s (serve --max-ttl); ask for %s or less",
			ttl, keys.FormatDuration(max), keys.FormatDuration(max))
	}
	if at != nil {
		limit, err := keys.ExpiryAfter(s.now(), max)
		if err != nil {
			return nil // a cap beyond year 9999 caps nothing
		}
		if at.After(limit) {
			return keys.Errorf(keys.Invalid, "expires_at %s is beyond this server's maximum key lifetime of %s (serve --max-ttl): the latest allowed now is %s",
				at.UTC().Format(time.RFC3339), keys.FormatDuration(max), limit.Format(time.RFC3339))
		}
	}
	return nil
}
