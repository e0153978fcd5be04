package wsproxy

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

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
		d := &Dialer{dialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
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
		conn, resp, err := d.Dial(ctx, u, http.Header{}, []string{"chat"})
		if err != nil {
			return
		}
		defer conn.conn.Close()
		if resp.StatusCode != http.StatusSwitchingProtocols || !HeaderHasToken(resp.Header, "Upgrade", "websocket") {
			t.Fatalf("accepted %d %v", resp.StatusCode, resp.Header)
		}
		if sp := conn.Subprotocol(); sp != "" && sp != "chat" {
			t.Fatalf("accepted subprotocol %q", sp)
		}
	})
}
