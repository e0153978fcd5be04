//go:build linux

package evloop

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"tollgate/gateway/internal/rawio"
)

// Conn is a TCP connection on a loop (see the package's rules). It is a
// net.Conn; its reads and writes suspend its task instead of blocking.
type Conn struct {
	l    *Loop
	fd   int
	task *Task
	key  atomic.Uint64 // epoll data while registered (0: not registered)

	rev, wev atomic.Uint32 // readiness events seen, per direction
	rdl, wdl atomic.Int64  // deadlines, unix nanoseconds (0: none)
	waiter   atomic.Pointer[Task]
	closed   atomic.Bool
	// fdMu: Abort (any goroutine) shuts the socket down only while Close
	// has not closed its number, which a new connection may get at once.
	fdMu sync.Mutex
	// hup: an event said the peer closed or reset (EPOLLRDHUP, EPOLLHUP,
	// EPOLLERR). Edge-triggered, that news comes once, possibly with the
	// last data: from then on a short read no longer means that a read
	// would find nothing (the end of the stream or the error is still to
	// be read), so reads always make the system call.
	hup atomic.Bool

	// The task's own: the read sequence a short read saw (the socket was
	// drained then; until an event, the next read waits without a system
	// call).
	drained bool
	rseen   uint32
	// spill: bytes a ReadMore read past its buffer (the start of a
	// pipelined request, more of a streamed body), returned first by the
	// next read or Peek.
	spill    []byte
	spillBuf *[spillMax]byte // spill's room, made by the first ReadMore that needs it
	// rerr: a read error ReadAvailable met, for the next read to return.
	rerr error
	// rdOnly: registered (or to be registered) for reading only, as an
	// adopted socket is (Adopt); a wait for writing adds EPOLLOUT. The
	// task sets it before its first wait, the owner clears it (register).
	rdOnly bool
	// oneShot: registered with EPOLLONESHOT (an adopted socket): the
	// event that wakes its wait disarms the registration (armed false,
	// set by the owner as it takes the event), a later wait arms it again
	// (EPOLL_CTL_MOD), and Detach leaves a disarmed registration in the
	// loop's epoll instance, where it reports nothing more and goes with
	// the socket's close, instead of an EPOLL_CTL_DEL.
	oneShot bool
	armed   atomic.Bool

	peer         rawio.Peer // the peer's address, as accepted or dialed (Family 0: ask getpeername)
	laddr, raddr net.Addr
}

// Bind makes the task ctx carries the user of c (a pooled connection taken
// by another request of the same loop).
func (c *Conn) Bind(ctx context.Context) {
	if t := TaskFrom(ctx); t != nil {
		c.task = t
	}
}

// Loop is the loop c is registered with.
func (c *Conn) Loop() *Loop { return c.l }

// Adopt makes c (zero, or a Conn Detach or Close ended that no one uses
// any more) a Conn of fd, a connected non-blocking TCP socket the caller
// hands over, for the task t on t's loop: the WebSocket handshake's
// backend socket, dialed by gateway/wsproxy and read on the front loop
// until the session takes it (Detach). Its first wait registers it with
// the loop for reading only, edge-triggered: a socket just written to is
// writable at once, and an EPOLLOUT reported at the registration would
// have the loop poll once more for nothing; a wait for writing adds
// EPOLLOUT (an EPOLL_CTL_MOD). drained: the socket has nothing to read
// yet (a request has just gone out), so the first read waits before it
// reads, without a recvfrom that would find nothing. RemoteAddr and
// LocalAddr ask the kernel.
func (c *Conn) Adopt(t *Task, fd int, drained bool) {
	*c = Conn{l: t.l, fd: fd, task: t, rdOnly: true, oneShot: true, drained: drained}
}

