package apns

import (
	"time"

	"github.com/sideshow/apns2"

	"github.com/herald-im/herald/internal/push"
)

// Classify exposes classify: the Result and whether the credentials were refused.
func Classify(r *apns2.Response, retryAfter string, now time.Time) (push.Result, bool) {
	v := classify(r, retryAfter, now)
	return v.result, v.auth
}
