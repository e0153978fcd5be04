package wsproxy

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
	_ "unsafe" // go:linkname

	"github.com/coder/websocket"
)

// SendMessage writes one complete message (binary or text) on c, masked if c
// is the backend leg. Use it to inject a message into either leg before
// calling Relay (for example a policy's initial message to the backend right
// after connecting): until Relay starts, nothing reads from the connection,
// so this must not wait for an answer. The write is bounded by
// DefaultWriteTimeout. Messages written this way are not counted in
// Stats. Once Relay runs, do not write to the connections yourself.
func (c *Conn) SendMessage(binary bool, data []byte) error {
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
func (c *Conn) CloseWith(code websocket.StatusCode, reason string) {
	var buf [2 + 4 + 125]byte
	_ = c.conn.SetWriteDeadline(time.Now().Add(closeWait))
	_, _ = c.conn.Write(closeFrame(buf[:0], code, reason, c.mask))
	_ = c.conn.Close()
}

// relayConn is one side of a session, as a destination of writes.
type relayConn struct {
	conn net.Conn
	x    Direction // the direction that reads this side
	mask bool      // frames the gateway builds for this side are masked

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

// nanotime is the runtime's monotonic clock, the one time.Since reads
// (the runtime keeps it reachable by linkname for packages outside the
// standard library, see runtime/time_nofake.go).
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// monoStart anchors monoNow.
var monoStart = nanotime()

// monoNow is a monotonic clock reading in nanoseconds since the package
// was initialised: the reading time.Since(start) makes, without its
// wrapper (time.runtimeNano, the synctest bubble check, subMono's overflow
// checks): 50 instructions a reading where it cost 84. The event loop
// reads it twice per batch of events.
func monoNow() int64 { return nanotime() - monoStart }

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

func (s *relaySession) conn(x Direction) *relayConn {
	if x == ClientToBackend {
		return &s.client
	}
	return &s.backend
}
