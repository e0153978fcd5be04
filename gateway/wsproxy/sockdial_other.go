//go:build !linux

package wsproxy

import (
	"context"
	"net"

	"tollgate/gateway/internal/evloop"
)

// dialDirect dials with fallback (a net.Dialer): the raw-socket dial is
// Linux only.
func dialDirect(ctx context.Context, fallback func(context.Context, string, string) (net.Conn, error), _, addr string) (net.Conn, error) {
	return fallback(ctx, "tcp", addr)
}

// dialDirectHead is dialDirect; it sends nothing of head (the caller
// writes it).
func dialDirectHead(ctx context.Context, fallback func(context.Context, string, string) (net.Conn, error), _, addr string, _ []byte) (net.Conn, int, error) {
	c, err := fallback(ctx, "tcp", addr)
	return c, 0, err
}

// dialDirect dials with d's fallback.
func (d *Dialer) dialDirect(ctx context.Context, _, addr string, _ []byte, t *evloop.Task) (net.Conn, int, error) {
	if t != nil {
		t.Release()
	}
	c, err := d.dialContext(ctx, "tcp", addr)
	return c, 0, err
}

// OnLoop: no front event loop reads a 101 here.
func (d *Dialer) OnLoop() bool { return false }
