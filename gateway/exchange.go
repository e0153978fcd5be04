package gateway

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/coder/websocket"
	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/gateway/internal/wire"
	"tollgate/gateway/upstream"
	"tollgate/gateway/wsproxy"
	"tollgate/internal/lazyctx"
	"tollgate/internal/monoclock"
	"tollgate/policies"
)

// exchange is one request through the gateway: a REST call or a WebSocket
// handshake. Both proxy paths (http.go, websocket.go) go through the same
// steps on it: newExchange, run inbound and backend, pick the backend URL,
// answer a failure through on-error (backendFailed, respond), and end with
// close, or with detach when a WebSocket session lives on after the
// handshake. It plays the part httputil.ProxyRequest plays for a plain
// reverse proxy, with the policy State in it.
type exchange struct {
	s      *Server
	api    *API
	rt     *apiRuntime
	st     *engine.State // nil once closed or detached
	start  time.Time
	ip     string   // the client's address
	target *url.URL // the backend URL, once backendURL chose it
	// view is the backend URL (no query) RefreshUrl last built from the
	// API's service URL or a base-url, and viewFor what it was built from:
	// the forward reuses it when nothing changed since (buildBackendURL).
	view    url.URL
	viewFor viewKey
	m       reqMatch     // the operation's parameters and the subscription (operations.go)
	be      *Backend     // the backend entity, when a policy named one (backends.go)
	body    *requestBody // an HTTP request's body, while it arrives (slowbody.go); nil without one
	// a2aCard: the request asks for an A2A agent API's card (a2a.go).
	a2aCard bool
	// sharedHeader: a WebSocket handshake's policies have the client's
	// header map itself, not a copy (beginHandshake): the client offered
	// no subprotocol, and the backend is offered none.
	sharedHeader bool
	// noConnection: the front server noted that the request has no
	// Connection field (h1.Noted): beginWith has no list to strip.
	noConnection bool

	// For forward-request inside retry, which sends from the backend
	// section (forward.go): the client's request while it is served, the
	// WebSocket session, and the backend connection the last attempt made.
	in   *http.Request
	sess *session
	ws   *wsproxy.Conn

	// What a WebSocket session keeps once the State is back in its pool.
	requestID string
	bytes     *engine.ByteCount
	done      func() // the policies' OnDone functions; nil if none
	quiet     bool   // SessionQuick said yes: SessionDone writes no log line

	rest *restParts // a REST request's (newRESTExchange); nil for a WebSocket handshake
	wsr  *wsRoom    // a WebSocket handshake's (newWSExchange); nil for other exchanges
}

// wsRoom is what a WebSocket handshake's exchange holds for its session
// rather than allocate it: the URL target points to and the request id's
// bytes, both kept as long as the session (its log line, forward-request
// inside retry), and the session's entry in the gateway's session set, in
// the exchange's own allocation (newWSExchange), and the handshake's parts
// while it runs.
type wsRoom struct {
	target url.URL
	hs     *hsParts // the handshake's parts (beginHandshake); nil once detached
	id     [idLen]byte
	sess   session // the session's entry in the gateway's set (sessionSet.addIn)
}

// hsParts is what a WebSocket handshake's exchange holds rather than
// allocate one by one (BenchmarkHandshake): the inbound and backend
// sections' contexts (each used once: ctxUsed), the State's room for the
// query's values and the values policies set and for the strings made for
// the handshake (engine.State.SetStringRoom: a concatenation such as
// set-backend-service's base-url, the query string set-query-parameter
// rebuilds, the backend path), and the 101 response end-of-handshake
// policies see. It is one allocation of its own, not part of the
// exchange, because the exchange lives as long as the session and these
// are needed only while the handshake runs: detach drops it, and with it
// what the session would otherwise keep of those strings (the backend
// URL: detach keeps its host only). Like restParts it is never pooled, so
// what a policy keeps stays its own (and keeps this allocation alive).
// strBytes fills the 704-byte size class (TestHandshakePartsSizeClass).
type hsParts struct {
	ctxs    [2]sectionCtx
	ctxUsed engine.Section
	strs    [4]string
	resp    engine.ResponseRoom
	// The backend handshake's bound (dialBackend): the first dial's, a
	// later one (forward-request inside retry) makes its own.
	dctx     lazyctx.Ctx
	dctxUsed bool
	strBytes [hsStrBytes]byte
	// client is room for the client's wsproxy.Conn (wsproxy.UpgradeIn),
	// used only when the relay drops the Conn as it starts the session.
	client wsproxy.Conn
}

// hsStrBytes is the size of the handshake's room for new strings' bytes:
// what fills hsParts's size class (704 bytes).
const hsStrBytes = 79

