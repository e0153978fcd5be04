package wsproxy

// The frame parser both relays share (the goroutine relay's relayLeg and
// the event loop's loopLeg): a state machine over the bytes one read
// returned. It walks the frames, keeps the per-direction message state
// (payload left in the current frame, fragmented message in progress,
// message size so far, the client's message-rate bucket, messages completed
// by bytes not written yet) and stops only where its caller must act: at
// the end of the bytes, at a control frame the relay looks into (pong,
// close), at a protocol error, at a limit, or when the session is decided.
// Data frames, pings and payload bytes are walked over without a call out,
// so forwarding a read of many small frames is one loop and one write.

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/coder/websocket"
)

// scanEvent is why frameScanner.scan stopped.
type scanEvent uint8

const (
	scanEnd   scanEvent = iota // the bytes are consumed up to at; b[at:] is a partial header or control frame to carry
	scanHalt                   // the session is decided (halt): the caller drains from at
	scanPong                   // a complete pong frame starts at at
	scanClose                  // a complete close frame starts at at
	scanError                  // the frame at at breaks the protocol
	scanRate                   // the data message starting at at is over MaxMessageRate
	scanSize                   // the data frame at at takes its message over MaxMessageSize
)

// frameScanner is the parser state of one direction.
type frameScanner struct {
	halt    *atomic.Bool // set once the session is decided: no data is forwarded after a frame boundary
	maxSize int64        // MaxMessageSize, <= 0: none
	remain  int64        // payload bytes of the current data frame not seen yet
	msgLen  int64        // payload bytes of the current message so far
	x       Direction    // the direction: frames come from side x
	fin     bool         // the current data frame ends its message
	inMsg   bool         // a fragmented data message is in progress
	closing bool         // the leg saw the verdict: it forwards no more data (drain mode)
	data    bool         // data was seen since the caller last cleared it (activity)

	// Message rate limit (client to backend only): a token bucket.
	rate   float64 // tokens per nanosecond; 0: unlimited
	tokens float64
	burst  float64
	last   int64 // mono time of the last refill

	// Messages completed by bytes not written yet, and the totals.
	batchMsgs, batchBytes int64
	msgs, bytes           int64
}

// init sets the scanner up for direction x under lim (with defaults);
// halt is the session's "decided" flag, now the mono time the session
// starts.
func (p *frameScanner) init(x Direction, lim *Limits, halt *atomic.Bool, now int64) {
	p.x, p.halt, p.maxSize = x, halt, lim.MaxMessageSize
	if x == ClientToBackend && lim.MaxMessageRate > 0 {
		p.rate = lim.MaxMessageRate / 1e9
		p.burst = float64(lim.MessageBurst)
		p.tokens, p.last = p.burst, now
	}
}

// scan walks the frames of b from i, which is either a frame boundary or
// inside the payload of the current data frame (p.remain), and returns
// where it stopped and why. For scanPong and scanClose, h is the complete
// control frame at b[at:]; for scanRate and scanSize, h is the data frame
// header at b[at:] (nothing of it is consumed); for scanError, err says
// what broke. now is the mono time (only read when a message rate is set).
func (p *frameScanner) scan(b []byte, i int, now int64) (ev scanEvent, at int, h frameHeader, err error) {
	for i < len(b) {
		if p.remain > 0 {
			n := int(min(p.remain, int64(len(b)-i)))
			i += n
			p.remain -= int64(n)
			p.data = true
			if p.remain == 0 && p.fin {
				p.completed()
			}
			continue
		}
		// At a frame boundary.
		if p.halt.Load() {
			return scanHalt, i, h, nil
		}
		h, err = parseHeader(b[i:])
		if err == nil && h.size > 0 {
			err = checkMask(p.x, &h)
		}
		if err != nil {
			return scanError, i, h, err
		}
		if h.size == 0 {
			break // incomplete header: carried over
		}
		if h.op >= opClose {
			end := i + h.size + int(h.length)
			if end > len(b) {
				break // incomplete control frame: carried over
			}
			switch h.op {
			case opPong:
				return scanPong, i, h, nil
			case opClose:
				return scanClose, i, h, nil
			}
			i = end // a ping: relayed as is
			continue
		}
		// Data frame.
		switch {
		case h.op == opCont && !p.inMsg:
			return scanError, i, h, errContinuation
		case h.op != opCont && p.inMsg:
			return scanError, i, h, errNewMessage
		}
		if h.op != opCont {
			p.msgLen = 0
			if p.rate > 0 && !p.takeToken(now) {
				return scanRate, i, h, nil
			}
		}
		// Compared before adding: msgLen + length can wrap around int64.
		if p.maxSize > 0 && h.length > p.maxSize-p.msgLen {
			return scanSize, i, h, nil
		}
		p.msgLen += h.length
		p.data = true
		p.inMsg = !h.fin
		p.fin = h.fin
		p.remain = h.length
		i += h.size
		if h.length == 0 && h.fin {
			p.completed()
		}
	}
	return scanEnd, i, frameHeader{}, nil
}

