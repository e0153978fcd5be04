package policies

import "testing"

// TestSetQueryParameterKeepsOthersAsWritten: set-query-parameter rewrites
// its own parameter only; the client's other pairs reach the backend byte
// for byte (their escapes, %2F and %20 and a raw /, their order, a pair
// without "="), and so do the parameter's own pairs when the change keeps
// them (skip, append, an override with the same value).
func TestSetQueryParameterKeepsOthersAsWritten(t *testing.T) {
	for _, tc := range []struct {
		name, query, policy, want string
	}{
		{"add", "?sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&q=a%20b&path=x/y&flag",
			`<set-query-parameter name="code" exists-action="override"><value>k/1</value></set-query-parameter>`,
			"?sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&q=a%20b&path=x/y&flag&code=k%2F1"},
		{"override in place", "?z=%7E1&id=1&a=%2f",
			`<set-query-parameter name="id" exists-action="override"><value>2</value><value>3</value></set-query-parameter>`,
			"?z=%7E1&id=2&id=3&a=%2f"},
		{"override drops its other pairs", "?id=1&b=%2F&id=9",
			`<set-query-parameter name="id" exists-action="override"><value>2</value></set-query-parameter>`,
			"?id=2&b=%2F"},
		{"override, same value", "?id=a%2Fb&b=c/d",
			`<set-query-parameter name="id" exists-action="override"><value>a/b</value></set-query-parameter>`,
			"?id=a%2Fb&b=c/d"},
		{"an escaped key is the parameter", "?i%64=1&b=%2F",
			`<set-query-parameter name="id" exists-action="override"><value>2</value></set-query-parameter>`,
			"?id=2&b=%2F"},
		{"delete", "?a=%2F&gone=1&b=x/y&gone=2",
			`<set-query-parameter name="gone" exists-action="delete"/>`,
			"?a=%2F&b=x/y"},
		{"delete the last", "?gone=%2F",
			`<set-query-parameter name="gone" exists-action="delete"/>`,
			""},
		{"delete what is not there", "?a=%2f&&b",
			`<set-query-parameter name="gone" exists-action="delete"/>`,
			"?a=%2f&&b"},
		{"skip, there", "?id=%2F&b=%2F",
			`<set-query-parameter name="id" exists-action="skip"><value>2</value></set-query-parameter>`,
			"?id=%2F&b=%2F"},
		{"skip, not there", "?b=%2F",
			`<set-query-parameter name="id" exists-action="skip"><value>/</value></set-query-parameter>`,
			"?b=%2F&id=%2F"},
		{"append after the last pair", "?id=%2F&b=%2F&id=x/y&c=1",
			`<set-query-parameter name="id" exists-action="append"><value>z</value></set-query-parameter>`,
			"?id=%2F&b=%2F&id=x/y&id=z&c=1"},
		{"two policies", "?sig=a%2Bb%3D&sp=%2Frun",
			`<set-query-parameter name="api-version" exists-action="override"><value>2016-06-01</value></set-query-parameter>
<set-query-parameter name="sv" exists-action="skip"><value>1.0</value></set-query-parameter>`,
			"?sig=a%2Bb%3D&sp=%2Frun&api-version=2016-06-01&sv=1.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, testDeps(), tc.policy)
			s := request("http://gw/api" + tc.query)
			defer s.Release()
			if runInbound(plan, s) {
				t.Fatalf("stopped: %+v", s.LastError())
			}
			if got := s.Context().Request.Url.QueryString; got != tc.want {
				t.Errorf("QueryString %q, want %q", got, tc.want)
			}
			if o := s.Context().Request.OriginalUrl; o != nil && o.QueryString != tc.query {
				t.Errorf("OriginalUrl.QueryString %q changed from %q", o.QueryString, tc.query)
			}
		})
	}
}
