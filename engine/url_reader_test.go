package engine

import "testing"

// TestUrlReader: an expression that may read context.Request.Url's scheme,
// host, port or path, or take the request or its Url as a value, builds
// the view RefreshUrl left to be built (State.run); one that reads the
// request's headers, body, query or variables alone does not.
func TestUrlReader(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{`context.Request.Headers.GetValueOrDefault("X-Tenant","anonymous")`, false},
		{`context.Request.Url.Query.GetValueOrDefault("mode","") == "echo"`, false},
		{`context.Request.Url.QueryString`, false},
		{`"{{rest-url}}" + context.Variables["route"]`, false},
		{`context.RequestId + context.Request.Method`, false},
		{`context.Request.Body.As<string>(preserveContent: true).Length`, false},
		{`System.Net.WebUtility.UrlEncode("a b")`, false},
		{`context.Request.Url.Path`, true},
		{`context.Request.Url.Host + context.Request.Headers["a"]`, true},
		{`context.Request.Url.Query["a"] + context.Request.Url.ToString()`, true},
		{`context.Request.Url`, true},
		{`context.Request`, true},
		{`context.Request.Clone()`, true},
		{`var r = context.Request; return r.Headers.Count;`, true},
		{`var u = context.Request.Url; return u.Query["a"];`, true},
		{`context.Request .Url.Path`, true},
		{`context.Request.OriginalUrl.Path`, true}, // not the view, but counted: the rule is kept simple
		{`context.Request.MatchedParameters["id"]`, false},
	} {
		if got := urlReader(tc.src); got != tc.want {
			t.Errorf("urlReader(%q) = %v, want %v", tc.src, got, tc.want)
		}
	}
}
