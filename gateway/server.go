// Package gateway serves APIs: routing, WebSocket handshakes and frame
// proxying, REST proxying, config snapshots and reload, metrics.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
)

// Options configure a Server.
type Options struct {
	Dir        string          // the apis folder
	Registry   engine.Registry // policies.Registry(deps)
	Log        *zap.Logger
	Metrics    *Metrics
	Deployment *engine.Deployment
	Getenv     func(string) string
	// DrainTimeout bounds graceful shutdown (default 30s).
	DrainTimeout time.Duration
	// DialTimeout default for backend WebSocket dials when the API sets none.
	Transport *http.Transport // for REST backends and WebSocket dials (default: a tuned clone)
}

// Server is the gateway. The configuration it serves is an immutable
// Snapshot behind an atomic pointer: a request loads it once and uses it to
// the end, so a reload never disturbs requests or sessions in flight.
type Server struct {
	opt      Options
	log      *zap.Logger
	metrics  *Metrics
	current  atomic.Pointer[Snapshot]
	sessions sessionSet
	rtMu     sync.Mutex
	runtimes map[string]*apiRuntime // by API name: outlives snapshots

	baseCtx  context.Context // sessions live under it; cancelled at shutdown
	shutdown context.CancelCauseFunc
	draining atomic.Bool

	reloadMu   sync.Mutex
	lastReload atomic.Pointer[ReloadStatus]

	transport  *http.Transport
	dialClient *http.Client
	proxy      httpProxy

	idPrefix string
	idSeq    atomic.Uint64
}

// apiRuntime is per-API state that must survive reloads.
type apiRuntime struct {
	active  atomic.Int64
	metrics *apiMetrics
}

// New loads the configuration and returns a Server ready to serve it.
// A configuration that does not load is an error (with every problem).
func New(opt Options) (*Server, error) {
	if opt.Log == nil {
		opt.Log = zap.NewNop()
	}
	if opt.Metrics == nil {
		opt.Metrics = NewMetrics()
	}
	if opt.DrainTimeout <= 0 {
		opt.DrainTimeout = 30 * time.Second
	}
	if opt.Transport == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 256
		tr.MaxIdleConns = 1024
		tr.ForceAttemptHTTP2 = false
		opt.Transport = tr
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	s := &Server{
		opt: opt, log: opt.Log, metrics: opt.Metrics, runtimes: map[string]*apiRuntime{},
		transport: opt.Transport, dialClient: &http.Client{Transport: opt.Transport},
		idPrefix: hex.EncodeToString(b[:]),
	}
	s.baseCtx, s.shutdown = context.WithCancelCause(context.Background())
	s.sessions.init()
	s.proxy.init(s)
	st := s.Reload("startup")
	if st.Result != ReloadSuccess {
		return nil, st.err
	}
	return s, nil
}

// Current returns the snapshot being served.
func (s *Server) Current() *Snapshot { return s.current.Load() }

func (s *Server) runtime(name string) *apiRuntime {
	s.rtMu.Lock()
	defer s.rtMu.Unlock()
	rt := s.runtimes[name]
	if rt == nil {
		rt = &apiRuntime{metrics: s.metrics.forAPI(name)}
		s.runtimes[name] = rt
	}
	return rt
}

func (s *Server) newID() string {
	return s.idPrefix + "-" + strconv.FormatUint(s.idSeq.Add(1), 36)
}

// ServeHTTP routes a request to its API by longest path prefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	snap := s.current.Load()
	api := snap.Route(r.URL.Path)
	if api == nil {
		writeJSONError(w, http.StatusNotFound, "No API matches "+strconv.Quote(r.URL.Path)+".")
		return
	}
	if s.draining.Load() {
		w.Header().Set("Connection", "close")
		writeJSONError(w, http.StatusServiceUnavailable, "The gateway is shutting down.")
		return
	}
	if api.Type == "websocket" {
		s.serveWebSocket(w, r, api)
		return
	}
	s.serveHTTPAPI(w, r, api)
}

