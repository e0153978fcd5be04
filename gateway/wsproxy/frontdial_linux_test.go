//go:build linux

package wsproxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tollgate/gateway/internal/evloop"
	"tollgate/gateway/internal/sessctx"
	"tollgate/internal/lazyctx"
	"tollgate/internal/monoclock"
	"tollgate/internal/testutil"
)

// onFrontLoop runs f in a task of a one-loop event loop group, as the
// h1 front runs a request there, and waits for it (at most 10 s: a wait
// nobody ends fails the test instead of hanging it).
func onFrontLoop(t *testing.T, f func(ctx context.Context, task *evloop.Task)) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	fd := -1
	_ = rc.Control(func(f uintptr) { fd, err = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) })
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	g, err := evloop.NewGroup(1)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	done := make(chan struct{})
	if err := g.Listen(fd, func(ctx context.Context, c *evloop.Conn) {
		defer close(done)
		defer c.Close()
		f(ctx, evloop.TaskFrom(ctx))
	}); err != nil {
		t.Fatal(err)
	}
	client, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the handshake on the front loop never ended")
	}
}

// TestFrontLoopDial: a handshake that runs on a front event loop's task
// (DialCheckedOn, the gateway's lazy deadline on its session context)
// reads a local backend's 101 on that loop, without leaving it, and every
// way it can end is the dial's of before: the deadline (a timer of the
// loop), the session's end (Shutdown), a refusal passed on with its body,
// a backend that hangs up in the middle of its head, a 101 in two pieces
// with the task moved off its loop by the watchdog between them, and a
// host name, which releases the task before it resolves it.
func TestFrontLoopDial(t *testing.T) {
	good := func(key string) string {
		return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptKey(key) + "\r\n\r\n"
	}
	type backend func(c net.Conn, key string)
	answer := func(c net.Conn, key string) { _, _ = io.WriteString(c, good(key)) }
	tests := []struct {
		name     string
		be       backend
		host     string        // in the URL instead of 127.0.0.1
		timeout  time.Duration // the handshake's (default an hour)
		cancel   bool          // the session ends after 100 ms
		hold     bool          // the task holds its loop between two reads
		want     error         // errors.Is; nil: upgraded (or status)
		status   int           // a refusal's
		released int           // the task's releases by the end
	}{
		{name: "upgraded", be: answer},
		{name: "no answer", be: func(net.Conn, string) {}, timeout: 100 * time.Millisecond, want: context.DeadlineExceeded},
		{name: "session ended", be: func(net.Conn, string) {}, cancel: true, want: context.Canceled},
		{name: "refused", be: func(c net.Conn, _ string) {
			_, _ = io.WriteString(c, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 8\r\n\r\nno token")
		}, status: http.StatusUnauthorized},
		{name: "hangs up mid-head", be: func(c net.Conn, _ string) {
			_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: webs")
			_ = c.(*net.TCPConn).CloseWrite()
		}, want: io.ErrUnexpectedEOF},
		{name: "101 in two pieces, watchdog between", be: func(c net.Conn, key string) {
			h := good(key)
			_, _ = io.WriteString(c, h[:20])
			time.Sleep(100 * time.Millisecond)
			_, _ = io.WriteString(c, h[20:])
		}, hold: true, released: 1},
		{name: "host name", be: answer, host: "localhost", released: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := testutil.ServeTCP(t, func(c net.Conn) {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				tc.be(c, req.Header.Get("Sec-WebSocket-Key"))
				_, _ = io.Copy(io.Discard, c)
			})
			if tc.host != "" {
				_, port, _ := net.SplitHostPort(addr)
				addr = net.JoinHostPort(tc.host, port)
			}
			u := &url.URL{Scheme: "ws", Host: addr, Path: "/"}
			sess := new(sessctx.Ctx)
			if tc.cancel {
				time.AfterFunc(100*time.Millisecond, func() { sess.Cancel(nil) })
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = time.Hour
			}
			var reads atomic.Int32
			if tc.hold {
				// The loop's task holds it on the second read (after the
				// first piece) for longer than the watchdog allows.
				frontReadHook = func() {
					if reads.Add(1) == 2 {
						time.Sleep(20 * time.Millisecond)
					}
				}
				defer func() { frontReadHook = nil }()
			}
			onFrontLoop(t, func(_ context.Context, task *evloop.Task) {
				ctx := lazyctx.New(sess, monoclock.Now().Add(timeout))
				defer ctx.Release()
				start := time.Now()
				c, resp, err := NewDirectDialer(nil).DialCheckedOn(task, ctx, u, nil, nil, false, Checked{}, nil)
				took := time.Since(start)
				if got := task.Releases(); got != tc.released {
					t.Errorf("the task was released %d times, want %d", got, tc.released)
				}
				if tc.hold && task.Forced() != 1 {
					t.Errorf("the watchdog released the task %d times, want 1", task.Forced())
				}
				if tc.host == "" && ctx.Built() != nil {
					t.Error("the wait built the deadline context")
				}
				switch {
				case tc.status != 0:
					if resp == nil || resp.StatusCode != tc.status {
						t.Fatalf("dial: %v, resp %v; want the backend's %d", err, resp, tc.status)
					}
					body, _ := io.ReadAll(resp.Body)
					if string(body) != "no token" || resp.Header.Get("WWW-Authenticate") != "Bearer" {
						t.Errorf("the refusal came back as %v %q", resp.Header, body)
					}
				case tc.want != nil:
					if err == nil {
						_ = c.Close()
						t.Fatal("dial succeeded")
					}
					if !errors.Is(err, tc.want) && !strings.Contains(err.Error(), tc.want.Error()) {
						t.Errorf("dial: %v, want %v", err, tc.want)
					}
					if took > 5*time.Second {
						t.Errorf("dial took %v", took)
					}
				default:
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					sc, ok := c.conn.(*sockConn)
					if ok != (tc.host == "") {
						t.Fatalf("dialed as %T", c.conn)
					}
					if ok && sc.front != (tc.released == 0 || tc.hold) {
						t.Errorf("read on the front loop: %v", sc.front)
					}
					if ok && (sc.hs != nil || sc.sess != nil) {
						t.Errorf("after the handshake: hs %v, session watched %v", sc.hs, sc.sess)
					}
				}
			})
		})
	}
}

