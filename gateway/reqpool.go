package gateway

import (
	"fmt"
	"io"
	"math/bits"
	"sync"

	"tollgate/engine"
)

// A request body a policy reads whole is read into a buffer of its own
// (readLimited): 16 KiB of garbage per request for the REST benchmark's
// POST, three quarters of what it allocated, and most of the collector's
// work. For a plan whose policies can keep nothing of the body past the
// request, that buffer comes from a pool and goes back when the exchange
// ends. The body's bytes are shared (engine.Body.AsString makes a string
// of them without a copy), so a buffer may go back only when nothing can
// hold them: poolableBodyPlan says which plans (worked out once per API
// when its snapshot is published: Server.poolableBodyAPI), the exchange's
// end (releaseReqBody) which exchanges.

// bodyPools hold request body buffers by size class: 4 KiB (class 0) to
// maxPooledBody, powers of two. A larger body is allocated as before.
var bodyPools [5]sync.Pool

const (
	minPooledBodyShift = 12
	maxPooledBody      = 64 << 10
)

// bodyClass is the pool for a body of n bytes (0 < n <= maxPooledBody).
func bodyClass(n int) int {
	if n <= 1<<minPooledBodyShift {
		return 0
	}
	return bits.Len(uint(n-1)) - minPooledBodyShift
}

// getBodyBuffer returns a buffer of n bytes, not zeroed (the caller
// fills all of it), and the pointer to give back to putBodyBuffer.
func getBodyBuffer(n int) *[]byte {
	c := bodyClass(n)
	if p, _ := bodyPools[c].Get().(*[]byte); p != nil {
		*p = (*p)[:n]
		return p
	}
	b := make([]byte, n, 1<<(c+minPooledBodyShift))
	return &b
}

func putBodyBuffer(p *[]byte) {
	bodyPools[bodyClass(cap(*p))].Put(p)
}

// bodyKeepingFree are the policies that may read the request body in a
// plan whose body buffer is pooled: what they make of it (a variable, a
// request header) lives in the request's state and the backend request
// only, which gateway/upstream has done with when it answers (outFree).
// Any other policy (a cache, a log, a response body, a backend URL, a
// retry) may keep a string made of the body past the request.
func bodyKeepingFree(name string) bool {
	switch name {
	case "set-variable", "set-header", "forward-request":
		return true
	}
	return false
}

// poolableBodyPlan reports whether p's policies can keep nothing of the
// request body past the request: inbound and backend hold only the
// policies above, outbound and on-error nothing (a variable made of the
// body could go into the answer's headers, which are written after the
// exchange ends), and nothing reads the body after the forward.
func poolableBodyPlan(p *engine.Plan) bool {
	if p == nil || len(p.Outbound) != 0 || len(p.OnError) != 0 || p.KeepsRequestBody() {
		return false
	}
	for _, b := range [...]engine.Block{p.Inbound, p.Backend} {
		for _, c := range b {
			if !bodyKeepingFree(c.Name) {
				return false
			}
		}
	}
	return true
}

// readPooled reads l's body of known length into a pooled buffer
// (l.req.pool: the exchange gives it back, releaseReqBody).
func (l *limitedBody) readPooled() ([]byte, error) {
	p := getBodyBuffer(int(l.size))
	if _, err := io.ReadFull(l.r, *p); err != nil {
		putBodyBuffer(p) // nobody saw it
		return nil, fmt.Errorf("reading %s: %w", l.what, err)
	}
	l.req.buf = p
	return *p, nil
}

// releaseReqBody gives the request body's pooled buffer back, when the
// exchange ended as the buffer's pooling allows: the backend client answered and
// keeps nothing of the request (outFree), no trace recorded it.
func (x *exchange) releaseReqBody() {
	if rb := x.rest.reqSrc.req; rb != nil && rb.buf != nil && rb.free {
		putBodyBuffer(rb.buf)
		rb.buf = nil
	}
}
