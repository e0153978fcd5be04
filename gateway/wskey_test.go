package gateway_test

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"tollgate/internal/testutil"
)

// TestWebSocketForwardsClientKey: the backend handshake carries the
// client's own Sec-WebSocket-Key (as a proxy that passes the handshake on
// does), the backend's accept is still checked against it, and the client
// gets the accept of its key. A key the client may send but that is not
// strict base64 (padding bits set) is not sent on: the backend gets a
// fresh one.
func TestWebSocketForwardsClientKey(t *testing.T) {
	accept := func(k string) string {
		h := sha1.Sum([]byte(k + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		return base64.StdEncoding.EncodeToString(h[:])
	}
	for _, tc := range []struct {
		name, key   string
		forwarded   bool
		wrongAccept bool // the backend answers with another key's accept
	}{
		{"a strict key", "dGhlIHNhbXBsZSBub25jZQ==", true, false},
		{"another strict key", "AQIDBAUGBwgJCgsMDQ4PEA==", true, false},
		{"padding bits set", "dGhlIHNhbXBsZSBub25jZR==", false, false},
		{"a wrong accept from the backend", "dGhlIHNhbXBsZSBub25jZQ==", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan string, 1)
			backend := testutil.ServeTCP(t, func(c net.Conn) {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				key := ""
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						break
					}
					if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Sec-WebSocket-Key") {
						key = strings.TrimSpace(v)
					}
				}
				got <- key
				a := accept(key)
				if tc.wrongAccept {
					a = accept("AAAAAAAAAAAAAAAAAAAAAA==")
				}
				_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+a+"\r\n\r\n")
				_, _ = io.Copy(io.Discard, br)
			})
			dir := t.TempDir()
			writeAPI(t, dir, "echo", `type="websocket" path="/echo" service-url="ws://`+backend+`/"`, "")
			addr := serveBench(t, benchGateway(t, dir))
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			_, _ = io.WriteString(c, "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
				"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "+tc.key+"\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			sent := <-got
			if (sent == tc.key) != tc.forwarded {
				t.Errorf("the backend got key %q for the client's %q; want forwarded %v", sent, tc.key, tc.forwarded)
			}
			if tc.wrongAccept {
				if resp.StatusCode != http.StatusBadGateway {
					t.Errorf("a wrong backend accept: status %d, want 502", resp.StatusCode)
				}
				return
			}
			if a := resp.Header.Get("Sec-WebSocket-Accept"); resp.StatusCode != http.StatusSwitchingProtocols || a != accept(tc.key) {
				t.Errorf("status %d, accept %q; want 101, %q", resp.StatusCode, a, accept(tc.key))
			}
		})
	}
}
