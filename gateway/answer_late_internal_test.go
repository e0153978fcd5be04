package gateway

import (
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"tollgate/gateway/h1/h1test"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// lateBackend answers every request once its context is over: what
// net/http's Transport hands over when an answer races the call's
// cancellation (it closes the connection, and a backend whose handler
// returns when its request ends sends an empty 200 in that moment;
// persistConn.roundTrip then takes an answer read by then). With real
// sockets that race is rare (a few calls in a hundred under -race); this
// makes it every call.
type lateBackend struct{}

func (lateBackend) RoundTrip(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Length": {"0"}},
		Body: http.NoBody, ContentLength: 0, Request: r}, nil
}

// TestBackendAnswerRacingTimeout: a REST backend's answer that comes as
// forward-request's timeout passes is the timeout (504, Timeout), not the
// client's answer, whether the gateway forwards after the policies or a
// forward-request inside retry sends it. The gateway is served on the
// front TOLLGATE_TEST_FRONT picks; the backend call goes to lateBackend.
func TestBackendAnswerRacingTimeout(t *testing.T) {
	for _, tc := range []struct{ name, backend string }{
		{"forwarded after the policies", `<forward-request timeout="1"/>`},
		{"forward-request inside retry", `<retry condition="@(false)" count="1" interval="0"><forward-request timeout="1"/></retry>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(rel, content string) { t.Helper(); testutil.WriteFile(t, filepath.Join(dir, rel), content) }
			write("a/api.xml", `<api name="a" type="http" path="/a" service-url="http://backend.example/"/>`)
			write("a/policy.xml", `<policies><inbound/><backend>`+tc.backend+`</backend><outbound/>
<on-error><set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header></on-error></policies>`)
			s, err := New(Options{Dir: dir, Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}), Getenv: func(string) string { return "" }})
			if err != nil {
				t.Fatal(err)
			}
			s.proxy.transport, s.proxy.upstream = lateBackend{}, false
			ts := h1test.NewServer(s)
			defer ts.Close()
			t0 := time.Now()
			res, err := http.Get(ts.URL + "/a/x")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if took := time.Since(t0); took < time.Second {
				t.Fatalf("answered after %v, before the timeout", took)
			}
			if res.StatusCode != http.StatusGatewayTimeout || res.Header.Get("X-Reason") != "Timeout" {
				t.Fatalf("%d (reason %q) %q, want 504 Timeout", res.StatusCode, res.Header.Get("X-Reason"), body)
			}
		})
	}
}
