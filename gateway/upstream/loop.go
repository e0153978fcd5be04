package upstream

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"tollgate/gateway/internal/evloop"
)

// Requests from an event-loop task (gateway/internal/evloop: the h1 server
// with EventLoop) use connections of the task's loop, from a pool of that
// loop's own: dialed with a non-blocking connect the task waits for,
// registered with the loop, and read and written by suspending the task.
// A pool per loop, so a connection is only ever waited on by its loop.
// A request that needs what a loop cannot give it (the Transport's own
// DialContext, or a wait for a slot under MaxConnsPerHost) releases its
// task (evloop.Release) and uses the shared pools.

// loopOf returns the loop whose pool serves a request with ctx: the
// loop of the task ctx carries, or nil (the shared pools), releasing the
// task when it cannot stay on its loop.
func (t *Transport) loopOf(ctx context.Context) *evloop.Loop {
	task := evloop.TaskFrom(ctx)
	if task == nil {
		return nil
	}
	if t.DialContext != nil || t.MaxConnsPerHost > 0 || t.OffLoop {
		task.Release()
		return nil
	}
	return task.Loop()
}

// loopConn returns the event-loop connection under nc (through TLS), or
// nil.
func loopConn(nc net.Conn) *evloop.Conn {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	lc, _ := nc.(*evloop.Conn)
	return lc
}

// loopDial dials addr from the task ctx carries. A name is resolved with
// the task released (resolving may block), each address tried in turn.
func loopDial(ctx context.Context, addr string) (net.Conn, error) {
	const timeout, keepAlive = 30 * time.Second, 30 * time.Second // as defaultDialer
	c, err := evloop.Dial(ctx, addr, timeout, keepAlive)
	if err == nil {
		return c, nil
	}
	if !evloop.IsNotLiteral(err) {
		return nil, err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	evloop.Release(ctx)
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: err}
	}
	var first error
	for _, ip := range ips {
		c, err := evloop.Dial(ctx, net.JoinHostPort(ip.String(), port), timeout, keepAlive)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}
