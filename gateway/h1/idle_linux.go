//go:build linux

package h1

import (
	"net"
	"syscall"
	"unsafe"
)

// idleWait waits, with no buffer at all, until a kept-alive connection has
// something to read: a one-byte MSG_PEEK that finds nothing, then Go's
// poller (honouring the read deadline). The read through the connection's
// buffer that follows is the read a buffered wait would have made, so an
// idle wait costs the same system calls as before (a read that finds
// nothing, a read that finds the request) and holds no memory. fn is made
// once per connection, so a wait allocates nothing.
type idleWait struct {
	rc     syscall.RawConn
	one    [1]byte
	parked bool
	fn     func(fd uintptr) bool
}

// newIdleWaiter is c's buffer-free idle wait: plain TCP only (a TLS
// connection's bytes are records, read through its own buffers).
func newIdleWaiter(c net.Conn) *idleWait {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &idleWait{rc: rc}
	w.fn = func(fd uintptr) bool {
		if w.parked {
			return true // woken: readable (or closed, or an error, which the next read reports)
		}
		for {
			_, _, e := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&w.one[0])), 1,
				syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				w.parked = true
				return false // nothing yet: park until readable
			}
			return true // a byte, the end of the connection, or an error
		}
	}
	return w
}

func (w *idleWait) wait() error {
	w.parked = false
	return w.rc.Read(w.fn)
}
