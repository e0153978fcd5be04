package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"tollgate/engine"
)

// The request body after the forward. A REST request's body is streamed to
// the backend as it arrives unless a policy read it before; a section that
// runs after the forward (outbound, on-error) could then no longer read it.
// The compiler knows at load whether one does (engine.Plan.KeepsRequestBody:
// send-request mode="copy", or an expression reading context.Request.Body
// there, or one before the forward keeping the body itself in a
// variable): such a plan has the body read into memory before the
// forward, within the API's max-body-size, and forwarded from there. A
// body over that limit is forwarded all the same, streamed, and a read of
// it after the forward is the too-large error any read of it is. A body
// streamed by a plan the compiler did not see read it (reached through
// something it does not follow) fails to read with errRequestBodyStreamed,
// never with Go's "invalid Read on closed Body".

// errRequestBodyStreamed is the error of a read of the request body after
// it was streamed to the backend unread.
var errRequestBodyStreamed = errors.New("the request body was streamed to the backend unread and cannot be read after the forward: read it in inbound (or keep it in a variable there)")

// keepRequestBody reads the request body before the forward, for a plan
// that reads it after (KeepsRequestBody). A body over max-body-size is
// left to be streamed; a body that cannot be read (too slow, cut off) is
// answered here, as a policy's failed read of it is: it returns the status
// sent, or 0 when the request goes on.
func (x *exchange) keepRequestBody(w http.ResponseWriter) int {
	b := x.st.Context().Request.Body
	if b != &x.rest.reqBody || b.Loaded() {
		return 0 // none, or read (or replaced) by a policy already
	}
	if rb := x.rest.reqSrc.req; rb != nil { // (none: a body of length 0)
		rb.kept = true
	}
	_, err := b.Bytes()
	if err == nil || errors.Is(err, errBodyTooLarge) {
		return 0
	}
	rec := &statusRecorder{ResponseWriter: w}
	if x.body.failed(rec) { // 408: too slow
		return rec.status
	}
	writeJSONError(w, http.StatusBadRequest, "Bad request: "+fmt.Sprint(err)+".")
	return http.StatusBadRequest
}

// streams reports whether the client's body b (the exchange's own, whose
// source l is) goes to the backend from the client's stream: it was not
// read, or it was kept and found over max-body-size.
func (l *limitedBody) streams(b *engine.Body) bool {
	if !b.Loaded() {
		return true
	}
	_, err := b.Bytes()
	return l.req != nil && l.req.kept && errors.Is(err, errBodyTooLarge)
}

// streamed reports whether the client's body went to the backend from
// its stream (forward).
func (l *limitedBody) streamed() bool { return l.req != nil && l.req.streamed }

// forward marks the body streamed and returns what the backend request
// sends: the client's stream, after the bytes a kept read over
// max-body-size took from it.
func (l *limitedBody) forward(body io.ReadCloser) io.ReadCloser {
	if l.req != nil { // (none: a body of length 0, which no read fails on)
		l.req.streamed = true
	}
	if len(l.read) == 0 {
		return body
	}
	return prefixedBody{io.MultiReader(bytes.NewReader(l.read), body), body}
}
