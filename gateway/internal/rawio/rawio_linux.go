//go:build linux

package rawio

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Wrap returns c with raw-syscall Read and Write when c is a plain TCP
// connection, else c itself.
func Wrap(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	return &Conn{TCPConn: tc, rc: rc}
}

// Conn is a *net.TCPConn whose Read and Write use raw system calls.
type Conn struct {
	*net.TCPConn
	rc syscall.RawConn

	// A Read's state, for readFn (made on the first Read, once: a closure
	// per call would be an allocation per call; a connection that is only
	// read, as a WebSocket upgrade's before the hijack, never makes
	// writeFn). rmu keeps concurrent Reads apart, as the connection's own
	// read lock does.
	rmu    sync.Mutex
	rp     []byte
	rn     int
	rerr   error
	readFn func(uintptr) bool

	wmu        sync.Mutex
	wp, wq, wr []byte // wq, wr: WriteTwo's and WriteThree's further buffers
	wn         int
	werr       error
	writeFn    func(uintptr) bool
}

// Read implements net.Conn.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	if c.readFn == nil {
		c.readFn = c.read
	}
	c.rp, c.rn, c.rerr = p, 0, nil
	err := c.rc.Read(c.readFn)
	n, rerr := c.rn, c.rerr
	c.rp, c.rerr = nil, nil
	c.rmu.Unlock()
	if err == nil {
		err = rerr
	}
	if err != nil {
		return n, c.opError("read", err)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (c *Conn) read(fd uintptr) bool {
	for {
		n, e := Recv(int(fd), c.rp)
		switch e {
		case 0:
			c.rn = n
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false // the poller waits, then calls again
		default:
			c.rerr = os.NewSyscallError("read", e)
			return true
		}
	}
}

// Write implements net.Conn: all of p, or an error.
func (c *Conn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return c.writeAll(p, nil, nil)
}

// WriteTwo writes all of a and then all of b, as Write(a) and Write(b)
// would, but in one system call when the socket takes both (Send2).
func (c *Conn) WriteTwo(a, b []byte) (int, error) {
	if len(a) == 0 {
		return c.Write(b)
	}
	return c.writeAll(a, b, nil)
}

// WriteThree writes all of a, b and then d, as WriteTwo(a, b) and
// Write(d) would, but in one system call when the socket takes them all
// (Send3): a chunk's size line, data and CRLF.
func (c *Conn) WriteThree(a, b, d []byte) (int, error) {
	if len(a) == 0 {
		return c.WriteTwo(b, d)
	}
	return c.writeAll(a, b, d)
}

// writeAll writes a (not empty) and then b and d (maybe nil) on the
// poller.
func (c *Conn) writeAll(a, b, d []byte) (int, error) {
	c.wmu.Lock()
	if c.writeFn == nil {
		c.writeFn = c.write
	}
	c.wp, c.wq, c.wr, c.wn, c.werr = a, b, d, 0, nil
	err := c.rc.Write(c.writeFn)
	n, werr := c.wn, c.werr
	c.wp, c.wq, c.wr, c.werr = nil, nil, nil, nil
	c.wmu.Unlock()
	if err == nil {
		err = werr
	}
	if err != nil {
		return n, c.opError("write", err)
	}
	return n, nil
}

// write sends what is left of wp, wq and wr, as many of them as have
// bytes left in one call (sendmsg with two or three buffers, else one
// send).
func (c *Conn) write(fd uintptr) bool {
	for {
		var left [3][]byte
		k, skip := 0, c.wn
		for _, b := range [3][]byte{c.wp, c.wq, c.wr} {
			if skip >= len(b) {
				skip -= len(b)
				continue
			}
			left[k] = b[skip:]
			k, skip = k+1, 0
		}
		var n int
		var e unix.Errno
		switch k {
		case 0:
			return true
		case 1:
			n, e = Send(int(fd), left[0])
		case 2:
			n, e = Send2(int(fd), left[0], left[1])
		default:
			n, e = Send3(int(fd), left[0], left[1], left[2])
		}
		switch e {
		case 0:
			c.wn += n
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			c.werr = os.NewSyscallError("write", e)
			return true
		}
	}
}

// opError reports err as net.Conn's Read and Write do: an *net.OpError
// with the operation and addresses, net.ErrClosed for a closed
// connection, os.ErrDeadlineExceeded for a deadline.
func (c *Conn) opError(op string, err error) error {
	if oe, ok := err.(*net.OpError); ok { // from the RawConn: "raw-read", "raw-write"
		err = oe.Err
	}
	if err.Error() == net.ErrClosed.Error() {
		err = net.ErrClosed // the poller's own value, which net maps to this one
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
