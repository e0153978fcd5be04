package gateway

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"strings"

	"tollgate/policies"
)

// The credential manager on the admin listener (docs/credential-manager.md):
//
//	GET /credentials                               the connections and their status (never a token)
//	GET /credentials/{provider}/{connection}/login the consent: a redirect to the provider's authorization page
//	GET /credentials/callback                      where the provider sends the browser back (the redirect URL)
func (s *Server) adminCredentials(mux *http.ServeMux) {
	set := func() *policies.CredentialSet {
		if snap := s.Current(); snap != nil {
			return snap.credentials
		}
		return nil
	}
	mux.HandleFunc("GET /credentials", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"connections": s.Connections(r.Context())})
	})
	mux.HandleFunc("GET /credentials/{provider}/{connection}/login", func(w http.ResponseWriter, r *http.Request) {
		cs := set()
		if cs == nil {
			writeJSONError(w, http.StatusServiceUnavailable, "no configuration is loaded")
			return
		}
		after := r.URL.Query().Get("redirect")
		if after != "" && (!strings.HasPrefix(after, "/") || strings.HasPrefix(after, "//") || strings.ContainsAny(after, "\\\r\n")) {
			writeJSONError(w, http.StatusBadRequest, "redirect must be a path on this listener (/…)")
			return
		}
		link, err := cs.Login(r.Context(), r.PathValue("provider"), r.PathValue("connection"), callbackURL(r), after)
		switch {
		case errors.Is(err, policies.ErrNoConnection):
			writeJSONError(w, http.StatusNotFound, err.Error())
		case err != nil:
			writeJSONError(w, http.StatusBadRequest, err.Error())
		default:
			http.Redirect(w, r, link, http.StatusFound)
		}
	})
	mux.HandleFunc("GET /credentials/callback", func(w http.ResponseWriter, r *http.Request) {
		cs := set()
		if cs == nil {
			writeJSONError(w, http.StatusServiceUnavailable, "no configuration is loaded")
			return
		}
		q := r.URL.Query()
		name, after, err := cs.Callback(r.Context(), q.Get("state"), q.Get("code"), q.Get("error"))
		w.Header().Set("Cache-Control", "no-store")
		if err != nil {
			s.log.Warn("credentials: consent failed: " + err.Error())
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte("<!doctype html><title>Consent failed</title><p>Consent failed: " + html.EscapeString(err.Error()) + "</p>\n"))
			return
		}
		s.log.Info("credentials: connection connected: " + name)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Referrer-Policy", "no-referrer") // this URL held the code
		page := "<!doctype html><title>Connected</title><p>Connection " + html.EscapeString(name) + " is connected."
		if after != "" {
			// Not a redirect: the browser came here from the provider's
			// site, and a redirect would carry that on, so the console's
			// SameSite=Strict cookie would not come along and the operator
			// would have to log in again. This page's own navigation
			// starts on this site.
			page = "<!doctype html><meta http-equiv=\"refresh\" content=\"0;url=" + html.EscapeString(after) + "\"><title>Connected</title><p>Connection " +
				html.EscapeString(name) + " is connected: <a href=\"" + html.EscapeString(after) + "\">continue</a>."
		}
		_, _ = w.Write([]byte(page + "</p>\n"))
	})
}

// Connections lists the credential manager's connections of the served
// configuration with their status, as GET /credentials shows them: never
// a token or a secret.
func (s *Server) Connections(ctx context.Context) []policies.ConnectionStatus {
	var set *policies.CredentialSet
	if snap := s.Current(); snap != nil {
		set = snap.credentials
	}
	return set.Connections(ctx)
}

// callbackURL is the consent's redirect URL on this listener, as the
// operator's browser reaches it (a provider's redirectUrl overrides it).
func callbackURL(r *http.Request) string {
	u := url.URL{Scheme: "http", Host: r.Host, Path: "/credentials/callback"}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	return u.String()
}
