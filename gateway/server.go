package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"tollgate/engine"
	"tollgate/gateway/h1"
	"tollgate/gateway/upstream"
	"tollgate/gateway/wsproxy"
	"tollgate/policies"
	"tollgate/store"
)

// Options configure a Server.
type Options struct {
	Dir        string          // the apis folder
	Registry   engine.Registry // policies.Registry(deps)
	Log        *zap.Logger
	Metrics    *Metrics
	Deployment *engine.Deployment
	Getenv     func(string) string
	// Transport, when set, sends every REST backend request and dials
	// WebSocket backends. Default: REST requests go over
	// BackendTransport's client, and a tuned http.Transport serves the
	// rest (client certificates, proxies, backend entities' TLS settings).
	Transport *http.Transport
	// Certificates are the client certificates backend entities may name
	// (LoadOptions.Certificates): tollgate serve's --certificates.
	Certificates []policies.NamedCertificate
	// BackendTransport picks the client of REST backends when Transport
	// is nil: "upstream" (the default: gateway/upstream, synchronous
	// pooled HTTP/1.1) or "nethttp" (net/http's Transport). A caller's
	// Transport is used as it is. Requests with a client certificate or
	// an outbound proxy (policies), or for which HTTP_PROXY/HTTPS_PROXY
	// name a proxy, always go over net/http.
	BackendTransport string
	// MaxPendingBodies bounds the HTTP request bodies arriving at once; one
	// more expires the oldest (408). Default DefaultMaxPendingBodies.
	MaxPendingBodies int
	// Telemetry, when set, traces requests with OpenTelemetry (telemetry.go).
	Telemetry *Telemetry
	// Subscriptions are the subscriptions created at run time (tollgate
	// subscription create); the folder's come from Dir and
	// SubscriptionKeys. Default: in memory.
	Subscriptions store.Subscriptions
	// SubscriptionKeys is the keys file of the folder's subscriptions.
	SubscriptionKeys string
	// SubscriptionsFailOpen: when the subscription store fails, a request
	// that presents a key is served without a subscription instead of 503.
	SubscriptionsFailOpen bool
	// Overrides (an APIOps configuration.*.yaml) and NamedValuesFile: see
	// LoadOptions.
	Overrides, NamedValuesFile string
	// Store keeps the backends' circuit breaker state (the limits' store:
	// Redis shares it across replicas). Default: in memory.
	Store store.Store
	// Relayer runs the WebSocket data path (default: wsproxy.Default(), the
	// epoll event loop on Linux).
	Relayer wsproxy.Relayer
	// Loggers are log-to-eventhub's sinks, the same as the registry's
	// (policies.Deps.Loggers): the folder's APIOps loggers join them on
	// each load. Default: a set of its own, closed by Shutdown.
	Loggers *policies.Loggers
	// Gateway is the APIOps gateway resource (gateways/NAME/) this server
	// serves as: only the APIs assigned to it, and context.Deployment's
	// GatewayId and Region are the gateway's. "": every API.
	Gateway string
	// Workspaces are the APIOps workspaces (workspaces/NAME/) this server
	// is the gateway of: only their APIs are served. nil: every API.
	Workspaces []string
	// KeyVault reads Key Vault named values (LoadOptions.KeyVault); the
	// server reloads every policies.KeyVaultRefresh while a snapshot has
	// any, so a rotated secret is picked up as APIM does.
	KeyVault SecretReader
	// Credentials is the credential manager, the same as the registry's
	// (policies.Deps.Credentials): the folder's credential providers are
	// staged on it at each load, and the admin listener runs its consent
	// flows. nil: the folder's are checked, never used.
	Credentials *policies.Credentials
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
	runtimes sync.Map // API name -> *apiRuntime: outlives snapshots; read on every request

	// onLoop: a REST request of an API that RunsInline may stay on the
	// front's event loop (h1.Server.EventLoop): the backend client is
	// tollgate's own, dialing by itself, with no proxy from the
	// environment (loop.go).
	onLoop bool
	// hsOnLoop: a WebSocket handshake of an API whose handshake never
	// blocks but for its dial (HandshakeInline) may stay on the front's
	// event loop: the dialer reads a plain local backend's 101 on the
	// loop (wsproxy.Dialer.OnLoop) and the relay takes both sockets from
	// there (wsproxy.EventLoop) (loop.go).
	hsOnLoop bool

	baseCtx  context.Context // cancelled at shutdown (WebSocket sessions are cancelled by the session set)
	shutdown context.CancelCauseFunc
	draining atomic.Bool

	reloadMu   sync.Mutex
	lastReload atomic.Pointer[ReloadStatus]
	ownLoggers bool                              // opt.Loggers is the server's own: Shutdown closes it
	deployment atomic.Pointer[engine.Deployment] // context.Deployment: opt.Deployment, as the gateway resource served as

	transport *http.Transport
	rest      idleRoundTripper // REST backends' default client (backend_transport.go)
	dialer    *wsproxy.Dialer  // WebSocket backends, over transport's dialer
	relayer   wsproxy.Relayer  // the WebSocket data path
	proxy     httpProxy
	pending   pendingBodies // HTTP request bodies still arriving (slowbody.go)
	grpcState               // gRPC backends' HTTP/2 client (grpc.go)
	mcpState                // MCP servers' SDK handlers and SSE streams (mcp_local.go)
	gqlHub    gqlHub        // synthetic GraphQL APIs' subscribers (graphql_subscriptions.go)

	idPrefix string
	idSeq    atomic.Uint64

	mask atomic.Pointer[secretMask] // the current snapshot's secret values

	tokens *traceTokens // trace tokens (tracing.go)
	traces traceRing    // recent traces
	tel    *Telemetry   // nil: OpenTelemetry off
}

