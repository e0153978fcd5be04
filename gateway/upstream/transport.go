// Package upstream is the gateway's HTTP/1.1 client for REST backends: an
// http.RoundTripper that writes each request and reads its response head
// on the caller's goroutine, over pooled keep-alive connections.
//
// net/http's Transport runs two goroutines per connection and passes every
// request and response between them over channels; on a small machine
// those hand-offs (a futex wake each) cost more than the HTTP itself. Here
// a round trip is: take an idle connection (or dial), one write of the
// head and a small body, read the response head. The body is read by
// whoever reads Response.Body, and at its end the connection goes back to
// the pool. Large and streamed request bodies are the exception: they are
// written by a goroutine while the response is read, so that a backend
// that answers early or echoes as it reads cannot deadlock the exchange.
//
// HTTP/1.1 only: no HTTP/2, no forward proxies or CONNECT, no transparent
// decompression (a proxy relays what the backend sent).
package upstream

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"tollgate/gateway/internal/evloop"
	"tollgate/gateway/internal/rawio"
	"tollgate/internal/monoclock"
)

// DefaultMaxIdleConnsPerHost is MaxIdleConnsPerHost's default, as net/http's.
const DefaultMaxIdleConnsPerHost = 2

// Transport is an HTTP/1.1 RoundTripper with a connection pool per backend
// (scheme and host:port). Its fields must not change once it is used.
type Transport struct {
	// DialContext dials TCP (default: a net.Dialer with a 30s timeout and
	// 30s keep-alive).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSClientConfig is cloned for https backends; ServerName defaults
	// to the URL's host and NextProtos is http/1.1.
	TLSClientConfig *tls.Config
	// TLSHandshakeTimeout bounds a TLS handshake (0: the request's
	// context alone).
	TLSHandshakeTimeout time.Duration
	// MaxIdleConnsPerHost bounds the idle connections kept per backend
	// (0: DefaultMaxIdleConnsPerHost; negative: none).
	MaxIdleConnsPerHost int
	// MaxIdleConns bounds the idle connections over all backends (0: no
	// limit).
	MaxIdleConns int
	// MaxConnsPerHost bounds the connections per backend, idle, busy and
	// dialing; a request over it waits for one, as long as its context
	// lets it (0: no limit).
	MaxConnsPerHost int
	// IdleConnTimeout closes a connection idle this long (0: never).
	IdleConnTimeout time.Duration
	// OffLoop keeps every request off the event loops: a request made
	// from a loop task (its context carries one) releases the task and
	// uses the shared pools, as with DialContext set. For a client whose
	// caller must stay released for what it does after the call (the
	// gateway's send-request client: the policies after a call-out may
	// block), since a wait on a loop's connection takes the task back.
	OffLoop bool

	pools    sync.Map // poolKey -> *pool; a pool leaves once it holds no connection (pool.drop)
	idle     atomic.Int64
	npools   atomic.Int64 // pools in t.pools
	evicting atomic.Bool  // a put at MaxIdleConns is closing the oldest idle connections (evictIdle)
}

// PoolCount is the number of backend pools the transport keeps: one per
// backend (and event loop) with a connection open, dialing, idle or
// waited for. A pool with none left is dropped at once.
func (t *Transport) PoolCount() int { return int(t.npools.Load()) }

// errPoolGone: the pool was dropped between its look-up and its use; the
// request looks it up again (a new one takes its place).
var errPoolGone = errors.New("upstream: pool dropped")

type poolKey struct {
	scheme, host string
	loop         *evloop.Loop // the event loop whose connections these are (loop.go); nil: shared
}

var defaultDialer = &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}