// clientRoom is room for the client's Conn (wsproxy.UpgradeIn): in the
// handshake's parts, nil if it has none.
func (x *exchange) clientRoom() *wsproxy.Conn {
	if x.wsr == nil || x.wsr.hs == nil {
		return nil
	}
	return &x.wsr.hs.client
}

// dialCtx is the lazily built deadline context of a backend handshake:
// in the handshake's parts for its first dial, else a new one.
func (x *exchange) dialCtx(parent context.Context, deadline time.Time) *lazyctx.Ctx {
	if x.wsr == nil || x.wsr.hs == nil || x.wsr.hs.dctxUsed {
		return lazyctx.New(parent, deadline)
	}
	hp := x.wsr.hs
	hp.dctxUsed = true
	hp.dctx.Init(parent, deadline)
	return &hp.dctx
}

// sessionRoom is where the handshake's session is kept: in the
// exchange's own allocation (wsRoom), which lives as long as the session.
func (x *exchange) sessionRoom() *session {
	if x.wsr == nil {
		return new(session)
	}
	return &x.wsr.sess
}

// isWS reports whether the exchange is a WebSocket handshake (of a
// WebSocket API, or a GraphQL API's subscriptions): it has no REST parts.
func (x *exchange) isWS() bool { return x.rest == nil }

// newExchange starts the exchange for r, routed to api; begin gives it its
// policy State once the request passed the gateway's own checks.
func (s *Server) newExchange(r *http.Request, api *API, start time.Time) *exchange {
	return &exchange{s: s, api: api, rt: s.runtimeOf(api), start: start, ip: clientIP(r)}
}

// newWSExchange is newExchange for a WebSocket handshake: the exchange
// and its wsRoom in one allocation.
func (s *Server) newWSExchange(r *http.Request, api *API, start time.Time) *exchange {
	wx := &struct {
		exchange
		room wsRoom
	}{exchange: exchange{s: s, api: api, rt: s.runtimeOf(api), start: start, ip: clientIP(r)}}
	wx.wsr = &wx.room
	return &wx.exchange
}

// restParts is what a REST request's exchange holds rather than allocate
// one by one (BenchmarkRESTRequest): the inbound, backend and outbound
// sections' contexts (each used once: ctxUsed), the backend call's
// context, the URL target points to, the request's body as policies see
// it, the backend's answer as outbound sees it, with its body, and the
// backend request's X-Forwarded-* values. None is
// ever reused for another request: the exchange is not pooled, so what a
// policy keeps stays its own. A WebSocket exchange, which lives as long as
// its session, does without them (a kilobyte per session).
type restParts struct {
	ctxs            [3]sectionCtx
	call            sectionCtx
	targetURL       url.URL
	reqBody         engine.Body
	reqSrc, respSrc limitedBody
	respBody        engine.Body
	backendResp     engine.Response
	xf              [3]string // the first backend request's X-Forwarded-* values (setXForwarded)
	xfUsed          bool
	ipPort          bool           // the client's RemoteAddr had a port: exchange.ip is its host (clientIPOf)
	ctxUsed         engine.Section // (beside the other bytes: the exchange fills its size class)
	outFree         bool           // gateway/upstream answered out and keeps nothing of its header map (httpProxy.serve)
	outHeld         outHeld        // what outHeader holds of X-Forwarded-For and User-Agent (copyOutboundHeaders)
	outChecked      bool           // every field of outRequest's map was checked (outRequest), for httpProxy.serve
	checkedFields   uint16         // out.Header's fields, all checked, while the backend client runs (sectionCtx.CheckedFields); 0: none
	outHeader       http.Header    // the backend request's headers, copied as they were checked (serveHTTPAPI), for outRequest
	out             http.Request   // the first backend request (withCallCtx)
	outUsed         bool
	flushHead       bool        // the answer is a filtered event stream: its head goes at once (modifyResponse)
	id              [idLen]byte // the request id's bytes (requestID)
	// strs and strBytes are the State's room for the query's values, the
	// values policies set and the string values they box (set-variable's),
	// and for the strings made for the request (concatenations, the query
	// string, the backend path), up to their size
	// (engine.State.SetStringRoom): the exchange fills the 2,048-byte size
	// class (TestRESTExchangeSizeClass).
	strs     [4]string
	strBytes [128]byte
	// memBody is the first backend request's body when a policy read it
	// (outRequest). The exchange's 2,048 bytes before it took the
	// 2,304-byte size class already (the allocator's 8-byte header of an
	// object over 512 bytes with pointers): its 32 bytes fit in the same
	// (TestRESTExchangeSizeClass).
	memBody upstream.MemBody
	guard   requestBody // the request body's guard (guardBody), 120 bytes: in the same class too
}