// apiRuntime is per-API state that must survive reloads.
type apiRuntime struct {
	active     atomic.Int64
	metrics    *apiMetrics
	held       atomic.Int64 // REST requests moved off their event loop for holding it (heldLoop)
	heldLogged atomic.Bool  // the API was logged for them
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
	if opt.Subscriptions == nil {
		opt.Subscriptions = store.NewMemorySubscriptions()
	}
	if opt.Store == nil {
		opt.Store = store.NewMemory()
	}
	ownLoggers := false
	if opt.Loggers == nil {
		ls, err := policies.NewLoggers(nil, opt.Log.Named("logger"))
		if err != nil {
			return nil, err
		}
		opt.Loggers, ownLoggers = ls, true
	}
	var wsDialer *wsproxy.Dialer
	if opt.Transport != nil {
		wsDialer = wsproxy.NewDialer(opt.Transport) // a caller's transport dials WebSocket backends too
	}
	var rest idleRoundTripper = opt.Transport
	switch opt.BackendTransport {
	case "", BackendUpstream, BackendNetHTTP:
	default:
		return nil, fmt.Errorf("backend transport %q: want %q or %q", opt.BackendTransport, BackendUpstream, BackendNetHTTP)
	}
	if opt.Transport == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 256
		tr.MaxIdleConns = 1024
		tr.ForceAttemptHTTP2 = false
		opt.Transport = tr
		rest = tr
		if opt.BackendTransport != BackendNetHTTP {
			up := newUpstream(tr)
			up.DialContext = nil // upstream's own dialer has net/http's settings, and dials on an event loop (upstream/loop.go)
			rest = up
		}
		// WebSocket legs need no TCP keepalive: the relay pings both sides
		// and closes a dead one. The direct dialer skips it (four
		// setsockopt calls per backend connection) and, on Linux, most of
		// net.Dialer's other system calls.
		wsDialer = wsproxy.NewDirectDialer(tr.TLSClientConfig)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	s := &Server{
		opt: opt, log: opt.Log, metrics: opt.Metrics,
		transport:  opt.Transport,
		rest:       rest,
		dialer:     wsDialer,
		relayer:    opt.Relayer,
		idPrefix:   hex.EncodeToString(b[:]),
		tokens:     newTraceTokens(),
		tel:        opt.Telemetry,
		ownLoggers: ownLoggers,
	}
	s.tel.bind(s)
	s.deployment.Store(opt.Deployment)
	if s.relayer == nil {
		s.relayer = wsproxy.Default()
	}
	// Every log line goes through the secret mask: a secret named value
	// must never be printed, wherever it ends up (a service-url, a header
	// set by a policy, an error message quoting a URL).
	s.log = opt.Log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return &maskCore{Core: c, secrets: s.secretValues}
	}))
	s.pending.max = opt.MaxPendingBodies
	if up, ok := rest.(*upstream.Transport); ok && up.DialContext == nil && !envProxySet() {
		s.onLoop = true
	}
	if s.relayer.Name() == "eventloop" && s.dialer != nil && s.dialer.OnLoop() {
		s.hsOnLoop = true
	}
	s.baseCtx, s.shutdown = context.WithCancelCause(context.Background())
	if opt.KeyVault != nil {
		go s.refreshKeyVault(policies.KeyVaultRefresh)
	}
	s.proxy.init(s)
	st := s.Reload("startup")
	if st.Result != ReloadSuccess {
		return nil, st.err
	}
	return s, nil
}