// TestFrontLoopDialMany: a hundred handshakes at once on one front loop,
// against a backend that sends each 101 in three pieces with pauses
// between: every wait after the first arms its one-shot registration
// again, and every handshake must end upgraded, none waiting for good.
func TestFrontLoopDialMany(t *testing.T) {
	const n = 100
	addr := testutil.ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		h := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			acceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n"
		for _, piece := range []string{h[:10], h[10:50], h[50:]} {
			_, _ = io.WriteString(c, piece)
			time.Sleep(time.Duration(len(piece)%7) * time.Millisecond)
		}
		_, _ = io.Copy(io.Discard, c)
	})
	u := &url.URL{Scheme: "ws", Host: addr, Path: "/"}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := ln.(*net.TCPListener).SyscallConn()
	fd := -1
	_ = rc.Control(func(f uintptr) { fd, err = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) })
	if err != nil {
		t.Fatal(err)
	}
	front := ln.Addr().String()
	_ = ln.Close()
	g, err := evloop.NewGroup(1)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	var ok, onLoop atomic.Int32
	done := make(chan struct{}, n)
	if err := g.Listen(fd, func(ctx context.Context, c *evloop.Conn) {
		defer func() { done <- struct{}{} }()
		defer c.Close()
		task := evloop.TaskFrom(ctx)
		dctx := lazyctx.New(new(sessctx.Ctx), monoclock.Now().Add(20*time.Second))
		defer dctx.Release()
		bc, _, err := NewDirectDialer(nil).DialCheckedOn(task, dctx, u, nil, nil, false, Checked{}, nil)
		if err != nil {
			t.Errorf("dial: %v", err)
			return
		}
		if sc, _ := bc.conn.(*sockConn); sc != nil && sc.front {
			onLoop.Add(1)
		}
		ok.Add(1)
		_ = bc.Close()
	}); err != nil {
		t.Fatal(err)
	}
	for range n {
		cl, err := net.Dial("tcp4", front)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
	}
	for i := range n {
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Fatalf("%d of %d handshakes ended (%d upgraded)", i, n, ok.Load())
		}
	}
	if ok.Load() != n {
		t.Errorf("%d of %d upgraded", ok.Load(), n)
	}
	if onLoop.Load() == 0 {
		t.Error("no handshake read its 101 on the front loop")
	}
	t.Logf("%d of %d read their 101 on the front loop", onLoop.Load(), n)
}
