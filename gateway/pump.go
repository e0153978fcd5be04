package gateway

// The WebSocket frame pump.
//
// After the policy chain has approved a client's upgrade request, the gateway
// dials the backend (websocket.Dial), accepts the client (websocket.Accept)
// and hands both connections to Pump, which proxies messages both ways until
// the session ends. Pump owns both connections from then on and closes them
// before it returns; the caller logs and records metrics from the returned
// PumpStats (Pump itself never logs).
//
// # Structure
//
// One session = two copy loops (one per direction) + one timer.
//
//   - pumpClientToBackend runs in a goroutine started by Pump,
//   - pumpBackendToClient runs in the goroutine that called Pump (normally the
//     net/http connection goroutine, which would otherwise sit idle waiting
//     for Pump to return: reusing it saves one goroutine stack per connection),
//   - one time.AfterFunc timer drives the idle timeout and the keepalive pings;
//     it only occupies a goroutine while it runs, never while the connection
//     is idle. Each direction additionally has a lazily created, normally
//     stopped time.AfterFunc timer bounding writes (WriteTimeout).
//
// Both loops and all timers report into a single funnel (pumpSession.report),
// in the spirit of net/http/httputil's switchProtocolCopier: the first
// decisive report wins, closes both sides with the right codes (see the table
// below) and every later report is ignored. Write failures are "weak": the
// connection we failed to write to is most likely closing on its own, and the
// reader of that connection will soon say how (close frame with a code, or a
// TCP drop). A weak report only wins if no decisive report follows.
//
// # Streaming and memory
//
// Messages are streamed with conn.Reader / conn.Writer through a 32 KiB copy
// buffer taken from a sync.Pool once a message has started and returned when it
// is done, so an idle connection holds no copy buffer. A message that fits in
// the buffer is forwarded as a single frame (conn.Write); a larger one is
// streamed as a fragmented message in 32 KiB frames and is never held whole in
// memory. Message types, boundaries and order are kept. (This is an
// io.CopyBuffer loop written out by hand: it fills the buffer before writing,
// so tiny incoming fragments are coalesced, it tells read errors from write
// errors, and it arms the write timeout around each write.)
//
// Reads and writes use context.Background(): with a cancellable context
// coder/websocket registers a context.AfterFunc for every frame read or
// written, which allocates. Cancellation, idle and write timeouts are instead
// implemented by closing the connections, which unblocks everything.
//
// Per idle proxied connection the gateway holds: the two *websocket.Conn
// (each with a 4 KiB bufio.Reader and a 4 KiB bufio.Writer; the dialed leg
// also keeps net/http's 4 KiB transport bufio.Reader underneath), the HTTP
// server connection state of the client leg, two goroutine stacks (the
// handler goroutine running pumpBackendToClient and pumpClientToBackend), the
// session struct and its timers. Most of that is coder/websocket and net/http,
// not the pump; see BenchmarkPumpIdleConnMemory for measured figures.
//
// # Compression
//
// Both websocket.AcceptOptions and websocket.DialOptions default to
// CompressionDisabled, and the gateway must keep it that way for now:
// permessage-deflate costs a flate reader/writer (tens of KiB; up to 32 KiB
// sliding window per direction with context takeover) per connection and a
// lot of CPU per message, it would make the pump decompress and recompress
// every message, and it defeats the single-frame fast path. It can become a
// per-API option later.
//
// # Close-code mapping
//
// "X" is the side that ended the session, "other" is the opposite side.
// Failing client => backend gets 1001; failing backend => client gets 1014.
//
//	event                                    | X gets                  | other gets                          | ClosedBy  | CloseCode
//	-----------------------------------------+-------------------------+-------------------------------------+-----------+----------
//	X sends close frame with code C, reason R| C R echoed (by library) | C R (mirrored as is)                | X         | C
//	X sends close frame without status (1005)| empty close echoed      | empty close frame (sees 1005 too)   | X         | 1005
//	X drops TCP / protocol error (1006)      | connection closed       | client: 1014 "backend disconnected" | X         | 1006
//	                                         |                         | backend: 1001 "client disconnected" |           |
//	X sends message > MaxMessageSize         | 1009                    | client: 1014 "backend message too big" | limit  | 1009
//	                                         |                         | backend: 1001 "client message too big" |        |
//	X does not answer a ping in PingTimeout  | connection closed       | 1014 / 1001 "<X> ping timeout"      | error     | 1014/1001
//	writing to X takes longer than WriteTimeout | connection closed    | 1014 / 1001 "<X> write timeout"     | error     | 1014/1001
//	writing to X fails                       | connection closed       | 1014 / 1001 "<X> disconnected"      | error     | 1014/1001
//	no data message for IdleTimeout          | 1001 "idle timeout"     | 1001 "idle timeout"                 | idle      | 1001
//	ctx done (gateway shutdown)              | 1001 "going away"       | 1001 "going away"                   | shutdown  | 1001
//	ctx cancelled with *CloseCause{C, R}     | C R                     | C R (drain-on-change: 1012)         | gateway   | C
//
// Codes 1006 (abnormal closure) and 1015 (TLS) can never be sent on the wire
// and are never received either (coder/websocket rejects such close frames as
// a protocol error, which is then handled as a drop). 1005 is "no status": a
// close frame with an empty payload, which is legal on the wire, so it is
// mirrored faithfully as an empty close frame rather than invented as 1000.
// 1014 (Bad Gateway, "the server was acting as a gateway or proxy and received
// an invalid response from the upstream server") is used rather than 1011 for
// backend failures so that clients and logs can tell "backend broke" from
// "gateway broke".
//
// # Keepalive and idle
//
// Every PingInterval both sides are sent a ping; one not answered within
// PingTimeout marks that peer dead. Pings are only answered while somebody
// reads the connection, which the copy loops do; a side whose reader loop is
// busy forwarding a message (possibly blocked by back-pressure on the other
// side) is not pinged that round, since its pong could not be read: progress
// of a busy direction is bounded by WriteTimeout instead.
//
// Only data (and partial data of a message being streamed) counts as
// activity: pings and pongs never reset the idle timer, so a connection whose
// peers answer pings but exchange no data is still closed after IdleTimeout.
// Protocols with application-level heartbeats (SignalR sends a ping message
// every 15 s, socket.io every 25 s) stay open as long as IdleTimeout is
// comfortably above their interval; the 5 minute default is.

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// pumpBufferSize is the size of the pooled copy buffers; messages up to this
// size are forwarded as one frame.
const pumpBufferSize = 32 << 10

