package gateway

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
)

// gRPC pass-through APIs (type="grpc"), as APIM's self-hosted gateway has
// them: every call (unary, server streaming, client streaming,
// bidirectional) is streamed to the backend over HTTP/2 (h2 over TLS for
// https://, h2c with prior knowledge for http://), after the inbound and
// backend sections ran on the call's headers. Outbound runs on the
// backend's response headers. Refusals and failures are gRPC answers
// (Trailers-Only: HTTP 200 with grpc-status and grpc-message), never bare
// HTTP errors, so clients see a gRPC status. The operations are the rpcs of
// the API's specification.proto (grpcproto.go). docs/grpc.md has the rules.

// grpcCode maps the HTTP status of a refusal or failure to the gRPC
// status code it is answered with (docs/grpc.md has the table).
func grpcCode(status int) int {
	switch status {
	case http.StatusUnauthorized:
		return 16 // UNAUTHENTICATED
	case http.StatusForbidden:
		return 7 // PERMISSION_DENIED
	case http.StatusNotFound:
		return 12 // UNIMPLEMENTED
	case http.StatusTooManyRequests, http.StatusRequestEntityTooLarge:
		return 8 // RESOURCE_EXHAUSTED
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return 14 // UNAVAILABLE
	case http.StatusGatewayTimeout, http.StatusRequestTimeout:
		return 4 // DEADLINE_EXCEEDED
	case 499:
		return 1 // CANCELLED (the client went away)
	}
	return 2 // UNKNOWN
}

// isGRPCContentType reports whether ct is a gRPC body's media type
// ("application/grpc", "application/grpc+proto", ...).
func isGRPCContentType(ct string) bool {
	if len(ct) < 16 || !strings.EqualFold(ct[:16], "application/grpc") {
		return false
	}
	return len(ct) == 16 || ct[16] == '+' || ct[16] == ';'
}

// errGRPCBody is what a policy reading a gRPC call's body fails with.
var errGRPCBody = errors.New("the body of a gRPC call is a stream of protobuf messages that passes through the gateway: policies cannot read or replace it")

// errGRPCRetry is why forward-request inside retry without
// buffer-request-body="true" does not work on a gRPC API: at load (the
// API's own policies) and at run time (global and product policies).
var errGRPCRetry = errors.New(`<forward-request> inside <retry> resends a gRPC call only with buffer-request-body="true": the call's request is otherwise a stream that passes through once and is never buffered`)

// errGRPCLimit is why forward-request inside limit-concurrency (APIM's
// form, which sends the call inside it) does not work on a gRPC API, at
// load only: at run time (global and product policies) such a
// forward-request is sent as one inside retry is (grpcForwarder: with
// buffer-request-body="true", or it fails at once).
var errGRPCLimit = errors.New("<forward-request> inside <limit-concurrency> cannot send a gRPC call from inside it: the call is a stream the gateway passes through after the backend section; to hold a slot for the whole call, use tollgate's form, <limit-concurrency counter-key=\"…\" max-count=\"…\"/> in inbound")

// grpcNoResend is the error of a forward-request inside retry (or APIM's
// limit-concurrency) without buffer-request-body="true" on a gRPC call:
// it fails at once, before anything is sent.
func grpcNoResend() error {
	pe := engine.NewPolicyError(engine.ReasonBackendConnection, http.StatusInternalServerError, errGRPCRetry.Error(), errGRPCRetry)
	pe.Response = engine.ErrorResponse(http.StatusInternalServerError, errGRPCRetry.Error()) // the client is told why
	return pe
}

// grpcForwarder is a gRPC call's engine.Forwarder: a forward-request
// inside retry with buffer-request-body="true" sends the call from the
// backend section, once per attempt. The call's request is read whole on
// the first attempt (up to the API's max-body-size) and each answer is
// read whole too (the same bound), its trailers with it, so that retry's
// condition sees the call's grpc-status in context.Response.Headers.
// After the section serveGRPC sends the last answer (sendLast).
type grpcForwarder struct {
	x       *exchange
	in      *http.Request
	reqBody *engine.Body // the body policies see: one they replaced cannot be sent
	req     []byte       // the call's request, once read
	read    bool
	last    *grpcAnswer
}

// grpcAnswer is one attempt's whole answer.
type grpcAnswer struct {
	resp    *engine.Response // context.Response: the headers and trailers
	status  int
	trailer http.Header // the answer's trailers, apart (sendLast)
	body    []byte      // the gRPC messages, framed
}

