package wsproxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// parse101 is a fast path in front of http.ReadResponse: what it accepts it
// must read exactly as net/http does; everything else it leaves to net/http.
func TestParse101MatchesNetHTTP(t *testing.T) {
	for _, tc := range []struct {
		head string
		fast bool // parse101 takes it
	}{
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: abc\r\n\r\n", true},
		{"HTTP/1.1 101\r\nupgrade:websocket\r\nCONNECTION:  Upgrade \t\r\nX-Custom-thing: a\r\nX-Custom-Thing: b\r\n\r\n", true},
		{"HTTP/1.0 101 Whatever Reason\r\nSec-Websocket-Protocol: chat\r\n\r\n", true},
		{"HTTP/1.1 101 \r\nServer: x\r\n\r\n", true},
		{"HTTP/1.1 101 Switching Protocols\r\n\r\n", true},
		{"HTTP/1.1 101 X\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\n\r\n", true},                  // eight fields: the room
		{"HTTP/1.1 101 X\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\nI: 9\r\nA: 10\r\n\r\n", true}, // more
		{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false},
		{"HTTP/1.1 1010 X\r\n\r\n", false},
		{"HTTP/2.0 101 X\r\n\r\n", false},
		{"HTTP/1.1 101 X\nUpgrade: websocket\n\n", false},            // bare LF
		{"HTTP/1.1 101 X\r\nUpgrade: web\r\n socket\r\n\r\n", false}, // folded
		{"HTTP/1.1 101 X\r\nUp grade: websocket\r\n\r\n", false},     // bad name
		{"HTTP/1.1 101 X\r\nUpgrade: web\x01socket\r\n\r\n", false},  // control byte
		{"HTTP/1.1 101 X\r\n: empty\r\n\r\n", false},                 // empty name
		{"HTTP/1.1 101 X\r\nNoColon\r\n\r\n", false},                 // no colon
		{"HTTP/1.1 101 X\x7f\r\n\r\n", false},                        // control byte in the reason
	} {
		resp, ok := parse101([]byte(tc.head))
		if ok != tc.fast {
			t.Errorf("%q: parse101 ok=%v, want %v", tc.head, ok, tc.fast)
			continue
		}
		if !ok {
			continue
		}
		want, err := http.ReadResponse(bufio.NewReader(strings.NewReader(tc.head)), nil)
		if err != nil {
			t.Errorf("%q: parse101 took what net/http refuses: %v", tc.head, err)
			continue
		}
		if resp.Status != want.Status || resp.StatusCode != want.StatusCode || resp.Proto != want.Proto ||
			resp.ProtoMajor != want.ProtoMajor || resp.ProtoMinor != want.ProtoMinor || !reflect.DeepEqual(resp.Header, want.Header) {
			t.Errorf("%q:\n got %q %d %s %v\nwant %q %d %s %v", tc.head, resp.Status, resp.StatusCode, resp.Proto, resp.Header,
				want.Status, want.StatusCode, want.Proto, want.Header)
		}
	}
}

// A usual 101 costs four allocations: the head's string, the header map
// and its group, and the response with room for its values (eight fields
// fit).
func TestParse101Allocs(t *testing.T) {
	head := []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\nDate: x\r\n\r\n")
	if n := testing.AllocsPerRun(100, func() {
		if _, ok := parse101(head); !ok {
			t.Fatal("not parsed")
		}
	}); n > 4 {
		t.Errorf("%v allocations; want at most 4", n)
	}
	eight := []byte("HTTP/1.1 101 X\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\n\r\n")
	if n := testing.AllocsPerRun(100, func() { parse101(eight) }); n > 4 {
		t.Errorf("eight fields: %v allocations; want at most 4 (they fit the response's room)", n)
	}
}

// readHead finds the end of a head however the reads split it, keeps what
// follows it, and stops at its bound.
func TestReadHead(t *testing.T) {
	const head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
	for _, tc := range []struct {
		name     string
		in       string
		oneByte  bool
		limit    int
		wantRest string
		wantErr  error
	}{
		{"whole", head, false, 1 << 20, "", nil},
		{"byte by byte", head, true, 1 << 20, "", nil},
		{"frames after", head + "\x81\x02hi", false, 1 << 20, "\x81\x02hi", nil},
		{"bare LF", "HTTP/1.1 101 X\nA: b\n\nrest", false, 1 << 20, "rest", nil},
		{"truncated", head[:20], false, 1 << 20, "", io.ErrUnexpectedEOF},
		{"empty", "", false, 1 << 20, "", io.EOF},
		{"too large", "HTTP/1.1 101 X\r\nA: " + strings.Repeat("a", 5000) + "\r\n\r\n", false, 4096, "", errHandshakeHeadTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(tc.in)
			if tc.oneByte {
				r = iotest.OneByteReader(r)
			}
			all, rest, err := readHead(r, make([]byte, 0, 16), tc.limit)
			if err != tc.wantErr {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if len(all) > tc.limit {
					t.Fatalf("read %d bytes past the limit %d", len(all), tc.limit)
				}
				return
			}
			if string(rest) != tc.wantRest || !strings.HasPrefix(tc.in, string(all)) || !bytes.HasSuffix(all, rest) {
				t.Fatalf("all %q rest %q", all, rest)
			}
		})
	}
}

