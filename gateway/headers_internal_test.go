package gateway

import (
	"crypto/tls"
	"net/http"
	"net/http/httputil"
	"reflect"
	"strings"
	"testing"

	"tollgate/engine"
)

// setXForwarded must set exactly what httputil's ProxyRequest.SetXForwarded
// sets (the REST proxy's rules), which it replaces on the WebSocket dial.
func TestSetXForwardedMatchesHTTPUtil(t *testing.T) {
	for _, tc := range []struct {
		name   string
		remote string
		prior  []string
		tls    bool
	}{
		{"plain", "192.0.2.1:5555", nil, false},
		{"tls", "[2001:db8::1]:443", nil, true},
		{"prior chain", "192.0.2.1:5555", []string{"203.0.113.9", "198.51.100.2, 10.0.0.1"}, false},
		{"no port: header dropped", "192.0.2.1", []string{"203.0.113.9"}, false},
		{"empty remote", "", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &http.Request{RemoteAddr: tc.remote, Host: "gw.example:8080", Header: http.Header{}}
			if tc.tls {
				in.TLS = &tls.ConnectionState{}
			}
			mk := func() http.Header {
				h := http.Header{"X-Other": {"1"}}
				if tc.prior != nil {
					h["X-Forwarded-For"] = append([]string(nil), tc.prior...)
				}
				return h
			}
			want := mk()
			(&httputil.ProxyRequest{In: in, Out: &http.Request{Header: want}}).SetXForwarded()
			got := mk()
			setXForwarded(got, in, nil)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			var room [3]string
			got = mk()
			setXForwarded(got, in, &room)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("with room: got %v, want %v", got, want)
			}
		})
	}
}

// Headers the client named in Connection are removed, however the list is
// spelled.
func TestStripConnectionListed(t *testing.T) {
	for _, tc := range []struct {
		conn []string
		want []string // headers left besides Connection
	}{
		{[]string{"Upgrade"}, []string{"X-A", "X-B", "X-Keep"}},
		{[]string{"x-a, X-B"}, []string{"X-Keep", "Upgrade"}},
		{[]string{" ,x-a,, ", "keep-alive , x-b"}, []string{"X-Keep", "Upgrade"}},
		{[]string{""}, []string{"X-A", "X-B", "X-Keep", "Upgrade"}},
	} {
		h := http.Header{"Connection": tc.conn, "X-A": {"1"}, "X-B": {"2"}, "X-Keep": {"3"}, "Upgrade": {"websocket"}}
		stripConnectionListed(h)
		delete(h, "Connection")
		if len(h) != len(tc.want) {
			t.Errorf("Connection %q: left %v, want %v", tc.conn, h, tc.want)
		}
		for _, k := range tc.want {
			if h[k] == nil {
				t.Errorf("Connection %q: %s removed", tc.conn, k)
			}
		}
	}
}

// copyOutboundHeaders is checkOutboundHeaders and forwardHeaders's copy
// (without X-Forwarded-*) in one walk: it refuses exactly the maps the
// first refuses and copies exactly what the second copies.
func TestCopyOutboundHeadersMatchesCheckThenCopy(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    engine.Headers
	}{
		{"empty", engine.Headers{}},
		{"plain", engine.Headers{"X-A": {"1"}, "Accept": {"a", "b"}, "Host": {"gw.example"}}},
		{"hop-by-hop dropped", engine.Headers{"Connection": {"close"}, "Keep-Alive": {"5"}, "Te": {"trailers"}, "Transfer-Encoding": {"chunked"}, "Upgrade": {"x"}, "Proxy-Connection": {"k"}, "X-B": {"2"}}},
		{"tab allowed", engine.Headers{"X-Tab": {"a\tb"}}},
		{"CR LF", engine.Headers{"X-A": {"1"}, "X-Bad": {"a\r\nInjected: 1"}}},
		{"NUL", engine.Headers{"X-Bad": {"a\x00b"}}},
		{"DEL", engine.Headers{"X-Bad": {"ok", "a\x7fb"}}},
		{"bad value in a hop-by-hop field", engine.Headers{"Keep-Alive": {"a\x01"}}},
		{"bad value in Host", engine.Headers{"Host": {"a\nb"}}},
		{"name not a token", engine.Headers{"X Bad": {"1"}}},
		{"empty name", engine.Headers{"": {"1"}}},
		{"empty value", engine.Headers{"X-Empty": {""}, "X-None": {}}},
		{"User-Agent", engine.Headers{"User-Agent": {"curl/8"}, "Accept": {"*/*"}}},
		{"empty User-Agent", engine.Headers{"User-Agent": {""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkCopyOutbound(t, tc.h)
		})
	}
}

