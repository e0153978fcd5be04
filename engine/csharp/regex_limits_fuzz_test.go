package csharp

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dlclark/regexp2/v2/syntax"
)

// FuzzRegexFoldWork: regexFoldWork, which bounds what IgnoreCase folds
// before regexp2 compiles, is at least the width of the sets regexp2
// parses from the pattern's classes (a pattern without alternation, whose
// sets are its classes); and a pattern within getRegex's bounds compiles
// in at most 32 MiB allocated, whatever its options. Neither the estimate
// nor the bounds panic.
//
//	go test -run '^$' -fuzz FuzzRegexFoldWork -fuzztime 30s -fuzzminimizetime 0 ./engine/csharp/
func FuzzRegexFoldWork(f *testing.F) {
	for _, s := range []struct {
		pat  string
		opts int
	}{
		{`[a-z]+@[\u0100-\uFFFF]`, roIgnoreCase},
		{`[^\x00-\x7f][\0-\377][\cA-\cZ]`, 0},
		{`[a-z-[aeiou]]\p{L}[\p{Lu}\P{IsGreek}]`, roIgnoreCase},
		{`[]a-][^]b]\[x-y]`, 0},
		{`(?i)[😀-😂x]é`, 0},
		{`[\W\D\S.]\W\D.`, roECMAScript | roIgnoreCase},
		{`(?x) [a-z] # [\0-\uffff]`, 0},
		{`[\uzz-\uffff][a-\w]`, 0},
		{strings.Repeat(`[\u0000-\uFFFF]`, 16), roIgnoreCase},
	} {
		f.Add(s.pat, s.opts)
	}
	f.Fuzz(func(t *testing.T, pat string, opts int) {
		if len(pat) > 400 {
			return
		}
		opts &= 0x3ff &^ roNonBacktracking
		if checkRegexOptions(opts) != nil {
			return
		}
		ecma := opts&roECMAScript != 0
		// the estimate against regexp2's sets, parsed without folding
		if !ecma && !strings.Contains(pat, "|") && !mayIgnoreCase(pat, 0) {
			np, err := netPattern(pat, opts&^roIgnoreCase)
			if err == nil {
				tree, err := syntax.Parse(utf16Pattern(np), syntax.ParseOptions{RegexOptions: syntax.RegexOptions(opts &^ roIgnoreCase)})
				if err == nil {
					if est, got := regexFoldWork(np, false), setWidths(tree.Root); est < int64(got) {
						t.Fatalf("%q: estimated %d, regexp2's sets span %d", np, est, got)
					}
				}
			}
		}
		// within the bounds, the compile's allocations
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		_, _ = compileAsGetRegex(pat, opts)
		runtime.ReadMemStats(&b)
		if n := b.TotalAlloc - a.TotalAlloc; n > 32<<20 {
			t.Fatalf("%q (options %d): %d bytes compiling", pat, opts, n)
		}
	})
}

// setWidths is the sum of the widths of the ranges of n's sets (and its
// children's); a set of categories counts none, nor does a range past
// U+FFFF, which a pattern without ECMAScript writes as UTF-16 units: it is
// categories regexp2 merged after folding ([\W\D] is every character).
func setWidths(n *syntax.RegexNode) int {
	w := 0
	if n.Set != nil {
	ranges:
		for k := 1; k <= 4096; k++ {
			if rs := n.Set.GetIfNRanges(k); rs != nil {
				for _, r := range rs {
					if r.Last > 0xFFFF {
						break ranges
					}
				}
				for _, r := range rs {
					w += int(r.Last-r.First) + 1
				}
				break
			}
		}
	}
	for _, c := range n.Children {
		w += setWidths(c)
	}
	return w
}

