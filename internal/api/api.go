// Package api serves Herald's native admin REST API under /v1/admin/ (docs/api.md):
// account import, groups and members, sending messages on behalf of users, and the push
// console (certificates, device self-check, test push, push trace and stats). Every call
// is authenticated with a UserSig of the app's admin identifier.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/gateway"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// appStore is what the API needs of the store beside the im service.
type appStore interface {
	FindAppByID(ctx context.Context, sdkAppID int64) (*store.App, error)
	UpdateApp(ctx context.Context, sdkAppID int64, upd store.AppUpdate) error
}

// adminStore is what NewServer takes: the app and push parts of the store.
type adminStore interface {
	appStore
	pushStore
	audienceStore
	messageSearcher
	outcomesFinder
	webhookLog
}

// Server is the admin REST API.
type Server struct {
	IM   *im.Service
	Apps appStore
	Push pushStore
	// Audience holds tags, attributes and push tasks.
	Audience audienceStore
	// Messages finds recent messages (GET /v1/admin/messages).
	Messages messageSearcher
	// Outcomes reads certificates' last answers; Health, if set, is this node's
	// pipeline's view of them (parked, quota pause). Both for the certificate health.
	Outcomes outcomesFinder
	Health   certificateHealth
	// WebhookLog reads the webhook delivery log.
	WebhookLog webhookLog
	// Broadcaster queues broadcasts (the push pipeline); nil: broadcasts are refused
	// as unavailable.
	Broadcaster broadcaster
	// BroadcastsPerDay bounds an app's broadcasts in any 24 hours. Default
	// DefaultBroadcastsPerDay; 0: no bound.
	BroadcastsPerDay int
	// BroadcastInterval is the least time between two broadcasts of an app. Default
	// DefaultBroadcastInterval; 0: none.
	BroadcastInterval time.Duration
	// Senders are the vendor senders, by vendor: they validate certificates on save
	// (push.CertificateValidator) and send test pushes.
	Senders map[push.Vendor]push.Sender
	Now     func() time.Time
	Logger  *slog.Logger

	// AllowPrivateEndpoints accepts certificate endpoints on loopback and private
	// addresses (--push-allow-private-endpoints). The senders refuse to dial those
	// anyway unless allowed; this refuses a literal one when it is saved.
	AllowPrivateEndpoints bool
}

// NewServer returns an API server with defaults, using st for apps and push data.
func NewServer(svc *im.Service, st adminStore, senders map[push.Vendor]push.Sender) *Server {
	return &Server{
		IM: svc, Apps: st, Push: st, Audience: st, Messages: st, Outcomes: st, WebhookLog: st, Senders: senders,
		BroadcastsPerDay: DefaultBroadcastsPerDay, BroadcastInterval: DefaultBroadcastInterval,
		Now: time.Now, Logger: slog.Default(),
	}
}

