package h1

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// TestOriginForm: the targets originForm parses without
// url.ParseRequestURI, and those it leaves to it.
func TestOriginForm(t *testing.T) {
	for _, tc := range []struct {
		target string
		ok     bool
	}{
		{"/", true},
		{"/rest/0?mode=echo", true},
		{"/a/b;c=d/@x:y,z$&+=?q=%20&r=a+b#f", true}, // the query is kept as sent
		{"/a/_-.~", true},
		{"/a%20b", false},
		{"/a!b", false},
		{"/a*b", false},
		{"/a'b", false},
		{"/a(b)", false},
		{"/a?", false},
		{"/a??", false},
		{"http://h/a", false},
		{"//h/a", true},
		{"*", false},
		{"", false},
		{"a/b", false},
		{"/ä", false},
	} {
		var u url.URL
		if got := originForm(tc.target, &u); got != tc.ok {
			t.Errorf("%q: %v; want %v", tc.target, got, tc.ok)
			continue
		}
		if tc.ok {
			checkOriginForm(t, tc.target, &u)
		}
	}
}

func checkOriginForm(t *testing.T, target string, u *url.URL) {
	t.Helper()
	want, err := url.ParseRequestURI(target)
	if err != nil {
		t.Fatalf("%q: originForm took what ParseRequestURI refuses: %v", target, err)
	}
	if !reflect.DeepEqual(u, want) {
		t.Fatalf("%q: originForm %#v, ParseRequestURI %#v", target, u, want)
	}
}

// FuzzOriginForm: a target originForm takes (of those parseHead lets
// through: no control bytes or spaces) is one url.ParseRequestURI parses
// into the same URL.
func FuzzOriginForm(f *testing.F) {
	for _, s := range []string{"/", "/a/b?x=1&y=%zz", "/a;b=c@d:e", "//x/y?", "/a%41", "/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		for i := 0; i < len(target); i++ {
			if c := target[i]; c <= ' ' || c == 0x7f {
				return // parseHead refuses such a target before
			}
		}
		var u url.URL
		if originForm(target, &u) {
			checkOriginForm(t, target, &u)
		}
	})
}

// TestKeptRequest: what a handler keeps of a request (its header, its
// values, its URL, the request itself) is as it was after the connection
// has served other requests: nothing of a request is reused for the next.
func TestKeptRequest(t *testing.T) {
	for _, front := range fronts {
		t.Run(front, func(t *testing.T) {
			kept := make(chan *http.Request, 8)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				kept <- r
				w.Write([]byte("ok"))
			})
			addr := serve(t, front, h)
			var heads bytes.Buffer
			for i := range 6 {
				// short and long heads (more fields than the room holds), plain and escaped targets
				n := strings.Repeat("x", i)
				heads.WriteString("GET /k/" + n + "?i=" + n + " HTTP/1.1\r\nHost: h" + n + "\r\nX-I: " + n + "\r\n")
				if i%2 == 1 {
					heads.WriteString("X-P: %41\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\n")
				}
				if i == 2 || i == 4 { // heads larger than the 2 KiB buffer they are read into
					heads.WriteString("X-Big: " + strings.Repeat(n, 3000/len(n)) + "\r\n")
				}
				heads.WriteString("\r\n")
			}
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write(heads.Bytes()); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			var rs []*http.Request
			for range 6 {
				if r := readResp(t, br, "GET"); r.status != 200 {
					t.Fatalf("status %d", r.status)
				}
				rs = append(rs, <-kept)
			}
			for i, r := range rs {
				n := strings.Repeat("x", i)
				if r.Method != "GET" || r.URL.Path != "/k/"+n || r.URL.RawQuery != "i="+n || r.RequestURI != "/k/"+n+"?i="+n ||
					r.Host != "h"+n || r.Header.Get("X-I") != n || (i%2 == 1) != (r.Header.Get("H") == "8") {
					t.Errorf("request %d kept as %s %s %q host %q header %v", i, r.Method, r.URL, r.RequestURI, r.Host, r.Header)
				}
				if big := r.Header.Get("X-Big"); (i == 2 || i == 4) && big != strings.Repeat(n, 3000/len(n)) || i != 2 && i != 4 && big != "" {
					t.Errorf("request %d kept X-Big of %d bytes", i, len(big))
				}
			}
		})
	}
}

