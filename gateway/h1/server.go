package h1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"tollgate/gateway/internal/evloop"
	"tollgate/gateway/internal/rawio"
	"tollgate/gateway/internal/wire"
	"tollgate/internal/monoclock"
)

// Server serves HTTP/1.1 (and 1.0) on accepted connections with its own
// request parser, one goroutine per connection (or, with EventLoop, a
// coroutine on an epoll event loop: loop.go), and no goroutine or channel
// between the connection and the handler. Over TLS, connections that
// negotiate h2 by ALPN are handed to a net/http server running the same
// handler, so HTTP/2 keeps working; with H2C, so are cleartext
// connections that open with the HTTP/2 preface (h2c with prior knowledge).
//
// It implements the parts of net/http's server contract the gateway uses:
// http.Request and http.ResponseWriter with Flusher, Hijacker and the
// http.ResponseController deadlines; 1xx responses, trailers, 100-continue,
// keep-alive and pipelined requests (answered in order), graceful Shutdown.
// What it does not do, on purpose: h2c by Upgrade (RFC 7540 3.2, gone from
// RFC 9113), CONNECT, and
// cancelling a request's context: it is context.Background() (on an event
// loop, a context carrying the connection's task: evloop.TaskFrom), so that a
// backend call under it can be bounded by its own deadline alone, which
// the backend client sets on the connection instead of watching a context
// (gateway/upstream: a timer and about ten allocations less per request).
// Backend calls and policies end at their own deadlines; a handler that
// starts work outliving the request must give it a context of its own.
type Server struct {
	Handler http.Handler
	// ReadHeaderTimeout bounds reading a request head (default 10s);
	// IdleTimeout the wait for the next request on a kept-alive
	// connection (default 2m); MaxHeaderBytes the head's size (default
	// 1 MiB, as net/http).
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// WriteTimeout bounds each write to the client (default 30s; negative:
	// none): a client that stops reading its answer ends its connection
	// then, instead of holding a goroutine and a backend connection for as
	// long as it likes. It is a progress deadline, renewed for every write,
	// so a long stream to a client that keeps reading is never cut.
	WriteTimeout time.Duration
	// TLSConfig, when set, makes Serve speak TLS on every connection.
	TLSConfig *tls.Config
	ErrorLog  *log.Logger
	// EventLoop serves cleartext connections on epoll event loops (Linux;
	// see loop.go) instead of a goroutine each. TLS listeners and other
	// platforms are served by goroutines whatever it says.
	EventLoop bool
	// Loops is the number of event loops (0: GOMAXPROCS, at most 8).
	Loops int
	// H2C serves cleartext connections that start with the HTTP/2
	// connection preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n": h2c with
	// prior knowledge, what gRPC clients send without TLS) with the
	// net/http server that serves TLS h2, handing the connection over
	// (off its event loop) once the whole preface has arrived within
	// ReadHeaderTimeout.
	H2C bool
	// Noted names request fields whose presence the server notes while
	// it parses each head, so that the handler can learn which of them
	// came (Noted) without looking them up in the header map.
	// Nil: the Handler's NotedFields, when it has that method
	// (gateway.Server's: the trace-token fields).
	Noted *FieldSet

	noted       *FieldSet // Noted, or the Handler's: fixed by the first Serve
	mu          sync.Mutex
	listeners   []net.Listener
	conns       map[*conn]struct{}
	shutdown    atomic.Bool
	noKeepAlive atomic.Bool
	h2          *http.Server
	h2ln        *connListener

	// Connection goroutines are reused (see worker): handoff passes an
	// accepted connection to an idle one, quit ends the idle ones.
	handoff     chan job
	quit        chan struct{}
	idleWorkers atomic.Int32

	// The event loops (loop.go), made by the first Serve that uses them.
	loops     *evloop.Group
	loopsDone chan struct{} // closed when Shutdown or Close has stopped them
}

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = http.ErrServerClosed

const (
	defaultReadHeaderTimeout = 10 * time.Second
	defaultIdleTimeout       = 2 * time.Minute
	defaultMaxHeaderBytes    = 1 << 20
	defaultWriteTimeout      = 30 * time.Second
	// maxDrain is how much of a body the handler did not read the server
	// reads to keep the connection (as net/http's 256 KiB).
	maxDrain = 256 << 10
	// lingerTimeout bounds reading what a client still sends after the
	// server decided to close, so that the close does not reset the
	// response away (RFC 9112 §9.6).
	lingerTimeout = 500 * time.Millisecond
)

func (s *Server) readHeaderTimeout() time.Duration {
	if s.ReadHeaderTimeout > 0 {
		return s.ReadHeaderTimeout
	}
	return defaultReadHeaderTimeout
}