// Read implements net.Conn.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.spill) > 0 {
		return c.takeSpill(p), nil
	}
	if err := c.rerr; err != nil {
		c.rerr = nil
		return 0, err
	}
	for {
		if c.closed.Load() {
			return 0, net.ErrClosed
		}
		seq := c.rev.Load()
		if !c.drained || c.rseen != seq || c.hup.Load() {
			n, e := rawio.Recv(c.fd, p)
			switch {
			case e == 0 && n > 0:
				c.drained = n < len(p)
				c.rseen = seq
				return n, nil
			case e == 0:
				return 0, io.EOF
			case e == unix.EINTR:
				continue
			case e != unix.EAGAIN:
				return 0, c.opError("read", e)
			}
		}
		if err := c.wait(dirRead, seq, 0); err != nil {
			return 0, err
		}
		c.drained = false
	}
}

// takeSpill copies what a ReadMore read ahead into p. The socket's state
// (drained or not) is the one the ReadMore saw.
func (c *Conn) takeSpill(p []byte) int {
	n := copy(p, c.spill)
	if c.spill = c.spill[n:]; len(c.spill) == 0 {
		c.spill = nil
	}
	return n
}

// spillMax is how many bytes ReadMore asks for past its buffer.
const spillMax = 256

// ReadMore is Read for a read of what the caller expects next and no more
// (a body's rest read straight into its destination: gateway/h1's of a
// request body, gateway/upstream's of an answer's). A read that fills its
// buffer cannot tell whether the socket has more, so Read leaves the
// socket undrained and the next read makes a system call to find out:
// after a body that was the peer's last bytes, a recvfrom that fails with
// EAGAIN before the task waits. ReadMore asks the socket for up to
// spillMax bytes more in the same call (recvmsg with two buffers, the
// second on the stack): short of both, the socket is drained. Bytes past
// p (the start of a pipelined request, the rest of a body streamed
// faster than it is read) are kept in c, in a buffer it makes once; the
// next read returns them first (ReadMore, then reading on into the rest
// of its buffer if the socket may have more; Read and Peek, alone).
// Detach refuses while it holds some.
func (c *Conn) ReadMore(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	if len(c.spill) > 0 {
		if n = c.takeSpill(p); n == len(p) {
			return n, nil
		}
	}
	if err := c.rerr; err != nil {
		if n > 0 {
			return n, nil
		}
		c.rerr = nil
		return 0, err
	}
	for {
		if c.closed.Load() {
			if n > 0 {
				return n, nil
			}
			return 0, net.ErrClosed
		}
		seq := c.rev.Load()
		if !c.drained || c.rseen != seq || c.hup.Load() {
			m, e := c.recvKeep(p[n:], seq)
			switch {
			case e == 0 && m > 0:
				return n + m, nil
			case e == 0:
				if n > 0 {
					return n, nil
				}
				return 0, io.EOF
			case e == unix.EINTR:
				continue
			case e != unix.EAGAIN:
				if n > 0 {
					return n, nil
				}
				return 0, c.opError("read", e)
			}
		}
		if n > 0 {
			return n, nil // what was kept: no wait for more
		}
		if err := c.wait(dirRead, seq, 0); err != nil {
			return 0, err
		}
		c.drained = false
	}
}

// recvKeep reads into q and up to spillMax bytes past it in one system
// call, keeping those past q for the next read; seq is the readiness it
// read at. m counts the bytes in q. With some read, the socket is known
// drained when the call came short of both buffers.
func (c *Conn) recvKeep(q []byte, seq uint32) (m int, e unix.Errno) {
	var tail [spillMax]byte
	m, e = rawio.Recv2(c.fd, q, tail[:])
	if e != 0 || m == 0 {
		return m, e
	}
	c.drained = m < len(q)+len(tail)
	c.rseen = seq
	if m > len(q) {
		if c.spillBuf == nil {
			c.spillBuf = new([spillMax]byte)
		}
		c.spill = c.spillBuf[:copy(c.spillBuf[:], tail[:m-len(q)])]
		m = len(q)
	}
	return m, 0
}

