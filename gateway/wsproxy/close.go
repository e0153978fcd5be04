package wsproxy

import (
	"encoding/binary"
	"errors"
	"net"
	"time"

	"github.com/coder/websocket"
)

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

// closeAction says how one side is closed by a verdict.
type closeAction struct {
	kind   uint8
	code   websocket.StatusCode
	reason string
}

type relayVerdict struct {
	by              string
	code            websocket.StatusCode
	reason          string
	err             error
	drop            bool // a read error that is not a close frame nor a limit
	client, backend closeAction
}

func (v *relayVerdict) set(x Direction, a closeAction) {
	if x == ClientToBackend {
		v.client = a
	} else {
		v.backend = a
	}
}

func (v *relayVerdict) action(x Direction) closeAction {
	if x == ClientToBackend {
		return v.client
	}
	return v.backend
}

// stats is the Stats of a session that ended with verdict v.
func (v *relayVerdict) stats(c2bMsgs, b2cMsgs, c2bBytes, b2cBytes int64) Stats {
	return Stats{
		ClientToBackendMsgs:  c2bMsgs,
		BackendToClientMsgs:  b2cMsgs,
		ClientToBackendBytes: c2bBytes,
		BackendToClientBytes: b2cBytes,
		CloseCode:            v.code,
		CloseReason:          v.reason,
		ClosedBy:             v.by,
		Err:                  v.err,
	}
}

// failed is the verdict for side x having failed: x is closed without
// handshake, the other side gets x.failCode() with reason.
func failed(x Direction, by string, code websocket.StatusCode, reason string, err error) relayVerdict {
	v := relayVerdict{by: by, code: code, reason: reason, err: err}
	v.set(x, closeAction{kind: actDrop})
	v.set(x^1, closeAction{kind: actClose, code: x.failCode(), reason: reason})
	return v
}

// vanished is the verdict for side x gone (a read error) or dropped (a
// protocol error): ClosedBy x, 1006; the other side gets "<x> disconnected".
func vanished(x Direction, err error) relayVerdict {
	v := failed(x, x.side(), websocket.StatusAbnormalClosure, x.side()+" disconnected", err)
	v.drop = true
	return v
}

// sideError is the verdict for a write or ping failure of side x:
// ClosedBy error; the other side gets x.failCode() "<x> <what>".
func sideError(x Direction, what string, err error) relayVerdict {
	return failed(x, ClosedByError, x.failCode(), x.side()+" "+what, err)
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
	for _, x := range [2]Direction{ClientToBackend, BackendToClient} {
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

// stalled is the verdict for side x not taking relayed data: a write to it
// made no progress for WriteTimeout (it stopped reading, or reads slower
// than the other side sends for that long). x is dropped: its receive
// window is full, so a close frame could only queue behind the data it does
// not read. The other side gets a close: the backend 1011 "client not
// reading" (the gateway cannot go on with the session), the client 1014
// "backend not reading" (like every backend failure). ClosedBy error,
// CloseCode the code sent.
func stalled(x Direction) relayVerdict {
	code := websocket.StatusBadGateway
	if x == ClientToBackend {
		code = websocket.StatusInternalError
	}
	reason := x.side() + " not reading"
	v := relayVerdict{by: ClosedByError, code: code, reason: reason, err: errWriteTimeout}
	v.set(x, closeAction{kind: actDrop})
	v.set(x^1, closeAction{kind: actClose, code: code, reason: reason})
	return v
}

func deadVerdict(cdead, bdead bool) (relayVerdict, bool) {
	switch {
	case cdead && bdead:
		return relayVerdict{by: ClosedByError, code: websocket.StatusAbnormalClosure, reason: "ping timeout", err: errPingTimeout,
			client: closeAction{kind: actDrop}, backend: closeAction{kind: actDrop}}, true
	case cdead:
		return sideError(ClientToBackend, "ping timeout", errPingTimeout), true
	case bdead:
		return sideError(BackendToClient, "ping timeout", errPingTimeout), true
	}
	return relayVerdict{}, false
}
