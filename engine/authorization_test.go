package engine

import (
	"context"
	"testing"
)

// TestAuthorizationType: get-authorization-context's variable is an
// Authorization, read as APIM's documented examples read it.
func TestAuthorizationType(t *testing.T) {
	auth := &Authorization{AccessToken: "tok-1", Claims: map[string]any{"token_type": "Bearer", "expires_in": float64(3600), "scope": "a b"}}
	cases := []struct {
		expr string
		vars map[string]any
		want any
	}{
		{`@(((Authorization)context.Variables.GetValueOrDefault("auth-context"))?.AccessToken)`, map[string]any{"auth-context": auth}, "tok-1"},
		{`@("Bearer " + ((Authorization)context.Variables.GetValueOrDefault("auth-context"))?.AccessToken)`, map[string]any{"auth-context": auth}, "Bearer tok-1"},
		{`@("Bearer " + ((Authorization)context.Variables.GetValueOrDefault("auth-context"))?.AccessToken)`, map[string]any{"auth-context": nil}, "Bearer "},
		{`@(((Authorization)context.Variables.GetValueOrDefault("auth-context"))?.AccessToken ?? "none")`, map[string]any{}, "none"},
		{`@((context.Variables["auth-context"] as Authorization).AccessToken)`, map[string]any{"auth-context": auth}, "tok-1"},
		{`@(context.Variables["auth-context"] as Authorization == null)`, map[string]any{"auth-context": "text"}, true},
		{`@(context.Variables.GetValueOrDefault<Authorization>("auth-context").AccessToken)`, map[string]any{"auth-context": auth}, "tok-1"},
		{`@((string)((Authorization)context.Variables["auth-context"]).Claims["scope"])`, map[string]any{"auth-context": auth}, "a b"},
		{`@(((Authorization)context.Variables["auth-context"]).Claims.ContainsKey("token_type"))`, map[string]any{"auth-context": auth}, true},
		{`@(((Authorization)context.Variables["auth-context"]).Claims.Count)`, map[string]any{"auth-context": auth}, 3},
		{`@{ var a = (Authorization)context.Variables["auth-context"]; object v; return a.Claims.TryGetValue("token_type", out v) ? (string)v : "-"; }`, map[string]any{"auth-context": auth}, "Bearer"},
	}
	for _, tc := range cases {
		plan, _, errs := csCompile(t, tc.expr)
		if len(errs) > 0 {
			t.Errorf("%s: %v", tc.expr, errs)
			continue
		}
		s := csState()
		for k, v := range tc.vars {
			s.Variables()[k] = v
		}
		if plan.Run(context.Background(), Inbound, s) {
			t.Errorf("%s: stopped: %+v", tc.expr, s.LastError())
			continue
		}
		if got := s.Variables()["out"]; got != tc.want {
			t.Errorf("%s = %#v, want %#v", tc.expr, got, tc.want)
		}
		s.Release()
	}
	// Members it does not have are load errors.
	if _, _, errs := csCompile(t, `@(((Authorization)context.Variables["a"]).RefreshToken)`); len(errs) == 0 {
		t.Error("Authorization.RefreshToken compiled")
	}
}
