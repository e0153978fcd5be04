package engine

import (
	"strings"
	"testing"
)

// TestCSharpInt32: an int is 32-bit as in .NET, so the hashes APIM users
// compute in policies (a backend picked by hash % n, a string's hash in
// Java's loop) give .NET's values; checked overflows, and casts narrow as
// C#'s do. Each text runs lowered and, inside a try block, interpreted.
func TestCSharpInt32(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`unchecked(int.MaxValue + 1) == int.MinValue`, "true"},
		{`int.MaxValue + 1L`, "2147483648"},
		{`int.MaxValue - 41 + (int)context.Variables["n"]`, "-2147483648"},
		{`unchecked((int)4294967297L).ToString() + "|" + (long)int.MaxValue * 2`, "1|4294967294"},
		{`"backend-shard-key-000123".Select(c => (int)c).Aggregate(0, (h, c) => h * 31 + c)`, "-1160648552"},
		{`Math.Abs("backend-shard-key-000123".Select(c => (int)c).Aggregate(0, (h, c) => h * 31 + c)) % 3`, "2"},
		{`(ushort)-((string)context.Variables["s"]).Length`, "65531"},
		{`new[] { "GET", "get", "Post" }.Distinct(StringComparer.OrdinalIgnoreCase).Count()`, "2"},
		{`string.Equals("Bearer", context.Request.Headers.GetValueOrDefault("Scheme", "bearer"), StringComparison.OrdinalIgnoreCase)`, "true"},
	} {
		csBothPaths(t, tc.text, tc.want, nil)
	}
	for _, tc := range []struct{ stmts, want string }{
		{`int h = 0; foreach (var c in "hello world") { h = h * 31 + c; } return h;`, "1794106052"},
		{`var shards = new[] { "https://a", "https://b", "https://c" }; int h = 0; foreach (char c in "backend-shard-key-000123") { h = 31 * h + c; } return shards[Math.Abs(h) % shards.Length];`, "https://c"},
		{`var hdrs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase); hdrs["Content-Type"] = "a"; string v; return hdrs.TryGetValue("content-type", out v) ? v : "none";`, "a"},
	} {
		csBothBlocks(t, tc.stmts, tc.want, nil)
	}
	for _, tc := range []struct{ src, msg string }{
		{`@{ int x = int.MaxValue; return checked(x + 1); }`, "Arithmetic operation resulted in an overflow."},
		{`@{ int a = int.MinValue, b = -1; return a / b; }`, "Arithmetic operation resulted in an overflow."},
		{`@((int)JToken.Parse("3000000000"))`, "Value was either too large or too small for an Int32."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
	// a constant that overflows is a load error at its place, as C#'s CS0220
	_, _, errs := csCompile(t, `@(int.MaxValue * 2)`)
	if len(errs) == 0 || !strings.Contains(errs.Error(), "cs.xml:1:38: ") || !strings.Contains(errs.Error(), "overflows at compile time") {
		t.Errorf("int.MaxValue * 2: %v", errs)
	}
}
