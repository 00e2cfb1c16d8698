package keys

// The checks of a request that need no database, in one place: the store
// calls these once, at the top of each method, and the transports (flags,
// query strings, JSON bodies) only turn text into the types. What needs the
// key or the principal (the rules, an expiry's "now") is checked inside the
// transaction.

// Normalize checks req and fills in its defaults: the type, the prefix,
// grants one per resource (see NormalizeGrants) and meta without empty
// values. It returns the organization the grants put the key in ("" for
// a key of an account: the account's, known to the store).
func (req CreateRequest) Normalize() (CreateRequest, string, error) {
	if err := ValidateName(req.Name); err != nil {
		return req, "", err
	}
	typ, err := ParseKeyType(string(req.Type))
	if err != nil {
		return req, "", err
	}
	req.Type = typ
	if req.Format, err = ParseKeyFormat(string(req.Format)); err != nil {
		return req, "", err
	}
	if err := checkFormat(req); err != nil {
		return req, "", err
	}
	if req.Prefix == "" {
		req.Prefix = DefaultPrefix(typ)
	}
	if err := ValidatePrefix(req.Prefix); err != nil {
		return req, "", err
	}
	var org string
	if req.Account != "" {
		// The grants are the account's: the store reads them, and the
		// organization, inside its transaction.
		if len(req.Grants) > 0 {
			return req, "", Errorf(Invalid, "a key of a service account holds its account's grants: give --account or --resource/--role, not both")
		}
	} else {
		grants, o, err := NormalizeGrants(req.Grants)
		if err != nil {
			return req, "", err
		}
		if err := CheckGrants(typ, grants); err != nil {
			return req, "", err
		}
		req.Grants, org = grants, o
	}
	if err := ValidateMeta(req.Meta); err != nil {
		return req, "", err
	}
	meta := map[string]string{}
	for k, v := range req.Meta {
		if v != "" { // as in update: an empty value means no entry
			meta[k] = v
		}
	}
	req.Meta = meta
	if req.AllowedIPs, err = CanonicalAllowList(req.AllowedIPs); err != nil {
		return req, "", err
	}
	if err := checkRateLimit(req.RateLimit); err != nil {
		return req, "", err
	}
	if len(req.AllowedIPs) == 0 {
		req.AllowedIPs = nil
	}
	if req.RateLimit != nil && req.RateLimit.IsZero() {
		req.RateLimit = nil
	}
	return req, org, nil
}

// SetsExpiry reports whether req changes the expiry.
func (req UpdateRequest) SetsExpiry() bool {
	return req.TTL != nil || req.ExpiresAt != nil || req.NoExpiry
}

// Validate checks req: something to change, at most one kind of expiry, a
// valid name and meta.
func (req UpdateRequest) Validate() error {
	n := 0
	for _, set := range []bool{req.TTL != nil, req.ExpiresAt != nil, req.NoExpiry} {
		if set {
			n++
		}
	}
	if n > 1 {
		return Errorf(Invalid, "give at most one of ttl, expires_at and no_expiry")
	}
	if req.Name == nil && n == 0 && req.Enabled == nil && len(req.Meta) == 0 && req.AllowedIPs == nil && req.RateLimit == nil {
		return Errorf(Invalid, "nothing to update: give a name, ttl, expires_at, no_expiry, enabled, meta, allowed_ips or rate_limit")
	}
	if req.Name != nil {
		if err := ValidateName(*req.Name); err != nil {
			return err
		}
	}
	if req.AllowedIPs != nil {
		if _, err := CanonicalAllowList(*req.AllowedIPs); err != nil {
			return err
		}
	}
	if err := checkRateLimit(req.RateLimit); err != nil {
		return err
	}
	return ValidateMeta(req.Meta)
}

// Normalize checks req and gives it its grace: DefaultGrace when none was
// asked for.
func (req RollRequest) Normalize() (RollRequest, error) {
	if req.Grace == nil {
		d := Duration(DefaultGrace)
		req.Grace = &d
	} else if *req.Grace < 0 {
		return req, Errorf(Invalid, "invalid grace %s: must not be negative", req.Grace)
	}
	if req.TTL != nil && *req.TTL <= 0 {
		return req, Errorf(Invalid, "invalid ttl: must be greater than zero")
	}
	return req, nil
}

// Normalize checks the resource and role a secret is verified against.
// The secret itself is not checked: a malformed one is an answer
// (NOT_FOUND), not an error.
func (req VerifyRequest) Normalize() (VerifyRequest, error) {
	if req.Resource != nil {
		r, err := ParseResource(string(*req.Resource))
		if err != nil {
			return req, err
		}
		if r != *req.Resource { // else keep the pointer: a new one is an allocation every verification
			normal := r
			req.Resource = &normal
		}
	}
	if req.Role != nil {
		if err := req.Role.check(); err != nil {
			return req, err
		}
	}
	req.IP = req.IP.Unmap().WithZone("")
	return req, nil
}

// Normalize checks f and gives it its page size. The cursor is the
// backend's to read.
func (f ListFilter) Normalize() (ListFilter, error) {
	var err error
	if f.Limit, err = pageSize(f.Limit); err != nil {
		return f, err
	}
	if f.ExpiringWithin < 0 || f.UnusedFor < 0 {
		return f, Errorf(Invalid, "invalid duration: must not be negative")
	}
	if f.Resource != nil {
		r, err := ParseResource(string(*f.Resource))
		if err != nil {
			return f, err
		}
		f.Resource = &r
	}
	return f, nil
}

// Normalize checks f and gives it its page size.
func (f AuditFilter) Normalize() (AuditFilter, error) {
	var err error
	f.Limit, err = pageSize(f.Limit)
	return f, err
}

// pageSize is a page's size: 0 is DefaultPageSize, else 1 to MaxPageSize.
func pageSize(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultPageSize, nil
	case limit < 0 || limit > MaxPageSize:
		return 0, Errorf(Invalid, "invalid limit %d: use 1 to %d", limit, MaxPageSize)
	}
	return limit, nil
}
