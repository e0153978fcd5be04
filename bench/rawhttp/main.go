//go:build linux

// Command rawhttp is a design probe, not a gateway: the smallest HTTP/1.1
// reverse proxy Go can be on an epoll event loop, to measure how far from
// nginx the goroutine-per-connection model leaves tollgate's REST path and
// what an event-loop path could reach before any policy runs. It answers
// the question bench/rawrelay answered for WebSockets.
//
// One event loop per core (GOMAXPROCS), each a goroutine locked to its
// thread, blocking in epoll_wait like an nginx worker, with its own
// SO_REUSEPORT listening socket (the kernel spreads connections), its own
// pool of keep-alive backend connections, and raw read and write system
// calls. A request's head is parsed just enough to frame it (request line,
// Content-Length, Connection) and sent on as it came, followed by its body;
// the backend's answer (Content-Length framing only) is relayed to the client
// as it arrives, one read to one write, with back-pressure both ways. No
// routing, policy, header rewriting, metrics, limits or timeouts: what is
// left is the floor of the architecture. Chunked messages are refused
// (501, 502): the benchmark's backend does not send them.
//
// With -goroutines it is the same proxy on tollgate's goroutine-per-
// connection pieces instead (goroutines.go).
//
// Both run as informational columns of the REST scenarios with
// `bench-run -probe` ("rawhttp", "rawhttp-goroutines").
//
//	rawhttp -listen 127.0.0.1:8083 -backend 127.0.0.1:9002 [-goroutines]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8083", "address (IPv4)")
	backend := flag.String("backend", "127.0.0.1:9002", "backend host:port (IPv4)")
	goroutines := flag.Bool("goroutines", false, "serve with tollgate's h1 server and upstream client (a goroutine per connection) instead of event loops")
	loops := flag.Bool("loops", false, "serve with tollgate's h1 server on its event loops (h1.Server.EventLoop) and upstream client")
	flag.Parse()
	if *goroutines || *loops {
		fail(serveGoroutines(*listen, *backend, *loops))
	}
	la, err := sockaddr(*listen)
	if err != nil {
		fail(err)
	}
	ba, err := sockaddr(*backend)
	if err != nil {
		fail(err)
	}
	n := runtime.GOMAXPROCS(0)
	errs := make(chan error, n)
	for range n {
		l, err := newLoop(la, ba)
		if err != nil {
			fail(err)
		}
		go func() { errs <- l.run() }()
	}
	fail(<-errs)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rawhttp:", err)
	os.Exit(1)
}

func sockaddr(hostport string) (*unix.SockaddrInet4, error) {
	a, err := net.ResolveTCPAddr("tcp4", hostport)
	if err != nil {
		return nil, err
	}
	sa := &unix.SockaddrInet4{Port: a.Port}
	copy(sa.Addr[:], a.IP.To4())
	return sa, nil
}

// conn is one socket: a client's or a backend's.
type conn struct {
	fd      int
	backend bool
	peer    *conn  // during an exchange: the other side
	in      []byte // bytes read and not yet used (a client's next request head)
	out     []byte // bytes to write that the socket did not take yet
	paused  bool   // reading stopped until peer.out drains (back-pressure)
	readable,
	writable bool
	// client: bytes of the request body still to send; backend: bytes of
	// the answer still to relay (-1: head not read yet).
	left  int
	close bool // the client asked for the connection's end
	dead  bool
}

type loop struct {
	epfd, lfd int
	backend   *unix.SockaddrInet4
	conns     map[int]*conn
	idle      []*conn // keep-alive backend connections
	buf       []byte
	events    []unix.EpollEvent
}

func newLoop(la, ba *unix.SockaddrInet4) (*loop, error) {
	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	_ = unix.SetsockoptInt(lfd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if err := unix.SetsockoptInt(lfd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return nil, err
	}
	if err := unix.Bind(lfd, la); err != nil {
		return nil, err
	}
	if err := unix.Listen(lfd, 4096); err != nil {
		return nil, err
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, lfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(lfd)}); err != nil {
		return nil, err
	}
	return &loop{epfd: epfd, lfd: lfd, backend: ba, conns: map[int]*conn{},
		buf: make([]byte, 64<<10), events: make([]unix.EpollEvent, 256)}, nil
}

