package h1

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLateWriterOnReusedConn: a handler keeps its request's writer and
// body past the request (which ends normally, or by the handler's panic);
// the next connection (on one event loop, served by the same task and so
// by the same conn: serveLoopConn) gets its answer untouched and its
// socket's deadlines unmoved, while every use of the kept ones fails: a
// write, a flush, a deadline, a body read, Noted. On h1's goroutines the
// worker that served the first connection serves the second with the same
// conn (serveJob), the same way.
func TestLateWriterOnReusedConn(t *testing.T) {
	bothOurs(t, func(t *testing.T, loop bool) {
		type keptReq struct {
			w    http.ResponseWriter
			body io.Reader
		}
		kept := make(chan keptReq, 1)
		set := NewFieldSet("X-Noted")
		errs := make(chan string, 32)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/a":
				kept <- keptReq{w, r.Body}
				if r.URL.RawQuery == "abort" {
					// The request ends by the panic, nothing written:
					// its writer has not even a status yet.
					panic(http.ErrAbortHandler)
				}
				_, _ = w.Write([]byte("A"))
				w.(http.Flusher).Flush() // chunked: a later write has no length to overrun
			case "/b":
				k := <-kept
				keptW, keptBody := k.w, k.body
				if keptW.(*response).c != w.(*response).c {
					errs <- "the second connection was not served by the first one's conn"
				}
				keptW.WriteHeader(http.StatusEarlyHints) // a 1xx is written at once: the client reads it first
				if _, _, err := keptW.(http.Hijacker).Hijack(); err == nil {
					errs <- "a late Hijack was taken"
				}
				if _, _, err := keptW.(interface {
					HijackRaw() (net.Conn, []byte, error)
				}).HijackRaw(); err == nil {
					errs <- "a late HijackRaw was taken"
				}
				if n, err := keptW.Write([]byte("LEAK")); err == nil || n != 0 {
					errs <- "a late Write was taken"
				}
				if err := http.NewResponseController(keptW).Flush(); err == nil {
					errs <- "a late Flush was taken"
				}
				if err := http.NewResponseController(keptW).SetReadDeadline(time.Unix(1, 0)); err == nil {
					errs <- "a late SetReadDeadline was taken"
				}
				if err := http.NewResponseController(keptW).SetWriteDeadline(time.Unix(1, 0)); err == nil {
					errs <- "a late SetWriteDeadline was taken"
				}
				if n, err := keptBody.Read(make([]byte, 8)); err == nil || n != 0 {
					errs <- "a late body Read was taken"
				}
				if _, ok := Noted(keptW, set); ok {
					errs <- "a late Noted answered"
				}
				_, _ = w.Write([]byte("B"))
			default:
				_, _ = w.Write([]byte("C"))
			}
		})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{Handler: h, Noted: set, EventLoop: loop, Loops: 1}
		go func() { _ = s.Serve(ln) }()
		t.Cleanup(func() { _ = s.Close() })
		addr := ln.Addr().String()
		for i, target := range []string{"/a", "/a?abort"} {
			if i > 0 {
				// On h1's goroutines, one worker serves every connection
				// only if each is dialed once that worker waits for the
				// next: the last lateUse's second connection, closed on
				// return, may still be in it, and a connection dispatched
				// meanwhile would start a second worker (another conn,
				// and the late use a data race between the two).
				quiet(t, s, loop)
			}
			lateUse(t, s, addr, loop, target)
		}
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	})
}

// lateUse is TestLateWriterOnReusedConn's two connections: the first
// asks for target, whose handler keeps its writer and body; the second
// for /b, whose handler uses them, then /c.
func lateUse(t *testing.T, s *Server, addr string, loop bool, target string) {
	t.Helper()
	// The first connection: a body the handler leaves unread (the server
	// drains it), the connection closed after the answer (none when the
	// handler panics).
	c1, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c1.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(c1, "POST "+target+" HTTP/1.1\r\nHost: h\r\nX-Noted: 1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
	all, err := io.ReadAll(c1) // to the server's close: its task is done
	c1.Close()
	if want := "\r\n\r\n1\r\nA\r\n"; err != nil || (target == "/a") != strings.Contains(string(all), want) {
		t.Fatalf("%s: first answer %q, %v", target, all, err)
	}
	// The task back in its loop's free list; the worker waiting for the
	// next connection.
	quiet(t, s, loop)

	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_ = c2.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c2)
	for _, p := range []string{"/b", "/c"} { // the second: the socket's read deadline was not moved
		_, _ = io.WriteString(c2, "GET "+p+" HTTP/1.1\r\nHost: h\r\n\r\n")
		resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
		if err != nil {
			t.Fatalf("%s, then %s: %v", target, p, err)
		}
		body, err := io.ReadAll(resp.Body)
		if want := strings.ToUpper(p[1:]); err != nil || string(body) != want {
			t.Fatalf("%s, then %s: answer %q, %v; want %q", target, p, body, err, want)
		}
	}
}

// quiet waits until the server serves no connection and, on h1's
// goroutines, a worker waits for the next one (then a little longer, for
// it to reach its receive).
func quiet(t *testing.T, s *Server, loop bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 && (loop || s.idleWorkers.Load() > 0) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server still serves %d connections, %d idle workers", n, s.idleWorkers.Load())
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
}
