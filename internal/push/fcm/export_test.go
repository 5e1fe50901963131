package fcm

import (
	"net/http"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// NewMessage exposes newMessage to the external tests.
var NewMessage = newMessage

// EncodeMessage exposes encodeMessage to the external tests.
var EncodeMessage = encodeMessage

// Classify exposes classify: the Result and whether the access token was refused.
func Classify(status int, h http.Header, body []byte, now time.Time) (push.Result, bool) {
	v := classify(status, h, body, now)
	return v.result, v.auth
}
