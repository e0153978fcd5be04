package gateway

import (
	"net/http"
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