func (f *grpcForwarder) Forward(ctx context.Context, st *engine.State) error {
	x := f.x
	if !st.Forward.BufferRequestBody {
		return grpcNoResend()
	}
	if st.Context().Request.Body != f.reqBody {
		return engine.NewPolicyError(engine.ReasonExpression, http.StatusInternalServerError, errGRPCBody.Error(), errGRPCBody)
	}
	if err := checkOutboundHeaders(st.Context().Request.Headers); err != nil {
		return engine.NewPolicyError("BadRequest", http.StatusBadRequest, "Bad request: "+err.Error()+".", err)
	}
	if err := x.backendURL(ctx, false); err != nil {
		return backendPickError(err)
	}
	limit := x.api.Limits.MaxBodySize
	if !f.read {
		// A client that waits for answers before it ends its request (a
		// bidirectional call) is held here until the section's bounds
		// end: the body is closed then, which ends the read.
		var stop func() bool
		if f.in.Body != nil {
			stop = context.AfterFunc(ctx, func() { _ = f.in.Body.Close() })
		}
		data, err := readLimited(orEmpty(f.in.Body), -1, limit, "the gRPC call's request")
		if stop != nil {
			stop()
		}
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		if err != nil {
			if ctx.Err() != nil {
				return engine.NewPolicyError(engine.ReasonTimeout, http.StatusGatewayTimeout,
					"the gRPC call's request did not end in time to be buffered for retry (a client waiting for answers first cannot be retried)", ctx.Err())
			}
			if errors.Is(err, errBodyTooLarge) {
				return engine.NewPolicyError(engine.ReasonBackendConnection, http.StatusRequestEntityTooLarge,
					"the gRPC call's request is larger than "+strconv.FormatInt(limit, 10)+" bytes (max-body-size): it cannot be buffered to be resent", err)
			}
			return engine.NewPolicyError(engine.ReasonBackendConnection, http.StatusBadRequest, "cannot read the gRPC call's request: "+err.Error(), err)
		}
		f.req, f.read = data, true
	}
	timeout := st.Forward.Timeout
	if timeout <= 0 {
		timeout = x.api.Limits.Timeout
	}
	fctx, cancel := context.WithTimeout(context.WithValue(ctx, proxyKey{}, x), timeout)
	defer cancel()
	out := x.grpcOutRequest(fctx, f.in, io.NopCloser(bytes.NewReader(f.req)))
	out.ContentLength = int64(len(f.req))
	var start time.Time
	if x.m.diag != nil {
		start = time.Now()
	}
	res, err := x.s.grpcTransport(x).RoundTrip(out)
	if d := x.m.diag; d != nil && d.app != nil {
		d.aiDependency(out.Method, out.URL, out.Header, res, err, start)
	}
	if err != nil {
		return x.backendCallError(fctx, err)
	}
	defer res.Body.Close()
	x.s.backendOutcome(fctx, x.be, res.StatusCode, res.Header.Get("Retry-After"))
	data, err := readLimited(res.Body, -1, limit, "the gRPC call's answer")
	if err != nil {
		return x.backendCallError(fctx, err)
	}
	stripHopByHop(res.Header, false)
	// The trailers (grpc-status, grpc-message, trailing metadata) join
	// the headers, where a Trailers-Only answer has them.
	h := res.Header.Clone()
	for k, vv := range res.Trailer {
		h[k] = append(h[k][:len(h[k]):len(h[k])], vv...)
	}
	er := &engine.Response{StatusCode: res.StatusCode, StatusReason: http.StatusText(res.StatusCode),
		Headers: engine.Headers(h), Body: grpcBody()}
	st.SetResponse(er)
	f.last = &grpcAnswer{resp: er, status: res.StatusCode, trailer: res.Trailer, body: data}
	st.Tracef("forward-request: the gRPC backend answered grpc-status %s", h.Get("Grpc-Status"))
	return nil
}

// sendLast answers the call with the last attempt's answer, once
// outbound ran on it, as proxyGRPC does with a stream: the headers, the
// messages, then the trailers (those outbound left). It returns the HTTP
// status sent.
func (f *grpcForwarder) sendLast(ctx context.Context, w *grpcWriter) int {
	x, st, a := f.x, f.x.st, f.last
	st.BackendResponded()
	er := a.resp
	if x.run(ctx, engine.Outbound) || st.Response() != er || er.StatusCode != a.status || st.Response().Body != er.Body {
		// A policy answered or changed the status or the body.
		x.grpcRespond(w)
		return st.Response().StatusCode
	}
	h := http.Header(er.Headers)
	if !isGRPCContentType(h.Get("Content-Type")) || a.status != http.StatusOK {
		x.backendFailed(ctx, engine.NewPolicyError(engine.ReasonBackendConnection, http.StatusBadGateway,
			"the backend "+x.target.Host+" answered HTTP "+strconv.Itoa(a.status)+" without a gRPC response", nil))
		x.grpcRespond(w)
		return st.Response().StatusCode
	}
	dst := w.Header()
	for k, vv := range h {
		if _, trailer := a.trailer[k]; !trailer {
			dst[k] = vv
		}
	}
	applyResponseHeaders(dst, st)
	w.WriteHeader(http.StatusOK)
	if code := dst.Get("Grpc-Status"); code != "" {
		w.code, _ = strconv.Atoi(code) // Trailers-Only
	}
	bc := st.ByteCount()
	if bc != nil {
		bc.In.Add(int64(len(f.req)))
	}
	if len(a.body) > 0 {
		n, err := w.Write(a.body)
		if bc != nil {
			bc.Out.Add(int64(n))
		}
		if err != nil {
			w.code = 1 // CANCELLED: the client went away
			return http.StatusOK
		}
	}
	for k := range a.trailer {
		if vv, ok := h[k]; ok {
			dst[http.TrailerPrefix+k] = vv
		}
	}
	if code := h.Get("Grpc-Status"); code != "" {
		w.code, _ = strconv.Atoi(code)
	}
	return http.StatusOK
}

