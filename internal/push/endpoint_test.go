package push_test

import (
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/push"
)

func TestBaseURL(t *testing.T) {
	for _, tt := range []struct{ u, def, want string }{
		{"", "https://vendor.example", "https://vendor.example"},
		{"http://127.0.0.1:8080", "https://vendor.example", "http://127.0.0.1:8080"},
		{"http://127.0.0.1:8080/", "https://vendor.example", "http://127.0.0.1:8080"},
		{"http://gw.example/push/", "https://vendor.example", "http://gw.example/push"},
		{"", "https://vendor.example/", "https://vendor.example"},
	} {
		if got := push.BaseURL(tt.u, tt.def); got != tt.want {
			t.Errorf("BaseURL(%q, %q) = %q, want %q", tt.u, tt.def, got, tt.want)
		}
	}
}

func TestEndpoint_Validate(t *testing.T) {
	for _, tt := range []struct {
		name  string
		e     push.Endpoint
		field string // named in the error; "" for no error
	}{
		{"OK", push.Endpoint{SendURL: "https://127.0.0.1:8443", AuthURL: "http://auth.example/prefix"}, ""},
		{"OKEmpty", push.Endpoint{}, ""},
		{"ErrSendURLNoScheme", push.Endpoint{SendURL: "localhost:80"}, "Endpoint.SendURL"},
		{"ErrSendURLScheme", push.Endpoint{SendURL: "ftp://x"}, "Endpoint.SendURL"},
		{"ErrAuthURLRelative", push.Endpoint{AuthURL: "iam"}, "Endpoint.AuthURL"},
		{"ErrAuthURLNoHost", push.Endpoint{SendURL: "https://ok.example", AuthURL: "https://"}, "Endpoint.AuthURL"},
		{"ErrBothSendURLFirst", push.Endpoint{SendURL: "x", AuthURL: "y"}, "Endpoint.SendURL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.e.Validate()
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("%+v.Validate() = %v, want nil", tt.e, err)
			case tt.field != "" && (err == nil || !strings.Contains(err.Error(), tt.field)):
				t.Errorf("%+v.Validate() = %v, want an error naming %s", tt.e, err, tt.field)
			}
		})
	}
}