// Handler returns the routes under /v1/admin/.
func (s *Server) Handler() http.Handler {
	mux := newRouter()
	mux.Handle("POST /v1/admin/accounts/import", s.admin(s.importAccounts))
	mux.Handle("POST /v1/admin/app/settings", s.admin(s.appSettings))
	mux.Handle("GET /v1/admin/app/settings", s.admin(s.getAppSettings))
	mux.Handle("POST /v1/admin/app/callback-secret", s.admin(s.rotateCallbackSecret))
	mux.Handle("GET /v1/admin/app/webhook-deliveries", s.admin(s.webhookDeliveries))
	mux.Handle("POST /v1/admin/groups", s.admin(s.createGroup))
	mux.Handle("GET /v1/admin/groups/{id}", s.admin(s.getGroup))
	mux.Handle("POST /v1/admin/groups/{id}/members", s.admin(s.addMembers))
	mux.Handle("POST /v1/admin/groups/{id}/members/remove", s.admin(s.removeMembers))
	mux.Handle("POST /v1/admin/groups/{id}/members/role", s.admin(s.setRole))
	mux.Handle("POST /v1/admin/groups/{id}/messages", s.admin(s.sendGroup))
	mux.Handle("POST /v1/admin/messages", s.admin(s.sendC2C))
	mux.Handle("GET /v1/admin/messages", s.admin(s.searchMessages))
	mux.Handle("POST /v1/admin/messages/batch", s.admin(s.sendBatch))
	mux.Handle("POST /v1/admin/push/certificates", s.admin(s.createCertificate))
	mux.Handle("GET /v1/admin/push/certificates", s.admin(s.listCertificates))
	mux.Handle("GET /v1/admin/push/certificates/{id}", s.admin(s.getCertificate))
	mux.Handle("GET /v1/admin/push/certificates/health", s.admin(s.certificatesHealth))
	mux.Handle("PATCH /v1/admin/push/certificates/{id}", s.admin(s.updateCertificate))
	mux.Handle("DELETE /v1/admin/push/certificates/{id}", s.admin(s.deleteCertificate))
	mux.Handle("GET /v1/admin/users/{id}/devices", s.admin(s.userDevices))
	mux.Handle("POST /v1/admin/push/test", s.admin(s.testPush))
	mux.Handle("GET /v1/admin/push/messages/{message_id}/trace", s.admin(s.trace))
	mux.Handle("GET /v1/admin/push/stats", s.admin(s.stats))
	mux.Handle("POST /v1/admin/push/broadcast", s.admin(s.broadcast))
	mux.Handle("GET /v1/admin/push/tasks", s.admin(s.tasks))
	mux.Handle("GET /v1/admin/push/tasks/{id}", s.admin(s.task))
	mux.Handle("GET /v1/admin/push/attr-names", s.admin(s.getAttrNames))
	mux.Handle("POST /v1/admin/push/attr-names", s.admin(s.setAttrNames))
	mux.Handle("GET /v1/admin/users/{id}/attrs", s.admin(s.getUserAttrs))
	mux.Handle("POST /v1/admin/users/{id}/attrs", s.admin(s.setUserAttrs))
	mux.Handle("GET /v1/admin/users/{id}/tags", s.admin(s.getUserTags))
	mux.Handle("POST /v1/admin/users/{id}/tags", s.admin(s.addUserTags))
	mux.Handle("POST /v1/admin/users/{id}/tags/remove", s.admin(s.removeUserTags))
	mux.Handle("POST /v1/admin/users/{id}/kick", s.admin(s.kickUser))
	mux.Handle("DELETE /v1/admin/users/{id}", s.admin(s.deleteUser))
	mux.Handle("GET /v1/admin/users/{id}/profile", s.admin(s.getProfile))
	mux.Handle("POST /v1/admin/users/{id}/profile", s.admin(s.setProfile))
	mux.Handle("DELETE /v1/admin/groups/{id}", s.admin(s.deleteGroup))
	mux.Handle("PATCH /v1/admin/groups/{id}", s.admin(s.patchGroup))
	mux.Handle("GET /v1/admin/groups/{id}/info", s.admin(s.groupInfo))
	mux.Handle("POST /v1/admin/groups/{id}/owner", s.admin(s.changeOwner))
	mux.Handle("GET /v1/admin/groups/{id}/members", s.admin(s.listMembers))
	mux.Handle("PATCH /v1/admin/groups/{id}/members/{user}", s.admin(s.patchMember))
	mux.Handle("POST /v1/admin/messages/{id}/recall", s.admin(s.recallMessage))
	mux.Handle("POST /v1/admin/messages/import", s.admin(s.importMessage))
	mux.Handle("/v1/admin/", s.admin(func(*http.Request, *store.App) (any, error) {
		return nil, errcode.Errorf(errcode.UnknownOp, "no such admin call; see docs/api.md")
	}))
	return mux
}

type handlerFunc func(r *http.Request, app *store.App) (any, error)

// HandlerFunc is an admin call served beside Handler's routes (the sandbox's): it gets
// the authenticated app and returns the answer to encode as JSON, or an error, an
// errcode error for the caller's mistakes.
type HandlerFunc func(r *http.Request, app *store.App) (any, error)

// Admin wraps h as every admin call is wrapped: it authenticates the call as the app's
// admin, bounds the body and writes h's answer or error in the API's error shape.
func (s *Server) Admin(h HandlerFunc) http.Handler { return s.admin(handlerFunc(h)) }

// admin authenticates the call (query sdkappid, identifier, usersig) as the app's admin
// and writes the handler's result or error.
func (s *Server) admin(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		res, err := h(r, app)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

func (s *Server) authenticate(r *http.Request) (*store.App, error) {
	q := r.URL.Query()
	id, err := strconv.ParseInt(q.Get("sdkappid"), 10, 64)
	if err != nil {
		return nil, errcode.Errorf(errcode.UnknownApp, "set the query parameters sdkappid, identifier and usersig")
	}
	app, err := s.Apps.FindAppByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errcode.Errorf(errcode.UnknownApp, "no app with SDKAppID %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find app: %w", err)
	}
	identifier := q.Get("identifier")
	if identifier != app.AdminUserID {
		// The admin's name is not told: an unauthenticated caller must not learn it.
		return nil, errcode.Errorf(errcode.PermissionDenied, "identifier %q is not this app's admin; use the app's admin identifier and its UserSig", identifier)
	}
	if err := gateway.UserSigError(auth.VerifyUserSig(app.SDKAppID, app.SecretKey, identifier, q.Get("usersig"), s.Now())); err != nil {
		return nil, err
	}
	return app, nil
}

// decodeBody reads a JSON body into v with a clear error.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errcode.Errorf(errcode.MessageTooLarge, "the request body is over %d bytes", MaxBodyBytes)
		}
		return errcode.Wrap(errcode.InvalidRequest, err, "the body is not the JSON this call takes: "+err.Error())
	}
	return nil
}

// errorBody is every error answer.
type errorBody struct {
	Code    int    `json:"code"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

// writeError answers with err's code and message; internal errors are logged once here
// and shown only as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := errcode.Of(err)
	if code == errcode.Internal {
		s.Logger.Error("admin api", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, code.HTTPStatus(), errorBody{Code: int(code), Error: code.Name(), Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v == nil {
		v = struct{}{}
	}
	json.NewEncoder(w).Encode(v)
}
