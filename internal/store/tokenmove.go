package store

import "time"

// TokenMovePolicy says when a vendor token may leave the device that holds it for
// another device that reports it.
type TokenMovePolicy string

const (
	// TokenMovesFree moves a token to whichever device reports it last, as the
	// commercial SDK does (a phone's new user takes its token). The default ("").
	TokenMovesFree TokenMovePolicy = ""
	// TokenMovesAfterLogout moves a token only from a holder that is the same device ID
	// and has logged out there: another logged-in user's token cannot be taken.
	TokenMovesAfterLogout TokenMovePolicy = "after_logout"
)

// TokenMove records a vendor token leaving one device for another.
type TokenMove struct {
	ID            int64
	SDKAppID      int64
	CertificateID int64
	Token         string // redacted (a prefix), never the whole token
	FromUser      string
	FromDevice    string
	ToUser        string
	ToDevice      string
	CreatedAt     time.Time
}

// TokenMoveFilter selects the moves of one app to or from a user, newest first.
type TokenMoveFilter struct {
	SDKAppID int64
	UserID   string     // moves to or from this user
	ToUser   bool       // only moves to UserID
	Since    *time.Time // only moves at or after Since
	Limit    int        // 0: 100
}
