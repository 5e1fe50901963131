package push

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// ErrInvalidClickAction is returned (wrapped) by ClickAction.Validate.
var ErrInvalidClickAction = errors.New("push: invalid click action")

// activityClass matches a Java class name such as com.example.chat.MainActivity.
var activityClass = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)+$`)

// IsActivityClass reports whether s is a fully qualified Java class name such as
// com.example.chat.MainActivity, as an Android activity or badge class must be.
func IsActivityClass(s string) bool { return activityClass.MatchString(s) }

// Validate checks the click action for vendor v: an in-app page is an Android intent URI
// (intent://…#Intent;…;end) for Xiaomi, Huawei, Honor and vivo and an activity class name
// for OPPO and Meizu; a URL must be http or https; FCM and APNs only open the app.
func (c ClickAction) Validate(v Vendor) error {
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
		u, err := url.Parse(c.Target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: %q is not an http(s) URL", ErrInvalidClickAction, c.Target)
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
			if _, err := ParseIntentURI(c.Target); err != nil {
				return fmt.Errorf("%w: %w", ErrInvalidClickAction, err)
			}
			return nil
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