// Current returns the snapshot being served.
func (s *Server) Current() *Snapshot { return s.current.Load() }

// apiServed is what a request to an API needs that depends on the API
// alone, worked out when a snapshot is published (prepareServed) rather
// than per request: its runtime (a sync.Map look-up by name, hashing the
// name) and whether its plan lets a request body's buffer be pooled
// (poolableBodyPlan, a walk of the plan). It holds only while of is the
// API itself and srv the server: a copy of an API (view) or one built
// another way works them out per request as before.
type apiServed struct {
	of       *API
	srv      *Server
	rt       *apiRuntime
	poolBody bool
}

// prepareServed fills in the served parts of every API of snap, its views
// and its operations' views, before snap is published. An API a reload
// reused from a published snapshot has them already and is not written
// (readers may be reading it); its name and plan do not change. The
// runtimes are per name and outlive snapshots, so a reload that keeps an
// API's name keeps its runtime, and one that changes its plan makes a new
// API whose pooling is worked out again.
func (s *Server) prepareServed(snap *Snapshot) {
	prep := func(a *API) {
		if a.served.of == a {
			return
		}
		a.served = apiServed{of: a, srv: s, rt: s.runtime(a.Name), poolBody: poolableBodyPlan(a.Plan)}
	}
	for _, a := range snap.APIs {
		for _, v := range a.allViews() {
			prep(v)
		}
	}
}

// runtimeOf is api's runtime: prepared (prepareServed), or looked up.
func (s *Server) runtimeOf(api *API) *apiRuntime {
	if sv := &api.served; sv.of == api && sv.srv == s {
		return sv.rt
	}
	return s.runtime(api.Name)
}

// poolableBodyAPI is poolableBodyPlan(api.Plan): prepared, or worked out.
func (s *Server) poolableBodyAPI(api *API) bool {
	if sv := &api.served; sv.of == api && sv.srv == s {
		return sv.poolBody
	}
	return poolableBodyPlan(api.Plan)
}

func (s *Server) runtime(name string) *apiRuntime {
	if rt, ok := s.runtimes.Load(name); ok {
		return rt.(*apiRuntime)
	}
	rt, _ := s.runtimes.LoadOrStore(name, &apiRuntime{metrics: s.metrics.forAPI(name)})
	return rt.(*apiRuntime)
}

func (s *Server) newID() string {
	var buf [idLen]byte // the id built on the stack: one allocation, the string
	return string(s.appendID(buf[:0]))
}

// idLen bounds a request id: 8 hex digits, '-', and a uint64 in base 36.
const idLen = 8 + 1 + 13

// appendID appends a new request id to b.
func (s *Server) appendID(b []byte) []byte {
	b = append(b, s.idPrefix...)
	b = append(b, '-')
	return strconv.AppendUint(b, s.idSeq.Add(1), 36)
}

