package chatsvc

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"
)

//go:embed web/index.html
var webFS embed.FS

// SignalRBrowserPath is where the official browser build lives inside
// node_modules.
const SignalRBrowserPath = "@microsoft/signalr/dist/browser/signalr.min.js"

// App is the Chat App: the web app that, with the Azure SignalR SDK, answers
// /<hub>/negotiate with a redirect to the service and serves the chat page.
type App struct {
	cfg  Config
	log  *zap.Logger
	page *template.Template
	mux  *http.ServeMux
	now  func() time.Time
}

// NewApp returns the Chat App handler:
//
//	GET  /                       the chat page
//	GET  /lib/signalr.min.js     @microsoft/signalr browser build from cfg.NodeModulesDir
//	GET|POST /<hub>/negotiate    {"negotiateVersion":0,"url":...,"accessToken":...,"availableTransports":[]}
//	GET  /healthz                "ok"
//
// It panics when cfg is invalid (see Config.Validate) or has no ServiceURL.
func NewApp(cfg Config) http.Handler {
	return newApp(cfg)
}

func newApp(cfg Config) *App {
	cfg = mustConfig(cfg, true)
	a := &App{
		cfg:  cfg,
		log:  cfg.Logger.Named("app"),
		page: template.Must(template.ParseFS(webFS, "web/index.html")),
		mux:  http.NewServeMux(),
		now:  time.Now,
	}
	a.mux.HandleFunc("GET /{$}", a.servePage)
	a.mux.HandleFunc("GET /lib/signalr.min.js", a.serveLib("signalr.min.js"))
	a.mux.HandleFunc("GET /lib/signalr.min.js.map", a.serveLib("signalr.min.js.map"))
	a.mux.HandleFunc("/"+cfg.Hub+"/negotiate", withCORS(a.negotiate))
	a.mux.HandleFunc("GET /healthz", healthz)
	return a
}

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (a *App) servePage(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	err := a.page.Execute(&buf, struct{ HubURL, HubName string }{a.cfg.PageHubURL, a.cfg.Hub})
	if err != nil {
		a.log.Error("render page", zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

func (a *App) serveLib(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.cfg.NodeModulesDir == "" {
			http.Error(w, "signalr.min.js not configured: run `npm ci` in samples/signalr-chat and pass --node-modules", http.StatusNotFound)
			return
		}
		p := filepath.Join(a.cfg.NodeModulesDir, filepath.FromSlash(filepath.Dir(SignalRBrowserPath)), name)
		if _, err := os.Stat(p); err != nil {
			http.Error(w, "signalr browser build not found under "+a.cfg.NodeModulesDir+": run `npm ci` in samples/signalr-chat", http.StatusNotFound)
			return
		}
		if strings.HasSuffix(name, ".js") {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
		http.ServeFile(w, r, p)
	}
}

// redirectResponse is what the Azure SignalR SDK's negotiate returns (the .NET
// serializer also writes negotiateVersion 0 and an empty availableTransports).
type redirectResponse struct {
	NegotiateVersion    int      `json:"negotiateVersion"`
	URL                 string   `json:"url"`
	AccessToken         string   `json:"accessToken"`
	AvailableTransports []string `json:"availableTransports"`
}

func (a *App) negotiate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	user := r.URL.Query().Get("user")
	if user == "" {
		user = "user-" + randomHex(6)
	}
	hubPath := strings.TrimSuffix(r.URL.Path, "/negotiate")
	tok, err := MintClientToken(a.cfg.AccessKey, ClientAudience(a.cfg.ServiceURL, a.cfg.Hub), user, a.cfg.TokenLifetime, a.now())
	if err != nil {
		a.log.Error("mint token", zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	resp := redirectResponse{
		URL:                 a.clientURL(hubPath, r.URL.RawQuery),
		AccessToken:         tok,
		AvailableTransports: []string{},
	}
	a.log.Info("negotiate redirect", zap.String("user", user), zap.String("remote", r.RemoteAddr))
	writeJSON(w, http.StatusOK, resp)
}

// clientURL builds the service client URL as the SDK's
// DefaultServiceEndpointGenerator does:
// <service>/client/?hub=<hub>&asrs.op=<hub path>&<original query>&asrs_request_id=<id>.
func (a *App) clientURL(hubPath, rawQuery string) string {
	var b strings.Builder
	b.WriteString(ClientAudience(a.cfg.ServiceURL, a.cfg.Hub))
	b.WriteString("&asrs.op=")
	b.WriteString(url.QueryEscape(hubPath))
	if rawQuery != "" {
		b.WriteString("&")
		b.WriteString(rawQuery)
	}
	b.WriteString("&asrs_request_id=")
	b.WriteString(url.QueryEscape(newRequestID()))
	return b.String()
}

// newRequestID is base64 of 8 bytes, like the SDK's Stopwatch timestamp: here
// 4 bytes of the clock and 4 random bytes.
func newRequestID() string {
	var b [8]byte
	ts := uint32(time.Now().UnixMilli())
	b[0], b[1], b[2], b[3] = byte(ts), byte(ts>>8), byte(ts>>16), byte(ts>>24)
	_, _ = rand.Read(b[4:])
	return base64.StdEncoding.EncodeToString(b[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// withCORS lets browsers on other origins negotiate (the official browser
// client sends X-SignalR-User-Agent and, with a token, Authorization, so it
// preflights).
func withCORS(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Add("Vary", "Origin")
			if r.Method == http.MethodOptions {
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Requested-With, X-SignalR-User-Agent")
				w.Header().Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		h(w, r)
	}
}
