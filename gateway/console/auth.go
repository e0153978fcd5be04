package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Admin authentication. The admin listener stays on loopback by default;
// bound elsewhere, it needs a token (tollgate serve --admin-token, or
// TOLLGATE_ADMIN_TOKEN). With a token, every admin path but the probes
// (/healthz, /readyz) needs it: scripts send "Authorization: Bearer TOKEN",
// and the console's login page turns it into a cookie (HttpOnly,
// SameSite=Strict) holding a hash of the token, never the token itself.

// CookieName is the console's session cookie.
const CookieName = "tollgate_admin"

// IsLoopback reports whether a listen address only accepts local
// connections ("127.0.0.1:9090", "[::1]:9090", "localhost:9090"). An empty
// host (":9090") listens on every interface.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// localHost reports whether a Host header names the machine by address or
// as localhost.
func localHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.EqualFold(host, "localhost") || net.ParseIP(host) != nil
}

func cookieValue(token string) string {
	sum := sha256.Sum256([]byte("tollgate admin cookie\x00" + token))
	return hex.EncodeToString(sum[:])
}

// Protect requires token on every path of h except the probes and the
// login page. An empty token lets everything through.
//
// Without a token (the listener is on loopback), a request must name the
// listener by an IP address or "localhost" in its Host header: a web page
// whose own domain name was made to resolve to 127.0.0.1 (DNS rebinding)
// would otherwise count as same-origin and reach the console.
func Protect(h http.Handler, token string) http.Handler {
	if token == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !localHost(r.Host) {
				writeError(w, http.StatusForbidden, "the admin listener answers to its address (127.0.0.1, localhost), not to "+strconv.Quote(r.Host))
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	want := cookieValue(token)
	ok := func(r *http.Request) bool {
		if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
			return subtle.ConstantTimeCompare([]byte(a[7:]), []byte(token)) == 1
		}
		if c, err := r.Cookie(CookieName); err == nil {
			return subtle.ConstantTimeCompare([]byte(c.Value), []byte(want)) == 1
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz", "/readyz", "/console/style.css",
			// The credential manager's consent callback: the provider
			// redirects the operator's browser here from its own site, so
			// the SameSite=Strict cookie does not come with it. The
			// single-use state that the login (which needs the token)
			// made is its check (docs/credential-manager.md).
			"/credentials/callback":
			h.ServeHTTP(w, r)
			return
		case "/console/login":
			login(w, r, token, want)
			return
		case "/console/logout":
			http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
			return
		}
		if ok(r) {
			h.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet && (r.URL.Path == "/console" || r.URL.Path == "/console/" || r.URL.Path == "/console/index.html") {
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="tollgate admin"`)
		writeError(w, http.StatusUnauthorized, "this admin listener needs its token (Authorization: Bearer TOKEN, or log in at /console/login)")
	})
}

func login(w http.ResponseWriter, r *http.Request, token, cookie string) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
	if r.Method == http.MethodPost {
		if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host && o != "https://"+r.Host {
			writeError(w, http.StatusForbidden, "cross-origin login refused")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		if err := r.ParseForm(); err == nil && subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), []byte(token)) == 1 {
			http.SetCookie(w, &http.Cookie{Name: CookieName, Value: cookie, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
			http.Redirect(w, r, "/console/", http.StatusSeeOther)
			return
		}
		writeLogin(w, http.StatusUnauthorized, "Wrong token.")
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "GET or POST")
		return
	}
	writeLogin(w, http.StatusOK, "")
}

func writeLogin(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	page, _ := static.ReadFile("static/login.html")
	_, _ = w.Write([]byte(strings.Replace(string(page), "<!--MSG-->", htmlEscape(msg), 1)))
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
