package wsproxy

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
)

// reader is the leg reading side x.
func (s *relaySession) reader(x Direction) *relayLeg {
	if x == ClientToBackend {
		return &s.c2b
	}
	return &s.b2c
}

// relayBuf is a pooled buffer for a leg while data flows.
type relayBuf struct {
	b [relayBufSize]byte
}

var relayPool = sync.Pool{New: func() any { return new(relayBuf) }}

// relayLeg is one direction of a session: it reads src and writes dst.
type relayLeg struct {
	frameScanner // parser state, owned by the leg's goroutine

	s        *relaySession
	src, dst *relayConn
	pending  []byte      // bytes read past the handshake, relayed first
	busy     atomic.Bool // dst's write lock is held by this leg (writing or mid-frame)
	held     bool        // this leg holds dst.wmu

	park [relayParkSize]byte
}

func (l *relayLeg) run(done chan<- struct{}) {
	if done != nil {
		defer close(done)
	}
	defer l.unlock()
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
	defer relayPool.Put(rb)
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
			l.forget()
			return true
		}
		if err := l.dst.writeData(p, l.s.lim.WriteTimeout); err != nil {
			l.dst.broken = true
			l.forget()
			l.writeFailed(err)
			return false
		}
	}
	l.commit(l.s.obs)
	return true
}

func (l *relayLeg) writeFailed(err error) {
	l.unlock()
	x := l.dst.x
	if errors.Is(err, os.ErrDeadlineExceeded) {
		l.s.report(stalled(x), false)
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
	l.s.report(protocolVerdict(l.src.x, err), false)
}

// process relays the frames in b and returns how many bytes it consumed;
// the rest (an incomplete header or control frame) is carried over to the
// next read. It returns -1 when src is gone (the leg ends).
func (l *relayLeg) process(b []byte) int {
	if l.closing {
		return l.drainFrom(b, 0)
	}
	defer func() {
		if l.data {
			l.data = false
			l.s.touch()
		}
	}()
	var now int64
	if l.rate > 0 {
		now = monoNow()
	}
	i, seg := 0, 0 // seg: start of the bytes to forward not written yet
	for {
		ev, at, h, err := l.scan(b, i, now)
		switch ev {
		case scanEnd:
			if !l.flush(b[seg:at]) {
				return l.drainFrom(b, at)
			}
			if l.remain == 0 {
				l.unlock()
			}
			return at
		case scanHalt:
			l.flush(b[seg:at])
			return l.drainFrom(b, at)
		case scanError:
			l.flush(b[seg:at])
			l.protocolError(err)
			return -1
		case scanRate, scanSize:
			// The frames before it are forwarded, the frame is skipped
			// (src's close reply follows it).
			l.flush(b[seg:at])
			l.unlock()
			l.s.report(overLimit(l.src.x, ev, &l.s.lim), false)
			l.remain = h.length
			return l.drainFrom(b, at+h.size)
		}
		end := at + h.size + int(h.length)
		payload := b[at+h.size : end]
		if ev == scanClose {
			if !l.onClose(b, seg, at, end, &h, payload) {
				return -1
			}
			l.closing = true
			return len(b) // nothing may follow a close frame
		}
		// A pong: the answer to the gateway's ping is swallowed.
		if want := l.src.pingOut.Load(); pongMatches(&h, payload, want) && l.src.pingOut.CompareAndSwap(want, 0) {
			if !l.flush(b[seg:at]) {
				return l.drainFrom(b, end)
			}
			seg = end
		}
		i = end
	}
}

// drainFrom switches the leg to draining (the session is decided, or dst
// failed) and drains b[i:]; it returns the bytes consumed or -1.
func (l *relayLeg) drainFrom(b []byte, i int) int {
	l.unlock()
	l.closing = true
	l.forget() // nothing more is forwarded
	c := l.drain(b[i:])
	if c < 0 {
		l.s.kill(l.src.x)
		return -1
	}
	return i + c
}

// onClose handles a close frame b[i:end] from src in normal mode: the
// session ends with its code, and the frame is relayed as is after the
// frames before it (b[seg:i]). It reports false when src broke the protocol.
func (l *relayLeg) onClose(b []byte, seg, i, end int, h *frameHeader, payload []byte) bool {
	code, reason, valid := decodeClose(h, payload)
	if !valid {
		l.flush(b[seg:i])
		l.protocolError(errClosePayload)
		return false
	}
	x := l.src.x
	l.src.closeRecv.Store(true)
	l.flush(b[seg:i]) // a failure is weak: this close is the better explanation
	if !l.s.report(closedVerdict(x, code, reason), false) {
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
	if l.src.closeRecv.Load() {
		return len(b) // nothing may follow src's close frame: dropped unparsed
	}
	ev, at, h := l.skip(b, 0)
	switch ev {
	case scanEnd:
		return at
	case scanClose:
		l.closeReply(b[at : at+h.size+int(h.length)])
		return len(b) // nothing may follow a close
	}
	return -1
}
