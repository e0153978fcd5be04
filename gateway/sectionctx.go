package gateway

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
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
type sectionCtx struct {
	parent   context.Context
	deadline time.Time
	mu       sync.Mutex
	real     atomic.Pointer[context.Context]
	cancel   context.CancelFunc
	released bool
}

func newSectionCtx(parent context.Context, timeout time.Duration) *sectionCtx {
	return &sectionCtx{parent: parent, deadline: time.Now().Add(timeout)}
}

// materialize builds the real context once.
func (c *sectionCtx) materialize() context.Context {
	if r := c.real.Load(); r != nil {
		return *r
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.real.Load(); r != nil {
		return *r
	}
	ctx, cancel := context.WithDeadline(c.parent, c.deadline)
	if c.released {
		cancel()
	}
	c.cancel = cancel
	c.real.Store(&ctx)
	return ctx
}

func (c *sectionCtx) Deadline() (time.Time, bool) {
	if d, ok := c.parent.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

func (c *sectionCtx) Done() <-chan struct{} { return c.materialize().Done() }

func (c *sectionCtx) Err() error {
	if r := c.real.Load(); r != nil {
		return (*r).Err()
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
// derived from this one find its cancellation, as from any WithDeadline),
// else in the parent.
func (c *sectionCtx) Value(key any) any {
	if r := c.real.Load(); r != nil {
		return (*r).Value(key)
	}
	return c.parent.Value(key)
}

// release ends the section: the context is cancelled (and its timer
// stopped) if it was built; if it is built later, it starts cancelled.
func (c *sectionCtx) release() {
	c.mu.Lock()
	c.released = true
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}
