package gateway

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"sync"
	"time"

	"tollgate/gateway/upstream"
	"tollgate/internal/lazyctx"
	"tollgate/internal/monoclock"
)

// sectionCtx is the context a policy section runs under: its parent plus
// the API's policy-timeout. It behaves as context.WithDeadline(parent, d),
// but builds that context (a timer, a channel, a registration with the
// parent) only when something asks for Done: a policy that waits (a
// call-out, a store round trip, retry's pause) or an expression that has
// looped long enough to be checked. The usual section of header and
// variable steps never does, and a REST request then costs no timer for
// its inbound and outbound sections (BenchmarkRESTRequest: 5 allocations
// and a timer-heap insertion and removal less per section).
//
// The backend call runs under one too (callCtx), with the route's timeout:
// it also answers proxyKey with its exchange, and httptrace's client-trace
// key with the hooks that relay 1xx answers, built when a transport asks.
// A backend call then costs one context instead of a WithTimeout over a
// WithValue, wrapped by httptrace.WithClientTrace: four allocations less
// (the two value contexts, the ClientTrace and its hook). Behind h1, whose
// request context cannot be cancelled, the deadline's own context is not
// built either: the backend client asks DeadlineOnly and sets the deadline
// on its connection.
//
// A REST exchange holds its section contexts (restParts.ctxs): no
// allocation for them either. Each is used for one section only and never
// reset, so a context a policy kept past its section (a goroutine) stays
// released.
type sectionCtx struct {
	lazyctx.Ctx // parent and deadline; Done, Err, Deadline, DeadlineOnly, Release

	// A backend call's context: the exchange for proxyKey, and the client
	// to relay 1xx answers to (nil: none) with the trace built for it.
	x     *exchange
	w     http.ResponseWriter
	tmu   sync.Mutex
	trace *httptrace.ClientTrace
}

func newSectionCtx(parent context.Context, now, timeout time.Duration) *sectionCtx {
	c := new(sectionCtx)
	c.init(parent, now, timeout)
	return c
}

// init sets up a zero sectionCtx in place, its timeout running from now
// (the caller's clock read, monoclock.Since's, which also times the
// section): one time.Time made for the deadline.
func (c *sectionCtx) init(parent context.Context, now, timeout time.Duration) {
	c.Init(parent, monoclock.At(now+timeout))
}

// Value answers a backend call's own keys, then as lazyctx.Ctx does.
func (c *sectionCtx) Value(key any) any {
	if c.x != nil {
		switch key {
		case proxyKey{}:
			return c.x
		case clientTraceKey:
			if c.w != nil {
				return c.clientTrace()
			}
		case upstream.CheckedKey{}:
			if c.x.rest != nil && c.x.rest.checkedFields > 0 {
				return c // CheckedFields
			}
			return nil
		}
	}
	return c.Ctx.Value(key)
}

// CheckedFields says which map the backend client need not check again
// (upstream.Checked): the exchange's first backend request's, while
// httpProxy.serve has it marked.
func (c *sectionCtx) CheckedFields() (http.Header, int) {
	return c.x.rest.out.Header, int(c.x.rest.checkedFields)
}

// release ends the section (lazyctx.Ctx.Release).
func (c *sectionCtx) release() { c.Release() }

// clientTrace is the backend call's httptrace hooks: 1xx answers (103
// Early Hints) are relayed to the client as they come. Built on first use:
// a transport looks for them on a 1xx answer (gateway/upstream) or per
// request (net/http's). Hooks a caller put in the parent run too.
func (c *sectionCtx) clientTrace() *httptrace.ClientTrace {
	c.tmu.Lock()
	defer c.tmu.Unlock()
	if c.trace == nil {
		w := c.w
		t := &httptrace.ClientTrace{Got1xxResponse: func(code int, header textproto.MIMEHeader) error {
			h := w.Header()
			for k, vv := range header {
				h[k] = vv
			}
			w.WriteHeader(code)
			clear(h)
			return nil
		}}
		if httptrace.ContextClientTrace(c.Parent()) != nil {
			httptrace.WithClientTrace(c.Parent(), t) // composes the parent's hooks into t
		}
		c.trace = t
	}
	return c.trace
}

// clientTraceKey is the key httptrace keeps a ClientTrace under in a
// context (unexported in net/http/httptrace), learned by asking
// ContextClientTrace to look in a context that notes the key it is asked
// for. With it, a backend call's context answers for the trace itself
// instead of wrapping itself in a WithValue per request
// (TestClientTraceKey checks it).
var clientTraceKey = func() any {
	var spy keySpy
	httptrace.ContextClientTrace(&spy)
	return spy.key
}()

type keySpy struct {
	context.Context
	key any
}

func (s *keySpy) Value(key any) any {
	s.key = key
	return nil
}
