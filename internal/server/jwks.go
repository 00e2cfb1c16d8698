package server

import (
	"net/http"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// jwksMaxAge is how long a verifier may keep the JWK Set: short, since a
// rotation's new key signs at once (JOSE libraries also fetch again when
// a token names a kid they have not seen), and long enough that a fleet
// of verifiers does not ask per token.
const jwksMaxAge = "public, max-age=60"

func (s *server) signingKeys() (keys.SigningKeys, error) {
	sk, ok := s.b.(keys.SigningKeys)
	if !ok {
		return nil, keys.Errorf(keys.NotFound, "this server has no signing keys")
	}
	return sk, nil
}

// jwks serves the JWK Set of JWT keys' signing keys: no operator key, as
// every service that checks tokens offline fetches it.
func (s *server) jwks(w http.ResponseWriter, r *http.Request) error {
	sk, err := s.signingKeys()
	if err != nil {
		return err
	}
	set, err := sk.JWKS(r.Context())
	if err != nil {
		return err
	}
	// application/json, as the well-known JWKS endpoints serve it: some
	// JOSE clients refuse application/jwk-set+json.
	setJSONHeaders(w)
	w.Header().Set("Cache-Control", jwksMaxAge)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(set, '\n'))
	return nil
}

func (s *server) listSigningKeys(w http.ResponseWriter, r *http.Request) error {
	sk, err := s.signingKeys()
	if err != nil {
		return err
	}
	items, err := sk.ListSigningKeys(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *server) rotateSigningKey(w http.ResponseWriter, r *http.Request) error {
	sk, err := s.signingKeys()
	if err != nil {
		return err
	}
	k, err := sk.RotateSigningKey(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

// capJWT is --max-jwt-ttl, applied to a JWT key's create as --max-ttl is
// to every key's (before it: the tighter cap is given): a token stays valid offline until its exp whatever
// happens to its key, so a server may want those shorter than the rest.
func (s *server) capJWT(req *keys.CreateRequest) error {
	max := s.opts.MaxJWTTTL
	if max <= 0 || req.Format != keys.FormatJWT {
		return nil
	}
	if req.TTL == nil && req.ExpiresAt == nil {
		d := keys.Duration(max)
		if s.opts.MaxTTL > 0 && s.opts.MaxTTL < max { // then capCreate lets it through
			d = keys.Duration(s.opts.MaxTTL)
		}
		req.TTL = &d
		return nil
	}
	if req.TTL != nil && time.Duration(*req.TTL) > max {
		return keys.Errorf(keys.Invalid, "ttl %s is longer than this server's maximum JWT key lifetime of %s (serve --max-jwt-ttl); ask for %s or less",
			req.TTL, keys.FormatDuration(max), keys.FormatDuration(max))
	}
	if req.ExpiresAt != nil && req.TTL == nil {
		if limit, err := keys.ExpiryAfter(s.now(), max); err == nil && req.ExpiresAt.After(limit) {
			return keys.Errorf(keys.Invalid, "expires_at %s is beyond this server's maximum JWT key lifetime of %s (serve --max-jwt-ttl): the latest allowed now is %s",
				req.ExpiresAt.UTC().Format(time.RFC3339), keys.FormatDuration(max), limit.Format(time.RFC3339))
		}
	}
	return nil
}

// capJWTUpdate and capJWTRoll apply --max-jwt-ttl to a JWT key's update
// and roll, as --max-ttl applies to every key's: no_expiry becomes the
// cap, a longer ttl, expires_at or grace is refused. Only with the cap set
// do they read the key (its format), through the backend, as the caller.
func (s *server) capJWTUpdate(r *http.Request, req *keys.UpdateRequest) error {
	max := s.opts.MaxJWTTTL
	if max <= 0 || !req.SetsExpiry() || s.jwtKey(r) == nil {
		return nil
	}
	if req.NoExpiry && req.TTL == nil && req.ExpiresAt == nil {
		d := keys.Duration(max)
		if s.opts.MaxTTL > 0 && s.opts.MaxTTL < max {
			d = keys.Duration(s.opts.MaxTTL)
		}
		req.NoExpiry, req.TTL = false, &d
		return nil
	}
	return s.checkJWTLifetime(req.TTL, req.ExpiresAt, nil)
}

func (s *server) capJWTRoll(r *http.Request, req *keys.RollRequest) error {
	max := s.opts.MaxJWTTTL
	if max <= 0 {
		return nil
	}
	k := s.jwtKey(r)
	if k == nil {
		return nil
	}
	if req.Grace == nil && keys.DefaultGrace > max {
		d := keys.Duration(max)
		req.Grace = &d
	}
	// A roll keeps the key's expiry, and the new token carries it as its
	// exp: a key made before the cap (or with --db) that never expires
	// would get a token that verifies offline for ever. Such a roll gets
	// the cap, as a create without an expiry does.
	if req.TTL == nil && s.beyondJWTCap(k.ExpiresAt) {
		if p, _ := keys.PrincipalFrom(r.Context()); p != nil && p.Key != nil && p.Key.ID == k.ID {
			return keys.Errorf(keys.Invalid, "key %s expires beyond this server's maximum JWT key lifetime of %s (serve --max-jwt-ttl), and a key rolling itself cannot change its expiry: an admin over it must roll it with --ttl %s or less",
				k.Name, keys.FormatDuration(max), keys.FormatDuration(max))
		}
		d := keys.Duration(s.jwtCap())
		req.TTL = &d
	}
	return s.checkJWTLifetime(req.TTL, nil, req.Grace)
}

// jwtCap is the lifetime a JWT key gets when it asks for none: the
// tighter of --max-jwt-ttl and --max-ttl.
func (s *server) jwtCap() time.Duration {
	if s.opts.MaxTTL > 0 && s.opts.MaxTTL < s.opts.MaxJWTTTL {
		return s.opts.MaxTTL
	}
	return s.opts.MaxJWTTTL
}

// beyondJWTCap reports whether a key expiring at exp (nil: never) outlives
// --max-jwt-ttl from now.
func (s *server) beyondJWTCap(exp *time.Time) bool {
	if exp == nil {
		return true
	}
	limit, err := keys.ExpiryAfter(s.now(), s.opts.MaxJWTTTL)
	return err == nil && exp.After(limit)
}

// jwtKey is the request's {key} when it is a JWT key the caller may
// read; any error is left for the backend's own call to answer.
func (s *server) jwtKey(r *http.Request) *keys.Key {
	k, err := s.b.Get(r.Context(), ref(r))
	if err != nil || k.Format != keys.FormatJWT {
		return nil
	}
	return k
}

func (s *server) checkJWTLifetime(ttl *keys.Duration, at *time.Time, grace *keys.Duration) error {
	max := s.opts.MaxJWTTTL
	for what, d := range map[string]*keys.Duration{"ttl": ttl, "grace": grace} {
		if d != nil && time.Duration(*d) > max {
			return keys.Errorf(keys.Invalid, "%s %s is longer than this server's maximum JWT key lifetime of %s (serve --max-jwt-ttl); ask for %s or less",
				what, d, keys.FormatDuration(max), keys.FormatDuration(max))
		}
	}
	if at != nil {
		if limit, err := keys.ExpiryAfter(s.now(), max); err == nil && at.After(limit) {
			return keys.Errorf(keys.Invalid, "expires_at %s is beyond this server's maximum JWT key lifetime of %s (serve --max-jwt-ttl): the latest allowed now is %s",
				at.UTC().Format(time.RFC3339), keys.FormatDuration(max), limit.Format(time.RFC3339))
		}
	}
	return nil
}