// skip walks the frames of b from i once the session is decided (drain
// mode): data and pings are dropped unchecked. It stops at the end of b
// (scanEnd), at a close frame with a valid payload (scanClose, h its
// header) or at a protocol error, an invalid close payload included
// (scanError).
func (p *frameScanner) skip(b []byte, i int) (ev scanEvent, at int, h frameHeader) {
	for i < len(b) {
		if p.remain > 0 {
			n := int(min(p.remain, int64(len(b)-i)))
			i += n
			p.remain -= int64(n)
			continue
		}
		var err error
		h, err = parseHeader(b[i:])
		if err == nil && h.size > 0 {
			err = checkMask(p.x, &h)
		}
		if err != nil {
			return scanError, i, h
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
					return scanError, i, h
				}
				return scanClose, i, h
			}
			i = end
			continue
		}
		p.remain = h.length
		i += h.size
	}
	return scanEnd, i, frameHeader{}
}

// completed records the end of a message; it is committed (counted) when
// the write holding its last byte is done.
func (p *frameScanner) completed() {
	p.batchMsgs++
	p.batchBytes += p.msgLen
	p.msgLen = 0
}

// commit counts the messages completed by the bytes just written and tells
// obs (may be nil).
func (p *frameScanner) commit(obs Observer) {
	if p.batchMsgs > 0 {
		p.msgs += p.batchMsgs
		p.bytes += p.batchBytes
		if obs != nil {
			obs.OnMessages(p.x, p.batchMsgs, p.batchBytes)
		}
		p.batchMsgs, p.batchBytes = 0, 0
	}
}

// forget drops the messages completed by bytes that will not be written.
func (p *frameScanner) forget() { p.batchMsgs, p.batchBytes = 0, 0 }

// takeToken refills the message bucket and takes one token, reporting
// false when the client is over MaxMessageRate.
func (p *frameScanner) takeToken(now int64) bool {
	p.tokens = min(p.burst, p.tokens+float64(now-p.last)*p.rate)
	p.last = now
	if p.tokens < 1 {
		return false
	}
	p.tokens--
	return true
}

// overLimit is the verdict for side x breaking a limit (ev scanRate or
// scanSize): x gets the limit's code, the other side 1001/1014
// "<x> <what>".
func overLimit(x Direction, ev scanEvent, lim *Limits) relayVerdict {
	code, what := websocket.StatusMessageTooBig, "message too big"
	err := fmt.Errorf("%s sent a message over %d bytes", x.side(), lim.MaxMessageSize)
	if ev == scanRate {
		code, what = websocket.StatusPolicyViolation, "message rate exceeded"
		err = fmt.Errorf("%s sent more than %g messages per second (burst %d)", x.side(), lim.MaxMessageRate, lim.MessageBurst)
	}
	reason := x.side() + " " + what
	v := relayVerdict{by: ClosedByLimit, code: code, reason: reason, err: err}
	v.set(x, closeAction{kind: actClose, code: code, reason: what})
	v.set(x^1, closeAction{kind: actClose, code: x.failCode(), reason: reason})
	return v
}

// protocolVerdict is the verdict for side x breaking the protocol: it gets
// 1002 and is dropped, like a side that vanished.
func protocolVerdict(x Direction, err error) relayVerdict {
	v := vanished(x, fmt.Errorf("%s protocol error: %w", x.side(), err))
	v.set(x, closeAction{kind: actCloseDrop, code: websocket.StatusProtocolError, reason: "protocol error"})
	return v
}

// closedVerdict is the verdict for side x sending a close frame with code
// and reason: it is relayed as is, and the other side's reply goes back.
func closedVerdict(x Direction, code websocket.StatusCode, reason string) relayVerdict {
	v := relayVerdict{by: x.side(), code: code, reason: reason}
	v.set(x, closeAction{kind: actRelay, code: code, reason: reason})
	v.set(x^1, closeAction{kind: actNone})
	return v
}

// pongMatches reports whether a pong frame (header h, payload) carries
// want, the payload of the gateway's ping (0: none outstanding).
func pongMatches(h *frameHeader, payload []byte, want uint64) bool {
	if want == 0 || len(payload) != 8 {
		return false
	}
	var q [8]byte
	copy(q[:], payload)
	if h.masked {
		maskBytes(q[:], h.key)
	}
	return binary.BigEndian.Uint64(q[:]) == want
}
