package policies

import (
	"strings"
	"testing"

	"tollgate/engine"
)

// A provider or connection that cannot be used (a secret named value
// without a value) and that no literal names is a notice at the
// parameter, saying which expressions may still name it.
func TestCredentialUnusableNotices(t *testing.T) {
	f := newFakeOAuth(t)
	const missing = `secret named value "s" has no value`
	at := engine.Pos{File: "p.json", Line: 4, Col: 9}
	unusableProvider := func() CredentialProvider {
		p := credProvider(f, "github-01", "auth-01")
		delete(p.Params, "clientSecret")
		p.Unusable, p.UnusablePos = "oauth2.grantTypes.clientCredentials.clientSecret: "+missing, at
		return p
	}
	unusableConn := func() CredentialProvider {
		p := credProvider(f, "github-01", "auth-01")
		p.Connections = append(p.Connections, CredentialConnection{ID: "other", Pos: engine.Pos{File: "c2.json", Line: 1, Col: 1},
			Unusable: "parameters.clientSecret: " + missing, UnusablePos: engine.Pos{File: "c2.json", Line: 2, Col: 7}})
		return p
	}
	const (
		provNote  = `p.json:4:9: ignored: credential provider github-01 cannot be used: oauth2.grantTypes.clientCredentials.clientSecret: ` + missing
		connNote  = `c2.json:2:7: ignored: connection other of credential provider github-01 cannot be used: parameters.clientSecret: ` + missing
		dynamic   = `<get-authorization-context provider-id="@(context.Request.Headers.GetValueOrDefault(&quot;X-P&quot;, &quot;&quot;))" authorization-id="auth-01" context-variable-name="a"/>`
		dynConn   = `<get-authorization-context provider-id="github-01" authorization-id="@(context.Request.Headers.GetValueOrDefault(&quot;X-C&quot;, &quot;&quot;))" context-variable-name="a"/>`
		elsewhere = `<get-authorization-context provider-id="elsewhere" authorization-id="@(context.Request.Headers.GetValueOrDefault(&quot;X-C&quot;, &quot;&quot;))" context-variable-name="a"/>`
	)
	other := credProvider(f, "elsewhere", "c")
	for _, tc := range []struct {
		name     string
		def      CredentialProvider
		policies []string
		errs     string
		notes    []string
	}{
		{name: "nothing uses the provider", def: unusableProvider(), notes: []string{provNote + ` (nothing uses it)`}},
		{name: "a literal names the provider", def: unusableProvider(),
			policies: []string{`<get-authorization-context provider-id="github-01" authorization-id="auth-01" context-variable-name="a"/>`},
			errs:     `credential provider "github-01" cannot be used: p.json:4:9: oauth2.grantTypes.clientCredentials.clientSecret: ` + missing},
		{name: "an expression may name the provider", def: unusableProvider(), policies: []string{dynamic},
			notes: []string{provNote + ` (no literal provider-id names it; the get-authorization-context whose id is the expression at policy.xml:1:60 fails with AuthorizationFailed when it names it)`}},
		{name: "expressions in several policies", def: unusableProvider(), policies: []string{dynamic, dynamic, "<set-variable name=\"x\" value=\"1\"/>\n" + dynamic},
			notes: []string{provNote + ` (no literal provider-id names it; a get-authorization-context whose id is an expression (at policy.xml:1:60, policy.xml:2:41) fails with AuthorizationFailed when it names it)`}},
		{name: "a connection expression of the provider does not reach another provider", def: unusableProvider(), policies: []string{elsewhere},
			notes: []string{provNote + ` (nothing uses it)`}},
		{name: "nothing uses the connection", def: unusableConn(), notes: []string{connNote + ` (nothing uses it)`}},
		{name: "a literal names the connection", def: unusableConn(),
			policies: []string{`<get-authorization-context provider-id="github-01" authorization-id="other" context-variable-name="a"/>`},
			errs:     `connection "other" of credential provider "github-01" cannot be used: c2.json:2:7: parameters.clientSecret: ` + missing},
		{name: "a connection expression of its provider", def: unusableConn(), policies: []string{dynConn},
			notes: []string{connNote + ` (no literal authorization-id names it; the get-authorization-context whose id is the expression at policy.xml:1:89 fails with AuthorizationFailed when it names it)`}},
		{name: "a connection expression of another provider", def: unusableConn(), policies: []string{elsewhere},
			notes: []string{connNote + ` (nothing uses it)`}},
		{name: "usable", def: credProvider(f, "github-01", "auth-01"), policies: []string{dynamic}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newCredFixture(t, f, tc.def, other)
			var errs []string
			for _, src := range tc.policies {
				if _, el := fx.compileErrs(src); len(el) > 0 {
					errs = append(errs, el.Error())
				}
			}
			if got := strings.Join(errs, "\n"); (tc.errs == "") != (got == "") || !strings.Contains(got, tc.errs) {
				t.Fatalf("errors: %s\nwant: %s", got, tc.errs)
			}
			if tc.errs != "" {
				return // the load fails: its notices are not shown
			}
			if got := fx.set.Notices(); strings.Join(got, "\n") != strings.Join(tc.notes, "\n") {
				t.Fatalf("notices:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.notes, "\n"))
			}
		})
	}
}
