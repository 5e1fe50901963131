package gateway

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/herald-im/herald/protocol"
)

var frames = []string{
	`{"seq":1,"op":"login","data":{"sdk_app_id":1400000001,"user_id":"alice","user_sig":"eJw*-_","platform":"Android","device_id":"d-1","acked_seq":7}}`,
	` { "seq" : 2 , "op" : "heartbeat" } `,
	`{"op":"heartbeat","seq":3,"data":{}}`,
	`{"seq":0,"op":""}`,
	`{"seq":-1,"op":"x"}`,
	`{"seq":1.5,"op":"x"}`,
	`{"seq":18446744073709551616,"op":"x"}`,
	`{"seq":"1","op":"x"}`,
	`{"SEQ":1,"Op":"heartbeat"}`,
	`{"seq":1,"seq":2,"op":"x"}`,
	`{"seq":1,"op":"send","data":{"to":"bob","elements":[{"type":"text"}]}}`,
	`{"seq":1,"op":"x","data":null}`,
	`{"seq":1,"op":"x","data":"str"}`,
	`{"seq":1,"op":"x","data":{"a":{"b":1}}}`,
	`{"seq":1,"op":"x","code":5,"message":"m"}`,
	`{"seq":1,"op":"h\u00e9"}`,
	`{"seq":1,"op":"x"} trailing`,
	`{"seq":1,"op":"x",}`,
	`[1]`,
	``,
	`{"seq":1,"op":5}`,
}

var logins = []string{
	`{"sdk_app_id":1400000001,"user_id":"alice","user_sig":"eJw*-_","platform":"Android","device_id":"d-1","acked_seq":7}`,
	`{}`,
	``,
	`{"sdk_app_id":"1","user_id":"a"}`,
	`{"sdk_app_id":1,"user_id":"\u0061"}`,
	`{"user_id":"a","user_id":"b"}`,
	`{"USER_ID":"a"}`,
	`{"user_id":"a","extra":"ignored by json"}`,
	`{"acked_seq":-3,"platform":"iOS"}`,
	`{"acked_seq":9223372036854775808}`,
	`{"user_id":null}`,
	`{"user_id":{"x":1}}`,
	`null`,
	`{"user_id":"a"`,
}

// A frame and a login request decode by hand exactly as with encoding/json, errors
// included.
func TestDecodeFrame_AsJSON(t *testing.T) {
	for _, f := range frames {
		checkFrame(t, []byte(f))
	}
	for _, l := range logins {
		checkLogin(t, []byte(l))
	}
}

// What the SDK and the load generator send is read by hand.
func TestFastFrame_Plain(t *testing.T) {
	var f protocol.Frame
	if !fastFrame([]byte(frames[0]), &f) {
		t.Fatalf("fastFrame(%s) = false, want it read by hand", frames[0])
	}
	var req protocol.LoginRequest
	if !fastLogin(f.Data, &req) || req.UserSig != "eJw*-_" || req.AckedSeq != 7 {
		t.Fatalf("fastLogin(%s) = %+v, want it read by hand", f.Data, req)
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range append(frames, logins...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFrame(t, data)
		checkLogin(t, data)
	})
}

func checkFrame(t *testing.T, data []byte) {
	t.Helper()
	var got, want protocol.Frame
	gotErr := decodeFrame(data, &got)
	wantErr := json.Unmarshal(data, &want)
	if !sameErr(gotErr, wantErr) || !reflect.DeepEqual(got, want) {
		t.Errorf("decodeFrame(%q) = %+v, %v; json.Unmarshal: %+v, %v", data, got, gotErr, want, wantErr)
	}
}

func checkLogin(t *testing.T, data []byte) {
	t.Helper()
	var got, want protocol.LoginRequest
	gotErr := decodeLogin(data, &got)
	wantErr := decode(data, &want)
	if !sameErr(gotErr, wantErr) || !reflect.DeepEqual(got, want) {
		t.Errorf("decodeLogin(%q) = %+v, %v; decode: %+v, %v", data, got, gotErr, want, wantErr)
	}
}

func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Error() == b.Error()
}
