package wsproxy

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestUpgradeInRoom: UpgradeIn writes the client's Conn into the room it
// is given only when the relayer drops the Conn as it starts the session
// (the event loop, with both sockets its to take); a relay that keeps the
// Conn (the goroutines), a backend the loop cannot take (a pipe) or no
// room gets a Conn of its own. Either way the Conn is the upgraded client.
func TestUpgradeInRoom(t *testing.T) {
	tcpPair := func(t *testing.T) net.Conn {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(); s.Close() })
		return c
	}
	pipe := func(t *testing.T) net.Conn {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		return a
	}
	for _, tc := range []struct {
		name     string
		rl       Relayer
		backend  func(*testing.T) net.Conn
		noRoom   bool
		wantRoom bool
	}{
		{"event loop", EventLoop{}, tcpPair, false, true},
		{"goroutines", Goroutines{}, tcpPair, false, false},
		{"event loop, a pipe backend", EventLoop{}, pipe, false, false},
		{"event loop, no room", EventLoop{}, tcpPair, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backend := &Conn{conn: tc.backend(t)}
			var room Conn
			roomp := &room
			if tc.noRoom {
				roomp = nil
			}
			got := make(chan *Conn, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				key, err := CheckRequest(r)
				if err != nil {
					t.Error(err)
					return
				}
				c, err := UpgradeIn(roomp, tc.rl, backend, w, key, "chat", nil)
				if err != nil {
					t.Error(err)
				}
				got <- c
			}))
			defer srv.Close()
			nc, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			_, _ = nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
				"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: chat\r\n\r\n"))
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("%v %v", resp, err)
			}
			c := <-got
			if c == nil {
				t.Fatal("no Conn")
			}
			defer c.Close()
			if inRoom := c == &room; inRoom != tc.wantRoom {
				t.Errorf("the Conn in the room: %v, want %v", inRoom, tc.wantRoom)
			}
			if c.conn == nil || c.Subprotocol() != "chat" {
				t.Errorf("the Conn: %+v", c)
			}
		})
	}
}
