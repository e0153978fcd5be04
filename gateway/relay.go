package gateway

// The WebSocket relay: the gateway's data path.
//
// After the policy chain has approved a client's upgrade request, the gateway
// dials the backend (backendDialer.dial), accepts the client
// (acceptWebSocket) and hands both raw connections to Relay, which forwards
// frames both ways until the session ends. Relay owns both connections from
// then on and closes them before it returns; the caller logs and records
// metrics from the returned PumpStats (Relay itself never logs).
//
// # Frames are forwarded as they are
//
// Relay is a frame-aware byte relay, not a WebSocket endpoint: it parses
// every frame header (to keep message counts and boundaries, enforce
// MaxMessageSize before a frame is forwarded, and check the protocol) but
// forwards the bytes unchanged. A client's frames are masked, which RFC 6455
// requires toward the backend anyway; a backend's frames are unmasked, as
// the client needs. Nothing is unmasked, re-masked, reassembled or copied
// into messages; one read, however many frames it holds, is one write. Only
// control frames are looked into (close code and reason, the payload of a
// pong answering the gateway's own ping) and only frames the gateway writes
// itself (pings, closes, initial messages) are built here; those toward the
// backend are masked with a random key.
//
// The checks: RSV bits must be 0 (no extension is ever negotiated, see
// wshandshake.go), the opcode known, client frames masked and backend frames
// unmasked, control frames unfragmented and at most 125 bytes, continuation
// frames only inside a fragmented message, a close payload empty or a valid
// code (+ reason). A violation is a protocol error: the offender gets close
// 1002 and is dropped, like a side that vanished (table below).
//
// # Structure and memory
//
// One session = two relay legs (one per direction, each reading one side and
// writing the other) + one time.AfterFunc timer (idle timeout, keepalive
// pings, pong deadlines), which occupies a goroutine only while it runs.
//
//   - relayLeg c2b runs in a goroutine started by Relay, b2c in the goroutine
//     that called Relay (the gateway calls Relay from a fresh goroutine and
//     returns from its HTTP handler, so net/http's connection goroutine and
//     its buffers are gone for the whole session);
//   - an idle leg is parked in Read on a 256-byte array inside the session
//     struct; a 32 KiB buffer is taken from a sync.Pool only when a read
//     fills the small one (data is flowing) and given back after the first
//     short read. Small messages never touch the pool.
//
// Per idle proxied connection the gateway holds: the session struct (both
// park arrays, parser state), the two net.Conns (the kernel's socket buffers
// are not counted), two small goroutine stacks, one timer. See
// BenchmarkRelayIdleConnMemory for measured figures.
//
// Each outgoing connection has a mutex held around every write, so the
// gateway's own pings and closes never land inside a relayed frame. A frame
// larger than what one read returned is written in pieces, and the lock is
// held from its first byte to its last (across reads). The pinger uses
// TryLock and skips a busy side; a closer waits (bounded) for the frame to
// end, or drops the side.
//
// # Timeouts
//
// Every write is bounded by a write deadline. The gateway's own frames
// (pings: PingTimeout; closes) set theirs exactly. Relayed data is bounded
// by WriteTimeout with a coarse deadline: re-arming a deadline costs a
// runtime timer update (a lock and a heap operation) per write, so a data
// write only re-arms it when the armed one is less than WriteTimeout away,
// and then arms it WriteTimeout + WriteTimeout/8 away. A data write
// therefore fails after being blocked between WriteTimeout and 1.125 x
// WriteTimeout, and a connection that keeps writing re-arms its deadline
// once per WriteTimeout/8 instead of on every write. Idle timeout, pings and pong deadlines are driven by the
// session timer. Once the session is decided (the "verdict"), both sides get
// a read deadline closeWait away: the close handshakes have that long to
// complete, after which both connections are closed.
//
// # Verdicts
//
// Both legs, the timer and ctx report into a single funnel
// (relaySession.report): the first decisive report wins, closes both sides
// with the right codes (see the table) and every later report is ignored.
// Write failures other than timeouts are "weak": the connection we failed to
// write to is most likely closing on its own, and its reader will soon say
// how (close frame with a code, or a TCP drop). A weak report only wins if
// no decisive report follows.
//
// # Close-code mapping
//
// "X" is the side that ended the session, "other" is the opposite side.
// Failing client => backend gets 1001; failing backend => client gets 1014.
//
//	event                                    | X gets                  | other gets                          | ClosedBy  | CloseCode
//	-----------------------------------------+-------------------------+-------------------------------------+-----------+----------
//	X sends close frame with code C, reason R| other's close reply     | X's close frame, relayed as is      | X         | C
//	                                         | (C R if none in 5 s)    |                                     |           |
//	X sends close frame without status (1005)| other's close reply     | X's empty close frame (sees 1005)   | X         | 1005
//	X drops TCP / protocol error (1006)      | connection closed       | client: 1014 "backend disconnected" | X         | 1006
//	                                         | (1002 first if protocol)| backend: 1001 "client disconnected" |           |
//	X sends message > MaxMessageSize         | 1009                    | client: 1014 "backend message too big" | limit  | 1009
//	                                         |                         | backend: 1001 "client message too big" |        |
//	client over MaxMessageRate               | 1008 "message rate exceeded" | backend: 1001 "client message rate exceeded" | limit | 1008
//	X does not answer a ping in PingTimeout  | connection closed       | 1014 / 1001 "<X> ping timeout"      | error     | 1014/1001
//	writing to X takes longer than WriteTimeout | connection closed    | 1014 / 1001 "<X> write timeout"     | error     | 1014/1001
//	writing to X fails                       | connection closed       | 1014 / 1001 "<X> disconnected"      | error     | 1014/1001
//	no data message for IdleTimeout          | 1001 "idle timeout"     | 1001 "idle timeout"                 | idle      | 1001
//	ctx done (gateway shutdown)              | 1001 "going away"       | 1001 "going away"                   | shutdown  | 1001
//	ctx cancelled with *CloseCause{C, R}     | C R                     | C R (drain-on-change: 1012)         | gateway   | C
//
// A close frame is relayed byte for byte, so code and reason (or their
// absence: 1005, an empty close frame, legal on the wire) are mirrored for
// free, and the other side's answer goes back the same way; the session ends
// when both closes have passed, or closeWait after the first. Codes 1005,
// 1006 and 1015 can never be sent in a close frame; one that carries them
// (or any invalid code) is a protocol error. 1014 (Bad Gateway) is used
// rather than 1011 for backend failures so that clients and logs can tell
// "backend broke" from "gateway broke".
//
// # Keepalive and idle
//
// Every PingInterval both sides are sent a ping with a random 8-byte payload;
// the pong carrying it is swallowed (the peers' own pings and pongs pass
// through). A side whose pong has not arrived PingTimeout after the ping is
// dead. A side whose reader leg is busy (writing to the other side, possibly
// blocked by back-pressure, or in the middle of a frame) or whose write lock
// is taken is not pinged that round: its pong could not be read, and
// progress of a busy direction is bounded by WriteTimeout instead.
//
// Only data frames count as activity: pings and pongs never reset the idle
// timer, so a connection whose peers answer pings but exchange no data is
// still closed after IdleTimeout. Protocols with application-level
// heartbeats (SignalR sends a ping message every 15 s, socket.io every 25 s)
// stay open as long as IdleTimeout is comfortably above their interval; the
// 5 minute default is.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

