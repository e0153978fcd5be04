package wsproxy

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"tollgate/gateway/internal/sessctx"
)

type relaySession struct {
	ctx          context.Context // only for its cause at shutdown (sessctx.Cause)
	lim          Limits
	obs          Observer // may be nil
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

// relayGoroutines is the goroutine relay (see Goroutines): the caller's
// goroutine relays backend-to-client frames; one more goroutine is started
// for client-to-backend. It returns when the session has ended and both
// connections are closed.
func relayGoroutines(ctx context.Context, client, backend *Conn, lim Limits, obs Observer) Stats {
	lim = lim.withDefaults()
	s := &relaySession{ctx: ctx, lim: lim, obs: obs, start: time.Now()}
	s.client = relayConn{conn: client.conn, x: ClientToBackend, mask: false}
	s.backend = relayConn{conn: backend.conn, x: BackendToClient, mask: true}
	s.c2b = relayLeg{s: s, src: &s.client, dst: &s.backend, pending: client.pending}
	s.b2c = relayLeg{s: s, src: &s.backend, dst: &s.client, pending: backend.pending}
	client.pending, backend.pending = nil, nil
	now := monoNow()
	s.c2b.init(ClientToBackend, &s.lim, &s.closing, now)
	s.b2c.init(BackendToClient, &s.lim, &s.closing, now)

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

	return s.verdict.stats(s.c2b.msgs, s.b2c.msgs, s.c2b.bytes, s.b2c.bytes)
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

// sendClose writes a gateway-built close frame to side x, unless it already
// got one; a side that cannot take it is dropped.
func (s *relaySession) sendClose(x Direction, code websocket.StatusCode, reason string) {
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
func (s *relaySession) kill(x Direction) {
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
	cause := sessctx.Cause(s.ctx)
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
	return deadVerdict(overdue(&s.client), overdue(&s.backend))
}

// pingBoth sends the gateway's ping to each side that has none outstanding,
// whose reader is not busy and whose write lock is free. A ping that cannot
// be written within PingTimeout means the side is dead; other write errors
// mean the connection is closing, which its reader reports more accurately.
func (s *relaySession) pingBoth(now time.Duration) (relayVerdict, bool) {
	var dead [2]bool
	for _, x := range [2]Direction{ClientToBackend, BackendToClient} {
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
	return deadVerdict(dead[ClientToBackend], dead[BackendToClient])
}
