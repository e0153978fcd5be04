package engine

import (
	"strings"
	"testing"
)

// TestCSharpGetValueOrDefaultNull: the one-argument GetValueOrDefault of a
// string-valued context dictionary (Headers, Query, MatchedParameters,
// Jwt.Claims), and the two-argument form with a null default, give C#'s
// null for a missing name, not "" (survey28 A1: hmcts' get-sessions
// answers a mock when Query.GetValueOrDefault("sessionIdCaseHQ") != null).
// A present name gives its value; a non-null default is unchanged.
func TestCSharpGetValueOrDefaultNull(t *testing.T) {
	set := func(s *State) {
		s.ctx.Request.MatchedParameters = map[string]string{"id": "7"}
		s.ctx.Request.Headers["X-Empty"] = []string{""}
		s.Variables()["ns"] = nil
	}
	for _, tc := range []struct{ src, want string }{
		// survey28's proposed lines
		{`(context.Request.Headers.GetValueOrDefault("nope") == null).ToString()`, "True"},
		{`(context.Request.Url.Query.GetValueOrDefault("nope") != null).ToString()`, "False"},
		{`(context.Request.Headers.GetValueOrDefault("nope", null) == null).ToString()`, "True"},
		{`context.Request.Headers.GetValueOrDefault("nope") ?? "d"`, "d"},
		// 034's condition, the parameter absent and present
		{`context.Request.OriginalUrl.Query.GetValueOrDefault("sessionIdCaseHQ") != null`, "false"},
		{`context.Request.OriginalUrl.Query.GetValueOrDefault("param1") != null`, "true"},
		{`context.Request.OriginalUrl.Query.GetValueOrDefault("param1")`, "value1"},
		{`context.Request.Url.Query.GetValueOrDefault("x")`, "a,b"},
		{`context.Request.Url.Query.GetValueOrDefault("x", null)`, "a,b"},
		{`context.Request.Headers.GetValueOrDefault("x-multi")`, "a,b"},
		// a present but empty header is "", not null
		{`context.Request.Headers.GetValueOrDefault("X-Empty") == null`, "false"},
		{`context.Request.Headers.GetValueOrDefault("X-Empty") == ""`, "true"},
		// 031's counter key
		{`context.Request.Headers.GetValueOrDefault("X-Forwarded-For") ?? context.Request.IpAddress`, "10.0.0.7"},
		{`context.Request.Headers.GetValueOrDefault("nope", "") == null`, "false"},
		{`context.Request.Headers.GetValueOrDefault("nope", "dflt")`, "dflt"},
		{`context.Request.Headers.GetValueOrDefault("nope") == ""`, "false"},
		// a default that is null at run time
		{`context.Request.Headers.GetValueOrDefault("nope", (string)context.Variables["ns"]) == null`, "true"},
		{`context.Request.Headers.GetValueOrDefault("nope", (string)context.Variables["s"])`, "hello"},
		{`context.Request.Headers.GetValueOrDefault("x-multi", (string)context.Variables["ns"])`, "a,b"},
		// the response's headers, the matched parameters, a JWT's claims
		{`((IResponse)context.Variables["resp"]).Headers.GetValueOrDefault("nope") == null`, "true"},
		{`((IResponse)context.Variables["resp"]).Headers.GetValueOrDefault("content-type")`, "application/json"},
		{`context.Request.MatchedParameters.GetValueOrDefault("nope") == null`, "true"},
		{`context.Request.MatchedParameters.GetValueOrDefault("id")`, "7"},
		{`context.Request.MatchedParameters.GetValueOrDefault("nope", null) ?? "d"`, "d"},
		{`"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSJ9.".AsJwt().Claims.GetValueOrDefault("nope") ?? "d"`, "d"},
		{`"[" + "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSJ9.".AsJwt().Claims.GetValueOrDefault("nope") + "]"`, "[]"},
		// context.Variables' one-argument form was already object/null
		{`context.Variables.GetValueOrDefault("nope") == null`, "true"},
		{`context.Variables.GetValueOrDefault("s")`, "hello"},
		// null meets string operators as C# has it
		{`"[" + context.Request.Headers.GetValueOrDefault("nope") + "]"`, "[]"},
		{`$"[{context.Request.Url.Query.GetValueOrDefault("nope")}]"`, "[]"},
		{`context.Request.Headers.GetValueOrDefault("nope")?.Length ?? -1`, "-1"},
		{`string.IsNullOrEmpty(context.Request.Headers.GetValueOrDefault("nope"))`, "true"},
		{`context.Request.Headers.GetValueOrDefault("nope") == context.Request.Url.Query.GetValueOrDefault("nope")`, "true"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, set) })
	}
	// .Length and a method of the missing value: NullReferenceException, as in APIM
	for _, src := range []string{
		`context.Request.Headers.GetValueOrDefault("nope").Length`,
		`context.Request.Headers.GetValueOrDefault("nope").Split(',')[0]`,
		`context.Request.Url.Query.GetValueOrDefault("nope", null).ToUpper()`,
	} {
		csBothBlocks(t, `try { var v = `+src+`; return "no exception"; } catch (NullReferenceException e) { return e.Message; }`, "Object reference not set to an instance of an object.", set)
		if _, err, _ := csRun(t, "@(("+src+").ToString())", set); err == nil || !strings.Contains(err.Error(), "Object reference not set") {
			t.Errorf("%s: %v, want a NullReferenceException", src, err)
		}
	}
}

// TestCSharpNullReceiverLowered: a string method or an unboxing given null
// in a lowered expression is .NET's NullReferenceException, as on the
// interpreter, not the expr VM's "interface conversion" text.
func TestCSharpNullReceiverLowered(t *testing.T) {
	for _, src := range []string{
		`@(context.Request.Headers.GetValueOrDefault("nope").ToUpper())`,
		`@(((string)context.Variables.GetValueOrDefault("nope")).Trim())`,
		`@{ string s = null; return s.ToUpper(); }`,
		`@(context.Request.Headers.GetValueOrDefault("nope").Length.ToString())`,
	} {
		_, err, _ := csRun(t, src, nil)
		if err == nil || !strings.Contains(err.Error(), "Object reference not set to an instance of an object.") || strings.Contains(err.Error(), "interface conversion") {
			t.Errorf("%s: %v", src, err)
		}
	}
}
