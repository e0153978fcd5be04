//go:build linux

package wsproxy

import (
	"context"
	"errors"
	"net"
	"net/url"
	"testing"
	"time"

	"tollgate/internal/lazyctx"
	"tollgate/internal/monoclock"
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

// TestDirectDialLazyContext: a handshake bounded by a lazyctx.Ctx (as the
// gateway bounds it) on a raw socket ends with its deadline or its
// parent's cancellation as one bounded by context.WithTimeout does, and
// its waits never make it build its timer context; a handshake that
// succeeds leaves no timer running.
func TestDirectDialLazyContext(t *testing.T) {
	silent := &url.URL{Scheme: "ws", Host: silentBackend(t), Path: "/"}
	echo, _ := url.Parse(wsURL(echoBackend(t, nil).URL))
	for _, tc := range []struct {
		name string
		u    *url.URL
		want error // nil: the handshake succeeds
	}{
		{"deadline", silent, context.DeadlineExceeded},
		{"parent cancelled", silent, context.Canceled},
		{"upgraded", echo, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, cancel := context.WithCancel(context.Background())
			defer cancel()
			timeout := 100 * time.Millisecond
			if tc.want != context.DeadlineExceeded {
				timeout = time.Hour
			}
			if tc.want == context.Canceled {
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			ctx := lazyctx.New(parent, monoclock.Now().Add(timeout))
			defer ctx.Release()
			start := time.Now()
			c, _, err := NewDirectDialer(nil).Dial(ctx, tc.u, nil, nil)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				sc, ok := c.conn.(*sockConn)
				if !ok {
					t.Fatalf("dialed as %T, want a raw socket", c.conn)
				}
				if sc.hsTimer != nil || sc.hs != nil {
					t.Errorf("after the handshake: timer %v, hs %v", sc.hsTimer, sc.hs)
				}
			} else {
				if err == nil {
					_ = c.Close()
					t.Fatal("dial succeeded")
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("dial: %v, want %v", err, tc.want)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("dial took %v", d)
				}
			}
			if ctx.Built() != nil {
				t.Error("the raw socket's waits built the deadline context")
			}
		})
	}
}