// grpcBody is the body policies see on a gRPC call: reading it fails.
func grpcBody() *engine.Body {
	return engine.NewLazyBody(func() ([]byte, error) { return nil, errGRPCBody })
}

// grpcWriter makes every answer of a gRPC API a gRPC one: a response whose
// Content-Type is application/grpc (the backend's stream, a policy's own
// gRPC answer) passes as it is; any other (a policy's refusal, on-error's
// response, the gateway's own JSON errors) becomes a Trailers-Only answer,
// HTTP 200 with grpc-status (grpcCode of its status) and grpc-message (its
// JSON message, or its text), the other headers kept.
type grpcWriter struct {
	http.ResponseWriter
	pass   bool // the answer is a gRPC one: passed through
	held   bool // the answer is held for finish
	status int
	body   []byte // the held answer's body, at most maxGRPCMessage bytes
	code   int    // the grpc-status sent (finish, or the proxy's)
	quota  bool   // the held answer is a quota's refusal (grpcRespond)
}

// maxGRPCMessage bounds the text taken from a refusal's body.
const maxGRPCMessage = 1024

func (g *grpcWriter) WriteHeader(code int) {
	switch {
	case g.pass:
		g.ResponseWriter.WriteHeader(code)
	case g.held:
	case code >= 100 && code < 200:
		// 1xx: relayed as is
		g.ResponseWriter.WriteHeader(code)
	case isGRPCContentType(g.Header().Get("Content-Type")) && code == http.StatusOK:
		g.pass = true
		g.ResponseWriter.WriteHeader(code)
	default:
		g.held, g.status = true, code
	}
}

