// Package wsproxy is tollgate's WebSocket data path: the handshakes of both
// legs (accept.go: the client's upgrade; dial.go: the backend's) and the
// relay that forwards frames between them until the session ends.
//
// Files: frame.go (the frame codec), close.go (close frames, verdicts and the
// close-code mapping), write.go (writes and their deadlines), session.go
// (one session: the verdict funnel, timers, shutdown), leg.go (one
// direction: reading, parsing, forwarding).
//
// # The relay
//
// After the policy chain has approved a client's upgrade request, the gateway
// dials the backend (Dialer.Dial), accepts the client
// (acceptWebSocket) and hands both raw connections to Relay, which forwards
// frames both ways until the session ends. Relay owns both connections from
// then on and closes them before it returns; the caller logs and records
// metrics from the returned PumpStats (Relay itself never logs).
//
// # Frames are forwarded as they are
//
// Relay is a frame-aware byte relay, not a WebSocket endpoint: it parses
// every frame header (to keep message counts and boundaries, enforce
// MaxMessageSize before a frame is forwarded, and check the protocol) but
// forwards the bytes unchanged. A client's frames are masked, which RFC 6455
// requires toward the backend anyway; a backend's frames are unmasked, as
// the client needs. Nothing is unmasked, re-masked, reassembled or copied
// into messages; one read, however many frames it holds, is one write. Only
// control frames are looked into (close code and reason, the payload of a
// pong answering the gateway's own ping) and only frames the gateway writes
// itself (pings, closes, initial messages) are built here; those toward the
// backend are masked with a random key.
//
// The checks: RSV bits must be 0 (no extension is ever negotiated, see
// "Handshakes"), the opcode known, client frames masked and backend frames
// unmasked, control frames unfragmented and at most 125 bytes, continuation
// frames only inside a fragmented message, a close payload empty or a valid
// code (+ reason). A violation is a protocol error: the offender gets close
// 1002 and is dropped, like a side that vanished (table below).
//
// # Structure and memory
//
// One session = two relay legs (one per direction, each reading one side and
// writing the other) + one time.AfterFunc timer (idle timeout, keepalive
// pings, pong deadlines), which occupies a goroutine only while it runs.
//
//   - relayLeg c2b runs in a goroutine started by Relay, b2c in the goroutine
//     that called Relay (the gateway calls Relay from a fresh goroutine and
//     returns from its HTTP handler, so net/http's connection goroutine and
//     its buffers are gone for the whole session);
//   - an idle leg is parked in Read on a 256-byte array inside the session
//     struct; a 32 KiB buffer is taken from a sync.Pool only when a read
//     fills the small one (data is flowing) and given back after the first
//     short read. Small messages never touch the pool.
//
// Per idle proxied connection the gateway holds: the session struct (both
// park arrays, parser state), the two net.Conns (the kernel's socket buffers
// are not counted), two small goroutine stacks, one timer. See
// BenchmarkRelayIdleConnMemory for measured figures.
//
// Each outgoing connection has a mutex held around every write, so the
// gateway's own pings and closes never land inside a relayed frame. A frame
// larger than what one read returned is written in pieces, and the lock is
// held from its first byte to its last (across reads). The pinger uses
// TryLock and skips a busy side; a closer waits (bounded) for the frame to
// end, or drops the side.
//
// # Timeouts
//
// Every write is bounded by a write deadline. The gateway's own frames
// (pings: PingTimeout; closes) set theirs exactly. Relayed data is bounded
// by WriteTimeout with a coarse deadline: re-arming a deadline costs a
// runtime timer update (a lock and a heap operation) per write, so a data
// write only re-arms it when the armed one is less than WriteTimeout away,
// and then arms it WriteTimeout + WriteTimeout/8 away. A data write
// therefore fails after being blocked between WriteTimeout and 1.125 x
// WriteTimeout, and a connection that keeps writing re-arms its deadline
// once per WriteTimeout/8 instead of on every write. Idle timeout, pings and pong deadlines are driven by the
// session timer. Once the session is decided (the "verdict"), both sides get
// a read deadline closeWait away: the close handshakes have that long to
// complete, after which both connections are closed.
//
// # Verdicts
//
// Both legs, the timer and ctx report into a single funnel
// (relaySession.report): the first decisive report wins, closes both sides
// with the right codes (see the table) and every later report is ignored.
// Write failures other than timeouts are "weak": the connection we failed to
// write to is most likely closing on its own, and its reader will soon say
// how (close frame with a code, or a TCP drop). A weak report only wins if
// no decisive report follows.
//
// # Close-code mapping
//
// "X" is the side that ended the session, "other" is the opposite side.
// Failing client => backend gets 1001; failing backend => client gets 1014.
//
//	event                                    | X gets                  | other gets                          | ClosedBy  | CloseCode
//	-----------------------------------------+-------------------------+-------------------------------------+-----------+----------
//	X sends close frame with code C, reason R| other's close reply     | X's close frame, relayed as is      | X         | C
//	                                         | (C R if none in 5 s)    |                                     |           |
//	X sends close frame without status (1005)| other's close reply     | X's empty close frame (sees 1005)   | X         | 1005
//	X drops TCP / protocol error (1006)      | connection closed       | client: 1014 "backend disconnected" | X         | 1006
//	                                         | (1002 first if protocol)| backend: 1001 "client disconnected" |           |
//	X sends message > MaxMessageSize         | 1009                    | client: 1014 "backend message too big" | limit  | 1009
//	                                         |                         | backend: 1001 "client message too big" |        |
//	client over MaxMessageRate               | 1008 "message rate exceeded" | backend: 1001 "client message rate exceeded" | limit | 1008
//	X does not answer a ping in PingTimeout  | connection closed       | 1014 / 1001 "<X> ping timeout"      | error     | 1014/1001
//	X takes no relayed data for WriteTimeout | connection closed      | client: 1014 "backend not reading"  | error     | 1014/1011
//	(X stopped reading)                      |                         | backend: 1011 "client not reading"  |           |
//	writing to X fails                       | connection closed       | 1014 / 1001 "<X> disconnected"      | error     | 1014/1001
//	no data message for IdleTimeout          | 1001 "idle timeout"     | 1001 "idle timeout"                 | idle      | 1001
//	ctx done (gateway shutdown)              | 1001 "going away"       | 1001 "going away"                   | shutdown  | 1001
//	ctx cancelled with *CloseCause{C, R}     | C R                     | C R (drain-on-change: 1012)         | gateway   | C
//
// A close frame is relayed byte for byte, so code and reason (or their
// absence: 1005, an empty close frame, legal on the wire) are mirrored for
// free, and the other side's answer goes back the same way; the session ends
// when both closes have passed, or closeWait after the first. Codes 1005,
// 1006 and 1015 can never be sent in a close frame; one that carries them
// (or any invalid code) is a protocol error. 1014 (Bad Gateway) is used
// rather than 1011 for backend failures so that clients and logs can tell
// "backend broke" from "gateway broke". A client that stops reading is the
// exception on the client side: it has not gone away (1001 would say it
// had), the gateway gave up on it, so the backend gets 1011 (the session
// cannot go on); the stalled side itself is dropped without a close frame,
// which could only queue behind the data it does not read (see stalled in
// close.go).
//
// # Keepalive and idle
//
// Every PingInterval both sides are sent a ping with a random 8-byte payload;
// the pong carrying it is swallowed (the peers' own pings and pongs pass
// through). A side whose pong has not arrived PingTimeout after the ping is
// dead. A side whose reader leg is busy (writing to the other side, possibly
// blocked by back-pressure, or in the middle of a frame) or whose write lock
// is taken is not pinged that round: its pong could not be read, and
// progress of a busy direction is bounded by WriteTimeout instead.
//
// Only data frames count as activity: pings and pongs never reset the idle
// timer, so a connection whose peers answer pings but exchange no data is
// still closed after IdleTimeout. Protocols with application-level
// heartbeats (SignalR sends a ping message every 15 s, socket.io every 25 s)
// stay open as long as IdleTimeout is comfortably above their interval; the
// 5 minute default is.
//
// # The event loop
//
// The above describes the goroutine relay (Goroutines: session.go, leg.go,
// write.go). Both relays parse frames with the same frameScanner (scan.go),
// which stops only where the relay must act (end of the read, pong, close,
// protocol error, limit, verdict). On Linux, EventLoop (loop_linux.go, lsession_linux.go,
// lleg_linux.go) applies the same rules, frame for frame and code for code,
// without a goroutine per session: both sockets of a session are
// registered, level-triggered, with one of a few epoll instances, each
// served by one goroutine that waits in Go's own poller (the epoll fd is
// registered there) and takes ready events with epoll_wait(0). A readable
// socket is read once into the loop's buffer and the frames are written to
// the other side; what the other side does not take is queued on it in a
// pooled buffer and the source is not read until the queue is flushed (flow
// control across the session). Where the goroutine relay holds a write lock
// across a partial frame, the loop knows whether a relayed frame toward a
// side is in progress (loopLeg.midFrame): the gateway's pings skip that
// side and its closes wait for the frame's end. A loop's sessions' deadlines
// are in one heap per loop, driven by one runtime timer (ltimer_linux.go).
// Timers and ctx only signal the loop (an atomic bit set, an eventfd
// write); once Start has handed a
// session over (it registers both sockets itself, holding the loop off the
// session until it is set up: startHere), its state is only touched by its
// loop goroutine. A weak report (a failed write) waits for
// the end of the current event, and one read of the failed side, before it
// becomes the verdict. Legs without a socket of their own (TLS, pipes) are
// handed to the goroutine relay. See docs/websocket-data-path.md.
//
// # Handshakes
//
// WebSocket handshakes (RFC 6455 section 4), both legs, done by hand so the
// relay gets bare net.Conns with no library state on them.
//
// Server side (CheckRequest, Upgrade): validate the client's upgrade request,
// hijack, write the 101 ourselves (with the policy-recorded response headers
// and the subprotocol the backend chose), and keep the bytes the client may
// already have sent after its request (they sit in net/http's bufio.Reader,
// which is dropped right after: the relay never reads through a bufio).
//
// Client side (Dialer.Dial): plain TCP (or TLS for wss, certificate and host
// name verified) via the server's dialer, the GET upgrade request written by
// hand with the forwarded headers, the response read into a pooled buffer
// (http.ReadResponse for anything but a plain 101). The gateway's dialer
// (NewDirectDialer) opens a ws backend at a literal IP address on a raw
// socket on Linux (sockdial_linux.go): when the connect completes at once
// (a local backend), the handshake's I/O is made on the socket itself,
// waiting on an event loop's epoll, and EventLoop.Start takes the socket
// with that registration. A refusal (any status but 101) is
// returned with its status, headers and first KiB of body so the gateway can
// pass it on to the client; a 101 is checked (Upgrade, Connection,
// Sec-WebSocket-Accept, subprotocol among those offered, no extension). Bytes
// the backend sent right after its 101 are kept for the relay.
//
// # No extensions
//
// Neither leg ever negotiates an extension (permessage-deflate in practice):
// the client's Sec-WebSocket-Extensions offer is not forwarded, the 101 to
// the client never carries one, and a backend that answers with one is
// refused. The relay forwards frames as they are, so both legs must share
// the same extension state, and "none" is the only state the gateway can
// guarantee on both without decompressing and recompressing every message
// (tens of KiB of flate state per connection and much CPU per message).
package wsproxy