// ServeHTTP routes a request to its API by longest path prefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Route, check and forward the normalised path, never the raw one
	// (pathnorm.go): a dot segment must not lead past another API's policy.
	u, err := normalizeRequestURL(r.URL)
	if err != nil {
		w.Header().Set("Connection", "close")
		writeJSONError(w, http.StatusBadRequest, "Bad request path: "+err.Error()+".")
		return
	}
	r.URL = u
	if len(r.TransferEncoding) > 0 {
		// RFC 9112 6.3: a request with both Content-Length and
		// Transfer-Encoding must be answered and the connection closed.
		// net/http drops Content-Length before the handler could see it,
		// so every chunked request closes its connection after the answer.
		w.Header().Set("Connection", "close")
	}
	snap := s.current.Load()
	api := snap.Route(r.URL.Path)
	if api == nil {
		writeJSONError(w, http.StatusNotFound, "No API matches "+strconv.Quote(r.URL.Path)+".")
		return
	}
	if g := snap.versions[api.Path]; g != nil {
		// The path's versions are told apart by a query parameter or a
		// header (versions.go).
		v := ""
		if api, v = g.pick(r); api == nil {
			versionRefused(w, g, r.URL.Path, v)
			return
		}
	}
	if t := s.leaveLoopUnless(r, api); t != nil {
		defer s.heldLoop(t, t.Forced(), api)
	}
	var gw *grpcWriter
	if api.Type == "grpc" {
		// gRPC needs HTTP/2 (over TLS, or h2c), and a gRPC body.
		if r.ProtoMajor != 2 {
			w.Header().Set("Connection", "close")
			writeJSONError(w, http.StatusHTTPVersionNotSupported, "API "+strconv.Quote(api.Name)+" is a gRPC API: call it over HTTP/2.")
			return
		}
		if !isGRPCContentType(r.Header.Get("Content-Type")) {
			writeJSONError(w, http.StatusUnsupportedMediaType, "API "+strconv.Quote(api.Name)+" is a gRPC API: the request's Content-Type must be application/grpc.")
			return
		}
		// From here on every answer is a gRPC status (grpc.go).
		gw = &grpcWriter{ResponseWriter: w}
		defer gw.finish()
		w = gw
	}
	if s.draining.Load() {
		w.Header().Set("Connection", "close")
		writeJSONError(w, http.StatusServiceUnavailable, "The gateway is shutting down.")
		return
	}
	if !hostAllowed(r, api.Limits.AllowedHosts) {
		// allowed-hosts: a DNS-rebinding page reaches us under its own name.
		writeJSONError(w, http.StatusMisdirectedRequest, "Host "+strconv.Quote(r.Host)+" is not served here.")
		return
	}
	// A trace token is looked for only where the front server cannot say
	// that none came (h1 notes the names as it parses the head), and so is
	// the default subscription-key header (checkSubscription).
	noted, known := h1.Noted(w, frontFields)
	if !known || noted&notedTrace != 0 {
		if _, ok := r.Header[TraceTokenHeader]; ok || r.Header[APIMDebugHeader] != nil {
			r = s.traceRequested(w, r, api)
		}
	}
	var diag *diagRequest
	if snap.diagnostics != nil { // APIM diagnostics (diagnostics.go): the one check without them
		diag = s.startDiagnostics(snap.diagnostics, api, r)
	}
	if s.tel != nil {
		var end func()
		w, r, end = s.tel.startRequest(w, r, api, diag)
		defer end()
	}
	if gw != nil {
		s.serveGRPC(gw, r, snap, api, diag)
		return
	}
	// The resource model's own steps, before any policy (operations.go,
	// subscriptions.go): the operation, then the subscription key.
	op, params, ok := api.matchOperation(r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header)
	if r.Method == http.MethodOptions && api.preflights && preflightRoutes(op, ok) &&
		s.servePreflight(w, r, snap, api, diag, known && noted&notedKey == 0) { // preflight.go
		return
	}
	if !ok || api.A2A != nil && !api.A2A.routes(r.URL.Path) { // a2a.go: its card and JSON-RPC paths only
		s.refuse(w, r, api.viewFor(nil, 0), operationNotFound(r.Method, r.URL.Path), diag)
		return
	}
	prod, sub, pe := s.checkSubscription(r.Context(), snap, api, r, known && noted&notedKey == 0)
	if pe != nil {
		s.refuse(w, r, api.viewFor(op, 0), pe, diag)
		return
	}
	m := reqMatch{params: params, sub: sub, diag: diag}
	view := api.viewFor(op, prod)
	if api.servesWebSocket(r) {
		s.serveWebSocket(w, r, view, m)
		return
	}
	if view.mcp != nil {
		s.serveMCP(w, r, view, m) // mcp_local.go
		return
	}
	s.serveHTTPAPI(w, r, view, m)
}

// clientIP is the address the request came from.
func clientIP(r *http.Request) string {
	ip, _ := clientIPOf(r)
	return ip
}

// clientIPOf is clientIP, and whether r.RemoteAddr had a port to split off
// (X-Forwarded-For is set only then: setXForwarded).
func clientIPOf(r *http.Request) (string, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr, false
	}
	return host, true
}

// setDeployment sets context.Deployment for the snapshot about to serve:
// Options.Deployment, with the gateway resource's name and location when
// the server serves as one (APIM's self-hosted gateways report theirs).
func (s *Server) setDeployment(gw *GatewayInfo) {
	d := s.opt.Deployment
	if gw != nil {
		c := engine.Deployment{ServiceName: "tollgate"}
		if d != nil {
			c = *d
		}
		c.GatewayId, c.Region = gw.Name, gw.Location
		g := engine.GatewayInfo{}
		if c.Gateway != nil {
			g = *c.Gateway
		}
		g.Id = gw.Name
		c.Gateway = &g
		d = &c
	}
	s.deployment.Store(d)
}

