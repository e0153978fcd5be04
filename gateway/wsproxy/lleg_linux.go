//go:build linux

package wsproxy

// One direction of a loop session: the frame parser and forwarder, the
// same rules as relayLeg (leg.go) with non-blocking writes: bytes the
// destination does not take now are queued on it (loopSide.out) and this
// leg's source is not read until they are gone.

import (
	"encoding/binary"
	"fmt"

	"github.com/coder/websocket"
)

type loopLeg struct {
	// Parser state.
	remain  int64 // payload bytes of the current data frame not seen yet
	msgLen  int64 // payload bytes of the current message so far
	fin     bool  // the current data frame ends its message
	inMsg   bool  // a fragmented data message is in progress
	closing bool  // the leg saw the verdict: it forwards no more data
	stopped bool  // the source broke the protocol: it is not read any more
	ncarry  uint8
	carry   *[carrySize]byte // a partial frame carried to the next read (pooled)

	// Message rate limit (client to backend only): a token bucket.
	rate, tokens, burst float64
	last                int64

	// Messages completed by bytes not written yet, and the totals.
	batchMsgs, batchBytes int64
	msgs, bytes           int64
}

// midFrame reports whether a relayed data frame toward the destination is
// in progress (its header is written, its payload is not complete): no
// other frame may be written there until it ends.
func (l *loopLeg) midFrame() bool { return l.remain > 0 && !l.closing }

func (l *loopLeg) keepCarry(b []byte) {
	l.carry = carryPool.Get().(*[carrySize]byte)
	l.ncarry = uint8(copy(l.carry[:], b))
}

// flush writes p to the destination and commits the messages it
// completes. It reports false when the write failed (reported).
func (l *loopLeg) flush(s *loopSession, x Direction, p []byte) bool {
	dst := &s.side[x^1]
	if len(p) > 0 {
		if dst.dead || dst.broken || dst.closeSent {
			// The session is decided: nothing more goes to dst.
			l.batchMsgs, l.batchBytes = 0, 0
			return true
		}
		if err := s.send(x^1, p); err != nil {
			l.batchMsgs, l.batchBytes = 0, 0
			s.writeFailed(x^1, err)
			return false
		}
	}
	if l.batchMsgs > 0 {
		l.msgs += l.batchMsgs
		l.bytes += l.batchBytes
		if s.obs != nil {
			s.obs.OnMessages(x, l.batchMsgs, l.batchBytes)
		}
		l.batchMsgs, l.batchBytes = 0, 0
	}
	return true
}

