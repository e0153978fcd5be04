//go:build linux

package wsproxy

// One direction of a loop session: the shared frame parser (scan.go) and
// the forwarder, the same rules as relayLeg (leg.go) with non-blocking
// writes: bytes the destination does not take now are queued on it
// (loopSide.out) and this leg's source is not read until they are gone.

type loopLeg struct {
	frameScanner // parser state

	stopped bool // the source broke the protocol: it is not read any more
	ncarry  uint8
	carry   *[carrySize]byte // a partial frame carried to the next read (pooled)
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
			l.forget()
			return true
		}
		if err := s.send(x^1, p); err != nil {
			l.forget()
			s.writeFailed(x^1, err)
			return false
		}
	}
	l.commit(s.obs)
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
	for {
		ev, at, h, err := l.scan(b, i, s.p.now)
		switch ev {
		case scanEnd:
			if !l.flush(s, x, b[seg:at]) {
				return l.drainFrom(s, x, b, at)
			}
			if l.remain == 0 {
				s.sendQueued(x ^ 1) // a close waited for the frame to end
			}
			return at
		case scanHalt:
			l.flush(s, x, b[seg:at])
			return l.drainFrom(s, x, b, at)
		case scanError:
			l.flush(s, x, b[seg:at])
			l.protocolError(s, x, err)
			return -1
		case scanRate, scanSize:
			// The frames before it are forwarded, the frame is skipped
			// (x's close reply follows it).
			l.flush(s, x, b[seg:at])
			s.report(overLimit(x, ev, &s.lim), false)
			l.remain = h.length
			l.closing = true
			s.evStale = true
			return l.drainFrom(s, x, b, at+h.size)
		}
		end := at + h.size + int(h.length)
		payload := b[at+h.size : end]
		if ev == scanClose {
			if !l.onClose(s, x, b, seg, at, end, &h, payload) {
				return -1
			}
			l.closing = true
			s.evStale = true
			return len(b) // nothing may follow a close frame
		}
		// A pong: the answer to the gateway's ping is swallowed.
		if src := &s.side[x]; pongMatches(&h, payload, src.pingOut) {
			src.pingOut = 0
			if !l.flush(s, x, b[seg:at]) {
				return l.drainFrom(s, x, b, end)
			}
			seg = end
		}
		i = end
	}
}

// drainFrom switches the leg to draining (the session is decided, or dst
// failed) and drains b[i:]; it returns the bytes consumed or -1.
func (l *loopLeg) drainFrom(s *loopSession, x Direction, b []byte, i int) int {
	wasMid := l.midFrame()
	l.closing = true
	s.evStale = true
	l.forget() // nothing more is forwarded
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

// protocolError reports side x breaking the protocol: it gets 1002 and is
// dropped, like a side that vanished.
func (l *loopLeg) protocolError(s *loopSession, x Direction, err error) {
	l.stopped = true
	s.evStale = true
	if !s.report(protocolVerdict(x, err), false) {
		s.kill(x)
	}
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
	s.side[x].closeRecv = true
	l.flush(s, x, b[seg:i]) // a failure is weak: this close is the better explanation
	l.closing = true
	s.evStale = true
	if !s.report(closedVerdict(x, code, reason), false) {
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
	ev, at, h := l.skip(b, 0)
	switch ev {
	case scanEnd:
		return at
	case scanClose:
		l.closeReply(s, x, b[at:at+h.size+int(h.length)])
		return len(b) // nothing may follow a close
	}
	return -1
}
