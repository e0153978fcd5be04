//go:build !linux

package h1

import (
	"errors"
	"net"
)

// idleWait: no buffer-free idle wait here; waitIdle peeks through the read
// buffer.
type idleWait struct{}

func newIdleWaiter(net.Conn) *idleWait { return nil }

func (*idleWait) wait() error { return errors.ErrUnsupported }
