package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
)

// Handler is an admin call: the node wraps each with the admin API's authentication
// and error writing (api.Server.Admin).
type Handler func(r *http.Request, app *store.App) (any, error)

// Routes returns the sandbox's admin calls by ServeMux pattern (docs/api.md,
// "Sandbox"):
//
//	GET    /v1/admin/sandbox                                  the simulators and certificates
//	POST   /v1/admin/sandbox/phones                           {"vendor","user_id","state"} → Phone
//	GET    /v1/admin/sandbox/phones                           → {"phones":[Phone…]}
//	GET    /v1/admin/sandbox/phones/{id}                      → Phone
//	PATCH  /v1/admin/sandbox/phones/{id}                      {"state"} → Phone
//	DELETE /v1/admin/sandbox/phones/{id}                      uninstall
//	GET    /v1/admin/sandbox/phones/{id}/notifications        → {"notifications":[…]}
//	POST   /v1/admin/sandbox/phones/{id}/notifications/{i}/tap → what the app reads
func (s *Sandbox) Routes() map[string]Handler {
	return map[string]Handler{
		"GET /v1/admin/sandbox":                                    s.own(s.info),
		"POST /v1/admin/sandbox/phones":                            s.own(s.createPhone),
		"GET /v1/admin/sandbox/phones":                             s.own(s.listPhones),
		"GET /v1/admin/sandbox/phones/{id}":                        s.own(s.getPhone),
		"PATCH /v1/admin/sandbox/phones/{id}":                      s.own(s.patchPhone),
		"DELETE /v1/admin/sandbox/phones/{id}":                     s.own(s.deletePhone),
		"GET /v1/admin/sandbox/phones/{id}/notifications":          s.own(s.notifications),
		"POST /v1/admin/sandbox/phones/{id}/notifications/{i}/tap": s.own(s.tap),
	}
}

// OffRoutes answers every sandbox call of a node without a sandbox with 40002 and how
// to start one.
func OffRoutes() map[string]Handler {
	off := func(*http.Request, *store.App) (any, error) {
		return nil, errcode.Errorf(errcode.UnknownOp, "this node runs without a sandbox; start one with herald serve --sandbox (docs/sandbox.md)")
	}
	return map[string]Handler{"/v1/admin/sandbox": off, "/v1/admin/sandbox/": off}
}

// own refuses calls of another app than the sandbox's.
func (s *Sandbox) own(h Handler) Handler {
	return func(r *http.Request, app *store.App) (any, error) {
		if app.SDKAppID != s.sdkAppID {
			return nil, errcode.Errorf(errcode.PermissionDenied, "the sandbox belongs to app %d, not %d", s.sdkAppID, app.SDKAppID)
		}
		res, err := h(r, app)
		return res, apiError(err)
	}
}

// apiError gives the sandbox's errors their codes.
func apiError(err error) error {
	var code errcode.Code
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNoPhone):
		code = errcode.UnknownOp
	case errors.Is(err, errFull):
		code = errcode.RateLimited
	case errors.Is(err, ErrNotOpen):
		code = errcode.Unavailable
	case errors.Is(err, push.ErrUnknownVendor):
		code = errcode.InvalidRequest
	default:
		return err
	}
	return errcode.Wrap(code, err, err.Error())
}

// Info is the answer of GET /v1/admin/sandbox.
type Info struct {
	SDKAppID   int64       `json:"sdkappid"`
	Simulators []Simulator `json:"simulators"`
}

// Simulator is one running vendor simulator and its sandbox certificate.
type Simulator struct {
	Vendor        push.Vendor      `json:"vendor"`
	URL           string           `json:"url"`
	CertificateID int64            `json:"certificate_id"`
	Click         push.ClickAction `json:"click"`
}

func (s *Sandbox) info(r *http.Request, app *store.App) (any, error) {
	in := Info{SDKAppID: s.sdkAppID}
	for _, v := range s.Simulators() {
		in.Simulators = append(in.Simulators, Simulator{Vendor: v.Vendor, URL: v.URL, CertificateID: s.CertificateID(v.Vendor), Click: click(v.Vendor)})
	}
	return in, nil
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errcode.Wrap(errcode.InvalidRequest, err, "the body is not the JSON this call takes: "+err.Error())
	}
	return nil
}

func (s *Sandbox) createPhone(r *http.Request, app *store.App) (any, error) {
	var req struct {
		Vendor string `json:"vendor"`
		UserID string `json:"user_id"`
		State  string `json:"state"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	v, err := push.ParseVendor(req.Vendor)
	if err != nil {
		return nil, errcode.Errorf(errcode.InvalidRequest, "vendor %q: use one of fcm, apns, huawei, honor, xiaomi, oppo, vivo, meizu", req.Vendor)
	}
	if req.UserID == "" {
		return nil, errcode.Errorf(errcode.InvalidUserID, "user_id is required")
	}
	st := Background
	if req.State != "" {
		if st, err = ParseState(req.State); err != nil {
			return nil, errcode.Wrap(errcode.InvalidRequest, err, err.Error())
		}
	}
	return s.CreatePhone(r.Context(), PhoneSpec{Vendor: v, UserID: req.UserID, State: st})
}

func (s *Sandbox) listPhones(r *http.Request, app *store.App) (any, error) {
	return map[string]any{"phones": s.Phones()}, nil
}

func (s *Sandbox) getPhone(r *http.Request, app *store.App) (any, error) {
	return s.FindPhone(r.PathValue("id"))
}

func (s *Sandbox) patchPhone(r *http.Request, app *store.App) (any, error) {
	var req struct {
		State string `json:"state"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	st, err := ParseState(req.State)
	if err != nil {
		return nil, errcode.Wrap(errcode.InvalidRequest, err, err.Error())
	}
	return s.SetState(r.Context(), r.PathValue("id"), st)
}

func (s *Sandbox) deletePhone(r *http.Request, app *store.App) (any, error) {
	if err := s.DeletePhone(r.Context(), r.PathValue("id")); err != nil {
		return nil, err
	}
	return map[string]string{"deleted": r.PathValue("id")}, nil
}

func (s *Sandbox) notifications(r *http.Request, app *store.App) (any, error) {
	ns, err := s.Notifications(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"notifications": ns}, nil
}

func (s *Sandbox) tap(r *http.Request, app *store.App) (any, error) {
	i, err := strconv.Atoi(r.PathValue("i"))
	if err != nil {
		return nil, errcode.Errorf(errcode.InvalidRequest, "notification index %q: use a number, 0 for the oldest", r.PathValue("i"))
	}
	res, err := s.Tap(r.PathValue("id"), i)
	if err != nil {
		return nil, err
	}
	return res, nil
}
