package server

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// decodeBody reads one JSON object into v, strictly: unknown fields, wrong
// types, members named twice, anything but an object, trailing data and
// oversized bodies are the client's mistakes (400 or 413), never the
// server's. An empty body is allowed only when optional. The body is read
// whole (it is bounded by maxBodyBytes): checkMembers reads it after the
// decoder.
func decodeBody(r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(err)
	}
	return decodeBytes(body, v, optional)
}

// decodeBytes is decodeBody once the body is read.
func decodeBytes(body []byte, v any, optional bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return keys.Errorf(keys.Invalid, "a JSON request body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return keys.Errorf(keys.Invalid, "invalid JSON body: unexpected data after the object")
	}
	return checkMembers(body)
}

func bodyError(err error) error {
	var (
		mbe *http.MaxBytesError
		ke  *keys.Error
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return keys.Errorf(keys.TooLarge, "request body too large: the limit is %d bytes", mbe.Limit)
	case errors.As(err, &ke):
		return ke // a field's own parser (role, duration) explains itself
	case errors.As(err, &se):
		return keys.Errorf(keys.Invalid, "invalid JSON body at byte %d: %s", se.Offset, se.Error())
	case errors.As(err, &te):
		if te.Field != "" {
			kind := te.Type.Kind().String()
			if reflect.PointerTo(te.Type).Implements(textUnmarshaler) {
				kind = "string" // netip.Addr, keys.RateLimit: structs written as strings
			}
			return keys.Errorf(keys.Invalid, "invalid JSON body: field %q must be %s, not %s", te.Field, jsonKind(kind), te.Value)
		}
		return keys.Errorf(keys.Invalid, "invalid JSON body: expected an object, got %s", te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return keys.Errorf(keys.Invalid, "invalid JSON body: it ends too early")
	}
	// DisallowUnknownFields and time parsing report plain errors whose text
	// quotes the member's name or the time value: a secret sent there (a
	// scanner's mangled POST /v1/leaks) is redacted, as clients print the
	// message.
	return keys.Errorf(keys.Invalid, "invalid JSON body: %s", keys.Redact(err.Error()))
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a number"
}

// query reads URL query parameters, remembering the first bad one.
type query struct {
	v   url.Values
	err error
}

// newQuery parses a request's query. With allowed names, it is as strict
// as a body: an unknown parameter (a typo such as "limt" would otherwise
// widen a listing silently) or one given twice is invalid.
func newQuery(r *http.Request, allowed ...string) *query {
	v, err := url.ParseQuery(r.URL.RawQuery)
	q := &query{v: v}
	if err != nil {
		q.err = keys.Errorf(keys.Invalid, "invalid query string: %v", err)
		return q
	}
	if len(allowed) == 0 {
		return q
	}
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	sort.Strings(names) // the first bad one, the same every time
	for _, name := range names {
		switch {
		case !slices.Contains(allowed, name):
			q.fail("unknown query parameter %q: %s %s takes %s", name, r.Method, r.URL.Path, strings.Join(allowed, ", "))
		case len(v[name]) > 1:
			q.fail("query parameter %s was given %d times", name, len(v[name]))
		}
	}
	return q
}

func (q *query) fail(format string, args ...any) {
	if q.err == nil {
		q.err = keys.Errorf(keys.Invalid, format, args...)
	}
}

func (q *query) str(name string) string { return q.v.Get(name) }

func (q *query) resource(name string) *keys.Resource {
	s := q.v.Get(name)
	if s == "" {
		return nil
	}
	r, err := keys.ParseResource(s)
	if err != nil {
		q.fail("query parameter %s: %s", name, keys.ErrorMessage(err))
		return nil
	}
	return &r
}

func (q *query) role(name string) *keys.Role {
	s := q.v.Get(name)
	if s == "" {
		return nil
	}
	r, err := keys.ParseRole(s)
	if err != nil {
		q.fail("query parameter %s: %s", name, keys.ErrorMessage(err))
		return nil
	}
	return &r
}

func (q *query) boolean(name string) bool {
	s := q.v.Get(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.fail("query parameter %s: %q is not true or false", name, s)
	}
	return b
}

func (q *query) duration(name string) keys.Duration {
	s := q.v.Get(name)
	if s == "" {
		return 0
	}
	d, err := keys.ParseDuration(s)
	if err != nil {
		q.fail("query parameter %s: %s", name, keys.ErrorMessage(err))
	}
	return keys.Duration(d)
}

// limit reads a page size: absent is the default, else 1–1000.
func (q *query) limit() int {
	s := q.v.Get("limit")
	if s == "" {
		return keys.DefaultPageSize
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > keys.MaxPageSize {
		q.fail("query parameter limit: %q is not a number from 1 to %d", s, keys.MaxPageSize)
		return 0
	}
	return n
}

// since reads keys.ParseSince's forms: a time, a day, or a duration ago.
func (q *query) since(name string, now time.Time) *time.Time {
	s := q.v.Get(name)
	if s == "" {
		return nil
	}
	t, err := keys.ParseSince(s, now)
	if err != nil {
		q.fail("query parameter %s: %s", name, keys.ErrorMessage(err))
		return nil
	}
	return &t
}
