package vivo

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// The paths, limits and signature below are re-derived from vendors.md §7 alone, never
// taken from the sender (internal/push/vivo): a mistake there must not be agreed with here.
const (
	PathAuth            = "/message/auth"            // §7.1
	PathSend            = "/message/send"            // §7.2
	PathSaveListPayload = "/message/saveListPayload" // §7.3 step 1
	PathPushToList      = "/message/pushToList"      // §7.3 step 2

	TokenLifetime      = 24 * time.Hour // §7.1 "authToken is valid for 1 day"
	MaxTitle           = 40             // §7.2 title ≤ 40 chars
	MaxContent         = 100            // §7.2 content ≤ 100 chars
	MaxSkipContent     = 1024           // §7.2 skipContent ≤ 1024 chars
	MaxClientCustomMap = 1024           // §7.2 clientCustomMap total ≤ 1024 chars
	MaxRequestID       = 64             // §7.2 requestId ≤ 64 chars
	MinTTL             = 60 * time.Second
	MaxTTL             = 24 * time.Hour // §7.2 timeToLive ≥ 60 s, ≤ 1 day
	MaxNotifyID        = 2147483647     // §7.2 notifyId 1..2147483647
	// MaxRegIDs is unconfirmed in §7.3; clients chunk at 1000, so the simulator enforces that.
	MaxRegIDs = 1000
)

// Sign is vivo's auth signature (§7.1): the lowercase hex MD5 of the trimmed
// concatenation appId + appKey + timestamp + appSecret.
func Sign(appID, appKey string, timestampMS int64, appSecret string) string {
	s := strings.TrimSpace(appID + appKey + strconv.FormatInt(timestampMS, 10) + appSecret)
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
