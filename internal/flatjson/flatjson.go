// Package flatjson reads small, flat JSON objects by hand: the hot decodes of a login
// (the request frame, the login request, the UserSig's document), which through
// encoding/json's reflection cost a few microseconds each. It reads only the plain
// form such objects are written in, and says so when an object is not in it; callers
// then decode with encoding/json, which decides, so that what they accept and the
// errors they answer stay exactly encoding/json's.
package flatjson

import "strconv"

// Kind is the kind of a member's value.
type Kind int

// The kinds of values Read takes.
const (
	String Kind = iota // a string of printable ASCII without escapes
	Number             // an integer: an optional minus and digits, no leading zero
	Object             // an object whose values are strings and numbers (only at the top level)
)

// Read calls member for each member of the object j, in order, with the member's key,
// the kind of its value, and the value: a string's content without the quotes, a
// number's text, or an object's text, braces included. It reports whether j is an
// object of the plain form (keys and values as the kinds say, white space anywhere
// JSON allows it, nothing after the object) and member returned true for every member.
// member is called for the members before the first one that is not plain.
func Read(j []byte, member func(key []byte, kind Kind, value []byte) bool) bool {
	r := reader{b: j}
	if !r.object(true, member) {
		return false
	}
	r.space()
	return r.i == len(r.b)
}

// Int returns v, a Number, as an int64, reporting whether it fits (0 if not).
func Int(v []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// Uint returns v, a Number, as a uint64, reporting whether it is not negative and fits
// (0 if not).
func Uint(v []byte) (uint64, bool) {
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

type reader struct {
	b []byte
	i int
}

func (r *reader) space() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *reader) byte(c byte) bool {
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// object reads an object; nested says its values may be objects themselves.
func (r *reader) object(nested bool, member func(key []byte, kind Kind, value []byte) bool) bool {
	r.space()
	if !r.byte('{') {
		return false
	}
	r.space()
	if r.byte('}') {
		return true
	}
	for {
		r.space()
		key, ok := r.str()
		if !ok {
			return false
		}
		r.space()
		if !r.byte(':') {
			return false
		}
		r.space()
		var kind Kind
		var value []byte
		switch {
		case r.i >= len(r.b):
			return false
		case r.b[r.i] == '"':
			kind = String
			value, ok = r.str()
		case r.b[r.i] == '{' && nested:
			start := r.i
			kind, ok = Object, r.object(false, nil)
			value = r.b[start:r.i]
		default:
			kind = Number
			value, ok = r.number()
		}
		if !ok || member != nil && !member(key, kind, value) {
			return false
		}
		r.space()
		if r.byte('}') {
			return true
		}
		if !r.byte(',') {
			return false
		}
	}
}

// str reads a string of printable ASCII without escapes and returns its content.
func (r *reader) str() ([]byte, bool) {
	if !r.byte('"') {
		return nil, false
	}
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			s := r.b[start:r.i]
			r.i++
			return s, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
		r.i++
	}
	return nil, false
}

// number reads an integer in JSON's syntax and returns its text.
func (r *reader) number() ([]byte, bool) {
	start := r.i
	r.byte('-')
	digits := r.i
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
	}
	n := r.i - digits
	if n == 0 || n > 1 && r.b[digits] == '0' {
		return nil, false
	}
	if r.i < len(r.b) && (r.b[r.i] == '.' || r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		return nil, false
	}
	return r.b[start:r.i], true
}
