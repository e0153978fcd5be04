//go:build linux

package wsproxy

// A session on the event loop: the same verdicts, close handshakes, timers
// and keepalive as the goroutine relay (session.go), driven by readiness
// events and signals on one loop goroutine, so nothing here takes a lock.

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sys/unix"

	"tollgate/gateway/internal/rawio"
	"tollgate/gateway/internal/sessctx"
)

// loopSide is one side of a loop session: its socket and what is pending
// toward it.
type loopSide struct {
	s   *loopSession
	fd  int32
	gen int32 // the poller's registration number (see poller.gen)
	// inEpoll: fd is in the epoll set already, registered for its
	// handshake's waits (registerWaiter): register modifies its entry, or
	// keeps it as it is when it is the session's already (events and gen
	// set from it: see sockConn.handOver).
	inEpoll bool
	// seen, on the entry of a sockConn waiting for its handshake's I/O:
	// what the loop reported for it (seenEvent since the handshake's last
	// read, seenHUP ever), for the session that keeps its registration.
	seen atomic.Uint32
	// wake is set on the entry of a sockConn waiting for its handshake's
	// I/O (registerWaiter): the loop only wakes it.
	wake   chan struct{}
	x      Direction // the direction that reads this side
	mask   bool      // frames the gateway builds for this side are masked
	events uint32    // what fd is polled for

	dead      bool // fd closed without (or after) the handshake
	broken    bool // a write failed: nothing more is written
	closeSent bool // a close frame was queued or written to it
	closeRecv bool // a close frame was read from it
	dropAfter bool // close the connection once out is flushed (protocol error)
	linger    bool // the session is over; reading (and dropping) until EOF

	// Bytes that the socket did not take yet (out[outOff:outLen]); while
	// there are any, the other side is not read.
	out            *[outSize]byte
	outOff, outLen int32
	outSince       int64 // mono time the oldest pending bytes were queued

	// A close the verdict asks for, waiting for the relayed frame toward
	// this side to end (qSet).
	qSet    bool
	qCode   websocket.StatusCode
	qReason string

	pingOut uint64 // payload of the gateway's unanswered ping, 0 if none
	pingAt  int64  // mono time it was sent
}

func (sd *loopSide) pending() bool { return sd.out != nil }

type loopSession struct {
	p    *poller
	ctx  context.Context
	lim  Limits
	obs  Observer
	done Done

	sig       atomic.Uint32 // signals not handled yet (sig* bits)
	tmAt      int64         // its deadline (mono time), while in its poller's timers (tmPos)
	tmPos     int32         // its place in the timers' heap, plus one; 0 if not in it
	watching  *sessctx.Ctx  // the session context watched directly (see watchCtx)
	stopCtx   func() bool   // context.AfterFunc's, for any other ctx
	started   bool
	startErr  error // startHere could not register a side: the loop fails the session
	finished  bool
	lingering int8 // sides in a lingering close
	// evStale: what updateEvents looks at (a leg's closing or stopped, a
	// side's dead or pending output) changed since it last ran. input
	// runs it only then: a relayed read that changes none of them leaves
	// every side's events as they are.
	evStale bool

	side [2]loopSide // by the direction that reads it
	leg  [2]loopLeg  // by direction

	lastActivity int64 // mono time of the last data seen
	nextPing     int64 // mono time of the next ping round
	// closeBy: once final, when the close handshakes are given up; once
	// finished, when a lingering close is.
	closeBy int64

	final       bool
	halt        atomic.Bool // final, for the frame scanners
	verdict     relayVerdict
	weak        *relayVerdict
	weakPending bool // a weak report waits for the end of the current event

	pendClient, pendBackend []byte // read past the handshakes, relayed first
}

// signal records sig for s and makes sure the loop will look at it. It may
// be called from any goroutine.
func (s *loopSession) signal(sig uint32) {
	if s.sig.Or(sig) == 0 {
		s.p.enqueue(s)
	}
}

