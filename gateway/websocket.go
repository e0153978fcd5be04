package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"tollgate/engine"
	"tollgate/gateway/internal/evloop"
	"tollgate/gateway/wsproxy"
	"tollgate/internal/monoclock"
)

// serveWebSocket runs one onHandshake: policies first, then the backend
// dial, and only then the client's upgrade, so a client is never upgraded
// to a dead end. Then it proxies frames until either side closes.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, api *API, m reqMatch) {
	x := s.newWSExchange(r, api, time.Now())
	x.m = m
	rt := x.rt
	outcome := func(o string, status int, st *engine.State, extra ...zap.Field) {
		d := time.Since(x.start)
		rt.metrics.handshake(o, d.Seconds())
		if x.m.diag != nil { // Application Insights: the handshake as a request (diagnostics_appinsights.go)
			x.m.diag.handshakeDone(x, w, status, st)
		}
		ce := s.log.Check(zap.InfoLevel, "handshake")
		if ce == nil {
			return // fields are built only when the line is written
		}
		fields := append([]zap.Field{
			zap.String("api", api.Name), zap.String("outcome", o), zap.Int("status", status),
			zap.String("client_ip", x.ip), zap.Duration("duration", d),
		}, extra...)
		if st != nil {
			fields = append(fields, zap.String("request_id", st.Context().RequestId))
		}
		if x.m.diag != nil { // the azuremonitor diagnostic's fields (diagnostics.go)
			fields = x.m.diag.handshakeFields(fields, x, w)
		}
		ce.Write(fields...)
	}

	if !isUpgrade(r) {
		w.Header().Set("Upgrade", "websocket")
		writeJSONError(w, http.StatusUpgradeRequired, "This API speaks WebSocket: send a WebSocket upgrade request.")
		outcome("bad_request", http.StatusUpgradeRequired, nil)
		return
	}
	// A malformed upgrade is refused before any policy runs or any backend
	// is dialed for it (isUpgrade has checked Connection and Upgrade).
	key, err := wsproxy.CheckUpgrade(r)
	if err != nil {
		if r.Header.Get("Sec-WebSocket-Version") != "13" {
			w.Header().Set("Sec-WebSocket-Version", "13")
		}
		writeJSONError(w, http.StatusBadRequest, "Bad WebSocket upgrade: "+err.Error()+".")
		outcome("bad_request", http.StatusBadRequest, nil)
		return
	}
	if !originAllowed(r, api.Limits.AllowedOrigins) {
		writeJSONError(w, http.StatusForbidden, "Origin not allowed.")
		outcome("bad_request", http.StatusForbidden, nil, zap.String("origin", r.Header.Get("Origin")))
		return
	}
	// Reserve a connection slot now, atomically, so handshakes in flight
	// count too; every way out before the session starts gives it back.
	if n := rt.active.Add(1); api.Limits.MaxConnections > 0 && n > api.Limits.MaxConnections {
		rt.active.Add(-1)
		w.Header().Set("Retry-After", "1")
		writeJSONError(w, http.StatusServiceUnavailable, "Too many connections to this API.")
		outcome("limited", http.StatusServiceUnavailable, nil)
		return
	}
	// The session is registered now too, so Shutdown waits for handshakes in
	// flight (and its cancellation reaches the backend dial) instead of
	// returning while a just-upgraded session is about to start.
	sess := s.sessions.addIn(x.sessionRoom(), api.Name, api.Hash)
	sessionStarted := false
	defer func() { // runs last: after every log line of this handshake
		if !sessionStarted {
			rt.active.Add(-1)
			s.sessions.remove(sess)
		}
	}()

	// The client's key, sent on to the backend (wsproxy.DialFor) and
	// answered in the 101 with the hash the dial made of it.
	ckey := wsproxy.ClientKey{Key: key}
	x.beginHandshake(r, wsScheme(r))
	st := x.st
	ctx := r.Context()
	defer x.close(ctx) // unless detached for the session
	x.in, x.sess = r, sess
	st.SetForwarder(x) // forward-request inside retry dials from the backend section (forward.go)
	if x.inboundAndBackend(ctx) {
		x.respond(w)
		o := "rejected"
		if st.LastError() != nil {
			o = "error"
		}
		outcome(o, st.Response().StatusCode, st)
		return
	}

	var backend *wsproxy.Conn
	if st.Forward.Sent {
		// forward-request inside retry dialed from the backend section.
		backend, x.ws = x.ws, nil
		if backend == nil { // the last attempt was refused: pass the backend's answer on
			applyResponseHeaders(w.Header(), st)
			writeResponse(w, st.Response())
			outcome("backend_rejected", st.Response().StatusCode, st, zap.String("backend", x.target.Host))
			return
		}
	} else {
		// The policies' headers are checked and copied for the backend
		// handshake in one walk (copyOutboundHeaders, as the REST proxy's).
		dh := getDialHeader()
		if err := checkedDialHeaders(dh, st.Context().Request.Headers, r); err != nil {
			putDialHeader(dh)
			writeJSONError(w, http.StatusBadRequest, "Bad request: "+err.Error()+".")
			outcome("bad_request", http.StatusBadRequest, st)
			return
		}
		if err := x.backendURL(ctx, true); err != nil {
			putDialHeader(dh)
			x.backendFailed(ctx, backendPickError(err))
			x.respond(w)
			outcome("backend_error", st.Response().StatusCode, st)
			return
		}
		dialTimeout := x.dialTimeout()
		conn, resp, err := x.dial(dialTimeout, dh, true, &ckey) // dh checked: checkedDialHeaders
		if err != nil {
			if br := backendRefusal(resp); br != nil {
				applyResponseHeaders(w.Header(), st)
				writeResponse(w, br)
				outcome("backend_rejected", resp.StatusCode, st, zap.String("backend", x.target.Host))
				return
			}
			x.backendFailed(ctx, x.dialError(err, dialTimeout))
			x.respond(w)
			outcome("backend_error", st.Response().StatusCode, st, zap.String("backend", x.target.Host))
			return
		}
		backend = conn
	}
	backendHost := x.target.Host

	if len(st.ResponseHeaders()) > 0 {
		applyResponseHeaders(w.Header(), st) // on the 101
	}
	// The client's Conn in the handshake's parts when the relay drops it
	// as the session starts (the event loop: it keeps the socket).
	client, err := wsproxy.UpgradeFor(x.clientRoom(), x.s.relayer, backend, w, &ckey, backend.Subprotocol(), headerIfAny(w))
	if err != nil {
		backend.CloseWith(websocket.StatusGoingAway, "client handshake failed")
		outcome("bad_request", http.StatusBadRequest, st, zap.String("backend", backendHost), zap.Error(err))
		return
	}
	if len(st.Connect) > 0 {
		// The initial messages are written through Go's poller (the
		// backend's socket moves there): off the front's event loop.
		evloop.Release(ctx)
	}
	for _, m := range st.Connect {
		conn := backend
		if m.ToClient {
			conn = client
		}
		if err := conn.SendMessage(m.Binary, m.Data); err != nil {
			backend.CloseWith(websocket.StatusInternalError, "gateway could not send the initial message")
			client.CloseWith(websocket.StatusInternalError, "gateway could not send the initial message")
			outcome("error", http.StatusSwitchingProtocols, st, zap.String("backend", backendHost), zap.Error(err))
			return
		}
	}
	// The handshake succeeded: context.Response is the 101 for policies that
	// count at the end (increment-condition="@(context.Response.StatusCode == 101)").
	st.SetResponse(x.response101())
	if d := x.m.diag; d != nil {
		d.aiKeep(x, st) // Application Insights: the dimensions, before the State goes
	}
	x.detach(ctx)
	outcome(outcomeUpgraded, http.StatusSwitchingProtocols, nil, zap.String("backend", backendHost),
		zap.String("request_id", x.requestID), zap.String("subprotocol", backend.Subprotocol()))

	sessionStarted = true // runSession gives the slot and the session back
	rt.metrics.active.Inc()
	// The relayer owns both legs from here and the handler returns: net/http's
	// connection goroutine, its (grown) stack and buffers are released for the
	// whole session. Nothing below may use r or w.
	x.runSession(sess, client, backend)
}

