package push

import (
	"encoding/json"
	"fmt"

	"github.com/herald-im/herald/internal/redact"
	"github.com/herald-im/herald/internal/store"
)

// FromStored decodes a stored certificate.
func FromStored(sc *store.Certificate) (*Certificate, error) {
	v, err := ParseVendor(sc.Vendor)
	if err != nil {
		return nil, err
	}
	c := new(Certificate)
	if err := json.Unmarshal(sc.Config, c); err != nil {
		return nil, fmt.Errorf("decode certificate %d: %w", sc.ID, err)
	}
	c.ID, c.SDKAppID, c.Vendor, c.Name = sc.ID, sc.SDKAppID, v, sc.Name
	c.CreatedAt, c.UpdatedAt = sc.CreatedAt, sc.UpdatedAt
	return c, nil
}

// ToStored encodes c for the store.
func (c *Certificate) ToStored() (*store.Certificate, error) {
	cfg, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode certificate: %w", err)
	}
	return &store.Certificate{ID: c.ID, SDKAppID: c.SDKAppID, Vendor: string(c.Vendor), Name: c.Name, Config: cfg, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}, nil
}

// Masked returns a copy of c safe to show: every secret replaced by a mask that keeps
// its last characters (redact.Secret), binary secrets by their size.
func (c *Certificate) Masked() *Certificate {
	m := *c
	m.AppSecret = redact.Secret(c.AppSecret)
	m.MasterSecret = redact.Secret(c.MasterSecret)
	m.ClientSecret = redact.Secret(c.ClientSecret)
	m.CertPassword = redact.Secret(c.CertPassword)
	m.ServiceAccount = maskBytes(c.ServiceAccount)
	m.KeyP8 = maskBytes(c.KeyP8)
	m.CertP12 = maskBytes(c.CertP12)
	return &m
}

func maskBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return []byte(fmt.Sprintf("**** %d bytes", len(b)))
}

// SupportsBadge reports whether v's notifications can set the app icon badge.
func SupportsBadge(v Vendor) bool {
	switch v {
	case APNs, FCM, Huawei, Honor:
		return true
	}
	return false
}
