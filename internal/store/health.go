package store

import "time"

// CertificateOutcome is what a certificate's recent push records say of its vendor:
// when it last accepted a push and the last error it answered.
type CertificateOutcome struct {
	CertificateID int64
	LastSuccess   time.Time // zero: no accepted push in the window
	// LastError is the time, outcome and reason of the newest record answered with
	// invalid_token, retry_later, auth_expired, quota_exceeded, failed or expired;
	// zero time: none.
	LastError        time.Time
	LastErrorOutcome string
	LastErrorReason  string
}