// response101 is the 101 context.Response is once the handshake
// succeeded: in the handshake's parts (hsParts) when it has them.
func (x *exchange) response101() *engine.Response {
	if x.wsr == nil || x.wsr.hs == nil {
		return engine.NewResponse(http.StatusSwitchingProtocols)
	}
	return engine.NewResponseIn(&x.wsr.hs.resp, http.StatusSwitchingProtocols)
}

// dialTimeout bounds the backend's WebSocket handshake: the API's
// handshake-timeout, or forward-request's timeout.
func (x *exchange) dialTimeout() time.Duration {
	if x.st.Forward.Set && x.st.Forward.Timeout > 0 {
		return x.st.Forward.Timeout
	}
	return x.api.Limits.HandshakeTimeout
}

// dialBackend makes the WebSocket handshake with the backend at x.target,
// counting the outcome for the backend entity's breaker, with the
// policies' headers copied (dialHeaders) and checked as the head is
// written (a retry's attempt: forwardWS).
func (x *exchange) dialBackend(timeout time.Duration) (*wsproxy.Conn, *http.Response, error) {
	dh := getDialHeader()
	dialHeaders(dh, x.st.Context().Request.Headers, x.in)
	return x.dial(timeout, dh, false, nil)
}

// dial is dialBackend's dial, and the handshake's own with dh as
// checkedDialHeaders filled it right before (nothing may have changed the
// policies' headers since), with dh filled. It gives dh back. checked:
// every field dh holds from the policies was checked (dialMark). ckey:
// the client's key, sent on to the backend (nil: a fresh key, as a
// retry's attempt sends).
func (x *exchange) dial(timeout time.Duration, dh *dialHeader, checked bool, ckey *wsproxy.ClientKey) (*wsproxy.Conn, *http.Response, error) {
	s, st, r := x.s, x.st, x.in
	// The handshake's bound, built lazily: a direct dial's raw waits
	// watch the session's context and the deadline themselves (wsproxy's
	// sockConn), and only a dial that asks for Done (TLS, a proxy, a host
	// name) builds the timer context.
	dctx := x.dialCtx(wsproxy.WithProxy(wsproxy.WithClientCertificate(&x.sess.ctx, st.BackendCertificate), st.BackendProxy),
		monoclock.Now().Add(timeout))
	defer dctx.Release()
	defer putDialHeader(dh) // Dial keeps nothing of it
	hdr := dh.h
	dialer := s.dialer
	if x.be != nil {
		backendCredentials(x.be, hdr)
		if x.be.dialer != nil {
			dialer = x.be.dialer // its own TLS settings
		}
	}
	target := x.target
	if x.api.gql != nil && !x.api.gql.passThrough {
		// A synthetic GraphQL API's subscriptions are served in process
		// (graphql_subscriptions.go), whatever backend a policy chose; a
		// pass-through API's are its backend's, through the gateway when
		// it has resolvers (graphql_mixed_ws.go).
		dialer = s.graphqlDialer(x.api)
	} else if graphqlMixedSubs(x.api) {
		dialer, target = s.graphqlMixedDialer(x.api, dialer, x.target), graphqlMixedPipeURL(x.target)
	}
	var endDial func(*http.Response, error)
	if s.tel != nil {
		endDial = s.tel.startDial(r.Context(), x.target, hdr)
	}
	var start time.Time
	if d := x.m.diag; d != nil {
		start = time.Now()
		d.aiTraceparent(hdr)
	}
	var offered []string
	if !x.sharedHeader { // (the policies may have changed a shared map: the client offered none)
		offered = wsproxy.OfferedSubprotocols(r)
	}
	ck := x.dialMark(dh, checked, endDial != nil)
	// A 101 is checked where it was read unless telemetry or Application
	// Insights look at it (a refusal, or an invalid 101, still comes with
	// its response).
	keep101 := endDial != nil || (x.m.diag != nil && x.m.diag.app != nil)
	// On the front's event loop (leaveLoopUnless kept it there, or
	// released it already), t: a local backend's 101 is read on the loop;
	// any other dial releases the task first. Without one (nil), the dial
	// is DialFor's.
	var t *evloop.Task
	if s.hsOnLoop {
		t = evloop.TaskFrom(r.Context())
	}
	backend, resp, err := dialer.DialCheckedOn(t, dctx, target, hdr, offered, keep101, ck, ckey)
	if endDial != nil {
		endDial(resp, err)
	}
	if d := x.m.diag; d != nil && d.app != nil { // Application Insights: the backend handshake as a dependency
		d.aiDependency(http.MethodGet, x.target, hdr, resp, err, start)
	}
	if x.be != nil {
		code, retry := http.StatusSwitchingProtocols, ""
		if err != nil {
			code = 0
			if resp != nil {
				code, retry = resp.StatusCode, resp.Header.Get("Retry-After")
			}
		}
		s.backendOutcome(r.Context(), x.be, code, retry)
	}
	return backend, resp, err
}