func (g *grpcWriter) Write(p []byte) (int, error) {
	if !g.pass && !g.held {
		g.WriteHeader(http.StatusOK)
	}
	if g.pass {
		return g.ResponseWriter.Write(p)
	}
	if room := maxGRPCMessage - len(g.body); room > 0 {
		g.body = append(g.body, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (g *grpcWriter) Flush() {
	if g.pass {
		if f, ok := g.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
	}
}

func (g *grpcWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// finish sends a held answer as a gRPC status, and a handler that wrote
// nothing as UNKNOWN.
func (g *grpcWriter) finish() {
	if g.pass {
		return
	}
	h := g.Header()
	status := g.status
	if !g.held {
		status = http.StatusInternalServerError
	}
	msg := grpcMessageFrom(h.Get("Content-Type"), g.body, status)
	delete(h, "Content-Length")
	h.Set("Content-Type", "application/grpc")
	if code, err := strconv.Atoi(h.Get("Grpc-Status")); err == nil && h.Get("Grpc-Status") != "" {
		g.code = code // a policy set the status itself
	} else {
		g.code = grpcCode(status)
		if g.quota && status == http.StatusForbidden {
			g.code = 8 // RESOURCE_EXHAUSTED: quota's 403 (grpcRespond)
		}
		h.Set("Grpc-Status", strconv.Itoa(g.code))
		if msg != "" {
			h.Set("Grpc-Message", grpcEncodeMessage(msg))
		}
	}
	g.pass = true
	g.ResponseWriter.WriteHeader(http.StatusOK)
}

// grpcMessageFrom is the grpc-message of a refusal: the "message" of the
// gateway's JSON errors, the text of another body, or the status's name.
func grpcMessageFrom(ct string, body []byte, status int) string {
	if len(body) > 0 && strings.Contains(strings.ToLower(ct), "json") {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &e) == nil && e.Message != "" {
			return e.Message
		}
	}
	if t := strings.TrimSpace(string(body)); t != "" && len(body) < maxGRPCMessage {
		return t
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "HTTP status " + strconv.Itoa(status)
}

// grpcEncodeMessage percent-encodes a grpc-message value as the gRPC
// over HTTP/2 protocol asks: every byte outside printable ASCII, and '%'.
func grpcEncodeMessage(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c <= 0x7e && c != '%' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// parseGRPCTimeout reads a grpc-timeout header value: at most 8 digits
// and a unit (H, M, S, m, u, n).
func parseGRPCTimeout(v string) (time.Duration, bool) {
	if len(v) < 2 || len(v) > 9 {
		return 0, false
	}
	n, err := strconv.ParseInt(v[:len(v)-1], 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	var unit time.Duration
	switch v[len(v)-1] {
	case 'H':
		unit = time.Hour
	case 'M':
		unit = time.Minute
	case 'S':
		unit = time.Second
	case 'm':
		unit = time.Millisecond
	case 'u':
		unit = time.Microsecond
	case 'n':
		unit = time.Nanosecond
	default:
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// formatGRPCTimeout writes d as a grpc-timeout value (milliseconds, or
// seconds when that needs more than 8 digits).
func formatGRPCTimeout(d time.Duration) string {
	if d <= 0 {
		return "0n"
	}
	if ms := (d + time.Millisecond - 1) / time.Millisecond; ms < 1e8 {
		return strconv.FormatInt(int64(ms), 10) + "m"
	}
	return strconv.FormatInt(min(int64(d/time.Second), 99999999), 10) + "S"
}

// grpcKey tells the HTTP/2 clients of gRPC backends apart: calls share
// the client of their TLS setting and proxy, so connections are per
// (certificate validation, roots, client certificate, proxy policy).
type grpcKey struct {
	insecure bool           // certificate validation off (a backend entity's tls)
	roots    *x509.CertPool // the roots the backend's certificate is verified with
	cert     [32]byte       // the client certificate's leaf hash (zero: none)
	proxy    string         // the proxy policy's URL ("": the transport's rules)
}

// maxGRPCTransports bounds the HTTP/2 clients kept (many certificate
// rotations start over, as certTransport).
const maxGRPCTransports = 64

// grpcTransport is the HTTP/2 client of x's gRPC backend: the REST
// transport's settings (dialer, TLS roots and verification, proxy rules)
// over HTTP/2 only, h2 over TLS for https:// and h2c with prior knowledge
// for http://, with keepalive pings that find a dead backend connection.
// As for REST calls, a backend entity's own TLS settings
// (validateCertificateChain/Name off) replace the transport's, the
// authentication-certificate policy's certificate is presented, and the
// proxy policy's proxy (or the environment's HTTP_PROXY/HTTPS_PROXY/
// NO_PROXY, through the transport's Proxy) is used. One client per
// distinct setting, made on first use.
func (s *Server) grpcTransport(x *exchange) http.RoundTripper {
	base := s.transport
	tc := base.TLSClientConfig
	if x.be != nil && x.be.transport != nil {
		tc = x.be.transport.TLSClientConfig // the entity's TLS settings
	}
	var key grpcKey
	if tc != nil {
		key.insecure, key.roots = tc.InsecureSkipVerify, tc.RootCAs
		if len(tc.Certificates) > 0 && len(tc.Certificates[0].Certificate) > 0 {
			key.cert = sha256.Sum256(tc.Certificates[0].Certificate[0])
		}
	}
	cert := x.st.BackendCertificate
	if cert != nil && len(cert.Certificate) > 0 {
		key.cert = sha256.Sum256(cert.Certificate[0])
	}
	if p := x.st.BackendProxy; p != nil {
		key.proxy = p.String()
	}
	s.grpcMu.Lock()
	defer s.grpcMu.Unlock()
	if rt := s.grpcBy[key]; rt != nil {
		return rt
	}
	if s.grpcBy == nil || len(s.grpcBy) >= maxGRPCTransports {
		for _, rt := range s.grpcBy {
			rt.CloseIdleConnections()
		}
		s.grpcBy = map[grpcKey]*grpcClient{}
	}
	tr := base.Clone()
	if tc != nil {
		tr.TLSClientConfig = tc.Clone()
	}
	if cert != nil {
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{}
		}
		tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	}
	if p := x.st.BackendProxy; p != nil {
		tr.Proxy = http.ProxyURL(p)
	}
	tr.TLSNextProto = nil
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetHTTP2(true)
	tr.Protocols.SetUnencryptedHTTP2(true)
	tr.HTTP2 = &http.HTTP2Config{SendPingTimeout: 30 * time.Second, PingTimeout: 15 * time.Second}
	tr.MaxResponseHeaderBytes = 1 << 20
	// h2c through an HTTP proxy: a proxy relays HTTP/1 requests to http://
	// URLs, not HTTP/2 ones, so the h2c client reaches the backend through
	// a CONNECT tunnel the proxy opens (the way TLS backends are reached).
	h2c := tr.Clone()
	if proxy := tr.Proxy; proxy != nil {
		h2c.Proxy = socksOnly(proxy)
		h2c.DialContext = connectDialer(proxy, tr.DialContext, tr.TLSClientConfig)
	}
	c := &grpcClient{tls: s.tel.WrapTransport(tr), h2c: s.tel.WrapTransport(h2c), trs: [2]*http.Transport{tr, h2c}}
	s.grpcBy[key] = c
	return c
}

// grpcClient sends https:// calls over tls and http:// (h2c) ones over h2c.
type grpcClient struct {
	tls, h2c http.RoundTripper
	trs      [2]*http.Transport
}

func (c *grpcClient) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "http" {
		return c.h2c.RoundTrip(r)
	}
	return c.tls.RoundTrip(r)
}

func (c *grpcClient) CloseIdleConnections() {
	for _, t := range c.trs {
		t.CloseIdleConnections()
	}
}

// socksOnly keeps proxy's SOCKS proxies (net/http tunnels h2c through
// them itself) and leaves HTTP proxies to connectDialer.
func socksOnly(proxy func(*http.Request) (*url.URL, error)) func(*http.Request) (*url.URL, error) {
	return func(r *http.Request) (*url.URL, error) {
		u, err := proxy(r)
		if err != nil || u == nil || u.Scheme == "socks5" || u.Scheme == "socks5h" {
			return u, err
		}
		return nil, nil
	}
}

// connectDialer dials addr (an h2c backend) through the HTTP proxy that
// proxy names for http://addr, with CONNECT; directly when it names none
// (or a SOCKS proxy, which net/http dials through itself).
func connectDialer(proxy func(*http.Request) (*url.URL, error), dial func(context.Context, string, string) (net.Conn, error), tc *tls.Config) func(context.Context, string, string) (net.Conn, error) {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		u, err := proxy(&http.Request{Method: http.MethodPost, URL: &url.URL{Scheme: "http", Host: addr}, Header: http.Header{}})
		if err != nil {
			return nil, err
		}
		if u == nil || (u.Scheme != "http" && u.Scheme != "https") {
			return dial(ctx, network, addr)
		}
		paddr := u.Host
		if u.Port() == "" {
			paddr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
		}
		conn, err := dial(ctx, network, paddr)
		if err != nil {
			return nil, &net.OpError{Op: "proxyconnect", Net: network, Err: err}
		}
		if u.Scheme == "https" {
			cfg := &tls.Config{}
			if tc != nil {
				cfg = tc.Clone()
			}
			cfg.ServerName, cfg.NextProtos = u.Hostname(), nil
			tconn := tls.Client(conn, cfg)
			if err := tconn.HandshakeContext(ctx); err != nil {
				conn.Close()
				return nil, &net.OpError{Op: "proxyconnect", Net: network, Err: err}
			}
			conn = tconn
		}
		if err := proxyConnect(ctx, conn, u, addr); err != nil {
			conn.Close()
			return nil, &net.OpError{Op: "proxyconnect", Net: network, Err: err}
		}
		return conn, nil
	}
}

// byteReader reads at most one byte at a time.
type byteReader struct{ r io.Reader }

func (b byteReader) Read(p []byte) (int, error) { return b.r.Read(p[:min(len(p), 1)]) }

// proxyConnect asks the proxy on conn for a tunnel to addr.
func proxyConnect(ctx context.Context, conn net.Conn, u *url.URL, addr string) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
		defer conn.SetDeadline(time.Time{})
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if u.User != nil {
		pw, _ := u.User.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)))
	}
	if err := req.Write(conn); err != nil {
		return err
	}
	// An HTTP/2 server may send its SETTINGS as soon as the tunnel is
	// open: the answer is read a byte at a time, so that nothing after it
	// is taken from the connection.
	res, err := http.ReadResponse(bufio.NewReaderSize(byteReader{io.LimitReader(conn, 64<<10)}, 16), req)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("the proxy refused the tunnel: %s", res.Status)
	}
	return nil
}

