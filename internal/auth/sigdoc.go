package auth

import (
	"encoding/base64"
	"encoding/json"

	"github.com/herald-im/herald/internal/flatjson"
)

// unmarshalSigDoc decodes a UserSig's JSON document into d exactly as json.Unmarshal
// does. Documents as signers write them (a flat object of the TLS keys, plain ASCII
// strings, integers) are read by hand (flatjson), which costs a fraction of
// encoding/json's reflection; anything else (an escape, a key spelled otherwise, a
// repeated key, null, a fraction, an unknown key) goes to json.Unmarshal.
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
	var seen uint8
	return flatjson.Read(j, func(key []byte, kind flatjson.Kind, v []byte) bool {
		var bit uint8
		ok := false
		switch string(key) {
		case "TLS.ver":
			bit, ok = 1, kind == flatjson.String
			d.Version = string(v)
		case "TLS.identifier":
			bit, ok = 2, kind == flatjson.String
			d.Identifier = string(v)
		case "TLS.sdkappid":
			bit = 4
			d.SDKAppID, ok = intValue(kind, v)
		case "TLS.time":
			bit = 8
			d.Time, ok = intValue(kind, v)
		case "TLS.expire":
			bit = 16
			d.Expire, ok = intValue(kind, v)
		case "TLS.userbuf":
			bit = 32
			d.UserBuf, ok = bytesValue(kind, v)
		case "TLS.sig":
			bit = 64
			d.Sig, ok = bytesValue(kind, v)
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}

func intValue(kind flatjson.Kind, v []byte) (int64, bool) {
	if kind != flatjson.Number {
		return 0, false
	}
	return flatjson.Int(v)
}

// bytesValue decodes a string of standard base64, as json.Unmarshal decodes a []byte.
func bytesValue(kind flatjson.Kind, v []byte) ([]byte, bool) {
	if kind != flatjson.String {
		return nil, false
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(v)))
	n, err := base64.StdEncoding.Decode(b, v)
	if err != nil {
		return nil, false
	}
	return b[:n], true
}
