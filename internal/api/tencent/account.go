package tencent

import (
	"context"
	"fmt"

	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
)

// AccountImportRequest is the body of im_open_login_svc/account_import
// (cloud.tencent.com/document/product/269/1608).
type AccountImportRequest struct {
	UserID  string
	Nick    string
	FaceURL string `json:"FaceUrl"`
}

// MultiAccountImportRequest is the body of im_open_login_svc/multiaccount_import
// (cloud.tencent.com/document/product/269/4919): up to 100 UserIDs.
type MultiAccountImportRequest struct {
	Accounts []string
}

// MultiAccountImportResponse answers multiaccount_import; FailAccounts are the UserIDs
// that are not valid.
type MultiAccountImportResponse struct {
	Status
	FailAccounts []string
}

// MaxMultiAccountImport is Tencent's limit on one multiaccount_import.
const MaxMultiAccountImport = 100

func (s *Server) accountImport(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req AccountImportRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	in := []im.AccountInput{{UserID: req.UserID, Nickname: req.Nick, FaceURL: req.FaceURL}}
	if err := s.IM.ImportAccounts(ctx, app.SDKAppID, in); err != nil {
		return nil, err
	}
	return statusOK, nil
}

// multiAccountImport imports the accounts that do not exist yet: importing an existing
// one changes nothing (it keeps its nickname), as with Tencent.
func (s *Server) multiAccountImport(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req MultiAccountImportRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if len(req.Accounts) == 0 || len(req.Accounts) > MaxMultiAccountImport {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("Accounts must name 1-%d accounts", MaxMultiAccountImport)}
	}
	res := MultiAccountImportResponse{Status: statusOK, FailAccounts: []string{}}
	var valid []string
	for _, u := range req.Accounts {
		if auth.ValidUserID(u) != nil {
			res.FailAccounts = append(res.FailAccounts, u)
			continue
		}
		valid = append(valid, u)
	}
	if len(valid) == 0 {
		return res, nil
	}
	have, err := s.Store.FindAccounts(ctx, app.SDKAppID, valid)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	exists := make(map[string]bool, len(have))
	for _, a := range have {
		exists[a.UserID] = true
	}
	var in []im.AccountInput
	for _, u := range valid {
		if !exists[u] {
			exists[u] = true // once, if named twice
			in = append(in, im.AccountInput{UserID: u})
		}
	}
	if len(in) > 0 {
		if err := s.IM.ImportAccounts(ctx, app.SDKAppID, in); err != nil {
			return nil, err
		}
	}
	return res, nil
}