// appendExtraHeaders writes what http.Header.Write writes for the headers
// it forwards.
func TestAppendExtraHeadersMatchesHeaderWrite(t *testing.T) {
	h := http.Header{
		"X-B":             {"two", " padded\t"},
		"X-A":             {"line\r\nbreak", "ends in newline\r\n ", "\n"},
		"Connection":      {"close"}, // hop-by-hop: dropped
		"Host":            {"evil"},  // the handshake's own: dropped
		"Bad Name":        {"x"},     // invalid name: dropped
		"X-Forwarded-For": {"192.0.2.1"},
	}
	want := http.Header{}
	for k, v := range h {
		if Forwardable(k) && k != "Bad Name" {
			want[k] = v
		}
	}
	var wb bytes.Buffer
	_ = want.Write(&wb)
	if got := appendExtraHeaders(nil, h); string(got) != wb.String() {
		t.Fatalf("got\n%q\nwant\n%q", got, wb.String())
	}
	if got := appendAccept(nil, "dGhlIHNhbXBsZSBub25jZQ=="); string(got) != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" { // RFC 6455 1.3
		t.Fatalf("accept %q", got)
	}
}

// A backend answering over a raw socket in hostile ways: the head read
// stays bounded, a head that dribbles in byte by byte still works (and
// what follows it is relayed first), a cut-off head is an error.
func TestDialBackendHostileHeads(t *testing.T) {
	ok101 := func(key string) string {
		return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptKey(key) + "\r\n\r\n"
	}
	frame := string(appendFrame(nil, opText, []byte("early"), false))
	for _, tc := range []struct {
		name        string
		write       func(c net.Conn, key string)
		wantErr     string // "" for a connection
		wantPending string
	}{
		{"endless header lines", func(c net.Conn, key string) {
			_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\n")
			line := []byte("X-Filler: " + strings.Repeat("f", 1000) + "\r\n")
			for i := 0; i < 2000; i++ { // 2 MB, never the empty line
				if _, err := c.Write(line); err != nil {
					return
				}
			}
		}, "exceed", ""},
		{"byte by byte, a frame glued on", func(c net.Conn, key string) {
			for _, b := range []byte(ok101(key) + frame) {
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
			}
		}, "", frame},
		{"cut off", func(c net.Conn, key string) {
			_, _ = io.WriteString(c, ok101(key)[:40])
		}, "reading the backend's handshake response", ""},
		{"folded header line (left to net/http)", func(c net.Conn, key string) {
			h := ok101(key)
			_, _ = io.WriteString(c, h[:len(h)-2]+"X-Folded: a\r\n b\r\n\r\n")
		}, "", ""},
		{"bare LF line ends (left to net/http)", func(c net.Conn, key string) {
			_, _ = io.WriteString(c, strings.ReplaceAll(ok101(key), "\r\n", "\n"))
		}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				br := bufio.NewReader(c)
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
				if c, ok := c.(*net.TCPConn); ok {
					_ = c.SetNoDelay(true)
				}
				tc.write(c, key)
			}()
			c, _, err := dialTest(t, nil, "ws://"+ln.Addr().String()+"/")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("dial: %v, want an error about %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			// Bytes after the head are kept: read with it (pending) or, when
			// they came later, still on the connection for the relay.
			got := append([]byte(nil), c.pending...)
			_ = c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			for len(got) < len(tc.wantPending) {
				var b [64]byte
				n, err := c.conn.Read(b[:])
				got = append(got, b[:n]...)
				if err != nil {
					break
				}
			}
			if string(got) != tc.wantPending {
				t.Fatalf("after the head: %q, want %q", got, tc.wantPending)
			}
		})
	}
}

// appendRequestURI writes what url.URL.RequestURI returns.
func TestAppendRequestURI(t *testing.T) {
	for _, raw := range []string{
		"ws://b/", "ws://b", "ws://b/chat?x=1&y=%2F", "ws://b/a/b;c=d/$&+,:@=~._-", "ws://b/it's(1)*!",
		"ws://b/sp%20ace", "ws://b/%2Fslash", "ws://b/q?", "ws://b/h\u00e9", "ws://b/caf%C3%A9?z", "ws://b/a?b#c",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(appendRequestURI(nil, u)); got != u.RequestURI() {
			t.Errorf("%s: %q, want %q", raw, got, u.RequestURI())
		}
	}
	// A path set by hand (as the backend URL is built) with characters
	// that need escaping.
	for _, p := range []string{"/a b", "/100%", "/x?y", "/é", "/a#b", "/(x)"} {
		u := &url.URL{Scheme: "ws", Host: "b", Path: p, RawQuery: "k=v"}
		if got := string(appendRequestURI(nil, u)); got != u.RequestURI() {
			t.Errorf("path %q: %q, want %q", p, got, u.RequestURI())
		}
	}
}

// parse101 refuses a head without its empty line, however short.
func TestParse101Truncated(t *testing.T) {
	for _, head := range []string{"HTTP/1.1 101 Switching Protocols\r\n", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"} {
		if _, ok := parse101([]byte(head)); ok {
			t.Errorf("%q: taken", head)
		}
	}
}
