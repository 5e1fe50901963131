package fcm_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/fcm"
)

func TestNewMessage(t *testing.T) {
	c := &push.Certificate{PackageName: "com.example.chat"}
	tests := []struct {
		name string
		n    push.Notification
		want string
	}{
		{"Minimal", push.Notification{Title: "t", Body: "b"},
			`{"notification":{"title":"t","body":"b"},"android":{"priority":"HIGH","restricted_package_name":"com.example.chat"}}`},
		{"NormalPriorityTTLRoundedUp", push.Notification{Title: "t", Priority: push.Normal, TTL: 1500 * time.Millisecond},
			`{"notification":{"title":"t"},"android":{"priority":"NORMAL","ttl":"2s","restricted_package_name":"com.example.chat"}}`},
		{"NotifyIDAsTag", push.Notification{Body: "b", NotifyID: 42},
			`{"notification":{"body":"b"},"android":{"collapse_key":"42","priority":"HIGH","restricted_package_name":"com.example.chat","notification":{"tag":"42"}}}`},
		{"ExtAsData", push.Notification{Body: "b", Ext: `{"a":1}`, Badge: new(int)},
			`{"notification":{"body":"b"},"data":{"ext":"{\"a\":1}"},"android":{"priority":"HIGH","restricted_package_name":"com.example.chat","notification":{"notification_count":0}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(fcm.NewMessage(c, &tt.n))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("NewMessage(%+v)\n got %s\nwant %s", tt.n, got, tt.want)
			}
		})
	}
}

func TestEncodeMessage(t *testing.T) {
	c := &push.Certificate{}
	b, err := fcm.EncodeMessage(c, &push.Notification{Title: "t", Body: strings.Repeat("\"é", 2000)})
	if err != nil || len(b) > fcm.MaxPayloadBytes {
		t.Errorf("escaped long body: %d bytes, %v; want it shortened to fit", len(b), err)
	}
	if _, err := fcm.EncodeMessage(c, &push.Notification{Title: "t", Ext: strings.Repeat("x", 4096)}); err == nil {
		t.Error("huge ext: no error, want payload too large")
	}
}

func TestClassify(t *testing.T) {
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	fcmErr := func(status int, rpc, code, msg string) string {
		return `{"error":{"code":` + strconv.Itoa(status) + `,"message":"` + msg + `","status":"` + rpc +
			`","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"` + code + `"}]}}`
	}
	tests := []struct {
		name       string
		status     int
		retryAfter string
		body       string
		want       push.Outcome
		wantAfter  time.Duration
		wantAuth   bool
	}{
		{"Accepted", 200, "", `{"name":"projects/p/messages/0:1%ab"}`, push.Accepted, 0, false},
		{"Unregistered", 404, "", fcmErr(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found."), push.InvalidToken, 0, false},
		{"SenderIDMismatch", 403, "", fcmErr(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "SenderId mismatch"), push.InvalidToken, 0, false},
		{"InvalidTokenMessage", 400, "", fcmErr(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token"), push.InvalidToken, 0, false},
		{"InvalidTokenField", 400, "", `{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"message.token","description":"bad"}]}]}}`, push.InvalidToken, 0, false},
		{"InvalidArgumentOther", 400, "", fcmErr(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "Invalid value at 'message.android.ttl'"), push.Failed, 0, false},
		{"Quota", 429, "", fcmErr(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "quota"), push.QuotaExceeded, time.Minute, false},
		{"QuotaRetryAfter", 429, "120", fcmErr(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "quota"), push.QuotaExceeded, 2 * time.Minute, false},
		{"Unavailable", 503, "5", fcmErr(503, "UNAVAILABLE", "UNAVAILABLE", "overloaded"), push.RetryLater, 5 * time.Second, false},
		{"Internal", 500, "", fcmErr(500, "INTERNAL", "INTERNAL", "internal"), push.RetryLater, 0, false},
		{"BareBadGateway", 502, "", `<html>bad gateway</html>`, push.RetryLater, 0, false},
		{"ThirdPartyAuth", 401, "", fcmErr(401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR", "apns"), push.Failed, 0, false},
		{"Unauthenticated", 401, "", `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`, push.AuthExpired, 0, true},
		{"PermissionDenied", 403, "", `{"error":{"code":403,"message":"Permission denied","status":"PERMISSION_DENIED"}}`, push.AuthExpired, 0, true},
		{"Bare401", 401, "", ``, push.AuthExpired, 0, true},
		{"UnknownCode", 400, "", fcmErr(400, "FAILED_PRECONDITION", "UNSPECIFIED_ERROR", "?"), push.Failed, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			got, auth := fcm.Classify(tt.status, h, []byte(tt.body), now)
			if got.Outcome != tt.want || got.RetryAfter != tt.wantAfter || auth != tt.wantAuth {
				t.Errorf("Classify(%d, %s) = %v after %v auth %v (%s), want %v after %v auth %v",
					tt.status, tt.body, got.Outcome, got.RetryAfter, auth, got.Reason, tt.want, tt.wantAfter, tt.wantAuth)
			}
			if tt.want != push.Accepted && got.Reason == "" {
				t.Error("empty reason")
			}
		})
	}
}
