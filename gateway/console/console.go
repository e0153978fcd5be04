// Package console is tollgate's web console, served on the admin listener
// at /console: the APIs with their live numbers and last reload result, an
// API's effective policy drawn as a step graph, a test tab that connects
// through the gateway's real listener with a trace token, and the traces of
// recent traffic. The page is plain HTML, CSS and JavaScript embedded in the
// binary (no CDN, no build step); everything it shows comes from the JSON
// endpoints under /console/api/, which mask secrets like the logs.
package console

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/gateway"
	"tollgate/policies"
)

//go:embed static
var static embed.FS

// Options configure the console.
type Options struct {
	Server *gateway.Server
	// GatewayURL is the gateway's own listener as the admin side reaches
	// it (http://127.0.0.1:8080, or https://...): the test tab connects
	// there, so a test goes through the real path.
	GatewayURL string
	// InsecureTLS lets the test tab accept the gateway's certificate
	// without verifying it (it connects to its own listener by address).
	InsecureTLS bool
	Log         *zap.Logger
}

// Console serves the console's page and endpoints.
type Console struct {
	opt   Options
	srv   *gateway.Server
	rates *rates
	log   *zap.Logger
	stop  chan struct{}
}

// New returns a console for opt.Server. Close stops its rate sampler.
func New(opt Options) *Console {
	if opt.Log == nil {
		opt.Log = zap.NewNop()
	}
	c := &Console{opt: opt, srv: opt.Server, log: opt.Log, stop: make(chan struct{})}
	c.rates = newRates(opt.Server.Metrics().Registry)
	go c.rates.run(c.stop, 10*time.Second)
	return c
}

// Close stops the background sampler.
func (c *Console) Close() { close(c.stop) }

// Register adds the console's routes to mux.
func (c *Console) Register(mux *http.ServeMux) {
	files, _ := fs.Sub(static, "static")
	fileServer := http.StripPrefix("/console/", http.FileServer(http.FS(files)))
	mux.Handle("GET /console/", noStore(fileServer))
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusFound)
	})
	mux.HandleFunc("GET /console/api/apis", c.apis)
	mux.HandleFunc("GET /console/api/apis/{name}/plan", c.plan)
	mux.HandleFunc("GET /console/api/connections", c.connections)
	mux.HandleFunc("GET /console/api/file", c.file)
	mux.HandleFunc("GET /console/api/traces", c.traces)
	mux.HandleFunc("GET /console/api/traces/{id}", c.trace)
	mux.HandleFunc("POST /console/api/apis/{name}/trace-token", sameOrigin(c.traceToken))
	mux.HandleFunc("POST /console/api/apis/{name}/test-http", sameOrigin(c.testHTTP))
	mux.HandleFunc("GET /console/api/apis/{name}/test-ws", sameOrigin(c.testWS))
}

func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		h.ServeHTTP(w, r)
	})
}

// sameOrigin refuses requests that a browser sent from another origin:
// the endpoints that act (mint tokens, send requests through the gateway,
// open WebSockets) must not be usable by a page the operator happens to
// visit (cross-site request forgery, cross-site WebSocket hijacking).
func sameOrigin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host && o != "https://"+r.Host {
			writeError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			writeError(w, http.StatusForbidden, "cross-site request refused")
			return
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"statusCode": status, "message": msg})
}

// LoadError is one reload problem, split for links.
type LoadError struct {
	File    string `json:"file,omitempty"` // relative to the apis folder
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Message string `json:"message"`
	Text    string `json:"text"` // as printed: file:line:col: path: message
	API     string `json:"api,omitempty"`
}

// APIView is one row of the APIs list.
type APIView struct {
	Name        string      `json:"name"`
	Type        string      `json:"type"`
	Path        string      `json:"path"`
	Backend     string      `json:"backend"`
	Folder      string      `json:"folder"`
	Workspace   string      `json:"workspace,omitempty"` // the APIOps workspace the API belongs to
	Hash        string      `json:"hash"`
	Loaded      bool        `json:"loaded"` // in the served configuration
	Active      float64     `json:"active"`
	Series      []Minute    `json:"series"`
	Errors      []LoadError `json:"errors,omitempty"`
	Trace       bool        `json:"trace"`
	PolicyFiles []string    `json:"policy_files,omitempty"`
	Tools       []string    `json:"tools,omitempty"` // an MCP server's tools, each with its operation (docs/mcp.md)
}