// outHeld says what the copy of the backend request's headers
// (restParts.outHeader) holds: noXFF, no X-Forwarded-For (for
// setXForwardedFrom's noPrior); ua, a User-Agent. One byte: the exchange
// fills its size class.
type outHeld uint8

const (
	heldNoXFF outHeld = 1 << iota
	heldUA
)

// newRESTExchange is newExchange for a REST request: the exchange and its
// restParts in one allocation.
func (s *Server) newRESTExchange(r *http.Request, api *API, start time.Time) *exchange {
	ip, ipPort := clientIPOf(r)
	rx := &struct {
		exchange
		parts restParts
	}{exchange: exchange{s: s, api: api, rt: s.runtimeOf(api), start: start, ip: ip}}
	rx.rest = &rx.parts
	rx.parts.ipPort = ipPort
	return &rx.exchange
}

// newRequestID is Server.newID, written into the REST or WebSocket exchange's room:
// the exchange is never reused, so the bytes under the string never change
// (a policy may keep it).
func (x *exchange) newRequestID() string {
	var b []byte
	switch {
	case x.rest != nil:
		b = x.s.appendID(x.rest.id[:0])
	case x.wsr != nil: // the WebSocket exchange's, kept for its session
		b = x.s.appendID(x.wsr.id[:0])
	default:
		return x.s.newID()
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// begin acquires the policy State for r as the client sent it. The
// exchange keeps no reference to r: a WebSocket session outlives it.
func (x *exchange) begin(r *http.Request, scheme string) {
	x.beginWith(r, scheme, r.Header.Clone())
}

// beginHandshake is begin for a WebSocket handshake that passed its
// checks (serveWebSocket). After the policies, the handshake reads one
// thing of the client's header map: the subprotocols it offered, which
// the backend handshake offers (dialBackend). A client that offered none
// (most: BenchmarkHandshake's) leaves nothing to keep as it was sent, so
// the policies get its map itself, as a REST request's get theirs
// (beginWith), three allocations and a copy less; whatever a policy then
// sets as Sec-WebSocket-Protocol is not offered (sharedHeader), as it was
// not with a copy. A client that offered some gets a copy.
func (x *exchange) beginHandshake(r *http.Request, scheme string) {
	if x.wsr != nil {
		x.wsr.hs = new(hsParts)
	}
	if _, offered := r.Header["Sec-Websocket-Protocol"]; offered {
		x.begin(r, scheme)
		return
	}
	x.sharedHeader = true
	x.beginWith(r, scheme, r.Header)
}

// beginWith is begin with h, the header map the policies get: a copy of
// r's, or, for a REST request (serveHTTPAPI), r's own, three allocations
// less per request. Nothing reads a REST request's header map once the
// policies have it: the gateway's own checks ran before, outRequest builds
// the backend's headers from the policies', and the front server (gateway/h1
// or net/http) reads none after parsing. gateway/h1 fills a REST
// request's map with the connection's next request's fields when
// serveHTTPAPI says nothing keeps the map itself (h1.ReuseHeader): no
// State, variable, cache, one-way request, log or trace holds the map
// past its request, only strings and slices of it, which h1 never
// reuses (docs/http-server.md, "The request's header map reused"). A
// WebSocket handshake whose client offered subprotocols needs them as
// sent: beginHandshake copies its map.
func (x *exchange) beginWith(r *http.Request, scheme string, h http.Header) {
	api := x.api
	st := engine.AcquireStateAt(api.Info, x.start) // the request's arrival, as the exchange read it
	ctx := st.Context()
	ctx.Operation, ctx.Product = api.Operation, api.Product // api is the view of the operation and product
	// Hop-by-hop headers the client named: never forwarded, never seen by policies.
	if !x.noConnection {
		stripConnectionListed(h)
	}
	if x.rest != nil {
		st.SetStringRoom(x.rest.strs[:], x.rest.strBytes[:])
	} else if x.wsr != nil && x.wsr.hs != nil {
		st.SetStringRoom(x.wsr.hs.strs[:], x.wsr.hs.strBytes[:])
	}
	st.SetRequestURI(r.Method, scheme, r.Host, r.URL, r.RequestURI, h, x.ip)
	x.m.fill(st)
	st.SetDeployment(x.s.deployment.Load())
	st.SetWorkspace(api.Workspace)
	st.SetExprBytes(api.Limits.MaxExprBytes)
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		st.SetClientCertificate(r.TLS.PeerCertificates) // validate-client-certificate, context.Request.Certificate
	}
	if tr := tracedBy(r); tr != nil { // a valid trace token (tracing.go)
		st.SetRequestID(tr.id)
		st.EnableTrace()
	} else {
		st.SetRequestID(x.newRequestID())
		if api.Limits.Trace {
			st.EnableTrace()
		}
	}
	if tel := x.s.tel; tel != nil { // OpenTelemetry (telemetry.go)
		tel.requestSpan(r, st.Context().RequestId)
		if st.Trace() != nil && tel.stepSpans(r) {
			st.SetStepHook(tel.stepHook)
		}
	}
	if d := x.m.diag; d != nil { // applicationinsights (diagnostics.go)
		if d.span != nil || d.app != nil { // trace messages as span events and Application Insights traces
			st.SetPrivate(policies.TraceSinkKey{}, d.traceSink())
		}
		if d.app != nil { // policies' call-outs as dependencies, with the operation's trace context
			st.SetPrivate(policies.CalloutSinkKey{}, d.calloutSink())
		}
		if ai := d.ad.insights; ai != nil && ai.metrics && ai.ai != nil { // custom metrics to Application Insights
			st.SetPrivate(policies.MetricSinkKey{}, d.metricSink(x))
		}
	}
	x.st = st
	st.SetUrlHook(x) // context.Request.Url is the backend URL (RefreshUrl)
	st.RefreshUrl()  // built when first read (engine: State.syncUrl)
}

// inboundAndBackend runs the inbound and backend sections. It reports
// whether the pipeline ended with a response (return-response, a failure
// through on-error) that the caller must send instead of forwarding.
func (x *exchange) inboundAndBackend(ctx context.Context) bool {
	return x.inboundAndBackendFrom(ctx, readClock)
}

// readClock as a section's start: runFrom reads the clock for it.
const readClock = time.Duration(math.MinInt64)

// inboundAndBackendFrom is inboundAndBackend with inbound's start given
// (monoclock.Since's reading, or readClock). Backend starts at
// inbound's end, one clock read for both, as nothing runs between.
func (x *exchange) inboundAndBackendFrom(ctx context.Context, start time.Duration) bool {
	end, stopped := x.runFrom(ctx, engine.Inbound, start)
	if stopped {
		return true
	}
	_, stopped = x.runFrom(ctx, engine.Backend, end)
	return stopped
}

// close ends the exchange's policy work: deferred counting (Finish), the
// trace line, the policies' OnDone functions, and the State back to its
// pool. It does nothing after close or detach.
func (x *exchange) close(ctx context.Context) {
	if x.ws != nil { // dialed by a forward-request inside retry, then not used
		x.ws.CloseWith(websocket.StatusGoingAway, "")
		x.ws = nil
	}
	x.in = nil
	if x.st == nil {
		return
	}
	x.st.Finish(ctx)
	x.logTrace()
	x.st.Done()
	x.st.Release()
	x.st = nil
}

// detach ends the exchange's policy work like close, but keeps the OnDone
// functions (limit-concurrency's lease), the byte counts and the request id
// for the WebSocket session that lives on: it runs x.done when it ends.
func (x *exchange) detach(ctx context.Context) {
	x.in = nil
	x.st.Finish(ctx)
	x.logTrace()
	x.requestID = x.st.Context().RequestId
	x.bytes = x.st.ByteCount()
	x.done = x.st.DetachDone()
	x.st.Release()
	x.st = nil
	if x.wsr != nil {
		x.wsr.hs = nil // the session keeps nothing of the handshake's parts
		// Nor of the strings made in their room: of the backend URL the
		// session reads the host alone (its log line), which is never
		// the room's (engine.ParseURL keeps a copy of a base-url; a
		// service URL is the API's), and the view is the handshake's.
		if x.target != nil {
			h := x.target.Host
			x.wsr.target = url.URL{Host: h}
			x.target = &x.wsr.target
		}
		x.view, x.viewFor = url.URL{}, viewKey{}
	}
}

// respond sends the response a policy (or on-error) left in the state,
// with the headers policies recorded for the final response.
func (x *exchange) respond(w http.ResponseWriter) {
	applyResponseHeaders(w.Header(), x.st)
	writeResponse(w, x.st.Response())
}

// run runs one section with the API's policy timeout and records its
// duration. It reports whether the pipeline ended with a response.
func (x *exchange) run(ctx context.Context, sec engine.Section) bool {
	_, stopped := x.runFrom(ctx, sec, readClock)
	return stopped
}

// runFrom is run with the section's start given (monoclock.Since's
// reading, taken by the caller just before, or readClock). It also
// returns the section's end, read for its duration (start as given when
// the section is empty), for a section that follows at once.
func (x *exchange) runFrom(ctx context.Context, sec engine.Section, t0 time.Duration) (time.Duration, bool) {
	api, st := x.api, x.st
	if len(api.Plan.Section(sec)) == 0 {
		return t0, false
	}
	if t0 == readClock {
		t0 = monoclock.Since() // the section's start: its duration and its timeout's
	}
	sctx := x.sectionCtx(ctx, sec, t0)
	stopped := api.Plan.Run(sctx, sec, st)
	sctx.release()
	obs := x.rt.metrics.inbound
	switch sec {
	case engine.Backend:
		obs = x.rt.metrics.backend
	case engine.Outbound:
		obs = x.rt.metrics.outbound
	}
	t1 := monoclock.Since()
	obs.Observe((t1 - t0).Seconds())
	if le := st.LastError(); le != nil && stopped {
		x.policyFailed(le)
	}
	return t1, stopped
}

// sectionCtx returns the context section sec runs under: the exchange's
// own for the section the first time, a new one after that (a section
// run twice must not revive the context the first run released).
func (x *exchange) sectionCtx(parent context.Context, sec engine.Section, now time.Duration) *sectionCtx {
	timeout := x.api.Limits.PolicyTimeout
	var ctxs []sectionCtx
	var used *engine.Section
	if rp := x.rest; rp != nil {
		ctxs, used = rp.ctxs[:], &rp.ctxUsed
	} else if x.wsr != nil && x.wsr.hs != nil {
		hp := x.wsr.hs
		ctxs, used = hp.ctxs[:], &hp.ctxUsed
	}
	i := bits.TrailingZeros8(uint8(sec))
	if i >= len(ctxs) || *used&sec != 0 {
		return newSectionCtx(parent, now, timeout)
	}
	*used |= sec
	c := &ctxs[i]
	c.init(parent, now, timeout)
	return c
}

// callCtx returns the context of the REST backend call, once per
// exchange: the route's timeout, the exchange under proxyKey, and 1xx
// answers relayed to w (sectionctx.go). release it when the call is over.
func (x *exchange) callCtx(parent context.Context, timeout time.Duration, w http.ResponseWriter) *sectionCtx {
	c := &x.rest.call
	c.init(parent, monoclock.Since(), timeout)
	c.x, c.w = x, w
	return c
}

// policyFailed logs and counts a policy failure once. The message may quote
// request data (expression errors print the values they failed on), so the
// request's credentials are masked out of it.
func (x *exchange) policyFailed(le *engine.LastError) {
	s, api, st := x.s, x.api, x.st
	s.metrics.PolicyErrors.WithLabelValues(api.Name, le.Reason).Inc()
	creds := requestCredentials(st.Context().Request)
	if sub := st.Context().Subscription; sub != nil {
		creds = append(creds, sub.Key) // under an API's own key header or query name
	}
	msg := maskAll(le.Message, creds)
	s.log.Warn("policy failed",
		zap.String("api", api.Name), zap.String("request_id", st.Context().RequestId),
		zap.String("reason", le.Reason), zap.String("source", le.Source), zap.String("section", le.Section),
		zap.String("path", le.Path), zap.String("policy_id", le.PolicyId), zap.String("message", msg),
		zap.Int("status", st.Response().StatusCode))
}

// backendFailed runs on-error for a backend failure that happened outside
// the policy steps.
func (x *exchange) backendFailed(ctx context.Context, pe *engine.PolicyError) {
	if pe.Source == "" {
		pe.Source = "forward-request" // what on-error's context.LastError.Source reads, not only the log
	}
	x.api.Plan.Fail(ctx, engine.Backend, x.st, pe)
	if le := x.st.LastError(); le != nil {
		x.policyFailed(le)
	}
}

// traceStep is one executed policy step as the "policy trace" log line shows it.
type traceStep struct {
	Path     string   `json:"path"`
	Policy   string   `json:"policy"`
	ID       string   `json:"id,omitempty"`
	Section  string   `json:"section"`
	Duration string   `json:"duration"`
	Outcome  string   `json:"outcome"`
	Notes    []string `json:"notes,omitempty"`
}

// logTrace writes the request's step trace (api.xml trace="true") as one
// log line, and keeps it in the ring of recent traces (so does a request
// traced by a trace token, which is not logged). Notes already have secret
// query values redacted, and the logger masks secret named values.
func (x *exchange) logTrace() {
	st := x.st
	tr := st.Trace()
	if tr == nil {
		return
	}
	if !x.api.Limits.Trace {
		x.s.recordTrace(x.api, st, "token")
		return
	}
	x.s.recordTrace(x.api, st, "api")
	steps := make([]traceStep, len(tr.Steps))
	for i, t := range tr.Steps {
		steps[i] = traceStep{Path: t.Path, Policy: t.Policy, ID: t.ID, Section: t.Section,
			Duration: t.Duration.String(), Outcome: t.Outcome, Notes: t.Notes}
		if sub := st.Context().Subscription; sub != nil { // a key under an API's own query name
			for j, n := range steps[i].Notes {
				steps[i].Notes[j] = maskAll(n, []string{sub.Key})
			}
		}
	}
	status := 0
	if r := st.Context().Response; r != nil {
		status = r.StatusCode
	}
	x.s.log.Info("policy trace", zap.String("api", x.api.Name), zap.String("request_id", st.Context().RequestId),
		zap.Int("status", status), zap.Any("steps", steps))
}

// backendURL builds the URL the request goes to: the base (set-backend-service,
// or the API's service-url) with the rest of the request path appended. The
// base URL's query comes first, verbatim; then every request query parameter
// (as policies left them) that the base does not set, verbatim too, so
// opaque values (SignalR's asrs_request_id, tokens) pass byte for byte.
func (x *exchange) backendURL(ctx context.Context, ws bool) error {
	if x.a2aCard {
		// The agent card comes from its own URL, whatever the policies
		// chose for the JSON-RPC calls (a2a.go).
		x.be = nil
		x.target = x.newTarget(*x.api.A2A.CardURL)
		return nil
	}
	// A backend entity (set-backend-service backend-id) is resolved first:
	// a pool's member, a breaker's verdict (backends.go). It changes
	// BackendURL: a view RefreshUrl left to be built is the one before.
	if x.st.UrlStale() && (x.st.BackendID != "" || x.api.mcp != nil) {
		x.st.SyncUrl()
	}
	be, err := x.s.pickBackend(ctx, x.api, x.st)
	if err != nil {
		return err
	}
	x.be = be
	u, err := x.buildBackendURL(ws)
	x.target = u
	return err
}

func (x *exchange) buildBackendURL(ws bool) (*url.URL, error) {
	st := x.st
	var base url.URL
	if k := (viewKey{st.BackendURL, st.RoutePath(), ws, st.BackendFixedPath, true}); k == x.viewFor && !st.UrlStale() {
		base = x.view // RefreshUrl built it, and showed it, from the same parts
	} else {
		if st.BackendURL != "" {
			u, err := st.ParseURL(st.BackendURL) // parsed once per distinct string
			if err != nil {
				return nil, err
			}
			base = *u
		} else if x.api.ServiceURL != nil {
			base = *x.api.ServiceURL
		} else {
			return nil, errNoServiceURL
		}
		if err := x.backendPath(&base, ws); err != nil {
			return nil, err
		}
		x.showUrl(&base)
		st.UrlShown() // the view RefreshUrl left to be built, if any, is this one
	}
	reqQuery := ""
	if u := st.Context().Request.Url; u != nil {
		reqQuery = strings.TrimPrefix(u.QueryString, "?")
	}
	if reqQuery != "" {
		if base.RawQuery == "" && !strings.Contains(reqQuery, "&&") && reqQuery[0] != '&' && reqQuery[len(reqQuery)-1] != '&' {
			base.RawQuery = reqQuery // nothing to drop: no empty parts, no base parameters
			return x.newTarget(base), nil
		}
		var have url.Values
		if base.RawQuery != "" {
			have = base.Query()
		}
		var b strings.Builder
		b.WriteString(base.RawQuery)
		for rest := reqQuery; rest != ""; {
			var part string
			part, rest, _ = strings.Cut(rest, "&")
			if part == "" {
				continue
			}
			k, _, _ := strings.Cut(part, "=")
			if name, err := url.QueryUnescape(k); err == nil && have.Has(name) {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(part)
		}
		base.RawQuery = b.String()
	}
	return x.newTarget(base), nil
}

// backendPath makes base, a backend's base URL, the backend URL without
// the request's query: its scheme the request's kind (ws, wss for a
// WebSocket handshake), the rest of the routed path (State.RoutePath
// after the API's path; rewrite-uri may have changed it) appended.
func (x *exchange) backendPath(base *url.URL, ws bool) error {
	api, st := x.api, x.st
	reqPath := st.RoutePath()
	switch {
	case ws && base.Scheme == "http":
		base.Scheme = "ws"
	case ws && base.Scheme == "https":
		base.Scheme = "wss"
	case !ws && base.Scheme == "ws":
		base.Scheme = "http"
	case !ws && base.Scheme == "wss":
		base.Scheme = "https"
	}
	rest := reqPath
	if api.Path != "/" && api.Type != "grpc" { // a gRPC call's path is its method: forwarded whole
		rest = strings.TrimPrefix(reqPath, api.Path)
	}
	if api.A2A != nil {
		rest = api.A2A.backendRest(rest) // after the JSON-RPC path (a2a.go)
	}
	if api.mcp != nil {
		rest = api.mcp.backendPath(rest) // PATH/mcp -> the MCP endpoint's path on the backend (mcp.go)
	}
	if st.BackendFixedPath && st.BackendURL != "" {
		rest = "" // Dapr's service invocation: the URL names the method
	}
	if rest != "" && !plainNormalPath(rest) {
		// The routed path is normalised already; a path a policy rewrote
		// (rewrite-uri) is normalised here, so it cannot climb out of the
		// service URL's path either.
		norm, err := normalizePath((&url.URL{Path: rest}).EscapedPath())
		if err != nil && !strings.HasPrefix(rest, "/") {
			norm, err = normalizePath((&url.URL{Path: "/" + rest}).EscapedPath())
		}
		if err != nil {
			return fmt.Errorf("the backend path %q: %w", rest, err)
		}
		if rest, err = url.PathUnescape(norm); err != nil {
			return err
		}
	}
	if rest != "" && rest != "/" || (rest == "/" && !strings.HasSuffix(base.Path, "/")) {
		base.Path = joinPathIn(st, base.Path, rest)
		base.RawPath = ""
		if hasPathSubDelim(base.Path) {
			base.RawPath = keepSubDelims.Replace(base.EscapedPath())
		}
	}
	return nil
}

// viewKey is what a backend URL without its query is built from, when
// its base is a URL (set-backend-service base-url, or the service URL with
// base "").
type viewKey struct {
	base, route string
	ws, fixed   bool
	ok          bool
}

// showUrl makes context.Request.Url's scheme, host, port and path those of
// u, the backend URL (its query stays the request's, as policies left it).
func (x *exchange) showUrl(u *url.URL) {
	if v := x.st.Context().Request.Url; v != nil {
		v.SetServer(u.Scheme, u.Host)
		v.Path = u.Path
	}
}

// RefreshUrl keeps context.Request.Url the current value of the full
// backend URL (engine.UrlHook): at the start of inbound, after
// set-backend-service and after rewrite-uri. A backend entity's URL is
// its own; a pool's, until the forward picks a member, its first member's
// (by priority group, in the order listed). Without a backend (no service
// URL, a backend entity that is not the API's) Url keeps its host and
// follows the routed path. The forward (buildBackendURL) shows the URL it
// sends to, the member a pool picked included.
func (x *exchange) RefreshUrl(st *engine.State) {
	if x.st != st || x.a2aCard {
		return
	}
	x.viewFor = viewKey{}
	var base url.URL
	switch {
	case st.BackendURL != "":
		u, err := st.ParseURL(st.BackendURL)
		if err != nil {
			return
		}
		base = *u
	case st.BackendID != "":
		u := x.api.backendViewURL(st.BackendID)
		if u == nil {
			x.showPath(st)
			return
		}
		base = *u
	case x.api.mcp != nil && x.api.mcp.backendID != "":
		u := x.api.backendViewURL(x.api.mcp.backendID)
		if u == nil {
			x.showPath(st)
			return
		}
		base = *u
	case x.api.ServiceURL != nil:
		base = *x.api.ServiceURL
	default:
		x.showPath(st)
		return
	}
	ws := false // a WebSocket handshake's backend URL is ws or wss (a refused REST request's exchange has no rest either)
	if o := st.Context().Request.OriginalUrl; o != nil {
		ws = o.Scheme == "ws" || o.Scheme == "wss"
	}
	if x.backendPath(&base, ws) != nil {
		x.showPath(st) // the forward refuses it (buildBackendURL)
		return
	}
	x.showUrl(&base)
	if st.BackendID == "" && (st.BackendURL != "" || x.api.mcp == nil || x.api.mcp.backendID == "") {
		x.view, x.viewFor = base, viewKey{st.BackendURL, st.RoutePath(), ws, st.BackendFixedPath, true}
	}
}

// showPath is RefreshUrl without a backend URL: Url's path is the routed
// path.
func (x *exchange) showPath(st *engine.State) {
	if v := st.Context().Request.Url; v != nil {
		v.Path = st.RoutePath()
	}
}

// newTarget returns u as a URL of its own: the exchange's for its first
// backend URL (no allocation per request), a new one for the next (a
// forward-request inside retry: an earlier attempt's URL is never changed).
func (x *exchange) newTarget(u url.URL) *url.URL {
	var t *url.URL
	switch {
	case x.target == nil && x.rest != nil:
		t = &x.rest.targetURL
	case x.target == nil && x.wsr != nil:
		t = &x.wsr.target
	default:
		t = new(url.URL)
	}
	*t = u
	return t
}

func joinPath(a, b string) string { return joinPathIn(nil, a, b) }

// pathSubDelims are the RFC 3986 sub-delimiters Go's URL escapes in a
// path although a path may hold them as they are. OData keys
// (Orders('42')), Azure Table's TableName() and signed resources
// depend on them reaching the backend as written, as .NET's Uri sends
// them: the backend path keeps them unescaped (a client's %28 becomes "(").
const pathSubDelims = "!'()*"

// hasPathSubDelim is strings.ContainsAny(s, pathSubDelims) for every
// request's backend path: a byte switch, where ContainsAny's rune search
// cost about 0.3k instructions a request (callgrind).
func hasPathSubDelim(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '!', '\'', '(', ')', '*':
			return true
		}
	}
	return false
}

