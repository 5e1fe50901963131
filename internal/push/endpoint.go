package push

import (
	"fmt"
	"net/url"
	"strings"
)

// BaseURL returns u, or def when u is empty, without a trailing slash, so that a path can
// be appended. Senders pass an Endpoint field and their vendor's real host.
func BaseURL(u, def string) string {
	if u == "" {
		u = def
	}
	return strings.TrimSuffix(u, "/")
}

// Validate returns an error naming the field when SendURL or AuthURL is set but is not an
// absolute http or https URL with a host. Empty fields are valid: they mean the vendor's
// real hosts. Senders wrap the error in their own invalid-certificate error.
func (e Endpoint) Validate() error {
	for _, f := range [...]struct{ name, u string }{{"Endpoint.SendURL", e.SendURL}, {"Endpoint.AuthURL", e.AuthURL}} {
		if f.u == "" {
			continue
		}
		if p, err := url.Parse(f.u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return fmt.Errorf("%s %q is not an absolute http(s) URL", f.name, f.u)
		}
	}
	return nil
}
