package push

import "time"

// ChinaTime is China Standard Time (UTC+8, no daylight saving), the zone in which the
// Chinese vendors (Xiaomi, OPPO, vivo, Meizu) reset their daily quotas.
var ChinaTime = time.FixedZone("CST", 8*60*60)

// UntilChinaMidnight returns how long it is from now to the next midnight in ChinaTime,
// when the Chinese vendors' daily quotas reset: the RetryAfter of a QuotaExceeded result.
// At midnight exactly it returns 24 hours.
func UntilChinaMidnight(now time.Time) time.Duration {
	t := now.In(ChinaTime)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, ChinaTime).Sub(now)
}