const (
	// relayParkSize is the per-leg read buffer an idle connection waits on.
	relayParkSize = 256
	// relayBufSize is the size of the pooled buffers used while data flows.
	relayBufSize = 32 << 10
	// closeWait bounds the close handshakes once the session is decided.
	closeWait = 5 * time.Second
	// relayRingSize is how many completed messages a pooled buffer can
	// report to the observer per write.
	relayRingSize = 1024
)

// Opcodes.
const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xA
)

type side uint8

const (
	sideClient side = iota
	sideBackend
)

func (x side) String() string {
	if x == sideClient {
		return ClosedByClient
	}
	return ClosedByBackend
}

// failCode is the code sent to the surviving side when side x fails.
func (x side) failCode() websocket.StatusCode {
	if x == sideClient {
		return websocket.StatusGoingAway
	}
	return websocket.StatusBadGateway
}

// SendMessage writes one complete message (binary or text) on c, masked if c
// is the backend leg. Use it to inject a message into either leg before
// calling Relay (for example a policy's initial message to the backend right
// after connecting): until Relay starts, nothing reads from the connection,
// so this must not wait for an answer. The write is bounded by
// DefaultWriteTimeout. Messages written this way are not counted in
// PumpStats. Once Relay runs, do not write to the connections yourself.
func (c *WSConn) SendMessage(binary bool, data []byte) error {
	op := byte(opText)
	if binary {
		op = opBinary
	}
	f := appendFrame(make([]byte, 0, 14+len(data)), op, data, c.mask)
	_ = c.conn.SetWriteDeadline(time.Now().Add(DefaultWriteTimeout))
	_, err := c.conn.Write(f)
	_ = c.conn.SetWriteDeadline(time.Time{})
	return err
}

// CloseWith sends a close frame with code and reason (best effort, bounded)
// and closes the connection. For legs that never reach Relay.
func (c *WSConn) CloseWith(code websocket.StatusCode, reason string) {
	var buf [2 + 4 + 125]byte
	_ = c.conn.SetWriteDeadline(time.Now().Add(closeWait))
	_, _ = c.conn.Write(closeFrame(buf[:0], code, reason, c.mask))
	_ = c.conn.Close()
}

// appendFrame appends one FIN frame with opcode op and payload p to b,
// masked with a random key if mask.
func appendFrame(b []byte, op byte, p []byte, mask bool) []byte {
	b = append(b, 0x80|op)
	mbit := byte(0)
	if mask {
		mbit = 0x80
	}
	switch n := len(p); {
	case n <= 125:
		b = append(b, mbit|byte(n))
	case n <= 0xFFFF:
		b = append(b, mbit|126, byte(n>>8), byte(n))
	default:
		b = append(b, mbit|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if !mask {
		return append(b, p...)
	}
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], rand.Uint32())
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, p...)
	maskBytes(b[start:], key)
	return b
}

func maskBytes(p []byte, key [4]byte) {
	for i := range p {
		p[i] ^= key[i&3]
	}
}

// closeFrame builds a close frame in b (cap >= 131): an empty one for 1005,
// else code + reason (truncated to fit 125 bytes).
func closeFrame(b []byte, code websocket.StatusCode, reason string, mask bool) []byte {
	var p [125]byte
	n := 0
	if code != websocket.StatusNoStatusRcvd {
		binary.BigEndian.PutUint16(p[:], uint16(code))
		n = 2 + copy(p[2:], reason)
	}
	return appendFrame(b, opClose, p[:n], mask)
}

// frameHeader is a parsed frame header.
type frameHeader struct {
	fin    bool
	op     byte
	masked bool
	length int64
	key    [4]byte
	size   int // header bytes
}

var (
	errRSV          = errors.New("RSV bits set (no extension was negotiated)")
	errOpcode       = errors.New("unknown opcode")
	errControl      = errors.New("fragmented or oversized control frame")
	errLength       = errors.New("invalid payload length")
	errMaskClient   = errors.New("unmasked frame from the client")
	errMaskBackend  = errors.New("masked frame from the backend")
	errContinuation = errors.New("continuation frame outside a fragmented message")
	errNewMessage   = errors.New("new data message inside a fragmented message")
	errClosePayload = errors.New("invalid close frame payload")
	errPingTimeout  = errors.New("ping timeout")
	errWriteTimeout = errors.New("write timeout")
)

