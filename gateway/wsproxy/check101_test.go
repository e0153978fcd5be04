package wsproxy

import (
	"context"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"tollgate/internal/testutil"
)

// check101Cases: heads check101 takes (ok, the subprotocol) or leaves to
// the full parse (a refusal, a head parse101 does not take, an invalid
// 101, whose error needs its response).
var check101Cases = []struct {
	head string
	ok   bool
	sp   string
}{
	{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + testAccept + "\r\n\r\n", true, ""},
	{"HTTP/1.1 101\r\nupgrade:WebSocket\r\nCONNECTION: keep-alive, Upgrade \t\r\nsec-websocket-accept:" + testAccept + "\r\nSec-WebSocket-Protocol:  chat \r\nServer: a-very-long-server-name-longer-than-thirty-two-bytes\r\n\r\n", true, "chat"},
	{"HTTP/1.0 101 X\r\nUpgrade: h2c\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + testAccept + "\r\nSec-WebSocket-Extensions: \r\n\r\n", true, ""},
	{"HTTP/1.1 101 X\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + testAccept + "\r\nSec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Protocol: chat\r\n\r\n", false, ""}, // the first one counts: not offered
	{"HTTP/1.1 101 X\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: wrong\r\nSec-WebSocket-Accept: " + testAccept + "\r\n\r\n", false, ""},
	{"HTTP/1.1 101 X\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + testAccept + "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", false, ""},
	{"HTTP/1.1 101 X\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " + testAccept + "\r\n\r\n", false, ""},                         // no Connection
	{"HTTP/1.1 101 X\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + testAccept + "\r\n\r\n", false, ""},                        // no Upgrade
	{"HTTP/1.1 101 X\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", false, ""},                                              // no accept
	{"HTTP/1.1 101 X\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + testAccept + "\r\n\r\nx", false, ""}, // bytes after (parse101's rule)
	{"HTTP/1.1 101 X\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + testAccept + "\n\n", false, ""},            // bare LF
	{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, ""},
}

const testAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

var testOffered = []string{"chat", "v2.chat"}

// TestCheck101: check101 takes a valid plain 101 in place, returning the
// offered subprotocol's own string, without allocating; anything else is
// left to parse101 and check101Header, which agree with it
// (FuzzCheck101 for any bytes).
func TestCheck101(t *testing.T) {
	for _, tc := range check101Cases {
		sp, ok := check101([]byte(tc.head), []byte(testAccept), testOffered)
		if ok != tc.ok || sp != tc.sp {
			t.Errorf("%q: check101 = %q, %v; want %q, %v", tc.head, sp, ok, tc.sp, tc.ok)
		}
		agree101(t, []byte(tc.head))
	}
	head := []byte(check101Cases[1].head)
	if n := testing.AllocsPerRun(100, func() { check101(head, []byte(testAccept), testOffered) }); n != 0 {
		t.Errorf("check101: %v allocations, want none", n)
	}
}

// agree101: check101 takes b only if parse101 takes it and
// check101Header finds it valid, with the same subprotocol; and takes
// every such head of ASCII bytes (strings.EqualFold and TrimSpace fold
// and trim some non-ASCII runes, which check101 leaves to the full path).
func agree101(t *testing.T, b []byte) {
	t.Helper()
	sp, ok := check101(b, []byte(testAccept), testOffered)
	var fullOK bool
	var fullSP string
	if resp, parsed := parse101(b); parsed {
		var msg string
		fullSP, msg = check101Header(resp.Header, []byte(testAccept), testOffered)
		fullOK = msg == ""
	}
	if ok && (!fullOK || sp != fullSP) {
		t.Fatalf("%q: check101 took it (%q), the full parse: ok %v, %q", b, sp, fullOK, fullSP)
	}
	if !ok && fullOK && isASCII(b) {
		t.Fatalf("%q: check101 left a valid ASCII 101 (%q) to the full parse", b, fullSP)
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func FuzzCheck101(f *testing.F) {
	for _, tc := range check101Cases {
		f.Add([]byte(tc.head))
	}
	f.Add([]byte("HTTP/1.1 101 X\r\nUpgrade: websoc\u212aet\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + testAccept + "\r\n\r\n"))
	f.Add([]byte(strings.ReplaceAll(check101Cases[0].head, "Upgrade\r\n", "Upgrade\r\r\n")))
	f.Fuzz(func(t *testing.T, b []byte) { agree101(t, b) })
}

// TestDialConn: DialConn returns no response for a valid 101 (and the
// subprotocol chosen), and for an invalid 101 or a refusal the same
// error and response as Dial.
func TestDialConn(t *testing.T) {
	for _, tc := range []struct {
		name, answer string // answer: the head after the status line, ACCEPT replaced
		status       int    // 0: a valid 101
		err          string
	}{
		{"valid", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ACCEPT\r\nSec-WebSocket-Protocol: chat\r\n\r\n", 0, ""},
		{"wrong accept", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n", 101, "wrong Sec-WebSocket-Accept"},
		{"not offered", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ACCEPT\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n", 101, `it chose subprotocol "mqtt"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
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
				_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\n"+strings.ReplaceAll(tc.answer, "ACCEPT", string(accept[:])))
				_, _ = io.Copy(io.Discard, c)
			})
			for _, conn := range []bool{false, true} {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				dial := NewDirectDialer(nil).Dial
				if conn {
					dial = NewDirectDialer(nil).DialConn
				}
				c, resp, err := dial(ctx, &url.URL{Scheme: "ws", Host: addr, Path: "/"}, nil, []string{"chat"})
				cancel()
				if tc.status == 0 {
					if err != nil {
						t.Fatalf("DialConn %v: %v", conn, err)
					}
					if c.Subprotocol() != "chat" {
						t.Errorf("DialConn %v: subprotocol %q, want chat", conn, c.Subprotocol())
					}
					if (resp == nil) != conn {
						t.Errorf("DialConn %v: response %v", conn, resp)
					}
					_ = c.Close()
					continue
				}
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("DialConn %v: error %v, want %q", conn, err, tc.err)
				}
				if resp == nil || resp.StatusCode != tc.status {
					t.Errorf("DialConn %v: response %v, want status %d", conn, resp, tc.status)
				}
			}
		})
	}
}

// TestForwardable: hop-by-hop headers (RFC 9110 7.6.1, and
// Content-Length) and the handshake's own are never forwarded across a
// WebSocket handshake; anything else is.
func TestForwardable(t *testing.T) {
	for _, k := range []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Sec-Websocket-Key", "Sec-Websocket-Version",
		"Sec-Websocket-Extensions", "Sec-Websocket-Protocol", "Sec-Websocket-Accept", "Host"} {
		if Forwardable(k) {
			t.Errorf("%s forwarded", k)
		}
	}
	for _, k := range []string{"Authorization", "Cookie", "X-Forwarded-For", "Origin", "User-Agent", "Sec-Websocket-Whatever", "connection"} {
		if !Forwardable(k) {
			t.Errorf("%s not forwarded", k)
		}
	}
}