type apisView struct {
	Time       time.Time             `json:"time"`
	ConfigHash string                `json:"config_hash"`
	Ready      bool                  `json:"ready"`
	Reload     *gateway.ReloadStatus `json:"reload"`
	Errors     []LoadError           `json:"errors"` // every error of the last reload
	// Notices are what the served configuration's folder holds that
	// tollgate ignores or cannot use (a property APIM has and tollgate
	// does not use, a logger or backend whose secret has no value, ...),
	// as tollgate check prints them.
	Notices []LoadError `json:"notices"`
	APIs    []APIView   `json:"apis"`
}

var errLine = regexp.MustCompile(`^(.+?):(\d+):(\d+): (.*)$`)

// loadErrors splits the last reload's errors for links, with the file
// relative to the apis folder (a file outside it is shown, not linked).
func (c *Console) loadErrors(st *gateway.ReloadStatus) []LoadError {
	if st == nil {
		return []LoadError{} // never null: the page reads .length
	}
	return c.splitLines(st.Errors)
}

// splitLines splits "file:line:col: message" lines (load errors, notices)
// for links, masked.
func (c *Console) splitLines(lines []string) []LoadError {
	out := []LoadError{} // never null: the page reads .length
	dir := c.srv.Dir()
	for _, e := range lines {
		e = c.srv.MaskSecrets(e) // the loader redacts named values already; belt and braces
		le := LoadError{Text: e, Message: e}
		if m := errLine.FindStringSubmatch(e); m != nil {
			le.Line, _ = strconv.Atoi(m[2])
			le.Col, _ = strconv.Atoi(m[3])
			le.Message = m[4]
			if rel, ok := relInside(dir, m[1]); ok {
				le.File = rel
				if first, _, ok := strings.Cut(rel, "/"); ok && first != "fragments" {
					le.API = first // the API folder it belongs to
				}
			}
		}
		out = append(out, le)
	}
	return out
}

