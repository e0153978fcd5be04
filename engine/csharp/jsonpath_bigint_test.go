package csharp

import (
	"strings"
	"testing"
)

func TestBigIntLiterals(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"$..[?(@.id == 123456789012345678901234)]", "$..[?(@.id == 123456789012345678901234.0)]"},
		{"$[?(@.n>-98765432109876543210&&@.m<9223372036854775808)]", "$[?(@.n>-98765432109876543210.0&&@.m<9223372036854775808.0)]"},
		{"$[?(123456789012345678901234 == @.id)]", "$[?(123456789012345678901234.0 == @.id)]"},
		{"$[?(@.n == 9223372036854775807)]", "$[?(@.n == 9223372036854775807)]"},               // long's own
		{"$[?(@.n == -9223372036854775808)]", "$[?(@.n == -9223372036854775808)]"},             // long's own
		{"$[?(@.s == '123456789012345678901234')]", "$[?(@.s == '123456789012345678901234')]"}, // a string
		{"$[?(@.n == 123456789012345678901234.5)]", "$[?(@.n == 123456789012345678901234.5)]"}, // a fraction
		{"$[?(@.n == 123456789012345678901234e2)]", "$[?(@.n == 123456789012345678901234e2)]"}, // an exponent
		{"$[?(@.a123456789012345678901234 == 1)]", "$[?(@.a123456789012345678901234 == 1)]"},   // a name
		{"$[?(@['123456789012345678901234'] == 1)]", "$[?(@['123456789012345678901234'] == 1)]"},
		{"$.a[123456789012345678901234]", "$.a[123456789012345678901234]"}, // not a filter
		{"$[?(@.a[0] == 1)].b[123456789012345678901234]", "$[?(@.a[0] == 1)].b[123456789012345678901234]"},
		{"$[?(@.a[?(@.b == 123456789012345678901234)])]", "$[?(@.a[?(@.b == 123456789012345678901234.0)])]"},
	} {
		if got := bigIntLiterals(tc.in); got != tc.want {
			t.Errorf("bigIntLiterals(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzBigIntLiterals: the rewrite never panics, leaves a path without a
// filter or without a long's overflow as it is, only ever adds ".0", and
// what compiles selects without panicking.
func FuzzBigIntLiterals(f *testing.F) {
	for _, s := range []string{"$..[?(@.id == 123456789012345678901234)]", "$[?(@.s == '1')]", "$[?(-99999999999999999999 < @.n)]",
		"$[?(@.a[?(@.b == 123456789012345678901234)])]", "$[?(@.n == 1e400)]", "[?", "$[?(@.x == \"\\\"99999999999999999999\")]"} {
		f.Add(s)
	}
	doc := &JArray{Items: []any{&JObject{M: map[string]any{"id": JBigInt{text: "123456789012345678901234"}}, Keys: []string{"id"}}}}
	f.Fuzz(func(t *testing.T, q string) {
		out := bigIntLiterals(q)
		if !strings.Contains(q, "?") && out != q {
			t.Fatalf("%q rewritten to %q", q, out)
		}
		if strings.ReplaceAll(out, ".0", "") != strings.ReplaceAll(q, ".0", "") {
			t.Fatalf("%q rewritten to %q: more than .0 added", q, out)
		}
		if len(q) > 200 {
			return
		}
		_, _ = selectTokens(doc, q) // an error is fine; a panic is not
	})
}
