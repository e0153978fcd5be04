package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
)

// httpProxy forwards HTTP API requests with one shared ReverseProxy; the
// per-request data travels in the request context.
type httpProxy struct {
	rp *httputil.ReverseProxy
}

// proxyKey carries the *exchange to the ReverseProxy hooks.
type proxyKey struct{}

func (p *httpProxy) init(s *Server) {
	p.rp = &httputil.ReverseProxy{
		Transport:      s.tel.WrapTransport(backendTransport{newCertTransport(s.rest, s.transport)}), // backend entities, authentication-certificate and proxy, telemetry
		Rewrite:        rewrite,
		ModifyResponse: modifyResponse,
		ErrorHandler:   proxyError,
		ErrorLog:       zap.NewStdLog(s.log.Named("reverseproxy")),
	}
}

// serveHTTPAPI runs inbound and backend, forwards, then runs outbound on the
// backend's response.
func (s *Server) serveHTTPAPI(w http.ResponseWriter, r *http.Request, api *API, m reqMatch) {
	x := s.newExchange(r, api, time.Now())
	x.m = m
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	x.begin(r, scheme)
	st := x.st
	ctx := r.Context()
	defer x.close(ctx)
	maxBody := api.Limits.MaxBodySize
	body := s.pending.guardBody(w, r, api.Limits.BodyTimeout) // slowbody.go
	defer body.done()
	x.body = body
	x.in = r
	st.SetForwarder(x) // forward-request inside retry sends from the backend section (forward.go)
	orig := r.Body
	st.Context().Request.Body = engine.NewLazyBody(func() ([]byte, error) {
		if orig == nil || orig == http.NoBody {
			return nil, nil
		}
		data, err := readLimited(orig, r.ContentLength, maxBody, "the request body")
		if errors.Is(err, errBodyTooLarge) && body != nil {
			body.tooLarge.Store(true)
		}
		return data, err
	})
	status := 0
	defer func() {
		s.metrics.Requests.WithLabelValues(api.Name, strconv.Itoa(status)).Inc()
		s.metrics.RequestDuration.WithLabelValues(api.Name).Observe(time.Since(x.start).Seconds())
	}()
	if x.inboundAndBackend(ctx) {
		if body.failed(w) { // a policy could not read the body: the client's fault
			status = http.StatusBadRequest
			return
		}
		status = st.Response().StatusCode
		x.respond(w)
		return
	}
	if st.Forward.Sent {
		// forward-request inside retry sent the request from the backend
		// section (forward.go): outbound runs on the last attempt's answer.
		st.BackendResponded()
		x.run(ctx, engine.Outbound)
		status = st.Response().StatusCode
		x.respond(w)
		if bc := st.ByteCount(); bc != nil {
			if data, err := st.Context().Request.Body.Bytes(); err == nil {
				bc.In.Add(int64(len(data)))
			}
			if data, err := st.Response().Body.Bytes(); err == nil {
				bc.Out.Add(int64(len(data)))
			}
		}
		return
	}
	if err := checkOutboundHeaders(st.Context().Request.Headers); err != nil {
		status = http.StatusBadRequest
		writeJSONError(w, status, "Bad request: "+err.Error()+".")
		return
	}
	if err := x.backendURL(ctx, false); err != nil {
		x.backendFailed(ctx, backendPickError(err))
		status = st.Response().StatusCode
		x.respond(w)
		return
	}
	timeout := api.Limits.Timeout
	if st.Forward.Set {
		timeout = st.Forward.Timeout
	}
	pctx, cancel := context.WithTimeout(context.WithValue(ctx, proxyKey{}, x), timeout)
	defer cancel()
	rec := &statusRecorder{ResponseWriter: w}
	var in *countingReader
	if bc := st.ByteCount(); bc != nil && r.Body != nil && r.Body != http.NoBody {
		in = &countingReader{ReadCloser: r.Body}
		r.Body = in
	}
	s.proxy.rp.ServeHTTP(rec, r.WithContext(pctx))
	status = rec.status
	if bc := st.ByteCount(); bc != nil {
		if b := st.Context().Request.Body; b != nil && b.Loaded() {
			data, _ := b.Bytes() // a policy read (or replaced) it: that is what was sent
			bc.In.Add(int64(len(data)))
		} else if in != nil {
			bc.In.Add(in.n)
		}
		bc.Out.Add(rec.n)
	}
}

func rewrite(pr *httputil.ProxyRequest) {
	x := pr.In.Context().Value(proxyKey{}).(*exchange)
	req := x.st.Context().Request
	pr.Out.URL = x.target
	pr.Out.Method = req.Method
	h := make(http.Header, len(req.Headers)+3)
	for k, v := range req.Headers {
		if !hopHeaders[k] && k != "Host" {
			h[k] = v
		}
	}
	pr.Out.Header = h
	pr.Out.Host = ""
	if host := req.Headers.GetValueOrDefault("Host", ""); host != "" && host != pr.In.Host {
		pr.Out.Host = host // a policy changed Host
	}
	pr.SetXForwarded()
	backendCredentials(x.be, h)
	if b := req.Body; b != nil && b.Loaded() {
		data, _ := b.Bytes()
		pr.Out.Body = io.NopCloser(bytes.NewReader(data))
		pr.Out.ContentLength = int64(len(data))
		pr.Out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	}
}

