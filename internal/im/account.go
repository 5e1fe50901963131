package im

import (
	"context"
	"fmt"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// MaxImportAccounts bounds one import call.
const MaxImportAccounts = 500

// AccountInput is one account to import.
type AccountInput struct {
	UserID   string `json:"user_id"`
	Nickname string `json:"nickname,omitempty"`
	FaceURL  string `json:"face_url,omitempty"`
}

// ImportAccounts creates accounts, or updates the nickname and face URL of existing
// ones.
func (s *Service) ImportAccounts(ctx context.Context, sdkAppID int64, in []AccountInput) error {
	if len(in) == 0 || len(in) > MaxImportAccounts {
		return invalid("import 1-%d accounts at a time", MaxImportAccounts)
	}
	as := make([]*store.Account, 0, len(in))
	for i, a := range in {
		if err := checkUserID(a.UserID, fmt.Sprintf("accounts[%d].user_id", i)); err != nil {
			return err
		}
		if len(a.Nickname) > 64 {
			return invalid("accounts[%d].nickname is over 64 bytes", i)
		}
		if a.FaceURL != "" {
			if err := checkURL(a.FaceURL); err != nil {
				return invalid("accounts[%d].face_url: %v", i, err)
			}
		}
		as = append(as, &store.Account{SDKAppID: sdkAppID, UserID: a.UserID, Nickname: a.Nickname, FaceURL: a.FaceURL, CreatedAt: s.Now()})
	}
	if err := s.Store.CreateAccounts(ctx, as); err != nil {
		return fmt.Errorf("create accounts: %w", err)
	}
	return nil
}

// SetProfile changes the user's own nickname or face URL.
func (s *Service) SetProfile(ctx context.Context, sdkAppID int64, userID string, req protocol.SetProfileRequest) error {
	if req.Nickname != nil && len(*req.Nickname) > 64 {
		return invalid("nickname is over 64 bytes")
	}
	if req.FaceURL != nil && *req.FaceURL != "" {
		if err := checkURL(*req.FaceURL); err != nil {
			return invalid("face_url: %v", err)
		}
	}
	err := s.Store.UpdateAccount(ctx, sdkAppID, userID, store.AccountUpdate{Nickname: req.Nickname, FaceURL: req.FaceURL})
	if err != nil {
		return notFound(err, errcode.UserNotFound, "account %q does not exist", userID)
	}
	return nil
}