// onSignals runs on the loop.
func (s *loopSession) onSignals(sig uint32) {
	if s.finished {
		if sig&sigTick != 0 && s.lingering > 0 {
			if now := monoNow(); now < s.closeBy {
				s.armFrom(now, s.closeBy) // a deadline set before the session finished: wait out the rest
				return
			}
			s.endLinger()
		}
		return
	}
	if sig&sigPoll != 0 {
		s.p.more = true // events came while startHere held the session: take them again
	}
	if sig&sigStart != 0 && !s.started {
		s.begin()
	}
	if sig&sigStart != 0 && s.startErr != nil && !s.final {
		x := ClientToBackend // the side startHere could not register
		if s.p.sides.get(int(s.side[x].fd)) == &s.side[x] {
			x = BackendToClient
		}
		s.decide(failed(x, ClosedByError, websocket.StatusInternalError, "internal error", s.startErr))
		s.finish()
	}
	if s.finished {
		return
	}
	if sig&sigCtx != 0 && !s.final {
		s.onShutdown()
	}
	if sig&sigTick != 0 && !s.finished {
		s.onTick()
	}
	s.afterEvent()
}

// begin registers both sockets, relays the bytes read past the handshakes
// and starts the timer and the ctx watch.
func (s *loopSession) begin() {
	now := s.p.now
	if now == 0 {
		s.p.now = monoNow()
		now = s.p.now
	}
	s.setup(now)
	for x := range s.side {
		if err := s.p.register(&s.side[x]); err != nil {
			s.decide(failed(Direction(x), ClosedByError, websocket.StatusInternalError, "internal error", err))
			s.finish()
			return
		}
	}
	s.p.more = true // poll again before parking: the sockets may be ready already
	s.watchCtx()
	s.armTimer()
	for _, x := range [2]Direction{ClientToBackend, BackendToClient} {
		p := s.pendClient
		if x == BackendToClient {
			p = s.pendBackend
		}
		for len(p) > 0 && !s.finished && !s.side[x].dead {
			n := copy(s.p.buf[carrySize:], p)
			p = p[n:]
			s.input(x, n)
		}
	}
	s.pendClient, s.pendBackend = nil, nil
}

// setup initialises the session's clocks and legs at mono time now.
func (s *loopSession) setup(now int64) {
	s.started = true
	s.evStale = true
	s.lastActivity = now
	s.nextPing = after(now, s.lim.PingInterval)
	s.leg[ClientToBackend].init(ClientToBackend, &s.lim, &s.halt, now)
	s.leg[BackendToClient].init(BackendToClient, &s.lim, &s.halt, now)
}

// startHere is begin for a session with no bytes read past the handshakes,
// run by Start on its own goroutine: the sides are registered with the
// poller's epoll directly, so starting a session costs the loop no wakeup
// (an eventfd write, an epoll_wait and an eventfd read before). While
// sigHold is set the loop does not touch the session (its readiness and
// signals are recorded as sigPoll and the like); clearing it hands the
// session over, queueing it on the loop if anything came in meanwhile.
//
// bw is the backend's wait entry when the session keeps the registration
// its handshake's wait made (see sockConn.handOver): the loop reported
// that socket to the wait, not to the session, and a level-triggered
// socket it reported is not reported again until something else wakes
// the loop. When the loop saw it ready after the handshake's last read,
// or saw its FIN, or that read filled its buffer (bw.seen), the session
// has the loop poll again (sigPoll), as for readiness while it was held.
func (s *loopSession) startHere(bw *loopSide) {
	s.sig.Store(sigHold)
	now := monoNow()
	s.setup(now)
	for x := range s.side {
		if err := s.p.register(&s.side[x]); err != nil {
			s.startErr = err
			s.sig.Or(sigStart) // the loop fails the session
			break
		}
	}
	if bw != nil && s.startErr == nil && bw.seen.Load() != 0 {
		s.sig.Or(sigPoll) // after the side took bw's place: see poller.wakeWaiter
	}
	if s.startErr == nil {
		s.watchCtx()
		if at, ok := s.nextDeadline(); ok {
			s.armFrom(now, at)
		}
	}
	if old := s.sig.And(^sigHold); old&^sigHold != 0 {
		s.p.enqueue(s)
	}
}

