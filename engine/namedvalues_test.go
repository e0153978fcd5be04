package engine

import (
	"strings"
	"testing"
)

// Only {{name}} with APIM's name characters (letters, digits, '.', '-',
// '_'; spaces around it trimmed) is a named value: the double braces of
// C# code (a collection initializer, an escaped brace in $"...") are text.
func TestSubstituteNames(t *testing.T) {
	nv := NewNamedValues(NamedValue{Name: "a", Value: "A"}, NamedValue{Name: "b.c-d_E9", Value: "B"})
	for _, tc := range []struct{ in, want, err string }{
		{in: "{{a}}", want: "A"},
		{in: "x{{ a }}y{{b.c-d_E9}}z", want: "xAyBz"},
		{in: "{{{a}}}", want: "{A}"}, // $"{{{x}}}" in C#: the inner {{a}} is a reference
		{in: `@{ var json = new JObject() {{"RequestId", context.RequestId}}; return json.ToString(); }`,
			want: `@{ var json = new JObject() {{"RequestId", context.RequestId}}; return json.ToString(); }`},
		{in: `@{ var q = "x"; return $"{{\"question\": \"{q}\"}}"; }`, want: `@{ var q = "x"; return $"{{\"question\": \"{q}\"}}"; }`},
		{in: `@($"{{}}" + "{{a}}")`, want: `@($"{{}}" + "A")`},
		{in: `@{ var d = new Dictionary<string, int> {{ "k", 1 }}; return $"{{{d["k"]}}}"; }`,
			want: `@{ var d = new Dictionary<string, int> {{ "k", 1 }}; return $"{{{d["k"]}}}"; }`},
		{in: "lone {{ in text", want: "lone {{ in text"},
		{in: "{{nope}}", err: "unknown named value {{nope}}"},
		{in: `@("{{a}}" + "{{Nope.x}}")`, err: "unknown named value {{Nope.x}}"},
		{in: "{{unclosed", err: "unclosed {{"},
		{in: "{{ a", err: "unclosed {{"},
		{in: "{{a} + 1 }}", err: "unclosed {{"},
	} {
		got, err := nv.Substitute(tc.in)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.in, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case got != tc.want:
			t.Errorf("%s = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// C# that writes double braces compiles as written: a literal brace in an
// interpolated string ($"{{" is "{" in .NET).
func TestCSharpDoubleBracesAreNotNamedValues(t *testing.T) {
	csBothBlocks(t, `var q = "x"; return $"{{\"question\": \"{q}\"}}";`, `{"question": "x"}`, nil)
	csBothPaths(t, `$"{{}}"`, `{}`, nil)
}

// A named value may not hold a {{name}}; C#'s other double braces are text.
func TestNamedValueHoldingBraces(t *testing.T) {
	for _, tc := range []struct {
		value string
		ok    bool
	}{
		{`@(new JObject {{"k", 1}}.ToString())`, true},
		{`@($"{{}}")`, true},
		{`x{{other}}`, false},
		{`x{{other`, false},
	} {
		root, err := Read("nv.xml", []byte(`<named-values><named-value name="a"><![CDATA[`+tc.value+`]]></named-value></named-values>`))
		if err != nil {
			t.Fatal(err)
		}
		_, errs := ParseNamedValues(root, func(string) string { return "" })
		if (len(errs) == 0) != tc.ok {
			t.Errorf("%s: errors %v, want ok=%v", tc.value, errs, tc.ok)
		}
	}
}

// FuzzSubstitute: substitution never panics, and each span it records maps
// a {{name}} of the input to the value in the output.
//
//	go test -run '^$' -fuzz FuzzSubstitute ./engine/
func FuzzSubstitute(f *testing.F) {
	for _, s := range []string{"{{a}}", "x{{ a }}y", "{{{a}}}", `new JObject {{"k", 1}}`, `$"{{\"q\": \"{q}\"}}"`, "{{a", "{{a} }}", "{{", "}}{{}}"} {
		f.Add(s)
	}
	nv := NewNamedValues(NamedValue{Name: "a", Value: "VALUE"})
	f.Fuzz(func(t *testing.T, s string) {
		out, spans, _, at, err := nv.substitute(s)
		if err != nil {
			if at < 0 || at >= len(s) || s[at:at+2] != "{{" {
				t.Fatalf("%q: error at %d: %v", s, at, err)
			}
			return
		}
		for _, sp := range spans {
			if out[sp.outStart:sp.outEnd] != "VALUE" || strings.TrimSpace(s[sp.inStart+2:sp.inEnd-2]) != "a" {
				t.Fatalf("%q: span %+v", s, sp)
			}
		}
		if len(spans) == 0 && out != s {
			t.Fatalf("%q: changed without a reference: %q", s, out)
		}
	})
}
