package pipeline

import "time"

// CertificateHealth is what this node's pipeline knows now of a certificate's vendor
// from its own recent requests (other nodes know their own).
type CertificateHealth struct {
	// Parked: the vendor failed ParkAfter requests in a row whole (down, or the
	// credentials refused); one probe at a time goes until it answers. ParkedReason is
	// "vendor_down" or "auth_refused".
	Parked       bool
	ParkedReason string
	// FailuresInARow counts the requests in a row that failed whole.
	FailuresInARow int
	// QuotaPausedUntil is when the vendor's quota answer lets pushes go again; zero or
	// past: not paused.
	QuotaPausedUntil time.Time
}

// CertificateHealth returns this node's view of certificate id's vendor. It only
// reads the pipeline's state.
func (p *Pipeline) CertificateHealth(id int64) CertificateHealth {
	if p.certs == nil {
		return CertificateHealth{}
	}
	h := CertificateHealth{QuotaPausedUntil: p.certs.pausedUntil(id)}
	p.certs.mu.Lock()
	defer p.certs.mu.Unlock()
	if s := p.certs.health[id]; s != nil {
		h.Parked, h.ParkedReason, h.FailuresInARow = s.parked, s.reason, s.failures
	}
	return h
}