// FuzzRegexUnfold: with ECMAScript | IgnoreCase, netPattern's (?-i:\W),
// (?-i:\D) and (?-i:.) match what regexp2's folded \W, \D and . match:
// the same matches and groups, on any pattern and input.
//
//	go test -run '^$' -fuzz FuzzRegexUnfold -fuzztime 30s -fuzzminimizetime 0 ./engine/csharp/
func FuzzRegexUnfold(f *testing.F) {
	for _, s := range []struct{ pat, in string }{
		{`\W+(\D)\.(.)`, "ab, c.d"},
		{`[\W.]\\W\\.(?#.\W)`, `a\W\.b`},
		{`(?i)k.\D{2,}`, "K\u212a\u017f1x"},
		{`(?-i:.)\W*?$`, "é ü\n"},
		{`(?<=\W)\D|.\b`, "a-b c"},
	} {
		f.Add(s.pat, s.in, false)
	}
	f.Fuzz(func(t *testing.T, pat, in string, multiline bool) {
		if len(pat) > 64 || len(in) > 200 || strings.Count(pat, `\W`)+strings.Count(pat, `\D`)+strings.Count(pat, ".") > 2 {
			return // regexp2's folded \W is tens of ms
		}
		opts := roECMAScript | roIgnoreCase
		if multiline {
			opts |= roMultiline
		}
		unfolded, err1 := netPatternUnfold(pat, opts, true)
		folded, err2 := netPatternUnfold(pat, opts, false)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("%q: %v, folded %v", pat, err1, err2)
		}
		if err1 != nil {
			return
		}
		mask := regexp2.RegexOptions(opts)
		re1, err1 := regexp2.Compile(utf16Pattern(unfolded), mask)
		re2, err2 := regexp2.Compile(utf16Pattern(folded), mask)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("%q as %q: %v, folded %v", pat, unfolded, err1, err2)
		}
		if err1 != nil {
			return
		}
		re1.MatchTimeout, re2.MatchTimeout = 50*time.Millisecond, 50*time.Millisecond
		units := newRxText(in).units
		m1, err1 := re1.FindRunesMatch(units)
		m2, err2 := re2.FindRunesMatch(units)
		for k := 0; k < 50 && err1 == nil && err2 == nil && (m1 != nil || m2 != nil); k++ {
			if (m1 == nil) != (m2 == nil) {
				t.Fatalf("%q as %q on %q: match %v, folded %v", pat, unfolded, in, m1, m2)
			}
			g1, g2 := m1.Groups(), m2.Groups()
			if len(g1) != len(g2) {
				t.Fatalf("%q: %d groups, folded %d", pat, len(g1), len(g2))
			}
			for i := range g1 {
				if g1[i].RuneIndex != g2[i].RuneIndex || g1[i].RuneLength != g2[i].RuneLength || len(g1[i].Captures) != len(g2[i].Captures) {
					t.Fatalf("%q as %q on %q: group %d at %d+%d, folded at %d+%d", pat, unfolded, in, i, g1[i].RuneIndex, g1[i].RuneLength, g2[i].RuneIndex, g2[i].RuneLength)
				}
			}
			m1, err1 = re1.FindNextMatch(m1)
			m2, err2 = re2.FindNextMatch(m2)
		}
	})
}

// FuzzRegexCompileBounds: a pattern made of a piece repeated up to the
// longest pattern (how the hostile patterns that the bounds refuse look:
// (a|(a|..., ((a)*)*..., a branch per letter) compiles, when the bounds
// let it, in at most 16 MiB allocated.
//
//	go test -run '^$' -fuzz FuzzRegexCompileBounds -fuzztime 60s -fuzzminimizetime 0 ./engine/csharp/
func FuzzRegexCompileBounds(f *testing.F) {
	for _, s := range []struct {
		open, close string
		n, opts     int
	}{
		{"(a|", ")", 128, 0},
		{"(a", ")*", 90, roECMAScript},
		{"ā+y|", "", 128, 0},
		{`[\u0000-\uffff]`, "", 32, roIgnoreCase},
		{`\W\D.`, "", 2730, roECMAScript | roIgnoreCase},
		{"(?(a)b|c)", "", 910, 0},
		{`(?<n>a)\k<n>`, "", 700, roRightToLeft},
	} {
		f.Add(s.open, s.close, s.n, s.opts)
	}
	f.Fuzz(func(t *testing.T, open, close string, n, opts int) {
		opts &= 0x3ff &^ roNonBacktracking
		if checkRegexOptions(opts) != nil || n <= 0 || len(open)+len(close) == 0 || len(open)+len(close) > 64 {
			return
		}
		n = min(n, MaxRegexPattern/(len(open)+len(close)))
		pat := strings.Repeat(open, n) + strings.Repeat(close, n)
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		_, _ = compileAsGetRegex(pat, opts)
		runtime.ReadMemStats(&b)
		if d := b.TotalAlloc - a.TotalAlloc; d > 16<<20 {
			t.Fatalf("%q×%d %q×%d (options %d): %d bytes compiling", open, n, close, n, opts, d)
		}
	})
}
