package fcm

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/vendorsim"
)

// The wire types of messages:send, as far as the simulator accepts them (vendors.md §1.2).
// Unknown fields are refused, as the real protobuf-JSON decoder does.
type sendRequest struct {
	ValidateOnly bool     `json:"validate_only"`
	Message      *message `json:"message"`
}

type message struct {
	Name         string            `json:"name"`
	Token        string            `json:"token"`
	Topic        string            `json:"topic"`
	Condition    string            `json:"condition"`
	Notification *notification     `json:"notification"`
	Data         map[string]string `json:"data"`
	Android      *androidConfig    `json:"android"`
	APNs         json.RawMessage   `json:"apns"`
	Webpush      json.RawMessage   `json:"webpush"`
	FCMOptions   json.RawMessage   `json:"fcm_options"`
}

type notification struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	Image string `json:"image"`
}

type androidConfig struct {
	CollapseKey           string               `json:"collapse_key"`
	Priority              string               `json:"priority"`
	TTL                   string               `json:"ttl"`
	RestrictedPackageName string               `json:"restricted_package_name"`
	Data                  map[string]string    `json:"data"`
	DirectBootOK          bool                 `json:"direct_boot_ok"`
	Notification          *androidNotification `json:"notification"`
	FCMOptions            json.RawMessage      `json:"fcm_options"`
}

type androidNotification struct {
	Title             string `json:"title"`
	Body              string `json:"body"`
	Icon              string `json:"icon"`
	Color             string `json:"color"`
	Sound             string `json:"sound"`
	Tag               string `json:"tag"`
	ClickAction       string `json:"click_action"`
	ChannelID         string `json:"channel_id"`
	NotificationCount *int   `json:"notification_count"`
	Image             string `json:"image"`
}

