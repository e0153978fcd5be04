package policies

import "testing"

// TestChooseOnOneArgumentGetValueOrDefault: survey28's 034 (hmcts
// get-sessions) answers a canned session when the request has the
// sessionIdCaseHQ parameter and goes to the backend otherwise; the
// one-argument GetValueOrDefault is null for a missing parameter, as in
// C#, so the condition is false without it (it gave "" and took the mock
// for every request).
func TestChooseOnOneArgumentGetValueOrDefault(t *testing.T) {
	plan := compile(t, testDeps(), `
<choose>
  <when condition="@(context.Request.OriginalUrl.Query.GetValueOrDefault(&quot;sessionIdCaseHQ&quot;) != null)">
    <return-response><set-status code="200" reason="OK" /><set-body>mock</set-body></return-response>
  </when>
</choose>
<set-variable name="fwd" value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Forwarded-For&quot;) ?? context.Request.IpAddress)" />`)
	for _, tc := range []struct {
		url  string
		hdr  []string
		mock bool
		fwd  string
	}{
		{"https://gw.example/chat/sessions?sessionIdCaseHQ=42", nil, true, ""},
		{"https://gw.example/chat/sessions?sessionIdCaseHQ=", nil, true, ""},
		{"https://gw.example/chat/sessions?other=1", nil, false, "10.1.2.3"},
		{"https://gw.example/chat/sessions", []string{"X-Forwarded-For", "203.0.113.9"}, false, "203.0.113.9"},
	} {
		s := request(tc.url, tc.hdr...)
		ended := runInbound(plan, s)
		if ended != tc.mock {
			t.Errorf("%s: mock %v, want %v", tc.url, ended, tc.mock)
		}
		if !tc.mock {
			if got, _ := s.Variables()["fwd"].(string); got != tc.fwd {
				t.Errorf("%s: counter key %q, want %q", tc.url, got, tc.fwd)
			}
		}
		s.Release()
	}
}
