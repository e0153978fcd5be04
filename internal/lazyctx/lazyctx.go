// Package lazyctx is context.WithDeadline built lazily: a Ctx behaves as
// context.WithDeadline(parent, d), but builds that context (a timer, a
// channel, a registration with the parent) only when something asks for
// Done. Code that only reads Err and Deadline, or a client that watches
// the deadline itself (DeadlineOnly: gateway/upstream sets it on its
// connection), never makes it build one.
//
// The gateway's section contexts are Ctxs (gateway/sectionctx.go), and so
// is a send-request call-out's own timeout (policies/send_request.go).
package lazyctx

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Ctx is a lazily built context.WithDeadline. The zero Ctx is not usable:
// set it up with Init (or make one with New). Release ends it.
type Ctx struct {
	parent   context.Context
	deadline time.Time
	mu       sync.Mutex
	real     atomic.Value // the context.Context built (a *timerCtx: storing it allocates nothing)
	cancel   context.CancelFunc
	released bool
}

// New returns a Ctx of parent ending at deadline.
func New(parent context.Context, deadline time.Time) *Ctx {
	c := new(Ctx)
	c.Init(parent, deadline)
	return c
}

// Init sets up a zero Ctx in place.
func (c *Ctx) Init(parent context.Context, deadline time.Time) {
	c.parent, c.deadline = parent, deadline
}

// Parent is the context c was made from.
func (c *Ctx) Parent() context.Context { return c.parent }

// Built returns the real context, or nil while nothing asked for it.
func (c *Ctx) Built() context.Context {
	r, _ := c.real.Load().(context.Context)
	return r
}

// materialize builds the real context once.
func (c *Ctx) materialize() context.Context {
	if r := c.Built(); r != nil {
		return r
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.Built(); r != nil {
		return r
	}
	ctx, cancel := context.WithDeadline(c.parent, c.deadline)
	if c.released {
		cancel()
	}
	c.cancel = cancel
	c.real.Store(ctx)
	return ctx
}

// Deadline is the earlier of the parent's and c's own.
func (c *Ctx) Deadline() (time.Time, bool) {
	if d, ok := c.parent.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

// Done builds the real context (once) and returns its channel.
func (c *Ctx) Done() <-chan struct{} { return c.materialize().Done() }

// Err is the real context's error once built; before, the parent's, then
// Canceled after Release, then DeadlineExceeded past the deadline.
func (c *Ctx) Err() error {
	if r := c.Built(); r != nil {
		return r.Err()
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	released := c.released
	c.mu.Unlock()
	if released {
		return context.Canceled
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value looks in the real context once it exists (so that contexts
// derived from c find its cancellation, as from any WithDeadline), else in
// the parent.
func (c *Ctx) Value(key any) any {
	if r := c.Built(); r != nil {
		return r.Value(key)
	}
	return c.parent.Value(key)
}

// Release ends c: the real context is cancelled (and its timer stopped)
// if it was built; if it is built later, it starts cancelled.
func (c *Ctx) Release() {
	c.mu.Lock()
	c.released = true
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// DeadlineOnly reports the deadline when nothing but it can end c before
// Release: the parent cannot be cancelled (its Done is nil, or it says so
// itself, as another Ctx) and nobody built the real context yet (if
// someone did, its watchers rely on it). A client that knows the method
// (gateway/upstream) then sets the deadline on its connection instead of
// building and watching the real context. Release must come after such a
// call is over: it is not watched either.
func (c *Ctx) DeadlineOnly() (time.Time, bool) {
	if c.Built() != nil {
		return time.Time{}, false
	}
	if p, ok := c.parent.(interface{ DeadlineOnly() (time.Time, bool) }); ok {
		if _, ok := p.DeadlineOnly(); !ok {
			return time.Time{}, false
		}
	} else if c.parent.Done() != nil {
		return time.Time{}, false
	}
	return c.Deadline()
}
