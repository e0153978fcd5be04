package csharp

import (
	"errors"
	"strings"
	"testing"
)

// TestSchemaRegex: a schema pattern is ECMAScript's reading on .NET's
// engine, unanchored, with look-around; past the limits Match says which.
func TestSchemaRegex(t *testing.T) {
	for _, tc := range []struct {
		pat, in string
		want    bool
		err     error
	}{
		{`^(?=.*[A-Z])(?=.*\d).{8,}$`, "Secret123", true, nil},
		{`^(?=.*[A-Z])(?=.*\d).{8,}$`, "secret123", false, nil},
		{`^(?=.*[A-Z])(?=.*\d).{8,}$`, "SecretPass", false, nil},
		{`^x-(?!internal)`, "x-internal", false, nil},
		{`(?<=\$)\d+`, "cost $12", true, nil},
		{`b`, "abc", true, nil},        // not anchored
		{`^\d+$`, "٣", false, nil},     // ECMAScript's \d is [0-9]
		{`^\w+$`, "café", false, nil},  // ECMAScript's \w is [a-zA-Z0-9_]
		{`^\s$`, "\v", true, nil},      // ECMAScript's \s has \v
		{`^\s$`, "\u00a0", false, nil}, // but not Unicode's spaces
		{`^\u00e9$`, "é", true, nil},   // \uXXXX
		{`^.$`, "😀", false, nil},       // . is one UTF-16 unit, as .NET's
		{`(?i)^ab$`, "AB", true, nil},  // inline options
		{`^(a+)+$`, strings.Repeat("a", 40) + "!", false, ErrSchemaRegexTimeout},
		{`^((a)|(b))*$`, strings.Repeat("a", 500000), false, ErrSchemaRegexBacktrack},
	} {
		re, err := CompileSchemaRegex(tc.pat)
		if err != nil {
			t.Errorf("%q: %v", tc.pat, err)
			continue
		}
		got, err := re.Match(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%q on %.20q: %v, %v; want %v, %v", tc.pat, tc.in, got, err, tc.want, tc.err)
		}
	}
	for pat, want := range map[string]string{
		`^(ab$`:  "Invalid pattern '^(ab$' at offset 5. Not enough )'s.",
		`a{2,1}`: "Invalid pattern 'a{2,1}'. Illegal {x,y} with x > y.",
	} {
		if _, err := CompileSchemaRegex(pat); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", pat, err, want)
		}
	}
}
