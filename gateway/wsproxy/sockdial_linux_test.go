//go:build linux

package wsproxy

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestDirectDialPaths: on Linux a literal IP address is dialed on a raw
// socket; a host name (resolved by net) and a zoned address go to
// net.Dialer.
func TestDirectDialPaths(t *testing.T) {
	_, port, _ := net.SplitHostPort(silentBackend(t))
	for _, tc := range []struct {
		host string
		raw  bool
	}{
		{"127.0.0.1", true},
		{"localhost", false},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := dialDirect(ctx, (&net.Dialer{}).DialContext, tc.host, net.JoinHostPort(tc.host, port))
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", tc.host, err)
		}
		if _, raw := c.(*sockConn); raw != tc.raw {
			t.Errorf("%s: dialed as %T, want raw %v", tc.host, c, tc.raw)
		}
		_ = c.Close()
	}
}