func (s *Server) idleTimeout() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return defaultIdleTimeout
}

func (s *Server) writeTimeout() time.Duration {
	switch {
	case s.WriteTimeout > 0:
		return s.WriteTimeout
	case s.WriteTimeout < 0:
		return 0
	}
	return defaultWriteTimeout
}

func (s *Server) maxHeaderBytes() int {
	if s.MaxHeaderBytes > 0 {
		return s.MaxHeaderBytes
	}
	return defaultMaxHeaderBytes
}

func (s *Server) draining() bool { return s.shutdown.Load() || s.noKeepAlive.Load() }

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
	} else {
		log.Printf(format, args...)
	}
}

// Serve accepts connections on ln until it fails or the server shuts down.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.shutdown.Load() {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if s.conns == nil {
		s.conns = map[*conn]struct{}{}
		s.handoff = make(chan job)
		s.quit = make(chan struct{})
	}
	if s.noted == nil {
		s.noted = s.Noted
		if n, ok := s.Handler.(interface{ NotedFields() *FieldSet }); ok && s.noted == nil {
			s.noted = n.NotedFields()
		}
	}
	s.listeners = append(s.listeners, ln)
	if s.H2C && s.TLSConfig == nil {
		s.startH2(ln.Addr(), nil)
	}
	if s.EventLoop && s.TLSConfig == nil && evloop.Available() {
		if fd, ok := loopListener(ln); ok {
			return s.serveLoop(fd) // unlocks s.mu
		}
	}
	var tlsConf *tls.Config
	if s.TLSConfig != nil {
		tlsConf = s.TLSConfig.Clone()
		if len(tlsConf.NextProtos) == 0 {
			tlsConf.NextProtos = []string{"h2", "http/1.1"}
		}
		// Always ready for h2: a GetConfigForClient may offer it to
		// clients that speak nothing else (gRPC's).
		s.startH2(ln.Addr(), tlsConf)
	}
	s.mu.Unlock()

	var delay time.Duration
	for {
		rw, err := ln.Accept()
		if err != nil {
			if s.shutdown.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
				errors.Is(err, syscall.ECONNABORTED) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logf("h1: accept error: %v; retrying in %v", err, delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		if s.shutdown.Load() {
			_ = rw.Close()
			return ErrServerClosed
		}
		s.dispatch(job{rw, tlsConf}) // the worker tracks it (serveJob)
	}
}

// startH2 starts, once, the net/http server that serves the connections
// handed to it: TLS ones that negotiated h2, and (H2C) cleartext ones that
// sent the HTTP/2 preface. It serves HTTP/2 only. Called with s.mu held.
func (s *Server) startH2(addr net.Addr, tlsConf *tls.Config) {
	if s.h2 != nil {
		return
	}
	p := new(http.Protocols)
	p.SetHTTP2(true)
	p.SetUnencryptedHTTP2(s.H2C)
	if tlsConf != nil {
		// Its own copy: net/http adds "h2" to its NextProtos while the
		// listener's handshakes read the one they share.
		tlsConf = tlsConf.Clone()
	}
	s.h2ln = newConnListener(addr)
	s.h2 = &http.Server{Handler: s.Handler, TLSConfig: tlsConf, ReadHeaderTimeout: s.readHeaderTimeout(),
		IdleTimeout: s.idleTimeout(), MaxHeaderBytes: s.maxHeaderBytes(), ErrorLog: s.ErrorLog, Protocols: p}
	if s.noKeepAlive.Load() {
		s.h2.SetKeepAlivesEnabled(false)
	}
	h2, ln := s.h2, s.h2ln
	go func() { _ = h2.Serve(ln) }()
}

// h2Preface opens every HTTP/2 connection (RFC 9113 3.4).
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// isH2C reads as much of a new cleartext connection as it takes to tell
// whether it opens with the HTTP/2 preface: it stops at the first byte
// that differs (an HTTP/1 request is never held up, however short), and
// waits for the rest of a preface only until the deadline the caller set
// (ReadHeaderTimeout from the first byte, not renewed per byte). ok is
// false when the connection failed or went silent on the way.
func (c *conn) isH2C() (h2c, ok bool) {
	for n := 1; ; n++ {
		b, err := c.br.Peek(n)
		if len(b) > 0 && b[len(b)-1] != h2Preface[len(b)-1] {
			return false, true
		}
		if err != nil {
			return false, false
		}
		if n == len(h2Preface) {
			return true, true
		}
	}
}

// handH2C hands the connection, the bytes read so far included, to the
// HTTP/2 server: off its event loop first (leaveLoop), as a goroutine's
// connection of Go's poller. It reports whether the HTTP/2 server took it.
func (c *conn) handH2C() bool {
	s := c.srv
	if !c.leaveLoop() {
		return false
	}
	read, _ := c.br.Peek(c.br.Buffered())
	pc := &prefixConn{Conn: c.rwc, pre: append([]byte(nil), read...)}
	_ = c.rwc.SetDeadline(time.Time{})
	s.untrack(c)
	if !s.h2ln.hand(pc) {
		return false
	}
	c.hijacked, c.rawHijack = true, true // the h2 server owns it; the buffers go back
	return true
}

// prefixConn is a connection whose first reads return pre: what the h1
// server read before it handed the connection over.
type prefixConn struct {
	net.Conn
	pre []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// CloseWrite keeps the half-close of a TCP connection (net/http lingers).
func (p *prefixConn) CloseWrite() error {
	if cw, ok := p.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return p.Conn.Close()
}

// job is an accepted connection for a worker.
type job struct {
	rw  net.Conn
	tls *tls.Config
}

const (
	// maxIdleWorkers bounds the goroutines kept waiting for a connection,
	// workerIdle how long each waits.
	maxIdleWorkers = 128
	workerIdle     = 10 * time.Second
)

// dispatch gives c to an idle worker, or to a new one.
func (s *Server) dispatch(j job) {
	select {
	case s.handoff <- j:
	default:
		go s.worker(j)
	}
}

// worker serves connections one after another. A goroutine starts with a
// 2 KiB stack, and serving a request through the gateway's handler (routing,
// the policy engine, the backend call) grows it by copying, several times;
// for a WebSocket handshake, which is a connection's whole life on this
// server, that was 8% of the gateway's CPU per handshake. A worker that
// waits for the next connection instead of exiting keeps the stack it grew
// (until the garbage collector shrinks an idle one). At most maxIdleWorkers
// wait, each for workerIdle, so a burst of connections leaves no crowd of
// goroutines behind.
func (s *Server) worker(j job) {
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	var c *conn
	for {
		c = s.serveJob(c, j)
		j = job{}
		if s.shutdown.Load() {
			return
		}
		if s.idleWorkers.Add(1) > maxIdleWorkers {
			s.idleWorkers.Add(-1)
			return
		}
		if t == nil {
			t = time.NewTimer(workerIdle)
		} else {
			t.Reset(workerIdle)
		}
		select {
		case j = <-s.handoff:
			s.idleWorkers.Add(-1)
		case <-t.C:
			s.idleWorkers.Add(-1)
			return
		case <-s.quit:
			s.idleWorkers.Add(-1)
			return
		}
	}
}

// serveJob serves j's connection with c (a new conn when c is nil) and
// returns the conn for the worker's next connection, cleared, or nil when
// it cannot be reused: a Hijack's reader reads through it (connReader).
// As on the event loops (serveLoopConn), a worker serves one connection
// at a time, serve has untracked it by the time it returns, and a writer
// or body kept past its request refuses every use (response.ended). It is
// tracked here, not in the accept loop: a connection accepted while the
// server shuts down is closed here if Shutdown or Close came first.
func (s *Server) serveJob(c *conn, j job) *conn {
	if c == nil {
		c = new(conn)
	}
	c.srv, c.rwc = s, j.rw
	if !s.track(c) {
		_ = j.rw.Close()
		*c = conn{}
		return c
	}
	c.serve(j.tls)
	if c.hijacked && !c.rawHijack {
		return nil
	}
	*c = conn{hdr: c.hdr} // the empty header map serves the worker's next connection (ReuseHeader)
	return c
}

// stopWorkers ends the idle workers (once).
func (s *Server) stopWorkers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quit != nil {
		select {
		case <-s.quit:
		default:
			close(s.quit)
		}
	}
}

func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown.Load() {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// SetKeepAlivesEnabled(false) ends every connection after its current
// request and closes the idle ones (as net/http's).
func (s *Server) SetKeepAlivesEnabled(v bool) {
	s.noKeepAlive.Store(!v)
	if !v {
		s.closeIdle()
	}
	s.mu.Lock()
	h2 := s.h2
	s.mu.Unlock()
	if h2 != nil {
		h2.SetKeepAlivesEnabled(v)
	}
}

// closeIdle closes the connections waiting for a request and reports
// whether none is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosing) {
			abort(c.rwc)
			delete(s.conns, c)
		}
	}
	return len(s.conns) == 0
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ln := range s.listeners {
		_ = ln.Close()
	}
	s.listeners = nil
	if s.loops != nil {
		s.loops.CloseListeners()
	}
	if s.h2ln != nil {
		_ = s.h2ln.Close()
	}
}

