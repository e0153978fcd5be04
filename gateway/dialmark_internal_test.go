package gateway

import (
	"net/http"
	"reflect"
	"testing"

	"tollgate/engine"
)

// TestDialMark: a backend handshake's map is marked as checked (so that
// the dial does not check it again) only when every field in it was
// checked: the policies' headers by the caller, and here what
// forwardHeaders and backendCredentials added. Whatever may add or change a
// field after the mark (telemetry, diagnostics, a retry's dial, the GraphQL
// and MCP paths) leaves it unmarked. A marked map holds only fields
// checkOutboundField accepts.
func TestDialMark(t *testing.T) {
	cases := []struct {
		name    string
		host    string
		be      *Backend
		checked bool // the caller checked the policies' headers
		traced  bool // telemetry adds trace headers
		set     func(x *exchange)
		want    bool
	}{
		{"usual", "api.example.com", nil, true, false, nil, true},
		{"credential", "h", &Backend{header: http.Header{"Authorization": {"Basic eA=="}}}, true, false, nil, true},
		{"a retry's dial", "h", nil, false, false, nil, false},
		{"telemetry", "h", nil, true, true, nil, false},
		{"diagnostics", "h", nil, true, false, func(x *exchange) { x.m.diag = &diagRequest{} }, false},
		{"GraphQL", "h", nil, true, false, func(x *exchange) { x.api.gql = &syntheticGraphQL{} }, false},
		{"MCP", "h", nil, true, false, func(x *exchange) { x.api.mcp = &mcpServer{} }, false},
		{"a Host with a LF", "h\nX: y", nil, true, false, nil, false},
		{"a credential with a CR", "h", &Backend{header: http.Header{"X-Key": {"k\r"}}}, true, false, nil, false},
		{"a credential name not a token", "h", &Backend{header: http.Header{"X Key": {"k"}}}, true, false, nil, false},
	}
	for _, c := range cases {
		x := &exchange{api: &API{}, be: c.be}
		if c.set != nil {
			c.set(x)
		}
		r, _ := http.NewRequest("GET", "http://gw/ws", nil)
		r.Host, r.RemoteAddr = c.host, "192.0.2.7:5000"
		dh := &dialHeader{h: http.Header{}}
		dialHeaders(dh, engine.Headers{"Accept": {"a"}, "X-Forwarded-For": {"10.0.0.1"}, "Connection": {"Upgrade"}}, r)
		backendCredentials(x.be, dh.h)
		ck := x.dialMark(dh, c.checked, c.traced)
		if got := ck.Fields > 0; got != c.want {
			t.Errorf("%s: marked %v, want %v", c.name, got, c.want)
			continue
		}
		if !c.want {
			continue
		}
		if ck.Fields != len(dh.h) || len(dh.h) == 0 {
			t.Errorf("%s: %d fields marked, the map holds %d", c.name, ck.Fields, len(dh.h))
		}
		dh.h["Added"] = []string{"x"} // (the map the mark names: the same one)
		if _, ok := ck.Header["Added"]; !ok {
			t.Errorf("%s: the mark names another map", c.name)
		}
		delete(dh.h, "Added")
		for k, vs := range dh.h {
			if err := checkOutboundField(k, vs); err != nil {
				t.Errorf("%s: marked, and %v", c.name, err)
			}
		}
	}
}

// TestCheckedDialHeaders: the handshake's one walk of the policies'
// headers (checkedDialHeaders) refuses what checkOutboundHeaders refuses
// and fills the backend handshake's map as dialHeaders does: hop-by-hop
// and handshake fields dropped, X-Forwarded-For appended to the client's.
func TestCheckedDialHeaders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		h      engine.Headers
		remote string
	}{
		{"usual", engine.Headers{"X-Tenant": {"acme"}, "Authorization": {"Bearer t"}, "Host": {"gw"},
			"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Key": {"k"}, "Sec-Websocket-Version": {"13"}}, "192.0.2.7:5000"},
		{"prior X-Forwarded-For", engine.Headers{"X-Forwarded-For": {"10.0.0.1", "10.0.0.2"}, "X-Forwarded-Host": {"x"}}, "192.0.2.7:5000"},
		{"no port", engine.Headers{"X-Forwarded-For": {"10.0.0.1"}, "Accept": {"a"}}, "192.0.2.7"},
		{"handshake fields", engine.Headers{"Sec-Websocket-Protocol": {"a"}, "Sec-Websocket-Extensions": {"x"}, "Sec-Websocket-Accept": {"y"}, "Keep-Alive": {"5"}}, "[2001:db8::1]:443"},
		{"CR LF", engine.Headers{"X-A": {"1"}, "X-Bad": {"a\r\nInjected: 1"}}, "192.0.2.7:5000"},
		{"name not a token", engine.Headers{"X Bad": {"1"}}, "192.0.2.7:5000"},
		{"bad value in a handshake field", engine.Headers{"Sec-Websocket-Key": {"a\nb"}}, "192.0.2.7:5000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "http://gw/ws", nil)
			r.Host, r.RemoteAddr = "gw.example", tc.remote
			got := &dialHeader{h: http.Header{}}
			err := checkedDialHeaders(got, tc.h, r)
			wantErr := checkOutboundHeaders(tc.h)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("error %v, checkOutboundHeaders %v", err, wantErr)
			}
			if err != nil {
				return
			}
			want := &dialHeader{h: http.Header{}}
			dialHeaders(want, tc.h, r)
			if !reflect.DeepEqual(got.h, want.h) {
				t.Errorf("got %q, want %q", got.h, want.h)
			}
		})
	}
}
