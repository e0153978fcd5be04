package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"tollgate/engine"
)

// Forward implements engine.Forwarder: a forward-request inside retry (or
// APIM's limit-concurrency) sends the request from the backend section,
// once per attempt, and the
// backend's answer becomes context.Response for retry's condition. After
// the section the gateway uses the last attempt instead of forwarding
// (serveHTTPAPI, serveWebSocket). Each attempt picks the backend again
// (a pool's next member, a breaker's verdict) and is bounded by
// forward-request's timeout within the section's policy-timeout.
func (x *exchange) Forward(ctx context.Context, st *engine.State) error {
	if x.in == nil {
		return engine.NewPolicyError(engine.ReasonBackendConnection, http.StatusInternalServerError, "forward-request: the request is no longer being served", nil)
	}
	if x.rest != nil {
		// The headers are checked here and copied in outRequest, never
		// taken from a copy serveHTTPAPI made for its own send (none can
		// be left when a forward-request runs: it is refused outside the
		// backend section at load; this keeps it so).
		x.rest.outHeader = nil
	}
	if err := checkOutboundHeaders(st.Context().Request.Headers); err != nil {
		return engine.NewPolicyError("BadRequest", http.StatusBadRequest, "Bad request: "+err.Error()+".", err)
	}
	if err := x.backendURL(ctx, x.isWS()); err != nil {
		return backendPickError(err)
	}
	if x.isWS() {
		return x.forwardWS(st)
	}
	return x.forwardHTTP(ctx, st)
}

// forwardHTTP sends one attempt of an HTTP API's backend call and reads the
// whole answer (retry's condition, and then outbound, may read its body).
func (x *exchange) forwardHTTP(ctx context.Context, st *engine.State) error {
	req := st.Context().Request
	// Each attempt sends the same bytes: the body is read whole, once (a
	// body that cannot be read is the client's fault: serveHTTPAPI answers).
	if b := req.Body; b != nil {
		if _, err := b.Bytes(); err != nil {
			return engine.NewPolicyError(engine.ReasonBackendConnection, http.StatusBadRequest, "cannot read the request body: "+err.Error(), err)
		}
	}
	timeout := st.Forward.Timeout
	if timeout <= 0 {
		timeout = x.api.Limits.Timeout // forward-request without a timeout: the API's
	}
	fctx, cancel := context.WithTimeout(context.WithValue(ctx, proxyKey{}, x), timeout)
	defer cancel()
	out := outRequest(fctx, x.in, x)           // as the proxy: URL, headers, X-Forwarded-*, credentials, the body read above
	if req.Body == nil || !req.Body.Loaded() { // no body: not the client's stream

		out.Body, out.ContentLength, out.GetBody = nil, 0, nil
	}
	var start time.Time
	if d := x.m.diag; d != nil {
		start = time.Now()
		d.aiTraceparent(out.Header)
	}
	resp, err := x.s.proxy.transport.RoundTrip(out)
	resp, err = inTime(fctx, resp, err)
	if diag := x.m.diag; diag != nil { // diagnostics.go: this attempt's headers (and dependency)
		diag.backendCall(out, resp, err, start)
	}
	if err != nil {
		return x.backendCallError(fctx, err)
	}
	defer resp.Body.Close()
	x.s.backendOutcome(fctx, x.be, resp.StatusCode, headerGet(resp.Header, "Retry-After"))
	if st.Forward.FailOnErrorStatusCode && resp.StatusCode >= 400 {
		return x.backendCallError(fctx, &backendStatusError{code: resp.StatusCode})
	}
	data, err := readLimited(resp.Body, -1, x.api.Limits.MaxBodySize, "the backend response")
	if err == nil && fctx.Err() != nil { // the body came as the timeout passed: not wholly in time
		err = fctx.Err()
	}
	if err == nil && x.a2aCard {
		data, err = x.a2aCardBody(resp.StatusCode, resp.Header, data) // the rewritten card (a2a.go)
	}
	if err != nil {
		return x.backendCallError(fctx, err)
	}
	stripHopByHop(resp.Header, false) // the body was read whole: its length is the gateway's to set
	h := engine.Headers(resp.Header)
	st.SetResponse(&engine.Response{
		StatusCode: resp.StatusCode, StatusReason: http.StatusText(resp.StatusCode),
		Headers: h, Body: engine.NewBody(data),
	})
	st.Tracef("forward-request: the backend answered %d", resp.StatusCode)
	return nil
}

// forwardWS makes one attempt at a WebSocket API's backend handshake. A
// backend that refuses the upgrade is an answer (its status is
// context.Response); one that does not answer is an error. A connection
// an earlier attempt made is closed first.
func (x *exchange) forwardWS(st *engine.State) error {
	if x.ws != nil {
		x.ws.CloseWith(websocket.StatusGoingAway, "")
		x.ws = nil
	}
	timeout := x.dialTimeout()
	conn, resp, err := x.dialBackend(timeout) // (a retry's attempt: its fields are checked again as the head is written)
	if err != nil {
		br := backendRefusal(resp)
		if br == nil {
			return x.dialError(err, timeout)
		}
		st.SetResponse(br)
		st.Tracef("forward-request: the backend refused the upgrade with %d", br.StatusCode)
		return nil
	}
	x.ws = conn
	st.SetResponse(engine.NewResponse(http.StatusSwitchingProtocols))
	st.Tracef("forward-request: the backend accepted the upgrade")
	return nil
}
