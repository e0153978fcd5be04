//go:build linux

package evloop

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"testing"
)

// TestReadMore: a ReadMore that fills its buffer with the socket's last
// bytes leaves the connection drained (the next read waits without a
// system call), where Read cannot tell; bytes past the buffer are kept
// and read first, by Read and Peek, up to spillMax of them, and the rest
// after them from the socket; Detach refuses while some are kept.
func TestReadMore(t *testing.T) {
	for _, tc := range []struct {
		name    string
		after   int  // bytes sent after the 1000 ReadMore asks for
		drained bool // after the ReadMore
	}{
		{"nothing after", 0, true},
		{"a few bytes after", 10, true},
		{"spillMax after", spillMax, false},
		{"more than spillMax after", spillMax + 500, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent := make([]byte, 1000+tc.after)
			for i := range sent {
				sent[i] = byte(i * 7)
			}
			done := make(chan error, 1)
			_, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
				defer c.Close()
				done <- func() error {
					var pb [1]byte
					p := make([]byte, 1000) // the client's one write (one segment on loopback) is all there once any is
					n, err := c.ReadMore(p)
					if err != nil || n != 1000 || !bytes.Equal(p, sent[:1000]) {
						return fmt.Errorf("ReadMore: %d, %v", n, err)
					}
					if c.drained != tc.drained {
						return fmt.Errorf("drained %v after ReadMore; want %v", c.drained, tc.drained)
					}
					if want := min(tc.after, spillMax); len(c.spill) != want {
						return fmt.Errorf("%d bytes kept; want %d", len(c.spill), want)
					}
					if tc.after == 0 {
						return nil
					}
					if _, err := c.Detach(); err != errSpill {
						return fmt.Errorf("Detach with bytes kept: %v", err)
					}
					if m, err := c.Peek(pb[:]); m != 1 || err != nil || pb[0] != sent[1000] {
						return fmt.Errorf("Peek: %d, %v, %d", m, err, pb[0])
					}
					rest := make([]byte, 0, tc.after)
					buf := make([]byte, 100)
					for len(rest) < tc.after {
						m, err := c.Read(buf)
						if err != nil {
							return fmt.Errorf("Read after %d: %v", len(rest), err)
						}
						rest = append(rest, buf[:m]...)
					}
					if !bytes.Equal(rest, sent[1000:]) {
						return fmt.Errorf("read %d bytes after, not what was sent", len(rest))
					}
					return nil
				}()
			})
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write(sent); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReadMoreAfterSpill: a ReadMore that finds bytes kept by the one
// before returns them and reads on into the rest of its buffer in the
// same call, so that a body streamed faster than it is read comes in
// reads as large as before, not in a short one of the kept bytes; one
// that the kept bytes fill makes no system call.
func TestReadMoreAfterSpill(t *testing.T) {
	sent := make([]byte, 3000)
	for i := range sent {
		sent[i] = byte(i * 13)
	}
	done := make(chan error, 1)
	_, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
		defer c.Close()
		done <- func() error {
			p := make([]byte, 1000)
			if n, err := c.ReadMore(p); n != 1000 || err != nil || !bytes.Equal(p, sent[:1000]) {
				return fmt.Errorf("first ReadMore: %d, %v", n, err)
			}
			if len(c.spill) != spillMax {
				return fmt.Errorf("%d bytes kept; want %d", len(c.spill), spillMax)
			}
			small := make([]byte, 100) // filled by what was kept
			if n, err := c.ReadMore(small); n != 100 || err != nil || !bytes.Equal(small, sent[1000:1100]) {
				return fmt.Errorf("small ReadMore: %d, %v", n, err)
			}
			rest := make([]byte, 2000)
			n, err := c.ReadMore(rest)
			if n != 1900 || err != nil || !bytes.Equal(rest[:n], sent[1100:]) {
				return fmt.Errorf("ReadMore after the kept bytes: %d, %v; want all 1900 left in one call", n, err)
			}
			if !c.drained || len(c.spill) != 0 {
				return fmt.Errorf("drained %v, %d bytes kept after the last bytes", c.drained, len(c.spill))
			}
			return nil
		}()
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(sent); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestReadAvailable: ReadAvailable returns what the socket holds without
// waiting: 0 on an empty socket, which it leaves known drained (no
// system call for the next read's wait); the bytes there once they came;
// and at the peer's end 0, leaving the end for the next Read.
func TestReadAvailable(t *testing.T) {
	sent := make(chan struct{})
	closed := make(chan struct{})
	done := make(chan error, 1)
	_, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
		defer c.Close()
		done <- func() error {
			p := make([]byte, 100)
			if n := c.ReadAvailable(p); n != 0 {
				return fmt.Errorf("ReadAvailable of an empty socket: %d", n)
			}
			if !c.drained {
				return fmt.Errorf("not known drained after finding nothing")
			}
			sent <- struct{}{}
			if n, err := c.Read(p[:1]); n != 1 || err != nil { // waits for the bytes
				return fmt.Errorf("Read: %d, %v", n, err)
			}
			if n := c.ReadAvailable(p); n != 9 || string(p[:n]) != "123456789" {
				return fmt.Errorf("ReadAvailable after data: %d %q", n, p[:n])
			}
			sent <- struct{}{}
			<-closed
			if n, err := c.Read(p); n != 0 || err != io.EOF { // waits for the end
				return fmt.Errorf("Read at the end: %d, %v", n, err)
			}
			if n := c.ReadAvailable(p); n != 0 {
				return fmt.Errorf("ReadAvailable at the end: %d", n)
			}
			if n, err := c.Read(p); n != 0 || err != io.EOF {
				return fmt.Errorf("Read after ReadAvailable at the end: %d, %v", n, err)
			}
			return nil
		}()
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-sent
	if _, err := c.Write([]byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	<-sent
	c.Close()
	close(closed)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
