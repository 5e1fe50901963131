package apns

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/herald-im/herald/internal/vendorsim"
)

// Limits the simulator enforces (vendors.md §2).
const (
	maxPayloadBytes    = 4096
	maxCollapseIDBytes = 64
	providerTokenLife  = time.Hour
)

var (
	deviceToken = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	uuid        = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	pushTypes   = map[string]bool{"alert": true, "background": true, "voip": true, "complication": true, "fileprovider": true,
		"mdm": true, "liveactivity": true, "location": true, "pushtotalk": true}
)

// rejection is an APNs error answer (vendors.md §2.4).
type rejection struct {
	status    int
	reason    string
	timestamp int64 // Unix ms, for 410
}

// reject writes {"reason":…} with an apns-id and counts the rejection.
func (s *Server) reject(w http.ResponseWriter, status int, reason, apnsID string) {
	s.writeRejection(w, rejection{status: status, reason: reason}, apnsID)
}

func (s *Server) writeRejection(w http.ResponseWriter, e rejection, apnsID string) {
	s.CountRejected()
	if apnsID == "" {
		apnsID = newUUID()
	}
	w.Header().Set("apns-id", apnsID)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	body := map[string]any{"reason": e.reason}
	if e.timestamp != 0 {
		body["timestamp"] = e.timestamp
	}
	json.NewEncoder(w).Encode(body)
}

// handlePush is POST /3/device/{token} (vendors.md §2.1–2.4).
func (s *Server) handlePush(w http.ResponseWriter, r *http.Request) {
	s.CountRequest()
	apnsID := r.Header.Get("apns-id")
	if apnsID != "" && !uuid.MatchString(apnsID) {
		s.reject(w, http.StatusBadRequest, "BadMessageId", "")
		return
	}
	if apnsID == "" {
		apnsID = newUUID()
	}
	topic := r.Header.Get("apns-topic")
	team, certBundle, e := s.authenticate(r)
	if e != nil {
		s.writeRejection(w, *e, apnsID)
		return
	}
	// Faults come after authentication, so that a provider token is counted once seen.
	if f, ok := s.NextFault(vendorsim.TargetSend); ok && !vendorsim.TransportFault(w, r, f) {
		e := faultRejection(f, r.Header.Get("authorization") != "")
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter.Seconds())))
		}
		s.writeRejection(w, e, apnsID)
		return
	}
	if e := s.checkTopic(team, certBundle, &topic); e != nil {
		s.writeRejection(w, *e, apnsID)
		return
	}
	pushType := r.Header.Get("apns-push-type")
	if pushType == "" {
		pushType = "alert"
	}
	voipTopic := strings.HasSuffix(topic, ".voip")
	if !pushTypes[pushType] || (pushType == "voip") != voipTopic {
		s.reject(w, http.StatusBadRequest, "InvalidPushType", apnsID)
		return
	}
	prio := r.Header.Get("apns-priority")
	if prio != "" && prio != "10" && prio != "5" && prio != "1" {
		s.reject(w, http.StatusBadRequest, "BadPriority", apnsID)
		return
	}
	if pushType == "background" && (prio == "" || prio == "10") {
		// Apple: a background notification must be sent at priority 5 (omitted means 10);
		// APNs answers 400 BadPriority.
		s.reject(w, http.StatusBadRequest, "BadPriority", apnsID)
		return
	}
	var ttl time.Duration
	if exp := r.Header.Get("apns-expiration"); exp != "" {
		secs, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || secs < 0 {
			s.reject(w, http.StatusBadRequest, "BadExpirationDate", apnsID)
			return
		}
		if secs > 0 {
			ttl = time.Unix(secs, 0).Sub(s.Now().Truncate(time.Second))
		}
	}
	collapse := r.Header.Get("apns-collapse-id")
	if len(collapse) > maxCollapseIDBytes {
		s.reject(w, http.StatusBadRequest, "BadCollapseId", apnsID)
		return
	}
	token := strings.TrimPrefix(r.URL.Path, "/3/device/")
	if token == "" {
		s.reject(w, http.StatusBadRequest, "MissingDeviceToken", apnsID)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		s.reject(w, http.StatusBadRequest, "PayloadEmpty", apnsID)
		return
	}
	if len(raw) > maxPayloadBytes {
		s.reject(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge", apnsID)
		return
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		s.reject(w, http.StatusBadRequest, "PayloadEmpty", apnsID)
		return
	}
	var payload map[string]json.RawMessage
	var aps apsDict
	// A PushKit (voip) payload is free-form JSON: "aps" is optional there, required elsewhere.
	needAps := pushType != "voip"
	if json.Unmarshal(raw, &payload) != nil || payload == nil || (needAps && payload["aps"] == nil) ||
		(payload["aps"] != nil && json.Unmarshal(payload["aps"], &aps) != nil) {
		// Apple documents no reason for a malformed payload; the simulator's choice.
		s.reject(w, http.StatusBadRequest, "BadPayload", apnsID)
		return
	}
	if !deviceToken.MatchString(token) {
		s.reject(w, http.StatusBadRequest, "BadDeviceToken", apnsID)
		return
	}
	switch state, app := s.Lookup(strings.ToLower(token)); {
	case state == vendorsim.Unknown:
		s.reject(w, http.StatusBadRequest, "BadDeviceToken", apnsID)
		return
	case app != strings.TrimSuffix(topic, ".voip"):
		s.reject(w, http.StatusBadRequest, "DeviceTokenNotForTopic", apnsID)
		return
	case state == vendorsim.Unregistered:
		s.writeRejection(w, rejection{status: http.StatusGone, reason: "Unregistered", timestamp: s.Now().UnixMilli()}, apnsID)
		return
	}
	s.Deliver(delivered(strings.ToLower(token), apnsID, pushType, prio, collapse, ttl, aps, payload, raw))
	w.Header().Set("apns-id", apnsID)
	w.WriteHeader(http.StatusOK)
}

