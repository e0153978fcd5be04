//go:build linux

package upstream_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tollgate/gateway/h1"
	"tollgate/gateway/internal/evloop"
	"tollgate/gateway/upstream"
	"tollgate/internal/testutil"
)

// loopFront serves h on h1's event loops (one loop, so every request
// shares one loop's pool) and returns its address.
func loopFront(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &h1.Server{Handler: h, EventLoop: true, Loops: 1}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return ln.Addr().String()
}

// expectReleased is what the running TestLoopBackends case expects of
// proxyTo's released (see there).
var expectReleased atomic.Bool

// proxyTo is a handler that sends the request on to target with tr from
// the request's task, and answers with the status and body it got, or
// 502 and the error. A request with X-Body-Size sends a body of that many
// zero bytes made by the handler: a client's body that large would take
// its connection off the loop (h1's leaveLoop), and a body the gateway
// makes (a policy's) is what a loop task writes itself.
func proxyTo(tr *upstream.Transport, target string, released *atomic.Bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if evloop.TaskFrom(r.Context()) == nil {
			http.Error(w, "not on a loop", 500)
			return
		}
		out, _ := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.Path, r.Body)
		out.ContentLength = r.ContentLength
		if r.ContentLength == 0 {
			out.Body = nil
		}
		if v := r.Header.Get("X-Body-Size"); v != "" {
			n, _ := strconv.Atoi(v)
			out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(make([]byte, n))), int64(n)
		}
		task := evloop.TaskFrom(r.Context())
		before, forced, leftover := task.Releases(), task.Forced(), task.Released()
		res, err := tr.RoundTrip(out)
		if released != nil {
			// Released by this call. A call that starts released (nothing
			// since the last one made the task wait on a loop connection:
			// a dial to loopback completes without a wait, an answer may be
			// there before it is read), or that the loops' watchdog moved
			// off its loop (a TLS handshake is milliseconds of CPU under
			// the race detector), says nothing about the transport: it
			// counts as the test expects. The first call on a connection
			// always starts on its loop.
			if leftover || task.Forced() > forced {
				released.Store(expectReleased.Load())
			} else {
				released.Store(task.Releases() > before)
			}
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		w.WriteHeader(res.StatusCode)
		_, _ = io.Copy(w, res.Body)
	}
}

func loopGet(t *testing.T, c net.Conn, br *bufio.Reader, method, path, body string) (int, string) {
	t.Helper()
	return loopGetHeader(t, c, br, method, path, "", body)
}

// loopGetHeader is loopGet with header lines (each ending in CRLF) added.
func loopGetHeader(t *testing.T, c net.Conn, br *bufio.Reader, method, path, header, body string) (int, string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: gw\r\n%sContent-Length: %d\r\n\r\n%s", method, path, header, len(body), body)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode, string(b)
}

// Requests from loop tasks share the loop's pool: one backend connection
// serves every request of every client connection one after another; a
// body too large to go with the head (written by the task itself, not a
// goroutine) arrives whole.
func TestLoopPool(t *testing.T) {
	be := startBackend(t, func(c net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			n, _ := io.Copy(io.Discard, req.Body)
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(fmt.Sprint(n)), fmt.Sprint(n))
		}
	})
	tr := &upstream.Transport{MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections) // before the backend waits for its connections to end
	addr := loopFront(t, proxyTo(tr, "http://"+be.addr, nil))
	const big = 200 << 10
	for i := range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		for j := range 5 {
			header, want := "", "0"
			if j == 4 {
				header, want = fmt.Sprintf("X-Body-Size: %d\r\n", big), fmt.Sprint(big)
			}
			if code, got := loopGetHeader(t, c, br, "POST", "/x", header, ""); code != 200 || got != want {
				t.Fatalf("conn %d request %d: %d %q", i, j, code, got)
			}
		}
		c.Close()
	}
	if n := be.dials.Load(); n != 1 {
		t.Fatalf("the backend saw %d connections; want 1 (the loop's pooled one)", n)
	}
}

