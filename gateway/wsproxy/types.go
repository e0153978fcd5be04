package wsproxy

// Types shared by the WebSocket data path (Relay) and its callers: limits,
// statistics, close attribution and the per-message observer. The semantics
// they describe are defined in doc.go.

import (
	"math"
	"time"

	"github.com/coder/websocket"
)

// Session defaults, used for zero Limits fields.
const (
	DefaultMaxMessageSize int64 = 1 << 20
	DefaultIdleTimeout          = 5 * time.Minute
	DefaultPingInterval         = 30 * time.Second
	DefaultWriteTimeout         = 30 * time.Second
)

// Limits are the limits of one proxied connection. Zero values mean the
// defaults; negative values disable the limit.
type Limits struct {
	// MaxMessageSize bounds each message, in each direction (default 1 MiB).
	// A sender exceeding it is closed with 1009 (message too big); the other
	// side gets 1001 (if the client sent it) or 1014 (if the backend did).
	MaxMessageSize int64
	// IdleTimeout closes both sides with 1001 "idle timeout" when no data
	// message moved in either direction for this long (default 5m). Pings
	// do not count as activity.
	IdleTimeout time.Duration
	// PingInterval is the period of the keepalive pings sent to both sides
	// (default 30s).
	PingInterval time.Duration
	// PingTimeout is how long a ping may go unanswered before the peer is
	// considered dead (default PingInterval).
	PingTimeout time.Duration
	// WriteTimeout bounds each write of (part of) a message to a side
	// (default 30s). A side that takes no relayed data for that long is
	// not reading: it is dropped, and the other side gets 1011 "client not
	// reading" (the backend) or 1014 "backend not reading" (the client).
	// On the goroutine relay the deadline is coarse (see doc.go,
	// "Timeouts"): a blocked write fails after between WriteTimeout and
	// 1.125 x WriteTimeout.
	WriteTimeout time.Duration
	// MaxMessageRate limits the messages a client may send per second on
	// one connection (0: unlimited), as a token bucket holding MessageBurst
	// messages (default: the rate rounded up, at least 1). A client that
	// sends faster is closed with 1008 (policy violation) "message rate
	// exceeded"; the backend gets 1001. Backend messages are never limited.
	MaxMessageRate float64
	MessageBurst   int
}

func (l Limits) withDefaults() Limits {
	if l.MaxMessageSize == 0 {
		l.MaxMessageSize = DefaultMaxMessageSize
	}
	if l.IdleTimeout == 0 {
		l.IdleTimeout = DefaultIdleTimeout
	}
	if l.PingInterval == 0 {
		l.PingInterval = DefaultPingInterval
	}
	if l.PingTimeout <= 0 {
		l.PingTimeout = l.PingInterval
	}
	if l.WriteTimeout == 0 {
		l.WriteTimeout = DefaultWriteTimeout
	}
	if l.MaxMessageRate > 0 && l.MessageBurst <= 0 {
		l.MessageBurst = int(math.Ceil(l.MaxMessageRate))
	}
	return l
}

// Values of Stats.ClosedBy.
const (
	ClosedByClient   = "client"   // the client closed (close frame) or vanished (CloseCode 1006)
	ClosedByBackend  = "backend"  // the backend closed (close frame) or vanished (CloseCode 1006)
	ClosedByIdle     = "idle"     // IdleTimeout expired
	ClosedByLimit    = "limit"    // a message exceeded MaxMessageSize (CloseReason names the side)
	ClosedByShutdown = "shutdown" // the ctx passed to Relay was done
	ClosedByGateway  = "gateway"  // the ctx was cancelled with a *CloseCause (e.g. drain-on-change, 1012)
	ClosedByError    = "error"    // ping or write timeout, or write failure (Err has details)
)

// Stats describes a finished session.
type Stats struct {
	ClientToBackendMsgs, BackendToClientMsgs   int64
	ClientToBackendBytes, BackendToClientBytes int64
	// CloseCode is the code that ended the session: the code received from
	// the closing side, 1006 for a side that vanished, 1009 for a message over
	// the limit, 1001 for idle and shutdown, and for ClosedByError the code
	// sent to the surviving side.
	CloseCode   websocket.StatusCode
	CloseReason string
	// ClosedBy is one of the ClosedBy* constants.
	ClosedBy string
	// Err is the underlying error, if any (drops, limits, timeouts).
	Err error
}

// Direction is the direction of a proxied message.
type Direction uint8

// Directions.
const (
	ClientToBackend Direction = iota
	BackendToClient
)

func (d Direction) String() string {
	if d == ClientToBackend {
		return "client_to_backend"
	}
	return "backend_to_client"
}

// A Direction also names a side of the session: the side it reads from.
// side is that side's name ("client" or "backend", as in Stats.ClosedBy).
func (d Direction) side() string {
	if d == ClientToBackend {
		return ClosedByClient
	}
	return ClosedByBackend
}

// failCode is the code sent to the surviving side when side x fails.
func (d Direction) failCode() websocket.StatusCode {
	if d == ClientToBackend {
		return websocket.StatusGoingAway
	}
	return websocket.StatusBadGateway
}

// Observer receives message totals, e.g. for metrics: after each write
// the relay reports how many complete messages (and payload bytes) it
// forwarded in direction dir. It is called synchronously from the data path
// (on Linux, from the event loop), so it must be cheap and must not block;
// the relay never allocates to call it. A nil Observer is allowed.
type Observer interface {
	OnMessages(dir Direction, msgs, bytes int64)
}

// CloseCause is the cause given when the gateway itself ends a session
// (drain-on-change cancels a session's context with Code 1012): the relay sends
// both sides a close frame with this code and reason, waits (bounded) for
// their replies, and reports ClosedBy "gateway" with this code.
type CloseCause struct {
	Code   websocket.StatusCode
	Reason string
}

func (c *CloseCause) Error() string { return "closed by the gateway: " + c.Reason }