// RoundTrip sends req and reads the response head. The response body is
// read from the connection as the caller reads it.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	out, err := prepare(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	defer out.free()
	ctx := req.Context()
	loop := t.loopOf(ctx)
	p, err := t.pool(req.URL, loop)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		c, err := p.get(ctx, attempt > 0, !out.replayable)
		for err == errPoolGone {
			// Dropped as it went empty, after the look-up: its
			// successor is as good.
			if p, err = t.pool(req.URL, loop); err == nil {
				c, err = p.get(ctx, attempt > 0, !out.replayable)
			}
		}
		if err != nil {
			out.closeBody()
			return nil, err
		}
		resp, stale, err := c.roundTrip(ctx, req, out)
		if err == nil {
			return resp, nil
		}
		// A reused connection the backend had closed while idle: nothing
		// came back, so nothing was done. Once more, on a new connection.
		if !stale || !c.reused || attempt > 0 || !out.replayable || ctx.Err() != nil {
			out.closeBody()
			return nil, err
		}
		if out.streamed || out.inline {
			if mem, ok := req.Body.(*MemBody); ok && req.GetBody == nil {
				out.body = mem.again(out.cl) // prepare checked it held cl bytes
			} else {
				b, gerr := req.GetBody()
				if gerr != nil {
					return nil, err
				}
				out.body = b
			}
		}
	}
}

// CloseIdleConnections closes every idle connection.
func (t *Transport) CloseIdleConnections() {
	t.pools.Range(func(_, v any) bool {
		v.(*pool).closeIdle()
		return true
	})
}

func (t *Transport) pool(u *url.URL, loop *evloop.Loop) (*pool, error) {
	if u == nil {
		return nil, errors.New("upstream: the request has no URL")
	}
	key := poolKey{u.Scheme, u.Host, loop}
	if p, ok := t.pools.Load(key); ok {
		return p.(*pool), nil
	}
	if key.scheme != "http" && key.scheme != "https" {
		return nil, errors.New("upstream: unsupported URL scheme " + strconv.Quote(key.scheme))
	}
	if u.Host == "" {
		return nil, errors.New("upstream: the request URL has no host")
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if key.scheme == "https" {
			port = "443"
		}
	}
	// The key and address are kept as long as the pool: copies, not
	// views of the request's bytes (a URL built from a request's header
	// may share its buffer).
	if key.scheme == "http" { // the constant, not the URL's string
		key.scheme = "http"
	} else {
		key.scheme = "https"
	}
	key.host = strings.Clone(u.Host)
	hostname := strings.Clone(u.Hostname())
	p := &pool{t: t, key: key, addr: net.JoinHostPort(hostname, port)}
	if key.scheme == "https" {
		cfg := &tls.Config{}
		if t.TLSClientConfig != nil {
			cfg = t.TLSClientConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = hostname
		}
		cfg.NextProtos = []string{"http/1.1"}
		p.tls = cfg
	}
	v, loaded := t.pools.LoadOrStore(key, p)
	if !loaded {
		t.npools.Add(1)
	}
	return v.(*pool), nil
}

func (t *Transport) maxIdlePerHost() int {
	switch n := t.MaxIdleConnsPerHost; {
	case n == 0:
		return DefaultMaxIdleConnsPerHost
	case n < 0:
		return 0
	default:
		return n
	}
}

// pool holds one backend's connections: the idle ones (reused last in,
// first out: the warmest) and the count of all, for MaxConnsPerHost.
type pool struct {
	t    *Transport
	key  poolKey
	addr string
	tls  *tls.Config

	mu      sync.Mutex
	idle    []*conn
	n       int       // open and dialing connections
	waiters []*waiter // requests waiting for a connection (MaxConnsPerHost)
	// sweep closes the connections idle past IdleConnTimeout; it is armed
	// while the pool holds idle ones (swept), for when the oldest expires.
	// One timer per pool, not one moved per request: a connection that
	// goes back and forth between requests and the pool costs no timer
	// operation, and one taken from the pool is checked for expiry there.
	sweep *time.Timer
	swept bool
	// gone: the pool held no connection and no waiter (n == 0) and left
	// t.pools (drop); a request that looked it up before gets errPoolGone
	// and looks again. No connection can come back to it: each one holds
	// a count in n until it is closed.
	gone bool
}

// waiter is a request waiting for a connection: it receives an idle one,
// or nil for a free slot to dial in.
type waiter struct{ ch chan *conn }

