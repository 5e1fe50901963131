package fcm

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/herald-im/herald/internal/vendorsim"
)

// assertionClaims are the JWT-bearer assertion's claims (vendors.md §1.1).
type assertionClaims struct {
	Scope string `json:"scope"`
	jwt.RegisteredClaims
}

// handleToken is Google's token endpoint for the JWT-bearer grant (vendors.md §1.1).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.CountAuth()
	if f, ok := s.NextFault(vendorsim.TargetAuth); ok && !vendorsim.TransportFault(w, r, f) {
		switch f.Kind {
		case vendorsim.Throttle, vendorsim.Quota:
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", fmt.Sprint(int(f.RetryAfter.Seconds())))
			}
			s.writeOAuthError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Rate limit exceeded.")
		case vendorsim.AuthExpired:
			s.writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
		default:
			s.writeOAuthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The service is currently unavailable.")
		}
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded.")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Malformed form body.")
		return
	}
	if g := r.PostForm.Get("grant_type"); g != grantJWTBearer {
		s.writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("Invalid grant_type: %s", g))
		return
	}
	app, err := s.verifyAssertion(r.PostForm.Get("assertion"), tokenEndpointURL(r))
	if err != nil {
		var ae *assertionError
		if errors.As(err, &ae) {
			s.writeOAuthError(w, http.StatusBadRequest, ae.code, ae.desc)
			return
		}
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	access := "ya29.c." + vendorsim.RandomHex(48)
	s.mu.Lock()
	s.tokens[access] = issued{projectID: app.ProjectID, expires: s.Now().Add(s.tokenLifetime())}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access,
		"expires_in":   int(s.tokenLifetime().Seconds()),
		"token_type":   "Bearer",
	})
}

// assertionError is a refused assertion with Google's OAuth error code and description.
type assertionError struct{ code, desc string }

func (e *assertionError) Error() string { return e.code + ": " + e.desc }

func invalidGrant(desc string) error { return &assertionError{code: "invalid_grant", desc: desc} }

// verifyAssertion checks the assertion's signature (RS256 with the service account's
// key) and claims, and returns the service account's app.
func (s *Server) verifyAssertion(assertion, self string) (*App, error) {
	if assertion == "" {
		return nil, &assertionError{code: "invalid_request", desc: "Missing required parameter: assertion"}
	}
	var app *App
	var claims assertionClaims
	_, err := jwt.ParseWithClaims(assertion, &claims, func(t *jwt.Token) (any, error) {
		s.mu.Lock()
		app = s.accounts[claims.Issuer]
		s.mu.Unlock()
		if app == nil {
			return nil, invalidGrant("Invalid grant: account not found")
		}
		return app.key, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		var ae *assertionError
		if errors.As(err, &ae) {
			return nil, ae
		}
		return nil, invalidGrant("Invalid JWT Signature.")
	}
	aud := claims.Audience
	if len(aud) != 1 || (aud[0] != GoogleTokenURL && aud[0] != self) {
		return nil, invalidGrant("Invalid JWT: Failed audience check.")
	}
	scopes := strings.Fields(claims.Scope)
	if !slices.Contains(scopes, scopeMessaging) && !slices.Contains(scopes, scopeCloudPlatorm) {
		return nil, &assertionError{code: "invalid_scope", desc: "Invalid OAuth scope or ID token audience provided."}
	}
	now := s.Now()
	if claims.IssuedAt == nil || claims.ExpiresAt == nil ||
		claims.IssuedAt.After(now.Add(clockSkew)) || !claims.ExpiresAt.After(now.Add(-clockSkew)) ||
		claims.ExpiresAt.Sub(claims.IssuedAt.Time) > maxAssertionLife || !claims.ExpiresAt.After(claims.IssuedAt.Time) {
		return nil, invalidGrant("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
	}
	return app, nil
}

// tokenEndpointURL is the URL the request was sent to, the aud a client writes when its
// token_uri points here.
func tokenEndpointURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.Path
}

// accessProject returns the project of a valid access token, or the answer to give.
func (s *Server) accessProject(r *http.Request) (string, *rpcError) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return "", &rpcError{status: http.StatusUnauthorized, rpcStatus: "UNAUTHENTICATED",
			message: "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."}
	}
	s.mu.Lock()
	t, ok := s.tokens[tok]
	s.mu.Unlock()
	if !ok || !s.Now().Before(t.expires) {
		return "", &rpcError{status: http.StatusUnauthorized, rpcStatus: "UNAUTHENTICATED",
			message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."}
	}
	return t.projectID, nil
}

// ExpireAccessTokens makes every access token issued so far expired, as if their hour had
// passed, so the next send with one is refused with 401 UNAUTHENTICATED.
func (s *Server) ExpireAccessTokens() {
	now := s.Now()
	s.mu.Lock()
	for k, t := range s.tokens {
		t.expires = now
		s.tokens[k] = t
	}
	s.mu.Unlock()
}