// Shutdown stops accepting, closes idle connections, and waits for active
// requests to finish (their connections then close) or ctx to end.
// Hijacked connections (WebSocket sessions) are the caller's.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdown.Store(true)
	s.closeListeners()
	s.stopWorkers()
	s.mu.Lock()
	h2 := s.h2
	s.mu.Unlock()
	var h2err error
	var wg sync.WaitGroup
	if h2 != nil {
		wg.Go(func() { h2err = h2.Shutdown(ctx) })
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	var err error
	for !s.closeIdle() {
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-t.C:
			continue
		}
		break
	}
	wg.Wait()
	if err == nil {
		err = h2err
	}
	s.stopLoops()
	return err
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.shutdown.Store(true)
	s.closeListeners()
	s.stopWorkers()
	s.mu.Lock()
	for c := range s.conns {
		abort(c.rwc)
	}
	clear(s.conns)
	h2 := s.h2
	s.mu.Unlock()
	s.stopLoops()
	if h2 != nil {
		return h2.Close()
	}
	return nil
}

// abort ends a connection its serving goroutine or loop task may be using
// right now: an event-loop connection is shut down (its task closes it:
// evloop.Conn.Abort), any other closed.
func abort(c net.Conn) {
	if a, ok := c.(interface{ Abort() error }); ok {
		_ = a.Abort()
		return
	}
	_ = c.Close()
}