var (
	// registrationToken is the shape of an FCM registration token.
	registrationToken = regexp.MustCompile(`^[A-Za-z0-9_-]{11,}:APA91b[A-Za-z0-9_-]{100,}$`)
	// duration is a protobuf Duration in JSON: seconds with up to nine decimals and "s".
	duration = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,9})?s$`)
)

const msgInvalidToken = "The registration token is not a valid FCM registration token"

// handleSend is POST /v1/projects/{project}/messages:send (vendors.md §1.2, §1.4).
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	s.CountRequest()
	if f, ok := s.NextFault(vendorsim.TargetSend); ok && !vendorsim.TransportFault(w, r, f) {
		s.writeRPCError(w, faultError(f))
		return
	}
	project := r.PathValue("project")
	tokProject, rerr := s.accessProject(r)
	if rerr != nil {
		s.writeRPCError(w, *rerr)
		return
	}
	if tokProject != project {
		s.writeRPCError(w, rpcError{status: http.StatusForbidden, rpcStatus: "PERMISSION_DENIED",
			message: fmt.Sprintf("Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/%s' (or it may not exist).", project)})
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.writeRPCError(w, invalidArgument(fmt.Sprintf("Invalid Content-Type %q; want application/json.", ct), ""))
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		s.writeRPCError(w, invalidArgument("Unreadable body.", ""))
		return
	}
	var req sendRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.writeRPCError(w, invalidArgument(fmt.Sprintf("Invalid JSON payload received. %v", err), ""))
		return
	}
	m := req.Message
	if m == nil {
		s.writeRPCError(w, invalidArgument("Request contains an invalid argument.", "message"))
		return
	}
	if e := s.validate(project, m, raw); e != nil {
		s.writeRPCError(w, *e)
		return
	}
	id := fmt.Sprintf("0:%d%%%s", s.Now().UnixMicro(), vendorsim.RandomHex(8))
	name := "projects/" + project + "/messages/" + id
	if req.ValidateOnly {
		writeJSON(w, http.StatusOK, map[string]string{"name": "projects/" + project + "/messages/fake_message_id"})
		return
	}
	s.Deliver(delivered(m, name, raw))
	writeJSON(w, http.StatusOK, map[string]string{"name": name})
}

// validate checks m as FCM does and returns the error to answer, if any.
func (s *Server) validate(project string, m *message, raw []byte) *rpcError {
	targets := 0
	for _, t := range []string{m.Token, m.Topic, m.Condition} {
		if t != "" {
			targets++
		}
	}
	if targets != 1 {
		e := invalidArgument("Exactly one of token, topic or condition must be set.", "message")
		return &e
	}
	if m.Topic != "" || m.Condition != "" {
		e := invalidArgument("The simulator delivers to tokens only.", "message.topic")
		return &e
	}
	if a := m.Android; a != nil {
		// FCM parses these enum names case-insensitively: the official Admin SDKs send
		// "high"/"normal" in lower case.
		if p := strings.ToUpper(a.Priority); p != "" && p != "NORMAL" && p != "HIGH" {
			e := invalidArgument(fmt.Sprintf("Invalid value at 'message.android.priority' (type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), %q", a.Priority), "message.android.priority")
			return &e
		}
		if a.TTL != "" && !duration.MatchString(a.TTL) {
			e := invalidArgument(fmt.Sprintf("Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), Field 'ttl', Illegal duration format; duration must end with 's'"), "message.android.ttl")
			return &e
		}
		if n := a.Notification; n != nil && n.NotificationCount != nil && *n.NotificationCount < 0 {
			e := invalidArgument("Invalid notification_count: must not be negative.", "message.android.notification.notification_count")
			return &e
		}
	}
	if size := payloadSize(raw); size > maxPayloadBytes {
		e := invalidArgument(fmt.Sprintf("Android message is too big: %d bytes, the limit is %d", size, maxPayloadBytes), "message")
		return &e
	}
	if !registrationToken.MatchString(m.Token) {
		return &rpcError{status: http.StatusBadRequest, rpcStatus: "INVALID_ARGUMENT", message: msgInvalidToken, fcmCode: "INVALID_ARGUMENT"}
	}
	switch state, app := s.Lookup(m.Token); {
	case state == vendorsim.Unknown:
		return &rpcError{status: http.StatusBadRequest, rpcStatus: "INVALID_ARGUMENT", message: msgInvalidToken, fcmCode: "INVALID_ARGUMENT"}
	case app != project:
		return &rpcError{status: http.StatusForbidden, rpcStatus: "PERMISSION_DENIED", message: "SenderId mismatch", fcmCode: "SENDER_ID_MISMATCH"}
	case state == vendorsim.Unregistered:
		return &rpcError{status: http.StatusNotFound, rpcStatus: "NOT_FOUND", message: "Requested entity was not found.", fcmCode: "UNREGISTERED"}
	}
	return nil
}

// payloadSize is the size FCM's 4096-byte limit applies to: the message's JSON without
// its target token.
func payloadSize(raw []byte) int {
	var req struct {
		Message map[string]json.RawMessage `json:"message"`
	}
	if json.Unmarshal(raw, &req) != nil {
		return len(raw)
	}
	delete(req.Message, "token")
	b, err := json.Marshal(req.Message) // compacts, as the sender measures
	if err != nil {
		return len(raw)
	}
	return len(b)
}

func invalidArgument(msg, field string) rpcError {
	e := rpcError{status: http.StatusBadRequest, rpcStatus: "INVALID_ARGUMENT", message: msg, fcmCode: "INVALID_ARGUMENT"}
	if field != "" {
		e.details = []map[string]any{{
			"@type":           "type.googleapis.com/google.rpc.BadRequest",
			"fieldViolations": []map[string]string{{"field": field, "description": msg}},
		}}
	}
	return e
}

// faultError is FCM's answer to an injected fault (vendors.md §1.4).
func faultError(f vendorsim.Fault) rpcError {
	switch f.Kind {
	case vendorsim.Throttle:
		return rpcError{status: http.StatusServiceUnavailable, rpcStatus: "UNAVAILABLE", message: "The service is currently unavailable.", fcmCode: "UNAVAILABLE", retryAfter: f.RetryAfter}
	case vendorsim.Quota:
		return rpcError{status: http.StatusTooManyRequests, rpcStatus: "RESOURCE_EXHAUSTED", message: "Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute'.", fcmCode: "QUOTA_EXCEEDED", retryAfter: f.RetryAfter,
			details: []map[string]any{{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []map[string]string{{"subject": "project", "description": "Send requests per minute per project"}}}}}
	case vendorsim.AuthExpired:
		return rpcError{status: http.StatusUnauthorized, rpcStatus: "UNAUTHENTICATED", message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."}
	default:
		return rpcError{status: http.StatusInternalServerError, rpcStatus: "INTERNAL", message: "Internal error encountered.", fcmCode: "INTERNAL"}
	}
}

// delivered is what the phone shows for m: android.notification overrides
// message.notification, android.data overrides message.data, and the data keys are the
// intent extras the app reads on tap.
func delivered(m *message, name string, raw []byte) vendorsim.Delivered {
	d := vendorsim.Delivered{Token: m.Token, MessageID: name, Click: vendorsim.Click{Type: "open_app"}}
	if n := m.Notification; n != nil {
		d.Title, d.Body, d.Image = n.Title, n.Body, n.Image
	}
	extras := m.Data
	if a := m.Android; a != nil {
		if a.Data != nil {
			extras = a.Data
		}
		d.Priority = strings.ToUpper(a.Priority)
		d.CollapseID = a.CollapseKey
		if a.TTL != "" {
			secs, _ := strconv.ParseFloat(strings.TrimSuffix(a.TTL, "s"), 64)
			d.TTL = time.Duration(secs * float64(time.Second))
		}
		if n := a.Notification; n != nil {
			d.Title = cmp.Or(n.Title, d.Title)
			d.Body = cmp.Or(n.Body, d.Body)
			d.Image = cmp.Or(n.Image, d.Image)
			d.Sound, d.ChannelID, d.Badge = n.Sound, n.ChannelID, n.NotificationCount
			d.CollapseID = cmp.Or(n.Tag, d.CollapseID)
			if n.Tag != "" {
				// §1.2: android.notification.tag replaces the shown notification with the
				// same tag; collapse_key only collapses messages still undelivered.
				d.ReplaceKeys = []string{"tag:" + n.Tag}
			}
			if n.ClickAction != "" {
				d.Click = vendorsim.Click{Type: "open_page", Target: n.ClickAction}
			}
		}
	}
	if len(extras) > 0 {
		d.Extras = extras
		d.Ext = extras["ext"]
	}
	if req := (struct {
		Message json.RawMessage `json:"message"`
	}{}); json.Unmarshal(raw, &req) == nil {
		d.Raw = req.Message
	}
	return d
}
