package wsproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"tollgate/internal/testutil"
)

// TestDirectDialErrors: the direct dialer (a raw socket on Linux) fails as
// net.Dialer does, error text included, so the gateway's status codes and
// messages (502 for a refused or unreachable backend, 504 with
// context.DeadlineExceeded for a timeout) stay what they were.
func TestDirectDialErrors(t *testing.T) {
	// A port nothing listens on.
	closedAddr := testutil.ClosedPort(t)

	// A listener whose accept queue is full: further connects get no
	// answer (their SYNs are dropped) and time out.
	fullAddr := fullListener(t)

	cases := []struct {
		name    string
		addr    string
		timeout time.Duration
		cancel  bool
		want    error
	}{
		{"refused", closedAddr, 5 * time.Second, false, syscall.ECONNREFUSED},
		{"timeout", fullAddr, 200 * time.Millisecond, false, context.DeadlineExceeded},
		{"cancelled", fullAddr, 5 * time.Second, true, context.Canceled},
		// A TCP connect to a multicast address: ENETUNREACH at once.
		{"unreachable", "224.0.0.1:80", 5 * time.Second, false, syscall.ENETUNREACH},
	}
	netDialer := &Dialer{dialContext: (&net.Dialer{Timeout: directDialTimeout, KeepAlive: -1}).DialContext}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := &url.URL{Scheme: "ws", Host: tc.addr, Path: "/"}
			dial := func(d *Dialer) error {
				ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
				defer cancel()
				if tc.cancel {
					time.AfterFunc(100*time.Millisecond, cancel)
				}
				c, _, err := d.Dial(ctx, u, nil, nil)
				if err == nil {
					_ = c.Close()
					return errors.New("dial succeeded")
				}
				return err
			}
			want := dial(netDialer)
			got := dial(NewDirectDialer(nil))
			if !errors.Is(want, tc.want) {
				t.Fatalf("net.Dialer: %v, want %v (test setup)", want, tc.want)
			}
			if !errors.Is(got, tc.want) {
				t.Errorf("direct dial: %v, want %v", got, tc.want)
			}
			// net.Dialer words a timeout two ways, depending on whether
			// ctx's timer or the poller's deadline (taken from ctx) fires
			// first; Dial then adds ctx's error in front of the second.
			if unwrapCtx(got.Error()) != unwrapCtx(want.Error()) {
				t.Errorf("direct dial error %q, net.Dialer's %q", got, want)
			}
			var ne net.Error
			if errors.As(want, &ne) && ne.Timeout() {
				if !errors.As(got, &ne) || !ne.Timeout() {
					t.Errorf("direct dial error %v is not a timeout", got)
				}
			}
		})
	}
}

// unwrapCtx strips what ctxErr adds in front of a dial error.
func unwrapCtx(s string) string {
	if rest, ok := strings.CutPrefix(s, context.DeadlineExceeded.Error()+" ("); ok {
		return strings.TrimSuffix(rest, ")")
	}
	return s
}

// fullListener listens on a loopback port with a backlog of 0 and fills its
// accept queue, never accepting.
func fullListener(t *testing.T) string {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error { return nil }}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	_ = rc.Control(func(fd uintptr) { _ = syscall.Listen(int(fd), 0) })
	addr := ln.Addr().String()
	// Fill the queue until a connect hangs.
	for i := 0; i < 64; i++ {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	t.Fatal("the backlog never filled up")
	return ""
}

// TestDirectDialConn: a directly dialed backend carries the handshake (on
// Linux on the raw socket, waiting on the event loop's epoll and the
// handshake's ctx) and then, as a net.Conn, deadlines, EOF and Close.
func TestDirectDialConn(t *testing.T) {
	for _, tc := range []struct {
		name    string
		closeHS bool // Close during the handshake
	}{{"handshake then conn", false}, {"closed during the handshake", true}} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			accepted := make(chan net.Conn, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					close(accepted)
					return
				}
				accepted <- c
			}()
			host, _, _ := net.SplitHostPort(ln.Addr().String())
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := dialDirect(ctx, (&net.Dialer{}).DialContext, host, ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			peer := <-accepted
			if peer == nil {
				t.Fatal("no accept")
			}
			defer peer.Close()
			if c.RemoteAddr().String() != ln.Addr().String() {
				t.Errorf("RemoteAddr %v, want %v", c.RemoteAddr(), ln.Addr())
			}
			if c.LocalAddr().String() != peer.RemoteAddr().String() {
				t.Errorf("LocalAddr %v, want %v", c.LocalAddr(), peer.RemoteAddr())
			}
			// The handshake: a request, an answer that comes later (the
			// read waits for it).
			if _, err := c.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			var b [4]byte
			if _, err := io.ReadFull(peer, b[:]); err != nil || string(b[:]) != "ping" {
				t.Fatalf("peer read %q, %v", b, err)
			}
			time.AfterFunc(20*time.Millisecond, func() { _, _ = peer.Write([]byte("pong")) })
			if _, err := io.ReadFull(c, b[:]); err != nil || string(b[:]) != "pong" {
				t.Fatalf("read %q, %v", b, err)
			}
			if tc.closeHS {
				_ = c.Close()
				if _, err := c.Read(b[:]); !errors.Is(err, net.ErrClosed) {
					t.Errorf("read after Close: %v, want net.ErrClosed", err)
				}
				if _, err := c.Write(b[:]); !errors.Is(err, net.ErrClosed) {
					t.Errorf("write after Close: %v, want net.ErrClosed", err)
				}
				_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
				if n, err := peer.Read(b[:]); n != 0 || err != io.EOF {
					t.Errorf("peer read after Close: %d, %v, want EOF", n, err)
				}
				return
			}
			if cb, ok := c.(ctxBound); ok {
				cb.handshakeDone()
			}
			_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			if _, err := c.Read(b[:]); !isTimeout(err) {
				t.Errorf("read past the deadline: %v, want a timeout", err)
			}
			_ = c.SetReadDeadline(time.Time{})
			_ = peer.Close()
			if _, err := c.Read(b[:]); err != io.EOF {
				t.Errorf("read after the peer closed: %v, want EOF", err)
			}
			_ = c.Close()
			if _, err := c.Write(b[:]); !errors.Is(err, net.ErrClosed) {
				t.Errorf("write after Close: %v, want net.ErrClosed", err)
			}
		})
	}
}

// TestDirectDialHandshakeBounded: a backend that accepts and never answers
// the upgrade: the direct dial's handshake ends with ctx (its deadline, or
// its cancellation) as with net.Dialer, promptly.
func TestDirectDialHandshakeBounded(t *testing.T) {
	u := &url.URL{Scheme: "ws", Host: silentBackend(t), Path: "/"}
	for _, tc := range []struct {
		name string
		want error
	}{{"deadline", context.DeadlineExceeded}, {"cancel", context.Canceled}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			if tc.want == context.Canceled {
				ctx, cancel = context.WithCancel(context.Background())
				defer cancel()
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			start := time.Now()
			c, _, err := NewDirectDialer(nil).Dial(ctx, u, nil, nil)
			if err == nil {
				_ = c.Close()
				t.Fatal("dial succeeded")
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("dial: %v, want %v", err, tc.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("dial took %v", d)
			}
		})
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
