package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tollgate/gateway/internal/evloop"
)

// fronts are the server paths the binary can run; every table here runs
// against each: h1 on a goroutine per connection, h1 on the event loops
// (loop.go), and net/http's server.
var fronts = []string{"h1", "loop", "nethttp"}

// ours reports whether front is tollgate's own server (either way).
func ours(front string) bool { return front != "nethttp" }

// bothOurs runs test against h1 on goroutines and on its event loops
// (a TLS listener stays on goroutines either way).
func bothOurs(t *testing.T, test func(t *testing.T, loop bool)) {
	for _, loop := range []bool{false, true} {
		t.Run(map[bool]string{false: "h1", true: "loop"}[loop], func(t *testing.T) { test(t, loop) })
	}
}

// serve starts front on a loopback socket with h and returns its address.
func serve(t testing.TB, front string, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var f Front
	if ours(front) {
		f = &Server{Handler: h, ReadHeaderTimeout: 2 * time.Second, MaxHeaderBytes: 8 << 10, EventLoop: front == "loop"}
	} else {
		f = &http.Server{Handler: h, ReadHeaderTimeout: 2 * time.Second, MaxHeaderBytes: 8 << 10}
	}
	go func() { _ = f.Serve(ln) }()
	t.Cleanup(func() { _ = f.Close() })
	return ln.Addr().String()
}

// echoLen answers "got N" with the body's length, or 400 when the body
// cannot be read (as the gateway does).
var echoLen = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "got %d host=%s", n, r.Host)
})

type rawResp struct {
	status    int
	body      string
	closed    bool // the server closed the connection after the response
	saidClose bool // the response said Connection: close
	head      string
}

// roundTrip writes req on a fresh connection and reads one response, then
// whether the server closed the connection.
func roundTrip(t *testing.T, addr, req string) rawResp {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	r := readResp(t, br, "GET")
	r.closed = isClosed(c, br)
	return r
}

func readResp(t *testing.T, br *bufio.Reader, method string) rawResp {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	var head strings.Builder
	_ = resp.Header.Write(&head)
	return rawResp{status: resp.StatusCode, body: string(b), head: head.String(), saidClose: resp.Close}
}

// isClosed reports whether the server closed (EOF or reset) rather than
// keeping the connection open for another request.
func isClosed(c net.Conn, br *bufio.Reader) bool {
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err := br.ReadByte()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return err != nil
}

