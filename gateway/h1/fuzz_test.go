package h1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseHead: any bytes either parse into a request whose framing is
// unambiguous or are refused with a status; never a panic. An accepted
// head is also one net/http's parser accepts with the same method, target
// and body framing (h1 is stricter, never looser). Whether a noted field
// came is what the header map says.
func FuzzParseHead(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /x?q=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET http://b/x HTTP/1.1\r\nHost: a\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"GET / HTTP/1.1\nHost: a\n\n",
		"\r\nGET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  2\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nx-noted: 1\r\nX-Noted: 2\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		head, err := readHead(bufio.NewReaderSize(bytes.NewReader(data), 64), nil, 4096)
		if err != nil {
			return
		}
		var req request
		r := new(http.Request)
		if err := parseHead(head, &req, r, nil, fuzzNoted); err != nil {
			if _, ok := err.(*statusError); !ok {
				t.Fatalf("error without a status: %v", err)
			}
			return
		}
		// The server's way (the head's bytes in the exchange's room, the
		// URL and values in its headRoom) reads it the same, and keeps it
		// when the buffer it was read into is reused.
		// The map is one a request before filled and the server cleared
		// (ReuseHeader): nothing of it may show.
		x, hs := newExchange(head)
		var req2 request
		reused := http.Header{"Host": {"old"}, "X-Noted": {"old"}, "Content-Length": {"9"}, "X-Old": {"o"}}
		clear(reused)
		if err := parseHeadString(hs, &req2, &x.req, &x.room, fuzzNoted, reused); err != nil {
			t.Fatalf("the server's parse failed (%v) where parseHead's did not: %q", err, head)
		}
		clear(head)
		if req2 != req || x.req.Method != r.Method || x.req.RequestURI != r.RequestURI || x.req.Host != r.Host ||
			!reflect.DeepEqual(x.req.URL, r.URL) || !reflect.DeepEqual(x.req.Header, r.Header) {
			t.Fatalf("the server's parse differs: %+v %v vs %+v %v", req2, x.req.Header, req, r.Header)
		}
		head = []byte(hs)
		_, n1 := r.Header["X-Noted"]
		_, n2 := r.Header["Content-Type"]
		if (req.noted&1 != 0) != n1 || (req.noted&2 != 0) != n2 || req.noted > 3 {
			t.Fatalf("noted %v, but the map has X-Noted %v, Content-Type %v", req.noted, n1, n2)
		}
		if req.chunked != (req.length == -1) || req.length < -1 {
			t.Fatalf("framing: chunked=%v length=%d", req.chunked, req.length)
		}
		if _, ok := r.Header["Transfer-Encoding"]; ok {
			t.Fatal("Transfer-Encoding left in the header")
		}
		if req.chunked && len(r.Header["Content-Length"]) > 0 {
			t.Fatal("chunked with a Content-Length")
		}
		// net/http reads the same head the same way.
		nr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			if strings.HasPrefix(string(head), "\r\n") || strings.HasPrefix(string(head), "\n") {
				return // net/http does not skip leading empty lines
			}
			t.Fatalf("h1 accepted what net/http refuses (%v): %q", err, head)
		}
		if nr.Method != r.Method || nr.RequestURI != r.RequestURI || nr.ContentLength != r.ContentLength || nr.Host != r.Host {
			t.Fatalf("h1 and net/http disagree: %s %s len=%d host=%q vs %s %s len=%d host=%q on %q",
				r.Method, r.RequestURI, r.ContentLength, r.Host, nr.Method, nr.RequestURI, nr.ContentLength, nr.Host, head)
		}
	})
}

// fuzzNoted: FuzzParseHead holds req.noted to the header map.
var fuzzNoted = NewFieldSet("x-noted", "Content-Type")

// FuzzChunked: h1's chunked reader never accepts what net/http's refuses,
// and when both accept they read the same bytes.
func FuzzChunked(f *testing.F) {
	for _, s := range []string{
		"5\r\nhello\r\n0\r\n\r\n",
		"5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
		"a\r\n0123456789\r\n3\r\nabc\r\n0\r\n\r\n",
		"5\nhello\n0\n\n",
		"fffffffffffffffff\r\n",
		"0x5\r\nhello\r\n0\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &body{br: bufio.NewReaderSize(bytes.NewReader(data), 16), chunked: true, req: &http.Request{}}
		got, err := io.ReadAll(b)
		if err != nil {
			return
		}
		want, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(data)))
		if err != nil {
			t.Fatalf("h1 accepted a chunked body net/http refuses (%v): %q", err, data)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("h1 read %q, net/http %q, from %q", got, want, data)
		}
	})
}
