// Package sessctx is the context of one proxied WebSocket session: what
// context.WithCancelCause under the server's context was, without what a
// session rarely needs built up front.
//
// A Ctx is cancelled with a cause (drain-on-change's *wsproxy.CloseCause,
// Shutdown's error, nil when the session is over) and tells the code that
// watches it directly: the event loop's session and a backend handshake
// waiting on a raw socket register a Watcher (two of them are held in the
// Ctx itself), where context.AfterFunc cost an afterFuncCtx, two closures,
// a Done channel and a children map in the session's context. The Done
// channel is made only when something asks for it (a dial through Go's
// poller, TLS, a proxy), and contexts derived from a Ctx (context.WithCancel,
// WithDeadline, AfterFunc) register through its AfterFunc method, as the
// context package lets a parent of its own kind do, instead of a map.
//
// A Ctx has no parent: the gateway cancels its sessions at Shutdown
// through the session set, which also knows every session for
// drain-on-change. It carries no values (Value is nil for every key), so
// context.Cause of a Ctx is its Err: code that wants the cause asks Cause.
package sessctx

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Watcher is told once, on the cancelling goroutine, that the Ctx it
// watches ended. SessionEnded must not block.
type Watcher interface {
	SessionEnded()
}

// Ctx is a session's context. The zero Ctx is live; it ends with Cancel.
type Ctx struct {
	over atomic.Bool  // cancelled
	done atomic.Value // chan struct{}, made by the first Done

	mu    sync.Mutex
	cause error      // set by Cancel (guarded by mu)
	w     [2]Watcher // watchers held inline (guarded by mu)
	more  []*hook    // further watchers and AfterFunc registrations (guarded by mu)
}

// hook is one registration beyond the inline ones.
type hook struct {
	w Watcher
	f func()
}

// closedChan is the Done of a Ctx cancelled before anyone asked for it.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Deadline implements context.Context: a session has none.
func (c *Ctx) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done implements context.Context. The channel is made on the first call.
func (c *Ctx) Done() <-chan struct{} {
	if d := c.done.Load(); d != nil {
		return d.(chan struct{})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.done.Load(); d != nil {
		return d.(chan struct{})
	}
	ch := closedChan
	if !c.over.Load() {
		ch = make(chan struct{})
	}
	c.done.Store(ch)
	return ch
}

// Err implements context.Context: context.Canceled once cancelled.
func (c *Ctx) Err() error {
	if c.over.Load() {
		return context.Canceled
	}
	return nil
}

// Value implements context.Context: a Ctx carries no values.
func (c *Ctx) Value(any) any { return nil }

// Cause is why c was cancelled: the cause given to Cancel, or
// context.Canceled for a nil one; nil while c is live.
func (c *Ctx) Cause() error {
	if !c.over.Load() {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// DeadlineOnly tells a lazyctx.Ctx made from c that c can end before its
// deadline (asking for Done would build the channel to find out).
func (c *Ctx) DeadlineOnly() (time.Time, bool) { return time.Time{}, false }

// Cancel ends c with cause (context.Canceled if nil): Done is closed, and
// every watcher and AfterFunc registration runs, on this goroutine. Only
// the first call does anything.
func (c *Ctx) Cancel(cause error) {
	if cause == nil {
		cause = context.Canceled
	}
	c.mu.Lock()
	if c.over.Load() {
		c.mu.Unlock()
		return
	}
	c.cause = cause
	c.over.Store(true)
	if d := c.done.Load(); d != nil {
		close(d.(chan struct{}))
	}
	ws := c.w
	c.w = [2]Watcher{}
	more := c.more
	c.more = nil
	c.mu.Unlock()
	for _, w := range ws {
		if w != nil {
			w.SessionEnded()
		}
	}
	for _, h := range more {
		if h.w != nil {
			h.w.SessionEnded()
		} else {
			h.f()
		}
	}
}

// Watch registers w to be told when c ends. It reports false, registering
// nothing, when c has ended already.
func (c *Ctx) Watch(w Watcher) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.over.Load() {
		return false
	}
	for i := range c.w {
		if c.w[i] == nil {
			c.w[i] = w
			return true
		}
	}
	c.more = append(c.more, &hook{w: w})
	return true
}

// Unwatch removes a registration of w. It reports whether it did, that
// is whether w was registered and not told yet (false: Cancel took it,
// and SessionEnded may still be about to run).
func (c *Ctx) Unwatch(w Watcher) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.w {
		if c.w[i] == w {
			c.w[i] = nil
			return true
		}
	}
	for i, h := range c.more {
		if h.w == w {
			c.more = append(c.more[:i], c.more[i+1:]...)
			return true
		}
	}
	return false
}

// AfterFunc is the method the context package uses for contexts derived
// from c (context.WithCancel, WithDeadline, AfterFunc): f runs on the
// cancelling goroutine when c ends (the context package's own callbacks
// start a goroutine where they must). If c has ended, f runs now, on a
// goroutine of its own as context.AfterFunc would run it. stop removes the
// registration and reports whether it did so before f ran.
func (c *Ctx) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	if c.over.Load() {
		c.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	h := &hook{f: f}
	c.more = append(c.more, h)
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, m := range c.more {
			if m == h {
				c.more = append(c.more[:i], c.more[i+1:]...)
				return true
			}
		}
		return false
	}
}

// Cause is c's cause: Cause of a *Ctx (which context.Cause cannot see),
// else context.Cause.
func Cause(c context.Context) error {
	if s, ok := c.(*Ctx); ok {
		return s.Cause()
	}
	return context.Cause(c)
}

var _ context.Context = (*Ctx)(nil)
