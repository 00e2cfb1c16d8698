package server

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"

	"github.com/keyward/keyward/internal/keys"
)

// checkMembers refuses a body that is not one JSON object, or that names a
// member twice in any of its objects. encoding/json keeps the last of two
// members and matches field names regardless of case, while a proxy or WAF
// in front of keyward may read the first: {"name":"a","NAME":"b"} must not
// mean one thing to it and another to keyward. Names are compared as
// encoding/json compares them (Unicode case folding, escapes undone), in
// every object, meta included: which objects are structs is the decoder's
// business. data is the body, already decoded once (so its first value is
// well-formed JSON); this runs on every verification, so it allocates
// nothing for the small objects requests are made of.
func checkMembers(data []byte) error {
	i := skipSpace(data, 0)
	if i == len(data) || data[i] != '{' {
		return keys.Errorf(keys.Invalid, "invalid JSON body: expected an object, got %s", valueKind(data[i:]))
	}
	var stack []membersFrame
	for i < len(data) {
		c := data[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':':
			i++
			continue
		case c == '}' || c == ']':
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return nil // the first value is checked; the decoder refuses the rest
			}
			i++
			continue
		}
		var top *membersFrame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if c == '"' {
			end := stringEnd(data, i)
			if top != nil && top.object && top.wantName {
				if err := top.add(data[i:end]); err != nil {
					return err
				}
				top.wantName = false
				i = end
				continue
			}
			i = end
		} else if c != '{' && c != '[' {
			for i < len(data) && !endsLiteral(data[i]) {
				i++ // a number, true, false or null
			}
		}
		if top != nil && top.object {
			top.wantName = true // the value is read: a name comes next
		}
		if c == '{' || c == '[' {
			stack = append(stack, membersFrame{object: c == '{', wantName: c == '{'})
			i++
		}
	}
	return nil
}

// membersFrame is one open object or array.
type membersFrame struct {
	object, wantName bool
	names            [][]byte            // the object's member names as sent (quoted)
	folded           map[string]struct{} // past smallObject names
}

// smallObject is how many names are compared one by one; past it, a map
// of folded names keeps a 64 KiB body of names from costing n².
const smallObject = 64

func (f *membersFrame) add(quoted []byte) error {
	if f.folded != nil {
		name := foldName(unquote(quoted))
		if _, seen := f.folded[name]; seen {
			return duplicateMember(quoted)
		}
		f.folded[name] = struct{}{}
		return nil
	}
	for _, prev := range f.names {
		if sameName(prev, quoted) {
			return duplicateMember(quoted)
		}
	}
	f.names = append(f.names, quoted)
	if len(f.names) > smallObject {
		f.folded = make(map[string]struct{}, 2*len(f.names))
		for _, n := range f.names {
			f.folded[foldName(unquote(n))] = struct{}{}
		}
		f.names = nil
	}
	return nil
}

func duplicateMember(quoted []byte) error {
	return keys.Errorf(keys.Invalid, "invalid JSON body: member %s appears twice in one object (names differing only in case count as the same)", quoteName(unquote(quoted)))
}

// sameName compares two quoted member names as encoding/json matches a
// name to a field.
func sameName(a, b []byte) bool {
	if bytes.IndexByte(a, '\\') < 0 && bytes.IndexByte(b, '\\') < 0 {
		return bytes.EqualFold(a, b)
	}
	return strings.EqualFold(unquote(a), unquote(b))
}

// unquote is a quoted JSON string's value, escapes undone.
func unquote(quoted []byte) string {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return string(quoted[1 : len(quoted)-1])
	}
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return string(quoted) // cannot happen: the body was decoded
	}
	return s
}

// stringEnd is the index just past the JSON string starting at data[i].
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

func endsLiteral(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ',', ':', ']', '}':
		return true
	}
	return false
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
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

func valueKind(rest []byte) string {
	if len(rest) == 0 {
		return "nothing"
	}
	switch rest[0] {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '[':
		return "an array"
	}
	return "a number"
}
