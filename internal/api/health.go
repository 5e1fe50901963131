package api

import (
	"context"
	"net/http"
	"time"

	"github.com/herald-im/herald/internal/push/pipeline"
	"github.com/herald-im/herald/internal/store"
)

// HealthWindow is how far back the certificate health looks for successes and errors.
const HealthWindow = 7 * 24 * time.Hour

// outcomesFinder reads certificates' recent answers from the push records.
type outcomesFinder interface {
	FindCertificateOutcomes(ctx context.Context, sdkAppID int64, since time.Time) ([]*store.CertificateOutcome, error)
}

// certificateHealth is this node's pipeline's view of each certificate.
type certificateHealth interface {
	CertificateHealth(id int64) pipeline.CertificateHealth
}

// CertificateHealth is one certificate in GET /v1/admin/push/certificates/health.
type CertificateHealth struct {
	CertificateID int64      `json:"certificate_id"`
	Vendor        string     `json:"vendor"`
	Name          string     `json:"name"`
	LastSuccess   *time.Time `json:"last_success"` // null: none in the window
	LastError     *LastError `json:"last_error"`   // null: none in the window
	// Auth is "ok" (the vendor accepted a push since its last auth refusal),
	// "refused" (auth_expired is its newest answer, or it is parked auth_refused) or
	// "unknown" (no answer in the window).
	Auth             string     `json:"auth"`
	QuotaPausedUntil *time.Time `json:"quota_paused_until"` // null: not paused on this node
	Parked           bool       `json:"parked"`
	ParkedReason     string     `json:"parked_reason,omitempty"`
	FailuresInARow   int        `json:"failures_in_a_row"`
}

// LastError is a certificate's newest error answer.
type LastError struct {
	Time    time.Time `json:"time"`
	Outcome string    `json:"outcome"`
	Reason  string    `json:"reason"`
}

func (s *Server) certificatesHealth(r *http.Request, app *store.App) (any, error) {
	certs, err := s.Push.FindCertificates(r.Context(), app.SDKAppID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	outs, err := s.Outcomes.FindCertificateOutcomes(r.Context(), app.SDKAppID, now.Add(-HealthWindow))
	if err != nil {
		return nil, err
	}
	byID := map[int64]*store.CertificateOutcome{}
	for _, o := range outs {
		byID[o.CertificateID] = o
	}
	list := make([]CertificateHealth, 0, len(certs))
	for _, c := range certs {
		h := CertificateHealth{CertificateID: c.ID, Vendor: c.Vendor, Name: c.Name, Auth: "unknown"}
		if o := byID[c.ID]; o != nil {
			if !o.LastSuccess.IsZero() {
				t := o.LastSuccess.UTC()
				h.LastSuccess, h.Auth = &t, "ok"
			}
			if !o.LastError.IsZero() {
				h.LastError = &LastError{Time: o.LastError.UTC(), Outcome: o.LastErrorOutcome, Reason: o.LastErrorReason}
				if o.LastErrorOutcome == "auth_expired" && o.LastError.After(o.LastSuccess) {
					h.Auth = "refused"
				} else if h.Auth == "unknown" {
					h.Auth = "ok" // the vendor answered: the credentials passed
				}
			}
		}
		if s.Health != nil {
			p := s.Health.CertificateHealth(c.ID)
			h.Parked, h.ParkedReason, h.FailuresInARow = p.Parked, p.ParkedReason, p.FailuresInARow
			if p.QuotaPausedUntil.After(now) {
				t := p.QuotaPausedUntil.UTC()
				h.QuotaPausedUntil = &t
			}
			if p.Parked && p.ParkedReason == "auth_refused" {
				h.Auth = "refused"
			}
		}
		list = append(list, h)
	}
	return map[string]any{"certificates": list}, nil
}
