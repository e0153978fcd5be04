package policies

import (
	"strings"

	"tollgate/engine"
)

// rate-limit-by-key and quota-by-key count an expression increment-count
// or increment-condition after the response has gone to the client
// (State.AtEnd). A streamed backend body is gone by then, so an expression
// that reads context.Response.Body (counting an LLM answer's
// usage.total_tokens, as real policies do) failed with "read on a closed
// response body" and the call was not counted. When such an expression
// reads the body, a copy of what is sent is kept (ObserveResponseBody, the
// stream stays a stream) and put back as context.Response.Body before the
// expressions run.

// maxCapturedBody bounds the copy; a larger body is not kept (the
// expression then fails as before, logged, the call not counted).
const maxCapturedBody = 4 << 20

// readsResponseBody reports whether one of the attributes is an
// expression that mentions context.Response.Body (also ?.Body).
func readsResponseBody(p *engine.Parser, attrs ...string) bool {
	for _, name := range attrs {
		a := p.Node().Attr(name)
		if a == nil || !strings.Contains(a.Value, "@") {
			continue
		}
		v := strings.ReplaceAll(a.Value, "?.", ".")
		if strings.Contains(v, "Response.Body") {
			return true
		}
	}
	return false
}

// bodyCopy is the response body as it was sent.
type bodyCopy struct {
	buf        []byte
	seen, over bool
}

// captureResponseBody starts keeping a copy of the response body s sends.
func captureResponseBody(s *engine.State) *bodyCopy {
	c := &bodyCopy{}
	s.ObserveResponseBody(func(p []byte) {
		c.seen = true
		if c.over {
			return
		}
		if len(c.buf)+len(p) > maxCapturedBody {
			c.over, c.buf = true, nil
			return
		}
		c.buf = append(c.buf, p...)
	})
	return c
}

// restore makes the copy context.Response.Body again; it does nothing
// when no body went through the gateway's stream (a response a policy
// made, still readable) or when it was too large.
func (c *bodyCopy) restore(s *engine.State) {
	if c == nil || !c.seen || c.over {
		return
	}
	if r := s.Context().Response; r != nil {
		r.Body = engine.NewBody(c.buf)
	}
}
