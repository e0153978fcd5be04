package gateway

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tollgate/engine"
)

// The backend URL's query: the base URL's first, verbatim, then every
// request parameter the base does not set, verbatim, without empty parts.
// The common case (no base query, no empty part) takes the request's query
// as it is; every case must equal the general merge.
func TestBuildBackendURLQuery(t *testing.T) {
	merge := func(base, req string) string { // the general rule, spelled out
		have, _ := url.ParseQuery(base)
		out := []string{}
		if base != "" {
			out = append(out, base)
		}
		for _, part := range strings.Split(req, "&") {
			if part == "" {
				continue
			}
			k, _, _ := strings.Cut(part, "=")
			if name, err := url.QueryUnescape(k); err == nil && have.Has(name) {
				continue
			}
			out = append(out, part)
		}
		return strings.Join(out, "&")
	}
	for _, tc := range []struct{ service, query string }{
		{"ws://b/", "mode=echo&tenant=acme"},
		{"ws://b/", "a=%2F%3d&b=x+y&asrs_request_id=Zm9v%3D%3D"},
		{"ws://b/", "&a=1"},
		{"ws://b/", "a=1&"},
		{"ws://b/", "a=1&&b=2"},
		{"ws://b/", "&"},
		{"ws://b/?key=base", "key=client&other=1"},
		{"ws://b/?key=base", "%6Bey=client&x"},
		{"ws://b/?a=1&b", "b=2&c=3&&"},
	} {
		svc, _ := url.Parse(tc.service)
		api := &API{Name: "q", Path: "/chat", ServiceURL: svc}
		api.Info = &engine.Api{Name: api.Name}
		st := engine.AcquireState(api.Info)
		st.SetRequest(http.MethodGet, "ws", "gw", &url.URL{Path: "/chat/x", RawQuery: tc.query}, http.Header{}, "192.0.2.1")
		x := &exchange{api: api, st: st}
		u, err := x.buildBackendURL(true)
		st.Release()
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if want := merge(svc.RawQuery, tc.query); u.RawQuery != want {
			t.Errorf("%+v: query %q, want %q", tc, u.RawQuery, want)
		}
		if u.Path != "/x" {
			t.Errorf("%+v: path %q", tc, u.Path)
		}
	}
}
