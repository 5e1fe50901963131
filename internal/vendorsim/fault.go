package vendorsim

import (
	"io"
	"net/http"
	"time"
)

// FaultKind is a failure a simulator can be told to answer with. Each simulator answers
// a kind with its vendor's real error shape (status, body, code).
type FaultKind string

// The fault kinds.
const (
	ServerError FaultKind = "server_error" // the vendor's 5xx / "service unavailable"
	Throttle    FaultKind = "throttle"     // 429 or the vendor's flow-control code, with Retry-After if set
	Quota       FaultKind = "quota"        // the vendor's daily-quota error
	AuthExpired FaultKind = "auth_expired" // the vendor's expired-token error
	Timeout     FaultKind = "timeout"      // the request hangs until the client gives up
	Reset       FaultKind = "reset"        // the connection (or HTTP/2 stream) is reset
)

// FaultTarget says which endpoints a fault applies to.
type FaultTarget string

// Fault targets.
const (
	TargetSend FaultTarget = "send" // the send endpoints (the default)
	TargetAuth FaultTarget = "auth" // the auth/token endpoints
)

// A Fault tells a simulator to fail requests: the next Count requests (Count > 0), or
// every request until Until, or both (whichever ends first).
type Fault struct {
	Kind       FaultKind     `json:"kind"`
	Target     FaultTarget   `json:"target,omitempty"`
	Count      int           `json:"count,omitempty"`
	Until      time.Time     `json:"until,omitempty"`
	RetryAfter time.Duration `json:"retry_after,omitempty"` // sent as Retry-After where the vendor sends one
}

type faultRule struct {
	Fault
	left int // requests still to fail when Count > 0
}

// Inject adds a fault. Faults are consumed in the order they were injected.
func (s *Sim) Inject(f Fault) {
	if f.Target == "" {
		f.Target = TargetSend
	}
	if f.Count <= 0 && f.Until.IsZero() {
		f.Count = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, &faultRule{Fault: f, left: f.Count})
	s.mu.Unlock()
}

// ClearFaults removes every pending fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// NextFault returns the fault the current request to target must answer with, if any,
// and uses it up.
func (s *Sim) NextFault(target FaultTarget) (Fault, bool) {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < len(s.faults); i++ {
		r := s.faults[i]
		expired := !r.Until.IsZero() && !now.Before(r.Until)
		if expired || (r.Count > 0 && r.left <= 0) {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			i--
			continue
		}
		if r.Target != target {
			continue
		}
		if r.Count > 0 {
			r.left--
		}
		return r.Fault, true
	}
	return Fault{}, false
}

// TimeoutLimit bounds how long a Timeout fault holds a request whose client never gives up.
const TimeoutLimit = 30 * time.Second

// TransportFault handles the kinds that are the same for every vendor, Timeout and
// Reset, and reports whether it did. A vendor simulator calls it first with the fault
// NextFault returned and answers the other kinds itself.
func TransportFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.Kind {
	case Timeout:
		// Read the body first: net/http only notices a client that gave up (and ends the
		// request context) once the handler has consumed the request.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(TimeoutLimit):
		}
		panic(http.ErrAbortHandler)
	case Reset:
		// net/http closes the connection (HTTP/1) or resets the stream (HTTP/2) on this panic.
		panic(http.ErrAbortHandler)
	}
	return false
}
