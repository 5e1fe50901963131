package auth

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// unmarshalSigDoc decodes a UserSig's JSON document into d exactly as json.Unmarshal
// does. Documents as signers write them (a flat object of the TLS keys, plain ASCII
// strings, integers) are read by hand, which costs a fraction of encoding/json's
// reflection (decoding the document was half of VerifyUserSig); anything else (an
// escape, a key spelled otherwise, a repeated key, null, a fraction, an unknown key)
// goes to json.Unmarshal.
func unmarshalSigDoc(j []byte, d *SigDoc) error {
	if fastSigDoc(j, d) {
		return nil
	}
	*d = SigDoc{}
	return json.Unmarshal(j, d)
}

// fastSigDoc decodes j into d if j is a document it reads by hand, reporting whether it
// did; d may be partly written when it did not.
func fastSigDoc(j []byte, d *SigDoc) bool {
	p := sigParser{b: j}
	p.space()
	if !p.byte('{') {
		return false
	}
	var seen uint8
	p.space()
	if p.byte('}') {
		return p.end()
	}
	for {
		p.space()
		key, ok := p.str()
		if !ok {
			return false
		}
		p.space()
		if !p.byte(':') {
			return false
		}
		p.space()
		var bit uint8
		switch string(key) {
		case "TLS.ver":
			bit, ok = 1, p.strField(&d.Version)
		case "TLS.identifier":
			bit, ok = 2, p.strField(&d.Identifier)
		case "TLS.sdkappid":
			bit, ok = 4, p.intField(&d.SDKAppID)
		case "TLS.time":
			bit, ok = 8, p.intField(&d.Time)
		case "TLS.expire":
			bit, ok = 16, p.intField(&d.Expire)
		case "TLS.userbuf":
			bit, ok = 32, p.bytesField(&d.UserBuf)
		case "TLS.sig":
			bit, ok = 64, p.bytesField(&d.Sig)
		default:
			return false
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		p.space()
		if p.byte('}') {
			return p.end()
		}
		if !p.byte(',') {
			return false
		}
	}
}

// sigParser reads a JSON document from b, front to back.
type sigParser struct {
	b []byte
	i int
}

func (p *sigParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *sigParser) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (p *sigParser) end() bool {
	p.space()
	return p.i == len(p.b)
}

// str reads a string of printable ASCII without escapes, returning its content.
func (p *sigParser) str() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return s, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

func (p *sigParser) strField(v *string) bool {
	s, ok := p.str()
	if ok {
		*v = string(s)
	}
	return ok
}

// intField reads an integer in JSON's syntax (no fraction or exponent) that fits v.
func (p *sigParser) intField(v *int64) bool {
	start := p.i
	p.byte('-')
	digits := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	n := p.i - digits
	if n == 0 || n > 1 && p.b[digits] == '0' {
		return false
	}
	if p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return false
	}
	x, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
	if err != nil {
		return false
	}
	*v = x
	return true
}

// bytesField reads a string of standard base64, as json.Unmarshal decodes a []byte.
func (p *sigParser) bytesField(v *[]byte) bool {
	s, ok := p.str()
	if !ok {
		return false
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(b, s)
	if err != nil {
		return false
	}
	*v = b[:n]
	return true
}