// ReadAvailable reads into p what the socket holds now (and what a
// ReadMore kept), never waiting: 0 when there is nothing. A socket known
// drained costs no system call; one found empty is known drained after,
// so the next read waits without one either. It takes up to spillMax
// bytes past p, as ReadMore does. The end of the stream is left for the
// next read to find, and a failure is kept for it: ReadAvailable itself
// reports neither. For a reader that has some bytes to hand on and would
// rather hand on more in the same piece (gateway/upstream's body after
// what its read buffer held), without waiting for a slow peer.
func (c *Conn) ReadAvailable(p []byte) int {
	if len(p) == 0 || c.closed.Load() || c.rerr != nil {
		return 0
	}
	n := 0
	if len(c.spill) > 0 {
		if n = c.takeSpill(p); n == len(p) {
			return n
		}
	}
	seq := c.rev.Load()
	if c.drained && c.rseen == seq && !c.hup.Load() {
		return n
	}
	m, e := c.recvKeep(p[n:], seq)
	switch {
	case e == 0 && m > 0:
		return n + m
	case e == unix.EAGAIN:
		c.drained, c.rseen = true, seq
	case e == 0 || e == unix.EINTR:
		// The end of the stream (the next read finds it again), or a
		// signal: nothing now.
	default:
		c.rerr = c.opError("read", e)
	}
	return n
}

// Write implements net.Conn.
func (c *Conn) Write(p []byte) (int, error) { return c.write(p, false) }

// ErrReadable: WriteUnlessReadable stopped because the peer sent
// something or closed.
var ErrReadable = errors.New("evloop: the peer sent data or closed before the write was taken")

// WriteUnlessReadable is Write, except that where the write would wait it
// stops with ErrReadable once the connection has something to read, data
// or its end: a backend that answers a request (or closes) before it has
// taken the whole body, as net/http's transport hears by reading while
// another goroutine writes.
func (c *Conn) WriteUnlessReadable(p []byte) (int, error) { return c.write(p, true) }

// write writes all of p, waiting where the socket takes no more: for it to
// take more, or (untilReadable) for either that or something to read,
// which ends the write with ErrReadable.
func (c *Conn) write(p []byte, untilReadable bool) (int, error) {
	done := 0
	for done < len(p) {
		if c.closed.Load() {
			return done, net.ErrClosed
		}
		rseq, wseq := c.rev.Load(), c.wev.Load()
		n, e := rawio.Send(c.fd, p[done:])
		switch {
		case e == 0:
			done += n
		case e == unix.EINTR:
		case e == unix.EAGAIN:
			dir := dirWrite
			if untilReadable {
				if c.readable() {
					return done, ErrReadable
				}
				dir |= dirRead
			}
			if err := c.wait(dir, rseq, wseq); err != nil {
				return done, err
			}
		default:
			return done, c.opError("write", e)
		}
	}
	return done, nil
}

// WriteTwo writes all of a and then all of b, as Write(a) and Write(b)
// would, but in one system call when the socket takes both (rawio.Send2).
// a must not be empty.
func (c *Conn) WriteTwo(a, b []byte) (int, error) {
	done := 0
	for len(a) > 0 {
		if c.closed.Load() {
			return done, net.ErrClosed
		}
		rseq, wseq := c.rev.Load(), c.wev.Load()
		n, e := rawio.Send2(c.fd, a, b)
		switch {
		case e == 0:
			done += n
			if n < len(a) {
				a = a[n:]
			} else {
				b, a = b[n-len(a):], nil
			}
		case e == unix.EINTR:
		case e == unix.EAGAIN:
			if err := c.wait(dirWrite, rseq, wseq); err != nil {
				return done, err
			}
		default:
			return done, c.opError("write", e)
		}
	}
	if len(b) == 0 {
		return done, nil
	}
	n, err := c.write(b, false)
	return done + n, err
}