// SendMessage writes one complete message on conn. Use it to inject a message
// into either leg before calling Pump (for example a policy's initial message
// to the backend right after connecting): until Pump starts, nothing reads
// from the connection, so this must not wait for an answer. ctx bounds only
// this write; if it has no deadline, DefaultWriteTimeout applies. If the
// write fails or times out, coder/websocket closes conn. Messages written this
// way are not counted in PumpStats.
//
// Calling conn.Write directly before Pump is equivalent. Once Pump runs, do
// not write to the connections yourself.
func SendMessage(ctx context.Context, conn *websocket.Conn, typ websocket.MessageType, data []byte) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultWriteTimeout)
		defer cancel()
	}
	return conn.Write(ctx, typ, data)
}

// SendText writes one text message on conn; see SendMessage.
func SendText(ctx context.Context, conn *websocket.Conn, data []byte) error {
	return SendMessage(ctx, conn, websocket.MessageText, data)
}

// Pump proxies messages between an accepted client conn and a dialed backend
// conn until one side closes, a limit or timeout is hit, or ctx is done (pass
// the gateway's shutdown context, not the request context). It sets the read
// limit on both conns, closes both before returning, and never logs.
//
// The caller's goroutine is used to pump backend-to-client messages; one more
// goroutine is started for client-to-backend.
func Pump(ctx context.Context, client, backend *websocket.Conn, lim PumpLimits, obs PumpObserver) PumpStats {
	lim = lim.withDefaults()
	s := &pumpSession{
		ctx:     ctx,
		client:  client,
		backend: backend,
		lim:     lim,
		obs:     obs,
		start:   time.Now(),
	}
	s.c2b = pumpLeg{s: s, dir: ClientToBackend, src: client, dst: backend, srcSide: psideClient, dstSide: psideBackend}
	s.b2c = pumpLeg{s: s, dir: BackendToClient, src: backend, dst: client, srcSide: psideBackend, dstSide: psideClient}

	client.SetReadLimit(lim.MaxMessageSize)
	backend.SetReadLimit(lim.MaxMessageSize)

	stopShutdown := context.AfterFunc(ctx, s.onShutdown)
	s.startTicker()

	c2bDone := make(chan struct{})
	go s.pumpClientToBackend(c2bDone)
	s.pumpBackendToClient()
	<-c2bDone
	stopShutdown()

	// Both loops have reported. If only weak reports were made (both
	// directions failed to write), the first one decides.
	s.mu.Lock()
	decide := !s.final
	if decide {
		s.final = true
		if s.hasWeak {
			s.verdict = s.weak
		} else { // cannot happen: every loop exit reports
			s.verdict = pumpVerdict{by: ClosedByError, code: websocket.StatusInternalError, reason: "internal error",
				client:  pcloseAction{code: websocket.StatusInternalError, reason: "internal error"},
				backend: pcloseAction{code: websocket.StatusInternalError, reason: "internal error"}}
		}
	}
	s.done = true
	tick := s.tick
	s.mu.Unlock()
	if decide {
		s.closeBoth(&s.verdict)
	}
	if tick != nil {
		tick.Stop()
	}
	s.c2b.stopWriteTimer()
	s.b2c.stopWriteTimer()
	s.bg.Wait() // timer callbacks in flight (pings, closes) finish promptly: the conns are closed
	_ = client.CloseNow()
	_ = backend.CloseNow()

	v := &s.verdict
	return PumpStats{
		ClientToBackendMsgs:  s.c2b.msgs,
		BackendToClientMsgs:  s.b2c.msgs,
		ClientToBackendBytes: s.c2b.bytes,
		BackendToClientBytes: s.b2c.bytes,
		CloseCode:            v.code,
		CloseReason:          v.reason,
		ClosedBy:             v.by,
		Err:                  v.err,
	}
}

