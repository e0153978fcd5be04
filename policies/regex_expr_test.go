package policies

import (
	"strings"
	"testing"
)

// TestPolicyRegexDotNet: C#'s Regex in policies runs .NET's regular
// expressions: a look-behind masking a header, a back-reference
// validating one; and a catastrophic pattern on a client's header fails
// the expression (RegexMatchTimeoutException, tollgate's default limit)
// instead of holding the request.
func TestPolicyRegexDotNet(t *testing.T) {
	plan := compile(t, testDeps(), `
<set-header name="X-Card" exists-action="override"><value>@(Regex.Replace(context.Request.Headers.GetValueOrDefault("X-Card", ""), @"(?<=\d{4})\d(?=\d{4})", "*"))</value></set-header>
<set-variable name="twice" value="@(Regex.IsMatch(context.Request.Headers.GetValueOrDefault("X-Id", ""), @"^(\w+)-\1$"))" />
<set-variable name="name-ok" value="@(Regex.IsMatch(context.Request.Headers.GetValueOrDefault("X-Name", ""), @"^(\w+\s?)*$"))" />`)
	for _, tc := range []struct {
		name, card, id, nameHdr string
		failed                  bool
		wantCard, wantTwice     string // when the run did not fail
	}{
		{"fine", "4111111111111111", "ab-ab", "Jane Doe", false, "4111********1111", "True"},
		{"not twice", "1234", "ab-cd", "x", false, "1234", "False"},
		{"hostile name", "1", "a-a", strings.Repeat("a", 40) + "!", true, "1", "True"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := request("http://gw/chat", "X-Card", tc.card, "X-Id", tc.id, "X-Name", tc.nameHdr)
			defer s.Release()
			ended := runInbound(plan, s)
			if ended != tc.failed {
				t.Fatalf("ended %v, want %v (%+v)", ended, tc.failed, s.LastError())
			}
			if got := s.Context().Request.Headers["X-Card"]; !tc.failed && (len(got) != 1 || got[0] != tc.wantCard) {
				t.Errorf("X-Card %q, want %q", got, tc.wantCard)
			}
			if got, _ := s.Variables()["twice"].(bool); !tc.failed && got != (tc.wantTwice == "True") {
				t.Errorf("twice %v, want %s", s.Variables()["twice"], tc.wantTwice)
			}
			if tc.failed {
				le := s.LastError()
				if le == nil || !strings.Contains(le.Message, "The Regex engine has timed out") || strings.Contains(le.Message, "aaaa!") {
					t.Errorf("last error %+v", le)
				}
			}
		})
	}
}

// TestPolicyRegexPatternFromRequest: a policy that compiles the pattern a
// client sends: a fine one runs; one past tollgate's compile bounds (too
// long, or classes too wide for IgnoreCase to fold) fails the expression
// as a match timeout does, without quoting the pattern, and compiles
// nothing.
func TestPolicyRegexPatternFromRequest(t *testing.T) {
	plan := compile(t, testDeps(), `
<set-variable name="m" value="@(Regex.IsMatch(context.Request.Headers.GetValueOrDefault("X-Text", ""), context.Request.Headers.GetValueOrDefault("X-Pattern", ""), RegexOptions.IgnoreCase))" />`)
	for _, tc := range []struct {
		name, pattern string
		want          string // the error's message, "" for none
	}{
		{"fine", `^SE[a-z]+t$`, ""},
		{"long", "secret" + strings.Repeat("a", 9000), "the regular expression's pattern has 9006 characters, past tollgate's bound of 8192"},
		{"wide classes", "secret" + strings.Repeat(`[\u0000-\uFFFF]`, 40), "the regular expression's character classes span 2621440 characters for IgnoreCase to fold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := request("http://gw/chat", "X-Text", "secret", "X-Pattern", tc.pattern)
			defer s.Release()
			ended := runInbound(plan, s)
			if ended != (tc.want != "") {
				t.Fatalf("ended %v (%+v)", ended, s.LastError())
			}
			if tc.want == "" {
				if got, _ := s.Variables()["m"].(bool); !got {
					t.Errorf("m = %v", s.Variables()["m"])
				}
				return
			}
			le := s.LastError()
			if le == nil || le.Reason != "ExpressionValueEvaluationFailure" || !strings.Contains(le.Message, tc.want) || strings.Contains(le.Message, "secret") {
				t.Errorf("last error %+v", le)
			}
		})
	}
}
