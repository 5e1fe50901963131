package app

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/apns"
	"github.com/herald-im/herald/internal/push/fcm"
	"github.com/herald-im/herald/internal/push/honor"
	"github.com/herald-im/herald/internal/push/huawei"
	"github.com/herald-im/herald/internal/push/meizu"
	"github.com/herald-im/herald/internal/push/oppo"
	"github.com/herald-im/herald/internal/push/vivo"
	"github.com/herald-im/herald/internal/push/xiaomi"
)

// buildSenders returns one sender per vendor, every one reaching the network through t:
// the roots of --push-ca-file (a private gateway or the simulator) and, unless
// --push-allow-private-endpoints, a dialer refusing internal addresses.
func buildSenders(logger *slog.Logger, t push.Transport) map[push.Vendor]push.Sender {
	a := apns.New()
	a.RootCAs = t.RootCAs
	a.DialTLSContext = t.DialTLSContext
	f, hw, ho, xm, op, vv, mz := fcm.New(), huawei.New(), honor.New(), xiaomi.New(), oppo.New(), vivo.New(), meizu.New()
	f.HTTPClient = t.Client(0, fcm.DefaultConcurrency) // fcm bounds each request itself
	hw.HTTPClient = t.Client(huawei.DefaultTimeout, 16)
	ho.HTTPClient = t.Client(honor.DefaultTimeout, 16)
	xm.HTTPClient = t.Client(xiaomi.DefaultTimeout, 16)
	op.HTTPClient = t.Client(oppo.DefaultTimeout, 16)
	vv.HTTPClient = t.Client(vivo.DefaultTimeout, 16)
	mz.HTTPClient = t.Client(meizu.DefaultTimeout, 16)
	a.Logger = logger.With("vendor", "apns")
	f.Logger = logger.With("vendor", "fcm")
	hw.Logger = logger.With("vendor", "huawei")
	ho.Logger = logger.With("vendor", "honor")
	xm.Logger = logger.With("vendor", "xiaomi")
	op.Logger = logger.With("vendor", "oppo")
	vv.Logger = logger.With("vendor", "vivo")
	mz.Logger = logger.With("vendor", "meizu")
	senders := map[push.Vendor]push.Sender{}
	for _, s := range []push.Sender{f, a, hw, ho, xm, op, vv, mz} {
		senders[s.Vendor()] = s
	}
	return senders
}

// loadRoots reads PEM certificates to trust, or returns nil for the system roots.
func loadRoots(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read push CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("push CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}
