package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

func (s *Server) importAccounts(r *http.Request, app *store.App) (any, error) {
	var req struct {
		Accounts []im.AccountInput `json:"accounts"`
	}
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := s.IM.ImportAccounts(r.Context(), app.SDKAppID, req.Accounts); err != nil {
		return nil, err
	}
	return map[string]int{"imported": len(req.Accounts)}, nil
}

// AppSettings are the app settings the admin API reads and changes.
type AppSettings struct {
	DevicePolicy  string `json:"device_policy,omitempty"`  // per_platform, single or unlimited
	RetentionDays int    `json:"retention_days,omitempty"` // 1-30
	// CallbackURL is where webhooks are posted (docs/webhooks.md); empty: none are.
	CallbackURL string `json:"callback_url"`
	// CallbackSecretSet says whether a signing secret exists; the secret itself is
	// shown only in CallbackSecret of the answer that generated it.
	CallbackSecretSet bool   `json:"callback_secret_set"`
	CallbackSecret    string `json:"callback_secret,omitempty"`
	// TokenMoves is "" (a token moves to the device reporting it last, as in the
	// commercial SDK) or "after_logout" (only once its holder logged out on that device).
	TokenMoves string `json:"token_moves"`
}

// appSettingsRequest changes app settings; absent fields are left as they are, and
// callback_url "" removes the callback.
type appSettingsRequest struct {
	DevicePolicy  string  `json:"device_policy,omitempty"`
	RetentionDays int     `json:"retention_days,omitempty"`
	CallbackURL   *string `json:"callback_url,omitempty"`
	TokenMoves    *string `json:"token_moves,omitempty"`
}

// MaxCallbackURLBytes bounds a callback URL.
const MaxCallbackURLBytes = 1024

func (s *Server) getAppSettings(r *http.Request, app *store.App) (any, error) {
	return AppSettings{
		DevicePolicy: string(app.DevicePolicy), RetentionDays: int(app.Retention / (24 * time.Hour)),
		CallbackURL: app.CallbackURL, CallbackSecretSet: app.CallbackSecret != "", TokenMoves: string(app.TokenMoves),
	}, nil
}

func (s *Server) appSettings(r *http.Request, app *store.App) (any, error) {
	var req appSettingsRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	var upd store.AppUpdate
	if req.DevicePolicy != "" {
		p := store.DevicePolicy(req.DevicePolicy)
		switch p {
		case store.OnePerPlatform, store.OneDevice, store.Unlimited:
		default:
			return nil, errcode.Errorf(errcode.InvalidRequest, "device_policy %q: use per_platform, single or unlimited", req.DevicePolicy)
		}
		upd.DevicePolicy = &p
	}
	if req.RetentionDays != 0 {
		if req.RetentionDays < 1 || req.RetentionDays > 30 {
			return nil, errcode.Errorf(errcode.InvalidRequest, "retention_days must be 1-30")
		}
		d := time.Duration(req.RetentionDays) * 24 * time.Hour
		upd.Retention = &d
	}
	if req.TokenMoves != nil {
		p := store.TokenMovePolicy(*req.TokenMoves)
		if p != store.TokenMovesFree && p != store.TokenMovesAfterLogout {
			return nil, errcode.Errorf(errcode.InvalidRequest, "token_moves %q: use \"\" (tokens move freely) or \"after_logout\"", *req.TokenMoves)
		}
		upd.TokenMoves = &p
	}
	var secret string
	if req.CallbackURL != nil {
		if err := validateCallbackURL(*req.CallbackURL); err != nil {
			return nil, err
		}
		upd.CallbackURL = req.CallbackURL
		if *req.CallbackURL != "" && app.CallbackSecret == "" {
			// The first callback gets a secret at once; it is shown in this answer only.
			secret = auth.NewSecretKey()
			upd.CallbackSecret = &secret
		}
	}
	if err := s.Apps.UpdateApp(r.Context(), app.SDKAppID, upd); err != nil {
		return nil, err
	}
	app, err := s.Apps.FindAppByID(r.Context(), app.SDKAppID)
	if err != nil {
		return nil, err
	}
	res, _ := s.getAppSettings(r, app)
	settings := res.(AppSettings)
	settings.CallbackSecret = secret
	return settings, nil
}

// validateCallbackURL accepts "" (no callback) or an absolute http(s) URL.
func validateCallbackURL(raw string) error {
	if raw == "" {
		return nil
	}
	if len(raw) > MaxCallbackURLBytes {
		return errcode.Errorf(errcode.InvalidRequest, "callback_url is over %d bytes", MaxCallbackURLBytes)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return errcode.Errorf(errcode.InvalidRequest, "callback_url must be an absolute http or https URL without user info or fragment")
	}
	return nil
}

// rotateCallbackSecret replaces the app's callback signing secret with a new one,
// shown in this answer only. Requests signed with the old one stop at once.
func (s *Server) rotateCallbackSecret(r *http.Request, app *store.App) (any, error) {
	secret := auth.NewSecretKey()
	if err := s.Apps.UpdateApp(r.Context(), app.SDKAppID, store.AppUpdate{CallbackSecret: &secret}); err != nil {
		return nil, err
	}
	return map[string]string{"callback_secret": secret}, nil
}

// CreateGroupRequest is the admin form of group creation: the owner is named.
type CreateGroupRequest struct {
	protocol.CreateGroupRequest
	OwnerID string `json:"owner_id"`
}

