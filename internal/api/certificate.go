package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
)

// MaxCertificateName bounds a certificate's console label, in bytes.
const MaxCertificateName = 100

// Certificate is a push certificate as the API shows it: the credential fields of
// push.Certificate under their JSON names, every secret masked (push.Certificate.Masked),
// and the binary secrets (service_account, key_p8, cert_p12) as their sizes.
type Certificate struct {
	ID     int64       `json:"id"`
	Vendor push.Vendor `json:"vendor"`
	Name   string      `json:"name"`
	*push.Certificate
	// These shadow the embedded []byte fields, which would show as base64.
	ServiceAccount string    `json:"service_account,omitempty"`
	KeyP8          string    `json:"key_p8,omitempty"`
	CertP12        string    `json:"cert_p12,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// newCertificate returns the view of c, with its secrets masked.
func newCertificate(c *push.Certificate) *Certificate {
	m := c.Masked()
	return &Certificate{
		ID: c.ID, Vendor: c.Vendor, Name: c.Name, Certificate: m,
		ServiceAccount: string(m.ServiceAccount), KeyP8: string(m.KeyP8), CertP12: string(m.CertP12),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

// Body keys that are not push.Certificate fields: vendor and name are read apart; the
// read-only ones that a GET shows are ignored, so that an answer can be sent back.
const (
	keyVendor = "vendor"
	keyName   = "name"
)

var readOnlyKeys = []string{"id", "created_at", "updated_at"}

// secretKeys are the certificate fields whose values are masked in answers.
var secretKeys = []string{"app_secret", "master_secret", "client_secret", "cert_password", "service_account", "key_p8", "cert_p12"}

func (s *Server) listCertificates(r *http.Request, app *store.App) (any, error) {
	scs, err := s.Push.FindCertificates(r.Context(), app.SDKAppID)
	if err != nil {
		return nil, err
	}
	out := make([]*Certificate, 0, len(scs))
	for _, sc := range scs {
		c, err := push.FromStored(sc)
		if err != nil {
			return nil, err
		}
		out = append(out, newCertificate(c))
	}
	return map[string]any{"certificates": out}, nil
}

func (s *Server) getCertificate(r *http.Request, app *store.App) (any, error) {
	c, err := s.findCertificate(r, app)
	if err != nil {
		return nil, err
	}
	return newCertificate(c), nil
}

func (s *Server) createCertificate(r *http.Request, app *store.App) (any, error) {
	fields, err := decodeFields(r)
	if err != nil {
		return nil, err
	}
	var vendor, name string
	if err := takeString(fields, keyVendor, &vendor); err != nil {
		return nil, err
	}
	if err := takeString(fields, keyName, &name); err != nil {
		return nil, err
	}
	if vendor == "" {
		return nil, errcode.Errorf(errcode.InvalidRequest, "field %q is required: one of %s", keyVendor, vendorList())
	}
	v, err := push.ParseVendor(vendor)
	if err != nil {
		return nil, errcode.Wrap(errcode.InvalidRequest, err, fmt.Sprintf("field %q: %q is not one of %s", keyVendor, vendor, vendorList()))
	}
	c, err := decodeCertificate(fields)
	if err != nil {
		return nil, err
	}
	c.SDKAppID, c.Vendor, c.Name = app.SDKAppID, v, name
	if err := s.validateCertificate(c); err != nil {
		return nil, err
	}
	sc, err := c.ToStored()
	if err != nil {
		return nil, err
	}
	if err := s.Push.CreateCertificate(r.Context(), sc); err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	c.ID, c.CreatedAt, c.UpdatedAt = sc.ID, sc.CreatedAt, sc.UpdatedAt
	s.Logger.Info("push certificate created", "app", app.SDKAppID, "certificate", c.ID, "vendor", c.Vendor)
	return newCertificate(c), nil
}

// updateCertificate merges the body into the stored certificate: a field left out keeps
// its value (secrets need not be entered again), null clears it, and an object (click,
// endpoint) replaces the old one whole. A secret sent back as its mask is unchanged.
func (s *Server) updateCertificate(r *http.Request, app *store.App) (any, error) {
	cur, err := s.findCertificate(r, app)
	if err != nil {
		return nil, err
	}
	patch, err := decodeFields(r)
	if err != nil {
		return nil, err
	}
	var vendor string
	name := cur.Name
	if err := takeString(patch, keyVendor, &vendor); err != nil {
		return nil, err
	}
	if vendor != "" && vendor != string(cur.Vendor) {
		return nil, errcode.Errorf(errcode.InvalidRequest, "field %q: a certificate's vendor cannot change; create a new certificate", keyVendor)
	}
	if err := takeString(patch, keyName, &name); err != nil {
		return nil, err
	}

	// The current fields, as JSON, with the patch laid over them.
	curJSON, err := json.Marshal(cur)
	if err != nil {
		return nil, fmt.Errorf("encode certificate: %w", err)
	}
	merged := map[string]json.RawMessage{}
	if err := json.Unmarshal(curJSON, &merged); err != nil {
		return nil, fmt.Errorf("decode certificate: %w", err)
	}
	masks := maskedValues(cur)
	for k, v := range patch {
		switch {
		case bytes.Equal(bytes.TrimSpace(v), []byte("null")):
			delete(merged, k)
		case masks[k] != nil && bytes.Equal(bytes.TrimSpace(v), masks[k]):
			// The mask of the current secret, as a GET showed it: keep the secret.
		default:
			merged[k] = v
		}
	}
	c, err := decodeCertificate(merged)
	if err != nil {
		return nil, err
	}
	c.ID, c.SDKAppID, c.Vendor, c.Name, c.CreatedAt = cur.ID, cur.SDKAppID, cur.Vendor, name, cur.CreatedAt
	if err := s.validateCertificate(c); err != nil {
		return nil, err
	}
	sc, err := c.ToStored()
	if err != nil {
		return nil, err
	}
	if err := s.Push.UpdateCertificate(r.Context(), app.SDKAppID, c.ID, store.CertificateUpdate{Name: &name, Config: sc.Config}); err != nil {
		return nil, s.certificateError(c.ID, err)
	}
	s.Logger.Info("push certificate updated", "app", app.SDKAppID, "certificate", c.ID, "vendor", c.Vendor)
	return s.getCertificate(r, app)
}

func (s *Server) deleteCertificate(r *http.Request, app *store.App) (any, error) {
	id, err := certificateID(r)
	if err != nil {
		return nil, err
	}
	if err := s.Push.DeleteCertificate(r.Context(), app.SDKAppID, id); err != nil {
		return nil, s.certificateError(id, err)
	}
	s.Logger.Info("push certificate deleted", "app", app.SDKAppID, "certificate", id)
	return map[string]int64{"deleted": id}, nil
}

func certificateID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errcode.Errorf(errcode.InvalidRequest, "certificate ID %q is not a number", r.PathValue("id"))
	}
	return id, nil
}

// findCertificate returns the certificate the path names.
func (s *Server) findCertificate(r *http.Request, app *store.App) (*push.Certificate, error) {
	id, err := certificateID(r)
	if err != nil {
		return nil, err
	}
	sc, err := s.Push.FindCertificateByID(r.Context(), app.SDKAppID, id)
	if err != nil {
		return nil, s.certificateError(id, err)
	}
	return push.FromStored(sc)
}

// certificateError turns the store's not-found into the answer for an unknown
// certificate: 40001, as SetOfflinePushConfig answers for one.
func (s *Server) certificateError(id int64, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errcode.Wrap(errcode.InvalidRequest, err, fmt.Sprintf("no push certificate %d in this app", id))
	}
	return err
}

// validateCertificate checks the click action for the vendor and the vendor's own
// rules (push.CertificateValidator); the error names the field in its JSON name.
func (s *Server) validateCertificate(c *push.Certificate) error {
	if c.Name == "" {
		return errcode.Errorf(errcode.InvalidRequest, "field %q is required: a label for the certificate", keyName)
	}
	if len(c.Name) > MaxCertificateName {
		return errcode.Errorf(errcode.InvalidRequest, "field %q is longer than %d bytes", keyName, MaxCertificateName)
	}
	if !s.AllowPrivateEndpoints {
		for _, f := range [...]struct{ name, u string }{{"endpoint.send_url", c.Endpoint.SendURL}, {"endpoint.auth_url", c.Endpoint.AuthURL}} {
			if privateHost(f.u) {
				return errcode.Errorf(errcode.InvalidRequest,
					"field %q: %s is a loopback or private address; this server refuses those (the operator allows them with --push-allow-private-endpoints)", f.name, f.u)
			}
		}
	}
	if err := c.Click.ValidateFor(c.Vendor, c.PackageName); err != nil {
		return errcode.Wrap(errcode.InvalidRequest, err, fmt.Sprintf("field %q: %s", "click", jsonNames(err.Error())))
	}
	if err := push.ValidateRate(c.RatePerSecond); err != nil {
		return errcode.Wrap(errcode.InvalidRequest, err, "field "+err.Error())
	}
	v, ok := s.Senders[c.Vendor].(push.CertificateValidator)
	if !ok {
		return nil
	}
	if err := v.ValidateCertificate(c); err != nil {
		msg, field := jsonNames(err.Error()), firstField(err.Error())
		if field == "" {
			return errcode.Wrap(errcode.InvalidRequest, err, "invalid certificate: "+msg)
		}
		return errcode.Wrap(errcode.InvalidRequest, err, fmt.Sprintf("field %q: %s", field, msg))
	}
	return nil
}

// decodeFields reads a JSON object body as its fields.
func decodeFields(r *http.Request) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := decodeBody(r, &fields); err != nil {
		return nil, err
	}
	if fields == nil {
		return nil, errcode.Errorf(errcode.InvalidRequest, "the body must be a JSON object")
	}
	for _, k := range readOnlyKeys {
		delete(fields, k)
	}
	return fields, nil
}

// takeString removes key from fields and, unless it is absent or null, decodes it into v.
func takeString(fields map[string]json.RawMessage, key string, v *string) error {
	raw, ok := fields[key]
	delete(fields, key)
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return errcode.Wrap(errcode.InvalidRequest, err, fmt.Sprintf("field %q must be a string", key))
	}
	return nil
}

// decodeCertificate decodes certificate fields one by one, so that an error names its
// field; unknown fields are refused.
func decodeCertificate(fields map[string]json.RawMessage) (*push.Certificate, error) {
	c := new(push.Certificate)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if bytes.Equal(bytes.TrimSpace(fields[k]), []byte("null")) {
			continue
		}
		if _, ok := certificateFields()[k]; !ok {
			return nil, errcode.Errorf(errcode.InvalidRequest, "field %q is not a certificate field; see docs/api.md", k)
		}
		one, _ := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		dec := json.NewDecoder(bytes.NewReader(one))
		dec.DisallowUnknownFields()
		if err := dec.Decode(c); err != nil {
			return nil, errcode.Wrap(errcode.InvalidRequest, err, fmt.Sprintf("field %q: %s", k, decodeProblem(err)))
		}
	}
	return c, nil
}

// decodeProblem says what is wrong with a field's JSON without echoing its value,
// which may be a secret.
func decodeProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var base64Err base64.CorruptInputError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return fmt.Sprintf("%s: want %s, not a JSON %s", typeErr.Field, typeErr.Type, typeErr.Value)
		}
		return fmt.Sprintf("want %s, not a JSON %s", typeErr.Type, typeErr.Value)
	case errors.As(err, &syntaxErr):
		return "malformed JSON"
	case errors.As(err, &base64Err):
		return "binary fields take base64 (standard encoding, padded)"
	}
	// DisallowUnknownFields has no error type of its own.
	return "not the expected JSON, or an object with a field it does not take; see docs/api.md"
}

// maskedValues returns the JSON of each secret of c as an answer shows it.
func maskedValues(c *push.Certificate) map[string]json.RawMessage {
	b, _ := json.Marshal(newCertificate(c))
	var all map[string]json.RawMessage
	json.Unmarshal(b, &all)
	out := map[string]json.RawMessage{}
	for _, k := range secretKeys {
		if v, ok := all[k]; ok {
			out[k] = v
		}
	}
	return out
}

// certificateFields maps the JSON name of every push.Certificate field to its Go name,
// nested objects included ("endpoint.send_url" → "Endpoint.SendURL").
var certificateFields = sync.OnceValue(func() map[string]string {
	fields := map[string]string{}
	var walk func(t reflect.Type, jsonPrefix, goPrefix string)
	walk = func(t reflect.Type, jsonPrefix, goPrefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || name == "" || !f.IsExported() {
				continue
			}
			fields[jsonPrefix+name] = goPrefix + f.Name
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Time]() {
				walk(f.Type, jsonPrefix+name+".", goPrefix+f.Name+".")
			}
		}
	}
	walk(reflect.TypeFor[push.Certificate](), "", "")
	return fields
})

// goNames matches the Go field names of push.Certificate in a validator's message,
// longest first.
var goNames = sync.OnceValue(func() *regexp.Regexp {
	var names []string
	for _, g := range certificateFields() {
		names = append(names, regexp.QuoteMeta(g))
	}
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	return regexp.MustCompile(`\b(` + strings.Join(names, "|") + `)\b`)
})

// goToJSON maps the Go field names of push.Certificate to their JSON names.
var goToJSON = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for j, g := range certificateFields() {
		m[g] = j
	}
	return m
})

// jsonNames rewrites the Go field names in a validator's message to the JSON names the
// API takes (PackageName → package_name).
func jsonNames(msg string) string {
	return goNames().ReplaceAllStringFunc(msg, func(g string) string { return goToJSON()[g] })
}

// firstField returns the JSON name of the first certificate field a validator's
// message names, or "".
func firstField(msg string) string {
	return goToJSON()[goNames().FindString(msg)]
}

func vendorList() string {
	names := make([]string, len(push.Vendors))
	for i, v := range push.Vendors {
		names[i] = string(v)
	}
	return strings.Join(names, ", ")
}

// privateHost reports whether raw's host is localhost or a literal loopback or private
// address. Names are checked again, resolved, when the sender dials.
func privateHost(raw string) bool {
	u, err := url.Parse(raw)
	if raw == "" || err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && push.IsPrivateAddr(a)
}
