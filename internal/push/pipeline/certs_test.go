package pipeline

import (
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/herald-im/herald/internal/push"
)

func TestCertCache_Limiter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pipeline float64 // the pipeline's Rate
		cert     push.Certificate
		want     rate.Limit
	}{
		{"APNs default: no cap", 0, push.Certificate{ID: 1, Vendor: push.APNs}, rate.Inf},
		{"Xiaomi default: no cap", 0, push.Certificate{ID: 2, Vendor: push.Xiaomi}, rate.Inf},
		{"FCM default: its quota", 0, push.Certificate{ID: 3, Vendor: push.FCM}, 10_000},
		{"the certificate's own", 0, push.Certificate{ID: 4, Vendor: push.APNs, RatePerSecond: 1500}, 1500},
		{"the pipeline's for all", 300, push.Certificate{ID: 5, Vendor: push.APNs}, 300},
		{"the certificate's over the pipeline's", 300, push.Certificate{ID: 6, Vendor: push.APNs, RatePerSecond: 50}, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCertCache(nil, tc.pipeline, time.Now)
			if got := c.limiter(&tc.cert).Limit(); got != tc.want {
				t.Errorf("limit %v; want %v", got, tc.want)
			}
		})
	}
	// A changed rate replaces the limiter.
	c := newCertCache(nil, 0, time.Now)
	cert := push.Certificate{ID: 7, Vendor: push.OPPO, RatePerSecond: 10}
	c.limiter(&cert)
	cert.RatePerSecond = 20
	if got := c.limiter(&cert).Limit(); got != 20 {
		t.Errorf("limit after the change %v; want 20", got)
	}
}
