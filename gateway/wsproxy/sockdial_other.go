//go:build !linux

package wsproxy

import (
	"context"
	"net"
)

// dialDirect dials with fallback (a net.Dialer): the raw-socket dial is
// Linux only.
func dialDirect(ctx context.Context, fallback func(context.Context, string, string) (net.Conn, error), _, addr string) (net.Conn, error) {
	return fallback(ctx, "tcp", addr)
}