// WriteThree writes all of a, b and then d, as WriteTwo(a, b) and Write(d)
// would, but in one system call when the socket takes them all
// (rawio.Send3). a and b must not be empty.
func (c *Conn) WriteThree(a, b, d []byte) (int, error) {
	done := 0
	for len(a) > 0 {
		if c.closed.Load() {
			return done, net.ErrClosed
		}
		rseq, wseq := c.rev.Load(), c.wev.Load()
		n, e := rawio.Send3(c.fd, a, b, d)
		switch {
		case e == 0:
			done += n
			if n < len(a) {
				a = a[n:]
				break
			}
			n -= len(a)
			a = nil
			if n >= len(b) {
				d = d[n-len(b):]
				n, err := c.write(d, false)
				return done + n, err
			}
			n, err := c.WriteTwo(b[n:], d)
			return done + n, err
		case e == unix.EINTR:
		case e == unix.EAGAIN:
			if err := c.wait(dirWrite, rseq, wseq); err != nil {
				return done, err
			}
		default:
			return done, c.opError("write", e)
		}
	}
	return done, nil
}

// readable reports whether a read would not wait: data, the end of the
// stream, or an error (a recvfrom with MSG_PEEK).
func (c *Conn) readable() bool {
	var b [1]byte
	_, err := c.Peek(b[:])
	return err != unix.EAGAIN && err != unix.EINTR
}

// Peek copies what the connection has to read into p without taking it
// and without waiting: 0 and nil at the end of the stream, EAGAIN when
// there is nothing yet.
func (c *Conn) Peek(p []byte) (int, error) {
	if len(c.spill) > 0 {
		return copy(p, c.spill), nil
	}
	n, _, err := unix.Recvfrom(c.fd, p, unix.MSG_PEEK|unix.MSG_DONTWAIT)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// wait suspends c's task until c is ready in dir (a read event newer than
// rseq, a write event newer than wseq), its deadline passes (the write
// deadline when dir has dirWrite) or it is closed.
func (c *Conn) wait(dir uint8, rseq, wseq uint32) error {
	t := c.task
	if t == nil {
		return errNoTask
	}
	dl := c.rdl.Load()
	if dir&dirWrite != 0 {
		dl = c.wdl.Load()
	}
	if dl != 0 && dl <= t.l.now.Load() { // the loop's clock: one read per poll, not one per wait
		return os.ErrDeadlineExceeded
	}
	t.wc, t.wdir, t.rseq, t.wseq, t.wdl = c, dir, rseq, wseq, dl
	t.suspend()
	t.wc = nil
	switch t.reason {
	case wokeReady:
		return nil
	case wokeTimeout:
		return os.ErrDeadlineExceeded
	case wokeMisuse:
		return errMisuse
	}
	return net.ErrClosed
}

// errSpill: Detach of a connection holding bytes a ReadMore read ahead,
// which the descriptor's new owner would not see. gateway/h1 never
// detaches one: its next read after a ReadMore is its read buffer's,
// which takes them all.
var errSpill = errors.New("evloop: the connection holds bytes read ahead")

// errNoTask: a Conn read or written outside any task.
var errNoTask = errors.New("evloop: connection used outside its task")

func (c *Conn) opError(op string, e syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError(op, e)}
}

// Close implements net.Conn. It closes the descriptor at once, so it is
// for c's task, or for a connection no task uses (an idle one in a pool):
// another goroutine ending a connection a task may be using calls Abort.
// A task waiting on c wakes with net.ErrClosed.
func (c *Conn) Close() error {
	c.fdMu.Lock()
	if c.closed.Swap(true) {
		c.fdMu.Unlock()
		return nil
	}
	key := c.key.Load()
	_ = rawio.Close(c.fd) // leaves the epoll instance with it
	c.fdMu.Unlock()
	if key != 0 {
		c.l.slots.release(key)
	}
	if c.waiter.Load() != nil {
		c.l.post(post{kind: postClosed, c: c})
	}
	return nil
}

// Abort ends c from any goroutine while its task may be using it: the
// socket is shut down both ways, so a task waiting on it wakes (the
// shutdown is an event) and its reads and writes fail or end, but the
// descriptor stays open until the task closes c. Closing it here could
// let a connection accepted meanwhile get the same number under the task,
// which would then read and write another client's connection.
func (c *Conn) Abort() error {
	c.fdMu.Lock()
	defer c.fdMu.Unlock()
	if c.closed.Load() {
		return nil
	}
	return rawio.Err(rawio.Shutdown(c.fd, unix.SHUT_RDWR))
}