// dialMark is what dialBackend tells the dial of dh's fields. The
// handshake's caller checked the policies' headers (checked:
// copyOutboundHeaders, right before); what setXForwardedFrom and
// backendCredentials added is checked here (addedFieldsValid). Then the
// dial need not check the map's fields again (wsproxy.Checked: only this
// map with this many fields). Nothing is marked when anything else may
// add or change a field: telemetry's trace headers (traced), diagnostics
// (Application Insights' traceparent), a retry's dial (checked false),
// the GraphQL and MCP paths.
func (x *exchange) dialMark(dh *dialHeader, checked, traced bool) wsproxy.Checked {
	if !checked || traced || x.m.diag != nil || x.api.gql != nil || x.api.mcp != nil || !addedFieldsValid(&dh.xf, x.be) {
		return wsproxy.Checked{}
	}
	return wsproxy.Checked{Header: dh.h, Fields: len(dh.h)}
}

// backendRefusal is the answer of a backend that refused the upgrade, as
// the client gets it; nil when the backend did not answer.
func backendRefusal(resp *http.Response) *engine.Response {
	if resp == nil || resp.StatusCode == http.StatusSwitchingProtocols {
		return nil
	}
	br := engine.NewResponse(resp.StatusCode)
	stripConnectionListed(resp.Header) // hop-by-hop the backend named
	for k, v := range resp.Header {
		if !isHopHeader(k) && !wsHandshakeHeaders(k) {
			br.Headers[k] = v
		}
	}
	if resp.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		br.Body = engine.NewBody(b)
	}
	return br
}