func (l *loop) run() error {
	runtime.LockOSThread()
	for {
		n, err := unix.EpollWait(l.epfd, l.events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		for _, ev := range l.events[:n] {
			fd := int(ev.Fd)
			if fd == l.lfd {
				l.accept()
				continue
			}
			c := l.conns[fd]
			if c == nil || c.dead {
				continue
			}
			if ev.Events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) != 0 {
				c.writable = true
				l.flush(c)
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLERR|unix.EPOLLHUP) != 0 {
				c.readable = true
			}
			if c.readable && !c.paused && !c.dead {
				l.input(c)
			}
		}
	}
}

func (l *loop) accept() {
	for {
		fd, _, err := unix.Accept4(l.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != nil {
			return // EAGAIN, or a failure the next event retries
		}
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		l.add(&conn{fd: fd, left: 0})
	}
}

func (l *loop) add(c *conn) {
	l.conns[c.fd] = c
	c.writable = true
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(c.fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
		l.kill(c)
	}
}

func (l *loop) kill(c *conn) {
	if c.dead {
		return
	}
	c.dead = true
	delete(l.conns, c.fd)
	_ = unix.Close(c.fd)
	if p := c.peer; p != nil {
		c.peer, p.peer = nil, nil
		l.kill(p) // an exchange cut in the middle ends both sides
	}
}

// input reads what c has and acts on it, until the socket is drained or
// reading has to pause.
func (l *loop) input(c *conn) {
	for c.readable && !c.paused && !c.dead {
		n, err := rawRead(c.fd, l.buf)
		if err == unix.EAGAIN {
			c.readable = false
			return
		}
		if err != nil || n == 0 {
			l.kill(c)
			return
		}
		if c.backend {
			l.fromBackend(c, l.buf[:n])
		} else {
			l.fromClient(c, l.buf[:n])
		}
	}
}

// fromClient: a request head (buffered until whole) or body bytes.
func (l *loop) fromClient(c *conn, b []byte) {
	if c.peer != nil && c.left > 0 { // body bytes of the request in flight
		k := min(len(b), c.left)
		c.left -= k
		l.send(c.peer, c, b[:k])
		b = b[k:]
	}
	if len(b) > 0 {
		c.in = append(c.in, b...)
	}
	l.nextRequest(c)
}

// nextRequest starts the exchange of the request at the front of c.in,
// when it is whole and none is in flight.
func (l *loop) nextRequest(c *conn) {
	if c.peer != nil || c.dead || len(c.in) == 0 {
		return
	}
	end := bytes.Index(c.in, []byte("\r\n\r\n"))
	if end < 0 {
		if len(c.in) > 64<<10 {
			l.kill(c)
		}
		return
	}
	head := c.in[:end+4]
	length, closeConn, chunked, ok := frameHead(head)
	if !ok || chunked {
		l.answer(c, "HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		return
	}
	b := l.backendConn()
	if b == nil {
		l.answer(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		return
	}
	c.peer, b.peer = b, c
	c.close = closeConn
	b.left = -1
	body := c.in[end+4:]
	k := min(len(body), length)
	c.left = length - k
	l.send(b, c, c.in[:end+4+k]) // the head as it came, and what of the body is here
	rest := copy(c.in, c.in[end+4+k:])
	c.in = c.in[:rest]
}

// fromBackend: the answer's head, then its body, relayed as read.
func (l *loop) fromBackend(b *conn, p []byte) {
	c := b.peer
	if c == nil {
		l.kill(b) // bytes nobody asked for
		return
	}
	if b.left < 0 {
		b.in = append(b.in, p...)
		end := bytes.Index(b.in, []byte("\r\n\r\n"))
		if end < 0 {
			return
		}
		length, closeConn, chunked, ok := frameHead(b.in[:end+4])
		if !ok || chunked {
			l.kill(b)
			return
		}
		if closeConn {
			c.close = true
		}
		p = b.in
		b.left = end + 4 + length
		b.in = b.in[:0]
	}
	k := min(len(p), b.left)
	b.left -= k
	l.send(c, b, p[:k])
	if b.left == 0 {
		l.done(c, b)
	}
}

// done ends an exchange: the backend connection goes back to the pool, and
// the client's next request (pipelined) starts.
func (l *loop) done(c, b *conn) {
	c.peer, b.peer = nil, nil
	if c.close {
		if len(c.out) == 0 {
			l.kill(c)
		}
	}
	if len(b.out) == 0 && !b.dead {
		b.left, b.paused = 0, false
		l.idle = append(l.idle, b)
	} else {
		l.kill(b)
	}
	if !c.dead && !c.close {
		c.paused = false
		l.nextRequest(c)
		if c.readable && !c.paused {
			l.input(c)
		}
	}
}

func (l *loop) backendConn() *conn {
	for len(l.idle) > 0 {
		b := l.idle[len(l.idle)-1]
		l.idle = l.idle[:len(l.idle)-1]
		if !b.dead {
			return b
		}
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if err := unix.Connect(fd, l.backend); err != nil && err != unix.EINPROGRESS {
		_ = unix.Close(fd)
		return nil
	}
	b := &conn{fd: fd, backend: true}
	l.add(b)
	b.writable = false // until the connect completes (EPOLLOUT)
	return b
}

// send writes p to dst for src, queueing what dst does not take and
// pausing src until it drains.
func (l *loop) send(dst, src *conn, p []byte) {
	if dst.dead {
		return
	}
	if len(dst.out) == 0 && dst.writable {
		n, err := rawWrite(dst.fd, p)
		if err != nil && err != unix.EAGAIN {
			l.kill(dst)
			return
		}
		if n > 0 {
			p = p[n:]
		}
		if len(p) == 0 {
			return
		}
		dst.writable = false
	}
	dst.out = append(dst.out, p...)
	if src != nil {
		src.paused = true
	}
}

// flush writes what dst has queued and resumes its peer's reading.
func (l *loop) flush(dst *conn) {
	for len(dst.out) > 0 {
		n, err := rawWrite(dst.fd, dst.out)
		if err == unix.EAGAIN {
			dst.writable = false
			return
		}
		if err != nil {
			l.kill(dst)
			return
		}
		rest := copy(dst.out, dst.out[n:])
		dst.out = dst.out[:rest]
	}
	if !dst.backend && dst.close && dst.peer == nil {
		l.kill(dst)
		return
	}
	if p := dst.peer; p != nil && p.paused {
		p.paused = false
		if p.readable {
			l.input(p)
		}
	}
}

func (l *loop) answer(c *conn, s string) {
	c.close = true
	l.send(c, nil, []byte(s))
	if len(c.out) == 0 {
		l.kill(c)
	}
}

// frameHead reads what framing needs from a head: Content-Length, whether
// the connection ends after it, whether the body is chunked.
func frameHead(head []byte) (length int, closeConn, chunked, ok bool) {
	first := true
	for len(head) > 0 {
		i := bytes.Index(head, []byte("\r\n"))
		if i < 0 {
			break
		}
		line := head[:i]
		head = head[i+2:]
		if first {
			first = false
			closeConn = bytes.HasSuffix(line, []byte("HTTP/1.0"))
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		name, v := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.Atoi(string(v))
			if err != nil || n < 0 {
				return 0, false, false, false
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = true
		case bytes.EqualFold(name, []byte("Connection")):
			closeConn = bytes.EqualFold(v, []byte("close"))
		}
	}
	return length, closeConn, chunked, true
}

func rawRead(fd int, b []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func rawWrite(fd int, b []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
