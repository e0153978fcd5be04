package upstream_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tollgate/gateway/upstream"
)

// backend is a raw-socket HTTP/1.1 peer: serve runs on every accepted
// connection; dials counts them.
type backend struct {
	addr  string
	dials atomic.Int32
}

func startBackend(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.dials.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	return b
}

// request is what a backend read.
type request struct {
	line   string
	header textproto.MIMEHeader
	body   []byte
}

// readRequest reads one request (Content-Length or chunked body).
func readRequest(br *bufio.Reader) (*request, error) {
	tp := textproto.NewReader(br)
	line, err := tp.ReadLine()
	if err != nil {
		return nil, err
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, err
	}
	r := &request{line: line, header: h}
	if h.Get("Transfer-Encoding") == "chunked" {
		for {
			sz, err := tp.ReadLine()
			if err != nil {
				return nil, err
			}
			n, err := strconv.ParseInt(sz, 16, 64)
			if err != nil {
				return nil, err
			}
			if n == 0 {
				if _, err := tp.ReadMIMEHeader(); err != nil { // trailers
					return nil, err
				}
				return r, nil
			}
			chunk := make([]byte, n+2)
			if _, err := io.ReadFull(br, chunk); err != nil {
				return nil, err
			}
			r.body = append(r.body, chunk[:n]...)
		}
	}
	if cl := h.Get("Content-Length"); cl != "" {
		n, _ := strconv.Atoi(cl)
		r.body = make([]byte, n)
		if _, err := io.ReadFull(br, r.body); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// answer serves each request on a connection with resp; closeAfter
// closes the connection after the first.
func answer(resp string, closeAfter bool) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, br *bufio.Reader) {
		for {
			if _, err := readRequest(br); err != nil {
				return
			}
			if _, err := io.WriteString(c, resp); err != nil || closeAfter {
				return
			}
		}
	}
}

func get(t *testing.T, tr *upstream.Transport, ctx context.Context, method, addr string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+"/p?q=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	return tr.RoundTrip(req)
}