func modifyResponse(resp *http.Response) error {
	x := resp.Request.Context().Value(proxyKey{}).(*exchange)
	st, api := x.st, x.api
	x.s.backendOutcome(resp.Request.Context(), x.be, resp.StatusCode, resp.Header.Get("Retry-After"))
	if st.Forward.FailOnErrorStatusCode && resp.StatusCode >= 400 {
		resp.Body.Close()
		return &backendStatusError{code: resp.StatusCode}
	}
	maxBody := api.Limits.MaxBodySize
	orig := resp.Body
	er := &engine.Response{
		StatusCode: resp.StatusCode, StatusReason: http.StatusText(resp.StatusCode),
		Headers: engine.Headers(resp.Header),
		Body: engine.NewLazyBody(func() ([]byte, error) {
			return readLimited(orig, -1, maxBody, "the backend response")
		}),
	}
	st.SetResponse(er)
	st.BackendResponded() // llm-token-limit's tokens-consumed-* before outbound
	x.run(resp.Request.Context(), engine.Outbound)
	final := st.Response()
	resp.StatusCode = final.StatusCode
	resp.Status = strconv.Itoa(final.StatusCode) + " " + final.StatusReason
	resp.Header = http.Header(final.Headers)
	applyResponseHeaders(resp.Header, st)
	if final.Body != er.Body || er.Body.Loaded() {
		data, err := final.Body.Bytes()
		if err != nil {
			data = nil
		}
		if final.Body != er.Body || err == nil {
			orig.Close()
		}
		resp.Body = io.NopCloser(bytes.NewReader(data))
		resp.ContentLength = int64(len(data))
		resp.Header.Set("Content-Length", strconv.Itoa(len(data)))
		resp.Header.Del("Transfer-Encoding")
		resp.TransferEncoding = nil
	}
	resp.Body = st.WrapResponseBody(resp.Body) // policies that count what is sent (llm-token-limit)
	return nil
}

// readLimited reads r for a policy (a request or response body): at most
// max bytes, or an error naming what was read. size is the body's declared
// length (Content-Length; -1 when unknown): a known one is read into one
// buffer of that size instead of a growing one (a 16 KiB body took five
// allocations and copies), and one over max fails before anything is read.
// net/http's body reader ends a body at its Content-Length, so a known
// size is exact.
func readLimited(r io.Reader, size, max int64, what string) ([]byte, error) {
	if size > max {
		return nil, fmt.Errorf("%s is larger than %d bytes: %w", what, max, errBodyTooLarge)
	}
	if size >= 0 {
		data := make([]byte, size)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("reading %s: %w", what, err)
		}
		return data, nil
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes: %w", what, max, errBodyTooLarge)
	}
	return data, nil
}

// errBodyTooLarge is engine.ErrBodyTooLarge: validate-content tells a body
// over max-body-size (APIM's SizeLimit error) from a failed read by it.
var errBodyTooLarge = engine.ErrBodyTooLarge

type backendStatusError struct{ code int }

func (e *backendStatusError) Error() string {
	return "the backend answered " + strconv.Itoa(e.code) + " (fail-on-error-status-code)"
}

// proxyError answers for a failed backend call through on-error.
func proxyError(w http.ResponseWriter, r *http.Request, err error) {
	x := r.Context().Value(proxyKey{}).(*exchange)
	if x.body.failed(w) { // the client's body, not the backend, failed
		return
	}
	x.backendFailed(r.Context(), x.backendCallError(r.Context(), err))
	x.respond(w)
}

// backendCallError is the policy error for an HTTP backend call that got
// no usable answer, counted for the backend entity's breaker.
func (x *exchange) backendCallError(ctx context.Context, err error) *engine.PolicyError {
	status, reason := http.StatusBadGateway, engine.ReasonBackendConnection
	msg := "the backend " + x.target.Host + " failed: " + dialErrText(err)
	var bse *backendStatusError
	if !errors.As(err, &bse) && !errors.Is(err, context.Canceled) {
		x.s.backendOutcome(ctx, x.be, 0, "") // no answer (an error status was counted with its status)
	}
	switch {
	case errors.As(err, &bse):
		reason = "BackendErrorStatusCode"
		msg = bse.Error()
	case errors.Is(err, context.DeadlineExceeded):
		status, reason = http.StatusGatewayTimeout, engine.ReasonTimeout
		msg = "the backend " + x.target.Host + " did not answer in time"
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		status, reason = 499, engine.ReasonCanceled
	}
	return engine.NewPolicyError(reason, status, msg, err)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	n      int64 // body bytes written
}

// countingReader counts request body bytes for bandwidth quotas.
type countingReader struct {
	io.ReadCloser
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	return n, err
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.n += int64(n)
	return n, err
}

// Flush keeps streaming responses (SSE) streaming.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// backendTransport sends a request with its backend entity's own transport
// when it has one (TLS settings), else with the shared one.
type backendTransport struct{ base http.RoundTripper }

func (t backendTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if x, ok := r.Context().Value(proxyKey{}).(*exchange); ok && x.be != nil && x.be.transport != nil {
		return x.be.transport.RoundTrip(r)
	}
	return t.base.RoundTrip(r)
}

// backendPickError is how a backend that cannot be used fails: 503 when
// its circuit breaker is open (as APIM), 502 otherwise.
func backendPickError(err error) *engine.PolicyError {
	if errors.Is(err, errBackendUnavailable) {
		return engine.NewPolicyError("BackendUnavailable", http.StatusServiceUnavailable, err.Error(), err)
	}
	return engine.NewPolicyError(engine.ReasonBackendConnection, http.StatusBadGateway, err.Error(), err)
}
