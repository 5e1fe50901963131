package store

import "time"

// WebhookDelivery is one request to an app's callback URL, for the delivery log.
type WebhookDelivery struct {
	ID       int64
	SDKAppID int64
	Command  string // the callback command, e.g. Push.OfflinePush
	Events   int    // events in the request
	// Result is "delivered" (2xx), "retry" (the events go again later), "given_up"
	// (retries exhausted) or "failed" (a 4xx answer: not retried).
	Result     string
	HTTPStatus int    // 0 when the server did not answer
	Error      string // why it failed, without the URL; "" when delivered
	Duration   time.Duration
	CreatedAt  time.Time
}
