package engine

import (
	"net/http"
	"net/url"
	"testing"
)

// TestCSharpHeadersIndexIgnoresCase: indexing the request's or a response's
// headers from C# finds a header whatever the case it is written in, as
// ContainsKey and GetValueOrDefault do and as .NET's header dictionaries do
// (Microsoft's policy snippets read context.Request.Headers["cookie"]); a
// header that is not there reads as before.
func TestCSharpHeadersIndexIgnoresCase(t *testing.T) {
	set := func(s *State) {
		u, _ := url.Parse("http://gw/x")
		s.SetRequest("GET", "http", "gw", u, http.Header{"Cookie": {"a=1; oidc-s=G"}, "X-Multi": {"a", "b"}}, "10.0.0.1")
		s.SetResponse(&Response{StatusCode: 200, Headers: Headers{"Set-Cookie": {"k=v"}}})
	}
	for _, tc := range []struct{ src, want string }{
		{`context.Request.Headers["cookie"].Single()`, "a=1; oidc-s=G"},
		{`context.Request.Headers["COOKIE"].Length`, "1"},
		{`context.Request.Headers["Cookie"].Length`, "1"},
		{`string.Join("|", context.Request.Headers["x-multi"])`, "a|b"},
		{`context.Request.Headers["cookie"].Single().Split(';').Select(c => c.Trim().Split('=')).Single(c => c[0] == "oidc-s")[1]`, "G"},
		{`context.Response.Headers["set-cookie"][0]`, "k=v"},
		{`context.Request.Headers["x-missing"] == null`, "true"},
	} {
		csBothPaths(t, tc.src, tc.want, set)
	}
	csBothBlocks(t, `string[] v; return context.Request.Headers.TryGetValue("cookie", out v) ? v[0] : "none";`, "a=1; oidc-s=G", set)
	csBothBlocks(t, `string[] v; return context.Request.Headers.TryGetValue("x-missing", out v) ? "found" : "none";`, "none", set)
}
