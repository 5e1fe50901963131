package push

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// ErrInvalidClickAction is returned (wrapped) by ClickAction.Validate.
var ErrInvalidClickAction = errors.New("push: invalid click action")

// activityClass matches a Java class name such as com.example.chat.MainActivity.
var activityClass = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)+$`)

// IsActivityClass reports whether s is a fully qualified Java class name such as
// com.example.chat.MainActivity, as an Android activity or badge class must be.
func IsActivityClass(s string) bool { return activityClass.MatchString(s) }

// MaxClickTarget bounds a click action's target (intent URI, class name or URL).
const MaxClickTarget = 1024

// unsafeSchemes run code or read local data when a phone opens them: never a click
// target, an intent's scheme or its browser fallback.
var unsafeSchemes = map[string]bool{
	"javascript": true, "vbscript": true, "data": true, "file": true, "content": true, "about": true, "blob": true,
}

// schemeName matches an RFC 3986 scheme.
var schemeName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// ValidateFor is Validate plus the checks that need the app's Android package name pkg
// (empty: skipped): an intent URI may name only pkg in its component and package.
func (c ClickAction) ValidateFor(v Vendor, pkg string) error {
	if err := c.Validate(v); err != nil {
		return err
	}
	if c.Type != ClickOpenPage || pkg == "" {
		return nil
	}
	switch v {
	case Xiaomi, Huawei, Honor, Vivo:
	default:
		return nil
	}
	u, _ := ParseIntentURI(c.Target)
	if p, ok := u.Extras["package"]; ok && p != pkg {
		return fmt.Errorf("%w: the intent's package %q is not the app's %q", ErrInvalidClickAction, p, pkg)
	}
	if comp, ok := u.Extras["component"]; ok {
		if p, _, _ := strings.Cut(comp, "/"); p != pkg {
			return fmt.Errorf("%w: the intent's component %q is not in the app's package %q", ErrInvalidClickAction, comp, pkg)
		}
	}
	return nil
}

// checkURL (its error unwrapped: callers add ErrInvalidClickAction) refuses anything but an absolute http(s) URL without user:pass@.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	if u.User != nil {
		return errors.New("the URL must not carry user:password@")
	}
	return nil
}

// checkIntent refuses an intent URI whose scheme or browser fallback is unsafe.
func checkIntent(u IntentURI) error {
	if sc, ok := u.Extras["scheme"]; ok && (!schemeName.MatchString(sc) || unsafeSchemes[strings.ToLower(sc)]) {
		return fmt.Errorf("%w: the intent's scheme %q is not allowed", ErrInvalidClickAction, sc)
	}
	if fb, ok := u.Extras["S.browser_fallback_url"]; ok {
		dec, err := url.QueryUnescape(fb)
		if err != nil {
			return fmt.Errorf("%w: the intent's S.browser_fallback_url is not URL-encoded", ErrInvalidClickAction)
		}
		if err := checkURL(dec); err != nil {
			return fmt.Errorf("%w: S.browser_fallback_url: %w", ErrInvalidClickAction, err)
		}
	}
	return nil
}

// Validate checks the click action for vendor v: an in-app page is an Android intent URI
// (intent://…#Intent;…;end) for Xiaomi, Huawei, Honor and vivo and an activity class name
// for OPPO and Meizu; a URL must be http or https, without user:pass@; FCM and APNs only
// open the app. A target is at most MaxClickTarget bytes of printable text, and an
// intent's scheme and browser fallback must not be javascript:, file: or the like.
func (c ClickAction) Validate(v Vendor) error {
	if len(c.Target) > MaxClickTarget {
		return fmt.Errorf("%w: the target is longer than %d bytes", ErrInvalidClickAction, MaxClickTarget)
	}
	for _, r := range c.Target {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return fmt.Errorf("%w: the target holds a control character or invalid UTF-8", ErrInvalidClickAction)
		}
	}
	switch c.Type {
	case "", ClickOpenApp:
		if c.Target != "" {
			return fmt.Errorf("%w: open_app takes no target", ErrInvalidClickAction)
		}
		return nil
	case ClickOpenURL:
		if v == FCM || v == APNs {
			return fmt.Errorf("%w: %s opens the app only", ErrInvalidClickAction, v)
		}
		if err := checkURL(c.Target); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidClickAction, err)
		}
		return nil
	case ClickOpenPage:
		switch v {
		case OPPO, Meizu:
			if !activityClass.MatchString(c.Target) {
				return fmt.Errorf("%w: %q is not an activity class name (com.example.MainActivity)", ErrInvalidClickAction, c.Target)
			}
			return nil
		case Xiaomi, Huawei, Honor, Vivo:
			u, err := ParseIntentURI(c.Target)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrInvalidClickAction, err)
			}
			return checkIntent(u)
		default:
			return fmt.Errorf("%w: %s opens the app only", ErrInvalidClickAction, v)
		}
	default:
		return fmt.Errorf("%w: unknown type %q", ErrInvalidClickAction, c.Type)
	}
}

// IntentURI is a parsed Android intent URI: intent://host/path#Intent;k=v;…;end.
type IntentURI struct {
	HostPath string            // what follows intent:// and precedes #Intent
	Extras   map[string]string // the ;key=value; pairs (scheme, component, launchFlags, S.x…)
}

// ParseIntentURI parses an Android intent URI as Intent.toUri(URI_INTENT_SCHEME) writes
// it. It requires the intent:// prefix, the #Intent; marker and the closing ;end.
func ParseIntentURI(s string) (IntentURI, error) {
	const prefix, marker, suffix = "intent://", "#Intent;", ";end"
	if !strings.HasPrefix(s, prefix) {
		return IntentURI{}, fmt.Errorf("intent URI %q must start with intent://", s)
	}
	i := strings.Index(s, marker)
	if i < 0 {
		return IntentURI{}, fmt.Errorf("intent URI %q lacks #Intent;", s)
	}
	if !strings.HasSuffix(s, suffix) && !strings.HasSuffix(s, ";end;") {
		return IntentURI{}, fmt.Errorf("intent URI %q must end with ;end", s)
	}
	body := strings.TrimSuffix(strings.TrimSuffix(s[i+len(marker):], ";"), "end")
	u := IntentURI{HostPath: s[len(prefix):i], Extras: map[string]string{}}
	for _, kv := range strings.Split(body, ";") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return IntentURI{}, fmt.Errorf("intent URI %q has a malformed part %q", s, kv)
		}
		u.Extras[k] = v
	}
	return u, nil
}