// dialError is the policy error for a backend handshake that got no answer.
func (x *exchange) dialError(err error, timeout time.Duration) *engine.PolicyError {
	host := x.target.Host
	status, reason := http.StatusBadGateway, engine.ReasonBackendConnection
	msg := "cannot connect to the backend " + host + ": " + dialErrText(err)
	if errors.Is(err, context.DeadlineExceeded) {
		status, reason = http.StatusGatewayTimeout, engine.ReasonTimeout
		msg = "the backend " + host + " did not complete the WebSocket handshake within " + timeout.String()
	}
	return engine.NewPolicyError(reason, status, msg, err)
}

// runSession hands one upgraded connection to the relayer, which owns both
// legs from here, and accounts for it when it ends. It returns at once.
func (x *exchange) runSession(sess *session, client, backend *wsproxy.Conn) {
	api, rt := x.api, x.rt
	x.s.relayer.Start(&sess.ctx, client, backend, wsproxy.Limits{
		MaxMessageSize: api.Limits.MaxMessageSize,
		IdleTimeout:    api.Limits.IdleTimeout,
		PingInterval:   api.Limits.PingInterval,
		MaxMessageRate: api.Limits.MaxMessageRate,
		MessageBurst:   int(api.Limits.MessageBurst),
	}, rt.metrics, x)
}

// SessionDone implements wsproxy.Done: it accounts for the session
// (x.sess) the relayer has finished.
func (x *exchange) SessionDone(stats wsproxy.Stats) {
	sess, rt := x.sess, x.rt
	rt.active.Add(-1)
	rt.metrics.active.Dec()
	if x.bytes != nil {
		x.bytes.In.Add(stats.ClientToBackendBytes)
		x.bytes.Out.Add(stats.BackendToClientBytes)
	}
	if x.done != nil {
		x.done()
	}
	rt.metrics.closed(stats.ClosedBy, int(stats.CloseCode))
	// Asked of the core first: this runs on a goroutine of its own, whose
	// small stack Logger.Check's frame made grow (a stack copy per
	// session under BenchmarkHandshake's profile) even when the line is
	// not written. Not at all when SessionQuick said the session writes
	// none (the level may have changed since; the loop is calling).
	if !x.quiet && x.s.log.Core().Enabled(zap.InfoLevel) {
		if ce := x.s.log.Check(zap.InfoLevel, "session closed"); ce != nil {
			x.logSessionClosed(ce, stats)
		}
	}
	// Last: Shutdown returns once every session is removed, and the process
	// may exit right after, so the session must be fully accounted for
	// (done, metrics, its log line) before it counts as ended.
	x.s.sessions.remove(sess)
}

// SessionQuick implements wsproxy.QuickDone: SessionDone cannot block
// when no policy registered an OnDone function (a limit-concurrency lease
// or a quota's count a Redis store may have to release or write: any
// such function counts, whatever its store) and the log drops the
// session's line (a line written may wait on stderr or a file). The rest
// (the gauges and counters, the byte counts, the session set's short
// lock) does not wait. The event loop then calls SessionDone itself.
func (x *exchange) SessionQuick() bool {
	if x.done != nil || x.s.log.Core().Enabled(zap.InfoLevel) {
		return false
	}
	x.quiet = true
	return true
}