const (
	stateIdle int32 = iota
	stateActive
	stateClosing
)

// conn is one accepted connection.
type conn struct {
	srv    *Server
	rwc    net.Conn
	io     net.Conn // rwc's reads and writes (rawio), or the TLS connection
	br     *bufio.Reader
	bw     *bufio.Writer
	remote string
	tls    *tls.ConnectionState
	head   []byte // a head larger than pend: the buffer it was read into, kept for the next
	pend   []byte
	pendp  *[]byte // pend's pool entry
	state  atomic.Int32
	wmu    sync.Mutex // sent100 and the response's headSent, across a body-reading goroutine
	// reason is the current response's reason phrase when it is not the
	// standard text (response.WriteHeaderReason): kept here, not in the
	// response, which fills its exchange's size class (TestExchangeSize).
	reason    string
	sent100   bool
	hijacked  bool
	rawHijack bool    // HijackRaw: the buffers are still the server's
	req       request // the framing parseHead found
	// hdr: an empty header map for the next request's head, the one a
	// request before this one on the connection (or the task's or
	// worker's connection before it) was done with (ReuseHeader); nil:
	// parseHead makes one. hdrDone: the current request's handler said
	// nothing keeps its map (ReuseHeader).
	hdr     http.Header
	hdrDone bool
	w       progressWriter
	ctx     context.Context // the requests' context: on an event loop, the task's (loop.go); else nil
}

// exchange is what one request allocates in one piece: the handler's
// *http.Request, the room parseHead fills (its URL, its header values'
// slice headers) and the response writer; 704 bytes, a size class of its
// own (a body reader, when there is a body, is allocated beside it). It is
// never reused: a handler may keep any of them past its request.
type exchange struct {
	req  http.Request
	room headRoom
	w    response
}

// newExchange makes a request's exchange with the head's bytes beside it,
// in the same allocation, and returns the head as a string of those bytes
// (parseHeadString makes the method, target and every value substrings of
// it). The room is sized so that the exchange and it fill a size class of
// the allocator (exchange is 704 bytes: 768, 896 ... 2048 in all), the
// smallest the head fits; a head over 1344 bytes gets a string of its own,
// as it did before. One allocation per request where there were two (the
// exchange and the head's string); the bytes move by less than a size
// class's step (a 64-byte head: 768 bytes either way; a 100-byte head, 896
// where it was 704 + 112). Like the rest of the exchange, the room is never
// reused: a value a handler keeps keeps the exchange, unchanged
// (TestHeadRoom).
func newExchange(head []byte) (*exchange, string) {
	switch n := len(head); {
	case n <= 64:
		return exchangeWith[[64]byte](head)
	case n <= 192:
		return exchangeWith[[192]byte](head)
	case n <= 320:
		return exchangeWith[[320]byte](head)
	case n <= 448:
		return exchangeWith[[448]byte](head)
	case n <= 576:
		return exchangeWith[[576]byte](head)
	case n <= 704:
		return exchangeWith[[704]byte](head)
	case n <= 832:
		return exchangeWith[[832]byte](head)
	case n <= 1088:
		return exchangeWith[[1088]byte](head)
	case n <= 1344:
		return exchangeWith[[1344]byte](head)
	}
	return new(exchange), string(head)
}

// exchangeHead is an exchange with room B (a byte array) for its head.
type exchangeHead[B any] struct {
	x    exchange
	head B
}

