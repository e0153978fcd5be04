//go:build !unix

package h1

import (
	"errors"
	"net"
)

// idleRead: no buffer-free idle wait here; waitIdle peeks through the read
// buffer.
type idleRead struct{}

func newIdleReader(net.Conn) *idleRead { return nil }

func (*idleRead) read([]byte) (int, error) { return 0, errors.ErrUnsupported }
