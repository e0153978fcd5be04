//go:build linux

package wsproxy

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sys/unix"
)

// TestLoopStartRegisterFails: when Start cannot register a side with the
// loop's epoll (here a backend "socket" that is a regular file, which
// epoll refuses), the session fails as begin's did: the client gets a
// close frame with the backend's failure code (1014), then EOF; the
// session ends with ClosedByError and 1011; nothing is left on the loop.
func TestLoopStartRegisterFails(t *testing.T) {
	if err := eventLoopAvailable(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	cc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(t.TempDir(), "not-a-socket")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ffd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A raw backend "socket" as the direct dial hands it over.
	backend := &Conn{conn: &sockConn{fd: ffd}, mask: true}
	client := &Conn{conn: cc}

	stats := make(chan Stats, 1)
	EventLoop{}.Start(context.Background(), client, backend, Limits{}, nil, DoneFunc(func(st Stats) { stats <- st }))

	_ = peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	var h [4]byte
	if _, err := io.ReadFull(peer, h[:]); err != nil {
		t.Fatalf("no close frame: %v", err)
	}
	if h[0] != 0x88 || binary.BigEndian.Uint16(h[2:]) != uint16(BackendToClient.failCode()) {
		t.Errorf("client got % x, want a close %d", h, BackendToClient.failCode())
	}
	rest, _ := io.ReadAll(peer)
	if got := string(rest); got != "internal error" {
		t.Errorf("close reason %q", got)
	}
	select {
	case st := <-stats:
		if st.ClosedBy != ClosedByError || st.CloseCode != websocket.StatusInternalError || st.Err == nil {
			t.Errorf("stats %+v", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the session did not end")
	}
	checkNoRelayLeaks(t)
}

// TestPollerYields: RawRead calls poll again at once when Go's poller has
// noted the epoll fd ready meanwhile (another processor's netpoll saw new
// events while the loop worked), so a busy loop may never park. poll then
// yields its processor every yieldAfter, so that goroutines queued behind
// it (here a sleeping goroutine's timer, on the only processor) do not
// wait for sysmon's preemption. The test plays RawRead: it calls poll back
// to back, with an always-ready descriptor in the epoll set.
func TestPollerYields(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p.evfd)
	defer p.epFile.Close()
	p.events = make([]unix.EpollEvent, 8)
	var pipe [2]int
	if err := unix.Pipe2(pipe[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pipe[0])
	defer unix.Close(pipe[1])
	if _, err := unix.Write(pipe[1], []byte("x")); err != nil {
		t.Fatal(err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(pipe[0])} // level-triggered: ready every time
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, pipe[0], &ev); err != nil {
		t.Fatal(err)
	}
	var late []time.Duration
	for range 9 {
		done := make(chan time.Duration, 1)
		go func() {
			t0 := time.Now()
			time.Sleep(time.Millisecond)
			done <- time.Since(t0) - time.Millisecond
		}()
		for got := false; !got; {
			p.poll(uintptr(p.epfd))
			select {
			case d := <-done:
				late, got = append(late, d), true
			default:
			}
		}
	}
	slices.Sort(late)
	// Without the yield a sleep ends when sysmon preempts the loop: 10-20
	// ms late.
	if med := late[len(late)/2]; med > 3*time.Millisecond {
		t.Fatalf("a 1 ms sleep ended %v late (median of %d; all: %v) beside a busy poller", med, len(late), late)
	}
}

// TestLoopCloseOrder: after a close handshake the event loop closes the
// client's connection first (the gateway is the server there: FIN at
// once, then what the client sends is dropped until its EOF), and waits
// for the backend to close its own (the gateway is the backend's client,
// RFC 6455 7.1.1): the backend sees no FIN from the gateway until it has
// closed, or until lingerTime has passed.
func TestLoopCloseOrder(t *testing.T) {
	if err := eventLoopAvailable(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		backendCloses bool
	}{
		{"backend closes", true},
		{"backend waits", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clientPeer, cc := tcpPair(t)
			backendPeer, bc := tcpPair(t)
			stats := make(chan Stats, 1)
			EventLoop{}.Start(context.Background(), &Conn{conn: cc}, &Conn{conn: bc, mask: true}, Limits{}, nil, DoneFunc(func(st Stats) { stats <- st }))

			// The client starts the close handshake (a masked close 1000).
			mask := [4]byte{1, 2, 3, 4}
			closeFrame := []byte{0x88, 0x82, mask[0], mask[1], mask[2], mask[3], 0x03 ^ mask[0], 0xe8 ^ mask[1]}
			if _, err := clientPeer.Write(closeFrame); err != nil {
				t.Fatal(err)
			}
			var h [8]byte
			_ = backendPeer.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(backendPeer, h[:8]); err != nil || h[0] != 0x88 || h[1] != 0x82 {
				t.Fatalf("backend got % x, %v; want the masked close", h, err)
			}
			if _, err := backendPeer.Write([]byte{0x88, 0x02, 0x03, 0xe8}); err != nil {
				t.Fatal(err)
			}

			// The client gets the backend's close, then the gateway's FIN.
			_ = clientPeer.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(clientPeer, h[:4]); err != nil || h[0] != 0x88 || binary.BigEndian.Uint16(h[2:4]) != 1000 {
				t.Fatalf("client got % x, %v; want close 1000", h[:4], err)
			}
			_ = clientPeer.SetReadDeadline(time.Now().Add(time.Second))
			if n, err := clientPeer.Read(h[:]); n != 0 || err != io.EOF {
				t.Fatalf("client read %d, %v after the close; want EOF at once", n, err)
			}
			_ = clientPeer.Close()
			select {
			case st := <-stats:
				if st.ClosedBy != ClosedByClient || st.CloseCode != websocket.StatusNormalClosure {
					t.Errorf("stats %+v", st)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the session did not end")
			}

			// The backend: no FIN from the gateway while it has not closed.
			_ = backendPeer.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			if n, err := backendPeer.Read(h[:]); !os.IsTimeout(err) {
				t.Fatalf("backend read %d, %v before closing; want nothing (the gateway waits for the backend's FIN)", n, err)
			}
			if tc.backendCloses {
				t0 := time.Now()
				_ = backendPeer.Close()
				checkNoRelayLeaks(t)
				if waited := time.Since(t0); waited > lingerTime/2 {
					t.Errorf("the session's sockets were released %v after the backend closed", waited)
				}
			} else {
				t0 := time.Now()
				_ = backendPeer.SetReadDeadline(time.Now().Add(lingerTime + 5*time.Second))
				if n, err := backendPeer.Read(h[:]); n != 0 || err != io.EOF {
					t.Fatalf("backend read %d, %v; want the gateway's FIN after lingerTime", n, err)
				}
				if waited := time.Since(t0); waited < lingerTime-time.Second {
					t.Errorf("the gateway closed after %v of waiting, want about %v", waited, lingerTime)
				}
			}
			checkNoRelayLeaks(t)
		})
	}
}

// tcpPair returns the two ends of a loopback TCP connection: the peer's,
// and the one handed to the relay.
func tcpPair(t *testing.T) (peer, conn net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	conn, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return peer, conn
}

// TestLoopFINWithLastFrame: a backend whose last frame and FIN arrive
// together (it wrote and closed at once) gets its verdict at once: the
// client receives the frame, then the close for a vanished backend. The
// short read of the frame does not mean the socket is drained (the EOF is
// next) and no new readiness comes for it; before, the EOF waited for
// anything else to wake the loop (here nothing: no pings).
func TestLoopFINWithLastFrame(t *testing.T) {
	if err := eventLoopAvailable(); err != nil {
		t.Fatal(err)
	}
	clientPeer, cc := tcpPair(t)
	backendPeer, bc := tcpPair(t)
	// Both are in the socket before the loop first looks at it.
	if _, err := backendPeer.Write([]byte{0x81, 0x02, 'h', 'i'}); err != nil {
		t.Fatal(err)
	}
	if err := backendPeer.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	stats := make(chan Stats, 1)
	EventLoop{}.Start(context.Background(), &Conn{conn: cc}, &Conn{conn: bc, mask: true}, Limits{}, nil, DoneFunc(func(st Stats) { stats <- st }))

	_ = clientPeer.SetReadDeadline(time.Now().Add(2 * time.Second))
	var h [4]byte
	if _, err := io.ReadFull(clientPeer, h[:]); err != nil || string(h[:]) != "\x81\x02hi" {
		t.Fatalf("client got % x, %v; want the backend's frame", h, err)
	}
	if _, err := io.ReadFull(clientPeer, h[:]); err != nil {
		t.Fatalf("no close after the backend's EOF within 2 s: %v", err)
	}
	if h[0] != 0x88 || binary.BigEndian.Uint16(h[2:]) != uint16(BackendToClient.failCode()) {
		t.Errorf("client got % x, want a close %d", h, BackendToClient.failCode())
	}
	if _, err := io.ReadFull(clientPeer, make([]byte, h[1])[:int(h[1])-2]); err != nil { // the reason
		t.Fatal(err)
	}
	// The client answers the close (masked, its code echoed).
	if _, err := clientPeer.Write([]byte{0x88, 0x82, 0, 0, 0, 0, h[2], h[3]}); err != nil {
		t.Fatal(err)
	}
	select {
	case st := <-stats:
		if st.ClosedBy != ClosedByBackend {
			t.Errorf("stats %+v", st)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not end")
	}
	_ = clientPeer.Close()
	checkNoRelayLeaks(t)
}

// TestLoopEOFWithLastRead: a read that came back short after the peer's
// FIN was known emptied the socket, so the EOF behind it is taken as read
// (no read for it), whether the bytes ended the session (a backend's close
// answer, then its lingering side closes) or not (a close frame the client
// still has to answer). Each side's EOF counts once either way.
func TestLoopEOFWithLastRead(t *testing.T) {
	if err := eventLoopAvailable(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		answered bool // the backend's close answers the client's
	}{
		{"close answered", true},
		{"close started", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clientPeer, cc := tcpPair(t)
			backendPeer, bc := tcpPair(t)
			eofs := loopEOFReads.Load()
			stats := make(chan Stats, 1)
			mask := [4]byte{1, 2, 3, 4}
			clientClose := []byte{0x88, 0x82, mask[0], mask[1], mask[2], mask[3], 0x03 ^ mask[0], 0xe8 ^ mask[1]}
			var h [8]byte
			if !tc.answered {
				// Both in the socket before the loop first looks at it.
				if _, err := backendPeer.Write([]byte{0x88, 0x02, 0x03, 0xe8}); err != nil {
					t.Fatal(err)
				}
				_ = backendPeer.(*net.TCPConn).CloseWrite()
				time.Sleep(10 * time.Millisecond)
			}
			EventLoop{}.Start(context.Background(), &Conn{conn: cc}, &Conn{conn: bc, mask: true}, Limits{}, nil, DoneFunc(func(st Stats) { stats <- st }))
			_ = clientPeer.SetReadDeadline(time.Now().Add(10 * time.Second))
			_ = backendPeer.SetReadDeadline(time.Now().Add(10 * time.Second))
			if tc.answered {
				if _, err := clientPeer.Write(clientClose); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(backendPeer, h[:8]); err != nil || h[0] != 0x88 {
					t.Fatalf("backend got % x, %v; want the close", h, err)
				}
				// The answer and the FIN in one segment (corked, the FIN
				// goes out with the queued bytes): the loop sees both at
				// once.
				rc, _ := backendPeer.(*net.TCPConn).SyscallConn()
				_ = rc.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK, 1) })
				if _, err := backendPeer.Write([]byte{0x88, 0x02, 0x03, 0xe8}); err != nil {
					t.Fatal(err)
				}
				_ = backendPeer.(*net.TCPConn).CloseWrite()
			}
			if _, err := io.ReadFull(clientPeer, h[:4]); err != nil || h[0] != 0x88 || binary.BigEndian.Uint16(h[2:4]) != 1000 {
				t.Fatalf("client got % x, %v; want close 1000", h[:4], err)
			}
			if !tc.answered {
				if _, err := clientPeer.Write(clientClose); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := clientPeer.Read(h[:]); n != 0 || err != io.EOF {
				t.Fatalf("client read %d, %v after the close; want EOF", n, err)
			}
			_ = clientPeer.Close()
			select {
			case <-stats:
			case <-time.After(10 * time.Second):
				t.Fatal("the session did not end")
			}
			if n, err := backendPeer.Read(h[:]); n != 0 || err != io.EOF {
				t.Fatalf("backend read %d, %v at the end; want EOF", n, err)
			}
			checkNoRelayLeaks(t)
			// The client's EOF is read (its FIN came after the gateway's
			// close); the backend's is not.
			if n := loopEOFReads.Load() - eofs; n != 1 {
				t.Errorf("%d reads found an EOF, want 1 (the client's)", n)
			}
		})
	}
}

// TestLoopKeepsWaitRegistration: a raw backend socket whose handshake only
// waited for its answer is registered as the session polls it, and the
// session keeps that registration (the same registration number, no
// epoll_ctl). What the loop reported to the handshake's wait and nobody
// read is not reported again by itself (level-triggered readiness left on
// the ready list does not wake the loop): bytes or a FIN that came after
// the handshake's last read, or behind a read that filled its buffer,
// reach the client all the same, with nothing else to wake the loop (no
// pings within the test).
func TestLoopKeepsWaitRegistration(t *testing.T) {
	if err := eventLoopAvailable(); err != nil {
		t.Fatal(err)
	}
	frame := []byte{0x81, 0x02, 'h', 'i'}
	for _, tc := range []struct {
		name   string
		before []byte // what the backend sends with the stand-in for its 101 ("AB")
		after  []byte // what it sends once that was read, before Start
		fin    bool   // and then its FIN
		buf    int    // the handshake's read buffer: 2 fills it
		want   []byte // the first bytes the client gets
	}{
		{"bytes after the last read", nil, frame, false, 8, frame},
		{"FIN after the last read", nil, nil, true, 8, []byte{0x88}},
		{"FIN with the answer", nil, nil, true, 8, []byte{0x88}},
		{"bytes behind a full read", frame, nil, false, 2, frame},
		{"nothing until started", nil, nil, false, 8, frame},
		{"edge-triggered wait", nil, frame, false, 8, frame},
	} {
		t.Run(tc.name, func(t *testing.T) {
			et := tc.name == "edge-triggered wait" // as after a batch of stale reports (settleWaits)
			if et {
				for _, p := range pollers {
					p.etWaits.Store(true)
				}
				defer func() {
					for _, p := range pollers {
						p.etWaits.Store(false)
					}
				}()
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			bconn, err := dialDirect(ctx, (&net.Dialer{}).DialContext, "127.0.0.1", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			sc, ok := bconn.(*sockConn)
			if !ok {
				t.Fatalf("dialed as %T, want a raw socket", bconn)
			}
			backendPeer, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer backendPeer.Close()
			sc.awaitRead()
			go func() {
				time.Sleep(20 * time.Millisecond) // the handshake waits first
				if tc.fin && tc.name == "FIN with the answer" {
					// The answer and the FIN in one segment (corked): the
					// loop reports both to the wait at once.
					rc, _ := backendPeer.(*net.TCPConn).SyscallConn()
					_ = rc.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK, 1) })
				}
				_, _ = backendPeer.Write(append([]byte("AB"), tc.before...))
				if tc.fin && tc.name == "FIN with the answer" {
					_ = backendPeer.(*net.TCPConn).CloseWrite()
				}
			}()
			b := make([]byte, tc.buf)
			if n, err := sc.Read(b); n != 2 || err != nil || string(b[:2]) != "AB" {
				t.Fatalf("handshake read %q, %v", b[:n], err)
			}
			want := uint32(readEvents)
			if et {
				want = waitRead
			}
			if sc.w == nil || sc.w.events != want {
				t.Fatalf("registered for %#x, want %#x", eventsOf(sc), want)
			}
			gen, p, fd := sc.w.gen, sc.p, sc.fd
			if len(tc.after) > 0 {
				if _, err := backendPeer.Write(tc.after); err != nil {
					t.Fatal(err)
				}
			}
			if tc.fin && tc.name != "FIN with the answer" {
				_ = backendPeer.(*net.TCPConn).CloseWrite()
			}
			time.Sleep(50 * time.Millisecond) // the loop reports it to the handshake's wait
			sc.handshakeDone()

			clientPeer, cc := tcpPair(t)
			stats := make(chan Stats, 1)
			EventLoop{}.Start(context.Background(), &Conn{conn: cc}, &Conn{conn: sc, mask: true}, Limits{}, nil, DoneFunc(func(st Stats) { stats <- st }))
			if !tc.fin {
				// The session's side took the wait's place with its
				// registration number (not registered again), or, from an
				// edge-triggered wait, with a new one.
				if sd := p.sides.get(fd); sd == nil || sd.wake != nil || (sd.gen == gen) == et || sd.x != BackendToClient {
					t.Fatalf("the backend's entry after Start: %+v, want the session's side (the wait's registration %d kept: %v)", sd, gen, !et)
				}
			}
			if tc.name == "nothing until started" {
				if _, err := backendPeer.Write(frame); err != nil {
					t.Fatal(err)
				}
			}
			_ = clientPeer.SetReadDeadline(time.Now().Add(2 * time.Second))
			got := make([]byte, len(tc.want))
			if _, err := io.ReadFull(clientPeer, got); err != nil || string(got) != string(tc.want) {
				t.Fatalf("client got % x, %v; want % x within 2 s", got, err, tc.want)
			}
			_ = clientPeer.Close()
			_ = backendPeer.Close()
			select {
			case <-stats:
			case <-time.After(10 * time.Second):
				t.Fatal("the session did not end")
			}
			checkNoRelayLeaks(t)
		})
	}
}

