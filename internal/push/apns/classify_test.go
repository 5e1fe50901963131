package apns_test

import (
	"testing"
	"time"

	"github.com/sideshow/apns2"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/apns"
)

func TestClassify(t *testing.T) {
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		status     int
		reason     string
		retryAfter string
		want       push.Outcome
		wantAfter  time.Duration
		wantAuth   bool
	}{
		{200, "", "", push.Accepted, 0, false},
		{410, "Unregistered", "", push.InvalidToken, 0, false},
		{410, "ExpiredToken", "", push.InvalidToken, 0, false},
		{400, "BadDeviceToken", "", push.InvalidToken, 0, false},
		{400, "DeviceTokenNotForTopic", "", push.InvalidToken, 0, false},
		{400, "BadTopic", "", push.Failed, 0, false},
		{400, "BadCollapseId", "", push.Failed, 0, false},
		{413, "PayloadTooLarge", "", push.Failed, 0, false},
		{403, "ExpiredProviderToken", "", push.AuthExpired, 0, true},
		{403, "InvalidProviderToken", "", push.AuthExpired, 0, true},
		{403, "BadCertificate", "", push.AuthExpired, 0, true},
		{429, "TooManyRequests", "30", push.RetryLater, 30 * time.Second, false},
		{429, "TooManyProviderTokenUpdates", "", push.RetryLater, 0, false},
		{500, "InternalServerError", "", push.RetryLater, 0, false},
		{503, "ServiceUnavailable", "5", push.RetryLater, 5 * time.Second, false},
		{405, "MethodNotAllowed", "", push.Failed, 0, false},
	}
	for _, tt := range tests {
		r := &apns2.Response{StatusCode: tt.status, Reason: tt.reason, ApnsID: "5e4f2c2b-9d6e-4d0b-8f6e-1c2a3b4c5d6e"}
		got, auth := apns.Classify(r, tt.retryAfter, now)
		if got.Outcome != tt.want || got.RetryAfter != tt.wantAfter || auth != tt.wantAuth {
			t.Errorf("Classify(%d %s, Retry-After %q) = %v after %v auth %v, want %v after %v auth %v",
				tt.status, tt.reason, tt.retryAfter, got.Outcome, got.RetryAfter, auth, tt.want, tt.wantAfter, tt.wantAuth)
		}
		if tt.want == push.Accepted && got.MessageID != r.ApnsID {
			t.Errorf("Classify(200) message ID %q, want the apns-id", got.MessageID)
		}
	}
}
