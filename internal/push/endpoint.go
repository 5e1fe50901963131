package push

import "strings"

// BaseURL returns u, or def when u is empty, without a trailing slash, so that a path can
// be appended. Senders pass an Endpoint field and their vendor's real host.
func BaseURL(u, def string) string {
	if u == "" {
		u = def
	}
	return strings.TrimSuffix(u, "/")
}
