//go:build !linux

package evloop

import (
	"context"
	"errors"
	"net"
	"time"
)

// Available reports whether event loops run on this platform.
func Available() bool { return false }

// Release does nothing where there are no event loops.
func Release(context.Context) {}

// Group is a set of event loops (none on this platform).
type Group struct{}

// CloseListeners does nothing.
func (*Group) CloseListeners() {}

// Stop does nothing.
func (*Group) Stop() {}

// Task is a coroutine on a loop (none on this platform).
type Task struct{}

// Loop is an event loop (none on this platform).
type Loop struct{}

// Conn is a connection on a loop (none on this platform).
type Conn struct{ net.Conn }

// TaskFrom returns nil: there are no tasks on this platform.
func TaskFrom(context.Context) *Task { return nil }

// Loop returns nil.
func (*Task) Loop() *Loop { return nil }

// Release does nothing.
func (*Task) Release() {}

// Forced returns 0.
func (*Task) Forced() int { return 0 }

// Bind does nothing.
func (*Conn) Bind(context.Context) {}

// Alive reports true.
func (*Conn) Alive() bool { return true }

// Dial fails: there are no loops on this platform.
func Dial(context.Context, string, time.Duration, time.Duration) (*Conn, error) {
	return nil, errors.ErrUnsupported
}

// ErrReadable is never returned on this platform.
var ErrReadable = errors.New("evloop: the peer sent data or closed before the write was taken")

// WriteUnlessReadable is Write.
func (c *Conn) WriteUnlessReadable(p []byte) (int, error) { return c.Write(p) }

// Peek is not supported on this platform.
func (c *Conn) Peek([]byte) (int, error) { return 0, errors.ErrUnsupported }

// IsNotLiteral reports false.
func IsNotLiteral(error) bool { return false }

// ReadMore is Read: there is no loop to keep bytes past p for.
func (c *Conn) ReadMore(p []byte) (int, error) { return c.Read(p) }

// ReadAvailable returns 0: there is no readiness to read by without
// waiting on this platform.
func (c *Conn) ReadAvailable([]byte) int { return 0 }