// parseHeader parses the frame header at the start of b; size is 0 when b
// holds only part of it.
func parseHeader(b []byte) (h frameHeader, err error) {
	if len(b) < 2 {
		return h, nil
	}
	b0, b1 := b[0], b[1]
	if b0&0x70 != 0 {
		return h, errRSV
	}
	h.fin = b0&0x80 != 0
	h.op = b0 & 0x0F
	h.masked = b1&0x80 != 0
	n := 2
	l := int64(b1 & 0x7F)
	switch l {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if h.masked {
		n += 4
	}
	if len(b) < n {
		return h, nil
	}
	switch l {
	case 126:
		l = int64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		u := binary.BigEndian.Uint64(b[2:])
		if u>>63 != 0 {
			return h, errLength
		}
		l = int64(u)
	}
	switch h.op {
	case opCont, opText, opBinary:
	case opClose, opPing, opPong:
		if !h.fin || l > 125 {
			return h, errControl
		}
	default:
		return h, errOpcode
	}
	if h.masked {
		copy(h.key[:], b[n-4:n])
	}
	h.length = l
	h.size = n
	return h, nil
}

// parseClose decodes a close payload (unmasked): 1005 for an empty one.
func parseClose(p []byte) (websocket.StatusCode, string, bool) {
	if len(p) == 0 {
		return websocket.StatusNoStatusRcvd, "", true
	}
	if len(p) < 2 {
		return 0, "", false
	}
	code := websocket.StatusCode(binary.BigEndian.Uint16(p))
	switch {
	case code == 1004 || code == 1005 || code == 1006 || code == 1015:
		return 0, "", false
	case code >= 1000 && code <= 1014, code >= 3000 && code <= 4999:
		return code, string(p[2:]), true
	}
	return 0, "", false
}

// relayConn is one side of a session, as a destination of writes.
type relayConn struct {
	conn net.Conn
	x    side
	mask bool // frames the gateway builds for this side are masked

	wmu       sync.Mutex  // held around every write
	broken    bool        // guarded by wmu: a partial frame was written or a write failed
	deadline  bool        // guarded by wmu: a write deadline is set
	dlAt      int64       // guarded by wmu: when it expires (monoNow), if set
	closeSent atomic.Bool // a close frame was written to it (set under wmu)
	closeRecv atomic.Bool // a close frame was read from it
	dead      atomic.Bool // the connection was closed without handshake

	pingOut atomic.Uint64 // payload of the gateway's unanswered ping, 0 if none
	pingAt  atomic.Int64  // session clock when it was sent
}

// monoStart anchors monoNow.
var monoStart = time.Now()

// monoNow is a monotonic clock reading (cheaper than time.Now to compare).
func monoNow() int64 { return int64(time.Since(monoStart)) }

// write writes p with a write deadline d from now (none if d <= 0).
func (c *relayConn) write(p []byte, d time.Duration) error { return c.writeWithin(p, d, false) }

// writeData writes relayed data with a coarse write deadline (see
// "Timeouts"): the write fails after being blocked for at least d and at
// most d + d/8; the deadline is re-armed only when the armed one is less
// than d away.
func (c *relayConn) writeData(p []byte, d time.Duration) error { return c.writeWithin(p, d, true) }

// writeClose writes a close frame (wmu held) within d and records the
// outcome: closeSent, or broken.
func (c *relayConn) writeClose(frame []byte, d time.Duration) error {
	err := c.write(frame, d)
	if err != nil {
		c.broken = true
	} else {
		c.closeSent.Store(true)
	}
	return err
}

func (c *relayConn) writeWithin(p []byte, d time.Duration, coarse bool) error {
	if d > 0 {
		if now := monoNow(); !coarse || !c.deadline || c.dlAt-now < int64(d) {
			if coarse {
				d += d / 8
			}
			_ = c.conn.SetWriteDeadline(time.Now().Add(d))
			c.deadline, c.dlAt = true, now+int64(d)
		}
	} else if c.deadline {
		_ = c.conn.SetWriteDeadline(time.Time{})
		c.deadline = false
	}
	_, err := c.conn.Write(p)
	return err
}

// lockWithin takes wmu, waiting at most d; it reports false on timeout.
func (c *relayConn) lockWithin(d time.Duration) bool {
	if c.wmu.TryLock() {
		return true
	}
	deadline := time.Now().Add(d)
	for wait := 100 * time.Microsecond; ; wait = min(2*wait, 20*time.Millisecond) {
		time.Sleep(wait)
		if c.wmu.TryLock() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// closeAction says how one side is closed by a verdict.
type closeAction struct {
	kind   uint8
	code   websocket.StatusCode
	reason string
}

const (
	actNone      uint8 = iota // nothing: the deciding leg relays the close frame itself
	actRelay                  // wait for the other side's close and relay it; code/reason if none comes
	actClose                  // send a close frame with code/reason, await the reply
	actCloseDrop              // send a close frame, then close the connection (protocol error)
	actDrop                   // close the connection now
)

type relayVerdict struct {
	by              string
	code            websocket.StatusCode
	reason          string
	err             error
	drop            bool // a read error that is not a close frame nor a limit
	client, backend closeAction
}

func (v *relayVerdict) set(x side, a closeAction) {
	if x == sideClient {
		v.client = a
	} else {
		v.backend = a
	}
}

func (v *relayVerdict) action(x side) closeAction {
	if x == sideClient {
		return v.client
	}
	return v.backend
}

// failed is the verdict for side x having failed: x is closed without
// handshake, the other side gets x.failCode() with reason.
func failed(x side, by string, code websocket.StatusCode, reason string, err error) relayVerdict {
	v := relayVerdict{by: by, code: code, reason: reason, err: err}
	v.set(x, closeAction{kind: actDrop})
	v.set(x^1, closeAction{kind: actClose, code: x.failCode(), reason: reason})
	return v
}

// vanished is the verdict for side x gone (a read error) or dropped (a
// protocol error): ClosedBy x, 1006; the other side gets "<x> disconnected".
func vanished(x side, err error) relayVerdict {
	v := failed(x, x.String(), websocket.StatusAbnormalClosure, x.String()+" disconnected", err)
	v.drop = true
	return v
}

// sideError is the verdict for a write or ping failure of side x:
// ClosedBy error; the other side gets x.failCode() "<x> <what>".
func sideError(x side, what string, err error) relayVerdict {
	return failed(x, ClosedByError, x.failCode(), x.String()+" "+what, err)
}

type relaySession struct {
	ctx          context.Context // only for context.Cause at shutdown
	lim          PumpLimits
	obs          PumpObserver  // per-message observer (nil when batch is set)
	batch        batchObserver // totals-only observer
	start        time.Time
	lastActivity atomic.Int64 // session clock of the last data seen

	client, backend relayConn
	c2b, b2c        relayLeg

	closing atomic.Bool // the verdict is decided: no more data is forwarded

	mu       sync.Mutex
	final    bool // verdict decided; later reports are ignored
	done     bool // Relay is returning
	finished bool // both connections closed
	verdict  relayVerdict
	hasWeak  bool
	weak     relayVerdict
	tick     *time.Timer
	bg       sync.WaitGroup // timer and ctx callbacks in flight

	nextPing time.Duration // only touched by startTicker and onTick (serialized)
}

func (s *relaySession) conn(x side) *relayConn {
	if x == sideClient {
		return &s.client
	}
	return &s.backend
}

// reader is the leg reading side x.
func (s *relaySession) reader(x side) *relayLeg {
	if x == sideClient {
		return &s.c2b
	}
	return &s.b2c
}

// Relay forwards frames between an accepted client and a dialed backend
// until one side closes, a limit or timeout is hit, or ctx is done (pass the
// gateway's shutdown context, not the request context). Bytes already read
// past each handshake are relayed first. It closes both connections before
// returning and never logs.
//
// The caller's goroutine relays backend-to-client frames; one more goroutine
// is started for client-to-backend.
func Relay(ctx context.Context, client, backend *WSConn, lim PumpLimits, obs PumpObserver) PumpStats {
	lim = lim.withDefaults()
	s := &relaySession{ctx: ctx, lim: lim, obs: obs, start: time.Now()}
	if b, ok := obs.(batchObserver); ok {
		// Totals are reported per write: no per-message sizes to keep.
		s.obs, s.batch = nil, b
	}
	s.client = relayConn{conn: client.conn, x: sideClient, mask: false}
	s.backend = relayConn{conn: backend.conn, x: sideBackend, mask: true}
	s.c2b = relayLeg{s: s, dir: ClientToBackend, src: &s.client, dst: &s.backend, pending: client.pending}
	s.b2c = relayLeg{s: s, dir: BackendToClient, src: &s.backend, dst: &s.client, pending: backend.pending}
	client.pending, backend.pending = nil, nil
	if lim.MaxMessageRate > 0 {
		s.c2b.rate = lim.MaxMessageRate / 1e9
		s.c2b.burst = float64(lim.MessageBurst)
		s.c2b.tokens, s.c2b.last = s.c2b.burst, monoNow()
	}

	stopShutdown := context.AfterFunc(ctx, s.onShutdown)
	s.startTicker()

	c2bDone := make(chan struct{})
	go s.c2b.run(c2bDone)
	s.b2c.run(nil)
	<-c2bDone
	stopShutdown()

	// Both legs have ended. If only weak reports were made, the first one
	// decides.
	s.mu.Lock()
	decide := !s.final
	if decide {
		s.final = true
		s.closing.Store(true)
		if s.hasWeak {
			s.verdict = s.weak
		} else { // cannot happen: every leg exit reports
			s.verdict = relayVerdict{by: ClosedByError, code: websocket.StatusInternalError, reason: "internal error"}
		}
	}
	s.done = true
	tick := s.tick
	s.mu.Unlock()
	if tick != nil {
		tick.Stop()
	}
	s.bg.Wait() // timer callbacks in flight finish promptly: the conns are closed
	s.finish()

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

// closeWriteTimeout bounds writing a close frame the session decided on:
// WriteTimeout, at most closeWait.
func (s *relaySession) closeWriteTimeout() time.Duration {
	if d := s.lim.WriteTimeout; d > 0 && d <= closeWait {
		return d
	}
	return closeWait
}

func (s *relaySession) now() time.Duration { return time.Since(s.start) }

func (s *relaySession) touch() { s.lastActivity.Store(int64(s.now())) }

// enter registers a timer or ctx callback; it reports false when the session
// is already decided and the callback must do nothing.
func (s *relaySession) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.final || s.done {
		return false
	}
	s.bg.Add(1)
	return true
}

// report is the verdict funnel. The first decisive verdict wins and closes
// both sides; weak verdicts (write failures) are kept in case nothing
// decisive follows. It reports whether v won.
func (s *relaySession) report(v relayVerdict, weak bool) bool {
	s.mu.Lock()
	if s.final {
		s.mu.Unlock()
		return false
	}
	if weak {
		if !s.hasWeak {
			s.hasWeak, s.weak = true, v
		}
		s.mu.Unlock()
		return false
	}
	if v.drop && s.hasWeak && errors.Is(v.err, net.ErrClosed) {
		// The read failed because the write failure closed the conn: the
		// write failure is the better explanation.
		v = s.weak
	}
	s.final, s.verdict = true, v
	s.closing.Store(true)
	s.mu.Unlock()
	s.closeBoth(&v)
	return true
}

// closeBoth starts the close handshakes the verdict asks for. From now on
// both sides have closeWait to complete them.
func (s *relaySession) closeBoth(v *relayVerdict) {
	dl := time.Now().Add(closeWait)
	_ = s.client.conn.SetReadDeadline(dl)
	_ = s.backend.conn.SetReadDeadline(dl)
	for _, x := range [2]side{sideClient, sideBackend} {
		switch a := v.action(x); a.kind {
		case actDrop:
			s.kill(x)
		case actClose:
			s.sendClose(x, a.code, a.reason)
		case actCloseDrop:
			s.sendClose(x, a.code, a.reason)
			s.kill(x)
		}
	}
	s.checkFinished()
}

// sendClose writes a gateway-built close frame to side x, unless it already
// got one; a side that cannot take it is dropped.
func (s *relaySession) sendClose(x side, code websocket.StatusCode, reason string) {
	c := s.conn(x)
	if c.dead.Load() || c.closeSent.Load() {
		return
	}
	if !c.lockWithin(closeWait) {
		s.kill(x)
		return
	}
	if c.broken || c.closeSent.Load() {
		broken := c.broken
		c.wmu.Unlock()
		if broken {
			s.kill(x)
		}
		return
	}
	var buf [2 + 4 + 125]byte
	err := c.writeClose(closeFrame(buf[:0], code, reason, c.mask), s.closeWriteTimeout())
	c.wmu.Unlock()
	if err != nil {
		s.kill(x)
	}
	s.checkFinished()
}

// kill closes side x without handshake. If the other side waits for x's
// close reply to be relayed, it gets its fallback close instead.
func (s *relaySession) kill(x side) {
	c := s.conn(x)
	if c.dead.Swap(true) {
		return
	}
	_ = c.conn.Close()
	s.mu.Lock()
	final := s.final
	a := s.verdict.action(x ^ 1)
	s.mu.Unlock()
	if final && a.kind == actRelay {
		s.sendClose(x^1, a.code, a.reason)
	}
	s.checkFinished()
}

// checkFinished closes both connections once both close handshakes are
// through (or their sides are gone).
func (s *relaySession) checkFinished() {
	through := func(c *relayConn) bool { return c.dead.Load() || c.closeSent.Load() && c.closeRecv.Load() }
	if through(&s.client) && through(&s.backend) {
		s.finish()
	}
}

func (s *relaySession) finish() {
	s.mu.Lock()
	if s.finished {
		s.mu.Unlock()
		return
	}
	s.finished = true
	s.mu.Unlock()
	_ = s.client.conn.Close()
	_ = s.backend.conn.Close()
}

func (s *relaySession) onShutdown() {
	if !s.enter() {
		return
	}
	defer s.bg.Done()
	a := closeAction{kind: actClose, code: websocket.StatusGoingAway, reason: "going away"}
	by := ClosedByShutdown
	cause := context.Cause(s.ctx)
	var cc *CloseCause
	if errors.As(cause, &cc) {
		// The gateway ended the session on purpose (drain-on-change: 1012).
		a = closeAction{kind: actClose, code: cc.Code, reason: cc.Reason}
		by = ClosedByGateway
	}
	s.report(relayVerdict{by: by, code: a.code, reason: a.reason, err: cause, client: a, backend: a}, false)
}

// startTicker arms the session timer for the first idle check or ping.
func (s *relaySession) startTicker() {
	s.nextPing = s.lim.PingInterval
	d, ok := s.nextTick(0)
	if !ok {
		return
	}
	s.mu.Lock()
	s.tick = time.AfterFunc(d, s.onTick)
	s.mu.Unlock()
}

// nextTick returns the delay from now to the next idle deadline, ping or
// pong deadline.
func (s *relaySession) nextTick(now time.Duration) (time.Duration, bool) {
	d, ok := time.Duration(0), false
	if s.lim.IdleTimeout > 0 {
		d, ok = time.Duration(s.lastActivity.Load())+s.lim.IdleTimeout-now, true
	}
	if s.lim.PingInterval > 0 {
		if p := s.nextPing - now; !ok || p < d {
			d, ok = p, true
		}
		for _, c := range [2]*relayConn{&s.client, &s.backend} {
			if c.pingOut.Load() != 0 {
				if p := time.Duration(c.pingAt.Load()) + s.lim.PingTimeout - now; p < d {
					d = p
				}
			}
		}
	}
	return max(d, 0), ok
}

func (s *relaySession) onTick() {
	if !s.enter() {
		return
	}
	defer s.bg.Done()

	now := s.now()
	if s.lim.IdleTimeout > 0 && now-time.Duration(s.lastActivity.Load()) >= s.lim.IdleTimeout {
		a := closeAction{kind: actClose, code: websocket.StatusGoingAway, reason: "idle timeout"}
		s.report(relayVerdict{by: ClosedByIdle, code: a.code, reason: a.reason, client: a, backend: a}, false)
		return
	}
	if s.lim.PingInterval > 0 {
		if v, dead := s.pongsOverdue(now); dead {
			s.report(v, false)
			return
		}
		if now >= s.nextPing {
			if v, dead := s.pingBoth(now); dead {
				s.report(v, false)
				return
			}
			s.nextPing = now + s.lim.PingInterval
		}
	}
	d, _ := s.nextTick(s.now())
	s.mu.Lock()
	if !s.final && !s.done {
		s.tick.Reset(d)
	}
	s.mu.Unlock()
}

// pongsOverdue reports whether a side has not answered the gateway's ping
// within PingTimeout.
func (s *relaySession) pongsOverdue(now time.Duration) (relayVerdict, bool) {
	overdue := func(c *relayConn) bool {
		return c.pingOut.Load() != 0 && now-time.Duration(c.pingAt.Load()) >= s.lim.PingTimeout
	}
	return s.deadVerdict(overdue(&s.client), overdue(&s.backend))
}

func (s *relaySession) deadVerdict(cdead, bdead bool) (relayVerdict, bool) {
	switch {
	case cdead && bdead:
		return relayVerdict{by: ClosedByError, code: websocket.StatusAbnormalClosure, reason: "ping timeout", err: errPingTimeout,
			client: closeAction{kind: actDrop}, backend: closeAction{kind: actDrop}}, true
	case cdead:
		return sideError(sideClient, "ping timeout", errPingTimeout), true
	case bdead:
		return sideError(sideBackend, "ping timeout", errPingTimeout), true
	}
	return relayVerdict{}, false
}

// pingBoth sends the gateway's ping to each side that has none outstanding,
// whose reader is not busy and whose write lock is free. A ping that cannot
// be written within PingTimeout means the side is dead; other write errors
// mean the connection is closing, which its reader reports more accurately.
func (s *relaySession) pingBoth(now time.Duration) (relayVerdict, bool) {
	var dead [2]bool
	for _, x := range [2]side{sideClient, sideBackend} {
		c := s.conn(x)
		if c.pingOut.Load() != 0 || s.reader(x).busy.Load() || !c.wmu.TryLock() {
			continue
		}
		if c.broken || c.closeSent.Load() {
			c.wmu.Unlock()
			continue
		}
		payload := rand.Uint64() | 1
		var p [8]byte
		binary.BigEndian.PutUint64(p[:], payload)
		var buf [2 + 4 + 8]byte
		c.pingAt.Store(int64(now))
		c.pingOut.Store(payload)
		err := c.write(appendFrame(buf[:0], opPing, p[:], c.mask), s.lim.PingTimeout)
		if err != nil {
			c.broken = true
			c.pingOut.Store(0)
		}
		c.wmu.Unlock()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				dead[x] = true
			} else {
				_ = c.conn.Close() // its reader reports
			}
		}
	}
	return s.deadVerdict(dead[sideClient], dead[sideBackend])
}

// relayBuf is a pooled buffer for a leg while data flows, with room for the
// sizes of the messages completed by one write (for the observer).
type relayBuf struct {
	b     [relayBufSize]byte
	sizes [relayRingSize]int64
}

var relayPool = sync.Pool{New: func() any { return new(relayBuf) }}

// relayLeg is one direction of a session: it reads src and writes dst.
type relayLeg struct {
	s        *relaySession
	dir      Direction
	src, dst *relayConn
	pending  []byte      // bytes read past the handshake, relayed first
	busy     atomic.Bool // dst's write lock is held by this leg (writing or mid-frame)

	park [relayParkSize]byte

	// Parser state, owned by the leg's goroutine.
	remain  int64 // payload bytes of the current data frame not seen yet
	fin     bool  // the current data frame ends its message
	inMsg   bool  // a fragmented data message is in progress
	msgLen  int64 // payload bytes of the current message so far
	held    bool  // this leg holds dst.wmu
	closing bool  // the leg saw the verdict: it forwards no more data

	// Message rate limit (client to backend only): a token bucket.
	rate   float64 // tokens per nanosecond; 0: unlimited
	tokens float64
	burst  float64
	last   int64 // monoNow of the last refill

	// Messages completed by bytes not written yet.
	batchMsgs, batchBytes int64
	sizes                 []int64 // their sizes, when there is an observer
	nsizes                int
	smallSizes            [4]int64

	msgs, bytes int64 // owned by the leg; read by Relay after it ends
}

func (l *relayLeg) run(done chan<- struct{}) {
	if done != nil {
		defer close(done)
	}
	defer l.unlock()
	l.sizes = l.smallSizes[:]
	carry := 0
	if p := l.pending; len(p) > 0 {
		l.pending = nil
		c := l.process(p)
		if c < 0 {
			return
		}
		carry = copy(l.park[:], p[c:])
	}
	for {
		n, err := l.src.conn.Read(l.park[carry:])
		if n > 0 {
			total := carry + n
			c := l.process(l.park[:total])
			if c < 0 {
				return
			}
			carry = copy(l.park[:], l.park[c:total])
			if err == nil && total == len(l.park) {
				// Data is flowing: use a big pooled buffer until a read
				// comes back short.
				if carry = l.flow(carry); carry < 0 {
					return
				}
				continue
			}
		}
		if err != nil {
			l.readFailed(err)
			return
		}
	}
}

// flow relays with a pooled buffer while reads fill it; it returns the
// carried bytes (moved back to the park buffer), or -1 when the leg is done.
func (l *relayLeg) flow(carry int) int {
	rb := relayPool.Get().(*relayBuf)
	buf := rb.b[:]
	if l.s.obs != nil {
		l.sizes = rb.sizes[:]
	}
	defer func() {
		l.sizes = l.smallSizes[:]
		relayPool.Put(rb)
	}()
	carry = copy(buf, l.park[:carry])
	for {
		n, err := l.src.conn.Read(buf[carry:])
		total := carry + n
		if n > 0 {
			c := l.process(buf[:total])
			if c < 0 {
				return -1
			}
			carry = copy(buf, buf[c:total])
		}
		if err != nil {
			l.readFailed(err)
			return -1
		}
		if total < len(buf) {
			return copy(l.park[:], buf[:carry])
		}
	}
}

func (l *relayLeg) unlock() {
	if l.held {
		l.held = false
		l.busy.Store(false)
		l.dst.wmu.Unlock()
	}
}

// readFailed handles a read error of src.
func (l *relayLeg) readFailed(err error) {
	l.unlock()
	if !l.s.closing.Load() {
		if l.s.report(vanished(l.src.x, err), false) {
			return
		}
	}
	l.s.kill(l.src.x)
}

// flush writes p (whole frames, or a frame's first or next bytes) to dst
// and commits the messages it completes. It reports false when the write
// failed (the failure is reported).
func (l *relayLeg) flush(p []byte) bool {
	if len(p) > 0 {
		if !l.held {
			l.dst.wmu.Lock()
			l.held = true
			l.busy.Store(true)
		}
		if l.dst.broken || l.dst.closeSent.Load() {
			// The session is decided: nothing more goes to dst.
			l.batchMsgs, l.batchBytes, l.nsizes = 0, 0, 0
			return true
		}
		if err := l.dst.writeData(p, l.s.lim.WriteTimeout); err != nil {
			l.dst.broken = true
			l.batchMsgs, l.batchBytes, l.nsizes = 0, 0, 0
			l.writeFailed(err)
			return false
		}
	}
	if l.batchMsgs > 0 {
		l.msgs += l.batchMsgs
		l.bytes += l.batchBytes
		if b := l.s.batch; b != nil {
			b.OnMessages(l.dir, l.batchMsgs, l.batchBytes)
		}
		l.batchMsgs, l.batchBytes = 0, 0
		if obs := l.s.obs; obs != nil {
			for _, n := range l.sizes[:l.nsizes] {
				obs.OnMessage(l.dir, int(n))
			}
			l.nsizes = 0
		}
	}
	return true
}

func (l *relayLeg) writeFailed(err error) {
	l.unlock()
	x := l.dst.x
	if errors.Is(err, os.ErrDeadlineExceeded) {
		l.s.report(sideError(x, "write timeout", errWriteTimeout), false)
		return
	}
	l.s.report(sideError(x, "disconnected", err), true)
	// Make sure the reader of dst wakes up and reports what it saw.
	_ = l.dst.conn.Close()
}

// protocolError reports src breaking the protocol: it gets 1002 and is
// dropped, like a side that vanished.
func (l *relayLeg) protocolError(err error) {
	l.unlock()
	x := l.src.x
	v := vanished(x, fmt.Errorf("%s protocol error: %w", x, err))
	v.set(x, closeAction{kind: actCloseDrop, code: websocket.StatusProtocolError, reason: "protocol error"})
	l.s.report(v, false)
}

// checkMask applies the masking rule for frames read from src.
func (l *relayLeg) checkMask(h *frameHeader) error {
	if l.src.x == sideClient && !h.masked {
		return errMaskClient
	}
	if l.src.x == sideBackend && h.masked {
		return errMaskBackend
	}
	return nil
}

// process relays the frames in b and returns how many bytes it consumed;
// the rest (an incomplete header or control frame) is carried over to the
// next read. It returns -1 when src is gone (the leg ends).
func (l *relayLeg) process(b []byte) int {
	if l.closing {
		return l.drainFrom(b, 0)
	}
	i, seg := 0, 0 // seg: start of the bytes to forward not written yet
	data := false
	defer func() {
		if data {
			l.s.touch()
		}
	}()
	for i < len(b) {
		if l.remain > 0 {
			n := int(min(l.remain, int64(len(b)-i)))
			i += n
			l.remain -= int64(n)
			data = true
			if l.remain == 0 && l.fin {
				if !l.completed(b, &seg, i) {
					return l.drainFrom(b, i)
				}
			}
			continue
		}
		// At a frame boundary.
		if l.s.closing.Load() {
			l.flush(b[seg:i])
			return l.drainFrom(b, i)
		}
		h, err := parseHeader(b[i:])
		if err == nil && h.size > 0 {
			err = l.checkMask(&h)
		}
		if err != nil {
			l.flush(b[seg:i])
			l.protocolError(err)
			return -1
		}
		if h.size == 0 {
			break // incomplete header: carried over
		}
		if h.op >= opClose {
			end := i + h.size + int(h.length)
			if end > len(b) {
				break // incomplete control frame: carried over
			}
			payload := b[i+h.size : end]
			switch h.op {
			case opPong:
				if l.ourPong(&h, payload) {
					// The answer to the gateway's ping: swallowed.
					if !l.flush(b[seg:i]) {
						return l.drainFrom(b, end)
					}
					seg = end
				}
			case opClose:
				if !l.onClose(b, seg, i, end, &h, payload) {
					return -1
				}
				l.closing = true
				return len(b) // nothing may follow a close frame
			}
			i = end
			continue
		}
		// Data frame.
		switch {
		case h.op == opCont && !l.inMsg:
			err = errContinuation
		case h.op != opCont && l.inMsg:
			err = errNewMessage
		}
		if err != nil {
			l.flush(b[seg:i])
			l.protocolError(err)
			return -1
		}
		if h.op != opCont {
			l.msgLen = 0
			if l.rate > 0 && !l.takeToken() {
				return l.overLimit(b, seg, i, &h, websocket.StatusPolicyViolation, "message rate exceeded",
					fmt.Errorf("%s sent more than %g messages per second (burst %d)", l.src.x, l.s.lim.MaxMessageRate, l.s.lim.MessageBurst))
			}
		}
		// Compared before adding: msgLen + length can wrap around int64.
		if max := l.s.lim.MaxMessageSize; max > 0 && h.length > max-l.msgLen {
			return l.overLimit(b, seg, i, &h, websocket.StatusMessageTooBig, "message too big",
				fmt.Errorf("%s sent a message over %d bytes", l.src.x, max))
		}
		l.msgLen += h.length
		data = true
		l.inMsg = !h.fin
		l.fin = h.fin
		l.remain = h.length
		i += h.size
		if h.length == 0 && h.fin {
			if !l.completed(b, &seg, i) {
				return l.drainFrom(b, i)
			}
		}
	}
	if !l.flush(b[seg:i]) {
		return l.drainFrom(b, i)
	}
	if l.remain == 0 {
		l.unlock()
	}
	return i
}

// drainFrom switches the leg to draining (the session is decided, or dst
// failed) and drains b[i:]; it returns the bytes consumed or -1.
func (l *relayLeg) drainFrom(b []byte, i int) int {
	l.unlock()
	l.closing = true
	l.batchMsgs, l.batchBytes, l.nsizes = 0, 0, 0 // nothing more is forwarded
	c := l.drain(b[i:])
	if c < 0 {
		l.s.kill(l.src.x)
		return -1
	}
	return i + c
}

// completed records the end of a message at b[:i]; when the observer's ring
// is full, the bytes up to i are written first.
func (l *relayLeg) completed(b []byte, seg *int, i int) bool {
	l.batchMsgs++
	l.batchBytes += l.msgLen
	if l.s.obs != nil {
		l.sizes[l.nsizes] = l.msgLen
		l.nsizes++
		if l.nsizes == len(l.sizes) {
			if !l.flush(b[*seg:i]) {
				return false
			}
			*seg = i
		}
	}
	l.msgLen = 0
	return true
}

// ourPong reports whether a pong from src answers the gateway's ping.
func (l *relayLeg) ourPong(h *frameHeader, payload []byte) bool {
	want := l.src.pingOut.Load()
	if want == 0 || len(payload) != 8 {
		return false
	}
	var p [8]byte
	copy(p[:], payload)
	if h.masked {
		maskBytes(p[:], h.key)
	}
	return binary.BigEndian.Uint64(p[:]) == want && l.src.pingOut.CompareAndSwap(want, 0)
}

// takeToken refills the message bucket and takes one token, reporting
// false when the client is over MaxMessageRate.
func (l *relayLeg) takeToken() bool {
	now := monoNow()
	l.tokens = min(l.burst, l.tokens+float64(now-l.last)*l.rate)
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

// overLimit ends the session for the data frame at b[i:] (header h), by
// which src broke a limit (MaxMessageRate: 1008; MaxMessageSize: 1009):
// the frames before it (b[seg:i]) are forwarded, src gets code with what,
// the other side 1001/1014 "<src> <what>". The frame is skipped (src's
// close reply follows it); it returns what process returns.
func (l *relayLeg) overLimit(b []byte, seg, i int, h *frameHeader, code websocket.StatusCode, what string, err error) int {
	l.flush(b[seg:i])
	l.unlock()
	x := l.src.x
	reason := x.String() + " " + what
	v := relayVerdict{by: ClosedByLimit, code: code, reason: reason, err: err}
	v.set(x, closeAction{kind: actClose, code: code, reason: what})
	v.set(x^1, closeAction{kind: actClose, code: x.failCode(), reason: reason})
	l.s.report(v, false)
	l.remain = h.length
	return l.drainFrom(b, i+h.size)
}

// onClose handles a close frame b[i:end] from src in normal mode: the
// session ends with its code, and the frame is relayed as is after the
// frames before it (b[seg:i]). It reports false when src broke the protocol.
func (l *relayLeg) onClose(b []byte, seg, i, end int, h *frameHeader, payload []byte) bool {
	code, reason, valid := l.decodeClose(h, payload)
	if !valid {
		l.flush(b[seg:i])
		l.protocolError(errClosePayload)
		return false
	}
	x := l.src.x
	v := relayVerdict{by: x.String(), code: code, reason: reason}
	v.set(x, closeAction{kind: actRelay, code: code, reason: reason})
	v.set(x^1, closeAction{kind: actNone})
	l.src.closeRecv.Store(true)
	l.flush(b[seg:i]) // a failure is weak: this close is the better explanation
	if !l.s.report(v, false) {
		// Another verdict came first: this close is the answer to it.
		l.unlock()
		l.closeReply(b[i:end])
		return true
	}
	// Relay the close frame itself; the other side's reply comes back the
	// same way (drain).
	if !l.held {
		l.dst.wmu.Lock()
		l.held = true
	}
	var err error
	if l.dst.broken {
		err = net.ErrClosed
	} else if !l.dst.closeSent.Load() {
		err = l.dst.writeClose(b[i:end], l.s.closeWriteTimeout())
	}
	l.unlock()
	if err != nil {
		l.s.kill(l.dst.x) // src then gets its own close back
	}
	l.s.checkFinished()
	return true
}

func (l *relayLeg) decodeClose(h *frameHeader, payload []byte) (websocket.StatusCode, string, bool) {
	var p [125]byte
	n := copy(p[:], payload)
	if h.masked {
		maskBytes(p[:n], h.key)
	}
	return parseClose(p[:n])
}

// closeReply handles a close frame from src once the session is decided: it
// completes src's handshake, and is relayed to dst if dst waits for it.
func (l *relayLeg) closeReply(frame []byte) {
	l.src.closeRecv.Store(true)
	s := l.s
	s.mu.Lock()
	a := s.verdict.action(l.dst.x)
	s.mu.Unlock()
	if a.kind == actRelay && !l.dst.dead.Load() && !l.dst.closeSent.Load() {
		if l.dst.lockWithin(closeWait) {
			var err error
			if !l.dst.broken && !l.dst.closeSent.Load() {
				err = l.dst.writeClose(frame, closeWait)
			}
			l.dst.wmu.Unlock()
			if err != nil {
				s.kill(l.dst.x)
			}
		} else {
			s.kill(l.dst.x)
		}
	}
	s.checkFinished()
}

// drain parses frames from src once the session is decided: data is
// dropped, a close frame is the handshake's reply. It returns the bytes
// consumed, or -1 when src broke the protocol or is done.
func (l *relayLeg) drain(b []byte) int {
	i := 0
	for i < len(b) {
		if l.remain > 0 {
			n := int(min(l.remain, int64(len(b)-i)))
			i += n
			l.remain -= int64(n)
			continue
		}
		h, err := parseHeader(b[i:])
		if err == nil && h.size > 0 {
			err = l.checkMask(&h)
		}
		if err != nil {
			return -1
		}
		if h.size == 0 {
			break
		}
		if h.op >= opClose {
			end := i + h.size + int(h.length)
			if end > len(b) {
				break
			}
			if h.op == opClose {
				if _, _, valid := l.decodeClose(&h, b[i+h.size:end]); !valid {
					return -1
				}
				if !l.src.closeRecv.Load() {
					l.closeReply(b[i:end])
				}
				return len(b) // nothing may follow a close
			}
			i = end
			continue
		}
		l.remain = h.length
		i += h.size
	}
	return i
}