// get returns an idle connection (unless fresh) or a new one. probe
// checks an idle one first (alive): for a request that cannot be sent
// again, a connection the backend closed while idle must not be used.
func (p *pool) get(ctx context.Context, fresh, probe bool) (*conn, error) {
	p.mu.Lock()
	if p.gone {
		p.mu.Unlock()
		return nil, errPoolGone
	}
	if !fresh {
		for len(p.idle) > 0 {
			c := p.idle[len(p.idle)-1]
			p.idle = p.idle[:len(p.idle)-1]
			p.t.idle.Add(-1)
			c.idle = false
			if probe && c.deadline {
				_ = c.nc.SetDeadline(time.Time{}) // a past deadline would fail the probe's read
				c.deadline = false
			}
			if (p.t.IdleConnTimeout > 0 && monoclock.Since()-c.idleAt >= p.t.IdleConnTimeout) ||
				(probe && ((c.br != nil && c.br.Buffered() > 0) || !c.alive())) {
				p.mu.Unlock()
				c.close()
				p.mu.Lock()
				continue
			}
			p.mu.Unlock()
			c.reused = true
			if lc := loopConn(c.nc); lc != nil {
				lc.Bind(ctx) // this request's task uses it now
			}
			return c, nil
		}
	}
	if max := p.t.MaxConnsPerHost; max > 0 && p.n >= max {
		w := &waiter{ch: make(chan *conn, 1)}
		p.waiters = append(p.waiters, w)
		p.mu.Unlock()
		select {
		case c := <-w.ch:
			if c == nil {
				return p.dial(ctx)
			}
			if fresh {
				c.nc.Close() // its slot is ours: dial in it
				return p.dial(ctx)
			}
			c.reused = true
			return c, nil
		case <-ctx.Done():
			p.mu.Lock()
			for i, o := range p.waiters {
				if o == w {
					p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
					p.mu.Unlock()
					return nil, ctx.Err()
				}
			}
			p.mu.Unlock()
			// Served as we gave up: pass it on.
			if c := <-w.ch; c != nil {
				p.put(c)
			} else {
				p.release()
			}
			return nil, ctx.Err()
		}
	}
	p.n++
	p.mu.Unlock()
	return p.dial(ctx)
}

// dial opens a connection in a slot already counted in p.n.
func (p *pool) dial(ctx context.Context) (*conn, error) {
	var nc net.Conn
	var err error
	if p.key.loop != nil {
		nc, err = loopDial(ctx, p.addr)
	} else {
		dial := p.t.DialContext
		if dial == nil {
			dial = defaultDialer.DialContext
		}
		nc, err = dial(ctx, "tcp", p.addr)
		if err == nil {
			nc = rawio.Wrap(nc) // reads and writes by raw system calls (gateway/internal/rawio)
		}
	}
	if err != nil {
		p.release()
		return nil, err
	}
	if p.tls != nil {
		tc := tls.Client(nc, p.tls)
		hctx := ctx
		if d := p.t.TLSHandshakeTimeout; d > 0 {
			var cancel context.CancelFunc
			hctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		if err := tc.HandshakeContext(hctx); err != nil {
			nc.Close()
			p.release()
			return nil, err
		}
		nc = tc
	}
	return &conn{p: p, nc: nc}, nil
}

// release frees a connection's slot: a waiter dials in it. The last
// slot's release drops the pool.
func (p *pool) release() {
	p.mu.Lock()
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		w.ch <- nil
		return
	}
	p.n--
	if p.n == 0 {
		p.drop()
	}
	p.mu.Unlock()
}

// drop removes the pool, empty (no connection open, dialing or idle, no
// waiter), from its transport, with p.mu held: as net/http's Transport
// forgets a host with its last idle connection, so that a backend chosen
// per request (a host taken from a header) leaves nothing behind.
func (p *pool) drop() {
	p.gone = true
	if p.sweep != nil {
		p.sweep.Stop()
		p.swept = false
	}
	if p.t.pools.CompareAndDelete(p.key, p) {
		p.t.npools.Add(-1)
	}
}

// put makes c idle, hands it to a waiter, or closes it when the pool is
// full. At MaxIdleConns, an older idle connection (evictIdle) makes room
// for it first.
func (p *pool) put(c *conn) {
	t := p.t
	p.mu.Lock()
	full := t.MaxIdleConns > 0 && t.idle.Load() >= int64(t.MaxIdleConns)
	if full && len(p.waiters) == 0 && len(p.idle) < t.maxIdlePerHost() {
		p.mu.Unlock()
		// Not checked again after: another put at the limit may take
		// the room made as this one goes on (the overshoot stays under
		// a batch, evictIdle).
		full = !t.evictIdle()
		p.mu.Lock()
	}
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		w.ch <- c
		return
	}
	if full || len(p.idle) >= t.maxIdlePerHost() {
		p.mu.Unlock()
		c.close()
		return
	}
	c.idle = true
	c.reused = false
	c.idleAt = monoclock.Since() // a number: compared and subtracted only
	p.idle = append(p.idle, c)
	t.idle.Add(1)
	if d := t.IdleConnTimeout; d > 0 && !p.swept {
		p.swept = true
		if p.sweep == nil {
			p.sweep = time.AfterFunc(d, p.sweepIdle)
		} else {
			p.sweep.Reset(d)
		}
	}
	p.mu.Unlock()
}