// CloseWrite shuts the sending side down (a half-close).
func (c *Conn) CloseWrite() error {
	if c.closed.Load() {
		return net.ErrClosed
	}
	return rawio.Err(rawio.Shutdown(c.fd, unix.SHUT_WR))
}

// Detach takes c's descriptor out of the loop and hands it to the caller,
// who owns it from now on; c is closed without closing it. It must be
// called by c's task.
func (c *Conn) Detach() (int, error) {
	c.fdMu.Lock()
	defer c.fdMu.Unlock() // an Abort after this finds c closed: the descriptor is the caller's now
	if len(c.spill) > 0 {
		return -1, errSpill
	}
	if c.closed.Swap(true) {
		return -1, net.ErrClosed
	}
	if key := c.key.Load(); key != 0 {
		if !c.oneShot || c.armed.Load() {
			_ = rawio.EpollCtl(c.l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
		}
		c.l.slots.release(key)
	}
	return c.fd, nil
}

// Alive reports whether an idle connection is still open and has nothing
// unasked to read (a backend connection taken from a pool): one recvfrom
// with MSG_PEEK.
func (c *Conn) Alive() bool {
	return !c.closed.Load() && !c.readable() // not EOF, data nobody asked for, or an error
}

// LocalAddr implements net.Conn.
func (c *Conn) LocalAddr() net.Addr {
	if c.laddr == nil {
		sa, err := unix.Getsockname(c.fd)
		if err != nil {
			return &net.TCPAddr{}
		}
		c.laddr = tcpAddr(sa)
	}
	return c.laddr
}

// RemoteAddr implements net.Conn.
func (c *Conn) RemoteAddr() net.Addr {
	if c.raddr == nil {
		sa := c.peer.Sockaddr()
		if sa == nil {
			var err error
			if sa, err = unix.Getpeername(c.fd); err != nil {
				return &net.TCPAddr{}
			}
		}
		c.raddr = tcpAddr(sa)
	}
	return c.raddr
}

// RemoteAddrString is RemoteAddr().String() made straight from the
// peer's socket address, without the *net.TCPAddr and its IP (what a front
// server keeps of a connection: h1 asks for it when a connection has it).
// An address with an IPv6 zone goes the long way.
func (c *Conn) RemoteAddrString() string {
	if c.raddr == nil {
		switch a := &c.peer; a.Family {
		case unix.AF_INET:
			return addrPortString(netip.AddrFrom4([4]byte(a.IP[:4])), int(a.Port))
		case unix.AF_INET6:
			if a.Zone == 0 {
				return addrPortString(netip.AddrFrom16(a.IP).Unmap(), int(a.Port)) // net.IP prints a v4-mapped address as IPv4
			}
		}
	}
	return c.RemoteAddr().String()
}

// addrPortString is net.TCPAddr's String of ip and port, in one
// allocation.
func addrPortString(ip netip.Addr, port int) string {
	var buf [64]byte
	return string(netip.AddrPortFrom(ip, uint16(port)).AppendTo(buf[:0]))
}

func tcpAddr(sa unix.Sockaddr) *net.TCPAddr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: append(net.IP(nil), a.Addr[:]...), Port: a.Port}
	case *unix.SockaddrInet6:
		ip := append(net.IP(nil), a.Addr[:]...)
		zone := ""
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				zone = ifi.Name
			}
		}
		return &net.TCPAddr{IP: ip, Port: a.Port, Zone: zone}
	}
	return &net.TCPAddr{}
}

// SetDeadline implements net.Conn.
func (c *Conn) SetDeadline(t time.Time) error {
	_ = c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// SetReadDeadline implements net.Conn; from another goroutine, it also
// moves the deadline of a read waiting now.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.setDeadline(&c.rdl, t) }

// SetWriteDeadline implements net.Conn (as SetReadDeadline).
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.setDeadline(&c.wdl, t) }

