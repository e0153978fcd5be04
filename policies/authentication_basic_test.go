package policies

import (
	"strings"
	"testing"
)

// APIM's example as written, with named values (the secret one must never
// reach a trace).
func TestAuthenticationBasicDocExample(t *testing.T) {
	plan := compile(t, testDeps(), `<set-variable name="UserName" value="{{backend}}"/><authentication-basic username="user" password="{{secret}}" />`)
	s := request("http://gw/chat", "Authorization", "Bearer client-token")
	defer s.Release()
	tr := s.EnableTrace()
	runInbound(plan, s)
	if got := s.Context().Request.Headers.GetValueOrDefault("Authorization", ""); got != "Basic dXNlcjpzM2NyM3Q=" { // user:s3cr3t
		t.Fatalf("Authorization = %q", got)
	}
	for _, st := range tr.Steps {
		for _, n := range st.Notes {
			if strings.Contains(n, "s3cr3t") || strings.Contains(n, "dXNlcjpzM2NyM3Q") {
				t.Fatalf("secret in trace: %q", n)
			}
		}
	}
	for _, c := range []struct{ src, want string }{
		{`<authentication-basic username="u"/>`, `needs the attribute "password"`},
		{`<authentication-basic password="p"/>`, `needs the attribute "username"`},
		{`<authentication-basic username="a:b" password="p"/>`, `cannot contain ":"`},
		{`<authentication-basic username="u" password="p" realm="r"/>`, `has no attribute "realm"`},
		{"<policies><inbound/><backend/><outbound><authentication-basic username=\"u\" password=\"p\"/></outbound><on-error/></policies>", `not allowed in outbound`},
	} {
		_, errs := compileErrs(testDeps(), c.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, errs, c.want)
		}
	}
}