// serveGRPC serves a call to a gRPC API: w is the grpcWriter ServeHTTP put
// in front of the client's ResponseWriter.
func (s *Server) serveGRPC(w *grpcWriter, r *http.Request, snap *Snapshot, api *API, diag *diagRequest) {
	start := time.Now()
	ctx := r.Context()
	// grpc-timeout bounds everything the gateway does for the call:
	// policies, the backend call and the stream.
	if d, ok := parseGRPCTimeout(r.Header.Get("Grpc-Timeout")); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, start.Add(d))
		defer cancel()
	}
	defer func() {
		w.finish() // a held refusal is sent now: its status is known
		s.metrics.GRPCCalls.WithLabelValues(api.Name, strconv.Itoa(w.code)).Inc()
	}()
	var op *Operation
	if api.router != nil {
		// The whole path is the rpc ("/package.Service/Method"): matched
		// and forwarded whole, never cut at the API's path.
		if op, _ = api.router.match(r.Method, r.URL.EscapedPath(), ""); op == nil {
			pe := operationNotFound(r.Method, r.URL.Path)
			pe.Response = engine.ErrorResponse(http.StatusNotFound, "Method not found: "+r.URL.Path)
			s.refuse(w, r.WithContext(ctx), api.viewFor(nil, 0), pe, diag)
			return
		}
	}
	prod, sub, pe := s.checkSubscription(ctx, snap, api, r, false)
	if pe != nil {
		s.refuse(w, r.WithContext(ctx), api.viewFor(op, 0), pe, diag)
		return
	}
	view := api.viewFor(op, prod)
	x := s.newRESTExchange(r, view, start)
	x.m = reqMatch{sub: sub, diag: diag}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	x.beginWith(r, scheme, r.Header) // the policies' header map (beginWith)
	st := x.st
	defer x.close(ctx)
	reqBody := grpcBody()
	st.Context().Request.Body = reqBody
	fw := &grpcForwarder{x: x, in: r, reqBody: reqBody}
	st.SetForwarder(fw) // forward-request inside retry, with buffer-request-body="true" (or a clear error)
	status := 0
	defer func() {
		x.rt.metrics.request(status, time.Since(start).Seconds())
		if diag != nil { // its "request" line (diagnostics.go)
			diag.restDone(x, w, status)
		}
	}()
	respond := func() {
		status = st.Response().StatusCode
		x.grpcRespond(w)
	}
	if x.inboundAndBackend(ctx) {
		respond()
		return
	}
	if st.Forward.Sent {
		// forward-request inside retry sent the call from the backend
		// section: its last answer is the call's.
		status = fw.sendLast(ctx, w)
		return
	}
	if st.Context().Request.Body != reqBody {
		// A policy of a scope the load does not check (global, product)
		// replaced the body (set-body): it cannot be sent.
		x.backendFailed(ctx, engine.NewPolicyError(engine.ReasonExpression, http.StatusInternalServerError, errGRPCBody.Error(), errGRPCBody))
		respond()
		return
	}
	if view.Plan.ForwardsNothing {
		st.SetResponse(engine.NewResponse(http.StatusOK))
		x.run(ctx, engine.Outbound)
		respond()
		return
	}
	if err := checkOutboundHeaders(st.Context().Request.Headers); err != nil {
		status = http.StatusBadRequest
		writeJSONError(w, status, "Bad request: "+err.Error()+".")
		return
	}
	if err := x.backendURL(ctx, false); err != nil {
		x.backendFailed(ctx, backendPickError(err))
		respond()
		return
	}
	timeout := view.Limits.Timeout
	if st.Forward.Set && st.Forward.Timeout > 0 {
		timeout = st.Forward.Timeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cctx = context.WithValue(cctx, proxyKey{}, x)
	if bc := st.ByteCount(); bc != nil && r.Body != nil && r.Body != http.NoBody {
		// Bandwidth quotas count the call's body bytes as they pass, both
		// ways (the response's in copyGRPC), as for REST.
		r.Body = &grpcCountingBody{ReadCloser: r.Body, n: &bc.In}
	}
	status = s.proxyGRPC(w, r, cctx, x)
}

