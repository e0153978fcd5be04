package xsd

import "testing"

// TestRegex: XML Schema regular expressions, translated for RE2.
func TestRegex(t *testing.T) {
	for _, tc := range []struct {
		re    string
		match []string
		no    []string
	}{
		{`[a-z-[aeiou]]+`, []string{"bcd", "xyz"}, []string{"bad", "a", ""}},
		{`[\p{L}-[\p{Lu}]]*`, []string{"abc", "ßé"}, []string{"Abc"}},
		{`[^a-c-[d]]`, []string{"e", "z"}, []string{"a", "b", "d"}},
		{`\i\c*`, []string{"_a1", "a:b", "é-"}, []string{"1a", "-a"}},
		{`\d{3}`, []string{"123", "١٢٣"}, []string{"12", "1234", "abc"}},
		{`\w+`, []string{"abc", "a1"}, []string{"a b", "a,b", "a_b"}},
		{`^$`, []string{"^$"}, []string{""}},
		{`a.c`, []string{"abc", "a c"}, []string{"a\nc", "a\rc", "ac"}},
		{`\p{IsBasicLatin}+`, []string{"abc~"}, []string{"ä"}},
		{`\P{Nd}+`, []string{"abc"}, []string{"a1"}},
		{`\p{Cn}`, []string{"\U000E0080"}, []string{"a"}},
		{`(ab|cd){2}`, []string{"abcd", "cdcd"}, []string{"ab", "abcdab"}},
		{`[\-\[\]]+`, []string{"-[]"}, []string{"a"}},
		{`[+\-]?\d+`, []string{"+1", "-2", "3"}, []string{"--1"}},
	} {
		re, err := compileXSDRegex(tc.re)
		if err != nil {
			t.Errorf("%s: %v", tc.re, err)
			continue
		}
		for _, s := range tc.match {
			if !re.MatchString(s) {
				t.Errorf("%s does not match %q", tc.re, s)
			}
		}
		for _, s := range tc.no {
			if re.MatchString(s) {
				t.Errorf("%s matches %q", tc.re, s)
			}
		}
	}
	for _, bad := range []string{`[a-`, `(a`, `a{2,1}`, `a**`, `\q`, `\p{Nope}`, `\p{IsNope}`, `(?:a)`, `a{1001}`, `[z-a]`} {
		if _, err := compileXSDRegex(bad); err == nil {
			t.Errorf("%s compiles", bad)
		}
	}
}