// watchCtx has s signalled (sigCtx) when its ctx ends. The gateway's
// session context is watched directly, with s itself as its Watcher: no
// context.AfterFunc, closures, Done channel or children map.
func (s *loopSession) watchCtx() {
	if sc, ok := s.ctx.(*sessctx.Ctx); ok {
		if sc.Watch(s) {
			s.watching = sc
		} else {
			s.signal(sigCtx) // over already
		}
		return
	}
	s.stopCtx = context.AfterFunc(s.ctx, func() { s.signal(sigCtx) })
}

// SessionEnded implements sessctx.Watcher.
func (s *loopSession) SessionEnded() { s.signal(sigCtx) }

// onEvent handles readiness of side x.
func (s *loopSession) onEvent(x Direction, events uint32) {
	sd := &s.side[x]
	hup := events&unix.EPOLLRDHUP != 0
	if sd.linger {
		s.lingerRead(sd, hup)
		return
	}
	if events&unix.EPOLLOUT != 0 && sd.pending() {
		s.writable(x)
	}
	if !sd.dead && !s.finished {
		switch {
		case events&unix.EPOLLIN != 0:
			drained := s.readable(x)
			if hup {
				// The peer's FIN came with (or before) what was just read:
				// the next read finds the EOF, and nothing will signal it.
				// When that read came back short, it found the EOF already:
				// the FIN was in before it, so everything sent before the
				// FIN was queued, and a short read empties the queue. Then
				// the EOF is taken as read (one system call fewer for a
				// peer that closes with its last frame, as a backend
				// answering the close does).
				switch {
				case sd.linger && drained: // what was read ended the session
					s.unlinger(sd, true)
				case sd.linger:
					s.lingerRead(sd, true)
				case !sd.dead && !s.finished && sd.events&unix.EPOLLIN != 0:
					if drained {
						s.readFailed(x, io.EOF)
					} else {
						s.readable(x)
					}
				}
			}
		case events&(unix.EPOLLERR|unix.EPOLLHUP) != 0:
			// Reported even while reading x is paused: the connection
			// failed (what it still held is lost, as with a reset).
			err := error(io.EOF)
			if v, _ := rawio.GetsockoptInt(int(sd.fd), unix.SOL_SOCKET, unix.SO_ERROR); v != 0 {
				err = &net.OpError{Op: "read", Net: "tcp", Err: unix.Errno(v)}
			}
			s.readFailed(x, err)
		}
	}
	s.afterEvent()
}

// afterEvent settles what the event left to do: a weak report (a failed
// write) becomes the verdict unless reading that side says better.
func (s *loopSession) afterEvent() {
	if s.weakPending && !s.finished {
		s.weakPending = false
		for x := range s.side {
			sd := &s.side[x]
			if sd.broken && !sd.dead && !s.final {
				s.readable(Direction(x)) // a close frame or EOF is the better explanation
			}
		}
		if !s.final && s.weak != nil {
			s.decide(*s.weak)
		}
	}
	if !s.finished {
		s.checkFinished()
	}
}

// readable reads once from side x and relays what it got. drained: the
// read got bytes, fewer than it asked for (the socket's queue is empty).
func (s *loopSession) readable(x Direction) (drained bool) {
	sd := &s.side[x]
	n, err := sysRead(int(sd.fd), s.p.buf[carrySize:])
	if err == unix.EAGAIN {
		return false
	}
	drained = err == nil && n > 0 && n < len(s.p.buf)-carrySize
	if n == len(s.p.buf)-carrySize {
		s.p.more = true // there may be more: read again before parking
	}
	if n > 0 {
		s.input(x, n)
	}
	if n == 0 && err == nil {
		loopEOFReads.Add(1)
		err = io.EOF
	} else if n > 0 {
		err = nil
	}
	if err != nil && !sd.dead && !s.finished {
		if err != io.EOF {
			err = &net.OpError{Op: "read", Net: "tcp", Err: err}
		}
		s.readFailed(x, err)
	}
	return drained
}

