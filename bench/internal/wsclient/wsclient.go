// Package wsclient is the benchmarks' WebSocket client (bench/load and
// bench/soak).
package wsclient

// A deliberately lean WebSocket client (RFC 6455, client side only, no
// extensions): one net.Conn, one bufio.Reader, one reusable write buffer,
// no goroutines of its own and no allocation per message. The same client
// drives every target, so its own costs do not favour either proxy; keeping
// them small leaves more of the shared 2 cores to the proxy under test.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// Opcodes.
const (
	OpCont   = 0x0
	OpText   = 0x1
	OpBinary = 0x2
	OpClose  = 0x8
	OpPing   = 0x9
	OpPong   = 0xA
)

// Conn is a client connection.
type Conn struct {
	c    net.Conn
	br   *bufio.Reader
	wbuf []byte
	wmu  sync.Mutex // WriteMsg's frames and wbuf
	mask [4]byte
	// closeSent: our close frame is out, so a close frame from the peer is
	// its answer and must not be answered again.
	closeSent   bool
	closeCode   int    // the code of the peer's close frame (1005: none)
	closeReason string // and its reason
}

// ErrClosed: the peer sent a close frame.
var ErrClosed = errors.New("websocket closed by peer")

// Dial opens a TCP connection to addr (from local source IP src, if not
// nil), and performs the upgrade for path (which may hold a query). hdr is
// extra header lines ("Name: value\r\n" each).
func Dial(addr string, src net.IP, path, hdr string, timeout time.Duration) (*Conn, error) {
	d := net.Dialer{Timeout: timeout}
	if src != nil {
		d.LocalAddr = &net.TCPAddr{IP: src}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	ws, err := handshake(c, addr, path, hdr, timeout)
	if err != nil {
		c.Close()
		return nil, err
	}
	return ws, nil
}

func handshake(c net.Conn, host, path, hdr string, timeout time.Duration) (*Conn, error) {
	var key [16]byte
	_, _ = rand.Read(key[:])
	k := base64.StdEncoding.EncodeToString(key[:])
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + k +
		"\r\n" + hdr + "\r\n"
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c, req); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(c, 4096)
	status, err := br.ReadSlice('\n')
	if err != nil {
		return nil, fmt.Errorf("reading the handshake response: %w", err)
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 101")) {
		return nil, fmt.Errorf("handshake refused: %s", strings.TrimSpace(string(status)))
	}
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return nil, fmt.Errorf("reading the handshake headers: %w", err)
		}
		if len(line) <= 2 { // "\r\n"
			break
		}
	}
	_ = c.SetDeadline(time.Time{})
	ws := &Conn{c: c, br: br}
	_, _ = rand.Read(ws.mask[:])
	return ws, nil
}

// WriteMsg sends p as one masked frame with a single write call.
func (w *Conn) WriteMsg(op byte, p []byte) error {
	// ReadMsg answers pings and closes from the reading goroutine while
	// another may be writing data: one frame at a time on the wire, and one
	// user of wbuf.
	w.wmu.Lock()
	defer w.wmu.Unlock()
	n := len(p)
	need := 14 + n
	if cap(w.wbuf) < need {
		w.wbuf = make([]byte, need)
	}
	b := w.wbuf[:need]
	b[0] = 0x80 | op
	h := 2
	switch {
	case n < 126:
		b[1] = 0x80 | byte(n)
	case n <= 0xFFFF:
		b[1] = 0x80 | 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
		h = 4
	default:
		b[1] = 0x80 | 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
		h = 10
	}
	copy(b[h:], w.mask[:])
	h += 4
	copy(b[h:], p)
	maskBytes(w.mask, b[h:h+n])
	_, err := w.c.Write(b[:h+n])
	return err
}

func maskBytes(key [4]byte, b []byte) {
	k32 := binary.LittleEndian.Uint32(key[:])
	k64 := uint64(k32)<<32 | uint64(k32)
	for len(b) >= 8 {
		v := binary.LittleEndian.Uint64(b)
		binary.LittleEndian.PutUint64(b, v^k64)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= key[i&3]
	}
}

// ReadMsg reads one complete data message into buf (bytes beyond len(buf)
// are discarded but counted) and returns its opcode and size. Pings are
// answered, pongs skipped; a close frame is answered and reported as
// ErrClosed.
func (w *Conn) ReadMsg(buf []byte) (op byte, n int, err error) {
	var hdr [14]byte
	first := true
	for {
		if _, err = io.ReadFull(w.br, hdr[:2]); err != nil {
			return 0, n, err
		}
		fin := hdr[0]&0x80 != 0
		fop := hdr[0] & 0x0F
		plen := int(hdr[1] & 0x7F)
		if hdr[1]&0x80 != 0 {
			return 0, n, errors.New("masked frame from server")
		}
		switch plen {
		case 126:
			if _, err = io.ReadFull(w.br, hdr[2:4]); err != nil {
				return 0, n, err
			}
			plen = int(binary.BigEndian.Uint16(hdr[2:4]))
		case 127:
			if _, err = io.ReadFull(w.br, hdr[2:10]); err != nil {
				return 0, n, err
			}
			plen = int(binary.BigEndian.Uint64(hdr[2:10]))
		}
		if fop >= 0x8 { // control frame, may interleave
			var ctl [125]byte
			if plen > len(ctl) {
				return 0, n, errors.New("control frame too long")
			}
			if _, err = io.ReadFull(w.br, ctl[:plen]); err != nil {
				return 0, n, err
			}
			switch fop {
			case OpPing:
				if err = w.WriteMsg(OpPong, ctl[:plen]); err != nil {
					return 0, n, err
				}
			case OpClose:
				w.closeCode, w.closeReason = 1005, ""
				if plen >= 2 {
					w.closeCode = int(binary.BigEndian.Uint16(ctl[:2]))
					w.closeReason = string(ctl[2:plen])
				}
				if !w.closeSent {
					w.closeSent = true
					_ = w.WriteMsg(OpClose, ctl[:min(plen, 2)])
				}
				return OpClose, n, ErrClosed
			}
			continue
		}
		if first {
			op, first = fop, false
		}
		// payload
		for plen > 0 {
			if n < len(buf) {
				m := min(plen, len(buf)-n)
				if _, err = io.ReadFull(w.br, buf[n:n+m]); err != nil {
					return op, n, err
				}
				n += m
				plen -= m
				continue
			}
			d, err := w.br.Discard(plen)
			n += d
			plen -= d
			if err != nil {
				return op, n, err
			}
		}
		if fin {
			return op, n, nil
		}
	}
}

// CloseGracefully sends a 1000 close frame and waits (bounded) for the
// peer's close frame or EOF, then closes the socket.
func (w *Conn) CloseGracefully(timeout time.Duration) {
	_ = w.c.SetDeadline(time.Now().Add(timeout))
	w.closeSent = true
	if w.WriteMsg(OpClose, []byte{0x03, 0xE8}) == nil {
		var buf [256]byte
		for i := 0; i < 64; i++ { // bounded: a few stray messages at most
			if _, _, err := w.ReadMsg(buf[:]); err != nil {
				break
			}
		}
	}
	_ = w.c.Close()
}

// NetConn is the underlying connection (for deadlines and Close).
func (w *Conn) NetConn() net.Conn { return w.c }

// CloseCode is the code of the close frame ReadMsg got (0 before one).
func (w *Conn) CloseCode() int { return w.closeCode }

// CloseReason is the reason in the peer's close frame.
func (w *Conn) CloseReason() string { return w.closeReason }