// exchangeWith is newExchange's exchange with room B, which head must fit.
// The room is written once, before the string is made of it, and never
// again (unsafe.String's rule).
func exchangeWith[B any](head []byte) (*exchange, string) {
	p := new(exchangeHead[B])
	b := unsafe.Slice((*byte)(unsafe.Pointer(&p.head)), unsafe.Sizeof(p.head))
	n := copy(b, head)
	return &p.x, unsafe.String(unsafe.SliceData(b), n)
}

// progressWriter writes to the connection with a deadline renewed for
// every write (Server.WriteTimeout). Renewing means moving a runtime timer,
// so a write only moves it when it has drawn nearer than 7/8 of the
// timeout: a write that makes no progress still fails between 7/8 of the
// timeout and the timeout after the last one that did, and a connection
// answering thousands of requests a second moves its timer a few times a
// minute instead of on every answer.
type progressWriter struct {
	c       net.Conn
	timeout time.Duration
	armed   time.Duration // the write deadline this writer set last, as monoclock.Since reads it; zero: none
	// tail: bytes the next Write sends after its own, in the same system
	// call where the connection can (twoWriter): set by flushWith for the
	// one Write its Flush makes. tail2: more bytes after tail, the same way
	// (threeWriter): a chunk's CRLF after its data (flushWith2).
	tail, tail2 []byte
}

// twoWriter is a connection that writes two buffers in one system call
// (evloop.Conn and rawio.Conn: sendmsg with two buffers).
type twoWriter interface {
	WriteTwo(a, b []byte) (int, error)
}

// threeWriter is a connection that writes three buffers in one system call
// (evloop.Conn: sendmsg with three buffers).
type threeWriter interface {
	WriteThree(a, b, c []byte) (int, error)
}

func (w *progressWriter) Write(p []byte) (int, error) {
	if w.timeout > 0 {
		now := monoclock.Since() // one clock read, compared as a number: a time is made only to set the deadline
		if w.armed-now < w.timeout-w.timeout/8 {
			w.armed = now + w.timeout
			_ = w.c.SetWriteDeadline(monoclock.At(w.armed))
		}
	}
	if t, t2 := w.tail, w.tail2; t2 != nil {
		w.tail, w.tail2 = nil, nil
		if tw, ok := w.c.(threeWriter); ok {
			n, err := tw.WriteThree(p, t, t2)
			return min(n, len(p)), err
		}
		n, err := w.writeTwo(p, t)
		if err != nil {
			return n, err
		}
		_, err = w.c.Write(t2)
		return n, err
	}
	if t := w.tail; t != nil {
		w.tail = nil
		return w.writeTwo(p, t)
	}
	return w.c.Write(p)
}

// writeTwo writes p and then t, in one system call where the connection
// can; it counts p's bytes.
func (w *progressWriter) writeTwo(p, t []byte) (int, error) {
	if tw, ok := w.c.(twoWriter); ok {
		n, err := tw.WriteTwo(p, t)
		return min(n, len(p)), err
	}
	n, err := w.c.Write(p)
	if err != nil {
		return n, err
	}
	_, err = w.c.Write(t)
	return n, err
}

// flushWith flushes bw (which must hold something) and writes p after
// its bytes, in one system call where the connection can: a response
// head, held in bw, and a body write too large to join it there, which
// bufio would send in two writes (the buffer filled and flushed, then the
// rest), each a segment and a wake-up of the client.
func (c *conn) flushWith(p []byte) error {
	c.w.tail = p
	err := c.bw.Flush()
	c.w.tail = nil
	return err
}

// flushWith2 is flushWith writing p and then q after bw's bytes: a chunk's
// data and its CRLF, after its size line in bw.
func (c *conn) flushWith2(p, q []byte) error {
	c.w.tail, c.w.tail2 = p, q
	err := c.bw.Flush()
	c.w.tail, c.w.tail2 = nil, nil
	return err
}

// readBufSize is the size of a connection's read buffer.
const readBufSize = 4096

var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufSize) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}
	pendPool   = sync.Pool{New: func() any { b := make([]byte, 0, holdBack); return &b }}
)