// grpcCountingBody counts a call's request bytes as the backend call
// reads them (from the HTTP/2 client's goroutine: atomically).
type grpcCountingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *grpcCountingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// grpcRespond sends the response the policies left, noting a quota's
// refusal: APIM's quota refuses with 403, which a gRPC client must see as
// RESOURCE_EXHAUSTED (a quota used up), not PERMISSION_DENIED.
func (x *exchange) grpcRespond(w *grpcWriter) {
	if le := x.st.LastError(); le != nil && le.Reason == engine.ReasonQuotaExceeded && x.st.Response().StatusCode == http.StatusForbidden {
		w.quota = true
	}
	x.respond(w)
}

// grpcOutRequest is the call as it goes to the backend: the headers the
// policies left, the backend's credentials, the time left, and body.
func (x *exchange) grpcOutRequest(ctx context.Context, in *http.Request, body io.ReadCloser) *http.Request {
	req := x.st.Context().Request
	h := make(http.Header, len(req.Headers)+5)
	forwardHeaders(h, req.Headers, in, hostHeader, nil)
	backendCredentials(x.be, h)
	h["Te"] = []string{"trailers"} // gRPC servers want it; hop-by-hop, so set again
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = noUserAgent
	}
	if dl, ok := ctx.Deadline(); ok {
		// The backend learns how long it has left: the client's
		// grpc-timeout or the API's timeout, less what was spent.
		h["Grpc-Timeout"] = []string{formatGRPCTimeout(time.Until(dl))}
	}
	host := ""
	if hv := req.Headers.GetValueOrDefault("Host", ""); hv != "" && hv != in.Host {
		host = hv
	}
	return (&http.Request{
		Method: req.Method, URL: x.target, Host: host, Header: h,
		Proto: "HTTP/2.0", ProtoMajor: 2, ProtoMinor: 0,
		Body: body, ContentLength: -1, Trailer: in.Trailer,
	}).WithContext(ctx)
}

