//go:build linux

package h1

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/gateway/internal/evloop"
)

// Hostile clients on the event-loop front: connections reset in the middle
// of a head, right after a whole request (before its answer is read), with
// nothing sent, or half-closed after a request. None may be left behind
// (the server tracks each until its task ends), and the loops go on
// serving.
func TestLoopHostileClients(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 256<<10)
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		io.WriteString(w, big) // larger than the socket buffers: the write must wait
	}), EventLoop: true, ReadHeaderTimeout: 2 * time.Second}
	go func() { _ = s.Serve(ln) }()
	defer s.Close()
	addr := ln.Addr().String()
	sends := []string{
		"GET /x HTTP/1.1\r\nHost: a\r\nX-Partial", // reset in the middle of a head
		"GET /x HTTP/1.1\r\nHost: a\r\n\r\n",      // reset before the answer is read
		"",                                        // reset with nothing sent
		"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nab", // reset in the middle of a body
	}
	var wg sync.WaitGroup
	for i := range 400 {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			if msg := sends[i%len(sends)]; msg != "" {
				io.WriteString(c, msg)
			}
			if i%8 == 1 {
				time.Sleep(5 * time.Millisecond) // let the answer start
			}
			_ = c.(*net.TCPConn).SetLinger(0) // close sends RST
			c.Close()
		})
	}
	// Half-closed after a request: the answer still goes out whole.
	hc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(hc, "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	_ = hc.(*net.TCPConn).CloseWrite()
	res, err := http.ReadResponse(bufio.NewReader(hc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(res.Body); len(b) != len(big) {
		t.Fatalf("half-closed client got %d bytes", len(b))
	}
	hc.Close()
	wg.Wait()
	waitUntracked(t, s, "every client went away")
	// Still serving.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
	res, err = http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("after the hostile clients: %v %v", res, err)
	}
}

// Many kept-alive connections on the loops, each answered once, then all
// closed by their clients at once: every one is let go (none tracked), and
// the loops serve a new one.
func TestLoopManyConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: echoLen, EventLoop: true}
	go func() { _ = s.Serve(ln) }()
	defer s.Close()
	addr := ln.Addr().String()
	const n = 2000
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("conn %d: %v", i, err)
		}
		conns = append(conns, c)
		io.WriteString(c, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
	}
	for i, c := range conns {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("conn %d: %v", i, err)
		}
		b, _ := io.ReadAll(res.Body)
		if !strings.HasPrefix(string(b), "got 3") {
			t.Fatalf("conn %d: %q", i, b)
		}
	}
	s.mu.Lock()
	open := len(s.conns)
	s.mu.Unlock()
	if open != n {
		t.Fatalf("%d connections tracked while %d are kept alive", open, n)
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	waitUntracked(t, s, "their clients closed them")
	if r := roundTrip(t, addr, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"); r.status != 200 {
		t.Fatalf("after: %+v", r)
	}
}

// waitUntracked waits (at most 10 s) until s tracks no connection.
func waitUntracked(t *testing.T, s *Server, after string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still tracked after %s", n, after)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A request whose body is too large to go with the head to the backend
// (over 64 KiB, or chunked) takes its connection off the event loop: its
// handler runs with no task (the backend client then writes the body from
// a goroutine while it reads the answer, as on the goroutine front), the
// bytes already read stay (a pipelined request behind it included), and
// the connection's later requests run off the loop too. A small body
// stays on the loop.
func TestLoopLargeBodyLeavesLoop(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		where := "loop"
		if evloop.TaskFrom(r.Context()) == nil {
			where = "goroutine"
		}
		fmt.Fprintf(w, "%s %d %v", where, n, err)
	}), EventLoop: true, Loops: 1}
	go func() { _ = s.Serve(ln) }()
	defer s.Close()
	for _, tc := range []struct {
		name string
		reqs []string // sent one after another on one connection
		want []string
	}{
		{"small body", []string{post(1000), post(64 << 10)}, []string{"loop 1000 <nil>", "loop 65536 <nil>"}},
		{"large body", []string{post(1000), post(64<<10 + 1), post(10), "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
			[]string{"loop 1000 <nil>", "goroutine 65537 <nil>", "goroutine 10 <nil>", "goroutine 0 <nil>"}},
		{"chunked", []string{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
			[]string{"goroutine 5 <nil>"}},
		{"pipelined behind a large body", []string{post(100<<10) + post(7)},
			[]string{"goroutine 102400 <nil>", "goroutine 7 <nil>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(c)
			var got []string
			for _, req := range tc.reqs {
				io.WriteString(c, req)
				for range strings.Count(req, " HTTP/1.1\r\n") { // the requests req holds
					res, err := http.ReadResponse(br, nil)
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					got = append(got, string(b))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// post is a POST with a body of n bytes.
func post(n int) string {
	return fmt.Sprintf("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s", n, strings.Repeat("x", n))
}