// TestResponses: each backend answer as the caller sees it, and whether
// the connection carried the next request (one dial for two requests).
func TestResponses(t *testing.T) {
	for _, tc := range []struct {
		name       string
		method     string
		resp       string
		closeAfter bool
		status     int
		statusText string // Response.Status, when set
		body       string
		header     http.Header // must be present
		noHeader   []string    // must be absent
		cl         int64
		trailer    http.Header
		err        string // from RoundTrip or the body's read
		reuse      bool
	}{
		{name: "keep-alive", resp: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nhi", status: 200, statusText: "200 OK", body: "hi", cl: 2,
			header: http.Header{"X-A": {"1"}, "Content-Length": {"2"}}, reuse: true},
		{name: "connection close", resp: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi", closeAfter: true,
			status: 200, body: "hi", cl: 2},
		{name: "HTTP/1.0", resp: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", closeAfter: true, status: 200, body: "hi", cl: 2},
		{name: "HTTP/1.0 keep-alive", resp: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi",
			status: 200, body: "hi", cl: 2, reuse: true},
		{name: "chunked with trailers", resp: "HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"2;ext=\"a\"\r\nhi\r\nA\r\n0123456789\r\n0\r\nX-Sum: 12\r\nX-Late: y\r\n\r\n",
			status: 200, body: "hi0123456789", cl: -1, noHeader: []string{"Transfer-Encoding", "Trailer"},
			trailer: http.Header{"X-Sum": {"12"}, "X-Late": {"y"}}, reuse: true},
		{name: "close-delimited", resp: "HTTP/1.1 200 OK\r\n\r\nuntil close", closeAfter: true, status: 200, body: "until close", cl: -1},
		{name: "HEAD", method: "HEAD", resp: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", status: 200, cl: 10, reuse: true},
		{name: "204", resp: "HTTP/1.1 204 No Content\r\n\r\n", status: 204, reuse: true},
		{name: "304 with a length", resp: "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nEtag: \"x\"\r\n\r\n", status: 304, reuse: true,
			header: http.Header{"Etag": {`"x"`}}},
		{name: "100 skipped", resp: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", status: 200, body: "x", cl: 1, reuse: true},
		{name: "CL and TE: chunked wins, not reused", resp: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
			status: 200, body: "hello", cl: -1, noHeader: []string{"Content-Length", "Transfer-Encoding"}},
		{name: "same Content-Length twice", resp: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi", cl: 2, reuse: true},
		{name: "a name repeated", resp: "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-B: 2\r\nset-cookie: b=3\r\nContent-Length: 0\r\n\r\n",
			status: 200, reuse: true, header: http.Header{"Set-Cookie": {"a=1", "b=3"}, "X-B": {"2"}}},
		{name: "a name repeated at once", resp: "HTTP/1.1 200 OK\r\nX-A: 1\r\nX-A: 2\r\nX-A: 3\r\nContent-Length: 0\r\n\r\n",
			status: 200, reuse: true, header: http.Header{"X-A": {"1", "2", "3"}}},
		{name: "a name repeated past 16 fields", resp: "HTTP/1.1 200 OK\r\n" + manyFields(20) + "X-F3: again\r\nX-F19: last\r\nContent-Length: 0\r\n\r\n",
			status: 200, reuse: true, header: http.Header{"X-F3": {"3", "again"}, "X-F19": {"19", "last"}, "X-F0": {"0"}, "X-F18": {"18"}}},
		{name: "a name repeated as the 17th field", resp: "HTTP/1.1 200 OK\r\n" + manyFields(16) + "X-F0: again\r\nContent-Length: 0\r\n\r\n",
			status: 200, reuse: true, header: http.Header{"X-F0": {"0", "again"}, "X-F15": {"15"}}},
		{name: "duplicate differing Content-Length", resp: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi", err: "differing Content-Length"},
		{name: "Content-Length list differing", resp: "HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nhi", err: "differing Content-Length"},
		{name: "negative Content-Length", resp: "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nhi", err: "bad Content-Length"},
		{name: "bad chunk size", cl: -1, resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", status: 200, err: "bad chunk size"},
		{name: "chunk size 0x prefix", cl: -1, resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", status: 200, err: "bad chunk size"},
		{name: "chunk without CRLF", cl: -1, resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", status: 200, err: "no CRLF"},
		{name: "huge chunk size", cl: -1, resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", status: 200, err: "chunk size too large"},
		{name: "gzip transfer coding", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", err: "unsupported Transfer-Encoding"},
		{name: "TE in HTTP/1.0", resp: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", err: "HTTP/1.0"},
		{name: "oversized head", resp: "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Filler: "+strings.Repeat("a", 1000)+"\r\n", 1100) + "\r\n", err: "larger than 1 MiB"},
		{name: "truncated body", cl: 10, resp: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", closeAfter: true, status: 200, err: "unexpected EOF"},
		{name: "truncated chunked body", cl: -1, resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", closeAfter: true, status: 200, err: "unexpected EOF"},
		{name: "obs-fold", resp: "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n", err: "obs-fold"},
		{name: "space before colon", resp: "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", err: "bad header line"},
		{name: "NUL in a value", resp: "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n", err: "bad value"},
		{name: "bare CR in a value", resp: "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n", err: "bad value"},
		{name: "101", resp: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", err: "101"},
		{name: "too many 1xx", resp: strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 10), err: "too many 1xx"},
		{name: "no reason phrase", resp: "HTTP/1.1 299\r\nContent-Length: 0\r\n\r\n", status: 299, statusText: "299", reuse: true},
		{name: "unknown code and reason", resp: "HTTP/1.1 299 Fine Anyway\r\nContent-Length: 0\r\n\r\n", status: 299, statusText: "299 Fine Anyway", reuse: true},
		{name: "HTTP/2 status line", resp: "HTTP/2 200 OK\r\n\r\n", err: "bad status line"},
		{name: "two-digit status", resp: "HTTP/1.1 20 OK\r\n\r\n", err: "bad status"},
		{name: "no response", resp: "", closeAfter: true, err: "EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := startBackend(t, answer(tc.resp, tc.closeAfter))
			tr := &upstream.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			defer tr.CloseIdleConnections()
			method := tc.method
			if method == "" {
				method = "GET"
			}
			resp, err := get(t, tr, context.Background(), method, be.addr)
			var data []byte
			if err == nil {
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
				}
				if tc.statusText != "" && resp.Status != tc.statusText {
					t.Errorf("Status %q, want %q", resp.Status, tc.statusText)
				}
				if resp.ContentLength != tc.cl {
					t.Errorf("ContentLength %d, want %d", resp.ContentLength, tc.cl)
				}
				for k, v := range tc.header {
					if got := resp.Header[k]; !equal(got, v) {
						t.Errorf("header %s = %q, want %q", k, got, v)
					}
				}
				for _, k := range tc.noHeader {
					if _, ok := resp.Header[k]; ok {
						t.Errorf("header %s present", k)
					}
				}
				data, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if tc.err == "" && string(data) != tc.body {
				t.Errorf("body %q, want %q", data, tc.body)
			}
			if tc.trailer != nil {
				for k, v := range tc.trailer {
					if got := resp.Trailer[k]; !equal(got, v) {
						t.Errorf("trailer %s = %q, want %q", k, got, v)
					}
				}
			}
			// The next request: one dial in all when the connection was reused.
			if resp2, err := get(t, tr, context.Background(), method, be.addr); err == nil {
				_, _ = io.Copy(io.Discard, resp2.Body)
				resp2.Body.Close()
			}
			want := int32(2)
			if tc.reuse {
				want = 1
			}
			if got := be.dials.Load(); got != want {
				t.Errorf("%d dials for two requests, want %d", got, want)
			}
		})
	}
}

// manyFields is n header lines X-F0: 0 to X-F<n-1>: n-1.
func manyFields(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "X-F%d: %d\r\n", i, i)
	}
	return b.String()
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEarlyHints: a 103 goes to the client trace's Got1xxResponse (as
// ReverseProxy forwards it), then the final response.
func TestEarlyHints(t *testing.T) {
	be := startBackend(t, answer("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false))
	tr := &upstream.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	var got []string
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			got = append(got, strconv.Itoa(code)+" "+h.Get("Link"))
			return nil
		},
	})
	resp, err := get(t, tr, ctx, "GET", be.addr)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(data) != "ok" || len(got) != 1 || got[0] != "103 </a.css>; rel=preload" {
		t.Fatalf("status %d body %q 1xx %q", resp.StatusCode, data, got)
	}
}

// TestKeepAlive: N sequential requests, one dial.
func TestKeepAlive(t *testing.T) {
	be := startBackend(t, answer("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", false))
	tr := &upstream.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	for i := 0; i < 20; i++ {
		resp, err := get(t, tr, context.Background(), "GET", be.addr)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(data) != "abc" {
			t.Fatalf("%q %v", data, err)
		}
	}
	if n := be.dials.Load(); n != 1 {
		t.Fatalf("%d dials, want 1", n)
	}
}

// TestKeptHeaderValues: the values of a response's header stay as they
// were after its body is done and its connection has carried other
// answers (they live in the round trip's own allocation, never reused),
// whether they fit the room beside the response or not.
func TestKeptHeaderValues(t *testing.T) {
	long := strings.Repeat("l", 200)
	be := startBackend(t, func(c net.Conn, br *bufio.Reader) {
		for i := 0; ; i++ {
			if _, err := readRequest(br); err != nil {
				return
			}
			v := strconv.Itoa(i) + "-" + strings.Repeat(string(rune('a'+i%26)), 10)
			if i%2 == 1 {
				v += long
			}
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nX-V: "+v+"\r\nContent-Length: 1\r\n\r\nx"); err != nil {
				return
			}
		}
	})
	tr := &upstream.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	var kept []http.Header
	var want []string
	for i := range 8 {
		resp, err := get(t, tr, context.Background(), "GET", be.addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		kept = append(kept, resp.Header)
		want = append(want, strings.Clone(resp.Header.Get("X-V")))
		if !strings.HasPrefix(want[i], strconv.Itoa(i)+"-") {
			t.Fatalf("answer %d: X-V %q", i, want[i])
		}
	}
	for i, h := range kept {
		if got := h.Get("X-V"); got != want[i] {
			t.Errorf("answer %d: X-V %q later, %q when it came", i, got, want[i])
		}
	}
	if n := be.dials.Load(); n != 1 {
		t.Fatalf("%d dials, want 1", n)
	}
}

// TestEarlyClose: a body closed unread with a short rest is drained and
// the connection reused; a long rest closes it.
func TestEarlyClose(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int
		dials int32
	}{{"short rest drained", 1000, 1}, {"long rest closes", 1 << 20, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			resp := "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(tc.size) + "\r\n\r\n" + strings.Repeat("x", tc.size)
			be := startBackend(t, answer(resp, false))
			tr := &upstream.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			for i := 0; i < 2; i++ {
				r, err := get(t, tr, context.Background(), "GET", be.addr)
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				if _, err := r.Body.Read(make([]byte, 1)); err == nil {
					t.Fatal("read after Close succeeded")
				}
			}
			if n := be.dials.Load(); n != tc.dials {
				t.Fatalf("%d dials, want %d", n, tc.dials)
			}
		})
	}
}

// staleBackend answers each connection's first request, then closes it
// without saying so (an idle timeout on the backend's side); closed
// receives a value once it did. Later requests on a new connection are
// answered too. It records every request.
func staleBackend(t *testing.T, closed chan<- struct{}, got *[]string, mu *sync.Mutex) *backend {
	return startBackend(t, func(c net.Conn, br *bufio.Reader) {
		r, err := readRequest(br)
		if err != nil {
			return
		}
		mu.Lock()
		*got = append(*got, r.line+" "+string(r.body))
		mu.Unlock()
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		c.Close()
		select {
		case closed <- struct{}{}:
		default:
		}
	})
}

// TestStaleRetry: a pooled connection the backend closed while idle fails
// with no response byte; the request is sent again on a new connection
// when its body can be sent again.
func TestStaleRetry(t *testing.T) {
	for _, tc := range []struct {
		name  string
		req   func(addr string) *http.Request
		retry bool
	}{
		{"GET", func(addr string) *http.Request {
			r, _ := http.NewRequest("GET", "http://"+addr+"/b", nil)
			return r
		}, true},
		{"POST with GetBody", func(addr string) *http.Request {
			r, _ := http.NewRequest("POST", "http://"+addr+"/b", strings.NewReader("payload")) // sets GetBody
			return r
		}, true},
		{"large POST with GetBody", func(addr string) *http.Request {
			r, _ := http.NewRequest("POST", "http://"+addr+"/b", bytes.NewReader(bytes.Repeat([]byte("p"), 100<<10)))
			return r
		}, true},
		{"in-memory POST with GetBody (the gateway's)", func(addr string) *http.Request {
			data := []byte("in-memory payload")
			r, _ := http.NewRequest("POST", "http://"+addr+"/b", io.NopCloser(bytes.NewReader(data)))
			r.ContentLength = int64(len(data))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
			return r
		}, true},
		{"MemBody POST without GetBody (the gateway's)", func(addr string) *http.Request {
			return memPost(addr, []byte("in-memory payload"))
		}, true},
		{"large MemBody POST without GetBody (streamed after the head)", func(addr string) *http.Request {
			return memPost(addr, bytes.Repeat([]byte("m"), 100<<10))
		}, true},
		{"POST without GetBody: the stale connection is found before sending", func(addr string) *http.Request {
			r, _ := http.NewRequest("POST", "http://"+addr+"/b", io.NopCloser(strings.NewReader("payload")))
			r.ContentLength = 7
			return r
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			closed := make(chan struct{}, 1)
			var mu sync.Mutex
			var got []string
			be := staleBackend(t, closed, &got, &mu)
			tr := &upstream.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			first, _ := http.NewRequest("GET", "http://"+be.addr+"/a", nil)
			resp, err := tr.RoundTrip(first)
			if err != nil {
				t.Fatal(err)
			}
			io.ReadAll(resp.Body)
			resp.Body.Close()
			<-closed
			resp, err = tr.RoundTrip(tc.req(be.addr))
			if !tc.retry {
				if err == nil {
					t.Fatal("no error: the request was sent again without GetBody")
				}
				return
			}
			if err != nil {
				t.Fatalf("no retry: %v", err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if string(data) != "ok" || be.dials.Load() != 2 || n != 2 {
				t.Fatalf("body %q after %d dials", data, be.dials.Load())
			}
			mu.Lock()
			defer mu.Unlock()
			if last := got[len(got)-1]; !strings.HasSuffix(last, "/b HTTP/1.1 "+string(bodyOf(tc.req(be.addr)))) {
				t.Fatalf("backend got %q", last)
			}
		})
	}
}

// memPost is a POST of data as the gateway sends a body a policy read: a
// MemBody, no GetBody.
func memPost(addr string, data []byte) *http.Request {
	r, _ := http.NewRequest("POST", "http://"+addr+"/b", nil)
	b := &upstream.MemBody{}
	b.Reset(data)
	r.Body, r.ContentLength = b, int64(len(data))
	return r
}

func bodyOf(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	data, _ := io.ReadAll(r.Body)
	return data
}

// TestNoReplayWithoutGetBody: a reused connection that the backend closes
// after reading the request looks stale; a request whose body cannot be
// made again is not sent twice, one without a body is, and so is one
// whose body is a MemBody.
func TestNoReplayWithoutGetBody(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     io.Reader
		requests int32
	}{
		{"POST without GetBody", io.NopCloser(strings.NewReader("payload")), 2},
		{"GET", nil, 3},
		{"MemBody POST without GetBody: sent again from its bytes", memPost("", []byte("payload")).Body, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var requests atomic.Int32
			be := startBackend(t, func(c net.Conn, br *bufio.Reader) {
				for {
					if _, err := readRequest(br); err != nil {
						return
					}
					if requests.Add(1) > 1 {
						return // read, then closed without an answer
					}
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			})
			tr := &upstream.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			resp, err := get(t, tr, context.Background(), "GET", be.addr)
			if err != nil {
				t.Fatal(err)
			}
			io.ReadAll(resp.Body)
			resp.Body.Close()
			method := "GET"
			if tc.body != nil {
				method = "POST"
			}
			r, _ := http.NewRequest(method, "http://"+be.addr+"/b", tc.body)
			if tc.body != nil {
				r.ContentLength = 7
			}
			if _, err := tr.RoundTrip(r); err == nil {
				t.Fatal("no error")
			}
			if n := requests.Load(); n != tc.requests {
				t.Fatalf("backend got %d requests, want %d", n, tc.requests)
			}
		})
	}
}

// TestNoRetryAfterResponseBytes: a reused connection that fails after
// part of the response is an error, not a second request.
func TestNoRetryAfterResponseBytes(t *testing.T) {
	var requests atomic.Int32
	be := startBackend(t, func(c net.Conn, br *bufio.Reader) {
		for i := 0; ; i++ {
			if _, err := readRequest(br); err != nil {
				return
			}
			requests.Add(1)
			if i == 0 {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				continue
			}
			io.WriteString(c, "HTTP/1.1 200 O")
			return
		}
	})
	tr := &upstream.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := get(t, tr, context.Background(), "GET", be.addr)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, err := get(t, tr, context.Background(), "GET", be.addr); err == nil {
		t.Fatal("no error")
	}
	if n := requests.Load(); n != 2 {
		t.Fatalf("backend got %d requests, want 2", n)
	}
}

// TestMaxConnsPerHost: over the limit a request waits for a connection,
// and gives up with its context.
func TestMaxConnsPerHost(t *testing.T) {
	be := startBackend(t, answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false))
	tr := &upstream.Transport{MaxConnsPerHost: 1}
	t.Cleanup(tr.CloseIdleConnections)
	held, err := get(t, tr, context.Background(), "GET", be.addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := get(t, tr, ctx, "GET", be.addr); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting request: %v, want deadline exceeded", err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := get(t, tr, context.Background(), "GET", be.addr)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	io.ReadAll(held.Body) // the connection goes to the waiter
	held.Body.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := be.dials.Load(); n != 1 {
		t.Fatalf("%d dials, want 1", n)
	}
}

// TestCancel: a cancelled context interrupts a backend that does not
// answer, or stops mid-body; the connection is closed.
func TestCancel(t *testing.T) {
	for _, tc := range []struct {
		name string
		resp string
	}{
		{"no answer", ""},
		{"stalled body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gone := make(chan struct{})
			be := startBackend(t, func(c net.Conn, br *bufio.Reader) {
				if _, err := readRequest(br); err != nil {
					return
				}
				io.WriteString(c, tc.resp)
				if _, err := br.ReadByte(); err == io.EOF {
					close(gone) // the gateway closed the connection
				}
			})
			tr := &upstream.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			resp, err := get(t, tr, ctx, "GET", be.addr)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			<-gone
		})
	}
}

// deadlineCtx is a context only its deadline ends, which says so
// (upstream.DeadlineOnly), as the gateway's backend-call context does.
type deadlineCtx struct {
	context.Context
	d time.Time
}

func (c deadlineCtx) Deadline() (time.Time, bool)     { return c.d, true }
func (c deadlineCtx) DeadlineOnly() (time.Time, bool) { return c.d, true }
func (c deadlineCtx) Err() error {
	if !time.Now().Before(c.d) {
		return context.DeadlineExceeded
	}
	return nil
}

// TestDeadlineOnly: a DeadlineOnly context's deadline bounds the exchange
// through the connection (head not answered, body stalled: the context's
// error), and what it leaves on a pooled connection never reaches the
// next request (one without a deadline, one with a later one, or one that
// must probe the connection first).
func TestDeadlineOnly(t *testing.T) {
	var mode atomic.Value // what the backend does with the next request
	mode.Store("ok")
	be := startBackend(t, func(c net.Conn, br *bufio.Reader) {
		for {
			if _, err := readRequest(br); err != nil {
				return
			}
			switch mode.Load().(string) {
			case "silent":
				io.Copy(io.Discard, br) // never answers
				return
			case "stall":
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
				io.Copy(io.Discard, br)
				return
			case "slow":
				time.Sleep(150 * time.Millisecond)
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	tr := &upstream.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	do := func(ctx context.Context, method string) (string, error) {
		t.Helper()
		var body io.Reader
		if method == "POST" {
			body = struct{ io.Reader }{strings.NewReader("x")} // no GetBody: the pool probes first
		}
		req, _ := http.NewRequestWithContext(ctx, method, "http://"+be.addr+"/p", body)
		if body != nil {
			req.ContentLength = 1
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	soon := func(d time.Duration) context.Context { return deadlineCtx{context.Background(), time.Now().Add(d)} }

	// A deadline that passes once the exchange is over stays on the
	// pooled connection; the next request must not inherit it.
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		method string
	}{
		{"no deadline", context.Background(), "GET"},
		{"a later deadline", soon(5 * time.Second), "GET"},
		{"probed first", context.Background(), "POST"},
		{"a deadline, probed first", soon(5 * time.Second), "POST"},
	} {
		mode.Store("ok")
		if got, err := do(soon(30*time.Millisecond), "GET"); got != "ok" || err != nil {
			t.Fatalf("%s: the request before: %q, %v", tc.name, got, err)
		}
		time.Sleep(50 * time.Millisecond)
		mode.Store("slow")
		if got, err := do(tc.ctx, tc.method); got != "ok" || err != nil {
			t.Fatalf("%s, after an expired deadline on the pooled connection: %q, %v", tc.name, got, err)
		}
	}
	if n := be.dials.Load(); n != 1 {
		t.Fatalf("%d dials, want 1: every request reused the connection", n)
	}

	// The deadline ends an exchange that does not end by itself.
	for _, m := range []string{"silent", "stall"} {
		mode.Store(m)
		_, err := do(soon(100*time.Millisecond), "GET")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s backend: error %v, want context.DeadlineExceeded", m, err)
		}
	}
}

// TestIdleTimeout: an idle connection is closed after IdleConnTimeout.
func TestIdleTimeout(t *testing.T) {
	gone := make(chan struct{})
	be := startBackend(t, func(c net.Conn, br *bufio.Reader) {
		answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false)(c, br)
		close(gone)
	})
	tr := &upstream.Transport{IdleConnTimeout: 30 * time.Millisecond}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := get(t, tr, context.Background(), "GET", be.addr)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	<-gone // the transport closed the idle connection
}

// TestIdleSweep: a connection that keeps being reused is never closed for
// idleness, however many times it goes back to the pool; idle connections
// put back at different times are all closed once each has been idle for
// IdleConnTimeout, and the pool then dials again.
func TestIdleSweep(t *testing.T) {
	var closed atomic.Int32
	release := make(chan struct{})
	be := startBackend(t, func(c net.Conn, br *bufio.Reader) {
		defer closed.Add(1)
		for {
			req, err := readRequest(br)
			if err != nil {
				return
			}
			if strings.Contains(req.line, "slow") {
				<-release
			}
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
				return
			}
		}
	})
	// The idle timeout leaves room for a stall of the test's own goroutine
	// (a busy machine running the race detector stalled one past 70 ms).
	tr := &upstream.Transport{IdleConnTimeout: 300 * time.Millisecond}
	t.Cleanup(tr.CloseIdleConnections)
	do := func(path string) {
		req, _ := http.NewRequest("GET", "http://"+be.addr+path, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Error(err)
			return
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	for range 40 { // 400 ms of reuse or more, longer than the idle timeout
		do("/fast")
		time.Sleep(10 * time.Millisecond)
	}
	if n := be.dials.Load(); n != 1 {
		t.Fatalf("a connection reused every 10 ms was dialled %d times, want 1", n)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal(what)
			}
		}
	}
	waitFor("the idle connection stayed open", func() bool { return closed.Load() == 1 })
	// Three connections at once, back in the pool at different times.
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { do("/slow") })
	}
	waitFor("three requests at once did not dial three connections", func() bool { return be.dials.Load() == 4 })
	close(release)
	wg.Wait()
	waitFor("idle connections stayed open", func() bool { return closed.Load() == 4 })
	do("/fast")
	if n := be.dials.Load(); n != 5 {
		t.Fatalf("after the sweep, %d dials in all, want 5 (a new one)", n)
	}
}

// TestRequestWriting: what the backend receives.
func TestRequestWriting(t *testing.T) {
	big := strings.Repeat("b", 200<<10)
	for _, tc := range []struct {
		name   string
		req    func(addr string) *http.Request
		line   string
		header map[string]string // "" value: must be absent
		body   string
	}{
		{"GET", func(a string) *http.Request {
			r, _ := http.NewRequest("GET", "http://"+a+"/x/y?q=1", nil)
			r.Host = "api.example"
			r.Header.Set("User-Agent", "")
			return r
		}, "GET /x/y?q=1 HTTP/1.1", map[string]string{"Host": "api.example", "User-Agent": "", "Content-Length": "", "Transfer-Encoding": ""}, ""},
		{"small POST", func(a string) *http.Request {
			r, _ := http.NewRequest("POST", "http://"+a+"/p", strings.NewReader("hello"))
			return r
		}, "POST /p HTTP/1.1", map[string]string{"Content-Length": "5"}, "hello"},
		{"empty POST", func(a string) *http.Request {
			r, _ := http.NewRequest("POST", "http://"+a+"/p", http.NoBody)
			return r
		}, "POST /p HTTP/1.1", map[string]string{"Content-Length": "0"}, ""},
		{"large POST", func(a string) *http.Request {
			r, _ := http.NewRequest("POST", "http://"+a+"/p", strings.NewReader(big))
			return r
		}, "POST /p HTTP/1.1", map[string]string{"Content-Length": strconv.Itoa(len(big))}, big},
		{"in-memory POST (the gateway's: head and body in one write)", func(a string) *http.Request {
			data := []byte(strings.Repeat("m", 16<<10))
			r, _ := http.NewRequest("POST", "http://"+a+"/p", io.NopCloser(bytes.NewReader(data)))
			r.ContentLength = int64(len(data))
			return r
		}, "POST /p HTTP/1.1", map[string]string{"Content-Length": strconv.Itoa(16 << 10)}, strings.Repeat("m", 16<<10)},
		{"in-memory POST partly read: copied", func(a string) *http.Request {
			br := bytes.NewReader([]byte("xxhello"))
			br.Read(make([]byte, 2))
			r, _ := http.NewRequest("POST", "http://"+a+"/p", io.NopCloser(br))
			r.ContentLength = 5
			return r
		}, "POST /p HTTP/1.1", map[string]string{"Content-Length": "5"}, "hello"},
		{"unknown length: chunked", func(a string) *http.Request {
			r, _ := http.NewRequest("PUT", "http://"+a+"/p", io.NopCloser(strings.NewReader("streamed")))
			r.ContentLength = -1
			return r
		}, "PUT /p HTTP/1.1", map[string]string{"Transfer-Encoding": "chunked", "Content-Length": ""}, "streamed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan *request, 1)
			be := startBackend(t, func(c net.Conn, br *bufio.Reader) {
				r, err := readRequest(br)
				if err != nil {
					return
				}
				got <- r
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
			})
			tr := &upstream.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			resp, err := tr.RoundTrip(tc.req(be.addr))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			r := <-got
			if r.line != tc.line {
				t.Errorf("request line %q, want %q", r.line, tc.line)
			}
			for k, v := range tc.header {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if string(r.body) != tc.body {
				t.Errorf("body of %d bytes, want %d", len(r.body), len(tc.body))
			}
		})
	}
}

// TestRequestSmuggling: header names and values that could end a field
// or a line are refused before anything is sent.
func TestRequestSmuggling(t *testing.T) {
	be := startBackend(t, answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false))
	for _, tc := range []struct {
		name string
		set  func(r *http.Request)
	}{
		{"CRLF in a value", func(r *http.Request) { r.Header["X-A"] = []string{"a\r\nX-Injected: 1"} }},
		{"LF in a value", func(r *http.Request) { r.Header["X-A"] = []string{"a\nb"} }},
		{"NUL in a value", func(r *http.Request) { r.Header["X-A"] = []string{"a\x00b"} }},
		{"colon in a name", func(r *http.Request) { r.Header["X-A: b"] = []string{"c"} }},
		{"space in a name", func(r *http.Request) { r.Header["X A"] = []string{"c"} }},
		{"CRLF in Host", func(r *http.Request) { r.Host = "a\r\nX-Injected: 1" }},
		{"space in the method", func(r *http.Request) { r.Method = "GET /x HTTP/1.1\r\n" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "http://"+be.addr+"/", nil)
			tc.set(r)
			if _, err := (&upstream.Transport{}).RoundTrip(r); err == nil {
				t.Fatal("sent")
			}
		})
	}
	if n := be.dials.Load(); n != 0 {
		t.Fatalf("%d dials, want none", n)
	}
}

// TestEarlyAnswer: a backend that sends its whole (large) answer before
// reading a large request body: the body is written while the answer is
// read, or both sides would wait for each other forever.
func TestEarlyAnswer(t *testing.T) {
	const size = 8 << 20
	be := startBackend(t, func(c net.Conn, br *bufio.Reader) {
		tp := textproto.NewReader(br)
		tp.ReadLine()
		tp.ReadMIMEHeader()
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(size)+"\r\n\r\n")
		c.Write(make([]byte, size))
		io.Copy(io.Discard, br) // the body, after answering
	})
	tr := &upstream.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	r, _ := http.NewRequest("POST", "http://"+be.addr+"/", bytes.NewReader(make([]byte, size)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a deadlock fails, not hangs
	defer cancel()
	resp, err := tr.RoundTrip(r.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != size {
		t.Fatalf("read %d bytes: %v", n, err)
	}
}

// TestTLS: an https backend, verified with the configured roots, offered
// http/1.1 by ALPN, its connection reused.
func TestTLS(t *testing.T) {
	var conns atomic.Int32
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.TLS.NegotiatedProtocol+" "+r.Host)
	}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	tr := &upstream.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest("GET", ts.URL+"/", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := "http/1.1 " + strings.TrimPrefix(ts.URL, "https://"); string(data) != want {
			t.Fatalf("got %q, want %q", data, want)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
	// Without the roots, the certificate is refused.
	req, _ := http.NewRequest("GET", ts.URL+"/", nil)
	if _, err := (&upstream.Transport{}).RoundTrip(req); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("error %v, want a certificate error", err)
	}
}

// TestRequestTrailers: a streamed body's declared trailers follow its last
// chunk.
func TestRequestTrailers(t *testing.T) {
	got := make(chan http.Header, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		got <- r.Trailer
	}))
	t.Cleanup(ts.Close)
	tr := &upstream.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", ts.URL+"/", pr)
	req.ContentLength = -1
	req.Trailer = http.Header{"X-Digest": nil}
	go func() {
		io.WriteString(pw, "data")
		req.Trailer.Set("X-Digest", "abc")
		pw.Close()
	}()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := <-got; h.Get("X-Digest") != "abc" {
		t.Fatalf("trailers %v", h)
	}
}

// TestCloseDuringRead: Close from another goroutine ends a Read blocked
// on a stalled backend, and the connection is closed.
func TestCloseDuringRead(t *testing.T) {
	gone := make(chan struct{})
	be := startBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := readRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart")
		if _, err := br.ReadByte(); err == io.EOF {
			close(gone)
		}
	})
	tr := &upstream.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := get(t, tr, context.Background(), "GET", be.addr)
	if err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(resp.Body)
		read <- err
	}()
	<-waitRead(resp)
	resp.Body.Close()
	if err := <-read; err == nil {
		t.Fatal("the blocked read ended without an error")
	}
	<-gone
}

// waitRead gives the reading goroutine a moment to block in Read; the
// test holds either way (Close before Read ends the body too).
func waitRead(*http.Response) <-chan time.Time { return time.After(20 * time.Millisecond) }

// TestLargeBodyReuse: a body written by the writer goroutine leaves the
// connection reusable once the backend took it all and answered.
func TestLargeBodyReuse(t *testing.T) {
	be := startBackend(t, answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false))
	tr := &upstream.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequest("POST", "http://"+be.addr+"/", bytes.NewReader(make([]byte, 300<<10)))
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if n := be.dials.Load(); n != 1 {
		t.Fatalf("%d dials, want 1", n)
	}
}

