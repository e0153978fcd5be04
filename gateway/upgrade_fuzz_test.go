package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzClientUpgrade feeds raw request heads to the client side of the
// upgrade: net/http's request parser, the path normaliser and
// checkClientHandshake. An accepted upgrade has a valid key and a
// normalised path.
func FuzzClientUpgrade(f *testing.F) {
	for _, s := range []string{
		"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		"GET /a/../b HTTP/1.1\r\nHost: a\r\nUpgrade: WebSocket\r\nConnection: keep-alive, upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n",
		"GET /%2e%2e/x HTTP/1.1\r\nHost: a\r\nSec-WebSocket-Key: a\r\nSec-WebSocket-Key: b\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		u, uerr := normalizeRequestURL(r.URL)
		key, err := checkClientHandshake(r)
		if err != nil {
			return
		}
		if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 16 {
			t.Fatalf("accepted key %q", key)
		}
		if !isUpgrade(r) {
			t.Fatalf("accepted a request isUpgrade refuses")
		}
		if uerr == nil {
			if again, err := normalizePath(u.EscapedPath()); err != nil || again != u.EscapedPath() {
				t.Fatalf("path %q normalises to %q, %v", u.EscapedPath(), again, err)
			}
		}
	})
}

// FuzzBackendHandshake feeds raw response heads (ACCEPT stands for the
// right Sec-WebSocket-Accept) to the backend side of the upgrade: dial
// never panics or hangs, and a connection it returns had a valid 101.
func FuzzBackendHandshake(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ACCEPT\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ACCEPT\r\nSec-WebSocket-Protocol: chat\r\n\r\n\x81\x02hi",
		"HTTP/1.1 401 Unauthorized\r\nContent-Length: 5\r\n\r\nnope!",
		"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nX: " + strings.Repeat("a", 3000) + "\r\n\r\n",
		"HTTP/1.0 101\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, answer []byte) {
		d := &backendDialer{dialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			c, s := net.Pipe()
			go func() {
				defer s.Close()
				br := bufio.NewReader(s)
				key := ""
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if k, ok := strings.CutPrefix(line, "Sec-WebSocket-Key: "); ok {
						key = strings.TrimSpace(k)
					}
					if line == "\r\n" {
						break
					}
				}
				// The answer, then EOF (the deferred Close): dial never
				// waits for more than the input holds.
				_, _ = s.Write(bytes.ReplaceAll(answer, []byte("ACCEPT"), []byte(acceptKey(key))))
			}()
			return c, nil
		}}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		u, _ := url.Parse("ws://backend/x")
		conn, resp, err := d.dial(ctx, u, http.Header{}, []string{"chat"})
		if err != nil {
			return
		}
		defer conn.conn.Close()
		if resp.StatusCode != http.StatusSwitchingProtocols || !headerHasToken(resp.Header, "Upgrade", "websocket") {
			t.Fatalf("accepted %d %v", resp.StatusCode, resp.Header)
		}
		if sp := conn.Subprotocol(); sp != "" && sp != "chat" {
			t.Fatalf("accepted subprotocol %q", sp)
		}
	})
}
