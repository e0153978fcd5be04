package gateway

import (
	"crypto/tls"
	"net/http"
	"net/http/httputil"
	"reflect"
	"testing"
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