// input relays the n bytes read from side x into the poller's buffer (at
// carrySize), after the partial frame carried from the previous read; a
// partial frame at the end is carried to the next one.
func (s *loopSession) input(x Direction, n int) {
	l := &s.leg[x]
	start := carrySize
	if l.carry != nil {
		start -= copy(s.p.buf[carrySize-int(l.ncarry):], l.carry[:l.ncarry])
		carryPool.Put(l.carry)
		l.carry, l.ncarry = nil, 0
	}
	b := s.p.buf[start : carrySize+n]
	c := l.process(s, x, b)
	if l.data {
		l.data = false
		s.lastActivity = s.p.now
	}
	if c < 0 || s.side[x].dead || s.finished {
		return
	}
	if c < len(b) {
		l.keepCarry(b[c:])
	}
	if s.evStale {
		s.updateEvents()
	}
}

// readFailed handles a read error or EOF of side x.
func (s *loopSession) readFailed(x Direction, err error) {
	if !s.final {
		if s.report(vanished(x, err), false) {
			return
		}
	}
	s.kill(x)
}

// writable flushes side x's pending output.
func (s *loopSession) writable(x Direction) {
	sd := &s.side[x]
	if sd.dead || sd.out == nil {
		return
	}
	n, err := sysWrite(int(sd.fd), sd.out[sd.outOff:sd.outLen])
	sd.outOff += int32(n)
	if err != nil {
		s.writeFailed(x, err)
		return
	}
	if sd.outOff < sd.outLen {
		return
	}
	s.releaseOut(sd)
	if sd.dropAfter {
		s.kill(x)
		return
	}
	s.updateEvents()
	s.checkFinished()
}

func (s *loopSession) releaseOut(sd *loopSide) {
	if sd.out != nil {
		outPool.Put(sd.out)
		sd.out, sd.outOff, sd.outLen = nil, 0, 0
		s.evStale = true
	}
}

// send writes p (relayed bytes or a gateway frame) to side x, queuing what
// the socket does not take now. It reports an error only when the
// connection failed (the caller reports it).
func (s *loopSession) send(x Direction, p []byte) error {
	sd := &s.side[x]
	if sd.dead {
		return net.ErrClosed
	}
	if sd.out == nil {
		n, err := sysWrite(int(sd.fd), p)
		if err != nil {
			return err
		}
		if n == len(p) {
			return nil
		}
		p = p[n:]
		sd.out = outPool.Get().(*[outSize]byte)
		sd.outSince = s.p.now
		if d := s.lim.WriteTimeout; d > 0 {
			s.armBy(after(s.p.now, d))
		}
		s.updateEvents()
	}
	if int(sd.outLen)+len(p) > outSize && sd.outOff > 0 {
		sd.outLen = int32(copy(sd.out[:], sd.out[sd.outOff:sd.outLen]))
		sd.outOff = 0
	}
	if int(sd.outLen)+len(p) > outSize {
		// Cannot happen: reading toward x is paused while out is in use.
		return errors.New("internal error: pending output overflow")
	}
	sd.outLen += int32(copy(sd.out[sd.outLen:], p))
	return nil
}

// updateEvents polls each side for what it can do now: reading unless the
// other side cannot take more (its leg is not draining), writing while
// output is pending.
func (s *loopSession) updateEvents() {
	s.evStale = false
	for x := range s.side {
		sd := &s.side[x]
		if sd.dead {
			continue
		}
		var ev uint32
		if !s.leg[x].stopped && (s.leg[x].closing || !s.side[x^1].pending() || s.side[x^1].dead) {
			ev |= readEvents
		}
		if sd.pending() {
			ev |= unix.EPOLLOUT
		}
		s.p.setEvents(sd, ev)
	}
}

// writeFailed handles a failed write to side x: the connection is most
// likely closing, and reading it may say how (see "Verdicts").
func (s *loopSession) writeFailed(x Direction, err error) {
	sd := &s.side[x]
	sd.broken = true
	s.releaseOut(sd)
	if s.final {
		s.kill(x)
		return
	}
	s.report(sideError(x, "disconnected", &net.OpError{Op: "write", Net: "tcp", Err: err}), true)
	s.weakPending = true
}