// newState prepares the policy state for one request.
func (s *Server) newState(r *http.Request, api *API, scheme string) *engine.State {
	st := engine.AcquireState(api.Info)
	st.SetRequest(r.Method, scheme, r.Host, r.URL, r.Header.Clone(), clientIP(r))
	st.SetRequestID(s.newID())
	st.SetDeployment(s.opt.Deployment)
	return st
}

// runPolicy runs one section with the API's policy timeout and records its
// duration. It reports whether the pipeline ended with a response.
func (s *Server) runPolicy(ctx context.Context, api *API, rt *apiRuntime, sec engine.Section, st *engine.State) bool {
	if len(api.Plan.Section(sec)) == 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, api.Limits.PolicyTimeout)
	t0 := time.Now()
	stopped := api.Plan.Run(ctx, sec, st)
	cancel()
	obs := rt.metrics.inbound
	switch sec {
	case engine.Backend:
		obs = rt.metrics.backend
	case engine.Outbound:
		obs = rt.metrics.outbound
	}
	obs.Observe(time.Since(t0).Seconds())
	if le := st.LastError(); le != nil && stopped {
		s.policyFailed(api, st, le)
	}
	return stopped
}

// policyFailed logs and counts a policy failure once.
func (s *Server) policyFailed(api *API, st *engine.State, le *engine.LastError) {
	s.metrics.PolicyErrors.WithLabelValues(api.Name, le.Reason).Inc()
	s.log.Warn("policy failed",
		zap.String("api", api.Name), zap.String("request_id", st.Context().RequestId),
		zap.String("reason", le.Reason), zap.String("source", le.Source), zap.String("section", le.Section),
		zap.String("path", le.Path), zap.String("policy_id", le.PolicyId), zap.String("message", le.Message),
		zap.Int("status", st.Response().StatusCode))
}

// respond sends the response a policy (or on-error) left in the state,
// with the headers policies recorded for the final response.
func respond(w http.ResponseWriter, st *engine.State) {
	applyResponseHeaders(w.Header(), st)
	writeResponse(w, st.Response())
}

// applyResponseHeaders sets the headers policies recorded with
// SetResponseHeader (rate-limit's remaining/total calls, cors) on h.
func applyResponseHeaders(h http.Header, st *engine.State) {
	for k, v := range st.ResponseHeaders() {
		h[k] = v
	}
}

// writeResponse sends a policy's (or on-error's) response.
func writeResponse(w http.ResponseWriter, r *engine.Response) {
	h := w.Header()
	for k, v := range r.Headers {
		if hopHeaders[k] {
			continue
		}
		if _, set := h[k]; set && k != "Content-Type" {
			continue // recorded response headers win
		}
		h[k] = v
	}
	body, err := r.Body.Bytes()
	if err != nil {
		body = nil
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	status := r.StatusCode
	if status < 100 || status > 999 {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeResponse(w, engine.ErrorResponse(status, msg))
}

// Hop-by-hop headers are never forwarded (RFC 9110 7.6.1), nor are the
// WebSocket handshake's own headers: the gateway makes its own handshake.
var hopHeaders = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Content-Length": true,
}

var wsHandshakeHeaders = map[string]bool{
	"Sec-Websocket-Key": true, "Sec-Websocket-Version": true, "Sec-Websocket-Extensions": true,
	"Sec-Websocket-Protocol": true, "Sec-Websocket-Accept": true, "Host": true,
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Shutdown stops the gateway gracefully: new requests get 503, every
// WebSocket session gets close 1001 (going away) on both legs, and it waits
// for sessions to finish until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.shutdown(errShutdown)
	return s.sessions.wait(ctx)
}

var errShutdown = errors.New("gateway shutting down")

// Ready reports whether the gateway serves (a config is loaded, not draining).
func (s *Server) Ready() bool { return !s.draining.Load() && s.current.Load() != nil }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