// process relays the frames in b, read from side x, and returns how many
// bytes it consumed (the rest is carried to the next read), or -1 when x is
// gone.
func (l *loopLeg) process(s *loopSession, x Direction, b []byte) int {
	if l.closing {
		return l.drainFrom(s, x, b, 0)
	}
	i, seg := 0, 0 // seg: start of the bytes to forward not written yet
	for i < len(b) {
		if l.remain > 0 {
			n := int(min(l.remain, int64(len(b)-i)))
			i += n
			l.remain -= int64(n)
			s.lastActivity = s.p.now
			if l.remain == 0 && l.fin {
				l.completed()
			}
			continue
		}
		// At a frame boundary.
		if s.final {
			l.flush(s, x, b[seg:i])
			return l.drainFrom(s, x, b, i)
		}
		h, err := parseHeader(b[i:])
		if err == nil && h.size > 0 {
			err = checkMask(x, &h)
		}
		if err != nil {
			l.flush(s, x, b[seg:i])
			l.protocolError(s, x, err)
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
				if l.ourPong(&s.side[x], &h, payload) {
					// The answer to the gateway's ping: swallowed.
					if !l.flush(s, x, b[seg:i]) {
						return l.drainFrom(s, x, b, end)
					}
					seg = end
				}
			case opClose:
				if !l.onClose(s, x, b, seg, i, end, &h, payload) {
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
			l.flush(s, x, b[seg:i])
			l.protocolError(s, x, err)
			return -1
		}
		if h.op != opCont {
			l.msgLen = 0
			if l.rate > 0 && !l.takeToken(s.p.now) {
				return l.overLimit(s, x, b, seg, i, &h, websocket.StatusPolicyViolation, "message rate exceeded",
					fmt.Errorf("%s sent more than %g messages per second (burst %d)", x.side(), s.lim.MaxMessageRate, s.lim.MessageBurst))
			}
		}
		// Compared before adding: msgLen + length can wrap around int64.
		if max := s.lim.MaxMessageSize; max > 0 && h.length > max-l.msgLen {
			return l.overLimit(s, x, b, seg, i, &h, websocket.StatusMessageTooBig, "message too big",
				fmt.Errorf("%s sent a message over %d bytes", x.side(), max))
		}
		l.msgLen += h.length
		s.lastActivity = s.p.now
		l.inMsg = !h.fin
		l.fin = h.fin
		l.remain = h.length
		i += h.size
		if h.length == 0 && h.fin {
			l.completed()
		}
	}
	if !l.flush(s, x, b[seg:i]) {
		return l.drainFrom(s, x, b, i)
	}
	if l.remain == 0 {
		s.sendQueued(x ^ 1) // a close waited for the frame to end
	}
	return i
}

// drainFrom switches the leg to draining (the session is decided, or dst
// failed) and drains b[i:]; it returns the bytes consumed or -1.
func (l *loopLeg) drainFrom(s *loopSession, x Direction, b []byte, i int) int {
	wasMid := l.midFrame()
	l.closing = true
	l.batchMsgs, l.batchBytes = 0, 0 // nothing more is forwarded
	if !wasMid {
		s.sendQueued(x ^ 1)
	} else if dst := &s.side[x^1]; dst.qSet {
		// The frame toward dst can no longer be completed: dst cannot
		// take a close frame any more.
		dst.qSet = false
		s.kill(x ^ 1)
	}
	c := l.drain(s, x, b[i:])
	if c < 0 {
		s.kill(x)
		return -1
	}
	return i + c
}

// completed records the end of a message; it is committed (counted) when
// the write holding its last byte is done.
func (l *loopLeg) completed() {
	l.batchMsgs++
	l.batchBytes += l.msgLen
	l.msgLen = 0
}

// ourPong reports whether a pong from src answers the gateway's ping.
func (l *loopLeg) ourPong(src *loopSide, h *frameHeader, payload []byte) bool {
	want := src.pingOut
	if want == 0 || len(payload) != 8 {
		return false
	}
	var p [8]byte
	copy(p[:], payload)
	if h.masked {
		maskBytes(p[:], h.key)
	}
	if binary.BigEndian.Uint64(p[:]) != want {
		return false
	}
	src.pingOut = 0
	return true
}

// takeToken refills the message bucket and takes one token, reporting
// false when the client is over MaxMessageRate.
func (l *loopLeg) takeToken(now int64) bool {
	l.tokens = min(l.burst, l.tokens+float64(now-l.last)*l.rate)
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

// protocolError reports side x breaking the protocol: it gets 1002 and is
// dropped, like a side that vanished.
func (l *loopLeg) protocolError(s *loopSession, x Direction, err error) {
	l.stopped = true
	v := vanished(x, fmt.Errorf("%s protocol error: %w", x.side(), err))
	v.set(x, closeAction{kind: actCloseDrop, code: websocket.StatusProtocolError, reason: "protocol error"})
	if !s.report(v, false) {
		s.kill(x)
	}
}

// overLimit ends the session for the data frame at b[i:] (see
// relayLeg.overLimit).
func (l *loopLeg) overLimit(s *loopSession, x Direction, b []byte, seg, i int, h *frameHeader, code websocket.StatusCode, what string, err error) int {
	l.flush(s, x, b[seg:i])
	reason := x.side() + " " + what
	v := relayVerdict{by: ClosedByLimit, code: code, reason: reason, err: err}
	v.set(x, closeAction{kind: actClose, code: code, reason: what})
	v.set(x^1, closeAction{kind: actClose, code: x.failCode(), reason: reason})
	s.report(v, false)
	l.remain = h.length
	l.closing = true
	return l.drainFrom(s, x, b, i+h.size)
}

// onClose handles a close frame b[i:end] from side x in normal mode (see
// relayLeg.onClose). It reports false when x broke the protocol.
func (l *loopLeg) onClose(s *loopSession, x Direction, b []byte, seg, i, end int, h *frameHeader, payload []byte) bool {
	code, reason, valid := decodeClose(h, payload)
	if !valid {
		l.flush(s, x, b[seg:i])
		l.protocolError(s, x, errClosePayload)
		return false
	}
	v := relayVerdict{by: x.side(), code: code, reason: reason}
	v.set(x, closeAction{kind: actRelay, code: code, reason: reason})
	v.set(x^1, closeAction{kind: actNone})
	s.side[x].closeRecv = true
	l.flush(s, x, b[seg:i]) // a failure is weak: this close is the better explanation
	l.closing = true
	if !s.report(v, false) {
		// Another verdict came first: this close is the answer to it.
		l.closeReply(s, x, b[i:end])
		return true
	}
	// Relay the close frame itself; the other side's reply comes back the
	// same way (drain).
	dst := &s.side[x^1]
	if dst.broken || dst.dead {
		s.kill(x ^ 1) // x then gets its own close back
	} else if !dst.closeSent {
		dst.closeSent = true
		if err := s.send(x^1, b[i:end]); err != nil {
			dst.broken = true
			s.kill(x ^ 1)
		}
	}
	s.checkFinished()
	return true
}

// closeReply handles a close frame from side x once the session is
// decided: it completes x's handshake, and is relayed to the other side if
// that one waits for it.
func (l *loopLeg) closeReply(s *loopSession, x Direction, frame []byte) {
	s.side[x].closeRecv = true
	dst := &s.side[x^1]
	if a := s.verdict.action(x ^ 1); a.kind == actRelay && !dst.dead && !dst.closeSent {
		if dst.broken {
			s.kill(x ^ 1)
		} else {
			dst.closeSent = true
			if err := s.send(x^1, frame); err != nil {
				dst.broken = true
				s.kill(x ^ 1)
			}
		}
	}
	s.checkFinished()
}

// drain parses frames from side x once the session is decided: data is
// dropped, a close frame is the handshake's reply. It returns the bytes
// consumed, or -1 when x broke the protocol or is done.
func (l *loopLeg) drain(s *loopSession, x Direction, b []byte) int {
	if s.side[x].closeRecv {
		return len(b) // nothing may follow x's close frame: dropped unparsed
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
			err = checkMask(x, &h)
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
				if !s.side[x].closeRecv {
					l.closeReply(s, x, b[i:end])
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
