package h1

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// WriteHeaderLength frames an adopted map's answer by the length the
// handler gives, without looking Content-Length up, and sends that
// length's field, not the map's: what goes on the wire and how the body
// is framed never differ, whatever the map holds. A map that was not
// adopted whole (fields set before it) gets WriteHeader's lookup.
func TestWriteHeaderLength(t *testing.T) {
	var took atomic.Int32 // 1: the last WriteHeaderLength took the length, 2: it fell back
	adopt := func(w http.ResponseWriter, h http.Header, code int, n int64) {
		if !w.(*response).AdoptHeader(h) {
			t.Error("map not adopted")
		}
		if WriteHeaderLength(w, code, n) {
			took.Store(1)
		} else {
			took.Store(2)
		}
	}
	h := http.NewServeMux()
	h.HandleFunc("/given", func(w http.ResponseWriter, r *http.Request) {
		adopt(w, http.Header{"Content-Length": {"5"}, "Content-Type": {"text/plain"}}, 200, 5)
		io.WriteString(w, "hello")
	})
	h.HandleFunc("/given-other", func(w http.ResponseWriter, r *http.Request) {
		adopt(w, http.Header{"Content-Length": {"9"}}, 200, 5)
		io.WriteString(w, "hello")
	})
	h.HandleFunc("/given-none-small", func(w http.ResponseWriter, r *http.Request) {
		adopt(w, http.Header{"Content-Length": {"9"}}, 200, -1)
		io.WriteString(w, "hello")
	})
	h.HandleFunc("/given-none-large", func(w http.ResponseWriter, r *http.Request) {
		adopt(w, http.Header{"Content-Length": {"100000"}}, 200, -1)
		io.WriteString(w, strings.Repeat("x", 100000))
	})
	h.HandleFunc("/given-204", func(w http.ResponseWriter, r *http.Request) {
		adopt(w, http.Header{"Content-Length": {"5"}}, 204, 5)
	})
	h.HandleFunc("/given-trailer", func(w http.ResponseWriter, r *http.Request) {
		adopt(w, http.Header{"Content-Length": {"5"}, "Trailer": {"X-Sum"}}, 200, 5)
		io.WriteString(w, "hello")
		w.Header().Set("X-Sum", "42")
	})
	h.HandleFunc("/set-before", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Pre", "1")
		adopt(w, http.Header{"Content-Length": {"5"}}, 200, 7) // merged: the map's length, looked up
		io.WriteString(w, "hello")
	})
	for _, front := range fronts {
		if !ours(front) {
			continue
		}
		addr := serve(t, front, h)
		for _, tc := range []struct {
			path, method string
			took         int32
			head, body   string // head: a line the head must hold
			lengths      int    // Content-Length fields in the head
			chunked      bool
		}{
			{"/given", "GET", 1, "HTTP/1.1 200 OK\r\n", "hello", 1, false},
			{"/given", "HEAD", 1, "Content-Length: 5\r\n", "", 1, false},
			{"/given-other", "GET", 1, "Content-Length: 5\r\n", "hello", 1, false},
			{"/given-none-small", "GET", 1, "Content-Length: 5\r\n", "hello", 1, false},
			{"/given-none-large", "GET", 1, "Transfer-Encoding: chunked\r\n", strings.Repeat("x", 100000), 0, true},
			{"/given-204", "GET", 1, "HTTP/1.1 204 No Content\r\n", "", 0, false},
			{"/given-trailer", "GET", 1, "Trailer: X-Sum\r\n", "hello", 0, true},
			{"/set-before", "GET", 2, "Content-Length: 5\r\n", "hello", 1, false},
		} {
			t.Run(front+tc.path+"/"+tc.method, func(t *testing.T) {
				took.Store(0)
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				io.WriteString(c, tc.method+" "+tc.path+" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
				raw, _ := io.ReadAll(c)
				head, body, _ := strings.Cut(string(raw), "\r\n\r\n")
				head += "\r\n"
				if !strings.Contains(head, tc.head) {
					t.Fatalf("head %q: want %q", head, tc.head)
				}
				if n := strings.Count(strings.ToLower(head), "content-length"); n != tc.lengths {
					t.Fatalf("head %q: %d Content-Length fields, want %d", head, n, tc.lengths)
				}
				if strings.Contains(head, "Transfer-Encoding: chunked") != tc.chunked {
					t.Fatalf("head %q: chunked %v", head, !tc.chunked)
				}
				if tc.chunked {
					r, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(raw))), nil)
					if err != nil {
						t.Fatal(err)
					}
					b, err := io.ReadAll(r.Body)
					if err != nil {
						t.Fatal(err)
					}
					body = string(b)
				}
				if body != tc.body {
					t.Fatalf("body %d bytes, want %d", len(body), len(tc.body))
				}
				if got := took.Load(); got != tc.took {
					t.Fatalf("WriteHeaderLength took %d, want %d", got, tc.took)
				}
			})
		}
	}
}