// TestSmuggling is RFC 9112's framing rules, one row per case, on every
// server path: the status each answers with and whether it closes.
func TestSmuggling(t *testing.T) {
	big := "X-Big: " + strings.Repeat("a", 16<<10) + "\r\n" // over 8 KiB, and net/http's 4 KiB slack
	for _, tc := range []struct {
		name, req string
		status    map[string]int // per front; "" key: both
		closed    bool
		body      string // a prefix the response body must have (both fronts)
		flip      bool   // net/http differs from h1 on closing the connection
	}{
		{"plain GET keeps the connection", "GET /x HTTP/1.1\r\nHost: a\r\n\r\n", st(200), false, "got 0 host=a", false},
		{"Content-Length body", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", st(200), false, "got 5", false},
		{"chunked body", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", st(200), false, "got 5", false},
		{"chunked with extension and trailer", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;name=v\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", st(200), false, "got 5", false},
		{"CL and TE", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", both(400, 200), true, "", true},
		{"TE and CL", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n5\r\nhello\r\n0\r\n\r\n", both(400, 200), true, "", true},
		{"differing Content-Lengths", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nhello", st(400), true, "", false},
		{"identical Content-Lengths", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", st(200), false, "got 5", false},
		{"Content-Length list", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello", st(400), true, "", false},
		{"signed Content-Length", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", st(400), true, "", false},
		{"huge Content-Length", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\nhello", st(400), true, "", false},
		{"gzip, chunked", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", st(501), true, "", false},
		{"chunked twice", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", st(501), true, "", false},
		{"TE in HTTP/1.0", "POST /x HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", both(400, 200), true, "", false},
		{"bad chunk size", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", st(400), true, "", false},
		{"chunk size with 0x", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", st(400), true, "", false},
		{"chunk size overflow", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nhello\r\n0\r\n\r\n", st(400), true, "", false},
		{"whitespace before a chunk extension", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 ;x\r\nhello\r\n0\r\n\r\n", st(400), true, "", false},
		{"chunk data longer than its size", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", st(400), true, "", false},
		{"bare LF after chunk data", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", st(400), true, "", false},
		{"bare LF after chunk size", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", st(400), true, "", false},
		{"obs-fold", "GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  2\r\n\r\n", both(400, 200), true, "", true},
		{"space before colon", "GET /x HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello", st(400), true, "", false},
		{"bare CR in a value", "GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r2\r\n\r\n", st(400), true, "", false},
		{"NUL in a value", "GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\x002\r\n\r\n", st(400), true, "", false},
		{"missing Host", "GET /x HTTP/1.1\r\n\r\n", st(400), true, "", false},
		{"two Hosts", "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", st(400), true, "", false},
		{"bad Host", "GET /x HTTP/1.1\r\nHost: a b\r\n\r\n", st(400), true, "", false},
		{"oversized head", "GET /x HTTP/1.1\r\nHost: a\r\n" + big + "\r\n", st(431), true, "", false},
		{"HTTP/2.0 on cleartext", "GET /x HTTP/2.0\r\nHost: a\r\n\r\n", both(505, 505), true, "", false},
		{"HTTP/1.2", "GET /x HTTP/1.2\r\nHost: a\r\n\r\n", both(505, 200), true, "", true},
		{"not HTTP", "GET /x FTP/1.1\r\nHost: a\r\n\r\n", st(400), true, "", false},
		{"bad method", "G(T /x HTTP/1.1\r\nHost: a\r\n\r\n", st(400), true, "", false},
		{"space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", st(400), true, "", false},
		{"HTTP/1.0 closes", "GET /x HTTP/1.0\r\n\r\n", st(200), true, "got 0", false},
		{"HTTP/1.0 keep-alive", "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", st(200), false, "got 0", false},
		{"Connection: close", "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", st(200), true, "got 0", false},
		{"absolute-form target", "GET http://b.example/x HTTP/1.1\r\nHost: a\r\n\r\n", st(200), false, "got 0 host=b.example", false},
		{"leading empty line", "\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n", both(200, 400), false, "", true},
		{"unknown expectation", "POST /x HTTP/1.1\r\nHost: a\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx", st(417), true, "", false},
	} {
		for _, front := range fronts {
			t.Run(front+"/"+tc.name, func(t *testing.T) {
				key := front
				if ours(front) {
					key = "h1"
				}
				want, ok := tc.status[key]
				if !ok {
					want = tc.status[""]
				}
				r := roundTrip(t, serve(t, front, echoLen), tc.req)
				closed := tc.closed != (front == "nethttp" && tc.flip)
				if r.status != want || r.closed != closed || !strings.HasPrefix(r.body, tc.body) {
					t.Fatalf("got %d closed=%v body %q; want %d closed=%v body %q…", r.status, r.closed, r.body, want, closed, tc.body)
				}
			})
		}
	}
}

func st(code int) map[string]int          { return map[string]int{"": code} }
func both(h1, nethttp int) map[string]int { return map[string]int{"h1": h1, "nethttp": nethttp} }

// TestPipelined: requests sent in one write are answered in order on the
// one connection, bodies included.
func TestPipelined(t *testing.T) {
	for _, front := range fronts {
		t.Run(front, func(t *testing.T) {
			addr := serve(t, front, echoLen)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "GET /1 HTTP/1.1\r\nHost: one\r\n\r\n"+
				"POST /2 HTTP/1.1\r\nHost: two\r\nContent-Length: 3\r\n\r\nabc"+
				"POST /3 HTTP/1.1\r\nHost: three\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"+
				"GET /4 HTTP/1.1\r\nHost: four\r\n\r\n")
			br := bufio.NewReader(c)
			for _, want := range []string{"got 0 host=one", "got 3 host=two", "got 2 host=three", "got 0 host=four"} {
				if r := readResp(t, br, "GET"); r.status != 200 || r.body != want {
					t.Fatalf("got %d %q; want 200 %q", r.status, r.body, want)
				}
			}
		})
	}
}

// TestPipelinedLargeBodies: requests pipelined behind bodies larger than
// the read buffer, whose rest is read straight into the handler's buffer
// (on the event loops with ReadMore, which reads the start of the next
// request with it): every request is answered, in order, with its own
// body, behind a head shorter and one longer than what ReadMore reads
// ahead.
func TestPipelinedLargeBodies(t *testing.T) {
	long := "GET /long HTTP/1.1\r\nHost: long\r\nX-Pad: " + strings.Repeat("p", 600) + "\r\n\r\n"
	for _, front := range fronts {
		t.Run(front, func(t *testing.T) {
			addr := serve(t, front, echoLen)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			go io.WriteString(c, "POST /1 HTTP/1.1\r\nHost: one\r\nContent-Length: 10000\r\n\r\n"+strings.Repeat("a", 10000)+
				"GET /2 HTTP/1.1\r\nHost: two\r\n\r\n"+
				"POST /3 HTTP/1.1\r\nHost: three\r\nContent-Length: 9000\r\n\r\n"+strings.Repeat("b", 9000)+
				long+
				"POST /4 HTTP/1.1\r\nHost: four\r\nTransfer-Encoding: chunked\r\n\r\n1f40\r\n"+strings.Repeat("c", 8000)+"\r\n0\r\n\r\n"+
				"POST /5 HTTP/1.1\r\nHost: five\r\nContent-Length: 20000\r\n\r\n"+strings.Repeat("d", 20000))
			br := bufio.NewReader(c)
			for _, want := range []string{"got 10000 host=one", "got 0 host=two", "got 9000 host=three", "got 0 host=long", "got 8000 host=four", "got 20000 host=five"} {
				if r := readResp(t, br, "GET"); r.status != 200 || r.body != want {
					t.Fatalf("got %d %q; want 200 %q", r.status, r.body, want)
				}
			}
		})
	}
}

// TestUnreadBody: a body the handler did not read is drained to keep the
// connection when small, and ends it when large.
func TestUnreadBody(t *testing.T) {
	ignore := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	for _, front := range fronts {
		for _, tc := range []struct {
			size   int
			closed bool
		}{{1000, false}, {maxDrain + 4096, true}} {
			t.Run(front+"/"+strconv.Itoa(tc.size), func(t *testing.T) {
				addr := serve(t, front, ignore)
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				sent := make(chan struct{})
				go func() {
					defer close(sent)
					fmt.Fprintf(c, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n", tc.size)
					_, _ = c.Write(make([]byte, tc.size))
				}()
				br := bufio.NewReader(c)
				if r := readResp(t, br, "POST"); r.status != 200 {
					t.Fatalf("status %d", r.status)
				}
				if tc.closed {
					// The server stops reading: the rest of the body is discarded
					// for a moment, then the connection ends.
					_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
					if _, err := br.ReadByte(); err == nil {
						t.Fatal("the connection carried on after a large unread body")
					}
					return
				}
				// The handler answered without reading the body, so its bytes
				// may still be on their way: the next request must follow
				// them on the wire (it once overtook them on a busy machine).
				<-sent
				io.WriteString(c, "GET /y HTTP/1.1\r\nHost: a\r\n\r\n")
				if r := readResp(t, br, "GET"); r.status != 200 || r.body != "ok" {
					t.Fatalf("second request: %d %q", r.status, r.body)
				}
			})
		}
	}
}

// TestResponses: framing of what handlers write, through Go's own client
// (which checks the framing strictly), on both fronts.
func TestResponses(t *testing.T) {
	h := http.NewServeMux()
	h.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>hi</html>") })
	h.HandleFunc("/large", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(strings.Repeat("x", 100000))) })
	h.HandleFunc("/declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
	})
	h.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		w.WriteHeader(204)
	})
	h.HandleFunc("/notmodified", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(304) })
	h.HandleFunc("/trailers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "body")
		w.Header().Set("X-Sum", "42")
		w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
	})
	h.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, "data: 2\n\n")
	})
	h.HandleFunc("/early", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</a.css>; rel=preload")
		w.WriteHeader(103)
		io.WriteString(w, "final")
	})
	h.HandleFunc("/te-declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Transfer-Encoding", "gzip")
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
	})
	h.HandleFunc("/te-streamed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Transfer-Encoding", "gzip, chunked")
		io.WriteString(w, "hello")
		w.(http.Flusher).Flush()
		io.WriteString(w, " there")
	})
	h.HandleFunc("/declared-trailer", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "hello")
		w.Header().Set("X-Sum", "42")
	})
	h.HandleFunc("/small-late-trailer", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
		w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
	})
	h.HandleFunc("/split", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Evil", "a\r\nSet-Cookie: b")
		io.WriteString(w, "ok")
	})
	for _, front := range fronts {
		addr := "http://" + serve(t, front, h)
		for _, tc := range []struct {
			path, method string
			status       int
			body         string
			check        func(*http.Response) error
		}{
			{"/small", "GET", 200, "<html>hi</html>", func(r *http.Response) error {
				return want(r.ContentLength == 15 && r.Header.Get("Content-Type") == "text/html; charset=utf-8" && r.Header.Get("Date") != "", "length and sniffed type", r)
			}},
			{"/large", "GET", 200, strings.Repeat("x", 100000), func(r *http.Response) error {
				return want(r.ContentLength == -1 && len(r.TransferEncoding) == 1, "chunked", r)
			}},
			{"/declared", "GET", 200, "hello", func(r *http.Response) error { return want(r.ContentLength == 5, "length", r) }},
			{"/declared", "HEAD", 200, "", func(r *http.Response) error { return want(r.ContentLength == 5, "length on HEAD", r) }},
			{"/nocontent", "GET", 204, "", func(r *http.Response) error {
				return want(r.Header.Get("Content-Length") == "", "no length on 204", r)
			}},
			{"/notmodified", "GET", 304, "", nil},
			{"/trailers", "GET", 200, "body", func(r *http.Response) error {
				return want(r.Trailer.Get("X-Sum") == "42" && r.Trailer.Get("X-Late") == "yes", "trailers", r)
			}},
			{"/flush", "GET", 200, "data: 1\n\ndata: 2\n\n", nil},
			{"/split", "GET", 200, "ok", func(r *http.Response) error {
				return want(r.Header.Get("Set-Cookie") == "" && r.Header.Get("X-Evil") == "a  Set-Cookie: b", "no response splitting", r)
			}},
		} {
			t.Run(front+tc.path+"/"+tc.method, func(t *testing.T) {
				req, _ := http.NewRequest(tc.method, addr+tc.path, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != tc.status || string(b) != tc.body {
					t.Fatalf("got %d %q (%v); want %d %q", resp.StatusCode, b, err, tc.status, tc.body)
				}
				if tc.check != nil {
					if err := tc.check(resp); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
		// The framing is the server's: a Transfer-Encoding the handler set
		// is never sent, whether the answer has a length or is chunked. A
		// Content-Length goes only with an answer that is not chunked
		// (trailers announced or set late make it chunked), never on a 204.
		for path, want := range map[string]string{
			"/te-declared":        "Content-Length: 5\r\n",
			"/te-streamed":        "Transfer-Encoding: chunked\r\n",
			"/declared":           "Content-Length: 5\r\n",
			"/small":              "Content-Length: 15\r\n",
			"/declared-trailer":   "Transfer-Encoding: chunked\r\n",
			"/small-late-trailer": "Transfer-Encoding: chunked\r\n",
			"/nocontent":          "HTTP/1.1 204 No Content\r\n",
		} {
			if !ours(front) {
				continue
			}
			t.Run(front+path, func(t *testing.T) {
				c, err := net.Dial("tcp", strings.TrimPrefix(addr, "http://"))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
				raw, _ := io.ReadAll(c)
				head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
				head += "\r\n"
				if !strings.Contains(head, want) || strings.Count(strings.ToLower(head), "transfer-encoding") != strings.Count(want, "Transfer-Encoding") {
					t.Fatalf("head %q: want %q and no other Transfer-Encoding", head, want)
				}
				if strings.Count(strings.ToLower(head), "content-length") != strings.Count(want, "Content-Length") {
					t.Fatalf("head %q: want %q and no other Content-Length", head, want)
				}
			})
		}
		t.Run(front+"/early hints", func(t *testing.T) {
			c, err := net.Dial("tcp", strings.TrimPrefix(addr, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "GET /early HTTP/1.1\r\nHost: a\r\n\r\n")
			br := bufio.NewReader(c)
			first := readResp(t, br, "GET")
			second := readResp(t, br, "GET")
			if first.status != 103 || !strings.Contains(first.head, "Link: </a.css>") || second.status != 200 || second.body != "final" {
				t.Fatalf("got %d %q then %d %q", first.status, first.head, second.status, second.body)
			}
		})
	}
}

func want(ok bool, what string, r *http.Response) error {
	if ok {
		return nil
	}
	return fmt.Errorf("%s: got %+v trailer %v", what, r.Header, r.Trailer)
}

// TestExpectContinue: the client gets 100 Continue when the handler reads
// the body, and no 100 (but the answer) when it does not.
func TestExpectContinue(t *testing.T) {
	reject := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 401) })
	for _, front := range fronts {
		t.Run(front+"/read", func(t *testing.T) {
			c, err := net.Dial("tcp", serve(t, front, echoLen))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
			br := bufio.NewReader(c)
			line, err := br.ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
				t.Fatalf("got %q %v; want a 100 Continue", line, err)
			}
			br.ReadString('\n')
			io.WriteString(c, "hello")
			if r := readResp(t, br, "POST"); r.status != 200 || !strings.HasPrefix(r.body, "got 5") {
				t.Fatalf("got %d %q", r.status, r.body)
			}
		})
		t.Run(front+"/refused", func(t *testing.T) {
			// The client may send its body anyway (RFC 9110 §10.1.1), so
			// whatever follows is not known to be a request: h1 closes.
			// net/http keeps the connection.
			r := roundTrip(t, serve(t, front, reject), "POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
			if r.status != 401 || r.closed != ours(front) {
				t.Fatalf("got %d closed=%v; want 401 and closed=%v", r.status, r.closed, ours(front))
			}
		})
	}
}

// TestHijack: a hijacked connection keeps the bytes the client sent after
// its request, and the server lets go of it.
func TestHijack(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		n := brw.Reader.Buffered()
		early, _ := brw.Reader.Peek(n)
		fmt.Fprintf(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nearly=%s", early)
	})
	for _, front := range fronts {
		t.Run(front, func(t *testing.T) {
			c, err := net.Dial("tcp", serve(t, front, h))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nFRAME")
			b, _ := io.ReadAll(c)
			if !strings.HasSuffix(string(b), "\r\n\r\nearly=FRAME") {
				t.Fatalf("got %q", b)
			}
		})
	}
}

// TestHijackRaw: h1's HijackRaw hands over the connection and a copy of
// the early bytes; the connection stays open after the handler returns
// and the server's buffers are reused.
func TestHijackRaw(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, early, err := w.(interface {
			HijackRaw() (net.Conn, []byte, error)
		}).HijackRaw()
		if err != nil {
			t.Error(err)
			return
		}
		go func() { // outlives the handler
			defer conn.Close()
			time.Sleep(50 * time.Millisecond)
			fmt.Fprintf(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nearly=%s", early)
		}()
	})
	addr := serve(t, "h1", h)
	for range 3 { // the buffers of one go to the next
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nFRAME")
		b, _ := io.ReadAll(c)
		c.Close()
		if !strings.HasSuffix(string(b), "\r\n\r\nearly=FRAME") {
			t.Fatalf("got %q", b)
		}
	}
}

// TestSlowReader: a client that stops reading its answer is dropped once
// a write has made no progress for WriteTimeout: the handler's write fails
// and the connection closes, where it would otherwise hold both forever.
func TestSlowReader(t *testing.T) { bothOurs(t, testSlowReader) }

func testSlowReader(t *testing.T, loop bool) {
	werr := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 64<<10)
		for i := 0; i < 4096; i++ { // 256 MiB, far past the socket buffers
			if _, err := w.Write(chunk); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h, WriteTimeout: 300 * time.Millisecond, EventLoop: loop}
	go func() { _ = s.Serve(ln) }()
	defer s.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /big HTTP/1.1\r\nHost: a\r\n\r\n") // and never read
	select {
	case err := <-werr:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("the handler's write ended with %v; want a timeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler is still writing to a client that does not read")
	}
}

