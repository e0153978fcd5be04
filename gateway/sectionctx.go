package gateway

import (
	"context"
	"sync"
	"time"
)

// sectionCtx is context.WithTimeout(parent, policy-timeout) for one policy
// section, made only when something needs it. Most sections never wait
// (set-variable, choose, set-header: the handshake policy of the benchmark
// is all of these): for them the deadline is only compared with the clock
// (Err, which the engine checks while an expression runs), so they cost no
// timer, no done channel and no registration with the parent. The first
// Done (a policy that waits, net/http under a call-out, a context made
// from this one) makes the real context, which then answers everything.
type sectionCtx struct {
	parent   context.Context
	deadline time.Time

	mu       sync.Mutex
	real     context.Context // nil until Done
	stopReal context.CancelFunc
	stopped  bool
}

func newSectionCtx(parent context.Context, timeout time.Duration) *sectionCtx {
	c := &sectionCtx{parent: parent, deadline: time.Now().Add(timeout)}
	if pd, ok := parent.Deadline(); ok && pd.Before(c.deadline) {
		c.deadline = pd
	}
	return c
}

// materialized is the real context, made now if it was not (c.mu held).
func (c *sectionCtx) materialized() context.Context {
	if c.real == nil {
		c.real, c.stopReal = context.WithDeadline(c.parent, c.deadline)
		if c.stopped {
			c.stopReal()
		}
	}
	return c.real
}

func (c *sectionCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *sectionCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.materialized().Done()
}

func (c *sectionCtx) Err() error {
	c.mu.Lock()
	real, stopped := c.real, c.stopped
	c.mu.Unlock()
	if real != nil {
		return real.Err()
	}
	// As a WithDeadline context answers: the parent's end first, then the
	// deadline, then the section's own end (cancel).
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	if stopped {
		return context.Canceled
	}
	return nil
}

func (c *sectionCtx) Value(key any) any {
	c.mu.Lock()
	real := c.real
	c.mu.Unlock()
	if real != nil {
		return real.Value(key) // context.WithCancel(c) finds the real one's cancelCtx
	}
	return c.parent.Value(key)
}

// cancel ends the section's context (the CancelFunc of WithTimeout).
func (c *sectionCtx) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	if c.stopReal != nil {
		c.stopReal()
	}
}
