package upstream

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"tollgate/internal/testutil"
)

// variedBackend answers its i-th request on a connection with i%5+1
// fields X-F0..X-Fn, each valued with the request's number, and the body
// "bodyi".
func variedBackend(t *testing.T) string {
	return testutil.ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		for i := 0; ; i++ {
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if line == "\r\n" {
					break
				}
			}
			var b strings.Builder
			body := fmt.Sprintf("body%d", i)
			fmt.Fprintf(&b, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n", len(body))
			for f := 0; f <= i%5; f++ {
				fmt.Fprintf(&b, "X-F%d: %d-%d\r\n", f, i, f)
			}
			b.WriteString("\r\n" + body)
			if _, err := io.WriteString(c, b.String()); err != nil {
				return
			}
		}
	})
}

// TestReleaseReuse: a released answer's allocation and header map serve a
// later round trip, which sees only its own fields and values (none left
// from a longer answer before it).
func TestReleaseReuse(t *testing.T) {
	addr := variedBackend(t)
	rt := &Transport{MaxIdleConnsPerHost: 1}
	defer rt.CloseIdleConnections()
	var prev *http.Response
	reused := 0
	for i := 0; i < 40; i++ {
		req, _ := http.NewRequest("GET", "http://"+addr+"/x", nil)
		res, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if res == prev {
			reused++
		}
		want := http.Header{"Content-Length": {fmt.Sprint(len(fmt.Sprintf("body%d", i)))}}
		for f := 0; f <= i%5; f++ {
			want[fmt.Sprintf("X-F%d", f)] = []string{fmt.Sprintf("%d-%d", i, f)}
		}
		if !reflect.DeepEqual(res.Header, want) {
			t.Fatalf("answer %d: header %v, want %v", i, res.Header, want)
		}
		// readHead sets the status line's fields one by one into a
		// response it takes to be zero: nothing the answer before had
		// (what a caller may have set in it too) is left.
		if res.Status != "200 OK" || res.StatusCode != 200 || res.Proto != "HTTP/1.1" || res.ProtoMinor != 1 || res.Request != req ||
			res.Uncompressed || res.Trailer != nil || res.TransferEncoding != nil || res.TLS != nil || res.Close || res.ContentLength != int64(len(fmt.Sprintf("body%d", i))) {
			t.Fatalf("answer %d: %+v", i, res)
		}
		b, err := io.ReadAll(res.Body)
		if err != nil || string(b) != fmt.Sprintf("body%d", i) {
			t.Fatalf("answer %d: body %q, %v", i, b, err)
		}
		res.Body.Close()
		res.Uncompressed, res.Trailer, res.TransferEncoding, res.Close = true, http.Header{"X-T": nil}, []string{"chunked"}, true
		Release(res)
		prev = res
	}
	if reused == 0 {
		t.Error("no released answer was used again")
	}
}

// TestReleaseRefuses: an answer whose body is open, whose map was
// replaced, or that is not this client's own is not kept for reuse.
func TestReleaseRefuses(t *testing.T) {
	addr := variedBackend(t)
	rt := &Transport{MaxIdleConnsPerHost: 1}
	defer rt.CloseIdleConnections()
	trip := func() *http.Response {
		req, _ := http.NewRequest("GET", "http://"+addr+"/x", nil)
		res, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, tc := range []struct {
		name string
		do   func(res *http.Response)
	}{
		{"body open", func(res *http.Response) { Release(res) }},
		{"body read to its end, not closed", func(res *http.Response) { io.ReadAll(res.Body); Release(res) }},
		{"map replaced", func(res *http.Response) {
			res.Body.Close()
			res.Header = res.Header.Clone()
			Release(res)
		}},
		{"a copy of the response", func(res *http.Response) {
			res.Body.Close()
			c := *res
			Release(&c)
		}},
	} {
		for answers.Get() != nil { // empty the pool
		}
		res := trip()
		b := res.Body.(*body)
		tc.do(res)
		if got := answers.Get(); got == b {
			t.Errorf("%s: released", tc.name)
		}
		res.Body.Close()
	}
	// And one that may go: it goes (the pool may drop it under the race
	// detector, never give another).
	res := trip()
	io.ReadAll(res.Body)
	res.Body.Close()
	b := res.Body.(*body)
	Release(res)
	if got := answers.Get(); got != nil && got != b {
		t.Errorf("the pool gave %p, want %p", got, b)
	} else if got == b && (b.final.spare == nil || len(b.final.spare) != 0 || b.c != nil) {
		t.Errorf("released body not reset: spare %v, conn %v", b.final.spare, b.c)
	}
}