// relInside returns file relative to dir when it lies inside it.
func relInside(dir, file string) (string, bool) {
	rel, err := filepath.Rel(dir, file)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

func (c *Console) apis(w http.ResponseWriter, r *http.Request) {
	c.rates.sample()
	snap := c.srv.Current()
	st := c.srv.LastReload()
	v := apisView{Time: time.Now(), Ready: c.srv.Ready(), Reload: st, Errors: c.loadErrors(st), Notices: []LoadError{}, APIs: []APIView{}}
	folders := map[string]bool{}
	if snap != nil {
		v.ConfigHash = snap.Hash
		v.Notices = c.splitLines(snap.Notices)
		for _, a := range snap.APIs {
			folder := filepath.Base(a.Dir)
			folders[folder] = true
			av := APIView{Name: a.Name, Type: a.Type, Path: a.Path, Folder: folder, Hash: a.Hash, Loaded: true,
				Backend: c.srv.MaskSecrets(engine.RedactURL(a.ServiceURLText())), Trace: a.Limits.Trace}
			if a.Workspace != nil {
				av.Workspace = a.Workspace.Id
			}
			if g := a.SyntheticGraphQL(); g != "" { // a synthetic GraphQL API: its resolvers (docs/graphql.md)
				av.Backend = g
			} else if r := a.GraphQLResolvers(); r != "" { // a pass-through one with resolvers
				av.Backend += " " + r
			}
			if t := a.MCPTarget(); t != "" { // an MCP server: its tools, or its backend
				av.Backend, av.Tools = c.srv.MaskSecrets(t), a.MCPTools()
			}
			av.Active, av.Series = c.rates.series(a.Name)
			av.PolicyFiles = policyFiles(a, c.srv.Dir())
			for _, e := range v.Errors {
				if e.API == folder {
					av.Errors = append(av.Errors, e)
				}
			}
			v.APIs = append(v.APIs, av)
		}
	}
	// A folder whose API is not served (it failed to load at startup or
	// is new and broken) still shows, with its errors.
	for _, e := range v.Errors {
		if e.API == "" || folders[e.API] {
			continue
		}
		folders[e.API] = true
		av := APIView{Name: e.API, Folder: e.API, Series: []Minute{}}
		for _, e2 := range v.Errors {
			if e2.API == e.API {
				av.Errors = append(av.Errors, e2)
			}
		}
		v.APIs = append(v.APIs, av)
	}
	sort.Slice(v.APIs, func(i, j int) bool { return v.APIs[i].Name < v.APIs[j].Name })
	writeJSON(w, http.StatusOK, v)
}

// ConnectionView is one connection of the credential manager as the
// console shows it: the admin API's view (GET /credentials: status,
// provider, grant type, token expiry; never a token or a secret), with a
// login link that brings the operator back to the console.
type ConnectionView struct {
	policies.ConnectionStatus
	// Login starts the consent of an authorization-code connection on the
	// admin listener, then sends the browser back to consoleConnections.
	Login string `json:"login,omitempty"`
}

// consoleConnections is where a consent started from the console ends.
const consoleConnections = "/console/#/connections"

// connections lists the credential manager's connections of the served
// configuration (docs/credential-manager.md).
func (c *Console) connections(w http.ResponseWriter, r *http.Request) {
	out := []ConnectionView{} // never null: the page reads .length
	for _, cs := range c.srv.Connections(r.Context()) {
		v := ConnectionView{ConnectionStatus: cs}
		if cs.Error != nil { // the manager never puts a secret there; belt and braces
			v.Error = &policies.ConnError{Code: c.srv.MaskSecrets(cs.Error.Code), Message: c.srv.MaskSecrets(cs.Error.Message)}
		}
		if cs.Login != "" {
			v.Login = cs.Login + "?redirect=" + url.QueryEscape(consoleConnections)
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": out})
}

// policyFiles lists the files an API's plan was compiled from, and a
// synthetic GraphQL API's resolvers' files, relative to the apis folder
// dir (as the file view takes them); a file outside it is left out.
func policyFiles(a *gateway.API, dir string) []string {
	seen := map[string]bool{}
	var walk func(b engine.Block)
	walk = func(b engine.Block) {
		for _, s := range b {
			seen[s.Pos.File] = true
			for _, br := range s.Branches {
				walk(br.Steps)
			}
		}
	}
	for _, sec := range []engine.Section{engine.Inbound, engine.Backend, engine.Outbound, engine.OnError} {
		walk(a.Plan.Section(sec))
	}
	for _, f := range a.ResolverFiles() {
		seen[f] = true
	}
	var out []string
	for f := range seen {
		if f == "" {
			continue
		}
		if rel, ok := relInside(dir, f); ok {
			out = append(out, filepath.ToSlash(rel))
		}
	}
	sort.Strings(out)
	return out
}

// Node is one step of a drawn plan.
type Node struct {
	Policy   string   `json:"policy"`
	ID       string   `json:"id,omitempty"`
	Path     string   `json:"path"`
	Scope    string   `json:"scope"`
	File     string   `json:"file,omitempty"` // relative to the apis folder
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Callout  bool     `json:"callout,omitempty"`
	Branches []Branch `json:"branches,omitempty"`
}

// Branch is a nested block (when, otherwise, retry body).
type Branch struct {
	Name      string `json:"name"`
	Condition string `json:"condition,omitempty"`
	File      string `json:"file,omitempty"`
	Line      int    `json:"line"`
	Steps     []Node `json:"steps"`
}

type planView struct {
	API      string            `json:"api"`
	Type     string            `json:"type"`
	Hash     string            `json:"hash"`
	Sections map[string][]Node `json:"sections"`
	// ForwardsNothing: a REST API's backend section is written empty, so
	// the gateway forwards nothing (engine.Plan.ForwardsNothing).
	ForwardsNothing bool `json:"forwards_nothing"`
}

// callouts are the policies that call out over the network.
var callouts = map[string]bool{"send-request": true, "send-one-way-request": true, "validate-jwt": true, "publish-to-dapr": true, "invoke-dapr-binding": true}

func (c *Console) plan(w http.ResponseWriter, r *http.Request) {
	a := c.srv.Current().API(r.PathValue("name"))
	if a == nil {
		writeError(w, http.StatusNotFound, "no API "+strconv.Quote(r.PathValue("name"))+" in the served configuration")
		return
	}
	dir := c.srv.Dir()
	rel := func(f string) string {
		if r, ok := relInside(dir, f); ok {
			return r
		}
		return ""
	}
	var nodes func(b engine.Block) []Node
	nodes = func(b engine.Block) []Node {
		out := []Node{}
		for _, s := range b {
			n := Node{Policy: s.Name, ID: s.ID, Path: s.Path, Scope: s.Scope, File: rel(s.Pos.File),
				Line: s.Pos.Line, Col: s.Pos.Col, Callout: callouts[s.Name]}
			for _, br := range s.Branches {
				n.Branches = append(n.Branches, Branch{Name: br.Name, Condition: c.srv.MaskSecrets(br.Condition),
					File: rel(br.Pos.File), Line: br.Pos.Line, Steps: nodes(br.Steps)})
			}
			out = append(out, n)
		}
		return out
	}
	v := planView{API: a.Name, Type: a.Type, Hash: a.Hash, ForwardsNothing: a.Plan.ForwardsNothing && a.Type != "websocket", Sections: map[string][]Node{}}
	for _, sec := range []engine.Section{engine.Inbound, engine.Backend, engine.Outbound, engine.OnError} {
		v.Sections[sec.String()] = nodes(a.Plan.Section(sec))
	}
	writeJSON(w, http.StatusOK, v)
}

// maxFileView bounds the file view.
const maxFileView = 1 << 20

// file serves one file of the apis folder, read-only, with secret named
// values masked. Only regular files inside the folder (no "..", no
// absolute paths, no symlink out of it: os.Root enforces it) are served.
func (c *Console) file(w http.ResponseWriter, r *http.Request) {
	rel := r.URL.Query().Get("path")
	if rel == "" || strings.ContainsRune(rel, 0) || !filepath.IsLocal(filepath.FromSlash(rel)) {
		writeError(w, http.StatusBadRequest, "path must name a file inside the apis folder")
		return
	}
	root, err := os.OpenRoot(c.srv.Dir())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot open the apis folder")
		return
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		writeError(w, http.StatusNotFound, "no such file in the apis folder: "+rel)
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		writeError(w, http.StatusNotFound, "not a file: "+rel)
		return
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileView+1))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot read "+rel)
		return
	}
	truncated := len(data) > maxFileView
	if truncated {
		data = data[:maxFileView]
	}
	if !isText(data, truncated) {
		// A binary file (a PKCS#12 bundle with its key, …) is no
		// configuration the console links to.
		writeError(w, http.StatusUnsupportedMediaType, "not a text file: "+rel)
		return
	}
	text := c.srv.MaskSecrets(string(data))
	text = maskOwnSecrets(rel, text)
	text = maskPrivateKeys(text)
	writeJSON(w, http.StatusOK, map[string]any{"path": rel, "text": text, "truncated": truncated})
}

