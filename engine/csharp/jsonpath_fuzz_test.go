package csharp

import (
	"strings"
	"testing"
)

// FuzzRegexFilters: whatever the path, rewriting Newtonsoft's =~ filters
// never panics, leaves a path without =~ as it is, and what compiles
// selects without panicking.
func FuzzRegexFilters(f *testing.F) {
	for _, s := range []string{"$.a[?(@.t =~ /^x$/i)]", "a[?(@['b c'][0] =~ /\\/y/)].u", "$..[?(@.c=~/r.d/ && @.n > 1)]",
		"$.a[?(@.t =~ /'/)]", "$.a[?(@.t =~ /a", "=~", "$[?(@ =~ /x/m)]"} {
		f.Add(s)
	}
	doc := &JObject{M: map[string]any{"a": &JArray{Items: []any{&JObject{M: map[string]any{"t": "x"}, Keys: []string{"t"}}}}}, Keys: []string{"a"}}
	f.Fuzz(func(t *testing.T, q string) {
		out, ok := regexFilters(q)
		if !strings.Contains(q, "=~") && (!ok || out != q) {
			t.Fatalf("%q rewritten to %q (%v)", q, out, ok)
		}
		if len(q) > 200 {
			return
		}
		_, _ = selectTokens(doc, q) // an error is fine; a panic is not
	})
}
