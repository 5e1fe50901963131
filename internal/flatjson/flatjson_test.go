package flatjson_test

import (
	"fmt"
	"testing"

	"github.com/herald-im/herald/internal/flatjson"
)

func TestRead(t *testing.T) {
	for _, tt := range []struct {
		in   string
		ok   bool
		want string // the members read, as key kind value
	}{
		{`{}`, true, ``},
		{` {"a" : "x" , "b":-12, "c":{"d":0,"e":"y"}} `, true, `a 0 x|b 1 -12|c 2 {"d":0,"e":"y"}|`},
		{`{"a":"x"}x`, false, `a 0 x|`},
		{`{"a":"x",}`, false, `a 0 x|`},
		{`{"a":"\n"}`, false, ``},
		{`{"a":"é"}`, false, ``},
		{`{"a":01}`, false, ``},
		{`{"a":1.5}`, false, ``},
		{`{"a":-}`, false, ``},
		{`{"a":null}`, false, ``},
		{`{"a":{"b":{}}}`, false, ``},
		{`{"a":[1]}`, false, ``},
		{`[]`, false, ``},
		{``, false, ``},
		{`{"a":"x"`, false, `a 0 x|`},
	} {
		got := ""
		ok := flatjson.Read([]byte(tt.in), func(key []byte, kind flatjson.Kind, v []byte) bool {
			got += fmt.Sprintf("%s %d %s|", key, kind, v)
			return true
		})
		if ok != tt.ok || got != tt.want {
			t.Errorf("Read(%q) = %v, members %q; want %v, %q", tt.in, ok, got, tt.ok, tt.want)
		}
	}
}

func TestRead_MemberStops(t *testing.T) {
	n := 0
	ok := flatjson.Read([]byte(`{"a":1,"b":2}`), func([]byte, flatjson.Kind, []byte) bool { n++; return false })
	if ok || n != 1 {
		t.Errorf("Read with a member refusing = %v after %d members, want false after 1", ok, n)
	}
}

func TestInt(t *testing.T) {
	for _, tt := range []struct {
		in  string
		i   int64
		iok bool
		u   uint64
		uok bool
	}{
		{"0", 0, true, 0, true},
		{"-7", -7, true, 0, false},
		{"9223372036854775808", 0, false, 9223372036854775808, true},
		{"18446744073709551616", 0, false, 0, false},
	} {
		i, iok := flatjson.Int([]byte(tt.in))
		u, uok := flatjson.Uint([]byte(tt.in))
		if i != tt.i || iok != tt.iok || u != tt.u || uok != tt.uok {
			t.Errorf("Int/Uint(%s) = %d %v / %d %v, want %d %v / %d %v", tt.in, i, iok, u, uok, tt.i, tt.iok, tt.u, tt.uok)
		}
	}
}