// report is the verdict funnel (see relaySession.report).
func (s *loopSession) report(v relayVerdict, weak bool) bool {
	if s.final {
		return false
	}
	if weak {
		if s.weak == nil {
			w := v // a copy: taking v's address would move every verdict to the heap
			s.weak = &w
		}
		return false
	}
	s.decide(v)
	return true
}

// decide makes v the verdict and starts the close handshakes it asks for.
func (s *loopSession) decide(v relayVerdict) {
	s.final, s.verdict = true, v
	s.halt.Store(true)
	s.closeBy = after(s.p.now, closeWait)
	// The deadline is lingerTime, the sooner of the two: a close
	// handshake usually ends well within it, and the lingering close that
	// follows then keeps it (see finish); one that takes longer has its
	// deadline set again for closeBy (onTick). On a poller whose timer is
	// armed for no later (another session's), neither touches it.
	s.setTimer(min(s.closeBy, after(s.p.now, lingerTime)))
	for _, x := range [2]Direction{ClientToBackend, BackendToClient} {
		switch a := s.verdict.action(x); a.kind {
		case actDrop:
			s.kill(x)
		case actClose:
			s.sendClose(x, a.code, a.reason)
		case actCloseDrop:
			s.side[x].dropAfter = true
			s.sendClose(x, a.code, a.reason)
			if sd := &s.side[x]; !sd.pending() && !sd.qSet {
				s.kill(x)
			}
		}
	}
	s.updateEvents()
	s.checkFinished()
}

// sendClose writes a gateway-built close frame to side x, unless it already
// got one; while a relayed frame toward x is in progress, it waits for its
// end (or closeWait).
func (s *loopSession) sendClose(x Direction, code websocket.StatusCode, reason string) {
	sd := &s.side[x]
	if sd.dead || sd.closeSent {
		return
	}
	if sd.broken {
		s.kill(x)
		return
	}
	if s.leg[x^1].midFrame() {
		sd.qSet, sd.qCode, sd.qReason = true, code, reason
		return
	}
	var buf [2 + 4 + 125]byte
	sd.closeSent = true
	if err := s.send(x, closeFrame(buf[:0], code, reason, sd.mask)); err != nil {
		sd.broken = true
		s.kill(x)
		return
	}
	if sd.dropAfter && !sd.pending() {
		s.kill(x)
	}
}

// sendQueued sends the close queued for side x, if any, now that the
// relayed frame toward it has ended.
func (s *loopSession) sendQueued(x Direction) {
	sd := &s.side[x]
	if sd.qSet {
		sd.qSet = false
		s.sendClose(x, sd.qCode, sd.qReason)
		sd.qReason = ""
	}
}

// kill closes side x without handshake. If the other side waits for x's
// close reply to be relayed, it gets its fallback close instead.
func (s *loopSession) kill(x Direction) {
	sd := &s.side[x]
	if sd.dead {
		return
	}
	sd.dead = true
	s.evStale = true
	s.releaseOut(sd)
	s.p.unregister(sd)
	if s.final {
		if a := s.verdict.action(x ^ 1); a.kind == actRelay {
			s.sendClose(x^1, a.code, a.reason)
		}
	}
	s.checkFinished()
}

// checkFinished ends the session once both close handshakes are through
// (or their sides are gone).
func (s *loopSession) checkFinished() {
	if s.finished || !s.final {
		return
	}
	through := func(sd *loopSide) bool {
		return sd.dead || sd.closeSent && sd.closeRecv && !sd.pending()
	}
	if through(&s.side[0]) && through(&s.side[1]) {
		s.finish()
	}
}

