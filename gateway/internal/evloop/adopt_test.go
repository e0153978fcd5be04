//go:build linux

package evloop

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// epollEntry is the events mask /proc lists for fd in the epoll
// instance epfd, and whether fd is there at all.
func epollEntry(t *testing.T, epfd, fd int) (uint32, bool) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", epfd))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		var tfd int
		var events uint32
		if n, _ := fmt.Sscanf(line, "tfd: %d events: %x", &tfd, &events); n == 2 && tfd == fd {
			return events, true
		}
	}
	return 0, false
}

// TestAdopt: a socket adopted by a task (the WebSocket handshake's
// backend socket on the front loop) is registered at its first wait for
// reading only and one-shot; a read that needs a second wait arms it
// again, a write that has to wait adds writing, and Detach leaves the
// disarmed registration where it is (no EPOLL_CTL_DEL): it reports
// nothing more, and goes when the socket is closed. Without the re-arm
// the second read waits for good; without EPOLLOUT the write does.
func TestAdopt(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	pf := os.NewFile(uintptr(fds[1]), "peer")
	peer, err := net.FileConn(pf)
	_ = pf.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	_ = unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)

	type result struct {
		err    error
		step   string
		events []uint32 // the registration's mask after each step
		had    bool
	}
	res := make(chan result, 1)
	g, addr := listen(t, 1, func(ctx context.Context, _ *Conn) {
		task := TaskFrom(ctx)
		var c Conn
		c.Adopt(task, fds[0], true)
		r := result{}
		fail := func(step string, err error) { r.step, r.err = step, err; res <- r }
		note := func() { ev, _ := epollEntry(t, task.l.epfd, fds[0]); r.events = append(r.events, ev) }
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		var b [16]byte
		for _, want := range []string{"one", "two"} {
			n, err := c.Read(b[:])
			if err != nil || string(b[:n]) != want {
				fail("read "+want, fmt.Errorf("%q, %v", b[:n], err))
				return
			}
			note()
		}
		if _, err := c.Write(bytes.Repeat([]byte("x"), 1<<20)); err != nil {
			fail("write", err)
			return
		}
		note()
		fd, err := c.Detach()
		if err != nil || fd != fds[0] {
			fail("detach", fmt.Errorf("%d, %v", fd, err))
			return
		}
		_, r.had = epollEntry(t, task.l.epfd, fds[0])
		_ = unix.Close(fd)
		if _, still := epollEntry(t, task.l.epfd, fds[0]); still {
			fail("close", fmt.Errorf("the registration outlived the socket"))
			return
		}
		res <- r
	})
	_ = g
	cl, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	go func() {
		_, _ = peer.Write([]byte("one"))
		time.Sleep(50 * time.Millisecond)
		_, _ = peer.Write([]byte("two"))
		time.Sleep(50 * time.Millisecond)
		_, _ = io.CopyN(io.Discard, peer, 1<<20)
	}()
	var r result
	select {
	case r = <-res:
	case <-time.After(10 * time.Second):
		t.Fatal("the adopted socket's task never ended")
	}
	if r.err != nil {
		t.Fatalf("%s: %v", r.step, r.err)
	}
	const in, out, oneshot = unix.EPOLLIN, unix.EPOLLOUT, unix.EPOLLONESHOT
	for i, ev := range r.events {
		// After each wait's event the one-shot registration is disarmed:
		// no readiness left in its mask.
		if ev&(in|out) != 0 || ev&oneshot == 0 {
			t.Errorf("registration after step %d: %#x, want a disarmed one-shot", i, ev)
		}
	}
	if !r.had {
		t.Error("Detach removed the disarmed registration (an EPOLL_CTL_DEL)")
	}
}