func (x *exchange) logSessionClosed(ce *zapcore.CheckedEntry, stats wsproxy.Stats) {
	fields := []zap.Field{
		zap.String("api", x.api.Name), zap.String("request_id", x.requestID), zap.String("client_ip", x.ip),
		zap.String("backend", x.target.Host), zap.String("closed_by", stats.ClosedBy),
		zap.Int("close_code", int(stats.CloseCode)), zap.String("close_reason", stats.CloseReason),
		zap.Duration("duration", time.Since(x.start)),
		zap.Int64("msgs_in", stats.ClientToBackendMsgs), zap.Int64("msgs_out", stats.BackendToClientMsgs),
		zap.Int64("bytes_in", stats.ClientToBackendBytes), zap.Int64("bytes_out", stats.BackendToClientBytes),
	}
	if stats.Err != nil && stats.ClosedBy == wsproxy.ClosedByError {
		fields = append(fields, zap.String("error", stats.Err.Error()))
	}
	ce.Write(fields...)
}

func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && headerHasToken(r.Header, "Connection", "upgrade") &&
		headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	return wsproxy.HeaderHasToken(h, name, token)
}

// originAllowed applies the browser Origin check: requests without Origin
// (non-browser clients) pass; a browser's Origin must be the gateway's own
// host or match one of the API's allowed-origins host patterns
// (path.Match syntax, "*" allows all).
func originAllowed(r *http.Request, patterns []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	// The gateway's own host: with allowed-hosts set, r.Host was checked
	// against it already, so a DNS-rebinding page (Origin and Host both its
	// own name) is refused before this.
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, p := range patterns {
		if p == "*" {
			return true
		}
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); ok {
			return true
		}
	}
	return false
}

// headerIfAny is w's header map, or nil from gateway/h1's writer when
// nothing has made it yet (its Header makes one on the first call, which
// the 101 does not need when no policy recorded a response header).
func headerIfAny(w http.ResponseWriter) http.Header {
	if h, ok := w.(interface{ HeaderIfAny() http.Header }); ok {
		return h.HeaderIfAny()
	}
	return w.Header()
}

func wsScheme(r *http.Request) string {
	if r.TLS != nil {
		return "wss"
	}
	return "ws"
}

// dialHeaders fills out (empty) with what the backend handshake carries:
// the (policy-changed) request headers, minus hop-by-hop and handshake
// headers, plus the X-Forwarded-* headers.
func dialHeaders(out *dialHeader, h engine.Headers, r *http.Request) {
	forwardHeaders(out.h, h, r, wsHandshakeHeaders, &out.xf)
}

// checkedDialHeaders is checkOutboundHeaders then dialHeaders in one walk
// of h (copyOutboundHeaders, as the REST proxy's): it refuses what the
// check refuses, and otherwise fills out (empty) as dialHeaders does. After
// an error out is partly filled: give it back (putDialHeader).
func checkedDialHeaders(out *dialHeader, h engine.Headers, r *http.Request) error {
	xff, _, err := copyOutboundHeaders(out.h, h, wsHandshakeHeaders)
	if err != nil {
		return err
	}
	clientIP, _, err := net.SplitHostPort(r.RemoteAddr)
	setXForwardedFrom(out.h, r, clientIP, err == nil, !xff, &out.xf) // no X-Forwarded-For copied: none to look up
	return nil
}

// dialHeader is a backend handshake's header map and the room of its
// X-Forwarded-* values.
type dialHeader struct {
	h  http.Header
	xf [3]string
}

// dialHeaderPool holds what dialHeaders fills: it only lives while the
// backend request head is written, and a cleared map keeps its room.
var dialHeaderPool = sync.Pool{New: func() any { return &dialHeader{h: make(http.Header, 16)} }}

// getDialHeader takes an empty dialHeader from its pool.
func getDialHeader() *dialHeader { return dialHeaderPool.Get().(*dialHeader) }

// putDialHeader empties dh and gives it back to its pool.
func putDialHeader(dh *dialHeader) {
	clear(dh.h)
	dh.xf = [3]string{}
	dialHeaderPool.Put(dh)
}

// wsHandshakeHeaders are the WebSocket handshake's own headers: the
// gateway makes its own handshake with the backend.
func wsHandshakeHeaders(k string) bool {
	switch k {
	case "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions",
		"Sec-Websocket-Protocol", "Sec-Websocket-Accept", "Host":
		return true
	}
	return false
}
