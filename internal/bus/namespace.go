package bus

import (
	"fmt"
	"regexp"
	"strings"
)

// validNamespace is what a namespace may be: it goes into subjects and stream names.
var validNamespace = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// CheckNamespace reports whether ns can name a deployment's subjects and streams.
func CheckNamespace(ns string) error {
	if !validNamespace.MatchString(ns) {
		return fmt.Errorf("bus: namespace %q: use 1-32 letters, digits, _ or -", ns)
	}
	return nil
}

// Namespace returns the deployment namespace of b's subjects and streams, "" for none.
func (b *Bus) Namespace() string { return b.namespace }

// Subject returns subject (which starts with SubjectPrefix) in b's namespace:
// "herald.<namespace>.<rest>". Publish and Subscribe apply it themselves; JetStream
// publishers call it. Two deployments on one NATS never see each other's subjects.
func (b *Bus) Subject(subject string) string {
	if b.namespace == "" {
		return subject
	}
	rest, ok := strings.CutPrefix(subject, SubjectPrefix+".")
	if !ok {
		return subject
	}
	return SubjectPrefix + "." + b.namespace + "." + rest
}

// StreamName returns the JetStream stream name for name in b's namespace,
// "<name>_<namespace>".
func (b *Bus) StreamName(name string) string {
	if b.namespace == "" {
		return name
	}
	return name + "_" + b.namespace
}
