package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"tollgate/engine"
)

// serveWebSocket runs one onHandshake: policies first, then the backend
// dial, and only then the client's upgrade, so a client is never upgraded
// to a dead end. Then it proxies frames until either side closes.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, api *API) {
	start := time.Now()
	rt := s.runtime(api.Name)
	ip := clientIP(r)
	outcome := func(o string, status int, st *engine.State, extra ...zap.Field) {
		d := time.Since(start)
		rt.metrics.handshake(o, d.Seconds())
		ce := s.log.Check(zap.InfoLevel, "handshake")
		if ce == nil {
			return // fields are built only when the line is written
		}
		fields := append([]zap.Field{
			zap.String("api", api.Name), zap.String("outcome", o), zap.Int("status", status),
			zap.String("client_ip", ip), zap.Duration("duration", d),
		}, extra...)
		if st != nil {
			fields = append(fields, zap.String("request_id", st.Context().RequestId))
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
	// is dialed for it.
	key, err := checkClientHandshake(r)
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
	sess := s.sessions.add(s.baseCtx, api.Name, api.Hash)
	sessionStarted := false
	defer func() { // runs last: after every log line of this handshake
		if !sessionStarted {
			rt.active.Add(-1)
			s.sessions.remove(sess)
		}
	}()

	st := s.newState(r, api, wsScheme(r))
	released := false
	defer func() {
		if !released {
			st.Finish(r.Context()) // deferred counting (rate-limit-by-key increment-condition)
			s.logTrace(api, st)
			st.Done()
			st.Release()
		}
	}()
	ctx := r.Context()
	if s.runPolicy(ctx, api, rt, engine.Inbound, st) || s.runPolicy(ctx, api, rt, engine.Backend, st) {
		respond(w, st)
		o := "rejected"
		if st.LastError() != nil {
			o = "error"
		}
		outcome(o, st.Response().StatusCode, st)
		return
	}

	if err := checkOutboundHeaders(st.Context().Request.Headers); err != nil {
		writeJSONError(w, http.StatusBadRequest, "Bad request: "+err.Error()+".")
		outcome("bad_request", http.StatusBadRequest, st)
		return
	}
	target, err := backendURL(api, st, st.Context().Request.Url.Path, true) // rewrite-uri may have changed it
	if err != nil {
		s.backendFailed(ctx, api, st, engine.NewPolicyError(engine.ReasonBackendConnection, http.StatusBadGateway, err.Error(), err))
		respond(w, st)
		outcome("backend_error", st.Response().StatusCode, st)
		return
	}
	dialTimeout := api.Limits.HandshakeTimeout
	if st.Forward.Set {
		dialTimeout = st.Forward.Timeout
	}
	dctx, dcancel := context.WithTimeout(sess.ctx, dialTimeout)
	backend, resp, err := s.dialer.dial(dctx, target, dialHeaders(st.Context().Request.Headers, r), offeredSubprotocols(r))
	dcancel()
	backendHost := target.Host
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			// The backend answered but refused the upgrade: pass its answer on.
			br := engine.NewResponse(resp.StatusCode)
			for k, v := range resp.Header {
				if !hopHeaders[k] && !wsHandshakeHeaders[k] {
					br.Headers[k] = v
				}
			}
			if resp.Body != nil {
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
				br.Body = engine.NewBody(b)
			}
			applyResponseHeaders(w.Header(), st)
			writeResponse(w, br)
			outcome("backend_rejected", resp.StatusCode, st, zap.String("backend", backendHost))
			return
		}
		status, reason := http.StatusBadGateway, engine.ReasonBackendConnection
		msg := "cannot connect to the backend " + backendHost + ": " + dialErrText(err)
		if errors.Is(err, context.DeadlineExceeded) {
			status, reason = http.StatusGatewayTimeout, engine.ReasonTimeout
			msg = "the backend " + backendHost + " did not complete the WebSocket handshake within " + dialTimeout.String()
		}
		s.backendFailed(ctx, api, st, engine.NewPolicyError(reason, status, msg, err))
		respond(w, st)
		outcome("backend_error", st.Response().StatusCode, st, zap.String("backend", backendHost))
		return
	}

	applyResponseHeaders(w.Header(), st) // on the 101
	client, err := upgradeClient(w, key, backend.Subprotocol(), w.Header())
	if err != nil {
		backend.CloseWith(websocket.StatusGoingAway, "client handshake failed")
		outcome("bad_request", http.StatusBadRequest, st, zap.String("backend", backendHost), zap.Error(err))
		return
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
	st.SetResponse(engine.NewResponse(http.StatusSwitchingProtocols))
	st.Finish(r.Context())
	s.logTrace(api, st)
	requestID := st.Context().RequestId
	bytes := st.ByteCount()
	done := st.DetachDone()
	st.Release()
	released = true
	outcome("upgraded", http.StatusSwitchingProtocols, nil, zap.String("backend", backendHost),
		zap.String("request_id", requestID), zap.String("subprotocol", backend.Subprotocol()))

	sessionStarted = true // runSession gives the slot and the session back
	rt.metrics.active.Inc()
	// The session runs in a fresh goroutine and the handler returns: net/http's
	// connection goroutine, its (grown) stack and buffers are released for the
	// whole session. Nothing below may use r or w.
	go s.runSession(api, rt, sess, client, backend, start, ip, backendHost, requestID, bytes, done)
}

