package wsproxy

import (
	"context"
	"fmt"
	"net"
	"os"
)

// A Relayer runs proxied sessions. Start hands it both legs of an upgraded
// connection; from then on the Relayer owns them: it forwards frames both
// ways until the session ends (a close, a limit, a timeout, ctx done; see
// the close-code table in doc.go), closes both connections, and then calls
// done with the session's Stats, from a goroutine of its own (done may
// block, log and take locks), or, on the event loop, from the loop itself
// when done is a QuickDone that says it cannot block. Start itself returns
// at once.
//
// ctx is the gateway's shutdown context for the session (not the request's):
// when it is done, both sides get 1001 "going away", or the code and reason
// of a *CloseCause it was cancelled with. The gateway gives each session a
// *sessctx.Ctx, which the event loop watches directly and whose cause is
// read with sessctx.Cause; any other context works as well.
//
// Two implementations behave the same, frame for frame and code for code
// (the relay tests run against both): Goroutines, two goroutines per
// session doing blocking I/O, on every platform; and on Linux EventLoop, an
// epoll event loop that holds no goroutine per session.
type Relayer interface {
	Start(ctx context.Context, client, backend *Conn, lim Limits, obs Observer, done Done)
	// Name is "goroutines" or "eventloop".
	Name() string
}

// Goroutines is the goroutine relay: per session, one goroutine per
// direction reads one side with blocking I/O and writes the other.
type Goroutines struct{}

// Start implements Relayer.
func (Goroutines) Start(ctx context.Context, client, backend *Conn, lim Limits, obs Observer, done Done) {
	client.conn, backend.conn = goConn(client.conn), goConn(backend.conn)
	go func() { done.SessionDone(relayGoroutines(ctx, client, backend, lim, obs)) }()
}

// Done is what a Relayer tells a session's Stats once the session has
// ended and both connections are closed. The gateway's exchange is one
// (a func made per session to call it was an allocation per handshake).
type Done interface {
	SessionDone(Stats)
}

// QuickDone is a Done that can tell, when its session has ended, that
// its SessionDone cannot block: it takes no lock held across I/O, makes
// no network call and writes nothing that can wait on a file or a pipe.
// The event loop calls such a callback on the loop itself, at the end of
// the batch of events that ended the session, instead of handing it to a
// reporter goroutine (report_linux.go). SessionQuick is asked once, on
// the loop, just before SessionDone is called on the loop or handed over;
// a Done that answers true must then not block.
type QuickDone interface {
	Done
	SessionQuick() bool
}

// DoneFunc is a func(Stats) as a Done.
type DoneFunc func(Stats)

// SessionDone implements Done.
func (f DoneFunc) SessionDone(st Stats) { f(st) }

// Name implements Relayer.
func (Goroutines) Name() string { return "goroutines" }

// Relay runs one session on r (Default() if nil) and returns its Stats once
// it has ended and both connections are closed.
func Relay(ctx context.Context, r Relayer, client, backend *Conn, lim Limits, obs Observer) Stats {
	if r == nil {
		r = Default()
	}
	ch := make(chan Stats, 1)
	r.Start(ctx, client, backend, lim, obs, DoneFunc(func(st Stats) { ch <- st }))
	return <-ch
}

// Relayers lists the data paths available on this platform, the default
// first.
func Relayers() []string { return relayerNames }

// SetEventLoops sets how many relay event loops the eventloop data path
// runs (Linux): n from 1 to 64, or 0 for the default, one per GOMAXPROCS
// (at most 8). The loops start with the first relayer asked for (NewRelayer,
// Default) and their number is fixed from then on: a call after that
// fails unless it asks for the number they have. Elsewhere it only checks n.
func SetEventLoops(n int) error {
	if n < 0 || n > 64 {
		return fmt.Errorf("relay event loops: %d is not from 0 to 64", n)
	}
	return setEventLoops(n)
}

// NewRelayer returns the relayer named name ("" or "auto": the default).
func NewRelayer(name string) (Relayer, error) {
	switch name {
	case "", "auto":
		return Default(), nil
	case "goroutines":
		return Goroutines{}, nil
	}
	if r := platformRelayer(name); r != nil {
		return r, nil
	}
	return nil, fmt.Errorf("unknown WebSocket data path %q (available: %v)", name, relayerNames)
}

// detacher is a connection that hands its socket descriptor over: one
// accepted by the h1 front's event loops (gateway/internal/evloop), whose
// reads and writes are only for the task that served its handshake.
type detacher interface{ Detach() (int, error) }

// goConn returns c as a connection any goroutine may use: a detacher's
// descriptor becomes a *net.TCPConn in Go's own poller; anything else is
// returned as it is. A detacher that cannot be taken over is returned
// closed (the relay then ends at once).
func goConn(c net.Conn) net.Conn {
	d, ok := c.(detacher)
	if !ok {
		return c
	}
	fd, err := d.Detach()
	if err != nil {
		return c
	}
	f := os.NewFile(uintptr(fd), "")
	nc, err := net.FileConn(f)
	_ = f.Close()
	if err != nil {
		return c
	}
	return nc
}