type pside uint8

const (
	psideClient pside = iota
	psideBackend
)

func (x pside) String() string {
	if x == psideClient {
		return ClosedByClient
	}
	return ClosedByBackend
}

// failCode is the code sent to the surviving side when side x fails.
func (x pside) failCode() websocket.StatusCode {
	if x == psideClient {
		return websocket.StatusGoingAway
	}
	return websocket.StatusBadGateway
}

// closeAction says how Pump closes one side.
type pcloseAction struct {
	now    bool // CloseNow: the pside is gone, dead or already closed; no handshake
	code   websocket.StatusCode
	reason string
}

type pumpVerdict struct {
	by              string
	code            websocket.StatusCode
	reason          string
	err             error
	drop            bool // a read error that is not a close frame nor a limit
	client, backend pcloseAction
}

// set stores a on side x of v.
func (v *pumpVerdict) set(x pside, a pcloseAction) {
	if x == psideClient {
		v.client = a
	} else {
		v.backend = a
	}
}

// failed is the verdict for side x having failed: x is closed without
// handshake, the other side gets x.failCode() with reason.
func pfailed(x pside, by string, code websocket.StatusCode, reason string, err error) pumpVerdict {
	v := pumpVerdict{by: by, code: code, reason: reason, err: err}
	v.set(x, pcloseAction{now: true})
	v.set(x^1, pcloseAction{code: x.failCode(), reason: reason})
	return v
}

var (
	perrPingTimeout  = errors.New("ping timeout")
	perrWriteTimeout = errors.New("write timeout")
)

