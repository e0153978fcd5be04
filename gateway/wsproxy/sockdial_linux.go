//go:build linux

package wsproxy

// The direct dial on Linux: a backend connection opened on a raw socket
// instead of net.Dialer (see "Handshake cost" in docs/websocket-data-path.md).

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"tollgate/gateway/internal/evloop"
	"tollgate/gateway/internal/rawio"
	"tollgate/gateway/internal/sessctx"
)

// dialDirect connects to host:port (addr is the two joined) the way a
// net.Dialer with KeepAlive -1 would, with fewer system calls: socket
// (non-blocking, close-on-exec), TCP_NODELAY, connect; the socket is then
// registered with Go's poller through an os.File to wait for the connect
// and carry the handshake's I/O, and the connect's outcome is read with a
// second connect (EISCONN or 0: connected, EALREADY: still in progress, or
// the failure), not with getsockopt(SO_ERROR) plus getpeername; no
// getsockname or getpeername for addresses nobody reads. A host that is not
// a literal IP address (or has a zone) goes to fallback, which resolves it.
func dialDirect(ctx context.Context, fallback func(context.Context, string, string) (net.Conn, error), host, addr string) (net.Conn, error) {
	c, _, err := dialDirectHead(ctx, fallback, host, addr, nil)
	return c, err
}

// dialDirectHead is dialDirect that also sends head, the first bytes of
// the connection (the backend handshake's request head), when that tells
// it the connect's outcome: it returns how much of head went out (0: none,
// the caller writes it). A socket that will be relayed raw is connected
// with one connect, and head is sent at once: on loopback the TCP
// handshake has completed when connect returns (EINPROGRESS), so the
// send goes out; a send that fails with the connect's error (refused,
// unreachable) is that error, worded as the connect's; a send that would
// block (SYN_SENT: a remote backend) is followed by a second connect that
// reads the outcome, and a connect still in progress waits as before. The
// second connect of rawio.Addr.Start is then one system call fewer per
// handshake when the connect completed at once.
func dialDirectHead(ctx context.Context, fallback func(context.Context, string, string) (net.Conn, error), host, addr string, head []byte) (net.Conn, int, error) {
	ap, ok := parseDirectAddr(host, addr)
	if !ok {
		c, err := fallback(ctx, "tcp", addr)
		return c, 0, err
	}
	return dialDirectAt(ctx, ap, head, nil)
}

// OnLoop reports whether d can read a backend's 101 on a front event
// loop's task (DialCheckedOn): it dials plain ws backends itself (a
// direct dialer) on a platform with event loops.
func (d *Dialer) OnLoop() bool { return d.direct && eventLoopAvailable() == nil }

// parseDirectAddr is host's literal IP address (without a zone) and
// addr's port; ok false for anything else (a host name).
func parseDirectAddr(host, addr string) (ap netip.AddrPort, ok bool) {
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return ap, false
	}
	_, ps, _ := net.SplitHostPort(addr)
	port, err := strconv.ParseUint(ps, 10, 16)
	if err != nil {
		return ap, false
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), true
}

// dialDirect is dialDirectHead for d, whose last address (addr as the
// backend URL gives it) is kept parsed: a gateway dials the same few
// backends over and over, and parsing the address and its port was about
// 0.6k instructions per handshake. A different address is parsed, and
// kept in its place (one allocation). t: the front event loop's task
// the handshake runs in, if it runs on its loop (see dialDirectAt); a dial
// that must wait elsewhere releases it.
func (d *Dialer) dialDirect(ctx context.Context, host, addr string, head []byte, t *evloop.Task) (net.Conn, int, error) {
	da := d.lastAddr.Load()
	if da == nil || da.addr != addr || da.host != host {
		ap, ok := parseDirectAddr(host, addr)
		da = &directAddr{host: host, addr: addr, ap: ap, ok: ok}
		d.lastAddr.Store(da)
	}
	if !da.ok {
		if t != nil {
			t.Release() // the resolver, and Go's poller, may wait
		}
		c, err := d.dialContext(ctx, "tcp", addr)
		return c, 0, err
	}
	return dialDirectAt(ctx, da.ap, head, t)
}