func (c *conn) serve(tlsConf *tls.Config) {
	s := c.srv
	defer func() {
		v := recover()
		if v != nil && v != http.ErrAbortHandler {
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			s.logf("h1: panic serving %v: %v\n%s", c.rwc.RemoteAddr(), v, buf)
		}
		if !c.hijacked {
			if v != nil && c.bw != nil {
				// What the handler wrote before it gave up (the part of a
				// backend's answer that came before the backend broke off)
				// is passed on, as net/http's final flush does: only the
				// answer's end (its length reached, the last chunk) is
				// missing, so the client sees it cut short.
				_ = c.bw.Flush()
			}
			_ = c.rwc.Close()
		}
		if !c.hijacked || c.rawHijack {
			c.release()
		}
		s.untrack(c)
	}()
	c.state.Store(stateActive)
	// Reads and writes go through rawio (raw system calls) and TLS over
	// it; c.rwc stays the connection itself for a hijacker (the WebSocket
	// event loop takes a *net.TCPConn's descriptor).
	c.io = rawio.Wrap(c.rwc)
	if tlsConf != nil {
		tc := tls.Server(c.io, tlsConf)
		_ = tc.SetDeadline(time.Now().Add(s.readHeaderTimeout()))
		if err := tc.Handshake(); err != nil {
			if !errors.Is(err, io.EOF) {
				s.logf("h1: TLS handshake error from %v: %v", c.rwc.RemoteAddr(), err)
			}
			return
		}
		_ = tc.SetDeadline(time.Time{})
		st := tc.ConnectionState()
		if st.NegotiatedProtocol == "h2" {
			s.untrack(c)
			if s.h2ln.hand(tc) {
				c.hijacked = true // the h2 server owns it now
			}
			return
		}
		c.rwc, c.io, c.tls = tc, tc, &st
	}
	if ra, ok := c.rwc.(interface{ RemoteAddrString() string }); ok {
		c.remote = ra.RemoteAddrString() // an event loop's: without building a net.Addr
	} else {
		c.remote = c.rwc.RemoteAddr().String()
	}
	c.w = progressWriter{c: c.io, timeout: s.writeTimeout()}
	c.acquire()
	first := s.H2C && tlsConf == nil
	for {
		if !c.state.CompareAndSwap(stateActive, stateIdle) || s.draining() {
			return
		}
		if c.br.Buffered() == 0 {
			_ = c.rwc.SetReadDeadline(monoclock.After(s.idleTimeout()))
			if !c.waitIdle() {
				return
			}
		}
		if !c.state.CompareAndSwap(stateIdle, stateActive) {
			return // Shutdown closed it
		}
		if first {
			// h2c with prior knowledge: the preface is a connection's
			// first bytes, or never.
			first = false
			if b, _ := c.br.Peek(c.br.Buffered()); len(b) < len(h2Preface) && h2Preface[:len(b)] == string(b) {
				// What came so far may begin a preface: its rest may take
				// ReadHeaderTimeout, no more. An HTTP/1 request differs
				// at once and pays no deadline here (serveOne sets its own).
				_ = c.rwc.SetReadDeadline(time.Now().Add(s.readHeaderTimeout()))
			}
			h2c, ok := c.isH2C()
			if !ok {
				return
			}
			if h2c {
				c.handH2C()
				return
			}
		}
		if !c.serveOne() {
			return
		}
	}
}

// acquire takes the connection's buffers from their pools.
func (c *conn) acquire() {
	c.br = readerPool.Get().(*bufio.Reader)
	c.br.Reset(connReader{c}) // through c.io, which leaveLoop may replace under the buffer
	c.bw = writerPool.Get().(*bufio.Writer)
	c.bw.Reset(&c.w)
	c.pendp = pendPool.Get().(*[]byte)
	c.pend = (*c.pendp)[:0]
}

// connReader reads c.io, whatever it is at the time.
type connReader struct{ c *conn }

func (r connReader) Read(p []byte) (int, error) {
	if len(p) > readBufSize { // the read buffer's own reads are at most its size: a body read straight into its destination
		if m, ok := r.c.io.(readMorer); ok {
			return m.ReadMore(p)
		}
	}
	return r.c.io.Read(p)
}

// readMorer is an event loop's connection (evloop.Conn.ReadMore): a body
// read into its destination, which asks for no more than the body's rest,
// also learns whether the socket is drained, so that the wait for the
// next request makes no system call that finds nothing.
type readMorer interface {
	ReadMore(p []byte) (int, error)
}

// release puts them back.
func (c *conn) release() {
	if c.br == nil {
		return
	}
	c.br.Reset(nil)
	readerPool.Put(c.br)
	c.bw.Reset(nil)
	writerPool.Put(c.bw)
	*c.pendp = c.pend[:0] // it may have grown
	pendPool.Put(c.pendp)
	c.br, c.bw, c.pend, c.pendp = nil, nil, nil, nil
}

// waitIdle waits for the next request's first bytes through the read
// buffer. (Waiting without the buffers, with a read into a small array of
// the connection's own, saved 9 KiB per idle keep-alive connection but cost
// about 3% more CPU per request under load, measured with bench-load's REST
// scenario: the CPU goal won.)
func (c *conn) waitIdle() bool {
	_, err := c.br.Peek(1) // a request, or the end of the connection
	return err == nil
}