var keepSubDelims = strings.NewReplacer("%21", "!", "%27", "'", "%28", "(", "%29", ")", "%2A", "*")

// joinPathIn is joinPath with the joined path made by st.NewString (in
// the request's room) when st is not nil.
func joinPathIn(st *engine.State, a, b string) string {
	sep := ""
	switch {
	case a == "":
		return b
	case strings.HasSuffix(a, "/") && strings.HasPrefix(b, "/"):
		b = b[1:]
	case !strings.HasSuffix(a, "/") && !strings.HasPrefix(b, "/"):
		sep = "/"
	}
	if st == nil {
		return a + sep + b
	}
	return st.NewString(a, sep, b)
}

// Helpers both proxy paths share.

// applyResponseHeaders sets the headers policies recorded with
// SetResponseHeader (rate-limit's remaining/total calls, cors, a backend
// pool's session cookie) on h: a recorded header replaces the response's,
// but Vary's tokens are merged and a Set-Cookie is added to the response's.
func applyResponseHeaders(h http.Header, st *engine.State) {
	rh := st.ResponseHeaders()
	if len(rh) == 0 { // none recorded (the usual request): no walk, whose start draws a random number
		return
	}
	for k, v := range rh {
		if k == "Vary" {
			h[k] = mergeTokens(h[k], v) // the backend's Vary must survive cors's Origin
			continue
		}
		if k == "Set-Cookie" { // a pool's session cookie (backend_affinity.go) beside the backend's own
			h[k] = append(h[k][:len(h[k]):len(h[k])], v...)
			continue
		}
		h[k] = v
	}
}