func (s *Server) createGroup(r *http.Request, app *store.App) (any, error) {
	var req CreateGroupRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.OwnerID == "" {
		return nil, errcode.Errorf(errcode.InvalidRequest, "owner_id is required")
	}
	return s.IM.CreateGroup(r.Context(), app.SDKAppID, req.OwnerID, req.CreateGroupRequest)
}

func (s *Server) getGroup(r *http.Request, app *store.App) (any, error) {
	return s.IM.GetGroup(r.Context(), app.SDKAppID, app.AdminUserID, true, r.PathValue("id"))
}

func (s *Server) membersRequest(r *http.Request) (protocol.MembersRequest, error) {
	var req struct {
		UserIDs []string `json:"user_ids"`
	}
	if err := decodeBody(r, &req); err != nil {
		return protocol.MembersRequest{}, err
	}
	return protocol.MembersRequest{GroupID: r.PathValue("id"), UserIDs: req.UserIDs}, nil
}

func (s *Server) addMembers(r *http.Request, app *store.App) (any, error) {
	req, err := s.membersRequest(r)
	if err != nil {
		return nil, err
	}
	return s.IM.AddMembers(r.Context(), app.SDKAppID, app.AdminUserID, true, req)
}

func (s *Server) removeMembers(r *http.Request, app *store.App) (any, error) {
	req, err := s.membersRequest(r)
	if err != nil {
		return nil, err
	}
	return s.IM.RemoveMembers(r.Context(), app.SDKAppID, app.AdminUserID, true, req)
}

func (s *Server) setRole(r *http.Request, app *store.App) (any, error) {
	var req protocol.SetMemberRoleRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	req.GroupID = r.PathValue("id")
	return nil, s.IM.SetMemberRole(r.Context(), app.SDKAppID, app.AdminUserID, true, req)
}

// SendRequest is the admin form of a send: the sender is named, and its other devices
// get a copy unless NoSenderSync.
type SendRequest struct {
	protocol.SendRequest
	From         string `json:"from"`
	NoSenderSync bool   `json:"no_sender_sync,omitempty"`
	// WithMuteNotifications honours the recipients' do-not-disturb and no-notification
	// settings; by default an admin send notifies regardless, as the commercial API does.
	WithMuteNotifications bool `json:"with_mute_notifications,omitempty"`
}

func (s *Server) send(r *http.Request, app *store.App, req SendRequest) (*protocol.Message, error) {
	return s.IM.Send(r.Context(), im.SendParams{
		SDKAppID: app.SDKAppID, From: req.From, Request: req.SendRequest, ByAdmin: true, NoSenderSync: req.NoSenderSync,
		WithMuteNotifications: req.WithMuteNotifications,
	})
}

func (s *Server) sendC2C(r *http.Request, app *store.App) (any, error) {
	var req SendRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.GroupID != "" {
		return nil, errcode.Errorf(errcode.InvalidRequest, "group messages go to POST /v1/admin/groups/{id}/messages")
	}
	m, err := s.send(r, app, req)
	if err != nil {
		return nil, err
	}
	return protocol.SendResponse{Message: m}, nil
}

func (s *Server) sendGroup(r *http.Request, app *store.App) (any, error) {
	var req SendRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.To != "" {
		return nil, errcode.Errorf(errcode.InvalidRequest, "one-to-one messages go to POST /v1/admin/messages")
	}
	req.GroupID = r.PathValue("id")
	m, err := s.send(r, app, req)
	if err != nil {
		return nil, err
	}
	return protocol.SendResponse{Message: m}, nil
}

// BatchRequest sends one message to many users.
type BatchRequest struct {
	SendRequest
	ToUsers []string `json:"to_users"`
}

// BatchResult is the answer for one recipient of a batch.
type BatchResult struct {
	To      string            `json:"to"`
	Code    int               `json:"code"`
	Error   string            `json:"error,omitempty"`
	Message string            `json:"message,omitempty"`
	Sent    *protocol.Message `json:"sent,omitempty"`
}

func (s *Server) sendBatch(r *http.Request, app *store.App) (any, error) {
	var req BatchRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.To != "" || req.GroupID != "" {
		return nil, errcode.Errorf(errcode.InvalidRequest, "a batch names its recipients in to_users")
	}
	if len(req.ToUsers) == 0 || len(req.ToUsers) > im.MaxBatchRecipients {
		return nil, errcode.Errorf(errcode.InvalidRequest, "to_users must name 1-%d users", im.MaxBatchRecipients)
	}
	results := make([]BatchResult, 0, len(req.ToUsers))
	clientID := req.ClientMsgID
	for _, to := range req.ToUsers {
		one := req.SendRequest
		one.To = to
		if clientID != "" {
			// One client ID per recipient, so that a retried batch is still deduplicated.
			one.ClientMsgID = clientID + ":" + to
		}
		m, err := s.send(r, app, one)
		res := BatchResult{To: to, Sent: m}
		if err != nil {
			code, msg := errcode.Of(err)
			if code == errcode.Internal {
				s.Logger.Error("batch send", "to", to, "err", err)
			}
			res.Code, res.Error, res.Message = int(code), code.Name(), msg
		}
		results = append(results, res)
	}
	return map[string]any{"results": results}, nil
}
