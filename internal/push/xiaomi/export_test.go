package xiaomi

import "github.com/herald-im/herald/internal/push"

// Classify exposes the pure classification to the external tests; UntilBeijingMidnight is
// push.UntilChinaMidnight, which sets the quota reset xiaomi reports.
var (
	Classify             = classify
	UntilBeijingMidnight = push.UntilChinaMidnight
)
