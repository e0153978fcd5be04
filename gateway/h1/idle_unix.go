//go:build unix

package h1

import (
	"net"
	"syscall"
)

// newIdleReader is c's buffer-free idle read: plain TCP only (a TLS
// connection's bytes are records, not requests).
func newIdleReader(c net.Conn) *idleRead {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return newIdleRead(rc)
}

// idleRead is the read waitIdle makes with no buffer of the connection's
// own: into buf, parking in Go's poller (and honouring the read deadline)
// until something arrives. It is the same read, and the same wait, as a
// read through the buffer would make. fn is made once per connection, so
// a wait allocates nothing.
type idleRead struct {
	rc  syscall.RawConn
	buf []byte
	n   int
	err error
	fn  func(fd uintptr) bool
}

func newIdleRead(rc syscall.RawConn) *idleRead {
	r := &idleRead{rc: rc}
	r.fn = func(fd uintptr) bool {
		for {
			r.n, r.err = syscall.Read(int(fd), r.buf)
			switch r.err {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait for readability, then read again
			}
			return true
		}
	}
	return r
}

// read returns how many bytes arrived in buf (0 at the end of the
// connection).
func (r *idleRead) read(buf []byte) (int, error) {
	r.buf = buf
	err := r.rc.Read(r.fn)
	r.buf = nil
	if err != nil {
		return 0, err
	}
	if r.err != nil {
		return 0, r.err
	}
	return max(r.n, 0), nil
}