// proxyGRPC streams the call to the backend and its answer back, running
// outbound on the answer's headers. It returns the HTTP status sent.
func (s *Server) proxyGRPC(w *grpcWriter, in *http.Request, ctx context.Context, x *exchange) int {
	st := x.st
	out := x.grpcOutRequest(ctx, in, in.Body)
	if in.Body == nil || in.Body == http.NoBody {
		out.Body, out.ContentLength = nil, 0
	}
	var start time.Time
	if x.m.diag != nil {
		start = time.Now()
	}
	res, err := s.grpcTransport(x).RoundTrip(out)
	if d := x.m.diag; d != nil && d.app != nil { // Application Insights: the call as a dependency
		d.aiDependency(out.Method, out.URL, out.Header, res, err, start)
	}
	if err != nil {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < grpcDeadlineMargin && !errors.Is(err, context.DeadlineExceeded) {
			// The backend was told the same deadline (grpc-timeout) and
			// may end the stream a moment before ours expires (grpc-go
			// resets it): the call ran out of time all the same.
			err = fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
		}
		return x.grpcFailed(w, ctx, err)
	}
	defer res.Body.Close()
	s.backendOutcome(ctx, x.be, res.StatusCode, res.Header.Get("Retry-After"))
	stripHopByHop(res.Header, false)
	// Outbound sees the answer's status and headers; its body is the
	// stream, which passes untouched.
	er := &engine.Response{StatusCode: res.StatusCode, StatusReason: http.StatusText(res.StatusCode),
		Headers: engine.Headers(res.Header), Body: grpcBody()}
	st.SetResponse(er)
	st.BackendResponded()
	if x.run(ctx, engine.Outbound) || st.Response() != er || er.StatusCode != res.StatusCode || st.Response().Body != er.Body {
		// A policy answered (return-response, on-error) or changed the
		// status or the body: its answer replaces the backend's stream.
		x.grpcRespond(w)
		return st.Response().StatusCode
	}
	if !isGRPCContentType(res.Header.Get("Content-Type")) || res.StatusCode != http.StatusOK {
		// Not a gRPC answer (a proxy's error page, a backend that is no
		// gRPC server): its status says what went wrong.
		x.backendFailed(ctx, engine.NewPolicyError(engine.ReasonBackendConnection, http.StatusBadGateway,
			"the backend "+x.target.Host+" answered HTTP "+strconv.Itoa(res.StatusCode)+" without a gRPC response", nil))
		x.grpcRespond(w)
		return st.Response().StatusCode
	}
	dst := w.Header()
	for k, vv := range res.Header {
		dst[k] = vv
	}
	applyResponseHeaders(dst, st)
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if dl, ok := ctx.Deadline(); ok {
		// A client that stops reading cannot hold the call past its
		// deadline (and the moment it takes to send the status then).
		_ = rc.SetWriteDeadline(dl.Add(grpcStatusGrace))
	}
	if code := res.Header.Get("Grpc-Status"); code != "" {
		w.code, _ = strconv.Atoi(code) // Trailers-Only
	}
	var sent *atomic.Int64
	if bc := st.ByteCount(); bc != nil {
		sent = &bc.Out
	}
	cerr := copyGRPC(w, res.Body, sent)
	switch {
	case cerr == nil:
		for k, vv := range res.Trailer {
			dst[http.TrailerPrefix+k] = vv
		}
		if code := res.Trailer.Get("Grpc-Status"); code != "" {
			w.code, _ = strconv.Atoi(code)
		}
	case errors.Is(cerr, errClientWrite):
		w.code = 1 // CANCELLED: the client went away
	default:
		// The backend's stream broke off, or the call ran out of time:
		// the client gets a status in the trailers, never a hang.
		code, msg := 14, "the backend's stream broke off"
		dl, hasDL := ctx.Deadline()
		switch {
		case ctx.Err() != nil && errors.Is(context.Cause(ctx), context.DeadlineExceeded),
			// The backend keeps the same deadline (grpc-timeout) and may
			// reset the stream as it expires, a moment before our timer
			// has fired (a loaded machine): out of time all the same.
			hasDL && time.Until(dl) < grpcDeadlineMargin && in.Context().Err() == nil:
			code, msg = 4, "the call did not finish in time"
		case in.Context().Err() != nil:
			code, msg = 1, "the call was cancelled"
		}
		x.s.log.Debug("grpc stream broke off", zap.String("api", x.api.Name), zap.Error(cerr))
		w.code = code
		dst[http.TrailerPrefix+"Grpc-Status"] = []string{strconv.Itoa(code)}
		dst[http.TrailerPrefix+"Grpc-Message"] = []string{msg}
	}
	return http.StatusOK
}

// grpcDeadlineMargin: a backend call that fails this close to its
// deadline failed because of it (the backend keeps the same deadline).
const grpcDeadlineMargin = 50 * time.Millisecond

