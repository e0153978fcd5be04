package gateway_test

import (
	"net/http"
	"sync/atomic"
	"testing"
)

// TestQueryPoliciesKeepClientEncoding: the backend's request target keeps
// the client's query parameters byte for byte (%2F, %20, a raw /, a pair
// without "=", their order) when set-query-parameter changes another
// parameter or rewrite-uri copies them; only the parameter a policy sets
// is written anew. Each case runs on the front TOLLGATE_TEST_FRONT picks.
func TestQueryPoliciesKeepClientEncoding(t *testing.T) {
	var target atomic.Pointer[string]
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		s := r.RequestURI
		target.Store(&s)
	})
	const query = "?sp=%2Ftriggers%2Fmanual%2Frun&p=x/y&q=a%20b&flag&sig=a%2Bb%3D"
	for _, tc := range []struct{ name, inbound, want string }{
		{"set-query-parameter adds one", `<set-query-parameter name="code" exists-action="override"><value>k/1</value></set-query-parameter>`,
			"/svc/x" + query + "&code=k%2F1"},
		{"set-query-parameter overrides one", `<set-query-parameter name="p" exists-action="override"><value>z/w</value></set-query-parameter>`,
			"/svc/x?sp=%2Ftriggers%2Fmanual%2Frun&p=z%2Fw&q=a%20b&flag&sig=a%2Bb%3D"},
		{"set-query-parameter deletes one", `<set-query-parameter name="q" exists-action="delete"/>`,
			"/svc/x?sp=%2Ftriggers%2Fmanual%2Frun&p=x/y&flag&sig=a%2Bb%3D"},
		{"rewrite-uri copies them", `<rewrite-uri template="/run?api-version=2016-06-01"/>`,
			"/svc/run?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&p=x/y&q=a%20b&flag&sig=a%2Bb%3D"},
		{"no policy", ``, "/svc/x" + query},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := restAPI(t, be.URL+"/svc", "", `<policies><inbound>`+tc.inbound+`</inbound></policies>`)
			g := startGateway(t, dir)
			target.Store(nil)
			resp, body := get(t, g.url+"/orders/x"+query, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if got := target.Load(); got == nil || *got != tc.want {
				t.Errorf("the backend's request target %v, want %q", got, tc.want)
			}
		})
	}
}