// HopByHopFree is true only for a final answer with a body whose header
// had no hop-by-hop field, however the backend spelled it, and still
// holds the names it was read with: a proxy skips its strip walk on it
// (gateway/http.go), so a false true would relay a hop-by-hop field.
func TestHopByHopFree(t *testing.T) {
	const ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nX-A: 1\r\n"
	for _, tc := range []struct {
		name   string
		method string
		head   string // the answer's fields after the status line, without the blank line
		change func(res *http.Response) *http.Response
		want   bool
	}{
		{name: "plain", head: ok, want: true},
		{name: "Content-Length is not hop-by-hop", head: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", want: true},
		{name: "chunked", head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"},
		{name: "Connection", head: ok + "Connection: keep-alive\r\n"},
		{name: "connection lower case", head: ok + "connection: X-A\r\n"},
		{name: "Keep-Alive", head: ok + "keep-alive: timeout=5\r\n"},
		{name: "Proxy-Connection", head: ok + "Proxy-Connection: keep-alive\r\n"},
		{name: "Proxy-Authenticate", head: ok + "Proxy-Authenticate: Basic\r\n"},
		{name: "Proxy-Authorization", head: ok + "proxy-authorization: x\r\n"},
		{name: "TE", head: ok + "TE: trailers\r\n"},
		{name: "Trailer", head: ok + "Trailer: X-Sum\r\n"},
		{name: "Upgrade", head: ok + "Upgrade: h2c\r\n"},
		{name: "a field added after", head: ok, change: func(res *http.Response) *http.Response {
			res.Header["Connection"] = []string{"close"}
			return res
		}},
		{name: "a field deleted and another added", head: ok, change: func(res *http.Response) *http.Response {
			delete(res.Header, "X-A")
			res.Header["Upgrade"] = []string{"x"}
			return res
		}, want: true}, // as many names: the one change the check cannot see (no wrapper of the gateway's makes it)
		{name: "the map replaced", head: ok, change: func(res *http.Response) *http.Response {
			res.Header = res.Header.Clone()
			return res
		}},
		{name: "the response copied", head: ok, change: func(res *http.Response) *http.Response {
			c := *res
			return &c
		}},
		{name: "HEAD: no body", method: http.MethodHead, head: ok},
		{name: "204: no body", head: "HTTP/1.1 204 No Content\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.head + "\r\nhi"
			if strings.Contains(tc.head, "chunked") {
				resp = tc.head + "\r\n2\r\nhi\r\n0\r\n\r\n"
			}
			if tc.method == http.MethodHead || strings.Contains(tc.head, " 204 ") {
				resp = tc.head + "\r\n"
			}
			b := startBackend(t, answer(resp, false))
			tr := &upstream.Transport{}
			defer tr.CloseIdleConnections()
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			req, _ := http.NewRequest(method, "http://"+b.addr+"/", nil)
			res, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if tc.change != nil {
				res = tc.change(res)
			}
			if got := upstream.HopByHopFree(res); got != tc.want {
				t.Errorf("HopByHopFree %v, want %v (header %v)", got, tc.want, res.Header)
			}
		})
	}
	if upstream.HopByHopFree(&http.Response{Header: http.Header{}, Body: http.NoBody}) {
		t.Error("an answer of another client is HopByHopFree")
	}
}

// EventStream says what the answer's first Content-Type, as read, names,
// and only for a final answer with a body whose map is still the one read
// with as many names: the gateway then decides an answer's flushing
// without looking Content-Type up (gateway/http.go), so a wrong answer
// would stream a body that should be read whole, or the other way.
func TestEventStream(t *testing.T) {
	const cl = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	for _, tc := range []struct {
		name         string
		method       string
		head         string
		change       func(res *http.Response) *http.Response
		stream, isOK bool
	}{
		{name: "no Content-Type", head: cl, isOK: true},
		{name: "text/plain", head: cl + "Content-Type: text/plain\r\n", isOK: true},
		{name: "event stream", head: cl + "Content-Type: text/event-stream\r\n", stream: true, isOK: true},
		{name: "any case, a parameter", head: cl + "content-type: TEXT/Event-Stream; charset=utf-8\r\n", stream: true, isOK: true},
		{name: "white space around", head: cl + "Content-Type:   text/event-stream  \r\n", stream: true, isOK: true},
		{name: "a prefix only", head: cl + "Content-Type: text/event-strea\r\n", isOK: true},
		{name: "the first of two decides", head: cl + "Content-Type: text/plain\r\nContent-Type: text/event-stream\r\n", isOK: true},
		{name: "the first of two, a stream", head: cl + "Content-Type: text/event-stream\r\nContent-Type: text/plain\r\n", stream: true, isOK: true},
		// frame took Transfer-Encoding out of the map: a name fewer than
		// read (such an answer streams anyway, having no length).
		{name: "chunked", head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n"},
		{name: "a field added after", head: cl + "Content-Type: text/plain\r\n", change: func(res *http.Response) *http.Response {
			res.Header["X-New"] = []string{"1"}
			return res
		}},
		{name: "the map replaced", head: cl, change: func(res *http.Response) *http.Response {
			res.Header = res.Header.Clone()
			return res
		}},
		{name: "the response copied", head: cl, change: func(res *http.Response) *http.Response {
			c := *res
			return &c
		}},
		{name: "HEAD: no body", method: http.MethodHead, head: cl + "Content-Type: text/event-stream\r\n"},
		{name: "204: no body", head: "HTTP/1.1 204 No Content\r\nContent-Type: text/event-stream\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.head + "\r\nhi"
			if strings.Contains(tc.head, "chunked") {
				resp = tc.head + "\r\n2\r\nhi\r\n0\r\n\r\n"
			}
			if tc.method == http.MethodHead || strings.Contains(tc.head, " 204 ") {
				resp = tc.head + "\r\n"
			}
			b := startBackend(t, answer(resp, false))
			tr := &upstream.Transport{}
			defer tr.CloseIdleConnections()
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			req, _ := http.NewRequest(method, "http://"+b.addr+"/", nil)
			res, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if tc.change != nil {
				res = tc.change(res)
			}
			stream, ok := upstream.EventStream(res)
			if stream != tc.stream || ok != tc.isOK {
				t.Errorf("EventStream %v, %v; want %v, %v (header %v)", stream, ok, tc.stream, tc.isOK, res.Header)
			}
		})
	}
	if _, ok := upstream.EventStream(&http.Response{Header: http.Header{}, Body: http.NoBody}); ok {
		t.Error("an answer of another client is ok")
	}
}
