//go:build linux

package wsproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unsafe"

	"tollgate/gateway/internal/sessctx"
	"tollgate/internal/lazyctx"
	"tollgate/internal/monoclock"
	"tollgate/internal/testutil"
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
// succeeds leaves no timer running and gives its wait back. The parent is
// a context.WithCancel, or the gateway's session context (sessctx.Ctx),
// which the wait watches without its Done channel.
func TestDirectDialLazyContext(t *testing.T) {
	silent := &url.URL{Scheme: "ws", Host: silentBackend(t), Path: "/"}
	echo, _ := url.Parse(wsURL(echoBackend(t, nil).URL))
	for _, tc := range []struct {
		name string
		u    *url.URL
		want error // nil: the handshake succeeds
		sess bool  // the parent is a sessctx.Ctx
	}{
		{"deadline", silent, context.DeadlineExceeded, false},
		{"parent cancelled", silent, context.Canceled, false},
		{"upgraded", echo, nil, false},
		{"session: deadline", silent, context.DeadlineExceeded, true},
		{"session: cancelled", silent, context.Canceled, true},
		{"session: cancelled before", silent, context.Canceled, true},
		{"session: upgraded", echo, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.sess {
				sc := new(sessctx.Ctx)
				parent, cancel = sc, func() { sc.Cancel(errors.New("drained")) }
				if strings.HasSuffix(tc.name, "before") {
					cancel()
				}
			}
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
				if sc.wait != nil || sc.hs != nil {
					t.Errorf("after the handshake: wait %v, hs %v", sc.wait, sc.hs)
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

// TestDirectDialWaitReuse: handshake waits are pooled; one whose deadline
// fired or whose session ended is not given back, so the handshakes after
// it (on the same processor: the pool's) wait as long as theirs allow.
func TestDirectDialWaitReuse(t *testing.T) {
	silent := &url.URL{Scheme: "ws", Host: silentBackend(t), Path: "/"}
	echo, _ := url.Parse(wsURL(echoBackend(t, nil).URL))
	for i := range 60 {
		sc := new(sessctx.Ctx)
		var ctx *lazyctx.Ctx
		switch i % 3 {
		case 0: // the deadline fires
			ctx = lazyctx.New(sc, monoclock.Now().Add(time.Millisecond))
		case 1: // the session ends
			ctx = lazyctx.New(sc, monoclock.Now().Add(time.Hour))
			time.AfterFunc(time.Millisecond, func() { sc.Cancel(nil) })
		case 2: // it waits, and succeeds
			ctx = lazyctx.New(sc, monoclock.Now().Add(time.Hour))
		}
		u := silent
		if i%3 == 2 {
			u = echo
		}
		c, _, err := NewDirectDialer(nil).Dial(ctx, u, nil, nil)
		ctx.Release()
		if (err == nil) != (u == echo) {
			t.Fatalf("handshake %d (%v): %v", i, u, err)
		}
		if err == nil {
			_ = c.Close()
		}
	}
}

// TestDirectDialWaitEvents: a raw socket's handshake is registered for
// what it waits for: a read wait (the backend's 101) for reading only,
// since the socket is writable at once and the loop would wake it for
// nothing, level-triggered as the session will poll it; a write wait
// after it adds writing, edge-triggered.
func TestDirectDialWaitEvents(t *testing.T) {
	answer, drain := make(chan struct{}), make(chan struct{})
	addr := testutil.ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		<-answer
		_, _ = c.Write([]byte("x"))
		<-drain
		_, _ = io.Copy(io.Discard, c)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := dialDirect(ctx, (&net.Dialer{}).DialContext, "127.0.0.1", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, ok := c.(*sockConn)
	if !ok {
		t.Fatalf("dialed as %T, want a raw socket", c)
	}
	time.AfterFunc(50*time.Millisecond, func() { close(answer) })
	var b [8]byte
	if n, err := sc.Read(b[:]); n != 1 || err != nil {
		t.Fatalf("read: %d, %v", n, err)
	}
	if sc.w == nil || sc.w.events != readEvents {
		t.Fatalf("after a read wait: registered for %#x, want %#x (reading, as the session polls it)", eventsOf(sc), uint32(readEvents))
	}
	time.AfterFunc(50*time.Millisecond, func() { close(drain) })
	if _, err := sc.Write(make([]byte, 32<<20)); err != nil { // more than the socket buffers take
		t.Fatal(err)
	}
	if want := uint32(waitRead | waitWrite); sc.w.events != want {
		t.Fatalf("after a write wait: registered for %#x, want %#x", eventsOf(sc), want)
	}
}

func eventsOf(c *sockConn) uint32 {
	if c.w == nil {
		return 0
	}
	return c.w.events
}

// TestDirectDialAwaitsAnswer: on a raw socket, the backend's 101 is waited
// for before it is read (it cannot be there right after the request): no
// read finds nothing, however late the answer comes.
func TestDirectDialAwaitsAnswer(t *testing.T) {
	for _, delay := range []time.Duration{0, 20 * time.Millisecond} {
		addr := testutil.ServeTCP(t, func(c net.Conn) {
			defer c.Close()
			var buf [4096]byte
			n := 0
			for !strings.Contains(string(buf[:n]), "\r\n\r\n") {
				m, err := c.Read(buf[n:])
				if err != nil {
					return
				}
				n += m
			}
			_, rest, _ := strings.Cut(string(buf[:n]), "Sec-WebSocket-Key: ")
			key, _, _ := strings.Cut(rest, "\r\n")
			var accept [acceptLen]byte
			appendAccept(accept[:0], key)
			time.Sleep(delay)
			_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+
				string(accept[:])+"\r\n\r\n")
			_, _ = io.Copy(io.Discard, c)
		})
		ctx := lazyctx.New(context.Background(), monoclock.Now().Add(10*time.Second))
		c, _, err := NewDirectDialer(nil).Dial(ctx, &url.URL{Scheme: "ws", Host: addr, Path: "/"}, nil, nil)
		ctx.Release()
		if err != nil {
			t.Fatalf("answer after %v: %v", delay, err)
		}
		sc, ok := c.conn.(*sockConn)
		if !ok {
			t.Fatalf("dialed as %T, want a raw socket", c.conn)
		}
		if sc.emptyReads != 0 {
			t.Errorf("answer after %v: %d reads found nothing", delay, sc.emptyReads)
		}
		_ = c.Close()
	}
}

// TestDirectDialSendsHead: to a local backend the direct dial connects
// once and sends the handshake's request head as the check that the
// connect completed (no second connect to read the outcome); the backend
// gets the head whole, and the 101 is read as before. A refused connect
// reported by that send is worded as the connect's failure
// (TestDirectDialErrors compares it with net.Dialer's).
func TestDirectDialSendsHead(t *testing.T) {
	got := make(chan string, 1)
	addr := testutil.ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		var buf [4096]byte
		n := 0
		for !strings.Contains(string(buf[:n]), "\r\n\r\n") {
			m, err := c.Read(buf[n:])
			if err != nil {
				return
			}
			n += m
		}
		got <- string(buf[:n])
		_, rest, _ := strings.Cut(string(buf[:n]), "Sec-WebSocket-Key: ")
		key, _, _ := strings.Cut(rest, "\r\n")
		var accept [acceptLen]byte
		appendAccept(accept[:0], key)
		_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+
			string(accept[:])+"\r\n\r\n")
		_, _ = io.Copy(io.Discard, c)
	})
	ctx := lazyctx.New(context.Background(), monoclock.Now().Add(10*time.Second))
	defer ctx.Release()
	h := http.Header{"X-Long": {strings.Repeat("v", 3000)}}
	c, _, err := NewDirectDialer(nil).Dial(ctx, &url.URL{Scheme: "ws", Host: addr, Path: "/p", RawQuery: "q=1"}, h, []string{"chat"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, ok := c.conn.(*sockConn)
	if !ok {
		t.Fatalf("dialed as %T, want a raw socket", c.conn)
	}
	if sc.connects != 1 {
		t.Errorf("%d connect calls, want 1", sc.connects)
	}
	head := <-got
	for _, want := range []string{"GET /p?q=1 HTTP/1.1\r\nHost: " + addr + "\r\n", "Sec-WebSocket-Protocol: chat\r\n",
		"X-Long: " + strings.Repeat("v", 3000) + "\r\n\r\n"} {
		if !strings.Contains(head, want) {
			t.Errorf("backend got %q, want it to hold %q", head, want)
		}
	}
	if c.Subprotocol() != "" {
		t.Errorf("subprotocol %q, want none (the backend chose none)", c.Subprotocol())
	}
}

// TestDirectDialAddrCache: the direct dial keeps the address it parsed
// last, and dials the right backend however addresses alternate (a host
// name still goes to net.Dialer).
func TestDirectDialAddrCache(t *testing.T) {
	a, b := silentBackend(t), silentBackend(t)
	_, portA, _ := net.SplitHostPort(a)
	d := NewDirectDialer(nil)
	var last *directAddr
	for i, addr := range []string{a, a, b, a, net.JoinHostPort("localhost", portA), a} {
		host, _, _ := net.SplitHostPort(addr)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, _, err := d.dialDirect(ctx, host, addr, nil, nil)
		cancel()
		if err != nil {
			t.Fatalf("%d %s: %v", i, addr, err)
		}
		_, port, _ := net.SplitHostPort(c.RemoteAddr().String())
		if _, want, _ := net.SplitHostPort(addr); port != want {
			t.Errorf("%d %s: connected to %v", i, addr, c.RemoteAddr())
		}
		_, raw := c.(*sockConn)
		if raw != (host == "127.0.0.1") {
			t.Errorf("%d %s: dialed as %T", i, addr, c)
		}
		_ = c.Close()
		da := d.lastAddr.Load()
		if i == 1 && da != last {
			t.Errorf("the same address again: parsed again")
		}
		last = da
	}
}

// TestSockConnSizeClass: the direct dial's connection (with its wait
// entry, the front loop's Conn and the Conn that wraps it, one
// allocation) stays in the allocator's 512-byte size class; the next is
// 576.
func TestSockConnSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(sockConn{}); n > 512 {
		t.Errorf("sockConn is %d bytes, past the 512-byte size class", n)
	}
}