// sweepIdle closes the connections idle past IdleConnTimeout (the oldest
// are first in p.idle) and re-arms for the oldest of the others.
func (p *pool) sweepIdle() {
	d := p.t.IdleConnTimeout
	p.mu.Lock()
	now := monoclock.Since()
	n := 0
	for n < len(p.idle) && now-p.idle[n].idleAt >= d {
		p.idle[n].idle = false
		n++
	}
	expired := make([]*conn, n)
	copy(expired, p.idle[:n])
	rest := copy(p.idle, p.idle[n:])
	clear(p.idle[rest:])
	p.idle = p.idle[:rest]
	p.t.idle.Add(-int64(n))
	p.swept = len(p.idle) > 0
	if p.swept {
		p.sweep.Reset(p.idle[0].idleAt + d - now)
	}
	p.mu.Unlock()
	for _, c := range expired {
		c.close()
	}
}

// evictIdle closes the least recently used idle connections over all
// pools, a sixteenth of MaxIdleConns at once (at least one), so that at
// MaxIdleConns a connection going idle takes the place of an old one, as
// with net/http's Transport: a flood of requests to hosts never asked
// for again cannot keep the busy backends' connections out of the pools
// until its own idle out. Several at once: the walk over the pools is
// paid once per sixteenth of the limit, not on each put at the limit.
// One put at a time walks; one at the limit as another walks counts on
// the room it makes: the idle connections may exceed MaxIdleConns by the
// puts at the limit during a walk, until the next walk, and never by a
// batch or more. It reports whether there is room.
func (t *Transport) evictIdle() bool {
	k := max(1, t.MaxIdleConns/16)
	if !t.evicting.CompareAndSwap(false, true) {
		// Another put is making room: this one counts on it, up to a
		// batch over the limit.
		return t.idle.Load() < int64(t.MaxIdleConns+k)
	}
	var ats []time.Duration
	t.pools.Range(func(_, v any) bool {
		q := v.(*pool)
		q.mu.Lock()
		for _, c := range q.idle[:min(k, len(q.idle))] { // oldest first
			ats = append(ats, c.idleAt)
		}
		q.mu.Unlock()
		return true
	})
	if len(ats) == 0 {
		t.evicting.Store(false)
		return false
	}
	slices.Sort(ats)
	cut := ats[min(k, len(ats))-1]
	var closed []*conn
	t.pools.Range(func(_, v any) bool {
		q := v.(*pool)
		q.mu.Lock()
		n := 0
		for n < len(q.idle) && len(closed) < k && q.idle[n].idleAt <= cut {
			q.idle[n].idle = false
			closed = append(closed, q.idle[n])
			n++
		}
		if n > 0 {
			rest := copy(q.idle, q.idle[n:])
			clear(q.idle[rest:])
			q.idle = q.idle[:rest]
			t.idle.Add(-int64(n))
		}
		q.mu.Unlock()
		return len(closed) < k
	})
	t.evicting.Store(false) // the room is made: closing takes a while
	for _, c := range closed {
		c.close()
	}
	return len(closed) > 0
}

