package csharp

import (
	"strings"
	"sync"
	"testing"
)

// TestRegexShared: a cached Regex is used by many requests at once; run
// with -race.
func TestRegexShared(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				rx, err := getRegex(`(?<k>\w+)=(?<v>\d+)`, roRightToLeft*(j%2), 0)
				if err != nil {
					t.Error(err)
					return
				}
				m, err := firstMatch(rx, "a=1 bé=22 😀=3")
				if err != nil || !m.Success {
					t.Error(m, err)
					return
				}
				out, err := regexReplace(rx, "a=1 bé=22", parseReplacement(rx, "${v}:$1$+"), nil)
				if err != nil || out != "1:a1 22:bé22" {
					t.Errorf("%q %v", out, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestRxText: the input as UTF-16 units, and the text of a span of them.
func TestRxText(t *testing.T) {
	for _, tc := range []struct {
		s      string
		i, n   int
		want   string
		nUnits int
	}{
		{"abc", 1, 2, "bc", 3},
		{"é😀y", 1, 2, "😀", 4},
		{"é😀y", 3, 1, "y", 4},
		{"é😀y", 1, 1, "\uFFFD", 4}, // half a surrogate pair
		{"é😀y", 0, 4, "é😀y", 4},
		{"a\xffb", 1, 2, "\xffb", 3}, // invalid UTF-8: one unit, its bytes kept
	} {
		x := newRxText(tc.s)
		if len(x.units) != tc.nUnits {
			t.Errorf("%q: %d units, want %d", tc.s, len(x.units), tc.nUnits)
		}
		if got := x.sub(tc.i, tc.n); got != tc.want {
			t.Errorf("%q[%d:+%d] = %q, want %q", tc.s, tc.i, tc.n, got, tc.want)
		}
	}
}

// TestUTF16Pattern: characters past U+FFFF in a pattern become their
// UTF-16 units, as .NET's parser reads them; \😀 is the character.
func TestUTF16Pattern(t *testing.T) {
	for _, tc := range []struct{ pat, want string }{
		{"a.b", "a.b"},
		{"x😀", `x\ud83d\ude00`},
		{`\😀`, `\ud83d\ude00`},
		{`\\😀`, `\\\ud83d\ude00`},
		{"[😀-😂]", `[\ud83d\ude00-\ud83d\ude02]`},
	} {
		if got := utf16Pattern(tc.pat); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.pat, got, tc.want)
		}
	}
	if strings.Contains(utf16Pattern("é"), `\u`) {
		t.Error("a BMP character was escaped")
	}
}

// TestNetPattern: .NET's \p{IsBlock} written as ranges, outside and
// inside a class, and the syntax regexp2 reads beyond .NET's refused with
// .NET's message; escapes, classes and comments read as .NET reads them.
func TestNetPattern(t *testing.T) {
	for _, tc := range []struct {
		pat  string
		opts int
		want string // the pattern for regexp2, or the error
	}{
		{`\p{IsCyrillic}+`, 0, `[\u0400-\u04ff]+`},
		{`\P{IsBasicLatin}`, 0, `[\u0080-\uffff]`},
		{`[\p{IsGreek}\d]`, 0, `[\u0370-\u03ff\d]`},
		{`[^\P{IsSpecials}]`, 0, `[^\u0000-\uffef]`},
		{`[]\p{IsThai}]`, 0, `[]\u0e00-\u0e7f]`},
		{`[a-z-[\p{IsBasicLatin}]]`, 0, `[a-z-[\u0000-\u007f]]`},
		{`\\p{IsThai}`, 0, `\\p{IsThai}`},
		{`\p{L}\P{Nd}`, 0, `\p{L}\P{Nd}`},
		{`a*?b+?c??d{2}?(?:e)?f{1,}`, 0, `a*?b+?c??d{2}?(?:e)?f{1,}`},
		{`[*+?]+\++a{x}+`, 0, `[*+?]+\++a{x}+`},
		{`(?#a++ \Q)b`, 0, `(?#a++ \Q)b`},
		{"(?x)b # \\Q a++\nc", 0, "(?x)b # \\Q a++\nc"},
		{`b # \Q`, roIgnoreWhitespace, `b # \Q`},
		{`\Q`, roECMAScript, `\Q`},
		{`\s[\S\d]\S[^\s]`, roECMAScript, `[\x09-\x0d\x20][\x00-\x08\x0e-\x1f\x21-\uffff\d][^\x09-\x0d\x20][^\x09-\x0d\x20]`},
		{`\p{IsNoSuchBlock}`, 0, `Unknown property 'IsNoSuchBlock'.`},
		{`\p{Greek}`, 0, `Unknown property 'Greek'.`},
		{`\pL`, 0, `Incomplete \p{X} character escape.`},
		{`\Qa.b\E`, 0, `Unrecognized escape sequence \Q.`},
		{`[\R]`, 0, `Unrecognized escape sequence \R.`},
		{`b # \Q`, 0, `Unrecognized escape sequence \Q.`},
		{`a++`, 0, `Nested quantifier '+'.`},
		{`a*+`, 0, `Nested quantifier '+'.`},
		{`a{2}+`, 0, `Nested quantifier '+'.`},
		{`a*?+`, 0, `Nested quantifier '+'.`},
		{`a??*`, 0, `Nested quantifier '*'.`},
		{`a*{2}`, 0, `Nested quantifier '{'.`},
		// .NET skips white space (IgnorePatternWhitespace) and comments between a quantifier and the next
		{`a* +`, roIgnoreWhitespace, `Nested quantifier '+'.`},
		{"(?x)a{2}\t*", 0, `Nested quantifier '*'.`},
		{"a* # c\n+", roIgnoreWhitespace, `Nested quantifier '+'.`},
		{`a*(?#c)+`, 0, `Nested quantifier '+'.`},
		{`a* ? b`, roIgnoreWhitespace, `a* ? b`}, // lazy
		{`a*(?#c)?`, 0, `a*(?#c)?`},
		{`a* +`, 0, `a* +`},                            // without IgnorePatternWhitespace the space is a character
		{`(?x:a)* +`, 0, `(?x:a)* +`},                  // outside the group the space is a character that + repeats
		{`(?-x)a* +`, roIgnoreWhitespace, `(?-x)a* +`}, // turned off
		{"(?x:a)*#c\n+", 0, "(?x:a)*#c\n+"},
	} {
		got, err := netPattern(tc.pat, tc.opts)
		if err != nil {
			got = err.Error()
		}
		if !strings.HasSuffix(got, tc.want) {
			t.Errorf("%q: %q, want %q", tc.pat, got, tc.want)
		}
	}
}

// TestParseReplacement: .NET's substitutions, read as its ScanReplacement
// reads them: a reference to a group the pattern lacks, or a malformed
// one, is literal text.
func TestParseReplacement(t *testing.T) {
	for _, tc := range []struct {
		pat  string
		opts int
		in   string
		repl string
		want string
	}{
		{`(a)(?<x>b)`, 0, "ab", `[$1|$2|${x}|${2}|$0|$&|$$|$+|$_]`, "[a|b|b|b|ab|ab|$|b|ab]"},
		{`b`, 0, "abc", "[$`|$']", "a[a|c]c"},
		{`(a)`, 0, "a", `$10|${1}0|${1|${nope}|$x|$|${`, "$10|a0|${1|${nope}|$x|$|${"},
		{`(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)`, 0, "abcdefghij", `$10|$11`, "j|$11"},
		{`(a)`, roECMAScript, "a", `$10|$1x`, "a0|ax"}, // ECMAScript: the longest prefix that names a group
		{`(?<5>a)`, 0, "a", `$5|$1|${5}`, "a|$1|a"},
		{`x`, 0, "a", `$+`, "a"}, // no match: the input as it is
		{`a`, 0, "a", `$+`, "a"}, // no group: $+ is the match
	} {
		rx, err := getRegex(tc.pat, tc.opts, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := regexReplace(rx, tc.in, parseReplacement(rx, tc.repl), nil)
		if err != nil || got != tc.want {
			t.Errorf("%q on %q with %q: %q %v, want %q", tc.pat, tc.in, tc.repl, got, err, tc.want)
		}
	}
}