type pumpSession struct {
	ctx             context.Context // only for context.Cause at shutdown
	client, backend *websocket.Conn
	lim             PumpLimits
	obs             PumpObserver
	start           time.Time
	lastActivity    atomic.Int64 // time.Since(start) of the last data seen, ns

	c2b, b2c pumpLeg

	mu      sync.Mutex
	final   bool // verdict decided; later reports are ignored
	done    bool // Pump is returning
	verdict pumpVerdict
	hasWeak bool
	weak    pumpVerdict
	tick    *time.Timer
	bg      sync.WaitGroup // timer and ctx callbacks in flight

	nextPing time.Duration // only touched by startTicker and onTick (serialized)
}

// pumpClientToBackend is the client-to-backend copy loop; it runs in its own
// goroutine.
func (s *pumpSession) pumpClientToBackend(done chan<- struct{}) {
	defer close(done)
	s.c2b.run()
}

// pumpBackendToClient is the backend-to-client copy loop; it runs in the
// goroutine that called Pump.
func (s *pumpSession) pumpBackendToClient() {
	s.b2c.run()
}

func (s *pumpSession) now() time.Duration { return time.Since(s.start) }

func (s *pumpSession) touch() { s.lastActivity.Store(int64(s.now())) }

// enter registers a timer or ctx callback; it reports false when the session
// is already decided and the callback must do nothing.
func (s *pumpSession) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.final || s.done {
		return false
	}
	s.bg.Add(1)
	return true
}

// report is the error funnel. The first decisive verdict wins and closes both
// sides; weak verdicts (write failures) are kept in case nothing decisive
// follows.
func (s *pumpSession) report(v pumpVerdict, weak bool) {
	s.mu.Lock()
	if s.final {
		s.mu.Unlock()
		return
	}
	if weak {
		if !s.hasWeak {
			s.hasWeak, s.weak = true, v
		}
		s.mu.Unlock()
		return
	}
	if v.drop && s.hasWeak && errors.Is(v.err, net.ErrClosed) {
		// The read failed because the write failure closed the conn: the
		// write failure is the better explanation.
		v = s.weak
	}
	s.final, s.verdict = true, v
	s.mu.Unlock()
	s.closeBoth(&v)
}

// closeBoth closes both conns as the verdict says, the two close handshakes
// in parallel (each may take up to 5s + 5s against an unresponsive peer).
func (s *pumpSession) closeBoth(v *pumpVerdict) {
	if v.client.now {
		_ = s.client.CloseNow()
	}
	if v.backend.now {
		_ = s.backend.CloseNow()
	}
	switch {
	case !v.client.now && !v.backend.now:
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.client.Close(v.client.code, v.client.reason)
		}()
		_ = s.backend.Close(v.backend.code, v.backend.reason)
		wg.Wait()
	case !v.client.now:
		_ = s.client.Close(v.client.code, v.client.reason)
	case !v.backend.now:
		_ = s.backend.Close(v.backend.code, v.backend.reason)
	}
}

func (s *pumpSession) onShutdown() {
	if !s.enter() {
		return
	}
	defer s.bg.Done()
	a := pcloseAction{code: websocket.StatusGoingAway, reason: "going away"}
	by := ClosedByShutdown
	cause := context.Cause(s.ctx)
	var cc *CloseCause
	if errors.As(cause, &cc) {
		// The gateway ended the session on purpose (drain-on-change: 1012).
		a = pcloseAction{code: cc.Code, reason: cc.Reason}
		by = ClosedByGateway
	}
	s.report(pumpVerdict{by: by, code: a.code, reason: a.reason, err: cause, client: a, backend: a}, false)
}

// startTicker arms the session timer for the first idle check or ping.
func (s *pumpSession) startTicker() {
	s.nextPing = s.lim.PingInterval
	d, ok := s.nextTick(0)
	if !ok {
		return
	}
	s.mu.Lock()
	s.tick = time.AfterFunc(d, s.onTick)
	s.mu.Unlock()
}