// finish closes what is left and reports the session's Stats.
func (s *loopSession) finish() {
	if s.finished {
		return
	}
	s.finished = true
	for x := range s.side {
		sd := &s.side[x]
		if !sd.dead {
			sd.dead = true
			s.evStale = true
			s.releaseOut(sd)
			if sd.closeSent && sd.closeRecv && (Direction(x) == BackendToClient || rawio.Shutdown(int(sd.fd), unix.SHUT_WR) == 0) {
				// Lingering close: the peer gets our FIN after the last
				// frame, and what it still sends is read and dropped until
				// it closes too (or lingerTime), so that closing never
				// resets a connection whose last frames the peer has not
				// read yet. To the backend the gateway is the WebSocket
				// client, and a client waits for the server to close the
				// TCP connection first (RFC 6455, 7.1.1): no shutdown
				// there, the backend's FIN ends the wait (or lingerTime,
				// then close). That is one system call fewer, and the
				// TIME_WAIT state of the connection stays with the
				// backend, never on the gateway's ports (before, when the
				// gateway's FIN crossed the backend's: 74 of 8,264
				// handshakes in one benchmark run).
				sd.linger = true
				s.lingering++
				s.p.setEvents(sd, readEvents)
			} else {
				s.p.unregister(sd)
			}
		}
		if l := &s.leg[x]; l.carry != nil {
			carryPool.Put(l.carry)
			l.carry = nil
		}
	}
	if s.lingering > 0 {
		// Bounded by lingerTime from now. A deadline set already for no
		// later (decide's, lingerTime from the verdict) is kept: a tick
		// before the end sets it for what is left (onSignals). Moving it
		// later instead would touch no runtime timer either, but would be
		// a heap operation per session for a lingering close that usually
		// ends with the peer's FIN at once.
		s.closeBy = after(s.p.now, lingerTime)
		s.armBy(s.closeBy)
	} else {
		s.releaseTimer()
	}
	if s.watching != nil {
		s.watching.Unwatch(s)
		s.watching = nil
	}
	if s.stopCtx != nil {
		s.stopCtx()
	}
	if !s.final { // cannot happen: the session ends on a verdict
		s.final = true
		s.verdict = relayVerdict{by: ClosedByError, code: websocket.StatusInternalError, reason: "internal error"}
	}
	c, b := &s.leg[ClientToBackend], &s.leg[BackendToClient]
	st := s.verdict.stats(c.msgs, b.msgs, c.bytes, b.bytes)
	done := s.done
	s.done, s.obs, s.ctx = nil, nil, nil
	if s.lingering == 0 {
		loopSessions.Add(-1)
	}
	s.p.sessionDone(done, st) // called or handed to a reporter at the end of the loop's batch
}

// lingerTime bounds a lingering close (see finish).
const lingerTime = 2 * time.Second

// lingerRead drops what a lingering side sent; at its EOF (or an error) the
// socket is closed.
func (s *loopSession) lingerRead(sd *loopSide, hup bool) {
	for range 16 {
		n, err := sysRead(int(sd.fd), s.p.drain[:])
		if err == unix.EAGAIN {
			return
		}
		if n <= 0 || err != nil {
			if n == 0 && err == nil {
				loopEOFReads.Add(1)
			}
			s.unlinger(sd, n == 0 && err == nil)
			return
		}
		if n < len(s.p.drain) && !hup {
			return // drained (after the peer's FIN, the EOF is next: read on)
		}
	}
	s.p.more = true
}

func (s *loopSession) unlinger(sd *loopSide, eof bool) {
	if !sd.linger {
		return
	}
	sd.linger = false
	s.p.unregisterAt(sd, eof)
	if s.lingering--; s.lingering == 0 {
		s.releaseTimer()
		loopSessions.Add(-1)
	}
}

// endLinger closes the sockets still lingering after lingerTime.
func (s *loopSession) endLinger() {
	for x := range s.side {
		s.unlinger(&s.side[x], false)
	}
}

// onShutdown: ctx is done (see relaySession.onShutdown).
func (s *loopSession) onShutdown() {
	a := closeAction{kind: actClose, code: websocket.StatusGoingAway, reason: "going away"}
	by := ClosedByShutdown
	cause := sessctx.Cause(s.ctx)
	var cc *CloseCause
	if errors.As(cause, &cc) {
		a = closeAction{kind: actClose, code: cc.Code, reason: cc.Reason}
		by = ClosedByGateway
	}
	s.report(relayVerdict{by: by, code: a.code, reason: a.reason, err: cause, client: a, backend: a}, false)
}

// ---------------------------------------------------------------------------
// Timer: idle timeout, pings, pong deadlines, write timeouts, closeWait.