func (p *pool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.t.idle.Add(-int64(len(idle)))
	for _, c := range idle {
		c.idle = false
	}
	p.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

// conn is one backend connection, owned by one request at a time or idle
// in its pool.
type conn struct {
	p  *pool
	nc net.Conn
	// br is borrowed from readerPool while a response is read, and goes
	// back when the connection goes idle with nothing buffered: an idle
	// pooled connection holds no read buffer.
	br     *bufio.Reader
	reused bool // taken from the pool (a stale one is retried)
	closed atomic.Bool

	// Guarded by p.mu:
	idle   bool
	idleAt time.Duration // when it went idle, as monoclock.Since reads it

	// deadline: a request set the connection's deadline (DeadlineOnly);
	// the next one sets its own or clears it, and the pool's liveness
	// probe clears it first. Owned by whoever holds the connection.
	deadline bool
}

// alive probes an idle connection (see alive in probe_unix.go).
func (c *conn) alive() bool {
	if lc := loopConn(c.nc); lc != nil {
		return lc.Alive()
	}
	return alive(c.nc)
}

// Read reads the connection for its read buffer (c.br). A read larger
// than the buffer is a body's rest read straight into its destination
// (bufio hands those through), which on an event loop goes through
// evloop.Conn.ReadMore: an answer's last bytes read that way leave the
// socket known to be drained, so the next request's answer is waited for
// without a read that finds nothing first.
func (c *conn) Read(p []byte) (int, error) {
	if len(p) > readBufSize {
		if ec, ok := c.nc.(*evloop.Conn); ok { // not TLS over one
			return ec.ReadMore(p)
		}
	}
	return c.nc.Read(p)
}

// readBufSize is the read buffer a connection borrows for a response: a
// head and a 4 KiB body come in one read (with 4 KiB, a 4 KiB answer took
// a second read for its last bytes; nginx's proxy buffers in the bench are
// 16 KiB too).
const readBufSize = 16 << 10

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufSize) }}

// releaseReader gives the read buffer back while the connection is idle.
// A buffer holding bytes the backend sent past its answer stays (the
// pool's probe then closes the connection).
func (c *conn) releaseReader() {
	if c.br == nil || c.br.Buffered() > 0 {
		return
	}
	c.br.Reset(nil)
	readerPool.Put(c.br)
	c.br = nil
}

// close closes the connection and frees its slot, once.
func (c *conn) close() {
	if c.closed.Swap(true) {
		return
	}
	c.nc.Close()
	c.p.release()
}

// DeadlineOnly is what a request's context may implement to say that only
// its deadline can end it while the request is in flight (no parent can
// cancel it, nothing else will): the transport then bounds the exchange
// with the connection's deadline instead of watching the context
// (context.AfterFunc, and whatever the context must build to offer Done).
// ok false: watch the context as usual.
type DeadlineOnly interface {
	DeadlineOnly() (deadline time.Time, ok bool)
}

func deadlineOnly(ctx context.Context) (time.Time, bool) {
	if d, ok := ctx.(DeadlineOnly); ok {
		return d.DeadlineOnly()
	}
	return time.Time{}, false
}

// roundTrip.state values.
const (
	headRead    = 1
	writeFailed = 2
	writeCut    = 3 // on a loop: the body's write stopped or failed before the answer was read; the answer decides
)

// aLongTimeAgo is a deadline in the past: I/O fails at once.
var aLongTimeAgo = time.Unix(1, 0)

// roundTrip is one request's use of a connection.
type roundTrip struct {
	stopFn  func() bool // unregisters the context's AfterFunc; nil without one
	stopped bool
	fired   bool // the AfterFunc ran: the connection's deadline is spent
	reuse   bool // the response allows another request on the connection
	wdone   chan error
	state   atomic.Int32    // with wdone: headRead or writeFailed, whichever came first
	ctx     context.Context // the call's: its error explains an I/O error (fail)
	settled bool
}

// stop unregisters the cancellation; false when it already fired (the
// connection then has a deadline in the past and cannot be pooled).
func (rt *roundTrip) stop() bool {
	if rt.stopFn != nil && !rt.stopped {
		rt.stopped = true
		rt.fired = !rt.stopFn()
	}
	return !rt.fired
}

// done ends the exchange: c goes back to the pool when reuse allows it and
// nothing spoilt it (a fired cancellation, a request body still being
// written), else it is closed.
func (rt *roundTrip) done(c *conn, reuse bool) {
	if rt.settled {
		return
	}
	rt.settled = true
	if !rt.stop() {
		reuse = false
	}
	if rt.wdone != nil {
		select {
		case err := <-rt.wdone:
			if err != nil {
				reuse = false
			}
		default:
			if !reuse {
				break
			}
			// Most likely the writer is just finishing; if not, the
			// backend answered before taking the whole body.
			t := time.NewTimer(10 * time.Millisecond)
			select {
			case err := <-rt.wdone:
				reuse = err == nil
			case <-t.C:
				reuse = false
			}
			t.Stop()
		}
	}
	if reuse && !c.closed.Load() {
		c.releaseReader()
		c.p.put(c)
	} else {
		c.close()
	}
}