// authenticate checks the provider token or the client certificate and returns the team
// (token auth) or the certificate's bundle ID (certificate auth).
func (s *Server) authenticate(r *http.Request) (team, certBundle string, e *rejection) {
	h := r.Header.Get("authorization")
	if h == "" {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			return "", "", &rejection{status: http.StatusForbidden, reason: "MissingProviderToken"}
		}
		s.mu.Lock()
		bundle, ok := s.certs[r.TLS.PeerCertificates[0].SerialNumber.String()]
		s.mu.Unlock()
		if !ok {
			return "", "", &rejection{status: http.StatusForbidden, reason: "BadCertificate"}
		}
		return "", bundle, nil
	}
	raw, ok := strings.CutPrefix(h, "bearer ")
	if !ok {
		return "", "", &rejection{status: http.StatusForbidden, reason: "InvalidProviderToken"}
	}
	b, err := s.verifyProviderToken(raw)
	if err != nil {
		return "", "", &rejection{status: http.StatusForbidden, reason: "InvalidProviderToken"}
	}
	if s.Now().Sub(b.issuedAt) > providerTokenLife {
		return "", "", &rejection{status: http.StatusForbidden, reason: "ExpiredProviderToken"}
	}
	if s.TokenUpdateInterval > 0 {
		now := s.Now()
		s.mu.Lock()
		prev := s.conns[r.RemoteAddr]
		tooSoon := prev != nil && prev.raw != raw && now.Sub(prev.since) < s.TokenUpdateInterval
		if prev == nil || (prev.raw != raw && !tooSoon) {
			s.conns[r.RemoteAddr] = &bearer{raw: raw, since: now}
		}
		s.mu.Unlock()
		if tooSoon {
			return "", "", &rejection{status: http.StatusTooManyRequests, reason: "TooManyProviderTokenUpdates"}
		}
	}
	return b.teamID, "", nil
}

// verifyProviderToken checks an ES256 provider token against its key once and remembers
// it; each newly verified token counts as an auth call.
func (s *Server) verifyProviderToken(raw string) (*bearer, error) {
	s.mu.Lock()
	b, ok := s.verified[raw]
	s.mu.Unlock()
	if ok {
		return b, nil
	}
	var key *Key
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		s.mu.Lock()
		key = s.keys[kid]
		s.mu.Unlock()
		if key == nil {
			return nil, errors.New("unknown key ID")
		}
		return key.pub, nil
	}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		return nil, err
	}
	iss, _ := claims["iss"].(string)
	iat, ok := claims["iat"].(float64)
	if iss != key.TeamID || !ok {
		return nil, fmt.Errorf("iss %q or iat missing or wrong", iss)
	}
	issuedAt := time.Unix(int64(iat), 0)
	if issuedAt.After(s.Now().Add(time.Minute)) {
		return nil, errors.New("iat in the future")
	}
	b = &bearer{raw: raw, teamID: iss, issuedAt: issuedAt}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Concurrent first requests with one new token verify it side by side; it is still
	// one token, counted once.
	if prev, ok := s.verified[raw]; ok {
		return prev, nil
	}
	s.verified[raw] = b
	s.CountAuth()
	return b, nil
}

