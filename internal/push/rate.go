package push

import "fmt"

// MaxRatePerSecond bounds a certificate's own request rate.
const MaxRatePerSecond = 100_000

// DefaultRate returns the requests per second a node sends through one certificate of
// vendor when the certificate sets none, or 0 for no limit. Only FCM documents a
// quota (600,000 messages a minute per project); the others answer over-rate requests
// with a throttle code that the pipeline backs off on, so Herald sets no lower cap.
func DefaultRate(v Vendor) float64 {
	if v == FCM {
		return 600_000 / 60
	}
	return 0
}

// ValidateRate checks a certificate's RatePerSecond.
func ValidateRate(r float64) error {
	if r < 0 || r > MaxRatePerSecond {
		return fmt.Errorf("rate_per_second: %v; use 0 (the vendor's default) to %d", r, MaxRatePerSecond)
	}
	return nil
}