// privateKeyBlock is a PEM private key (a certificate folder kept inside
// the apis folder, a key pasted in a file): its body is never shown.
var privateKeyBlock = regexp.MustCompile(`(?s)(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----).*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)`)

// isText reports whether data is UTF-8 without NUL (the last rune of a
// truncated file may be cut).
func isText(data []byte, truncated bool) bool {
	if bytes.IndexByte(data, 0) >= 0 {
		return false
	}
	if truncated {
		for i := 0; i < utf8.UTFMax && len(data) > 0 && !utf8.Valid(data); i++ {
			data = data[:len(data)-1]
		}
	}
	return utf8.Valid(data)
}

func maskPrivateKeys(text string) string {
	return privateKeyBlock.ReplaceAllString(text, "${1}\nREDACTED\n${2}")
}

// secretElement matches a named value marked secret, to mask its literal
// value even when it is not (or no longer) the served one.
var secretElement = regexp.MustCompile(`(?s)(<named-value\b[^>]*\bsecret\s*=\s*["']true["'][^>]*>)(.*?)(</named-value>)`)

var textBetweenTags = regexp.MustCompile(`>([^<]+)<`)

var (
	apiopsSecret = regexp.MustCompile(`"secret"\s*:\s*true`)
	apiopsValue  = regexp.MustCompile(`("value"\s*:\s*)"(?:[^"\\]|\\.)*"`)
)