// TestShutdown: an idle connection is closed, an active request finishes
// (its connection closing after it), and Serve returns ErrServerClosed.
func TestShutdown(t *testing.T) { bothOurs(t, testShutdown) }

func testShutdown(t *testing.T, loop bool) {
	release := make(chan struct{})
	var started atomic.Bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			evloop.Release(r.Context()) // it blocks below: off the loop (nothing without one)
			started.Store(true)
			<-release
		}
		io.WriteString(w, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h, EventLoop: loop}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	idle, _ := net.Dial("tcp", ln.Addr().String())
	defer idle.Close()
	_ = idle.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(idle, "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
	ibr := bufio.NewReader(idle)
	readResp(t, ibr, "GET")
	active, _ := net.Dial("tcp", ln.Addr().String())
	defer active.Close()
	_ = active.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(active, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	for !started.Load() {
		time.Sleep(time.Millisecond)
	}
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	if _, err := ibr.ReadByte(); err == nil {
		t.Fatal("the idle connection stayed open")
	}
	close(release)
	abr := bufio.NewReader(active)
	if r := readResp(t, abr, "GET"); r.body != "done" || !r.saidClose {
		t.Fatalf("active request: %+v", r)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
}

// TestTLS: HTTP/1.1 over TLS is served by h1, and a client that offers h2
// gets HTTP/2 from the net/http server h1 hands the connection to.
func TestTLS(t *testing.T) { bothOurs(t, testTLS) }

func testTLS(t *testing.T, loop bool) {
	cert := httptest.NewTLSServer(http.NotFoundHandler()) // for its test certificate
	cfg := &tls.Config{Certificates: cert.TLS.Certificates}
	pool := cert.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	cert.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s tls=%v", r.Proto, r.TLS != nil)
	}), TLSConfig: cfg, EventLoop: loop}
	go func() { _ = s.Serve(ln) }()
	defer s.Close()
	url := "https://" + ln.Addr().String() + "/"
	for _, tc := range []struct {
		h2   bool
		want string
	}{{false, "HTTP/1.1 tls=true"}, {true, "HTTP/2.0 tls=true"}} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.com"}, ForceAttemptHTTP2: tc.h2}
		resp, err := (&http.Client{Transport: tr}).Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		if string(b) != tc.want {
			t.Fatalf("h2=%v: got %q; want %q", tc.h2, b, tc.want)
		}
	}
}

