package keys

import "strings"

const maxSegmentLen = 64

// MaxResourceLen bounds a whole resource path in bytes, so that a key's
// grants (and every audit row that records them) stay small.
const MaxResourceLen = 255

// Resource is a slash path: "/" (everything), "/acme" (an organization),
// "/acme/prod", "/acme/prod/robot-1". Case matters.
type Resource string

// Root is the resource above all others.
const Root Resource = "/"

func validSegment(s string) bool {
	if s == "" || len(s) > maxSegmentLen || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ParseResource validates a resource path. A single trailing slash is
// tolerated ("/acme/" is "/acme"); anything else odd is an error. Messages
// quote at most a short prefix of the input.
func ParseResource(s string) (Resource, error) {
	if s == "/" {
		return Root, nil
	}
	if ContainsSecret(s) {
		return "", Errorf(Invalid, "invalid resource: it holds a keyward secret")
	}
	if !strings.HasPrefix(s, "/") {
		return "", Errorf(Invalid, "invalid resource %s: it must start with / (e.g. /acme/prod)", quoteInput(s))
	}
	p := strings.TrimSuffix(s[1:], "/")
	if 1+len(p) > MaxResourceLen {
		return "", Errorf(Invalid, "invalid resource %s: a resource is at most %d bytes, this one has %d", quoteInput(s), MaxResourceLen, 1+len(p))
	}
	for rest, more := p, true; more; {
		var seg string
		seg, rest, more = strings.Cut(rest, "/")
		if !validSegment(seg) {
			return "", Errorf(Invalid, "invalid resource %s: each segment is 1-64 of A-Za-z0-9._- and not . or ..", quoteInput(s))
		}
	}
	// "/" + p, without a copy: every verification naming a resource
	// parses one, and its split and copy were two allocations.
	return Resource(s[:1+len(p)]), nil
}

// UnmarshalText makes a decoded resource a valid one, normalized: a JSON
// body or a query holding a bad path fails where it is read, so no request
// ever carries one. A JSON value that is not a string stays the decoder's
// own type error.
func (r *Resource) UnmarshalText(b []byte) error {
	v, err := ParseResource(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Org is the organization the resource belongs to: "/acme" for
// "/acme/prod", "/" for "/".
func (r Resource) Org() string {
	if r == Root {
		return "/"
	}
	s := string(r[1:])
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	return "/" + s
}

// Covers reports whether r is other or lies above it: a grant on r covers
// every path beneath it.
func (r Resource) Covers(other Resource) bool {
	if r == Root || r == other {
		return true
	}
	return strings.HasPrefix(string(other), string(r)+"/")
}

// ValidateName checks a key name: 1–64 of A-Za-z0-9._-, not starting with
// "key_" (which would be read as an id).
func ValidateName(name string) error {
	if ContainsSecret(name) {
		return Errorf(Invalid, "invalid name: it holds a keyward secret")
	}
	if !validSegment(name) || name == "." || name == ".." {
		return Errorf(Invalid, "invalid name %q: use 1-64 of A-Za-z0-9._-", name)
	}
	if strings.HasPrefix(name, idPrefix) {
		return Errorf(Invalid, "invalid name %q: names must not start with %q", name, idPrefix)
	}
	return nil
}
