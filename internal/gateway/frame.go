package gateway

import (
	"bytes"
	"encoding/json"

	"github.com/herald-im/herald/internal/flatjson"
	"github.com/herald-im/herald/protocol"
)

// A login's frame and request are decoded by hand when they are written plainly
// (flatjson), and by encoding/json otherwise, with the same result either way: the
// envelope and the login request were two reflective decodes, together ~7 % of a
// login's CPU. The errors answered are encoding/json's, from the fallback.

// decodeFrame decodes a request frame into f exactly as json.Unmarshal does.
func decodeFrame(data []byte, f *protocol.Frame) error {
	if fastFrame(data, f) {
		return nil
	}
	*f = protocol.Frame{}
	return json.Unmarshal(data, f)
}

// fastFrame decodes a frame of seq, op and a flat data object by hand, reporting
// whether it did; f may be partly written when it did not.
func fastFrame(data []byte, f *protocol.Frame) bool {
	var seen uint8
	return flatjson.Read(data, func(key []byte, kind flatjson.Kind, v []byte) bool {
		var bit uint8
		ok := false
		switch string(key) {
		case "seq":
			bit = 1
			if kind == flatjson.Number {
				f.Seq, ok = flatjson.Uint(v)
			}
		case "op":
			bit, ok = 2, kind == flatjson.String
			f.Op = string(v)
		case "data":
			bit, ok = 4, kind == flatjson.Object
			f.Data = bytes.Clone(v) // as json.RawMessage keeps a copy
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}

// decodeLogin decodes a login request's data into req as decode does.
func decodeLogin(data []byte, req *protocol.LoginRequest) error {
	if fastLogin(data, req) {
		return nil
	}
	*req = protocol.LoginRequest{}
	return decode(data, req)
}

// fastLogin decodes a login request of plain strings and integers by hand, reporting
// whether it did; req may be partly written when it did not.
func fastLogin(data []byte, req *protocol.LoginRequest) bool {
	var seen uint8
	return flatjson.Read(data, func(key []byte, kind flatjson.Kind, v []byte) bool {
		var bit uint8
		str, ok := kind == flatjson.String, false
		switch string(key) {
		case "sdk_app_id":
			bit = 1
			if kind == flatjson.Number {
				req.SDKAppID, ok = flatjson.Int(v)
			}
		case "user_id":
			bit, ok = 2, str
			req.UserID = string(v)
		case "user_sig":
			bit, ok = 4, str
			req.UserSig = string(v)
		case "platform":
			bit, ok = 8, str
			req.Platform = string(v)
		case "device_id":
			bit, ok = 16, str
			req.DeviceID = string(v)
		case "acked_seq":
			bit = 32
			if kind == flatjson.Number {
				req.AckedSeq, ok = flatjson.Int(v)
			}
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}