// grpcStatusGrace is how long after a call's deadline its client has to
// take the status that ends it.
const grpcStatusGrace = 2 * time.Second

// copyGRPC relays the backend's stream, flushing after every read so
// that each message reaches the client as it comes. sent (nil: not
// counted) adds the bytes written as they go.
func copyGRPC(w *grpcWriter, body io.Reader, sent *atomic.Int64) error {
	bp, buf := copyBuffers.Get()
	defer copyBuffers.Put(bp)
	for {
		nr, rerr := body.Read(buf)
		if nr > 0 {
			nw, werr := w.Write(buf[:nr])
			if sent != nil {
				sent.Add(int64(nw))
			}
			if werr != nil {
				return errClientWrite
			}
			w.Flush()
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// grpcFailed answers a backend call that got no answer through on-error:
// UNAVAILABLE (502) when the backend cannot be reached, DEADLINE_EXCEEDED
// (504) when it did not answer in time.
func (x *exchange) grpcFailed(w *grpcWriter, ctx context.Context, err error) int {
	x.backendFailed(ctx, x.backendCallError(ctx, err))
	x.grpcRespond(w)
	return x.st.Response().StatusCode
}

// grpcState is the Server's gRPC backend clients (grpcTransport).
type grpcState struct {
	grpcMu sync.Mutex
	grpcBy map[grpcKey]*grpcClient
}

// grpcBodyPolicies read or replace bodies: an API or operation policy of a
// gRPC API that uses one is a load error (docs/grpc.md).
var grpcBodyPolicies = []string{"set-body", "find-and-replace", "json-to-xml", "xml-to-json", "xsl-transform",
	"jsonp", "redirect-content-urls", "validate-content", "cache-lookup", "cache-store", "validate-graphql-request",
	"validate-odata-request"}

// checkGRPCPolicies reports the body policies in a gRPC API's own policy
// files (its policy.xml and operations/ID/policy.xml). The global and
// product policies are shared with other APIs: a body policy there fails
// at run time instead (a body read fails, a replaced body is refused).
func checkGRPCPolicies(api *API, errs *engine.ErrorList) {
	if api.Type != "grpc" || api.Dir == "" {
		return
	}
	dir := strings.TrimSuffix(api.Dir, string(filepath.Separator)) + string(filepath.Separator)
	seen := map[engine.Pos]bool{}
	for _, plan := range apiPlans(api) {
		for _, sec := range []engine.Section{engine.Inbound, engine.Backend, engine.Outbound, engine.OnError} {
			for _, name := range grpcBodyPolicies {
				var found []*engine.Compiled
				collectPolicy(plan.Section(sec), name, &found, 0)
				for _, c := range found {
					if seen[c.Pos] || !strings.HasPrefix(c.Pos.File, dir) {
						continue
					}
					seen[c.Pos] = true
					errs.Add(c.Pos, c.Path, "<%s> works on message bodies, and API %q is a gRPC API: its calls are streams of protobuf messages that pass through untouched; policies of gRPC APIs work on headers (metadata) only", name, api.Name)
				}
			}
			// A forward-request inside retry or limit-concurrency sends the
			// call from the backend section: inside retry it needs
			// buffer-request-body="true" (grpcForwarder).
			for _, wrapper := range []struct {
				name string
				err  error
			}{{"retry", errGRPCRetry}, {"limit-concurrency", errGRPCLimit}} {
				var wrappers, fwd []*engine.Compiled
				collectPolicy(plan.Section(sec), wrapper.name, &wrappers, 0)
				for _, r := range wrappers {
					for _, br := range r.Branches {
						collectPolicy(br.Steps, "forward-request", &fwd, 0)
					}
				}
				for _, c := range fwd {
					if seen[c.Pos] || !strings.HasPrefix(c.Pos.File, dir) {
						continue
					}
					if fs, ok := c.Step.(interface{ Settings() engine.ForwardSettings }); ok && wrapper.name == "retry" && fs.Settings().BufferRequestBody {
						continue // resent from its buffer (grpcForwarder)
					}
					seen[c.Pos] = true
					errs.Add(c.Pos, c.Path, "%s", wrapper.err.Error())
				}
			}
		}
	}
}

// apiPlans are the plans of every view of api (its products' and
// operations').
func apiPlans(api *API) []*engine.Plan {
	var plans []*engine.Plan
	for _, v := range api.views {
		if v != nil && v.Plan != nil {
			plans = append(plans, v.Plan)
		}
	}
	for _, op := range api.Operations {
		for _, v := range op.views {
			if v != nil && v.Plan != nil {
				plans = append(plans, v.Plan)
			}
		}
	}
	if len(plans) == 0 && api.Plan != nil {
		plans = append(plans, api.Plan)
	}
	return plans
}