// fail ends the exchange on an I/O or protocol error: the connection is
// closed. A cancelled context is the error then.
func (rt *roundTrip) fail(c *conn, err error) error {
	rt.done(c, false)
	if e := rt.ctx.Err(); e != nil {
		return e
	}
	return err
}

// roundTrip writes the request and reads the response head on c. stale
// reports an error before any response byte that a stale pooled
// connection explains (EOF, reset, broken pipe).
func (c *conn) roundTrip(ctx context.Context, req *http.Request, out *outgoing) (resp *http.Response, stale bool, err error) {
	// One allocation for the round trip's state and the response body,
	// or a released one (Release).
	b, _ := answers.Get().(*body)
	if b == nil {
		b = new(body)
	}
	b.c = c
	rt := &b.rt
	rt.ctx = ctx // not ctx.Err: a method value of an interface is an allocation
	if d, ok := deadlineOnly(ctx); ok {
		// Only the deadline can end ctx: the connection's own deadline
		// does what watching ctx would, without a timer or an
		// allocation; an I/O error past it is then reported as ctx's.
		_ = c.nc.SetDeadline(d)
		c.deadline = true
	} else {
		if c.deadline {
			_ = c.nc.SetDeadline(time.Time{}) // a previous request's
			c.deadline = false
		}
		if ctx.Done() != nil {
			nc := c.nc
			rt.stopFn = context.AfterFunc(ctx, func() { _ = nc.SetDeadline(aLongTimeAgo) })
		}
	}
	if c.br == nil {
		c.br = readerPool.Get().(*bufio.Reader)
		c.br.Reset(c) // c.Read
	}
	if err := out.write(c.nc, rt); err != nil {
		return nil, isStale(err), rt.fail(c, err)
	}
	// Nothing read yet: an error here may be a connection closed while idle.
	if _, err := c.br.Peek(1); err != nil {
		if rt.wdone != nil && !rt.state.CompareAndSwap(0, headRead) {
			// The body's write failed and closed the connection: its
			// error says why.
			if werr := <-rt.wdone; werr != nil {
				rt.wdone = nil
				err = werr
			}
		}
		return nil, isStale(err), rt.fail(c, err)
	}
	budget := MaxHeadBytes
	hd := &b.hd
	for n1xx := 0; ; n1xx++ {
		err = readHead(c.br, req, &budget, hd, &b.final)
		if err != nil {
			return nil, false, rt.fail(c, err)
		}
		code := hd.resp.StatusCode
		if code >= 200 {
			break
		}
		if code == http.StatusSwitchingProtocols {
			return nil, false, rt.fail(c, protoErr("101 Switching Protocols to a request that asked for no upgrade"))
		}
		if n1xx >= max1xx {
			return nil, false, rt.fail(c, protoErr("too many 1xx responses"))
		}
		if code == http.StatusContinue {
			continue
		}
		if trace := httptrace.ContextClientTrace(ctx); trace != nil && trace.Got1xxResponse != nil {
			if err := trace.Got1xxResponse(code, textproto.MIMEHeader(hd.resp.Header)); err != nil {
				return nil, false, rt.fail(c, err)
			}
		}
	}
	if rt.wdone != nil && !rt.state.CompareAndSwap(0, headRead) && rt.state.Load() == writeFailed {
		werr := <-rt.wdone
		rt.wdone = nil
		return nil, false, rt.fail(c, werr)
	}
	resp = hd.resp
	rt.reuse = hd.reuse
	if hd.framing == bodyNone {
		resp.Body = http.NoBody
		rt.done(c, rt.reuse)
		return resp, false, nil
	}
	b.bodyReader = bodyReader{br: c.br, framing: hd.framing, n: hd.length, resp: resp}
	if ec, ok := c.nc.(*evloop.Conn); ok { // not TLS over one
		b.bodyReader.now = ec
	}
	resp.Body = b
	return resp, false, nil
}

// isStale: the error a connection the backend closed shows.
func isStale(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
