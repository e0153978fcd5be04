package h1

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// notingHandler answers which of its set's fields Noted says came, for
// its own set and for another (never known).
type notingHandler struct{ set *FieldSet }

func (h notingHandler) NotedFields() *FieldSet { return h.set }

func (h notingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	came, ok := Noted(w, h.set)
	_, other := Noted(w, NewFieldSet("A-Trace"))
	fmt.Fprintf(w, "came=%b ok=%v other=%v", came, ok, other)
}

// TestNoted: the server notes its Handler's NotedFields per request, in
// any spelling, repeated or past the 16 names parseHead keeps on its
// stack, and says nothing for a set that is not its own. Each row is sent
// after a request that carried all the noted fields, on the same
// connection, so a note left from the request before fails it.
func TestNoted(t *testing.T) {
	fields := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "X-F%d: %d\r\n", i, i)
		}
		return b.String()
	}
	set := NewFieldSet("Tollgate-Trace-Token", "apim-debug-authorization", "Connection")
	bothOurs(t, func(t *testing.T, loop bool) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{Handler: notingHandler{set}, ReadHeaderTimeout: 2 * time.Second, EventLoop: loop}
		go func() { _ = s.Serve(ln) }()
		t.Cleanup(func() { _ = s.Close() })
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for _, tc := range []struct {
			fields string
			came   uint64
		}{
			{"", 0},
			{"X-Tenant: a\r\nUser-Agent: u\r\n", 0},
			{"X-Trace-Token-Value1: same length\r\nX-Apim-Debug-Authorize: x\r\n", 0},
			{"Tollgate-Trace-Token: t\r\n", 1},
			{"tollgate-trace-token: t\r\n", 1},
			{"TOLLGATE-TRACE-TOKEN:\r\n", 1}, // empty: it came
			{"Apim-Debug-Authorization: t\r\n", 2},
			{"X-A: 1\r\nApim-Debug-Authorization: t\r\napim-debug-authorization: u\r\n", 2},
			{"Connection: keep-alive\r\nTollgate-Trace-Token: t\r\n", 5},
			{"connection: x-a\r\nX-A: 1\r\n", 4},
			{fields(20), 0},
			{fields(20) + "Tollgate-Trace-Token: t\r\n", 1},
			{fields(15) + "Tollgate-Trace-Token: t\r\n", 1}, // the 17th name, past the stack's
		} {
			all := "Tollgate-Trace-Token: before\r\nApim-Debug-Authorization: b\r\nConnection: keep-alive\r\n"
			for _, f := range []string{all, tc.fields} {
				fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: h\r\n%s\r\n", f)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
				resp.Body.Close()
				came := uint64(7)
				if f == tc.fields {
					came = tc.came
				}
				want := fmt.Sprintf("came=%b ok=true other=false", came)
				if b.String() != want {
					t.Errorf("%q: %s, want %s", f, b.String(), want)
				}
			}
		}
	})
}

// TestFieldSet: index finds exactly the set's canonical names.
func TestFieldSet(t *testing.T) {
	long := "X-Long" + strings.Repeat("x", 64) // canonical
	f := NewFieldSet("x-a", "Tollgate-Trace-Token", long)
	for _, tc := range []struct {
		key  string
		want int
	}{
		{"X-A", 0}, {"x-a", -1}, {"X-B", -1}, {"Tollgate-Trace-Token", 1},
		{"Tollgate-Trace-Tokem", -1}, {"", -1}, {long, 2}, {long + "L", -1},
		{"X-Long" + strings.Repeat("x", 58), -1},
	} {
		if got := f.index(tc.key); got != tc.want {
			t.Errorf("index(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
	if NewFieldSet("X-A").index(long) != -1 {
		t.Error("a set without long names found one")
	}
}
