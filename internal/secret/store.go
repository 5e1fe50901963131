package secret

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/herald-im/herald/internal/store"
)

// Fields sealed by Store, each its own context so a value cannot be moved between them.
const (
	fieldSecretKey      = "app.secret_key"
	fieldCallbackSecret = "app.callback_secret"
	fieldConfig         = "certificate.config"
)

// Store wraps a store.Store so that apps' secret keys and webhook secrets and
// certificates' configs are sealed on the way in and opened on the way out. Every other
// method is the wrapped store's. SQLite and PostgreSQL thus hold the same ciphertext.
type Store struct {
	store.Store
	Box *Box
}

// NewStore returns st sealed with b.
func NewStore(st store.Store, b *Box) *Store { return &Store{Store: st, Box: b} }

// CreateApp stores a with its secrets sealed; a keeps them in clear.
func (s *Store) CreateApp(ctx context.Context, a *store.App) error {
	cp := *a
	cp.SecretKey = s.Box.Seal(fieldSecretKey, a.SecretKey)
	cp.CallbackSecret = s.Box.Seal(fieldCallbackSecret, a.CallbackSecret)
	err := s.Store.CreateApp(ctx, &cp)
	cp.SecretKey, cp.CallbackSecret = a.SecretKey, a.CallbackSecret
	*a = cp
	return err
}

// FindAppByID returns the app with its secrets opened.
func (s *Store) FindAppByID(ctx context.Context, sdkAppID int64) (*store.App, error) {
	a, err := s.Store.FindAppByID(ctx, sdkAppID)
	if err != nil {
		return nil, err
	}
	return a, s.openApp(a)
}

// FindApps returns every app with its secrets opened.
func (s *Store) FindApps(ctx context.Context) ([]*store.App, error) {
	as, err := s.Store.FindApps(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if err := s.openApp(a); err != nil {
			return nil, err
		}
	}
	return as, nil
}

// UpdateApp seals the secrets upd sets.
func (s *Store) UpdateApp(ctx context.Context, sdkAppID int64, upd store.AppUpdate) error {
	if upd.SecretKey != nil {
		v := s.Box.Seal(fieldSecretKey, *upd.SecretKey)
		upd.SecretKey = &v
	}
	if upd.CallbackSecret != nil {
		v := s.Box.Seal(fieldCallbackSecret, *upd.CallbackSecret)
		upd.CallbackSecret = &v
	}
	return s.Store.UpdateApp(ctx, sdkAppID, upd)
}

// CreateCertificate stores c with its config sealed; c keeps it in clear.
func (s *Store) CreateCertificate(ctx context.Context, c *store.Certificate) error {
	cp := *c
	cp.Config = s.sealConfig(c.Config)
	err := s.Store.CreateCertificate(ctx, &cp)
	c.ID, c.CreatedAt, c.UpdatedAt = cp.ID, cp.CreatedAt, cp.UpdatedAt
	return err
}

// FindCertificateByID returns the certificate with its config opened.
func (s *Store) FindCertificateByID(ctx context.Context, sdkAppID, id int64) (*store.Certificate, error) {
	c, err := s.Store.FindCertificateByID(ctx, sdkAppID, id)
	if err != nil {
		return nil, err
	}
	return c, s.openCertificate(c)
}

// FindCertificates returns the app's certificates with their configs opened.
func (s *Store) FindCertificates(ctx context.Context, sdkAppID int64) ([]*store.Certificate, error) {
	cs, err := s.Store.FindCertificates(ctx, sdkAppID)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if err := s.openCertificate(c); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// UpdateCertificate seals the config upd sets.
func (s *Store) UpdateCertificate(ctx context.Context, sdkAppID, id int64, upd store.CertificateUpdate) error {
	if upd.Config != nil {
		upd.Config = s.sealConfig(upd.Config)
	}
	return s.Store.UpdateCertificate(ctx, sdkAppID, id, upd)
}

func (s *Store) sealConfig(c json.RawMessage) json.RawMessage {
	if len(c) == 0 {
		return c
	}
	return json.RawMessage(s.Box.Seal(fieldConfig, string(c)))
}

func (s *Store) openApp(a *store.App) (err error) {
	if a.SecretKey, err = s.Box.Open(fieldSecretKey, a.SecretKey); err != nil {
		return fmt.Errorf("open secret key of app %d: %w", a.SDKAppID, err)
	}
	if a.CallbackSecret, err = s.Box.Open(fieldCallbackSecret, a.CallbackSecret); err != nil {
		return fmt.Errorf("open callback secret of app %d: %w", a.SDKAppID, err)
	}
	return nil
}

func (s *Store) openCertificate(c *store.Certificate) error {
	if len(c.Config) == 0 {
		return nil
	}
	plain, err := s.Box.Open(fieldConfig, string(c.Config))
	if err != nil {
		return fmt.Errorf("open config of certificate %d: %w", c.ID, err)
	}
	c.Config = json.RawMessage(plain)
	return nil
}

// SealAll (re)seals under the Box's sealing key every secret that is in clear (a row
// written before encryption) or sealed under another of its keys (a rotation), and
// returns how many values it rewrote. It is safe to run again after an interruption.
func (s *Store) SealAll(ctx context.Context) (int, error) {
	apps, err := s.Store.FindApps(ctx)
	if err != nil {
		return 0, fmt.Errorf("seal secrets: %w", err)
	}
	stale := func(v string) bool { return v != "" && SealedBy(v) != s.Box.SealingKeyID() }
	n := 0
	for _, raw := range apps {
		var upd store.AppUpdate
		if stale(raw.SecretKey) {
			v, err := s.Box.Open(fieldSecretKey, raw.SecretKey)
			if err != nil {
				return n, fmt.Errorf("seal secret key of app %d: %w", raw.SDKAppID, err)
			}
			upd.SecretKey = &v
			n++
		}
		if stale(raw.CallbackSecret) {
			v, err := s.Box.Open(fieldCallbackSecret, raw.CallbackSecret)
			if err != nil {
				return n, fmt.Errorf("seal callback secret of app %d: %w", raw.SDKAppID, err)
			}
			upd.CallbackSecret = &v
			n++
		}
		if upd.SecretKey != nil || upd.CallbackSecret != nil {
			if err := s.UpdateApp(ctx, raw.SDKAppID, upd); err != nil {
				return n, fmt.Errorf("seal secrets of app %d: %w", raw.SDKAppID, err)
			}
		}
		certs, err := s.Store.FindCertificates(ctx, raw.SDKAppID)
		if err != nil {
			return n, fmt.Errorf("seal secrets: %w", err)
		}
		for _, c := range certs {
			if !stale(string(c.Config)) {
				continue
			}
			if err := s.openCertificate(c); err != nil {
				return n, fmt.Errorf("seal secrets: %w", err)
			}
			if err := s.UpdateCertificate(ctx, raw.SDKAppID, c.ID, store.CertificateUpdate{Config: c.Config}); err != nil {
				return n, fmt.Errorf("seal config of certificate %d: %w", c.ID, err)
			}
			n++
		}
	}
	return n, nil
}