// dialDirectAt is dialDirectHead to ap. With t (the front event loop's
// task the handshake runs in, still on its loop), a socket whose connect
// completed at once and that took the whole head stays with t's loop for
// the handshake (onFrontLoop): its 101 is read by suspending t, with no
// goroutine, channel or relay loop in between. Anything else (a connect
// that has to wait, a head the socket did not take whole, a handshake
// context that is not the gateway's lazy one on its session) releases t
// and goes on as before.
func dialDirectAt(ctx context.Context, ap netip.AddrPort, head []byte, t *evloop.Task) (net.Conn, int, error) {
	fail := func(err error) (net.Conn, int, error) {
		return nil, 0, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(ap), Err: err}
	}
	if err := ctx.Err(); err != nil {
		return fail(mapCtxErr(err))
	}
	var sa rawio.Addr
	family := sa.Set(ap, 0)
	fd, e := rawio.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if e != 0 {
		return fail(os.NewSyscallError("socket", e))
	}
	if e := rawio.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); e != 0 {
		_ = rawio.Close(fd)
		return fail(os.NewSyscallError("setsockopt", e))
	}
	raw := fd < maxLoopFD && eventLoopAvailable() == nil
	connected, sent, connects := false, 0, uint8(1)
	// A local backend is usually connected here: no wait's deadline timer
	// or context hook.
	if raw && len(head) > 0 {
		e = sa.Connect(fd)
		if e == unix.EINPROGRESS {
			n, se := rawio.Send(fd, head)
			switch se {
			case 0:
				e, sent = 0, n
			case unix.EAGAIN: // still connecting: ask as Start does
				connects++
				switch e2 := sa.Connect(fd); e2 {
				case 0, unix.EISCONN:
					e = 0
				case unix.EALREADY, unix.EINPROGRESS, unix.EINTR:
				default:
					e = e2
				}
			default:
				e = se // the connect's failure, which the send reported
			}
		}
	} else {
		e = sa.Start(fd)
		connects = 2 // (or 1: not counted where no test looks)
	}
	err := rawio.Err(e)
	switch err {
	case nil:
		connected = true
	case unix.EINPROGRESS, unix.EINTR:
	default:
		_ = rawio.Close(fd)
		return fail(os.NewSyscallError("connect", err))
	}
	if connected && raw {
		// The handshake's I/O is made on the raw socket, waiting (if it
		// must) on the front loop's epoll (onFrontLoop) or on the relay's
		// event loop's epoll, which the relay then keeps.
		c := &sockConn{fd: fd, raddr: ap, hs: ctx, connects: connects}
		if t != nil {
			if sent < len(head) || !c.onFrontLoop(t) {
				t.Release()
			}
		}
		return c, sent, nil
	}
	if t != nil {
		t.Release() // the connect's wait is Go's poller's
	}
	f := os.NewFile(uintptr(fd), "") // non-blocking: registered with Go's poller
	c := &sockConn{f: f, fd: fd, raddr: ap}
	c.once.Do(func() {}) // f is its file already
	if connected {
		return c, 0, nil
	}
	// Wait for the connect, bounded as net.Dialer bounds it: by ctx, and
	// by the dial timeout tollgate's net.Dialer has (30 s).
	dl := time.Now().Add(directDialTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	_ = f.SetWriteDeadline(dl)
	stop := context.AfterFunc(ctx, func() { _ = f.SetWriteDeadline(time.Unix(1, 0)) })
	rc, err := f.SyscallConn()
	var cerr error
	if err == nil {
		err = rc.Write(func(fd uintptr) bool {
			switch e := sa.Connect(int(fd)); e {
			case 0, unix.EISCONN:
				return true
			case unix.EALREADY, unix.EINPROGRESS, unix.EINTR:
				return false
			default:
				cerr = e
				return true
			}
		})
	}
	stop()
	_ = f.SetWriteDeadline(time.Time{})
	if err == nil && cerr != nil {
		err = os.NewSyscallError("connect", cerr)
	}
	if err != nil {
		_ = f.Close()
		// As net.Dialer: ctx's end if it is over (errTimeout or
		// errCanceled), else the poller's os.ErrDeadlineExceeded (the
		// deadline taken from ctx can fire a hair before ctx's own timer).
		if cx := ctx.Err(); cx != nil {
			err = mapCtxErr(cx)
		}
		return fail(err)
	}
	return c, 0, nil
}

