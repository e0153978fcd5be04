package gateway

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Request bodies on HTTP APIs. A client that announces a body and then
// stalls (or drips it) would hold a connection, a goroutine and a file
// descriptor forever. Two bounds stop it:
//
//   - body-timeout (api.xml, default 60 s): the whole body must have
//     arrived this long after the request started. A body still missing
//     then is answered 408 and the connection is closed.
//   - Options.MaxPendingBodies (--max-pending-bodies, default 256): at most
//     this many request bodies are in flight at once. One more makes the
//     oldest one still arriving expire right away (408, closed), so stalled
//     bodies cannot pile up to the file-descriptor limit and starve fresh
//     requests; a stalled body is always the oldest in the end.
//
// Request headers are bounded by the http.Server's ReadHeaderTimeout
// (--header-timeout).

// DefaultMaxPendingBodies is Options.MaxPendingBodies when it is 0.
const DefaultMaxPendingBodies = 256

// DefaultBodyTimeout is body-timeout when api.xml does not set it.
const DefaultBodyTimeout = 60 * time.Second

// pendingBodies lists the request bodies still arriving, oldest first:
// linked through the bodies themselves (prev, next), so a body is listed
// without an allocation of its own.
type pendingBodies struct {
	mu         sync.Mutex
	max        int
	head, tail *requestBody
	n          int
}

// push lists rb last (p.mu held).
func (p *pendingBodies) push(rb *requestBody) {
	rb.prev, rb.next, rb.listed = p.tail, nil, true
	if p.tail != nil {
		p.tail.next = rb
	} else {
		p.head = rb
	}
	p.tail = rb
	p.n++
}

// remove takes a listed rb off the list (p.mu held).
func (p *pendingBodies) remove(rb *requestBody) {
	if rb.prev != nil {
		rb.prev.next = rb.next
	} else {
		p.head = rb.next
	}
	if rb.next != nil {
		rb.next.prev = rb.prev
	} else {
		p.tail = rb.prev
	}
	rb.prev, rb.next, rb.listed = nil, nil, false
	p.n--
}

// requestBody wraps an HTTP API request's body: it enforces the body's
// deadline and remembers why reading it failed, so the gateway answers 408
// (too slow) or 413 (too large) rather than a generic 500 or 502.
type requestBody struct {
	io.ReadCloser
	rc      http.ResponseController
	pending *pendingBodies
	// prev and next link the pending list; listed: in it while the body
	// is arriving.
	prev, next *requestBody
	timedOut   atomic.Bool
	// deadline is when the body must have arrived (zero: no bound), and
	// evicted says the pending list expired it early: with net/http's
	// front the failed read cancels the request's context before Read
	// sees the error, so a backend call can fail on that cancellation
	// before timedOut is set (failed looks at both).
	deadline  time.Time
	evicted   atomic.Bool
	tooLarge  atomic.Bool // a policy read more than max-body-size
	malformed atomic.Bool // e.g. bad chunked encoding
	// kept: the body was read before the forward for a section after it;
	// streamed: it was sent to the backend from the client's stream
	// (reqkeep.go). Here, not in the exchange's limitedBody, which fills
	// its size class.
	kept, streamed bool
	// pool: a policy's read of the body takes a pooled buffer, buf, that
	// goes back after the exchange when free (reqpool.go).
	pool, free, listed bool
	buf                *[]byte
}

// guardBody starts the body's deadline and registers it as pending, in
// rb: the REST exchange's room (restParts.guard), which is never reused,
// so the guard stays what it was for whatever holds it after the
// exchange (the request's Body). It returns nil for a request without a
// body.
func (p *pendingBodies) guardBody(w http.ResponseWriter, r *http.Request, timeout time.Duration, rb *requestBody) *requestBody {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	*rb = requestBody{ReadCloser: r.Body, rc: *http.NewResponseController(w), pending: p} // the controller in the guard's room
	if timeout > 0 {
		rb.deadline = time.Now().Add(timeout)
		_ = rb.rc.SetReadDeadline(rb.deadline)
	}
	p.mu.Lock()
	p.push(rb)
	max := p.max
	if max <= 0 {
		max = DefaultMaxPendingBodies
	}
	if p.n > max {
		oldest := p.head
		p.remove(oldest)
		oldest.evicted.Store(true)
		// A deadline in the past fails its pending read now.
		_ = oldest.rc.SetReadDeadline(time.Unix(1, 0))
	}
	p.mu.Unlock()
	r.Body = rb
	return rb
}

func (rb *requestBody) Read(b []byte) (int, error) {
	n, err := rb.ReadCloser.Read(b)
	if err == io.EOF { // first: errors.As's target escapes, an allocation at every body's end
		rb.release(true)
	} else if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			rb.timedOut.Store(true)
			rb.release(false)
		} else if !errors.Is(err, errBodyTooLarge) {
			rb.malformed.Store(true)
		}
	}
	return n, err
}

// release takes the body off the pending list; with clear, it also lifts
// the read deadline (the connection may serve further requests, and
// net/http reads from it in the background to notice a client leaving).
func (rb *requestBody) release(clear bool) {
	rb.pending.mu.Lock()
	if rb.listed {
		rb.pending.remove(rb)
	} else {
		clear = clear && !rb.timedOut.Load()
	}
	if clear {
		_ = rb.rc.SetReadDeadline(time.Time{})
	}
	rb.pending.mu.Unlock()
}

// done is called when the handler ends: the body no longer counts, and a
// deadline still set is lifted unless the body expired (the connection is
// closed then).
func (rb *requestBody) done() {
	if rb == nil {
		return
	}
	rb.release(!rb.timedOut.Load())
}

// expired reports whether the body's time ran out while it was still
// arriving (its deadline passed, or the pending list expired it), whether
// or not a read has seen the error yet.
func (rb *requestBody) expired() bool {
	if rb.evicted.Load() {
		return true
	}
	if rb.deadline.IsZero() || time.Now().Before(rb.deadline) {
		return false
	}
	rb.pending.mu.Lock()
	arriving := rb.listed
	rb.pending.mu.Unlock()
	return arriving
}

// failed answers for a body that could not be read (the client's fault:
// 408 too slow, 413 too large, 400 malformed) and reports whether it did.
// The connection is closed: what is left of the body cannot be trusted.
func (rb *requestBody) failed(w http.ResponseWriter) bool {
	var status int
	var msg string
	switch {
	case rb == nil:
		return false
	case rb.timedOut.Load() || rb.expired():
		rb.timedOut.Store(true) // done keeps the deadline: the connection closes
		status, msg = http.StatusRequestTimeout, "The request body did not arrive in time."
	case rb.tooLarge.Load():
		status, msg = http.StatusRequestEntityTooLarge, "The request body is larger than this API accepts."
	case rb.malformed.Load():
		status, msg = http.StatusBadRequest, "The request body is malformed."
	default:
		return false
	}
	w.Header().Set("Connection", "close")
	writeJSONError(w, status, msg)
	return true
}