// armBy makes sure s's deadline is no later than at (mono time).
func (s *loopSession) armBy(at int64) { s.armFrom(s.p.now, at) }

// armFrom is armBy with the mono time now.
func (s *loopSession) armFrom(now, at int64) { s.p.timers.setBy(s, at, now) }

// setTimer makes at s's deadline, sooner or later than the one it had.
func (s *loopSession) setTimer(at int64) { s.p.timers.set(s, at, s.p.now) }

// releaseTimer takes s's deadline out of its poller's timers.
func (s *loopSession) releaseTimer() { s.p.timers.cancel(s) }

// armTimer sets s's deadline to the next one it has (none: out of the
// timers).
func (s *loopSession) armTimer() {
	if at, ok := s.nextDeadline(); ok {
		s.setTimer(at)
	} else {
		s.releaseTimer()
	}
}

func (s *loopSession) nextDeadline() (int64, bool) {
	var at int64
	ok := false
	take := func(t int64) {
		if !ok || t < at {
			at, ok = t, true
		}
	}
	if s.final {
		take(s.closeBy)
		return at, ok
	}
	if s.lim.IdleTimeout > 0 {
		take(after(s.lastActivity, s.lim.IdleTimeout))
	}
	if s.lim.PingInterval > 0 {
		take(s.nextPing)
	}
	for x := range s.side {
		sd := &s.side[x]
		if sd.pingOut != 0 {
			take(after(sd.pingAt, s.lim.PingTimeout))
		}
		if sd.pending() && s.lim.WriteTimeout > 0 {
			take(after(sd.outSince, s.lim.WriteTimeout))
		}
	}
	return at, ok
}

func (s *loopSession) onTick() {
	now := monoNow()
	s.p.now = now
	if s.final {
		if now >= s.closeBy {
			s.finish() // the close handshakes had their time
			return
		}
		s.armTimer()
		return
	}
	if s.lim.IdleTimeout > 0 && now-s.lastActivity >= int64(s.lim.IdleTimeout) {
		a := closeAction{kind: actClose, code: websocket.StatusGoingAway, reason: "idle timeout"}
		s.report(relayVerdict{by: ClosedByIdle, code: a.code, reason: a.reason, client: a, backend: a}, false)
		return
	}
	if d := s.lim.WriteTimeout; d > 0 {
		for _, x := range [2]Direction{ClientToBackend, BackendToClient} {
			if sd := &s.side[x]; sd.pending() && now-sd.outSince >= int64(d) {
				s.report(stalled(x), false)
				return
			}
		}
	}
	if s.lim.PingInterval > 0 {
		overdue := func(sd *loopSide) bool {
			return sd.pingOut != 0 && now-sd.pingAt >= int64(s.lim.PingTimeout)
		}
		if v, dead := deadVerdict(overdue(&s.side[0]), overdue(&s.side[1])); dead {
			s.report(v, false)
			return
		}
		if now >= s.nextPing {
			if v, dead := s.pingBoth(now); dead {
				s.report(v, false)
				return
			}
			s.nextPing = after(now, s.lim.PingInterval)
		}
	}
	s.armTimer()
}

// pingBoth sends the gateway's ping to each side that has none outstanding
// and can take it now: nothing pending toward it, no relayed frame toward
// it in progress, and its reading not paused (its pong could not be read).
func (s *loopSession) pingBoth(now int64) (relayVerdict, bool) {
	for _, x := range [2]Direction{ClientToBackend, BackendToClient} {
		sd := &s.side[x]
		if sd.pingOut != 0 || sd.dead || sd.broken || sd.closeSent || sd.pending() ||
			s.leg[x^1].midFrame() || s.side[x^1].pending() {
			continue
		}
		payload := rand.Uint64() | 1
		var p [8]byte
		binary.BigEndian.PutUint64(p[:], payload)
		var buf [2 + 4 + 8]byte
		sd.pingAt, sd.pingOut = now, payload
		if err := s.send(x, appendFrame(buf[:0], opPing, p[:], sd.mask)); err != nil {
			sd.pingOut = 0
			s.writeFailed(x, err)
		}
	}
	return relayVerdict{}, false
}
