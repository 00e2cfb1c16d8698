package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/keyward/keyward/internal/keys"
)

// checkObject refuses a body that is not one JSON object, or that names a
// member twice in any of its objects. encoding/json keeps the last of two
// members and matches field names regardless of case, while a proxy or WAF
// in front of keyward may read the first: {"name":"a","NAME":"b"} must not
// mean one thing to it and another to keyward. Names are compared as
// encoding/json compares them (Unicode case folding), in every object, meta
// included, since which objects are structs is the decoder's business.
func checkObject(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return bodyError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return keys.Errorf(keys.Invalid, "invalid JSON body: expected an object, got %s", jsonTokenKind(tok))
	}
	// One frame per open object or array; an object's frame holds the
	// names seen so far and whether a name comes next.
	type frame struct {
		object, wantName bool
		names            map[string]struct{}
	}
	stack := []*frame{{object: true, wantName: true}}
	for len(stack) > 0 {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return bodyError(err)
		}
		top := stack[len(stack)-1]
		if name, ok := tok.(string); ok && top.object && top.wantName {
			folded := foldName(name)
			if _, seen := top.names[folded]; seen {
				return keys.Errorf(keys.Invalid, "invalid JSON body: member %s appears twice in one object (names differing only in case count as the same)", quoteName(name))
			}
			if top.names == nil {
				top.names = map[string]struct{}{}
			}
			top.names[folded] = struct{}{}
			top.wantName = false
			continue
		}
		switch tok {
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			continue
		}
		// A value: the object holding it wants a name next.
		if top.object {
			top.wantName = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, wantName: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		}
	}
	return nil
}

// foldName maps a member name to one spelling per class of names that
// compare equal under Unicode simple case folding (bytes.EqualFold, which
// encoding/json uses): each rune becomes the smallest of its fold orbit.
func foldName(s string) string {
	return strings.Map(func(r rune) rune {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		return min
	}, s)
}

// quoteName is a member name for an error message: bounded, and never a
// secret pasted where a name belongs.
func quoteName(name string) string {
	if looksLikeSecret(name) {
		return "(a name that looks like a keyward secret)"
	}
	const max = 64
	if len(name) > max {
		return strconv.Quote(strings.ToValidUTF8(name[:max], "")) + "…"
	}
	return strconv.Quote(name)
}

func jsonTokenKind(tok json.Token) string {
	switch tok.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case json.Delim:
		return "an array"
	}
	return "something else"
}
