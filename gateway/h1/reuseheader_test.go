package h1

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// TestReuseHeader: a handler that calls ReuseHeader gives its request's
// header map back for the connection's next request (on h1, either way;
// net/http's front ignores the call), which finds it cleared and filled
// with its own fields alone; what the first handler took from the map
// (a value, the slice of its values) still reads as it did, and the
// request it kept has no header map left. Without the call, or for a
// request with more than 16 fields, the next request gets a map of its
// own. Each case is two requests on one connection; the second's handler
// checks what the first kept (the same goroutine or loop task serves
// both, one after the other).
func TestReuseHeader(t *testing.T) {
	many := ""
	for i := range 20 {
		many += fmt.Sprintf("X-F%d: %d\r\n", i, i)
	}
	for _, tc := range []struct {
		name   string
		first  string // the first request's path and extra fields
		fields string
		reused bool // on h1: the second request gets the first's map
	}{
		{"given back", "/keep", "X-Old: gone\r\n", true},
		{"not given back", "/plain", "X-Old: gone\r\n", false},
		{"too many fields", "/keep", many, false},
		{"given back, then a panic", "/keep?panic", "", false},
	} {
		for _, front := range fronts {
			t.Run(tc.name+"/"+front, func(t *testing.T) {
				type kept struct {
					m     unsafe.Pointer
					r     *http.Request
					val   string
					vals  []string
					fresh bool
				}
				first := make(chan kept, 1)
				errs := make(chan string, 16)
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					switch r.URL.Path {
					case "/keep", "/plain":
						if r.URL.Path == "/keep" {
							ReuseHeader(w)
						}
						first <- kept{m: reflect.ValueOf(r.Header).UnsafePointer(), r: r, val: r.Header.Get("X-V"), vals: r.Header["X-V"]}
						if r.URL.RawQuery == "panic" {
							panic(http.ErrAbortHandler)
						}
						_, _ = io.WriteString(w, "first")
					case "/second":
						k := <-first
						same := reflect.ValueOf(r.Header).UnsafePointer() == k.m
						if want := tc.reused && ours(front); same != want {
							errs <- fmt.Sprintf("the second request's map is the first's: %v, want %v", same, want)
						}
						if k.val != "first-value" || len(k.vals) != 1 || k.vals[0] != "first-value" {
							errs <- fmt.Sprintf("what the first handler took reads %q %q after the second head", k.val, k.vals)
						}
						if same && k.r.Header != nil {
							errs <- fmt.Sprintf("the first request still has a header map: %v", k.r.Header)
						}
						want := http.Header{"Host": {"h"}, "X-V": {"other-value"}}
						if !ours(front) {
							delete(want, "Host") // net/http's map has no Host
						}
						if !reflect.DeepEqual(r.Header, want) {
							errs <- fmt.Sprintf("the second request's header %v, want %v", r.Header, want)
						}
						_, _ = io.WriteString(w, "second")
					}
				})
				addr := serve(t, front, h)
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				br := bufio.NewReader(c)
				_, _ = io.WriteString(c, "GET "+tc.first+" HTTP/1.1\r\nHost: h\r\nX-V: first-value\r\n"+tc.fields+"\r\n")
				if strings.Contains(tc.first, "panic") {
					// The connection ends with the panic; the next on
					// one served by the same conn (or worker) would
					// not tell more: the map was never given back.
					if _, err := io.ReadAll(br); err != nil {
						t.Fatal(err)
					}
					c.Close()
					if c, err = net.Dial("tcp", addr); err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					_ = c.SetDeadline(time.Now().Add(5 * time.Second))
					br = bufio.NewReader(c)
				} else {
					readAnswer(t, br, "first")
				}
				_, _ = io.WriteString(c, "GET /second HTTP/1.1\r\nHost: h\r\nX-V: other-value\r\n\r\n")
				readAnswer(t, br, "second")
				close(errs)
				for e := range errs {
					t.Error(e)
				}
			})
		}
	}
}

func readAnswer(t *testing.T, br *bufio.Reader, want string) {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || string(body) != want {
		t.Fatalf("answer %q, %v; want %q", body, err, want)
	}
}

// TestReuseHeaderHijacked: a request hijacked after its handler called
// ReuseHeader keeps its map: the next connection, served by the same
// conn (HijackRaw leaves the conn to the server: one loop task, or one
// worker, serves both), gets a map of its own, while the hijacker may
// still read the first.
func TestReuseHeaderHijacked(t *testing.T) {
	bothOurs(t, func(t *testing.T, loop bool) {
		type kept struct {
			m unsafe.Pointer
			c *conn
		}
		first := make(chan kept, 1)
		errs := make(chan string, 8)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/raw":
				ReuseHeader(w)
				first <- kept{reflect.ValueOf(r.Header).UnsafePointer(), w.(*response).c}
				nc, _, err := w.(interface {
					HijackRaw() (net.Conn, []byte, error)
				}).HijackRaw()
				if err != nil {
					errs <- "HijackRaw: " + err.Error()
					return
				}
				_, _ = io.WriteString(nc, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nraw")
				_ = nc.Close()
			case "/second":
				k := <-first
				if w.(*response).c != k.c {
					errs <- "the second connection was not served by the first one's conn"
				}
				if reflect.ValueOf(r.Header).UnsafePointer() == k.m {
					errs <- "the second connection got the hijacked request's header map"
				}
				_, _ = io.WriteString(w, "second")
			}
		})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{Handler: h, EventLoop: loop, Loops: 1}
		go func() { _ = s.Serve(ln) }()
		t.Cleanup(func() { _ = s.Close() })
		addr := ln.Addr().String()
		for i, path := range []string{"/raw", "/second"} {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: h\r\nX-V: v\r\n\r\n")
			readAnswer(t, bufio.NewReader(c), strings.TrimPrefix(path, "/"))
			c.Close()
			if i == 0 {
				quiet(t, s, loop)
			}
		}
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	})
}