// maskOwnSecrets masks, in named-values.xml, the value of every secret
// named value as written on disk: an edit that has not loaded yet (or
// failed to) must not show its new secret either.
func maskOwnSecrets(rel, text string) string {
	if filepath.Base(rel) == "namedValueInformation.json" {
		// An APIOps named value: a secret one's "value", even one whose
		// file does not parse (being edited).
		if apiopsSecret.MatchString(text) {
			text = apiopsValue.ReplaceAllString(text, `${1}"REDACTED"`)
		}
		return text
	}
	if filepath.Base(rel) != "named-values.xml" {
		return text
	}
	return secretElement.ReplaceAllStringFunc(text, func(m string) string {
		p := secretElement.FindStringSubmatch(m)
		inner := p[2]
		if strings.Contains(inner, "<") { // a <value> child or an env reference: mask text between tags
			inner = textBetweenTags.ReplaceAllString(inner, ">REDACTED<")
		} else if strings.TrimSpace(inner) != "" {
			inner = "REDACTED"
		}
		return p[1] + inner + p[3]
	})
}

// traceSummary is one row of the traces list.
type traceSummary struct {
	ID       string        `json:"id"`
	API      string        `json:"api"`
	Type     string        `json:"type"`
	Time     time.Time     `json:"time"`
	Method   string        `json:"method"`
	URL      string        `json:"url"`
	Status   int           `json:"status"`
	Duration time.Duration `json:"duration_ns"`
	Source   string        `json:"source"`
	Steps    int           `json:"steps"`
	Error    string        `json:"last_error,omitempty"`
}

func (c *Console) traces(w http.ResponseWriter, r *http.Request) {
	api := r.URL.Query().Get("api")
	out := []traceSummary{}
	for _, t := range c.srv.Traces() {
		if api != "" && t.API != api {
			continue
		}
		out = append(out, traceSummary{ID: t.ID, API: t.API, Type: t.Type, Time: t.Time, Method: t.Method, URL: t.URL,
			Status: t.Status, Duration: t.Duration, Source: t.Source, Steps: len(t.Steps), Error: t.LastError})
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *Console) trace(w http.ResponseWriter, r *http.Request) {
	t := c.srv.Trace(r.PathValue("id"))
	if t == nil {
		writeError(w, http.StatusNotFound, "no such trace (the ring keeps the latest 200)")
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (c *Console) traceToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TTL int `json:"ttl_seconds"`
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "body must be {\"ttl_seconds\": N}")
			return
		}
	}
	ttl := 10 * time.Minute
	if req.TTL != 0 {
		ttl = -1 // out of range: MintTraceToken says what the range is
		if req.TTL > 0 && req.TTL <= int(gateway.MaxTraceTokenTTL/time.Second) {
			ttl = time.Duration(req.TTL) * time.Second
		}
	}
	tok, exp, err := c.srv.MintTraceToken(r.PathValue("name"), ttl)
	if err != nil {
		status := http.StatusBadRequest
		if c.srv.Current().API(r.PathValue("name")) == nil {
			status = http.StatusNotFound
		}
		writeError(w, status, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "expires": exp, "header": gateway.TraceTokenHeader})
}

// waitTrace returns the trace with this id, waiting a little: the gateway
// records a handshake's trace just after it sends the 101.
func (c *Console) waitTrace(id string) *gateway.RequestTrace {
	if id == "" {
		return nil
	}
	for range 100 {
		if t := c.srv.Trace(id); t != nil {
			return t
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

var errNoAPI = errors.New("no such API")
