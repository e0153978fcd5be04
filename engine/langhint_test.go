package engine

import (
	"strconv"
	"testing"
)

func TestCSharpSyntax(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want bool
	}{
		// C#-only syntax
		{`context.Variables["t"] == null || context.Variables["t"] == ''`, true},
		{`(string)context.Variables["t"]`, true},
		{`((IResponse)context.Variables["r"]).StatusCode`, true},
		{`(string[])x`, true},
		{`(int?)x`, true},
		{`(Newtonsoft.Json.Linq.JObject)(x)`, true},
		{`context.Request.Body.As<JObject>(preserveContent: true)`, true},
		{`t.ToObject<List<string>>()`, true},
		{`t.ToObject<string[]>()`, true},
		{`x.Where(k => k == "a")`, true},
		{`new JObject()`, true},
		{`var x = 1; return x;`, true},
		{`string s = "a"; return s;`, true},
		{`JObject o = null;`, true},
		{`x is string`, true},
		{`typeof(string)`, true},
		{`$"a{b}"`, true},
		{`@"c:\x"`, true},
		{`foreach (var h in x) {}`, true},
		// expr, or not evidence either way
		{`context.Variables["t"] == ''`, false},
		{`upper(context.Request.Method) == 'GET'`, false},
		{`let x = 1; x + 1`, false},
		{`context.Request.Headers.GetValueOrDefault("a", "") == nil`, false},
		{`filter(xs, # > 1)`, false},
		{`1 in [1, 2]`, false},
		{`{default: 1}`, false},
		{`x.Default`, false},
		{`context.Api?.Name`, false},
		{`a < b && c > (d)`, false},
		{`(x) + 1`, false},
		{`"null new var (string)x => $\"a\""`, false},
		{`'null' + "new"`, false},
		{"`null`", false},
		{`(Foo) + 1`, false},
		{``, false},
		{`"unclosed null`, false},
		{`x.As<`, false},
		{`(string`, false},
	} {
		t.Run(strconv.Quote(tc.src), func(t *testing.T) {
			if got := csharpSyntax(tc.src); got != tc.want {
				t.Fatalf("csharpSyntax(%q) = %v, want %v", tc.src, got, tc.want)
			}
		})
	}
}

// FuzzCSharpSyntax: the scan never panics, and text inside a string
// literal is never evidence.
func FuzzCSharpSyntax(f *testing.F) {
	for _, s := range []string{`x == null`, `(string)x`, `a.As<JObject>()`, `$"a"`, `"\"`, "`", `'`, `(A.B[]?)x`, `x.F<`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		csharpSyntax(s)
		if q := strconv.Quote(s); csharpSyntax(q) {
			t.Fatalf("a string literal %s taken as C# syntax", q)
		}
	})
}
