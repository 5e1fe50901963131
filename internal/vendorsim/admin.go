package vendorsim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// AdminPrefix is where every simulator serves its admin API, beside the vendor paths.
const AdminPrefix = "/_sim/"

// AdminHandler serves the simulator's admin API, for tests, `herald sim` and people:
//
//	POST   /_sim/phones                    {"app":"<vendor app identity>"} → {"token":"…"}
//	DELETE /_sim/phones/{token}            unregister (uninstall the app)
//	GET    /_sim/phones/{token}/inbox      → [Delivered…] (token path-escaped: '/' as %2F)
//	GET    /_sim/inbox?token=T             → the same, for curl --data-urlencode
//	GET    /_sim/phones/{token}/shade      → [Delivered…] the lock screen now (Sim.Shown)
//	POST   /_sim/phones/{token}/tap?i=N    → ClickResult of notification N (default the newest)
//	POST   /_sim/faults                    Fault (retry_after and timeouts in seconds: "retry_after_s")
//	DELETE /_sim/faults                    clear faults
//	GET    /_sim/stats                     → Stats
func (s *Sim) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_sim/phones", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			App string `json:"app"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.App == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `body must be {"app":"<app identity>"}`})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"token": s.Register(req.App)})
	})
	mux.HandleFunc("DELETE /_sim/phones/{token}", func(w http.ResponseWriter, r *http.Request) {
		if !s.Unregister(r.PathValue("token")) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown token"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	inbox := func(w http.ResponseWriter, tok string) {
		in := s.Inbox(tok)
		if in == nil {
			in = []Delivered{}
		}
		writeJSON(w, http.StatusOK, in)
	}
	mux.HandleFunc("GET /_sim/phones/{token}/inbox", func(w http.ResponseWriter, r *http.Request) {
		inbox(w, r.PathValue("token"))
	})
	mux.HandleFunc("GET /_sim/phones/{token}/shade", func(w http.ResponseWriter, r *http.Request) {
		shown := s.Shown(r.PathValue("token"))
		if shown == nil {
			shown = []Delivered{}
		}
		writeJSON(w, http.StatusOK, shown)
	})
	// Huawei and most Xiaomi tokens contain '/': a query parameter lets curl encode them.
	mux.HandleFunc("GET /_sim/inbox", func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("token")
		if tok == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "token query parameter is required"})
			return
		}
		inbox(w, tok)
	})
	mux.HandleFunc("POST /_sim/phones/{token}/tap", func(w http.ResponseWriter, r *http.Request) {
		tok := r.PathValue("token")
		i := len(s.Inbox(tok)) - 1
		if q := r.URL.Query().Get("i"); q != "" {
			n, err := strconv.Atoi(q)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "i must be a number"})
				return
			}
			i = n
		}
		res, ok := s.Tap(tok, i)
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such notification"})
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Fault
			RetryAfterS int `json:"retry_after_s"`
			ForS        int `json:"for_s"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Kind == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `body must be {"kind":"server_error|throttle|quota|auth_expired|timeout|reset","count":N}`})
			return
		}
		f := req.Fault
		if req.RetryAfterS > 0 {
			f.RetryAfter = time.Duration(req.RetryAfterS) * time.Second
		}
		if req.ForS > 0 {
			f.Until = s.Now().Add(time.Duration(req.ForS) * time.Second)
		}
		s.Inject(f)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