func checkCopyOutbound(t *testing.T, h engine.Headers) {
	t.Helper()
	wantErr := checkOutboundHeaders(h)
	got := http.Header{}
	xff, ua, err := copyOutboundHeaders(got, h, hostHeader)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%q: error %v, check alone %v", h, err, wantErr)
	}
	if len(h) == 1 && wantErr != nil && err.Error() != wantErr.Error() {
		t.Fatalf("%q: error %q, check alone %q", h, err, wantErr) // one field: the same message
	}
	if err != nil {
		return
	}
	want := http.Header{}
	forwardHeaders(want, h, &http.Request{RemoteAddr: "192.0.2.1:1", Host: "gw"}, hostHeader, nil)
	for _, k := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if _, client := h[k]; !client {
			delete(want, k)
		} else {
			want[k] = h[k]
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: copied %q, want %q", h, got, want)
	}
	if _, copied := got["X-Forwarded-For"]; xff != copied {
		t.Fatalf("%q: says it copied an X-Forwarded-For: %v, copied one: %v", h, xff, copied)
	}
	if _, copied := got["User-Agent"]; ua != copied {
		t.Fatalf("%q: says it copied a User-Agent: %v, copied one: %v", h, ua, copied)
	}
}

// FuzzCopyOutboundHeaders holds copyOutboundHeaders to checkOutboundHeaders
// then forwardHeaders's copy on maps of up to three fields built from the
// input (a name and a value per line, split at the first colon).
func FuzzCopyOutboundHeaders(f *testing.F) {
	f.Add("X-A:1\nHost:h\nConnection:close")
	f.Add("X-Bad:a\rb\nKeep-Alive:5")
	f.Add("X y:1\nTe:\x7f")
	f.Add("Proxy-Connection:k\nX-Tab:a\tb\n:empty")
	f.Fuzz(func(t *testing.T, s string) {
		h := engine.Headers{}
		for i, line := range strings.SplitN(s, "\n", 3) {
			k, v, _ := strings.Cut(line, ":")
			h[k] = append(h[k], v)
			if i == 1 {
				h[k] = append(h[k], strings.ToUpper(v))
			}
		}
		checkCopyOutbound(t, h)
	})
}

// The REST proxy sets X-Forwarded-* from the address the exchange split
// when it began (clientIPOf, setXForwardedFrom): the same fields as
// setXForwarded, which splits it again.
func TestSetXForwardedFromMatches(t *testing.T) {
	for _, remote := range []string{"192.0.2.1:5555", "[2001:db8::1]:443", "192.0.2.1", "", "[::1]", "a:b:c"} {
		for _, prior := range [][]string{nil, {"203.0.113.9", "198.51.100.2, 10.0.0.1"}} {
			in := &http.Request{RemoteAddr: remote, Host: "gw.example:8080", Header: http.Header{}}
			mk := func() http.Header {
				h := http.Header{"X-Other": {"1"}}
				if prior != nil {
					h["X-Forwarded-For"] = append([]string(nil), prior...)
				}
				return h
			}
			want, got := mk(), mk()
			setXForwarded(want, in, nil)
			ip, ok := clientIPOf(in)
			setXForwardedFrom(got, in, ip, ok, prior == nil, new([3]string))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%q, prior %q: got %v, want %v", remote, prior, got, want)
			}
			if clientIP(in) != ip {
				t.Errorf("%q: clientIP %q, clientIPOf %q", remote, clientIP(in), ip)
			}
		}
	}
}

// TestAddedFieldsValid: what outRequest adds to the checked copy is held
// to checkOutboundField, so that a map it marks as checked holds no field
// the backend client would refuse.
func TestAddedFieldsValid(t *testing.T) {
	cases := []struct {
		name string
		xf   *[3]string
		be   *Backend
		want bool
	}{
		{"usual", &[3]string{"10.0.0.1", "api.example.com:8080", "http"}, nil, true},
		{"X-Forwarded-* elsewhere", nil, nil, false},
		{"no X-Forwarded-For", &[3]string{"", "h", "http"}, &Backend{}, true},
		{"Host with a LF", &[3]string{"1.2.3.4", "h\nX: y", "http"}, nil, false},
		{"client chain with a NUL", &[3]string{"1.2.3.4\x00", "h", "http"}, nil, false},
		{"credential", &[3]string{"1.2.3.4", "h", "http"}, &Backend{header: http.Header{"Authorization": {"Basic eA=="}}}, true},
		{"credential with a CR", &[3]string{"1.2.3.4", "h", "http"}, &Backend{header: http.Header{"X-Key": {"k\r"}}}, false},
		{"credential name not a token", &[3]string{"1.2.3.4", "h", "http"}, &Backend{header: http.Header{"X Key": {"k"}}}, false},
	}
	for _, c := range cases {
		if got := addedFieldsValid(c.xf, c.be); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		// Whatever it says, it says what checkOutboundField says of the
		// fields it looks at.
		all := c.xf != nil
		if c.xf != nil {
			all = checkOutboundField("X-Forwarded-For", c.xf[:1]) == nil && checkOutboundField("X-Forwarded-Host", c.xf[1:2]) == nil
		}
		if c.be != nil {
			for k, v := range c.be.header {
				all = all && checkOutboundField(k, v) == nil
			}
		}
		if all != c.want {
			t.Errorf("%s: checkOutboundField says %v", c.name, all)
		}
	}
}