// runSession relays one upgraded connection and accounts for it when it ends.
func (s *Server) runSession(api *API, rt *apiRuntime, sess *session, client, backend *WSConn,
	start time.Time, ip, backendHost, requestID string, bytes *engine.ByteCount, done func()) {
	stats := Relay(sess.ctx, client, backend, PumpLimits{
		MaxMessageSize: api.Limits.MaxMessageSize,
		IdleTimeout:    api.Limits.IdleTimeout,
		PingInterval:   api.Limits.PingInterval,
		MaxMessageRate: api.Limits.MaxMessageRate,
		MessageBurst:   int(api.Limits.MessageBurst),
	}, rt.metrics)
	rt.active.Add(-1)
	rt.metrics.active.Dec()
	if bytes != nil {
		bytes.In.Add(stats.ClientToBackendBytes)
		bytes.Out.Add(stats.BackendToClientBytes)
	}
	done()
	rt.metrics.closed(stats.ClosedBy, int(stats.CloseCode))
	if ce := s.log.Check(zap.InfoLevel, "session closed"); ce != nil {
		s.logSessionClosed(ce, api, stats, start, ip, backendHost, requestID)
	}
	// Last: Shutdown returns once every session is removed, and the process
	// may exit right after, so the session must be fully accounted for
	// (done, metrics, its log line) before it counts as ended.
	s.sessions.remove(sess)
}

func (s *Server) logSessionClosed(ce *zapcore.CheckedEntry, api *API, stats PumpStats, start time.Time, ip, backendHost, requestID string) {
	fields := []zap.Field{
		zap.String("api", api.Name), zap.String("request_id", requestID), zap.String("client_ip", ip),
		zap.String("backend", backendHost), zap.String("closed_by", stats.ClosedBy),
		zap.Int("close_code", int(stats.CloseCode)), zap.String("close_reason", stats.CloseReason),
		zap.Duration("duration", time.Since(start)),
		zap.Int64("msgs_in", stats.ClientToBackendMsgs), zap.Int64("msgs_out", stats.BackendToClientMsgs),
		zap.Int64("bytes_in", stats.ClientToBackendBytes), zap.Int64("bytes_out", stats.BackendToClientBytes),
	}
	if stats.Err != nil && stats.ClosedBy == ClosedByError {
		fields = append(fields, zap.String("error", stats.Err.Error()))
	}
	ce.Write(fields...)
}

// backendFailed runs on-error for a backend failure that happened outside
// the policy steps.
func (s *Server) backendFailed(ctx context.Context, api *API, st *engine.State, pe *engine.PolicyError) {
	api.Plan.Fail(ctx, engine.Backend, st, pe)
	if le := st.LastError(); le != nil {
		if le.Source == "" {
			le.Source = "forward-request"
		}
		s.policyFailed(api, st, le)
	}
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

func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && headerHasToken(r.Header, "Connection", "upgrade") &&
		headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
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

func wsScheme(r *http.Request) string {
	if r.TLS != nil {
		return "wss"
	}
	return "ws"
}

// dialHeaders is what the backend handshake carries: the (policy-changed)
// request headers, minus hop-by-hop and handshake headers, plus the
// X-Forwarded-* headers.
func dialHeaders(h engine.Headers, r *http.Request) http.Header {
	out := make(http.Header, len(h)+3)
	for k, v := range h {
		if hopHeaders[k] || wsHandshakeHeaders[k] {
			continue
		}
		out[k] = v
	}
	setXForwarded(out, r)
	return out
}

// backendURL builds the URL the request goes to: the base (set-backend-service,
// or the API's service-url) with the rest of the request path appended. The
// base URL's query comes first, verbatim; then every request query parameter
// (as policies left them) that the base does not set, verbatim too, so
// opaque values (SignalR's asrs_request_id, tokens) pass byte for byte.
func backendURL(api *API, st *engine.State, reqPath string, ws bool) (*url.URL, error) {
	var base url.URL
	if st.BackendURL != "" {
		u, err := url.Parse(st.BackendURL)
		if err != nil {
			return nil, err
		}
		base = *u
	} else {
		base = *api.ServiceURL
	}
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
	if api.Path != "/" {
		rest = strings.TrimPrefix(reqPath, api.Path)
	}
	if rest != "" {
		// The routed path is normalised already; a path a policy rewrote
		// (rewrite-uri) is normalised here, so it cannot climb out of the
		// service URL's path either.
		norm, err := normalizePath((&url.URL{Path: rest}).EscapedPath())
		if err != nil && !strings.HasPrefix(rest, "/") {
			norm, err = normalizePath((&url.URL{Path: "/" + rest}).EscapedPath())
		}
		if err != nil {
			return nil, fmt.Errorf("the backend path %q: %w", rest, err)
		}
		if rest, err = url.PathUnescape(norm); err != nil {
			return nil, err
		}
	}
	if rest != "" && rest != "/" || (rest == "/" && !strings.HasSuffix(base.Path, "/")) {
		base.Path = joinPath(base.Path, rest)
		base.RawPath = ""
	}
	reqQuery := ""
	if u := st.Context().Request.Url; u != nil {
		reqQuery = strings.TrimPrefix(u.QueryString, "?")
	}
	if reqQuery != "" {
		have := base.Query()
		var b strings.Builder
		b.WriteString(base.RawQuery)
		for _, part := range strings.Split(reqQuery, "&") {
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
	return &base, nil
}

func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case strings.HasSuffix(a, "/") && strings.HasPrefix(b, "/"):
		return a + b[1:]
	case !strings.HasSuffix(a, "/") && !strings.HasPrefix(b, "/"):
		return a + "/" + b
	}
	return a + b
}

// offeredSubprotocols lists the client's Sec-WebSocket-Protocol offer, which
// is passed on to the backend; the client then gets the backend's choice.
func offeredSubprotocols(r *http.Request) []string {
	var out []string
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