// TestPanic: a handler's panic ends its connection, not the server.
func TestPanic(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			panic(http.ErrAbortHandler)
		}
		io.WriteString(w, "fine")
	})
	for _, front := range fronts {
		t.Run(front, func(t *testing.T) {
			addr := serve(t, front, h)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "GET /boom HTTP/1.1\r\nHost: a\r\n\r\n")
			if b, _ := io.ReadAll(c); len(b) != 0 {
				t.Fatalf("got %q from a panicking handler", b)
			}
			if r := roundTrip(t, addr, "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n"); r.body != "fine" {
				t.Fatalf("after the panic: %+v", r)
			}
		})
	}
}

// TestAbortPassesOnWhatWasWritten: a handler that gives up midway
// (http.ErrAbortHandler, as the proxy does when a backend's body breaks
// off) has what it wrote so far sent before the connection closes, short
// of the answer's end: the declared length is not reached, a chunked
// answer has no last chunk. Bytes held in the write buffer were dropped
// before (TestLargeAnswerCopy in gateway saw 2,169 of 71,680 go missing).
func TestAbortPassesOnWhatWasWritten(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/length" {
			w.Header().Set("Content-Length", "100")
		}
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		io.WriteString(w, "0123456789") // held in the write buffer
		panic(http.ErrAbortHandler)
	})
	// Not net/http's: its answer keeps its own buffer, which a panic drops
	// (its final flush sends only the connection's); the proxy flushes
	// before it gives up (gateway's TestBrokenOffAnswerPassedOn).
	for _, front := range []string{"h1", "loop"} {
		for _, tc := range []struct{ path, body string }{
			{"/length", "0123456789"},
			{"/chunked", "a\r\n0123456789\r\n"},
		} {
			t.Run(front+tc.path, func(t *testing.T) {
				addr := serve(t, front, h)
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				io.WriteString(c, "GET "+tc.path+" HTTP/1.1\r\nHost: a\r\n\r\n")
				b, _ := io.ReadAll(c)
				_, body, ok := strings.Cut(string(b), "\r\n\r\n")
				if !ok || body != tc.body {
					t.Fatalf("got %q; want the head, then the body %q and nothing more", b, tc.body)
				}
			})
		}
	}
}