// What a loop task's backend call may meet: a TLS backend (the handshake
// over the loop connection), a closed port, a name to resolve (the task is
// released for it), a backend that closed its idle connection; and a
// transport that dials its own way or stays off the loops (OffLoop: the
// task is released for every call).
func TestLoopBackends(t *testing.T) {
	tlsBack := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "tls ok") }))
	defer tlsBack.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close") // each answer closes: the next request must dial again
		io.WriteString(w, "plain ok")
	}))
	defer plain.Close()
	closedURL := "http://" + testutil.ClosedPort(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(plain.URL, "http://"))

	for _, tc := range []struct {
		name, target string
		tr           *upstream.Transport
		code         int
		body         string
		released     bool
	}{
		{"TLS", tlsBack.URL, &upstream.Transport{TLSClientConfig: tlsBack.Client().Transport.(*http.Transport).TLSClientConfig}, 200, "tls ok", false},
		{"closed port", closedURL, &upstream.Transport{}, 502, "connection refused", false},
		{"a name", "http://localhost:" + port, &upstream.Transport{}, 200, "plain ok", true},
		{"connection closed by the backend", plain.URL, &upstream.Transport{}, 200, "plain ok", false},
		{"a dialer of the caller's", plain.URL, &upstream.Transport{DialContext: (&net.Dialer{}).DialContext}, 200, "plain ok", true},
		{"off the loop", plain.URL, &upstream.Transport{OffLoop: true}, 200, "plain ok", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var released atomic.Bool
			expectReleased.Store(tc.released)
			addr := loopFront(t, proxyTo(tc.tr, tc.target, &released))
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for range 3 {
				code, got := loopGet(t, c, br, "GET", "/", "")
				if code != tc.code || !strings.Contains(got, tc.body) {
					t.Fatalf("got %d %q; want %d and %q", code, got, tc.code, tc.body)
				}
				if released.Load() != tc.released {
					t.Fatalf("released %v; want %v", released.Load(), tc.released)
				}
			}
		})
	}
}

// A backend that answers before it has taken a large request body: a
// refusal (300 or more) or its close stops the body's write from the loop
// task and the answer is passed on, as the goroutine path's concurrent
// reader does; a 2xx answer does not stop the body (a backend that streams
// its answer while it reads). Before, the task wrote on until the backend
// closed (a 502 instead of its 413) or its timeout.
func TestLoopEarlyAnswer(t *testing.T) {
	const size = 16 << 20 // more than the sockets' buffers take
	readHead := func(br *bufio.Reader) *http.Request {
		req, err := http.ReadRequest(br)
		if err != nil {
			return nil
		}
		return req
	}
	for _, tc := range []struct {
		name  string
		serve func(c net.Conn, br *bufio.Reader)
		code  int
		body  string
	}{
		{"refused, closed", func(c net.Conn, br *bufio.Reader) {
			if readHead(br) != nil {
				io.WriteString(c, "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 7\r\n\r\ntoo big")
			}
		}, 413, "too big"},
		{"refused, kept open and not read", func(c net.Conn, br *bufio.Reader) {
			if readHead(br) != nil {
				io.WriteString(c, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nwho?")
				time.Sleep(2 * time.Second) // neither reads nor closes
			}
		}, 401, "who?"},
		{"closed without an answer", func(c net.Conn, br *bufio.Reader) {
			readHead(br)
		}, 502, ""},
		{"accepted first, then read", func(c net.Conn, br *bufio.Reader) {
			req := readHead(br)
			if req == nil {
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
			n, _ := io.Copy(io.Discard, req.Body)
			s := fmt.Sprint(n)
			fmt.Fprintf(c, "%x\r\n%s\r\n0\r\n\r\n", len(s), s)
		}, 200, fmt.Sprint(size)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := startBackend(t, tc.serve)
			tr := &upstream.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			addr := loopFront(t, proxyTo(tr, "http://"+be.addr, nil))
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			code, b := loopGetHeader(t, c, bufio.NewReader(c), "POST", "/x", fmt.Sprintf("X-Body-Size: %d\r\n", size), "")
			if code != tc.code || !strings.Contains(b, tc.body) {
				t.Fatalf("got %d %q; want %d and %q", code, b, tc.code, tc.body)
			}
		})
	}
}