// headBuffered reports whether a whole request head is already in br's
// buffer, so that reading it cannot wait on the client and needs no
// deadline (a keep-alive client's request usually arrives in one segment).
// A buffer that starts with an empty line does not count: the empty lines
// a client may send before a request must not pass for a head's end.
func headBuffered(br *bufio.Reader) bool { return bufferedHead(br) > 0 }

// bufferedHead is the length of the whole request head at the start of
// br's buffer, its empty line included, or 0 when there is none
// (headBuffered's rule: a buffer that starts with an empty line has none).
func bufferedHead(br *bufio.Reader) int {
	all, _ := br.Peek(br.Buffered())
	if len(all) == 0 || all[0] == '\r' || all[0] == '\n' {
		return 0
	}
	b := all
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return 0
		}
		b = b[i+1:]
		switch {
		case len(b) > 0 && b[0] == '\n':
			return len(all) - len(b) + 1
		case len(b) > 1 && b[0] == '\r' && b[1] == '\n':
			return len(all) - len(b) + 2
		}
	}
}

// takeHead is readHead for a head bufferedHead found whole (n bytes, at
// most the bound): one copy of it into buf, where readHead reads it line
// by line (a ReadSlice and an append per line).
func takeHead(br *bufio.Reader, buf []byte, n int) []byte {
	b, _ := br.Peek(n)
	buf = append(buf[:0], b...)
	_, _ = br.Discard(n)
	return buf
}

// serveOne reads and answers one request; it reports whether the
// connection can carry another.
func (c *conn) serveOne() bool {
	s := c.srv
	whole := bufferedHead(c.br)
	if whole == 0 {
		_ = c.rwc.SetReadDeadline(monoclock.After(s.readHeaderTimeout()))
	}
	// The head is read into the response's hold-back buffer (pooled, and
	// free until the handler writes; parseHead copies the head out), or
	// into the connection's own once a head outgrew it.
	buf := c.pend[:0]
	if cap(c.head) > cap(buf) {
		buf = c.head[:0]
	}
	var head []byte
	var err error
	if limit := s.maxHeaderBytes(); whole > 0 && whole <= limit {
		head = takeHead(c.br, buf, whole)
	} else {
		head, err = readHead(c.br, buf, limit)
	}
	if cap(head) > cap(c.pend) {
		c.head = head[:0]
	}
	if err != nil {
		var se *statusError
		if errors.As(err, &se) {
			c.refuse(se)
		}
		return false
	}
	// The request, its URL, its values' slice headers, the response writer
	// and the head's bytes: one allocation (newExchange), never reused.
	x, hs := newExchange(head)
	r := &x.req
	req := &c.req
	// The header map: the connection's, when a request before gave it
	// back (ReuseHeader), else a new one. It is the request's until its
	// handler returns; only then may it go back (keepHeader).
	hdr := c.hdr
	c.hdr, c.hdrDone = nil, false
	if err := parseHeadString(hs, req, r, &x.room, s.noted, hdr); err != nil {
		var se *statusError
		if errors.As(err, &se) {
			c.refuse(se)
		}
		return false
	}
	if c.ctx != nil && (req.chunked || req.length > wire.SmallBody) {
		// A body the backend client writes from a goroutine beside the
		// reader of the answer (wire.SmallBody), so that a backend that
		// answers (or streams its answer) before it has read the body is
		// heard: a loop task cannot read its client from that goroutine,
		// so the connection leaves its event loop (leaveLoop).
		if !c.leaveLoop() {
			return false
		}
	}
	if ctx := c.ctx; ctx != nil { // never cancelled: see Server
		// The context set in the exchange's own request: WithContext is
		// inlined, so the copy it makes stays on the stack and is copied
		// back (TestHandshakeAllocs counts it). A connection's ctx is its loop
		// task's for its life on the loop.
		*r = *r.WithContext(ctx)
	}
	r.RemoteAddr = c.remote
	r.TLS = c.tls
	var b *body
	if req.length != 0 {
		// The handler reads the body without the head's deadline. (A
		// request without one keeps it: nothing reads the connection
		// until the next request's wait sets its own, and a hijack clears
		// it.)
		_ = c.rwc.SetReadDeadline(time.Time{})
		b = &body{c: c, br: c.br, req: r, remaining: req.length, chunked: req.chunked, expect100: req.expect100}
		if req.chunked {
			b.remaining = 0
		}
		r.Body = b
	} else {
		r.Body = http.NoBody
	}
	c.sent100, c.reason = false, ""
	w := &x.w
	*w = response{c: c, req: r, method: r.Method, pending: c.pend[:0]} // header: made by Header, or a proxy's adopted (AdoptHeader)
	// The request ends when serveOne returns, or a handler's panic leaves
	// it, for whatever kept its writer or body: both refuse any use from
	// then on (the connection, its buffers and this conn itself, which a
	// loop task or a worker keeps, go on to other requests).
	defer func() {
		w.ended = true
		if b != nil {
			_ = b.Close()
		}
	}()
	hdr = r.Header // the map parseHead filled: the only one that may go back
	s.Handler.ServeHTTP(w, r)
	if w.hijacked {
		return false
	}
	if c.hdrDone {
		c.keepHeader(r, hdr)
	}
	if err := w.finish(); err != nil {
		return false
	}
	keep := !w.closeConn && !req.close && !s.draining()
	if b != nil && keep && !b.drain(maxDrain, c.pend[:cap(c.pend)]) {
		keep = false
	}
	if !keep {
		c.linger()
	}
	return keep
}