// goid is the calling goroutine's id, from its stack header.
func goid() string {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	f := strings.Fields(string(buf[:n]))
	return f[1]
}

// TestWorkerReuse: connections that come one after another are served by
// one goroutine (a worker keeps the stack it grew), a panicking handler
// does not end the worker's reuse, no two connections at once share a
// worker, and Shutdown ends the idle workers.
func TestWorkerReuse(t *testing.T) {
	var mu sync.Mutex
	ids := map[string]int{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids[goid()]++
		mu.Unlock()
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		io.WriteString(w, "ok "+r.URL.Path)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = s.Serve(ln) }()
	addr := ln.Addr().String()
	for i := range 20 {
		path := "/" + strconv.Itoa(i)
		if i == 5 {
			path = "/panic"
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
		b, _ := io.ReadAll(c) // the server closes after the answer (or the panic)
		c.Close()
		if path != "/panic" && !strings.HasSuffix(string(b), "ok "+path) {
			t.Fatalf("connection %d: %q", i, b)
		}
		// Wait until the worker is idle again, so the next connection can
		// only be served by a reused goroutine if reuse works.
		for deadline := time.Now().Add(5 * time.Second); s.idleWorkers.Load() == 0; {
			if time.Now().After(deadline) {
				t.Fatal("no worker went idle")
			}
			time.Sleep(time.Millisecond)
		}
	}
	mu.Lock()
	if len(ids) != 1 {
		t.Errorf("20 connections one after another were served by %d goroutines, want 1: %v", len(ids), ids)
	}
	clear(ids)
	mu.Unlock()

	// Two connections open at once: two workers.
	var conns []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
		readResp(t, bufio.NewReader(c), "GET")
		conns = append(conns, c)
	}
	mu.Lock()
	if len(ids) != 2 {
		t.Errorf("two open connections were served by %d goroutines, want 2", len(ids))
	}
	mu.Unlock()
	for _, c := range conns {
		c.Close()
	}

	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); s.idleWorkers.Load() != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers still idle after Shutdown", s.idleWorkers.Load())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestHeadBuffered: which buffered bytes hold a whole request head (and so