// mergeTokens joins comma-separated header tokens, keeping the first
// spelling of each (compared case-insensitively).
func mergeTokens(have, add []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]string{have, add} {
		for _, v := range list {
			for _, t := range strings.Split(v, ",") {
				if t = strings.TrimSpace(t); t != "" && !seen[strings.ToLower(t)] {
					seen[strings.ToLower(t)] = true
					out = append(out, t)
				}
			}
		}
	}
	return []string{strings.Join(out, ", ")}
}

// writeResponse sends a policy's (or on-error's) response.
func writeResponse(w http.ResponseWriter, r *engine.Response) {
	h := w.Header()
	for k, v := range r.Headers {
		if isHopHeader(k) {
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
	writeHeaderReason(w, status, r.StatusReason)
	_, _ = w.Write(body)
}

// reasonWriter is a ResponseWriter that sends a status line's reason phrase
// (gateway/h1's; net/http's and HTTP/2 have none to send).
type reasonWriter interface {
	WriteHeaderReason(code int, reason string)
}

// writeHeaderReason sends the status with a policy's reason phrase
// (set-status reason) where the connection has a status line to put it in;
// the standard text costs nothing more than WriteHeader.
func writeHeaderReason(w http.ResponseWriter, code int, reason string) {
	if reason != "" && reason != http.StatusText(code) {
		if rw, ok := w.(reasonWriter); ok { // the gateway's recorders pass it on
			rw.WriteHeaderReason(code, reason)
			return
		}
	}
	w.WriteHeader(code)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeResponse(w, engine.ErrorResponse(status, msg))
}

func dialErrText(err error) string {
	// coder/websocket and net/http quote the URL, which may hold tokens.
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	msg := err.Error()
	if i := strings.Index(msg, "?"); i >= 0 {
		if j := strings.IndexAny(msg[i:], "\" "); j >= 0 {
			msg = msg[:i] + "?..." + msg[i+j:]
		} else {
			msg = msg[:i] + "?..."
		}
	}
	return msg
}

// isHopHeader: hop-by-hop headers are never forwarded (RFC 9110 7.6.1).
// A switch, not a map: it is asked about every header of every request
// and answer, and comparing lengths and bytes costs less than hashing.
func isHopHeader(k string) bool {
	return k == "Content-Length" || wire.HopByHop(k)
}
