package tencent

import (
	"context"
	"fmt"
	"net/url"

	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
)

// AccountImportRequest is the body of im_open_login_svc/account_import
// (cloud.tencent.com/document/product/269/1608).
type AccountImportRequest struct {
	UserID string
	// Identifier is the older name of UserID, which the commercial API still accepts.
	Identifier string
	Nick       string
	FaceURL    string `json:"FaceUrl"`
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
	if req.UserID == "" {
		req.UserID = req.Identifier
	}
	// Checked here so that errors name the commercial fields.
	if err := checkAccount("UserID", req.UserID); err != nil {
		return nil, err
	}
	if len(req.Nick) > MaxNickBytes {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("Nick is over %d bytes", MaxNickBytes)}
	}
	if req.FaceURL != "" && !validURL(req.FaceURL) {
		return nil, &Error{Code: CodeInvalidParam, Info: "FaceUrl must be an absolute http or https URL"}
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

// MaxNickBytes bounds a nickname (Tag_Profile_IM_Nick).
const MaxNickBytes = 64

// checkAccount fails with CodeInvalidParam, naming field, unless id is a valid UserID.
func checkAccount(field, id string) error {
	if id == "" {
		return &Error{Code: CodeInvalidParam, Info: field + " is required"}
	}
	if auth.ValidUserID(id) != nil {
		return &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("%s %q: a UserID is 1-32 bytes of A-Z a-z 0-9 _ -", field, id)}
	}
	return nil
}

func validURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// MaxAccountCheck bounds account_check and account_delete (the commercial limit).
const MaxAccountCheck = 100

// AccountItem names one account in CheckItem and DeleteItem.
type AccountItem struct {
	UserID string
}

// AccountResult is one account's outcome in ResultItem.
type AccountResult struct {
	UserID        string
	ResultCode    int
	ResultInfo    string
	AccountStatus string `json:",omitempty"` // account_check: Imported or NotImported
}

// accountItems checks a CheckItem or DeleteItem list and returns its UserIDs.
func accountItems(field string, items []AccountItem) ([]string, error) {
	if len(items) == 0 || len(items) > MaxAccountCheck {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("%s must name 1-%d accounts", field, MaxAccountCheck)}
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.UserID
	}
	return ids, nil
}

// accountCheck answers im_open_login_svc/account_check
// (cloud.tencent.com/document/product/269/38417): whether each account was imported.
func (s *Server) accountCheck(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct{ CheckItem []AccountItem }
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	ids, err := accountItems("CheckItem", req.CheckItem)
	if err != nil {
		return nil, err
	}
	have, err := s.Store.FindAccounts(ctx, app.SDKAppID, ids)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	exists := map[string]bool{}
	for _, a := range have {
		exists[a.UserID] = true
	}
	res := make([]AccountResult, 0, len(ids))
	for _, u := range ids {
		r := AccountResult{UserID: u, AccountStatus: "NotImported"}
		if exists[u] {
			r.AccountStatus = "Imported"
		}
		res = append(res, r)
	}
	return struct {
		Status
		ResultItem []AccountResult
	}{statusOK, res}, nil
}

// accountDelete answers im_open_login_svc/account_delete
// (cloud.tencent.com/document/product/269/36443): each account's devices are logged
// out and it goes with its profile, tags, memberships and inbox; a ResultItem per
// account says whether it went.
func (s *Server) accountDelete(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct{ DeleteItem []AccountItem }
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	ids, err := accountItems("DeleteItem", req.DeleteItem)
	if err != nil {
		return nil, err
	}
	res := make([]AccountResult, 0, len(ids))
	for _, u := range ids {
		r := AccountResult{UserID: u}
		if err := checkAccount("UserID", u); err != nil {
			r.ResultCode, r.ResultInfo, _ = codeOf(err)
		} else if err := s.IM.DeleteAccount(ctx, app.SDKAppID, u); err != nil {
			code, info, internal := codeOf(err)
			if internal {
				return nil, err
			}
			r.ResultCode, r.ResultInfo = code, info
			if code == CodeNoAccount {
				r.ResultInfo = fmt.Sprintf("account %q was never imported", u)
			}
		}
		res = append(res, r)
	}
	return struct {
		Status
		ResultItem []AccountResult
	}{statusOK, res}, nil
}

// kick answers im_open_login_svc/kick (cloud.tencent.com/document/product/269/3853):
// every device of the account is logged out, gets a kick event and no more pushes.
func (s *Server) kick(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		UserID     string
		Identifier string // the older name of UserID
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.UserID == "" {
		req.UserID = req.Identifier
	}
	if err := checkAccount("UserID", req.UserID); err != nil {
		return nil, err
	}
	if _, err := s.IM.Kick(ctx, app.SDKAppID, req.UserID); err != nil {
		return nil, err
	}
	return statusOK, nil
}