// nextTick returns the delay from now to the next idle deadline or ping.
func (s *pumpSession) nextTick(now time.Duration) (time.Duration, bool) {
	d, ok := time.Duration(0), false
	if s.lim.IdleTimeout > 0 {
		d, ok = time.Duration(s.lastActivity.Load())+s.lim.IdleTimeout-now, true
	}
	if s.lim.PingInterval > 0 {
		if p := s.nextPing - now; !ok || p < d {
			d, ok = p, true
		}
	}
	return max(d, 0), ok
}

func (s *pumpSession) onTick() {
	if !s.enter() {
		return
	}
	defer s.bg.Done()

	now := s.now()
	if s.lim.IdleTimeout > 0 && now-time.Duration(s.lastActivity.Load()) >= s.lim.IdleTimeout {
		a := pcloseAction{code: websocket.StatusGoingAway, reason: "idle timeout"}
		s.report(pumpVerdict{by: ClosedByIdle, code: a.code, reason: a.reason, client: a, backend: a}, false)
		return
	}
	if s.lim.PingInterval > 0 && now >= s.nextPing {
		if v, dead := s.pingBoth(); dead {
			s.report(v, false)
			return
		}
		now = s.now()
		s.nextPing = now + s.lim.PingInterval
	}
	d, _ := s.nextTick(now)
	s.mu.Lock()
	if !s.final && !s.done {
		s.tick.Reset(d)
	}
	s.mu.Unlock()
}

// pingBoth pings both sides concurrently and reports whether one is dead.
// A side whose reader loop is busy with a message is skipped (its pong could
// not be read until the message is through). Errors other than a timeout mean
// the connection is closing, which its reader loop reports more accurately.
func (s *pumpSession) pingBoth() (pumpVerdict, bool) {
	pingClient := !s.c2b.busy.Load()
	pingBackend := !s.b2c.busy.Load()
	if !pingClient && !pingBackend {
		return pumpVerdict{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.lim.PingTimeout)
	defer cancel()
	var cerr, berr error
	switch {
	case pingClient && pingBackend:
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			cerr = s.client.Ping(ctx)
		}()
		berr = s.backend.Ping(ctx)
		wg.Wait()
	case pingClient:
		cerr = s.client.Ping(ctx)
	default:
		berr = s.backend.Ping(ctx)
	}
	cdead := cerr != nil && errors.Is(cerr, context.DeadlineExceeded)
	bdead := berr != nil && errors.Is(berr, context.DeadlineExceeded)
	switch {
	case cdead && bdead:
		return pumpVerdict{by: ClosedByError, code: websocket.StatusAbnormalClosure, reason: "ping timeout", err: perrPingTimeout,
			client: pcloseAction{now: true}, backend: pcloseAction{now: true}}, true
	case cdead:
		return pfailed(psideClient, ClosedByError, psideClient.failCode(), "client ping timeout", perrPingTimeout), true
	case bdead:
		return pfailed(psideBackend, ClosedByError, psideBackend.failCode(), "backend ping timeout", perrPingTimeout), true
	}
	return pumpVerdict{}, false
}

// pumpLeg is one direction of a session.
type pumpLeg struct {
	s                *pumpSession
	dir              Direction
	src, dst         *websocket.Conn
	srcSide, dstSide pside
	busy             atomic.Bool // a message is being forwarded
	wtimer           *time.Timer // WriteTimeout for dst; owned by the loop goroutine
	msgs, bytes      int64       // owned by the loop goroutine; read by Pump after it ends
}

var pumpBufPool = sync.Pool{New: func() any {
	b := make([]byte, pumpBufferSize)
	return &b
}}

func (l *pumpLeg) run() {
	bg := context.Background()
	for {
		typ, r, err := l.src.Reader(bg)
		if err != nil {
			l.s.report(l.readVerdict(err), false)
			return
		}
		l.busy.Store(true)
		l.s.touch()
		n, rerr, werr := l.forward(typ, r)
		l.busy.Store(false)
		if rerr != nil {
			l.s.report(l.readVerdict(rerr), false)
			return
		}
		if werr != nil {
			reason := l.dstSide.String() + " disconnected"
			l.s.report(pfailed(l.dstSide, ClosedByError, l.dstSide.failCode(), reason, werr), true)
			// Make sure the reader of dst wakes up and reports what it saw.
			_ = l.dst.CloseNow()
			return
		}
		l.msgs++
		l.bytes += n
		if l.s.obs != nil {
			l.s.obs.OnMessage(l.dir, int(n))
		}
	}
}

