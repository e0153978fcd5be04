// Command rawrelay is a design probe, not a gateway: the smallest
// frame-aware WebSocket relay in Go, to measure what tollgate's data path
// could cost without coder/websocket on it. It does its own upgrade (hijack,
// Sec-WebSocket-Accept) and its own backend handshake over a plain TCP dial,
// then relays bytes in both directions while parsing every frame header
// (message count and boundaries, max message size), forwarding frames as they
// are: a client's frames are already masked, which RFC 6455 requires toward
// the backend anyway, and the backend's are unmasked, as the client needs.
// One read, however many frames it holds, is one write. An idle connection
// holds two goroutines blocked on a 256-byte read buffer each; a 32 KiB
// buffer is taken from a pool only while data flows.
//
// It runs as a third target with `bench-run -probe` (rows "rawrelay").
//
//	rawrelay -listen 127.0.0.1:8082 -backend 127.0.0.1:9001
package main

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

const (
	bigBuf     = 32 << 10
	smallBuf   = 256
	maxMessage = 1 << 20
)

var pool = sync.Pool{New: func() any { b := make([]byte, bigBuf); return &b }}

var backend string

func main() {
	listen := flag.String("listen", "127.0.0.1:8082", "address")
	flag.StringVar(&backend, "backend", "127.0.0.1:9001", "echo backend host:port")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: http.HandlerFunc(upgrade), ReadHeaderTimeout: 10 * time.Second}
	_ = srv.Serve(ln)
}

func upgrade(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Sec-WebSocket-Key")
	if key == "" || !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		http.Error(w, "websocket only", http.StatusUpgradeRequired)
		return
	}
	bc, err := net.DialTimeout("tcp", backend, 10*time.Second)
	if err != nil {
		http.Error(w, "backend down", http.StatusBadGateway)
		return
	}
	var kb [16]byte
	_, _ = rand.Read(kb[:])
	req := "GET " + r.URL.RequestURI() + " HTTP/1.1\r\nHost: " + backend +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
		base64.StdEncoding.EncodeToString(kb[:]) + "\r\nX-Forwarded-For: " + r.RemoteAddr + "\r\n\r\n"
	_ = bc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(bc, req); err != nil {
		bc.Close()
		http.Error(w, "backend write", http.StatusBadGateway)
		return
	}
	br := bufio.NewReaderSize(bc, 512)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		bc.Close()
		http.Error(w, "backend refused", http.StatusBadGateway)
		return
	}
	_ = bc.SetDeadline(time.Time{})
	var backendPending []byte
	if n := br.Buffered(); n > 0 {
		backendPending, _ = br.Peek(n)
		backendPending = append([]byte(nil), backendPending...)
	}
	cc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		bc.Close()
		return
	}
	var clientPending []byte
	if n := brw.Reader.Buffered(); n > 0 {
		p, _ := brw.Reader.Peek(n)
		clientPending = append([]byte(nil), p...)
	}
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if _, err := io.WriteString(cc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+
		base64.StdEncoding.EncodeToString(h[:])+"\r\n\r\n"); err != nil {
		cc.Close()
		bc.Close()
		return
	}
	// Both legs in fresh goroutines: the handler's (grown) stack and
	// net/http's bufio buffers are released when it returns.
	s := &session{client: cc, backend: bc}
	go s.relay(cc, bc, clientPending)
	go s.relay(bc, cc, backendPending)
}

type session struct {
	client, backend net.Conn
	once            sync.Once
}

func (s *session) end() {
	s.once.Do(func() {
		s.client.Close()
		s.backend.Close()
	})
}

// frameParser tracks frame boundaries across reads.
type frameParser struct {
	hdr     [14]byte
	hn      int   // header bytes collected
	payload int64 // payload bytes left in the current frame
	msgLen  int64 // bytes of the current data message so far
	msgs    int64
}

var errTooBig = errors.New("message too big")

// feed walks b's frames. It reports errTooBig when a message exceeds the limit.
func (p *frameParser) feed(b []byte) error {
	for len(b) > 0 {
		if p.payload > 0 {
			n := min(int64(len(b)), p.payload)
			p.payload -= n
			b = b[n:]
			continue
		}
		// collect the header
		need := 2
		if p.hn >= 2 {
			need = headerLen(p.hdr[:2])
		}
		for p.hn < need && len(b) > 0 {
			p.hdr[p.hn] = b[0]
			p.hn++
			b = b[1:]
			if p.hn == 2 {
				need = headerLen(p.hdr[:2])
			}
		}
		if p.hn < need {
			return nil
		}
		fin := p.hdr[0]&0x80 != 0
		op := p.hdr[0] & 0x0F
		l := int64(p.hdr[1] & 0x7F)
		switch l {
		case 126:
			l = int64(binary.BigEndian.Uint16(p.hdr[2:4]))
		case 127:
			l = int64(binary.BigEndian.Uint64(p.hdr[2:10]))
		}
		p.hn = 0
		p.payload = l
		if op < 0x8 { // data frame
			p.msgLen += l
			if p.msgLen > maxMessage {
				return errTooBig
			}
			if fin {
				p.msgs++
				p.msgLen = 0
			}
		}
	}
	return nil
}

func headerLen(h []byte) int {
	n := 2
	switch h[1] & 0x7F {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if h[1]&0x80 != 0 {
		n += 4
	}
	return n
}

func (s *session) relay(src, dst net.Conn, pending []byte) {
	defer s.end()
	var p frameParser
	if len(pending) > 0 {
		if p.feed(pending) != nil {
			return
		}
		if _, err := dst.Write(pending); err != nil {
			return
		}
	}
	var small [smallBuf]byte
	for {
		n, err := src.Read(small[:])
		if err != nil {
			return
		}
		if p.feed(small[:n]) != nil {
			return
		}
		if _, err := dst.Write(small[:n]); err != nil {
			return
		}
		if n < len(small) {
			continue
		}
		// Data is flowing: use a big pooled buffer until a read comes back
		// short (the socket is most likely drained).
		bp := pool.Get().(*[]byte)
		buf := *bp
		for {
			n, err = src.Read(buf)
			if err != nil {
				pool.Put(bp)
				return
			}
			if p.feed(buf[:n]) != nil {
				pool.Put(bp)
				return
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				pool.Put(bp)
				return
			}
			if n < len(buf) {
				break
			}
		}
		pool.Put(bp)
	}
}
