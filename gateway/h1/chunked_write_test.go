package h1

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
)

// threeConn counts the writes a connection makes, a WriteTwo or WriteThree
// being one (as evloop.Conn's one sendmsg).
type threeConn struct {
	net.Conn
	writes atomic.Int32
}

func (c *threeConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func (c *threeConn) WriteTwo(a, b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(append(append([]byte{}, a...), b...))
}

func (c *threeConn) WriteThree(a, b, d []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(append(append(append([]byte{}, a...), b...), d...))
}

type threeListener struct {
	net.Listener
	conns chan *threeConn
}

func (l *threeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &threeConn{Conn: c}
	l.conns <- tc
	return tc, nil
}

// A chunked answer's piece that does not fit the write buffer goes out
// in one write, flushed: what the buffer held (the head, the size line),
// the data and its CRLF, where bufio made three (the buffer filled and
// sent, the rest of the data, then the CRLF at the flush). Small pieces
// are still gathered in the buffer until a flush.
func TestChunkedPieceOneWrite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pieces []int
		writes int32 // per answer, the terminating chunk's write included
	}{
		{"8 KiB pieces", []int{8 << 10, 8 << 10, 8 << 10, 8 << 10}, 5},
		{"a 100-byte piece, then 8 KiB ones", []int{100, 8 << 10, 8 << 10}, 4},
		{"64 KiB in one piece", []int{64 << 10}, 2},
		{"pieces that fit the buffer", []int{100, 1000, 2000}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want bytes.Buffer
			for i, n := range tc.pieces {
				want.Write(bytes.Repeat([]byte{byte('a' + i)}, n))
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			tl := &threeListener{Listener: ln, conns: make(chan *threeConn, 1)}
			s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for i, n := range tc.pieces {
					w.Write(bytes.Repeat([]byte{byte('a' + i)}, n))
					w.(http.Flusher).Flush()
				}
			})}
			go func() { _ = s.Serve(tl) }()
			t.Cleanup(func() { _ = s.Close() })
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sc := <-tl.conns
			br := bufio.NewReader(c)
			fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(res.Body)
			if err != nil || !bytes.Equal(got, want.Bytes()) || len(res.TransferEncoding) == 0 {
				t.Fatalf("got %d bytes (%v), want %d chunked", len(got), err, want.Len())
			}
			if n := sc.writes.Load(); n != tc.writes {
				t.Errorf("%d writes, want %d", n, tc.writes)
			}
		})
	}
}
