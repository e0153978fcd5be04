package engine

import (
	"strings"
	"testing"
)

// A null-conditional access short-circuits the rest of its chain, as C#
// defines it: a?.b.c() is null when a is, where evaluating .c() on a
// null would throw. Parentheses end the chain; a null met later in the
// chain, past a receiver that was not null, still throws.
func TestCSharpNullConditionalChain(t *testing.T) {
	noAuth := func(s *State) { delete(s.ctx.Request.Headers, "Authorization") }
	for _, tc := range []struct {
		name, text, want string
		set              func(*State)
	}{
		// the JWT idiom of APIM policies, on a request without a token
		{"AsJwt()?.Claims.GetValueOrDefault", `context.Request.Headers.GetValueOrDefault("Authorization", "").AsJwt()?.Claims.GetValueOrDefault("oid", "none") ?? "anonymous"`, "anonymous", noAuth},
		{"AsJwt()?.Subject.Length", `(context.Request.Headers.GetValueOrDefault("Authorization", "").AsJwt()?.Subject.Length ?? -1).ToString()`, "-1", noAuth},
		{"AsJwt()?.Audiences.Count()", `context.Request.Headers.GetValueOrDefault("Authorization", "").AsJwt()?.Audiences.Count() == null`, "true", noAuth},
		{"a string method chain", `((string)context.Variables["missing"])?.Trim().ToUpper() ?? "null"`, "null", nil},
		{"the chain runs when the receiver is there", `((string)context.Variables["s"])?.Trim().ToUpper().Length`, "5", nil},
		{"an indexer then a method", `context.Variables.GetValueOrDefault<JObject>("none")?["a"].ToString() ?? "null"`, "null", nil},
		{"LINQ after the link", `((string)context.Variables["missing"])?.Split(',').First() ?? "null"`, "null", nil},
		{"two links", `context.Variables.GetValueOrDefault<JObject>("none")?["a"]?["b"].ToString() ?? "null"`, "null", nil},
		{"the second link short-circuits", `JObject.Parse("{\"a\":{}}")?["x"]?["b"].ToString() ?? "null"`, "null", nil},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothPaths(t, tc.text, tc.want, tc.set) })
	}
	csBothBlocks(t, `string s = null; s?.Trim().ToUpper(); return "ran";`, "ran", nil)

	// what C# still throws for
	for _, tc := range []struct{ src, want string }{
		{`@((((string)context.Variables["missing"])?.Trim()).Length)`, "Object reference not set to an instance of an object."},
		{`@(new JObject()?["a"].ToString())`, "Object reference not set to an instance of an object."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	// and refuses
	for _, tc := range []struct{ src, want string }{
		{`@{ string s = null; int n = s?.Trim().Length; return n; }`, "cannot implicitly convert type 'int?' to 'int'"},
		{`@{ int i = 1; return i?.ToString().Length; }`, "operator '?' cannot be applied to operand of type 'int'"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
