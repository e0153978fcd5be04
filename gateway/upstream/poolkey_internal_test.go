package upstream

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unsafe"

	"tollgate/internal/testutil"
)

// TestPoolKeyCopies: a pool keeps copies of its URL's scheme and host,
// not views of the bytes they came in (a URL built from a request's
// header may share a larger buffer, which the pool would otherwise keep
// alive, or see change).
func TestPoolKeyCopies(t *testing.T) {
	addr := testutil.ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 4096)
		c.Read(buf)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	})
	var d net.Dialer
	tr := &Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	defer tr.CloseIdleConnections()
	for _, raw := range []string{"http://tenant.example.net/p", "https://tenant.example.net:8443/p"} {
		big := strings.Repeat("x", 1<<12) + raw
		u, err := url.Parse(big[1<<12:])
		if err != nil {
			t.Fatal(err)
		}
		lo := uintptr(unsafe.Pointer(unsafe.StringData(big)))
		within := func(s string) bool {
			p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
			return p >= lo && p < lo+uintptr(len(big))
		}
		if !within(u.Host) {
			t.Fatalf("%s: the test's URL does not share its input's bytes", raw)
		}
		p, err := tr.pool(u, nil)
		if err != nil {
			t.Fatal(err)
		}
		kept := []string{p.key.scheme, p.key.host, p.addr}
		if p.tls != nil {
			kept = append(kept, p.tls.ServerName)
		}
		for _, s := range kept {
			if within(s) {
				t.Errorf("%s: the pool keeps %q, a view of the URL's bytes", raw, s)
			}
		}
		if u.Scheme == "http" {
			resp, err := tr.RoundTrip(&http.Request{Method: "GET", URL: u, Header: http.Header{}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
}
