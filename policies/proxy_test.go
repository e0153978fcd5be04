package policies

import (
	"strings"
	"testing"
)

// APIM's example writes username={{username}} without quotes, which is not
// XML: reported where it stands. Quoted, it loads.
func TestProxyDocExample(t *testing.T) {
	_, errs := compileErrs(testDeps(), `<proxy url="http://192.168.1.1:8080" username={{username}} password={{password}} />`)
	if len(errs) != 1 || !strings.Contains(errs.Error(), "policy.xml:1:") {
		t.Fatalf("as written: %v", errs)
	}
	plan := compile(t, testDeps(), `<proxy url="http://192.168.1.1:8080" username="{{backend}}" password="{{secret}}" />`)
	s := request("http://gw/chat")
	defer s.Release()
	tr := s.EnableTrace()
	runInbound(plan, s)
	if s.BackendProxy == nil || s.BackendProxy.Host != "192.168.1.1:8080" || s.BackendProxy.User.Username() != "ws://127.0.0.1:9/" {
		t.Fatalf("proxy %v", s.BackendProxy)
	}
	for _, st := range tr.Steps {
		for _, n := range st.Notes {
			if strings.Contains(n, "s3cr3t") {
				t.Fatalf("secret in trace: %q", n)
			}
		}
	}
	for _, c := range []struct{ src, want string }{
		{`<proxy/>`, `needs the attribute "url"`},
		{`<proxy url="https://p:8080"/>`, `must be http://host:port`},
		{`<proxy url="http://u:p@p:8080"/>`, `must be http://host:port`},
		{`<proxy url="@(context.Variables[&quot;p&quot;])"/>`, `written out`},
		{`<proxy url="http://p:8080" password="x"/>`, `password needs a username`},
		{`<proxy url="http://p:8080" domain="x"/>`, `has no attribute "domain"`},
		{"<policies><inbound/><backend/><outbound><proxy url=\"http://p:1\"/></outbound><on-error/></policies>", `not allowed in outbound`},
	} {
		_, errs := compileErrs(testDeps(), c.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, errs, c.want)
		}
		if strings.Contains(errs.Error(), "u:p@") {
			t.Errorf("credentials in an error: %v", errs)
		}
	}
}
