// Package withdraw replaces the lock-screen notification of a recalled message: for
// each device whose push the vendor accepted, it sends push.ComposeRecall (the same
// replace key, "[Message recalled]") through the vendor's sender (docs/push.md,
// "Recall"). It makes one attempt per device, in the background; a failure is logged
// and the record of the original push is left as it was. The push pipeline is meant
// to take this over, with its retries and rate limits.
package withdraw

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/redact"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// DefaultTimeout bounds the replacements of one recall.
const DefaultTimeout = 30 * time.Second

// Store is what a Withdrawer reads.
type Store interface {
	FindPushRecords(ctx context.Context, sdkAppID int64, messageID string) ([]*store.PushRecord, error)
	FindDevice(ctx context.Context, sdkAppID int64, userID, deviceID string) (*store.Device, error)
	FindCertificateByID(ctx context.Context, sdkAppID, id int64) (*store.Certificate, error)
	FindAccount(ctx context.Context, sdkAppID int64, userID string) (*store.Account, error)
	FindGroup(ctx context.Context, sdkAppID int64, groupID string) (*store.Group, error)
}

// Withdrawer sends the replacements. Set Store and Senders (New does); Close waits for
// the replacements in flight. It is safe for concurrent use.
type Withdrawer struct {
	Store   Store
	Senders map[push.Vendor]push.Sender
	Timeout time.Duration // per recall; default DefaultTimeout
	Logger  *slog.Logger

	wg sync.WaitGroup
}

// New returns a Withdrawer with defaults.
func New(st Store, senders map[push.Vendor]push.Sender) *Withdrawer {
	return &Withdrawer{Store: st, Senders: senders, Timeout: DefaultTimeout, Logger: slog.Default()}
}

// Recalled starts replacing m's notifications; it is an im.RecalledFunc.
func (w *Withdrawer) Recalled(ctx context.Context, m *store.Message, r *store.Recall) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.Timeout)
		defer cancel()
		w.withdraw(ctx, m)
	}()
}

// Close waits for the replacements in flight.
func (w *Withdrawer) Close() { w.wg.Wait() }

func (w *Withdrawer) withdraw(ctx context.Context, m *store.Message) {
	log := w.Logger.With("app", m.SDKAppID, "message", m.ID)
	recs, err := w.Store.FindPushRecords(ctx, m.SDKAppID, m.ID)
	if err != nil {
		log.Error("withdraw: find push records", "err", err)
		return
	}
	var elems []protocol.Element
	json.Unmarshal(m.Elements, &elems)
	var info *protocol.OfflinePushInfo
	if len(m.PushInfo) > 0 {
		info = new(protocol.OfflinePushInfo)
		json.Unmarshal(m.PushInfo, info)
	}
	sender := m.From
	if a, err := w.Store.FindAccount(ctx, m.SDKAppID, m.From); err == nil && a.Nickname != "" {
		sender = a.Nickname
	}
	group := m.GroupID
	if m.Type == store.TypeGroup {
		if g, err := w.Store.FindGroup(ctx, m.SDKAppID, m.GroupID); err == nil {
			group = g.Name
		}
	}
	certs := map[int64]*push.Certificate{}
	for _, rec := range recs {
		if rec.Decision != "push" || rec.Outcome != "accepted" {
			continue
		}
		d, err := w.Store.FindDevice(ctx, m.SDKAppID, rec.UserID, rec.DeviceID)
		if err != nil || d.PushToken == "" || d.CertificateID != rec.CertificateID {
			continue // unbound or moved since: the phone is no longer this user's
		}
		c := certs[rec.CertificateID]
		if c == nil {
			sc, err := w.Store.FindCertificateByID(ctx, m.SDKAppID, rec.CertificateID)
			if err != nil {
				continue
			}
			if c, err = push.FromStored(sc); err != nil {
				log.Error("withdraw: decode certificate", "certificate", rec.CertificateID, "err", err)
				continue
			}
			certs[rec.CertificateID] = c
		}
		s := w.Senders[c.Vendor]
		n := push.ComposeRecall(push.ComposeInput{Message: m, Elements: elems, PushInfo: info, SenderName: sender, GroupName: group,
			Recipient: rec.UserID, Certificate: c})
		if s == nil || n == nil {
			continue
		}
		for _, res := range s.Send(ctx, c, n, []string{d.PushToken}) {
			if res.Outcome != push.Accepted {
				log.Warn("withdraw: replacement refused", "vendor", c.Vendor, "certificate", c.ID,
					"token", redact.Token(d.PushToken), "outcome", res.Outcome, "reason", res.Reason)
			}
		}
	}
}
