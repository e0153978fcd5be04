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

// notingHandler answers whether NoneCame says that none of its set's
// fields came, for its own set and for another (always false).
type notingHandler struct{ set *FieldSet }

func (h notingHandler) NotedFields() *FieldSet { return h.set }

func (h notingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "none=%v other=%v", NoneCame(w, h.set), NoneCame(w, NewFieldSet("A-Trace")))
}

// TestNoneCame: the server notes its Handler's NotedFields per request, in
// any spelling, repeated or past the 16 names parseHead keeps on its
// stack, and says nothing for a set that is not its own. Each row is sent
// after a request that carried a noted field, on the same connection, so a
// flag left from the request before fails it.
func TestNoneCame(t *testing.T) {
	fields := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "X-F%d: %d\r\n", i, i)
		}
		return b.String()
	}
	set := NewFieldSet("Tollgate-Trace-Token", "apim-debug-authorization")
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
			none   bool
		}{
			{"", true},
			{"X-Tenant: a\r\n", true},
			{"X-Trace-Token-Value1: same length\r\nX-Apim-Debug-Authorize: x\r\n", true},
			{"Tollgate-Trace-Token: t\r\n", false},
			{"tollgate-trace-token: t\r\n", false},
			{"TOLLGATE-TRACE-TOKEN:\r\n", false}, // empty: it came
			{"Apim-Debug-Authorization: t\r\n", false},
			{"X-A: 1\r\nApim-Debug-Authorization: t\r\napim-debug-authorization: u\r\n", false},
			{fields(20), true},
			{fields(20) + "Tollgate-Trace-Token: t\r\n", false},
			{fields(15) + "Tollgate-Trace-Token: t\r\n", false}, // the 17th name, past the stack's
		} {
			for _, f := range []string{"Tollgate-Trace-Token: before\r\n", tc.fields} {
				fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: h\r\n%s\r\n", f)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
				resp.Body.Close()
				want := fmt.Sprintf("none=%v other=false", f == tc.fields && tc.none)
				if b.String() != want {
					t.Errorf("%q: %s, want %s", f, b.String(), want)
				}
			}
		}
	})
}

// TestFieldSet: has finds exactly the set's canonical names.
func TestFieldSet(t *testing.T) {
	long := "X-Long" + strings.Repeat("x", 64) // canonical
	f := NewFieldSet("x-a", "Tollgate-Trace-Token", long)
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{"X-A", true}, {"x-a", false}, {"X-B", false}, {"Tollgate-Trace-Token", true},
		{"Tollgate-Trace-Tokem", false}, {"", false}, {long, true}, {long + "L", false},
		{"X-Long" + strings.Repeat("x", 58), false},
	} {
		if got := f.has(tc.key); got != tc.want {
			t.Errorf("has(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
	if NewFieldSet("X-A").has(long) {
		t.Error("a set without long names found one")
	}
}
