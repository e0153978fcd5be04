package engine

import "testing"

// BenchmarkCSharpRegex: typical policy patterns, a whole expression run
// each (compiled patterns come from the cache):
//
//	go test -run '^$' -bench CSharpRegex -benchmem ./engine/
func BenchmarkCSharpRegex(b *testing.B) {
	for _, bc := range []struct{ name, src string }{
		{"IsMatchBearer", `@(Regex.IsMatch("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc", @"^Bearer\s+[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*$"))`},
		{"ReplaceMaskDigits", `@(Regex.Replace("{\"card\":\"4111111111111111\",\"cvv\":\"123\",\"name\":\"Jane Doe\"}", @"\d{12}(\d{4})", "************$1"))`},
		{"MatchGroup", `@(Regex.Match("/api/v2/users/12345/orders", @"^/api/v(?<ver>\d+)/users/(?<id>\d+)").Groups["id"].Value)`},
	} {
		b.Run(bc.name, func(b *testing.B) { benchCSharpLoop(b, bc.src) })
	}
}
