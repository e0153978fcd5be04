package policies

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tollgate/engine"
)

// FuzzValidateRequest runs validate-content and validate-parameters on
// arbitrary bodies, content types and query strings against the petstore
// specification, and validate-content on the bodies against the "account"
// schema resource (look-ahead patterns on .NET's engine, and a
// catastrophic one). Invariants: no panic; the request either passes or
// is refused with 400; a refusal names a validation reason.
//
//	go test -run x -fuzz FuzzValidateRequest -fuzztime 60s ./policies/
func FuzzValidateRequest(f *testing.F) {
	plan := compile(f, testDeps(), `<validate-content unspecified-content-type-action="prevent" max-size="4096" size-exceeded-action="prevent" errors-variable-name="b">
    <content-type-map missing-content-type-value="application/json" />
    <content validate-as="json" action="prevent" allow-additional-properties="false" />
</validate-content>
<validate-parameters specified-parameter-action="prevent" unspecified-parameter-action="detect" errors-variable-name="p" />`)
	account := compile(f, testDeps(), `<validate-content unspecified-content-type-action="ignore" max-size="4096" size-exceeded-action="prevent" errors-variable-name="b">
    <content-type-map any-content-type-value="application/json" />
    <content type="application/json" validate-as="json" schema-id="account" action="prevent" />
</validate-content>`)
	for _, seed := range []struct{ body, ct, query string }{
		{`{"name":"Rex"}`, "application/json", "limit=1&tags=a,b"},
		{`{"name":1,"owner":{"x":[1,2,{}]}}`, "application/hal+json; charset=x", "limit=-1e99"},
		{strings.Repeat("[", 3000), "", "tags=%zz&limit=1&limit=2"},
		{`"\ud800"`, "text/plain", ";;="},
		{`{"password":"Secret123","nick":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!","x-b":"1","tags":["é"]}`, "application/json", ""},
	} {
		f.Add(seed.body, seed.ct, seed.query)
	}
	f.Fuzz(func(t *testing.T, body, ct, query string) {
		for _, p := range []*engine.Plan{plan, account} {
			u := &url.URL{Scheme: "http", Host: "gw", Path: "/pets", RawQuery: query}
			s := engine.AcquireState(&engine.Api{Name: "pets", Type: "http", Path: "/pets", ServiceUrl: "http://127.0.0.1:1/"})
			s.SetRequest("POST", "http", "gw", u, http.Header{"Authorization": {"Bearer x"}}, "10.0.0.1")
			withOp(t, s, "POST", "/pets")
			withBody(s, body)
			if ct != "" {
				s.Context().Request.Headers["Content-Type"] = []string{ct}
			}
			if p.Run(context.Background(), engine.Inbound, s) {
				le := s.LastError()
				if s.Response().StatusCode != 400 || le == nil || le.Reason != ReasonBadRequest {
					t.Fatalf("refused with %d %+v", s.Response().StatusCode, le)
				}
			}
			s.Release()
		}
	})
}
