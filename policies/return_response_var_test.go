package policies

import (
	"strings"
	"testing"
)

// return-response with response-variable-name: a send-request response is
// the starting point; a variable no policy set (deployed policies copy the
// reference's placeholder "existing context variable") starts from an
// empty response that the children build; a variable that holds something
// else is an error.
func TestReturnResponseVariable(t *testing.T) {
	// As pagoPA's production policies write it (the reference's policy
	// statement copied with its placeholder name).
	const placeholder = `<return-response response-variable-name="existing context variable">
  <set-status code="404" reason="Not found" />
  <set-header name="Content-Type" exists-action="override"><value>application/json</value></set-header>
  <set-body>{"title": "Unable to get transaction status"}</set-body>
</return-response>`
	for _, tc := range []struct {
		name, policy string
		notice       string // "" for none
		status       int
		body, ctype  string
		reason       string // LastError.Reason when the policy fails
	}{
		{name: "placeholder name, never set", policy: placeholder,
			notice: `placeholder of APIM's policy reference`, status: 404, body: `{"title": "Unable to get transaction status"}`, ctype: "application/json"},
		{name: "another name, never set, no children", policy: `<return-response response-variable-name="r"/>`, status: 200},
		{name: "a send-request-like response", policy: `<set-variable name="x" value="1"/>
<return-response response-variable-name="x"><set-status code="201"/></return-response>`, reason: "ExpressionValueEvaluationFailure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, errs, notices := jwtNotices(t, tc.policy)
			if len(errs) > 0 {
				t.Fatal(errs.Error())
			}
			if got := strings.Join(notices, "\n"); (tc.notice == "") != (got == "") || !strings.Contains(got, tc.notice) {
				t.Errorf("notices = %q, want one with %q", got, tc.notice)
			}
			s := request("https://gw/api")
			defer s.Release()
			if !runInbound(root, s) {
				t.Fatal("the pipeline went on")
			}
			if tc.reason != "" {
				if le := s.LastError(); le == nil || le.Reason != tc.reason {
					t.Fatalf("LastError = %+v, want %s", le, tc.reason)
				}
				return
			}
			if le := s.LastError(); le != nil {
				t.Fatalf("LastError = %+v", le)
			}
			r := s.Response()
			body, _ := r.Body.AsString()
			if r.StatusCode != tc.status || body != tc.body || r.Headers.GetValueOrDefault("Content-Type", "") != tc.ctype {
				t.Errorf("response = %d %q %v, want %d %q", r.StatusCode, body, r.Headers, tc.status, tc.body)
			}
		})
	}
}