// forward copies one message from r to dst. rerr is a read error (src), werr
// a write error (dst).
func (l *pumpLeg) forward(typ websocket.MessageType, r io.Reader) (n int64, rerr, werr error) {
	bp := pumpBufPool.Get().(*[]byte)
	defer pumpBufPool.Put(bp)
	buf := *bp
	bg := context.Background()

	m, err := readChunk(r, buf)
	n = int64(m)
	if err == io.EOF { // the whole message is in buf: one frame
		l.armWrite()
		werr = l.dst.Write(bg, typ, buf[:m])
		l.disarmWrite()
		return n, nil, werr
	}
	if err != nil {
		return n, err, nil
	}

	// Larger than buf: stream it as a fragmented message.
	l.armWrite()
	w, werr := l.dst.Writer(bg, typ)
	if werr == nil {
		_, werr = w.Write(buf[:m])
	}
	l.disarmWrite()
	if werr != nil {
		return n, nil, werr
	}
	for {
		m, err = readChunk(r, buf)
		n += int64(m)
		if m > 0 {
			l.s.touch()
			l.armWrite()
			_, werr = w.Write(buf[:m])
			l.disarmWrite()
			if werr != nil {
				return n, nil, werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			// dst is left with a partial message; the verdict closes it.
			return n, err, nil
		}
	}
	l.armWrite()
	werr = w.Close()
	l.disarmWrite()
	return n, nil, werr
}

// readChunk reads into buf until it is full or r fails; io.EOF means the
// message ended.
func readChunk(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (l *pumpLeg) armWrite() {
	if l.s.lim.WriteTimeout < 0 {
		return
	}
	if l.wtimer == nil {
		l.wtimer = time.AfterFunc(l.s.lim.WriteTimeout, l.onWriteTimeout)
		return
	}
	l.wtimer.Reset(l.s.lim.WriteTimeout)
}

func (l *pumpLeg) disarmWrite() {
	if l.wtimer != nil {
		l.wtimer.Stop()
	}
}

func (l *pumpLeg) stopWriteTimer() {
	if l.wtimer != nil {
		l.wtimer.Stop()
	}
}

func (l *pumpLeg) onWriteTimeout() {
	if !l.s.enter() {
		return
	}
	defer l.s.bg.Done()
	l.s.report(pfailed(l.dstSide, ClosedByError, l.dstSide.failCode(), l.dstSide.String()+" write timeout", perrWriteTimeout), false)
}

// readVerdict classifies an error reading from src.
func (l *pumpLeg) readVerdict(err error) pumpVerdict {
	x := l.srcSide
	var ce websocket.CloseError
	switch {
	case errors.As(err, &ce):
		// x sent a close frame; coder/websocket has already echoed it and
		// closed x. Mirror it: 1005 (empty close frame) is sent as an empty
		// close frame again by Close(StatusNoStatusRcvd, "").
		v := pumpVerdict{by: x.String(), code: ce.Code, reason: ce.Reason, err: nil}
		v.set(x, pcloseAction{now: true})
		v.set(x^1, pcloseAction{code: ce.Code, reason: ce.Reason})
		return v
	case errors.Is(err, websocket.ErrMessageTooBig):
		// coder/websocket has already sent 1009 to x; Close completes the
		// handshake.
		reason := x.String() + " message too big"
		v := pumpVerdict{by: ClosedByLimit, code: websocket.StatusMessageTooBig, reason: reason, err: err}
		v.set(x, pcloseAction{code: websocket.StatusMessageTooBig, reason: "message too big"})
		v.set(x^1, pcloseAction{code: x.failCode(), reason: reason})
		return v
	default:
		v := pfailed(x, x.String(), websocket.StatusAbnormalClosure, x.String()+" disconnected", err)
		v.drop = true
		return v
	}
}
