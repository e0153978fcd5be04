//go:build linux

package wsproxy

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
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
	EventLoop{}.Start(context.Background(), client, backend, Limits{}, nil, func(st Stats) { stats <- st })

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
