package auth

import (
	"encoding/json"
	"reflect"
	"testing"
)

// sigDocs are documents the hand-reader takes and documents it must leave to
// encoding/json, which decides for both.
var sigDocs = []string{
	`{"TLS.ver":"2.0","TLS.identifier":"alice","TLS.sdkappid":1400000001,"TLS.expire":86400,"TLS.time":1700000000,"TLS.sig":"c2lnbmF0dXJl"}`,
	` { "TLS.ver" : "2.0" , "TLS.identifier" : "a_b-c" , "TLS.sdkappid" : 1 , "TLS.time" : -5 , "TLS.expire" : 0 ,
	  "TLS.userbuf" : "AAEC" , "TLS.sig" : "" } `,
	`{}`,
	`{"TLS.identifier":"x"}`,
	`{"tls.identifier":"lower case, matched by json"}`,
	`{"TLS.identifier":"a","TLS.identifier":"b"}`,
	`{"TLS.identifier":"esc\u0061ped"}`,
	`{"TLS.identifier":"h\u00e9","TLS.sig":"AA=="}`,
	"{\"TLS.identifier\":\"h\xc3\xa9\"}",
	"{\"TLS.identifier\":\"bad \xff utf-8\"}",
	`{"TLS.sdkappid":1.5}`,
	`{"TLS.sdkappid":1e3}`,
	`{"TLS.sdkappid":01}`,
	`{"TLS.sdkappid":-}`,
	`{"TLS.sdkappid":"1"}`,
	`{"TLS.sdkappid":99999999999999999999}`,
	`{"TLS.sdkappid":null,"TLS.sig":null}`,
	`{"TLS.sig":"not base64!"}`,
	`{"TLS.sig":"AA==\r\n"}`,
	`{"TLS.sig":"QUJD"}x`,
	`{"TLS.sig":"QUJD",}`,
	`{"other":{"nested":[1,2]},"TLS.identifier":"y"}`,
	`[]`,
	``,
	`{"TLS.identifier":"unterminated}`,
	`{"TLS.time":12abc}`,
}

// The hand-reader decodes exactly what json.Unmarshal decodes, and fails exactly when
// it fails.
func TestUnmarshalSigDoc_AsJSON(t *testing.T) {
	for _, doc := range sigDocs {
		checkSigDoc(t, []byte(doc))
	}
}

func FuzzUnmarshalSigDoc(f *testing.F) {
	for _, doc := range sigDocs {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, j []byte) { checkSigDoc(t, j) })
}

func checkSigDoc(t *testing.T, j []byte) {
	t.Helper()
	var got, want SigDoc
	gotErr := unmarshalSigDoc(j, &got)
	wantErr := json.Unmarshal(j, &want)
	if (gotErr == nil) != (wantErr == nil) || gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Errorf("unmarshalSigDoc(%q) = %+v, %v; json.Unmarshal: %+v, %v", j, got, gotErr, want, wantErr)
	}
}

// The documents GenUserSig writes are the ones read by hand.
func TestFastSigDoc_Generated(t *testing.T) {
	for _, buf := range [][]byte{nil, []byte("room rights")} {
		d := SigDoc{Version: SigVersion, Identifier: "alice", SDKAppID: 1400000001, Time: 1700000000, Expire: 86400,
			UserBuf: buf, Sig: []byte("0123456789abcdef0123456789abcdef")}
		j, err := json.Marshal(&d)
		if err != nil {
			t.Fatal(err)
		}
		var got SigDoc
		if !fastSigDoc(j, &got) || !reflect.DeepEqual(got, d) {
			t.Errorf("fastSigDoc(%s) = %+v, want it read by hand as %+v", j, got, d)
		}
	}
}