// errCanceled is net's error for a dial whose context was cancelled: its
// text, and errors.Is(err, context.Canceled).
var errCanceled error = canceledError{}

type canceledError struct{}

func (canceledError) Error() string        { return "operation was canceled" }
func (canceledError) Is(target error) bool { return target == context.Canceled }

// errTimeout is net's error for a dial that timed out: "i/o timeout", a
// net.Error whose Timeout is true, and errors.Is(err,
// context.DeadlineExceeded).
var errTimeout error = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string        { return "i/o timeout" }
func (timeoutError) Timeout() bool        { return true }
func (timeoutError) Temporary() bool      { return true }
func (timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// mapCtxErr words a context's end as net.Dialer does: errTimeout for a
// deadline, errCanceled for a cancellation.
func mapCtxErr(err error) error {
	switch err {
	case context.DeadlineExceeded:
		return errTimeout
	case context.Canceled:
		return errCanceled
	}
	return err
}

// sockConn is a backend connection opened by dialDirect, with net's error
// wording (*net.OpError holding an *os.SyscallError; net.ErrClosed once
// closed).
//
// A socket whose connect completed at once starts raw: while the handshake
// runs (hs set), Read and Write are made on the non-blocking socket
// itself, and a read or write that would block waits for the socket on an
// event loop's epoll (registered edge-triggered, the loop wakes the
// goroutine through wake), or for hs to end. Dial clears hs when the
// handshake succeeded; EventLoop.Start then takes the socket as it is,
// registration included (no dup, no close, no re-registration). Anything
// else (the goroutine relay, a deadline) moves it to Go's poller first
// through an os.File (file). A socket whose connect had to wait is in
// Go's poller from the start.
type sockConn struct {
	fd    int
	raddr netip.AddrPort // (a *net.TCPAddr is built when asked for)

	hs   context.Context // the handshake's, while raw I/O may wait
	p    *poller         // the poller it is registered with for waits (nil: none)
	w    *loopSide       // its entry there (&wl)
	wl   loopSide        // the entry, allocated with c
	wait *hsWait         // what the waits wait with, from hsWaitPool (nil: none yet, or given back)

	readFirst  bool  // the next raw read waits first (awaitRead)
	fullRead   bool  // the last raw read filled its buffer: the socket may hold more
	emptyReads uint8 // raw reads that found nothing (tests)
	connects   uint8 // connect calls the dial made (tests)
	detached   bool  // handed to the event loop, which closes it
	// The front loop's (onFrontLoop): while front is set, the handshake's
	// reads are lc's, which suspend the front loop's task; sess is the
	// session context watched for its end (over then, and lc aborted).
	// (The flags together: the sockConn fits the 512-byte size class.)
	front bool
	over  atomic.Bool
	sess  *sessctx.Ctx
	lc    evloop.Conn

	once sync.Once
	f    *os.File // Go's poller (set by once)

	ws Conn // the Conn Dial wraps it in (see connRoom)
}

// onFrontLoop puts c's handshake on the front event loop of the task t,
// which must be running on its loop: c's socket becomes a Conn of that
// loop (lc, registered for reading at its first wait), its 101 is read
// by suspending t, the handshake's deadline is lc's read deadline (a
// timer of the loop), and the session's end aborts lc (SessionEnded).
// It reports false, changing nothing, when t has left its loop, or when
// the handshake's context is not a lazily built deadline on the gateway's
// session context (anything else would have to be watched through its
// Done channel, by a goroutine): the caller releases t then.
func (c *sockConn) onFrontLoop(t *evloop.Task) bool {
	ld, ok := c.hs.(lazyDeadline)
	if !ok || ld.Built() != nil || t.Released() {
		return false
	}
	sess, ok := ld.Parent().(*sessctx.Ctx)
	if !ok {
		return false
	}
	c.lc.Adopt(t, c.fd, true) // the head has just gone out: nothing to read yet
	if dl, _ := ld.Deadline(); !dl.IsZero() {
		_ = c.lc.SetReadDeadline(dl)
	}
	if !sess.Watch(c) { // (after Adopt: SessionEnded aborts lc)
		c.lc = evloop.Conn{} // never registered: nothing to undo
		return false         // the session is over already: the old path words it
	}
	c.front, c.sess = true, sess
	return true
}

// SessionEnded implements sessctx.Watcher for a handshake on the front
// loop: the session ended (Shutdown), so its wait ends, as the deadline
// would end it. lc is aborted (shut down, which wakes its wait: a
// deadline set from here could be missed by a wait being registered just
// then); the read then reports os.ErrDeadlineExceeded, as hsWait's does.
func (c *sockConn) SessionEnded() {
	c.over.Store(true)
	_ = c.lc.Abort()
}

// unwatchSession ends a front loop handshake's watch of its session.
func (c *sockConn) unwatchSession() {
	if c.sess != nil {
		c.sess.Unwatch(c)
		c.sess = nil
	}
}

// frontReadHook, when set (tests), runs before each read of a handshake
// on the front loop, on the loop.
var frontReadHook func()

// frontRead is Read for a handshake on the front loop.
func (c *sockConn) frontRead(b []byte) (int, error) {
	if frontReadHook != nil {
		frontReadHook()
	}
	n, err := c.lc.Read(b)
	if err = c.frontErr("read", err); err != nil {
		return 0, err
	}
	return n, nil
}

// frontWrite is Write for a handshake on the front loop.
func (c *sockConn) frontWrite(b []byte) (int, error) {
	n, err := c.lc.Write(b)
	return n, c.frontErr("write", err)
}

// frontErr is the error of a read or write on lc (op), worded as c's
// own (its remote address alone): a deadline exceeded once the session
// ended (SessionEnded), whatever lc said.
func (c *sockConn) frontErr(op string, err error) error {
	if c.over.Load() {
		return c.opErr(op, os.ErrDeadlineExceeded)
	}
	if err == nil {
		return nil
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	return c.opErr(op, err)
}

// leaveFrontLoop takes c's socket off the front loop (lc gives it up, with
// an EPOLL_CTL_DEL if a wait registered it) for the relay or Go's poller.
func (c *sockConn) leaveFrontLoop() error {
	if !c.front {
		return nil
	}
	c.front = false
	c.unwatchSession()
	fd, err := c.lc.Detach()
	if err != nil {
		return err
	}
	c.fd = fd
	return nil
}

func (c *sockConn) wsConn() *Conn { return &c.ws }

// handOver gives the event loop c's socket, if it is still raw: its
// descriptor, the poller it is registered with (nil if none), and its
// wait entry there when that registration is the session's own (w: level
// triggered, for readEvents, as a handshake that only waited for its 101
// left it), which the session then keeps: no epoll_ctl MOD per session.
// A last read that filled its buffer is noted on w (seenEvent), since
// what the socket still holds will not be reported again (see
// loopSession.startHere). Start calls it on the goroutine that dialed,
// before anyone else uses c.
func (c *sockConn) handOver() (fd int, p *poller, w *loopSide, ok bool) {
	if c.hs != nil || c.f != nil || c.detached {
		return -1, nil, nil, false
	}
	if c.leaveFrontLoop() != nil {
		return -1, nil, nil, false
	}
	c.detached = true
	fd, p = c.fd, c.p
	if c.w != nil && c.w.events == readEvents {
		w = c.w
		if c.fullRead {
			w.seen.Or(seenEvent)
		}
	}
	c.p, c.w = nil, nil // the session's side replaces the waiter's entry
	return fd, p, w, true
}

// file moves c to Go's poller, once.
func (c *sockConn) file() *os.File {
	c.once.Do(func() {
		if c.hs != nil {
			c.endHandshake() // from now on deadlines bound the I/O
		}
		_ = c.leaveFrontLoop() // (lc closed: the descriptor is c's again)
		c.unwait(true)
		c.f = os.NewFile(uintptr(c.fd), "")
	})
	return c.f
}

// hsWait is what a raw socket's handshake waits with: the channel the
// event loop wakes it through (edge-triggered readiness), and for a
// handshake context that builds its channel only when asked (a
// lazyctx.Ctx), the timer of its deadline and the watch of the gateway's
// session context, both of which set over and wake the wait the same way.
// Pooled: a handshake takes one when its first wait registers the socket
// and gives it back when the handshake ends, unless the timer fired or
// the session told it (those may still be about to touch it). A wakeup
// that comes after it went back to the pool (the loop found the socket
// ready just then) only makes the next user try its read or write once
// more, which any wakeup may.
type hsWait struct {
	wake  chan struct{}
	timer *time.Timer  // runs expire; made once, re-armed per handshake
	sess  *sessctx.Ctx // the session context watched (nil: none)
	armed bool         // timer (and sess) set for the current handshake
	over  atomic.Bool  // the deadline passed, or the session ended
}

var hsWaitPool = sync.Pool{New: func() any { return &hsWait{wake: make(chan struct{}, 1)} }}

// expire is the timer's: the handshake's deadline passed.
func (w *hsWait) expire() {
	w.over.Store(true)
	w.signal()
}

// SessionEnded implements sessctx.Watcher.
func (w *hsWait) SessionEnded() { w.expire() }

func (w *hsWait) signal() {
	select {
	case w.wake <- struct{}{}:
	default: // a wakeup is pending already
	}
}

// arm starts the deadline's timer (d from now) and the session's watch.
func (w *hsWait) arm(d time.Duration, sess *sessctx.Ctx) {
	w.armed = true
	if w.timer == nil {
		w.timer = time.AfterFunc(d, w.expire)
	} else {
		w.timer.Reset(d)
	}
	if sess != nil {
		if sess.Watch(w) {
			w.sess = sess
		} else {
			w.over.Store(true) // over already
		}
	}
}

// release stops w's timer and watch and gives w back to the pool if
// neither can still reach it.
func (w *hsWait) release() {
	if w.armed {
		stopped := w.timer.Stop()
		if w.sess != nil && !w.sess.Unwatch(w) {
			stopped = false
		}
		if !stopped {
			return // fired (or firing): left to the collector
		}
		w.armed, w.sess = false, nil
		w.over.Store(false)
	}
	select {
	case <-w.wake: // a wakeup nobody took
	default:
	}
	hsWaitPool.Put(w)
}

// waitLoop waits until the socket may have become readable (events
// waitRead) or writable (waitWrite), or the handshake's ctx ends
// (os.ErrDeadlineExceeded: Dial words it). The socket is registered for
// what its waits have needed so far: a socket registered for writing too
// while its handshake waits for the backend's 101 is writable at once,
// and the loop woke the handshake for nothing (a read that found nothing,
// and the loop's own wake-up and epoll_wait, per handshake). A first wait
// for reading registers it as the session will poll it (readEvents,
// level-triggered), so that Start keeps that registration; the loop then
// reports it on each of its epoll_waits until the 101 is read, which only
// wakes this wait again (a level-triggered socket left ready does not wake
// the loop itself). A wait for writing makes the registration
// edge-triggered (see waitRead), and so does a poller that reported many
// waits again lately (see poller.settleWaits).
func (c *sockConn) waitLoop(events uint32) error {
	if c.p == nil {
		p := pickPoller()
		if c.wait == nil {
			c.wait = hsWaitPool.Get().(*hsWait)
		}
		w := &c.wl
		*w = loopSide{fd: int32(c.fd), wake: c.wait.wake}
		reg := events
		if events == waitRead && !p.etWaits.Load() {
			reg = readEvents
		}
		if err := p.registerWaiter(w, reg); err != nil {
			return err
		}
		c.p, c.w = p, w
	} else if events&(unix.EPOLLIN|unix.EPOLLOUT)&^c.w.events != 0 {
		if err := c.p.modifyWaiter(c.w, events|unix.EPOLLET); err != nil {
			return err
		}
	}
	hw := c.wait
	if ld, ok := c.hs.(lazyDeadline); ok && ld.Built() == nil {
		// The handshake's context has no channel yet (a lazyctx.Ctx): the
		// wait watches its deadline with a timer, stopped when the
		// handshake ends, that wakes the wait as the poller does, instead
		// of having it build a timer context, its channel and its
		// registration with the parent; and the parent, when it is the
		// gateway's session context, through the session's watchers
		// (without its Done channel), else through its Done.
		sess, _ := ld.Parent().(*sessctx.Ctx)
		if !hw.armed {
			dl, _ := ld.Deadline()
			hw.arm(time.Until(dl), sess)
		}
		if hw.over.Load() {
			return os.ErrDeadlineExceeded
		}
		if sess != nil {
			<-hw.wake
		} else {
			select {
			case <-hw.wake:
			case <-ld.Parent().Done():
				return os.ErrDeadlineExceeded
			}
		}
		if hw.over.Load() {
			return os.ErrDeadlineExceeded
		}
		return nil
	}
	select {
	case <-hw.wake:
		return nil
	case <-c.hs.Done():
		return os.ErrDeadlineExceeded
	}
}

// lazyDeadline is a handshake context that builds its channel (and the
// timer behind it) only when asked, as lazyctx.Ctx does: Built is nil
// until then, and its Done is its parent's Done or its deadline.
type lazyDeadline interface {
	context.Context
	Parent() context.Context
	Built() context.Context
}

// endHandshake drops hs: the handshake is over (done, moved to Go's
// poller, or closed), and so are its waits.
func (c *sockConn) endHandshake() {
	c.hs = nil
	c.releaseWait()
	if c.front {
		c.unwatchSession()
		_ = c.lc.SetReadDeadline(time.Time{})
	}
}

// releaseWait gives the handshake's wait back (its timer stopped).
func (c *sockConn) releaseWait() {
	if c.wait != nil {
		c.wait.release()
		c.wait = nil
	}
}

// unwait takes c's socket off the poller it waited on; del: with an
// EPOLL_CTL_DEL (the socket stays open).
func (c *sockConn) unwait(del bool) {
	if c.p == nil {
		return
	}
	if c.p.sides.get(c.fd) == c.w {
		c.p.sides.set(c.fd, nil)
	}
	if del {
		_ = epollCtl(c.p.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	}
	c.p, c.w = nil, nil
}

// ctxBound implements ctxBound: raw I/O waits on hs.
func (c *sockConn) ctxBound() bool { return c.hs != nil }

// handshakeDone implements ctxBound: the handshake succeeded, hs no longer
// bounds anything.
func (c *sockConn) handshakeDone() { c.endHandshake() }

// awaitRead implements ctxBound: the next read waits first, when the
// registration its wait makes (or extends) reports the socket's readiness
// as it is (a socket registered for reading already waits for a change).
// The backend's 101 is never there right after the request went out: the
// read that found nothing, before the socket was registered, was one
// system call per handshake.
func (c *sockConn) awaitRead() {
	if c.front {
		return // lc knows it (Adopt)
	}
	c.readFirst = c.w == nil || c.w.events&unix.EPOLLIN == 0
}

func (c *sockConn) Read(b []byte) (int, error) {
	if c.hs == nil {
		n, err := c.file().Read(b)
		if err != nil {
			err = c.opErr("read", err)
		}
		return n, err
	}
	if c.detached {
		return 0, c.opErr("read", net.ErrClosed)
	}
	if len(b) == 0 {
		return 0, nil
	}
	if c.front {
		return c.frontRead(b)
	}
	if c.readFirst {
		c.readFirst = false
		if err := c.waitLoop(waitRead); err != nil {
			return 0, c.opErr("read", err)
		}
	}
	for {
		if c.w != nil {
			c.w.seen.And(^seenEvent) // what the loop reports from now on is after this read
		}
		n, err := sysRead(c.fd, b)
		c.fullRead = n == len(b)
		switch {
		case err == nil && n > 0:
			return n, nil
		case err == nil:
			return 0, io.EOF
		case err == unix.EAGAIN:
			c.emptyReads++
			if err := c.waitLoop(waitRead); err != nil {
				return 0, c.opErr("read", err)
			}
		default:
			return 0, c.opErr("read", err)
		}
	}
}

func (c *sockConn) Write(b []byte) (int, error) {
	if c.hs == nil {
		n, err := c.file().Write(b)
		if err != nil {
			err = c.opErr("write", err)
		}
		return n, err
	}
	if c.detached {
		return 0, c.opErr("write", net.ErrClosed)
	}
	if c.front {
		return c.frontWrite(b)
	}
	total := 0
	for total < len(b) {
		n, err := rawWrite(c.fd, b[total:])
		if n > 0 {
			total += n
		}
		switch err {
		case nil, unix.EINTR:
		case unix.EAGAIN:
			if err := c.waitLoop(waitWrite); err != nil {
				return total, c.opErr("write", err)
			}
		default:
			return total, c.opErr("write", err)
		}
	}
	return total, nil
}

func (c *sockConn) opErr(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, os.ErrClosed):
		err = net.ErrClosed
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = os.ErrDeadlineExceeded
	default:
		var errno unix.Errno
		if errors.As(err, &errno) {
			err = os.NewSyscallError(op, errno)
		}
	}
	return &net.OpError{Op: op, Net: "tcp", Addr: net.TCPAddrFromAddrPort(c.raddr), Err: err}
}

func (c *sockConn) Close() error {
	switch {
	case c.detached:
		return nil
	case c.hs != nil:
		c.detached = true // closed: nothing more to hand over
		c.unwait(false)   // close takes it out of the epoll set
		c.releaseWait()   // (hs stays: I/O after Close is net.ErrClosed, not Go's poller's)
		if c.front {
			c.front = false
			c.unwatchSession()
			return c.lc.Close() // the descriptor, its slot on the loop
		}
		if e := rawio.Close(c.fd); e != 0 {
			return c.opErr("close", e)
		}
		return nil
	}
	if err := c.file().Close(); err != nil {
		return c.opErr("close", err)
	}
	return nil
}

// LocalAddr asks the kernel (nothing on the handshake's path reads it).
func (c *sockConn) LocalAddr() net.Addr {
	sa, _ := unix.Getsockname(c.fd)
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: sa.Addr[:], Port: sa.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: sa.Addr[:], Port: sa.Port}
	}
	return nil
}

func (c *sockConn) RemoteAddr() net.Addr               { return net.TCPAddrFromAddrPort(c.raddr) }
func (c *sockConn) SetDeadline(t time.Time) error      { return c.file().SetDeadline(t) }
func (c *sockConn) SetReadDeadline(t time.Time) error  { return c.file().SetReadDeadline(t) }
func (c *sockConn) SetWriteDeadline(t time.Time) error { return c.file().SetWriteDeadline(t) }

// SyscallConn moves c to Go's poller and returns its RawConn.
func (c *sockConn) SyscallConn() (syscall.RawConn, error) {
	return c.file().SyscallConn()
}
