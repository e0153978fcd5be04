package wsproxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
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

	msgs, bytes int64 // owned by the leg; read by Relay after it ends
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
			l.batchMsgs, l.batchBytes = 0, 0
			return true
		}
		if err := l.dst.writeData(p, l.s.lim.WriteTimeout); err != nil {
			l.dst.broken = true
			l.batchMsgs, l.batchBytes = 0, 0
			l.writeFailed(err)
			return false
		}
	}
	if l.batchMsgs > 0 {
		l.msgs += l.batchMsgs
		l.bytes += l.batchBytes
		if obs := l.s.obs; obs != nil {
			obs.OnMessages(l.dir, l.batchMsgs, l.batchBytes)
		}
		l.batchMsgs, l.batchBytes = 0, 0
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
	v := vanished(x, fmt.Errorf("%s protocol error: %w", x.side(), err))
	v.set(x, closeAction{kind: actCloseDrop, code: websocket.StatusProtocolError, reason: "protocol error"})
	l.s.report(v, false)
}

// checkMask applies the masking rule for frames read from src.
func (l *relayLeg) checkMask(h *frameHeader) error { return checkMask(l.src.x, h) }

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
				l.completed()
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
					fmt.Errorf("%s sent more than %g messages per second (burst %d)", l.src.x.side(), l.s.lim.MaxMessageRate, l.s.lim.MessageBurst))
			}
		}
		// Compared before adding: msgLen + length can wrap around int64.
		if max := l.s.lim.MaxMessageSize; max > 0 && h.length > max-l.msgLen {
			return l.overLimit(b, seg, i, &h, websocket.StatusMessageTooBig, "message too big",
				fmt.Errorf("%s sent a message over %d bytes", l.src.x.side(), max))
		}
		l.msgLen += h.length
		data = true
		l.inMsg = !h.fin
		l.fin = h.fin
		l.remain = h.length
		i += h.size
		if h.length == 0 && h.fin {
			l.completed()
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
	l.batchMsgs, l.batchBytes = 0, 0 // nothing more is forwarded
	c := l.drain(b[i:])
	if c < 0 {
		l.s.kill(l.src.x)
		return -1
	}
	return i + c
}

// completed records the end of a message at b[:i]; it is committed (counted)
// when the write holding its last byte succeeds.
func (l *relayLeg) completed() {
	l.batchMsgs++
	l.batchBytes += l.msgLen
	l.msgLen = 0
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
	reason := x.side() + " " + what
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
	code, reason, valid := decodeClose(h, payload)
	if !valid {
		l.flush(b[seg:i])
		l.protocolError(errClosePayload)
		return false
	}
	x := l.src.x
	v := relayVerdict{by: x.side(), code: code, reason: reason}
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
				if _, _, valid := decodeClose(&h, b[i+h.size:end]); !valid {
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