// need no read deadline to be parsed).
func TestHeadBuffered(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
		{"GET / HTTP/1.1\nHost: a\n\n", true},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n", true},
		{"GET / HTTP/1.1\r\nHost: a\r\n", false},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r", false},
		{"GET / HTTP/1.1\r\n", false},
		{"\r\n\r\nGET / HTTP/1.1\r\n", false}, // empty lines before a request are no head's end
		{"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", false},
		{"\n\n", false},
	} {
		br := bufio.NewReaderSize(strings.NewReader(tc.in), 4096)
		_, _ = br.Peek(1)
		if got := headBuffered(br); got != tc.want {
			t.Errorf("headBuffered(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestHeaderTimeout: a client that sends part of a head and stops is cut
// at ReadHeaderTimeout, not at the (much longer) idle timeout, on a new
// connection and on a kept-alive one, with or without empty lines first;
// one that sends its head whole is answered.
func TestHeaderTimeout(t *testing.T) {
	for _, tc := range []struct {
		name, first, partial string
	}{
		{"new connection", "", "GET /x HTTP/1.1\r\nHost: a\r\n"},
		{"after a request", "GET /x HTTP/1.1\r\nHost: a\r\n\r\n", "GET /y HTTP/1.1\r\n"},
		{"empty lines first", "", "\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n"},
		{"after a request, empty lines first", "GET /x HTTP/1.1\r\nHost: a\r\n\r\n", "\r\n\r\nGET /y HTTP/1.1\r\n"},
	} {
		for _, front := range fronts {
			t.Run(front+"/"+tc.name, func(t *testing.T) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				var f Front
				if ours(front) {
					f = &Server{Handler: echoLen, ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: time.Minute, EventLoop: front == "loop"}
				} else {
					f = &http.Server{Handler: echoLen, ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: time.Minute}
				}
				go func() { _ = f.Serve(ln) }()
				defer f.Close()
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				br := bufio.NewReader(c)
				if tc.first != "" {
					io.WriteString(c, tc.first)
					if r := readResp(t, br, "GET"); r.status != 200 {
						t.Fatalf("first request: %+v", r)
					}
				}
				io.WriteString(c, tc.partial)
				// The server must give up long before the idle timeout
				// (a minute) and the client's own deadline (20 s).
				_, err = io.ReadAll(br)
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatal("the server kept a connection whose head never ended")
				}
			})
		}
	}
}

// countingConn counts the writes that reach its connection; like the raw
// connections (rawio, evloop), it writes two buffers in one call.
type countingConn struct {
	net.Conn
	writes atomic.Int32
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func (c *countingConn) WriteTwo(a, b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(append(append([]byte{}, a...), b...))
}

type countingListener struct {
	net.Listener
	conns chan *countingConn
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &countingConn{Conn: c}
	l.conns <- cc
	return cc, nil
}

// A response with a Content-Length goes out in one write however its head
// and body compare with the writer's 4 KiB buffer: a body that does not
// fit beside the head is written with it (WriteTwo), not after a first
// write of the filled buffer. Bodies written in pieces arrive whole on
// every front.
func TestResponseOneWrite(t *testing.T) {
	sizes := []int{0, 100, 3800, 3900, 4096, 5000, 32 << 10, 200 << 10}
	body := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(i%26)
		}
		return b
	}
	handler := func(pieces int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			b := body(n)
			w.Header().Set("Content-Length", strconv.Itoa(n))
			step := max(len(b)/pieces, 1)
			for len(b) > 0 {
				k := min(step, len(b))
				w.Write(b[:k])
				b = b[k:]
			}
		})
	}
	get := func(t *testing.T, c net.Conn, br *bufio.Reader, n int) {
		t.Helper()
		fmt.Fprintf(c, "GET /?n=%d HTTP/1.1\r\nHost: x\r\n\r\n", n)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		if err != nil || string(got) != string(body(n)) {
			t.Fatalf("n=%d: got %d bytes (%v)", n, len(got), err)
		}
	}
	t.Run("writes", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cl := &countingListener{Listener: ln, conns: make(chan *countingConn, 1)}
		s := &Server{Handler: handler(1)}
		go func() { _ = s.Serve(cl) }()
		t.Cleanup(func() { _ = s.Close() })
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sc := <-cl.conns
		br := bufio.NewReader(c)
		for _, n := range sizes {
			before := sc.writes.Load()
			get(t, c, br, n)
			if got := sc.writes.Load() - before; got != 1 {
				t.Errorf("n=%d: %d writes, want 1", n, got)
			}
		}
	})
	for _, front := range fronts {
		t.Run(front, func(t *testing.T) {
			for _, pieces := range []int{1, 3} {
				addr := serve(t, front, handler(pieces))
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				br := bufio.NewReader(c)
				for _, n := range sizes {
					get(t, c, br, n)
				}
				c.Close()
			}
		})
	}
}
