package h1

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestHostileEdges: a head of exactly MaxHeaderBytes (8 KiB in serve) and
// one byte more, a request line alone that long, a chunk extension past
// maxChunkLine and a trailer section past maxTrailer, on tollgate's fronts
// (net/http allows 4 KiB of slack over its MaxHeaderBytes, so it is left
// out of the exact edge).
func TestHostileEdges(t *testing.T) {
	const max = 8 << 10
	head := func(n int) string { // a GET whose head is n bytes in all
		const start, end = "GET /x HTTP/1.1\r\nHost: a\r\nX-Pad: ", "\r\n\r\n"
		return start + strings.Repeat("p", n-len(start)-len(end)) + end
	}
	line := func(n int) string { // a request line of n bytes with its CRLF
		const start, end = "GET /", " HTTP/1.1\r\n"
		return start + strings.Repeat("a", n-len(start)-len(end)) + end + "Host: a\r\n\r\n"
	}
	chunkExt := "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=" + strings.Repeat("e", maxChunkLine) + "\r\nhello\r\n0\r\n\r\n"
	var trailer strings.Builder
	for trailer.Len() <= maxTrailer {
		trailer.WriteString("X-T: " + strings.Repeat("t", 1000) + "\r\n")
	}
	bigTrailer := "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n" + trailer.String() + "\r\n"
	for _, tc := range []struct {
		name, req string
		status    int
		closed    bool
	}{
		{"head of exactly the limit", head(max), 200, false},
		{"head one byte over", head(max + 1), 431, true},
		{"request line of the whole limit", line(max - len("Host: a\r\n\r\n")), 200, false},
		{"request line one byte over", line(max - len("Host: a\r\n\r\n") + 1), 431, true},
		{"chunk extension past the chunk line bound", chunkExt, 400, true},
		{"trailer section past its bound", bigTrailer, 400, true},
	} {
		for _, front := range []string{"h1", "loop"} {
			t.Run(front+"/"+tc.name, func(t *testing.T) {
				r := roundTrip(t, serve(t, front, echoLen), tc.req)
				if r.status != tc.status || r.closed != tc.closed {
					t.Fatalf("got %d closed=%v, want %d closed=%v (%q)", r.status, r.closed, tc.status, tc.closed, r.body)
				}
			})
		}
	}
}

// TestSlowloris: a client that sends its head one byte at a time, each
// byte well within any per-read timeout, is closed once ReadHeaderTimeout
// has passed since the head's first byte, not kept as long as it trickles.
// The client trickles for up to 20 s; the server's bound is 300 ms.
func TestSlowloris(t *testing.T) {
	for _, front := range []string{"h1", "loop"} {
		t.Run(front, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			s := &Server{Handler: echoLen, ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: time.Minute, EventLoop: front == "loop"}
			go func() { _ = s.Serve(ln) }()
			defer s.Close()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			closed := make(chan error, 1)
			go func() {
				_, err := io.ReadAll(bufio.NewReader(c))
				closed <- err
			}()
			req := "GET /x HTTP/1.1\r\nHost: a\r\nX-Slow: " + strings.Repeat("s", 1000)
			deadline := time.After(20 * time.Second)
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case err := <-closed:
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						t.Fatal("client-side timeout, not a close by the server")
					}
					return // the server closed the trickling connection
				case <-deadline:
					t.Fatalf("the server kept a head trickling for 20 s (%d bytes sent)", i)
				case <-tick.C:
					if _, err := io.WriteString(c, req[i%len(req):i%len(req)+1]); err != nil {
						return // reset by the server
					}
				}
			}
		})
	}
}