// checkTopic checks apns-topic against the credentials, filling it in from the
// certificate when it is absent.
func (s *Server) checkTopic(team, certBundle string, topic *string) *rejection {
	if certBundle != "" {
		if *topic == "" {
			*topic = certBundle
		}
		if *topic != certBundle && *topic != certBundle+".voip" {
			return &rejection{status: http.StatusBadRequest, reason: "TopicDisallowed"}
		}
		return nil
	}
	if *topic == "" {
		return &rejection{status: http.StatusBadRequest, reason: "MissingTopic"}
	}
	s.mu.Lock()
	app := s.apps[strings.TrimSuffix(*topic, ".voip")]
	s.mu.Unlock()
	switch {
	case app == nil:
		return &rejection{status: http.StatusBadRequest, reason: "BadTopic"}
	case app.TeamID != team:
		return &rejection{status: http.StatusBadRequest, reason: "TopicDisallowed"}
	}
	return nil
}

// faultRejection is APNs' answer to an injected fault (vendors.md §2.4). APNs has no
// quota, so Quota is answered like Throttle.
func faultRejection(f vendorsim.Fault, tokenAuth bool) rejection {
	switch f.Kind {
	case vendorsim.Throttle, vendorsim.Quota:
		return rejection{status: http.StatusTooManyRequests, reason: "TooManyRequests"}
	case vendorsim.AuthExpired:
		if !tokenAuth {
			return rejection{status: http.StatusForbidden, reason: "BadCertificate"}
		}
		return rejection{status: http.StatusForbidden, reason: "ExpiredProviderToken"}
	default:
		return rejection{status: http.StatusInternalServerError, reason: "InternalServerError"}
	}
}

// apsDict is the part of "aps" the phone shows.
type apsDict struct {
	Alert             json.RawMessage `json:"alert"`
	Badge             *int            `json:"badge"`
	Sound             json.RawMessage `json:"sound"`
	Category          string          `json:"category"`
	ThreadID          string          `json:"thread-id"`
	ContentAvailable  int             `json:"content-available"`
	MutableContent    int             `json:"mutable-content"`
	InterruptionLevel string          `json:"interruption-level"`
}

// delivered is what the phone shows; the top-level keys other than "aps" are what the app
// reads on tap.
func delivered(token, apnsID, pushType, prio, collapse string, ttl time.Duration, aps apsDict, payload map[string]json.RawMessage, raw []byte) vendorsim.Delivered {
	d := vendorsim.Delivered{Token: token, MessageID: apnsID, PushType: pushType, CollapseID: collapse, TTL: ttl,
		Badge: aps.Badge, Category: aps.Category, Click: vendorsim.Click{Type: "open_app"}, Raw: raw}
	if collapse != "" {
		// §2.3: "apns-collapse-id": notifications with the same merge key are shown as one.
		d.ReplaceKeys = []string{"apns-collapse-id:" + collapse}
	}
	d.Priority = prio
	if d.Priority == "" {
		d.Priority = "10"
	}
	var alert struct{ Title, Subtitle, Body string }
	var alertText string
	if json.Unmarshal(aps.Alert, &alertText) == nil {
		d.Body = alertText
	} else if json.Unmarshal(aps.Alert, &alert) == nil {
		d.Title, d.Subtitle, d.Body = alert.Title, alert.Subtitle, alert.Body
	}
	var sound struct{ Name string }
	if json.Unmarshal(aps.Sound, &d.Sound) != nil && json.Unmarshal(aps.Sound, &sound) == nil {
		d.Sound = sound.Name
	}
	for k, v := range payload {
		if k == "aps" {
			continue
		}
		var str string
		if json.Unmarshal(v, &str) != nil {
			str = string(v)
		}
		if d.Extras == nil {
			d.Extras = map[string]string{}
		}
		d.Extras[k] = str
	}
	d.Ext = d.Extras["ext"]
	d.Image = d.Extras["image"]
	return d
}

// newUUID returns a random lower-case canonical UUID, as APNs generates for apns-id.
func newUUID() string {
	h := vendorsim.RandomHex(16)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}
