package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tollgate/gateway/internal/evloop"
)

// serveH2C starts front with h2c with prior knowledge on (H2C, or
// net/http's UnencryptedHTTP2) and returns the server and its address.
func serveH2C(t *testing.T, front string, h http.Handler, headerTimeout time.Duration) (Front, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var f Front
	if ours(front) {
		f = &Server{Handler: h, ReadHeaderTimeout: headerTimeout, IdleTimeout: time.Minute, MaxHeaderBytes: 8 << 10,
			EventLoop: front == "loop", H2C: true}
	} else {
		p := new(http.Protocols)
		p.SetHTTP1(true)
		p.SetUnencryptedHTTP2(true)
		f = &http.Server{Handler: h, ReadHeaderTimeout: headerTimeout, IdleTimeout: time.Minute, MaxHeaderBytes: 8 << 10, Protocols: p}
	}
	go func() { _ = f.Serve(ln) }()
	t.Cleanup(func() { _ = f.Close() })
	return f, ln.Addr().String()
}

// h2cClient speaks HTTP/2 with prior knowledge only.
func h2cClient() *http.Client {
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: p}, Timeout: 20 * time.Second}
}

var protoHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(io.Discard, r.Body)
	fmt.Fprintf(w, "%s %s %d", r.Proto, r.Method, n)
})

// TestH2C: a connection that opens with the HTTP/2 preface is served as
// HTTP/2 (by the net/http server h1 hands it to), and every other one as
// HTTP/1, the short ones and those that start like the preface included.
func TestH2C(t *testing.T) {
	for _, front := range fronts {
		t.Run(front, func(t *testing.T) {
			_, addr := serveH2C(t, front, protoHandler, 2*time.Second)
			c := h2cClient()
			defer c.CloseIdleConnections()
			for i := range 3 { // one connection, several streams
				resp, err := c.Post("http://"+addr+"/x", "application/grpc", strings.NewReader(strings.Repeat("z", i*70000)))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if want := fmt.Sprintf("HTTP/2.0 POST %d", i*70000); string(b) != want {
					t.Fatalf("got %q, want %q", b, want)
				}
			}
			for _, tc := range []struct{ req, want string }{
				{"GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 GET 0"},
				{"PUT / HTTP/1.0\r\n\r\n", "HTTP/1.0 PUT 0"},
				{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab", "HTTP/1.1 POST 2"},
			} {
				if r := roundTrip(t, addr, tc.req); r.status != 200 || r.body != tc.want {
					t.Errorf("%q: %+v", tc.req, r)
				}
			}
			// Half a preface, then something else: an HTTP/1 request
			// for HTTP/2.0, which h1 refuses (net/http serves it, and
			// closes the connection).
			if r := roundTrip(t, addr, "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"); ours(front) && r.status < 400 || !r.closed {
				t.Errorf("a broken preface: %+v", r)
			}
		})
	}
}

// TestH2CHostile: what h2c clients cannot do to the server.
func TestH2CHostile(t *testing.T) {
	for _, tc := range []struct {
		name string
		send string
	}{
		// The preface, then bytes that are no HTTP/2 frame: the HTTP/2
		// server ends the connection (GOAWAY, PROTOCOL_ERROR).
		{"preface then garbage", h2Preface + "GET / HTTP/1.1\r\nHost: a\r\n\r\n" + strings.Repeat("\xff", 64)},
		// The preface, then nothing: no SETTINGS arrive, the HTTP/2
		// server gives up on the connection.
		{"preface then silence", h2Preface},
		// Part of the preface, then nothing: closed after the header
		// timeout, as a head that never ends.
		{"part of a preface then silence", h2Preface[:10]},
		{"one byte then silence", "P"},
	} {
		for _, front := range fronts {
			t.Run(front+"/"+tc.name, func(t *testing.T) {
				var called atomic.Bool
				_, addr := serveH2C(t, front, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called.Store(true) }), 300*time.Millisecond)
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				io.WriteString(c, tc.send)
				// The server must end the connection long before the idle
				// timeout (a minute) and the client's deadline (20 s).
				_, err = io.Copy(io.Discard, c)
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatal("the server kept the connection")
				}
				if called.Load() {
					t.Fatal("the handler ran")
				}
			})
		}
	}
}

// TestH2CLimits: the head limit holds for h2c requests too.
func TestH2CLimits(t *testing.T) {
	for _, front := range fronts {
		t.Run(front, func(t *testing.T) {
			var called atomic.Bool
			_, addr := serveH2C(t, front, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called.Store(true) }), 2*time.Second)
			c := h2cClient()
			defer c.CloseIdleConnections()
			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
			req.Header.Set("X-Big", strings.Repeat("b", 64<<10))
			resp, err := c.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
					t.Fatalf("status %d", resp.StatusCode)
				}
			}
			if called.Load() {
				t.Fatal("a head over MaxHeaderBytes reached the handler")
			}
		})
	}
}

// TestH2CShutdown: Shutdown lets an h2c request in flight finish, and then
// returns; the connection does not take new streams.
func TestH2CShutdown(t *testing.T) { bothOurs(t, testH2CShutdown) }

func testH2CShutdown(t *testing.T, loop bool) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evloop.Release(r.Context())
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			<-release
		}
		io.WriteString(w, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h, EventLoop: loop, H2C: true}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	c := h2cClient()
	defer c.CloseIdleConnections()
	url := "http://" + ln.Addr().String()
	got := make(chan string, 1)
	go func() {
		resp, err := c.Get(url + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-started
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if r := <-got; r != "done" {
		t.Fatalf("the request in flight: %q", r)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
	// Nothing serves the address any more.
	if conn, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, h2Preface)
		_, rerr := bufio.NewReader(conn).ReadByte()
		conn.Close()
		if rerr == nil {
			t.Fatal("a new connection was served after Shutdown")
		}
	}
}
