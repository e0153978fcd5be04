package rawio_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/gateway/internal/rawio"
)

// pair returns a wrapped client connection and the server's end.
func pair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	c, s := connPair(t)
	return rawio.Wrap(c), s
}

// connPair returns both ends of a loopback TCP connection (closed when the
// test ends).
func connPair(tb testing.TB) (net.Conn, net.Conn) {
	tb.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

// TestConn: what net.Conn promises, through raw system calls: bytes both
// ways (a write larger than the socket buffers included, which has to
// wait for the poller), EOF, deadlines, a closed connection, concurrent
// reads and writes.
func TestConn(t *testing.T) {
	t.Run("wrapped", func(t *testing.T) {
		c, _ := pair(t)
		if _, plain := c.(*net.TCPConn); plain && runtime.GOOS == "linux" {
			t.Fatalf("a TCP connection was not wrapped: %T", c)
		}
		p1, p2 := net.Pipe()
		defer p1.Close()
		defer p2.Close()
		if rawio.Wrap(p1) != p1 {
			t.Fatal("a pipe was wrapped")
		}
	})
	t.Run("both ways, large", func(t *testing.T) {
		c, s := pair(t)
		big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB: more than the socket buffers
		var got []byte
		var wg sync.WaitGroup
		wg.Go(func() { got, _ = io.ReadAll(s) })
		if n, err := c.Write(big); n != len(big) || err != nil {
			t.Fatalf("Write: %d, %v", n, err)
		}
		c.(interface{ CloseWrite() error }).CloseWrite()
		wg.Wait()
		if !bytes.Equal(got, big) {
			t.Fatalf("the peer got %d bytes, want %d", len(got), len(big))
		}
		go func() { s.Write(big); s.Close() }()
		back, err := io.ReadAll(c)
		if err != nil || !bytes.Equal(back, big) {
			t.Fatalf("ReadAll: %d bytes, %v", len(back), err)
		}
		if n, err := c.Read(make([]byte, 8)); n != 0 || err != io.EOF {
			t.Fatalf("after the end: %d, %v; want 0, EOF", n, err)
		}
	})
	t.Run("two buffers", func(t *testing.T) {
		// WriteTwo: a head and a body in one call, and pairs larger than
		// the socket buffers, whose sends come back short anywhere (in the
		// first buffer, across the boundary, in the second) and wait.
		type twoWriter interface {
			WriteTwo(a, b []byte) (int, error)
		}
		if c, _ := pair(t); runtime.GOOS != "linux" {
			t.Skip("no WriteTwo here")
		} else if _, ok := c.(twoWriter); !ok {
			t.Fatalf("%T has no WriteTwo", c)
		}
		for _, sz := range [][2]int{{100, 4096}, {4000, 0}, {1, 8 << 20}, {6 << 20, 3 << 20}, {3 << 20, 1}} {
			c, s := pair(t)
			a := bytes.Repeat([]byte("0123456789abcdef"), sz[0]/16+1)[:sz[0]]
			b := bytes.Repeat([]byte("fedcba9876543210"), sz[1]/16+1)[:sz[1]]
			var got []byte
			var wg sync.WaitGroup
			wg.Go(func() { time.Sleep(10 * time.Millisecond); got, _ = io.ReadAll(s) })
			n, err := c.(twoWriter).WriteTwo(a, b)
			if n != len(a)+len(b) || err != nil {
				t.Fatalf("WriteTwo(%d, %d): %d, %v", len(a), len(b), n, err)
			}
			c.(interface{ CloseWrite() error }).CloseWrite()
			wg.Wait()
			if !bytes.Equal(got, append(append([]byte{}, a...), b...)) {
				t.Fatalf("WriteTwo(%d, %d): the peer got %d bytes", len(a), len(b), len(got))
			}
		}
	})
	t.Run("three buffers", func(t *testing.T) {
		// WriteThree: a chunk's size line, data and CRLF in one call, and
		// sets larger than the socket buffers, whose sends come back
		// short anywhere and wait.
		type threeWriter interface {
			WriteThree(a, b, d []byte) (int, error)
		}
		if c, _ := pair(t); runtime.GOOS != "linux" {
			t.Skip("no WriteThree here")
		} else if _, ok := c.(threeWriter); !ok {
			t.Fatalf("%T has no WriteThree", c)
		}
		for _, sz := range [][3]int{{6, 8192, 2}, {0, 100, 2}, {100, 4096, 0}, {1, 8 << 20, 2}, {6 << 20, 3 << 20, 2}, {3 << 20, 1, 3 << 20}, {10, 1, 8 << 20}} {
			c, s := pair(t)
			a := bytes.Repeat([]byte("0123456789abcdef"), sz[0]/16+1)[:sz[0]]
			b := bytes.Repeat([]byte("fedcba9876543210"), sz[1]/16+1)[:sz[1]]
			d := bytes.Repeat([]byte("ghijklmnopqrstuv"), sz[2]/16+1)[:sz[2]]
			var got []byte
			var wg sync.WaitGroup
			wg.Go(func() { time.Sleep(10 * time.Millisecond); got, _ = io.ReadAll(s) })
			n, err := c.(threeWriter).WriteThree(a, b, d)
			if n != len(a)+len(b)+len(d) || err != nil {
				t.Fatalf("WriteThree(%d, %d, %d): %d, %v", len(a), len(b), len(d), n, err)
			}
			c.(interface{ CloseWrite() error }).CloseWrite()
			wg.Wait()
			if !bytes.Equal(got, append(append(append([]byte{}, a...), b...), d...)) {
				t.Fatalf("WriteThree(%d, %d, %d): the peer got %d bytes", len(a), len(b), len(d), len(got))
			}
		}
	})
	t.Run("read deadline", func(t *testing.T) {
		c, _ := pair(t)
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, err := c.Read(make([]byte, 8))
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("got %v, want a timeout", err)
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "read" {
			t.Fatalf("got %#v, want a read *net.OpError", err)
		}
	})
	t.Run("write deadline", func(t *testing.T) {
		c, _ := pair(t) // the peer never reads
		c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		big := make([]byte, 64<<20)
		n, err := c.Write(big)
		if !errors.Is(err, os.ErrDeadlineExceeded) || n >= len(big) {
			t.Fatalf("got %d, %v; want a short write and a timeout", n, err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		c, _ := pair(t)
		c.Close()
		if _, err := c.Read(make([]byte, 8)); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read after Close: %v, want net.ErrClosed", err)
		}
		if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Write after Close: %v, want net.ErrClosed", err)
		}
	})
	t.Run("closed while reading", func(t *testing.T) {
		c, _ := pair(t)
		done := make(chan error, 1)
		go func() { _, err := c.Read(make([]byte, 8)); done <- err }()
		time.Sleep(10 * time.Millisecond)
		c.Close()
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("got %v, want net.ErrClosed", err)
		}
	})
	t.Run("reset by the peer", func(t *testing.T) {
		c, s := pair(t)
		s.(*net.TCPConn).SetLinger(0)
		s.Close()
		time.Sleep(10 * time.Millisecond)
		_, err := c.Read(make([]byte, 8))
		if err == nil || !strings.Contains(err.Error(), "connection reset") {
			t.Fatalf("got %v, want a reset", err)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		c, s := pair(t)
		go io.Copy(s, s) // echo
		var wg sync.WaitGroup
		const n = 1000
		wg.Go(func() {
			for range n {
				if _, err := c.Write([]byte("0123456789")); err != nil {
					t.Error(err)
					return
				}
			}
		})
		got := 0
		buf := make([]byte, 100)
		for got < n*10 {
			k, err := c.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			got += k
		}
		wg.Wait()
	})
}