func (c *Conn) setDeadline(d *atomic.Int64, t time.Time) error {
	if c.closed.Load() {
		return net.ErrClosed
	}
	var v int64
	if !t.IsZero() {
		v = deadlineOf(t)
	}
	d.Store(v)
	if c.waiter.Load() != nil {
		c.l.post(post{kind: postDeadline, c: c})
	}
	return nil
}

// errNotLiteral: Dial takes an IP address and port, not a name.
var errNotLiteral = errors.New("evloop: not an IP address and port")

// IsNotLiteral reports whether Dial failed because addr needs resolving.
func IsNotLiteral(err error) bool { return errors.Is(err, errNotLiteral) }

// Dial connects to addr (an IP address and port) from the task ctx
// carries, with a non-blocking connect its task waits for (until timeout,
// ctx's deadline or ctx's end); the connection is registered with the
// task's loop. keepAlive > 0 turns TCP keep-alive on with that idle time
// (as net.Dialer's KeepAlive).
func Dial(ctx context.Context, addr string, timeout, keepAlive time.Duration) (*Conn, error) {
	t := TaskFrom(ctx)
	if t == nil {
		return nil, errNoTask
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, errNotLiteral
	}
	ip := ap.Addr().Unmap()
	var zone uint32
	if z := ip.Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			zone = uint32(ifi.Index)
		}
	}
	var ra rawio.Addr // connect's
	family := ra.Set(ap, zone)
	peer := rawio.Peer{Family: uint16(family), Port: ap.Port()} // RemoteAddr's
	if family == unix.AF_INET {
		a4 := ip.As4()
		copy(peer.IP[:4], a4[:])
	} else {
		peer.Zone, peer.IP = zone, ip.As16()
	}
	fd, e := rawio.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if e != 0 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(ap), Err: os.NewSyscallError("socket", e)}
	}
	_ = rawio.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if keepAlive > 0 {
		_ = rawio.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
		secs := int(max(keepAlive/time.Second, 1))
		_ = rawio.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, secs)
		_ = rawio.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, secs)
	}
	c := &Conn{l: t.l, fd: fd, task: t, peer: peer}
	fail := func(err error) (*Conn, error) {
		_ = c.Close()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(ap), Err: err}
	}
	switch e := ra.Start(fd); e { // a loopback connect is usually done here
	case 0:
		return c, nil
	case unix.EINPROGRESS, unix.EINTR:
	default:
		return fail(os.NewSyscallError("connect", e))
	}
	if dl, ok := ctx.Deadline(); ok && (timeout <= 0 || time.Until(dl) < timeout) {
		timeout = time.Until(dl)
	}
	if timeout > 0 {
		dl := nanotime() + int64(timeout)
		if dl < 0 { // overflowed: as good as never
			dl = math.MaxInt64
		}
		c.wdl.Store(dl)
	}
	// ctx's end stops the wait too (a shutdown cancelling a dial).
	stop := context.AfterFunc(ctx, func() { _ = c.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	for {
		seq := c.wev.Load()
		if err := c.wait(dirWrite, 0, seq); err != nil {
			if err := ctx.Err(); err != nil {
				return fail(err)
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fail(errDialTimeout)
			}
			return fail(err)
		}
		soerr, e := rawio.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if e != 0 {
			return fail(os.NewSyscallError("getsockopt", e))
		}
		switch syscall.Errno(soerr) {
		case 0, syscall.EISCONN:
			c.wdl.Store(0)
			return c, nil
		case syscall.EINPROGRESS, syscall.EALREADY, syscall.EINTR:
			continue
		default:
			return fail(os.NewSyscallError("connect", syscall.Errno(soerr)))
		}
	}
}

// errDialTimeout is a dial that did not complete in time: a net.Error
// whose Timeout is true, as net.Dialer's.
var errDialTimeout error = dialTimeout{}

type dialTimeout struct{}

func (dialTimeout) Error() string   { return "i/o timeout" }
func (dialTimeout) Timeout() bool   { return true }
func (dialTimeout) Temporary() bool { return true }
func (dialTimeout) Is(err error) bool {
	return err == os.ErrDeadlineExceeded || err == context.DeadlineExceeded
}