// refreshKeyVault reloads the configuration every period while it has
// named values read from Key Vault: their secrets are read again once
// the reader's cache has expired (APIM reads them every four hours).
func (s *Server) refreshKeyVault(period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-s.baseCtx.Done():
			return
		case <-t.C:
			if snap := s.current.Load(); snap != nil && snap.keyVaultRefs > 0 {
				s.Reload("key vault refresh")
			}
		}
	}
}

// Shutdown stops the gateway gracefully: new requests get 503, every
// WebSocket session gets close 1001 (going away) on both legs, and it waits
// for sessions to finish until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.shutdown(errShutdown)
	s.sessions.cancelAll(errShutdown) // (sessions have contexts of their own: sessions.go)
	err := s.sessions.wait(ctx)
	if err == nil {
		err = s.mcpStreamsWait(ctx)
	}
	if s.ownLoggers {
		s.opt.Loggers.CloseContext(ctx) // flushes what is buffered
	}
	return err
}

var errShutdown = errors.New("gateway shutting down")

// Ready reports whether the gateway serves (a config is loaded, not draining).
func (s *Server) Ready() bool { return !s.draining.Load() && s.current.Load() != nil }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // errors quote <elements>
	_ = enc.Encode(v)
}

// Secret masking for logs.

// credentialHeaders carry credentials; their values never reach a log.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Ocp-Apim-Subscription-Key", "X-Api-Key",
	TraceTokenHeader, APIMDebugHeader}

// requestCredentials lists the request's credential values to mask: each
// credential header's value and its parts (the token after "Bearer", each
// cookie's value), and the values of secret query parameters.
func requestCredentials(req *engine.Request) []string {
	if req == nil {
		return nil
	}
	var out []string
	for _, name := range credentialHeaders {
		for _, v := range req.Headers[name] {
			out = append(out, v)
			for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ';' || r == ',' }) {
				if _, val, ok := strings.Cut(part, "="); ok {
					part = val
				}
				switch strings.ToLower(part) {
				case "bearer", "basic", "digest", "negotiate":
					continue
				}
				out = append(out, part)
			}
		}
	}
	if req.Url != nil {
		for _, p := range strings.Split(strings.TrimPrefix(req.Url.QueryString, "?"), "&") {
			if k, v, ok := strings.Cut(p, "="); ok && engine.IsSecretParam(k) {
				out = append(out, v)
				if uv, err := url.QueryUnescape(v); err == nil && uv != v {
					out = append(out, uv)
				}
			}
		}
	}
	return out
}

// maskAll replaces every occurrence of each secret in s with REDACTED.
func maskAll(s string, secrets []string) string { return engine.Mask(s, secrets) }

type secretMask struct {
	snap *Snapshot
	vals []string
}

// secretValues returns the served snapshot's secret named values.
func (s *Server) secretValues() []string {
	snap := s.current.Load()
	if snap == nil {
		return nil
	}
	if m := s.mask.Load(); m != nil && m.snap == snap {
		return m.vals
	}
	m := &secretMask{snap: snap, vals: snap.Secrets()}
	s.mask.Store(m)
	return m.vals
}

// maskCore masks secret values in a log entry's message and its string and
// error fields.
type maskCore struct {
	zapcore.Core
	secrets func() []string
}

func (c *maskCore) With(fields []zapcore.Field) zapcore.Core {
	return &maskCore{Core: c.Core.With(c.mask(fields)), secrets: c.secrets}
}

func (c *maskCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *maskCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	if secrets := c.secrets(); len(secrets) > 0 {
		e.Message = maskAll(e.Message, secrets)
	}
	return c.Core.Write(e, c.mask(fields))
}

// SecretMask masks the served configuration's secret named values in the
// log entries of loggers it wraps. Policies get their logger (Deps.Log)
// before the Server exists, so the mask is wrapped first and bound to the
// Server once it is made:
//
//	mask := &gateway.SecretMask{}
//	reg := policies.Registry(policies.Deps{Log: mask.Wrap(log)})
//	srv, _ := gateway.New(gateway.Options{Registry: reg, ...})
//	mask.Bind(srv)
//
// Until Bind, nothing is masked (no configuration is served yet).
type SecretMask struct {
	srv atomic.Pointer[Server]
}

// Wrap returns l with every entry masked.
func (m *SecretMask) Wrap(l *zap.Logger) *zap.Logger {
	return l.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return &maskCore{Core: c, secrets: m.values}
	}))
}

// Bind takes the secret values from s's served configuration from now on.
func (m *SecretMask) Bind(s *Server) { m.srv.Store(s) }

func (m *SecretMask) values() []string {
	if s := m.srv.Load(); s != nil {
		return s.secretValues()
	}
	return nil
}