// TestEpollLevelTriggeredLeftReady: what keeping a raw backend socket's
// level-triggered registration through its handshake relies on (see
// sockConn.waitLoop): a level-triggered socket that an epoll_wait of the
// loop's instance returned and left ready does not make that instance
// readable again to the epoll it is registered with (Go's poller, where
// the loop parks: edge-triggered), so the loop is not woken over and over
// while the handshake has not read its 101 yet; new bytes and a FIN do
// wake it, even while the socket is still on the ready list.
func TestEpollLevelTriggeredLeftReady(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	inner, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(inner)
	outer, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(outer)
	// As Go's poller registers a file (the loop's epoll instance).
	if err := unix.EpollCtl(outer, unix.EPOLL_CTL_ADD, inner, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(inner)}); err != nil {
		t.Fatal(err)
	}
	if err := unix.EpollCtl(inner, unix.EPOLL_CTL_ADD, fds[0], &unix.EpollEvent{Events: readEvents, Fd: int32(fds[0])}); err != nil {
		t.Fatal(err)
	}
	ev := make([]unix.EpollEvent, 4)
	wait := func(epfd int) int {
		t.Helper()
		for {
			n, err := unix.EpollWait(epfd, ev, 0)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	if n := wait(outer); n != 0 {
		t.Fatalf("outer ready with nothing to read: %d", n)
	}
	for i, step := range []struct {
		name string
		do   func()
	}{
		{"bytes", func() { _, _ = unix.Write(fds[1], []byte("x")) }},
		{"more bytes", func() { _, _ = unix.Write(fds[1], []byte("y")) }},
		{"FIN", func() { _ = unix.Shutdown(fds[1], unix.SHUT_WR) }},
	} {
		step.do()
		if n := wait(outer); n != 1 {
			t.Fatalf("%d %s: the outer instance did not report the inner one (%d)", i, step.name, n)
		}
		for range 3 {
			if n := wait(inner); n != 1 {
				t.Fatalf("%d %s: the inner instance reported %d, want the ready socket", i, step.name, n)
			}
			if n := wait(outer); n != 0 {
				t.Fatalf("%d %s: the socket left ready woke the outer instance again", i, step.name)
			}
		}
	}
}

// TestWakeWaiterHandsOver: an event the loop took for a handshake's wait
// entry while Start was putting the session's side in its place (same
// descriptor, same registration number) is noted on the entry and handed
// to the session's side; one for an entry still in place, or for a side
// of another registration, only wakes the wait.
func TestWakeWaiterHandsOver(t *testing.T) {
	if err := eventLoopAvailable(); err != nil {
		t.Fatal(err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	fd := fds[0]
	p := idlePoller(t)
	wake := make(chan struct{}, 1)
	w := &loopSide{fd: int32(fd), wake: wake, gen: 7}
	s := &loopSession{p: p}
	s.side[BackendToClient] = loopSide{s: s, fd: int32(fd), x: BackendToClient, gen: 7}
	other := &loopSession{p: p}
	other.side[BackendToClient] = loopSide{s: other, fd: int32(fd), x: BackendToClient, gen: 8}
	for _, tc := range []struct {
		name   string
		table  *loopSide
		events uint32
		want   *loopSide
		seen   uint32
	}{
		{"the wait still in place", w, unix.EPOLLIN, nil, seenEvent},
		{"the session in its place", &s.side[BackendToClient], unix.EPOLLIN, &s.side[BackendToClient], seenEvent},
		{"another registration", &other.side[BackendToClient], unix.EPOLLIN | unix.EPOLLRDHUP, nil, seenEvent | seenHUP},
	} {
		w.seen.Store(0)
		p.sides.set(fd, tc.table)
		if got := p.wakeWaiter(fd, w, tc.events); got != tc.want {
			t.Errorf("%s: handed to %p, want %p", tc.name, got, tc.want)
		}
		if got := w.seen.Load(); got != tc.seen {
			t.Errorf("%s: noted %#x, want %#x", tc.name, got, tc.seen)
		}
		select {
		case <-wake:
		default:
			t.Errorf("%s: the wait was not woken", tc.name)
		}
	}
}

// idlePoller is a poller no loop goroutine runs: a test calls its loop's
// methods itself.
func idlePoller(t *testing.T) *poller {
	t.Helper()
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.epFile.Close()
		_ = unix.Close(p.evfd)
	})
	return p
}

// TestStaleWaitsGoEdgeTriggered: when a batch reports staleWaits waits or
// more that had not taken their last wakeup (handshakes whose goroutines
// wait for a processor), the poller's new waits register edge-triggered
// for staleFor, then level-triggered again.
func TestStaleWaitsGoEdgeTriggered(t *testing.T) {
	p := idlePoller(t)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	w := &loopSide{fd: int32(fds[0]), wake: make(chan struct{}, 1), gen: 1}
	p.sides.set(fds[0], w)
	p.now = monoNow()
	p.wakeWaiter(fds[0], w, unix.EPOLLIN) // a wakeup the wait has not taken yet
	for range staleWaits - 1 {
		p.wakeWaiter(fds[0], w, unix.EPOLLIN)
	}
	p.settleWaits()
	if p.etWaits.Load() {
		t.Fatalf("%d stale reports in a batch: waits edge-triggered already", staleWaits-1)
	}
	for range staleWaits {
		p.wakeWaiter(fds[0], w, unix.EPOLLIN)
	}
	p.settleWaits()
	if !p.etWaits.Load() {
		t.Fatalf("%d stale reports in a batch: waits still level-triggered", staleWaits)
	}
	p.now += int64(staleFor) / 2
	p.settleWaits()
	if !p.etWaits.Load() {
		t.Fatal("level-triggered again before staleFor")
	}
	p.now += int64(staleFor)
	p.settleWaits()
	if p.etWaits.Load() {
		t.Fatal("still edge-triggered after staleFor")
	}
}

// TestLoopLingerKeepsTimer: a session whose close handshake ends at once
// arms its poller's runtime timer at most twice (when it starts, on a poller
// whose timer is not armed, then for the close handshakes); the lingering
// close that follows keeps that deadline, no later than its own end
// (TestLoopCloseOrder checks the bound), and ends with the peers' FINs.
func TestLoopLingerKeepsTimer(t *testing.T) {
	if err := eventLoopAvailable(); err != nil {
		t.Fatal(err)
	}
	checkNoRelayLeaks(t) // no other session arms a timer meanwhile
	before := loopTimerResets()
	stats := make(chan Stats, 1)
	c, b := startLoopPair(t, DoneFunc(func(st Stats) { stats <- st }))
	closeThroughLoop(t, c, b)
	select {
	case <-stats:
	case <-time.After(10 * time.Second):
		t.Fatal("the session did not end")
	}
	checkNoRelayLeaks(t)
	if n := loopTimerResets() - before; n > 2 {
		t.Errorf("%d timer changes for a session and its lingering close, want at most 2", n)
	}
}

// TestLoopSlowCloseHandshake: a close handshake that takes longer than
// lingerTime (the timer's first tick after the verdict) but less than
// closeWait ends as the peers close it, not at that tick.
func TestLoopSlowCloseHandshake(t *testing.T) {
	if err := eventLoopAvailable(); err != nil {
		t.Fatal(err)
	}
	stats := make(chan Stats, 1)
	client, backend := startLoopPair(t, DoneFunc(func(st Stats) { stats <- st }))
	clientCloseReachesBackend(t, client, backend)
	var h [4]byte
	time.Sleep(lingerTime + lingerTime/4) // past the first tick, well before closeWait
	if _, err := backend.Write([]byte{0x88, 0x02, 0x03, 0xe8}); err != nil {
		t.Fatal(err)
	}
	_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(client, h[:4]); err != nil || h[0] != 0x88 || binary.BigEndian.Uint16(h[2:4]) != 1000 {
		t.Fatalf("client got % x, %v; want the backend's close 1000", h[:4], err)
	}
	select {
	case st := <-stats:
		if st.ClosedBy != ClosedByClient || st.CloseCode != websocket.StatusNormalClosure {
			t.Errorf("stats %+v", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the session did not end")
	}
	_ = client.Close()
	_ = backend.Close()
	checkNoRelayLeaks(t)
}
