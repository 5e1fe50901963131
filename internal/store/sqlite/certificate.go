package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// CreateCertificate stores c, assigning c.ID, c.CreatedAt and c.UpdatedAt. Config is
// stored byte for byte.
func (db *DB) CreateCertificate(ctx context.Context, c *store.Certificate) error {
	now := db.Now().UTC().Truncate(time.Millisecond)
	res, err := db.exec(ctx, `
		INSERT INTO certificates (sdk_app_id, vendor, name, config, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
		c.SDKAppID, c.Vendor, c.Name, nullBytes(c.Config), ms(now), ms(now))
	if err != nil {
		return fmt.Errorf("create certificate: %w", formatError(err))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("create certificate: %w", err)
	}
	c.ID, c.CreatedAt, c.UpdatedAt = id, now, now
	return nil
}

// FindCertificateByID returns one certificate of the app, or store.ErrNotFound.
func (db *DB) FindCertificateByID(ctx context.Context, sdkAppID, id int64) (*store.Certificate, error) {
	c, err := scanCertificate(db.reads.queryRow(ctx, `
		SELECT `+certificateColumns+` FROM certificates WHERE sdk_app_id = ? AND id = ?`, sdkAppID, id))
	if err != nil {
		return nil, fmt.Errorf("find certificate: %w", notFound(err))
	}
	return c, nil
}

// FindCertificates returns the app's certificates ordered by ID.
func (db *DB) FindCertificates(ctx context.Context, sdkAppID int64) ([]*store.Certificate, error) {
	rows, err := db.reads.query(ctx, `
		SELECT `+certificateColumns+` FROM certificates WHERE sdk_app_id = ? ORDER BY id`, sdkAppID)
	if err != nil {
		return nil, fmt.Errorf("find certificates: %w", err)
	}
	defer rows.Close()
	var cs []*store.Certificate
	for rows.Next() {
		c, err := scanCertificate(rows)
		if err != nil {
			return nil, fmt.Errorf("find certificates: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find certificates: %w", err)
	}
	return cs, nil
}

// UpdateCertificate changes the set fields of a certificate and sets its UpdatedAt;
// store.ErrNotFound if the app has no such certificate.
func (db *DB) UpdateCertificate(ctx context.Context, sdkAppID, id int64, upd store.CertificateUpdate) error {
	var s setter
	if upd.Name != nil {
		s.set("name = ?", *upd.Name)
	}
	if upd.Config != nil {
		s.set("config = ?", nullBytes(upd.Config))
	}
	s.set("updated_at = ?", ms(db.Now()))
	if err := db.execUpdate(ctx, "certificates", &s, "sdk_app_id = ? AND id = ?", sdkAppID, id); err != nil {
		return fmt.Errorf("update certificate: %w", err)
	}
	return nil
}

// DeleteCertificate removes a certificate and, in the same transaction, unbinds every
// device of the app bound to it. It returns store.ErrNotFound if the app has no such
// certificate.
func (db *DB) DeleteCertificate(ctx context.Context, sdkAppID, id int64) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM certificates WHERE sdk_app_id = ? AND id = ?`, sdkAppID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE devices SET certificate_id = 0, push_token = ''
			WHERE sdk_app_id = ? AND certificate_id = ?`, sdkAppID, id)
		if err != nil {
			return fmt.Errorf("unbind devices: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete certificate: %w", err)
	}
	return nil
}

const certificateColumns = `id, sdk_app_id, vendor, name, config, created_at, updated_at`

func scanCertificate(row scanner) (*store.Certificate, error) {
	var c store.Certificate
	var config sql.NullString
	var createdAt, updatedAt int64
	if err := row.Scan(&c.ID, &c.SDKAppID, &c.Vendor, &c.Name, &config, &createdAt, &updatedAt); err != nil {
		return nil, err
	}
	if config.Valid {
		c.Config = json.RawMessage(config.String)
	}
	c.CreatedAt, c.UpdatedAt = fromMS(createdAt), fromMS(updatedAt)
	return &c, nil
}