// TestExchangeSize: a request's exchange stays within the 704-byte size
// class it was made to fill; past it, the allocator rounds it to 768.
func TestExchangeSize(t *testing.T) {
	if n := unsafe.Sizeof(exchange{}); n > 704 {
		t.Errorf("exchange is %d bytes; keep it within 704 (fewer values in headRoom)", n)
	}
}

// TestParseHeadRepeats: a repeated field name gets its values in order,
// found among the names before it on the stack or, past 16 of them, in
// the map; an identical Content-Length repeat counts once.
func TestParseHeadRepeats(t *testing.T) {
	fields := func(n int) string { // X-F0: 0 to X-F<n-1>: n-1
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "X-F%d: %d\r\n", i, i)
		}
		return b.String()
	}
	for _, tc := range []struct {
		head string
		want http.Header
	}{
		{"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-B: 2\r\nx-a: 3\r\n\r\n", http.Header{"X-A": {"1", "3"}, "X-B": {"2"}}},
		{"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-A: 2\r\nX-A: 3\r\n\r\n", http.Header{"X-A": {"1", "2", "3"}}},
		{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n", http.Header{"Content-Length": {"2"}}},
		{"GET / HTTP/1.1\r\nHost: h\r\n" + fields(20) + "X-F3: again\r\nX-F19: last\r\nX-New: n\r\n\r\n",
			http.Header{"X-F3": {"3", "again"}, "X-F19": {"19", "last"}, "X-F0": {"0"}, "X-New": {"n"}}},
		{"GET / HTTP/1.1\r\nHost: h\r\n" + fields(15) + "X-F0: again\r\n\r\n", // Host and 15: the stack is full
			http.Header{"X-F0": {"0", "again"}, "X-F14": {"14"}}},
	} {
		var req request
		r := new(http.Request)
		if err := parseHead([]byte(tc.head), &req, r, nil, nil); err != nil {
			t.Fatalf("%q: %v", tc.head, err)
		}
		for k, v := range tc.want {
			if got := r.Header[k]; !reflect.DeepEqual(got, v) {
				t.Errorf("%q: %s = %q, want %q", tc.head, k, got, v)
			}
		}
	}
}

// TestHeadRoom: newExchange's string is the head's bytes, copied (the
// buffer the head was read into is the next request's), in the exchange's
// own allocation up to 1344 bytes and in one of its own past that; each
// room fills its exchange's size class exactly.
func TestHeadRoom(t *testing.T) {
	for n := 1; n <= 1400; n++ {
		head := make([]byte, n)
		for i := range head {
			head[i] = byte('a' + (n+i)%26)
		}
		want := string(head)
		x, s := newExchange(head)
		clear(head) // the read buffer, reused
		if s != want || x == nil {
			t.Fatalf("%d bytes: the head's string is %q, want %q", n, s, want)
		}
		wantAllocs := 1.0
		if n > 1344 {
			wantAllocs = 2
		}
		if a := testing.AllocsPerRun(5, func() { x, s = newExchange(head) }); a != wantAllocs {
			t.Fatalf("%d bytes: %v allocations, want %v", n, a, wantAllocs)
		}
	}
	for _, tc := range []struct{ size, class uintptr }{
		{unsafe.Sizeof(exchangeHead[[64]byte]{}), 768},
		{unsafe.Sizeof(exchangeHead[[192]byte]{}), 896},
		{unsafe.Sizeof(exchangeHead[[320]byte]{}), 1024},
		{unsafe.Sizeof(exchangeHead[[448]byte]{}), 1152},
		{unsafe.Sizeof(exchangeHead[[576]byte]{}), 1280},
		{unsafe.Sizeof(exchangeHead[[704]byte]{}), 1408},
		{unsafe.Sizeof(exchangeHead[[832]byte]{}), 1536},
		{unsafe.Sizeof(exchangeHead[[1088]byte]{}), 1792},
		{unsafe.Sizeof(exchangeHead[[1344]byte]{}), 2048},
	} {
		if tc.size != tc.class {
			t.Errorf("an exchange with head room is %d bytes; the room was sized to fill %d", tc.size, tc.class)
		}
	}
}
