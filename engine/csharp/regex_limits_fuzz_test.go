package csharp

import (
	"runtime"
	"strings"
	"testing"

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
					if est, got := regexFoldWork(np, false), setWidths(tree.Root); est < got {
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
