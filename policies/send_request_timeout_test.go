package policies

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"tollgate/engine"
	"tollgate/engine/csharp"
)

// lateAnswer is a transport that answers once the call's context is over:
// what net/http's Transport hands over when an answer races the call's
// cancellation. It cancels by closing the connection, a server whose
// handler returns on its request's end (as the tests' slow handlers do)
// then writes an empty 200 in the moment before the close, and
// persistConn.roundTrip takes an answer read by then rather than the
// cancellation's error. Real sockets make that race about 3 calls in 100
// under -race; this makes it every call.
var lateAnswer = rtFunc(func(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Length": {"0"}},
		Body: io.NopCloser(strings.NewReader("")), ContentLength: 0, Request: r}, nil
})

func lateClient() *http.Client {
	return &http.Client{Transport: lateAnswer, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// An answer that comes as the call's timeout passes is the timeout's
// failure, not the call's answer (APIM: the timeout fails the call), for
// each policy that waits for a call-out's answer: send-request (on-error
// with Timeout, or, with ignore-error, a null variable) and
// http-data-source, called by URL or through a backend entity. Each case
// runs against its own timeout (1 s, the smallest the attribute takes),
// under a request context that never ends.
func TestCalloutAnswerRacingTimeout(t *testing.T) {
	backends := &fakeBackends{m: map[string]PolicyBackend{"data": {URL: "https://data.example/api", Transport: lateAnswer}}}
	cases := []struct {
		name    string
		src     string // a <policies> inbound body, or a resolver (root http-data-source)
		ignored bool   // ignore-error: the variable r is null, and the pipeline goes on
		message string // the error's
	}{
		{name: "send-request", src: `<send-request response-variable-name="r" timeout="1"><set-url>https://data.example/slow?sig={{secret}}</set-url></send-request>`,
			message: "send-request to https://data.example/slow?sig=REDACTED timed out"},
		{name: "send-request ignore-error", ignored: true,
			src: `<send-request response-variable-name="r" timeout="1" ignore-error="true"><set-url>https://data.example/slow</set-url></send-request>`},
		{name: "http-data-source by URL", src: `<http-data-source><http-request><set-url>https://data.example/slow</set-url></http-request>
			<backend><forward-request timeout="1"/></backend></http-data-source>`,
			message: "the resolver's call to https://data.example/slow timed out"},
		{name: "http-data-source through a backend entity", src: `<http-data-source><http-request><set-backend-service backend-id="data"/><set-url>/slow</set-url></http-request>
			<backend><forward-request timeout="1"/></backend></http-data-source>`,
			message: "the resolver's call to backend data timed out"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := testDeps()
			d.HTTPClient, d.Backends = lateClient(), backends
			t0 := time.Now()
			var err error
			var s *engine.State
			if strings.HasPrefix(tc.src, "<http-data-source>") {
				root, rerr := engine.Read("resolver.xml", []byte(tc.src))
				if rerr != nil {
					t.Fatal(rerr)
				}
				c := engine.NewCompiler(Registry(d), engine.NewNamedValues())
				c.Backends = map[string]bool{"data": true}
				b := c.CompileResolver(root, "resolver")
				if errs := c.Errors(); len(errs) > 0 {
					t.Fatalf("load errors:\n%s", errs.Error())
				}
				s = engine.AcquireState(&engine.Api{Name: "gql", Type: "graphql"})
				PrepareResolverState(s, &engine.GraphQL{Arguments: csharp.NewJObject()})
				err = b.Run(context.Background(), s)
			} else {
				plan := compile(t, d, tc.src)
				s = request("http://gw/x")
				if stopped := runInbound(plan, s); stopped == tc.ignored {
					t.Fatalf("stopped: %v, want %v (last error %+v)", stopped, !tc.ignored, s.LastError())
				}
				if le := s.LastError(); le != nil {
					err = engine.NewPolicyError(le.Reason, s.Response().StatusCode, le.Message, nil)
				}
			}
			defer s.Release()
			if took := time.Since(t0); took < time.Second {
				t.Fatalf("answered after %v, before its timeout", took)
			}
			if tc.ignored {
				if v, ok := s.Variables()["r"]; !ok || v != nil {
					t.Errorf("r = %#v, want null (the call's failure ignored)", v)
				}
				return
			}
			var pe *engine.PolicyError
			if !errors.As(err, &pe) || pe.Reason != engine.ReasonTimeout || pe.Status != http.StatusGatewayTimeout || !strings.Contains(pe.Message, tc.message) {
				t.Fatalf("err = %v, want a 504 Timeout saying %q", err, tc.message)
			}
			if strings.Contains(pe.Message, "s3cr3t") {
				t.Errorf("the error quotes a secret: %s", pe.Message)
			}
		})
	}
}