// maxKeptHeaderFields bounds the header map a connection keeps for its
// next request: a map keeps its room once cleared, and clearing costs
// with that room, so one that grew for a request with many fields (or
// that a handler filled) is left to the collector.
const maxKeptHeaderFields = 16

// keepHeader keeps hdr, the header map parseHead filled for r, for the
// connection's next request: its handler said nothing keeps the map
// (ReuseHeader) and has returned. The map is cleared now, so it holds
// nothing of r (the exchange and the head's bytes its values are cut
// from go to the collector as before: clear drops the map's references
// and writes nothing into the slices or strings it held), and r's Header
// is set to nil, so that a request kept past its end against the
// contract reads no fields rather than the next request's.
func (c *conn) keepHeader(r *http.Request, hdr http.Header) {
	r.Header = nil
	if hdr == nil || len(hdr) > maxKeptHeaderFields {
		return
	}
	clear(hdr)
	c.hdr = hdr
}

// ReuseHeader tells the server that nothing the handler of w's request
// did keeps that request's header map (r.Header as this package's server
// made it) past the handler's return: no goroutine, callback, cache or
// other request will read or write the map itself from then on. The
// server then clears the map once the handler has returned, sets the
// request's Header to nil, and fills the map with the connection's next
// request's fields (two allocations less per request). The values the
// map held (their strings and the slices of them) are never reused: only
// the map is, so a string or a slice taken from it stays as it was.
//
// A handler that cannot vouch for everything it ran must not call it.
// It is ignored when w is not this package's response (a wrapper,
// another server), when the request has ended or is hijacked, and for a
// handler that panics; a map that holds more than 16 fields then is not
// kept. It may be called at any point of the handler: what counts is
// that nothing uses the map after the handler returns.
func ReuseHeader(w http.ResponseWriter) {
	if rw, ok := w.(*response); ok && !rw.ended && !rw.hijacked {
		rw.c.hdrDone = true
	}
}

// refuse answers a request the server will not pass to the handler and
// closes the connection.
func (c *conn) refuse(e *statusError) {
	text := strconv.Itoa(e.code) + " " + http.StatusText(e.code) + ": " + e.msg
	bw := c.bw
	c.w.timeout = time.Second // an error answer is small: a client that will not take it is dropped soon
	writeStatusLine(bw, true, e.code)
	bw.WriteString("Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: ")
	bw.WriteString(strconv.Itoa(len(text)))
	bw.WriteString("\r\n\r\n")
	bw.WriteString(text)
	_ = bw.Flush()
	c.linger()
}

// linger half-closes the connection and reads (and drops) what the client
// still sends for a moment, so the close that follows does not turn into a
// reset that destroys the response in the client's buffers.
func (c *conn) linger() {
	cw, ok := c.rwc.(interface{ CloseWrite() error }) // *net.TCPConn, *tls.Conn
	if !ok {
		return
	}
	_ = cw.CloseWrite()
	_ = c.rwc.SetReadDeadline(time.Now().Add(lingerTimeout))
	_, _ = io.CopyN(io.Discard, c.br, maxDrain)
}

// sendContinue writes "100 Continue" unless the response already started.
func (c *conn) sendContinue() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.sent100 {
		return nil
	}
	c.sent100 = true
	_, err := c.w.Write([]byte("HTTP/1.1 100 Continue\r\n\r\n"))
	return err
}

// connListener hands TLS connections that chose h2 to the net/http server.
type connListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newConnListener(addr net.Addr) *connListener {
	return &connListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *connListener) hand(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }

// Front is what the binary needs of a front server; *Server and
// *http.Server both are one (--http-server picks).
type Front interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
	SetKeepAlivesEnabled(bool)
	Close() error
}

var (
	_ Front = (*Server)(nil)
	_ Front = (*http.Server)(nil)
)
