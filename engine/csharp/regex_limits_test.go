package csharp

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dlclark/regexp2/v2"
)

// allocsOf is the bytes and the allocations f makes (the heap's counters,
// not a clock).
func allocsOf(f func()) (bytes, mallocs uint64) {
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc, b.Mallocs - a.Mallocs
}

// compileAsGetRegex is getRegex without its cache: the bounds, then the
// compile.
func compileAsGetRegex(pat string, opts int) (*dnRegex, error) {
	if err := checkRegexLength(pat, opts); err != nil {
		return nil, err
	}
	return compileRegexBounded(pat, opts, DefaultRegexTimeout, true)
}

// TestRegexHostilePatterns: patterns a client could send to a policy that
// compiles them (Regex.IsMatch(s, header)): each compiles within a bound
// of allocated bytes and allocations, or is refused before compiling by
// tollgate's bounds (OutOfMemoryException, its message without the
// pattern) or .NET's (RegexParseException); the ones that run are bounded
// by the backtracking stack (bytes again). Counters, not a clock.
func TestRegexHostilePatterns(t *testing.T) {
	const KiB, MiB = 1 << 10, 1 << 20
	rep := strings.Repeat
	maxLen := func(unit string) string { return rep(unit, MaxRegexPattern/len(unit)) }
	for _, tc := range []struct {
		name    string
		pat     string
		opts    int
		refused string // the exception's type and a part of its message; "" compiles
		bytes   uint64 // at most, compiling (or refusing)
		mallocs uint64
	}{
		// counted repetitions compile to loop instructions, whatever their product
		{"nested counts", `((a{1000}){1000}){1000}`, 0, "", 128 * KiB, 400},
		{"nested counts, IgnoreCase", `((a{1000}){1000}){1000}`, roIgnoreCase, "", 128 * KiB, 400},
		{"largest count", `a{2147483647}`, 0, "", 128 * KiB, 400},
		{".NET's bound of a count", `a{2147483648}`, 0, "RegexParseException: Invalid pattern 'a{2147483648}'. Quantifier and capture group numbers must be less than or equal to Int32.MaxValue.", 128 * KiB, 400},
		// ECMAScript | IgnoreCase: \W, \D and . were 20 to 40 ms and 4,500 allocations each
		{"ECMAScript IgnoreCase \\W \\D .", rep(`\W\D.`, 100), roECMAScript | roIgnoreCase, "", 1 * MiB, 20000},
		{"ECMAScript inline (?i) \\W", `(?i)` + rep(`\W+`, 100), roECMAScript, "", 1 * MiB, 20000},
		{"ECMAScript IgnoreCase non-ASCII letters", rep("éàüöäßçñøåΣσЖж", 50), roECMAScript | roIgnoreCase, "", 2 * MiB, 30000},
		// the classes IgnoreCase folds: 30 whole planes are in the bound, 40 are not
		{"IgnoreCase classes in the bound", rep(`[\u0000-\uFFFF]`, 30), roIgnoreCase, "", 8 * MiB, 100000},
		{"IgnoreCase classes past the bound", rep(`[\u0000-\uFFFF]`, 40), roIgnoreCase, "OutOfMemoryException: the regular expression's character classes span 2621440 characters", 128 * KiB, 400},
		{"inline (?i) classes past the bound", `a(?i:` + rep(`[\x00-\uFFFF]`, 40) + `)`, 0, "OutOfMemoryException: the regular expression's character classes span", 128 * KiB, 400},
		{"subtractions past the bound", rep(`[\0-\uFFFF-[\0-\uFFFF]]`, 20), roIgnoreCase, "OutOfMemoryException: the regular expression's character classes span", 128 * KiB, 400},
		{"ECMAScript \\W in classes past the bound", `[\W][^\D]`, roECMAScript | roIgnoreCase, "OutOfMemoryException: the regular expression's character classes span", 128 * KiB, 400},
		{"blocks past the bound", rep(`[\P{IsBasicLatin}]`, 40), roIgnoreCase, "OutOfMemoryException: the regular expression's character classes span", 128 * KiB, 400},
		{"the same classes without IgnoreCase", rep(`[\u0000-\uFFFF]`, 40), 0, "", 1 * MiB, 2000},
		// nesting: regexp2's time and memory grow with its square
		{"deepest chains in the bound", maxLen(rep("(a|", MaxRegexNesting) + rep(")", MaxRegexNesting)), roIgnoreCase, "", 16 * MiB, 200000},
		{"one deeper", rep("(a|", MaxRegexNesting+1) + rep(")", MaxRegexNesting+1), 0, "OutOfMemoryException: the regular expression's groups nest 129 deep, past tollgate's bound of 128", 128 * KiB, 400},
		{"longest nesting", rep("(", MaxRegexPattern/2) + rep(")", MaxRegexPattern/2), 0, "OutOfMemoryException: the regular expression's groups nest 4096 deep", 512 * KiB, 400},
		{"longest non-capturing nesting", rep("(?:", MaxRegexPattern/6) + rep(")", MaxRegexPattern/6), 0, "OutOfMemoryException: the regular expression's groups nest 1365 deep", 512 * KiB, 400},
		// branches: regexp2's time and memory grow with their pairs, when each starts with another character
		{"largest alternation in the bound", disjointBranches(128) + rep("(a)", (MaxRegexPattern-utf16Len(disjointBranches(128)))/3), 0, "", 16 * MiB, 200000},
		{"one branch more", disjointBranches(129), 0, "OutOfMemoryException: the regular expression's alternations have 8256 pairs of branches, past tollgate's bound of 8128", 128 * KiB, 400},
		{"longest alternation", disjointBranches(2045), 0, "OutOfMemoryException: the regular expression's alternations have 2089990 pairs of branches", 128 * KiB, 400},
		{"longest alternation of groups", maxLen("(a|b)|"), 0, "OutOfMemoryException: the regular expression's alternations have", 128 * KiB, 400},
		// ECMAScript: a repeated group's captures reset each turn
		{"ECMAScript repeated groups in the bound", rep("(a", 90) + rep(")*", 90) + rep("(a)", (MaxRegexPattern-360)/3), roECMAScript, "", 16 * MiB, 200000},
		{"ECMAScript repeated groups in the bound, shallower", rep(rep("(a", 40)+rep(")*", 40), 11) + rep("(a)", (MaxRegexPattern-11*160)/3), roECMAScript | roIgnoreCase, "", 16 * MiB, 200000},
		{"ECMAScript repeated groups past the bound", rep(rep("(a", 128)+rep(")*", 128), 16), roECMAScript | roIgnoreCase, "OutOfMemoryException: the regular expression's repeated groups hold captures to reset a turn (ECMAScript) 11316224 times over, past tollgate's bound of 262144", 128 * KiB, 400},
		{"ECMAScript repeated groups past 2³¹", rep("(", 2730) + rep(")*", 2730), roECMAScript, "OutOfMemoryException: the regular expression's repeated groups hold captures to reset a turn (ECMAScript) 6785865905 times over", 512 * KiB, 400},
		{"ECMAScript \\W classes past 2³¹", rep(`[\W]`, 2048), roECMAScript | roIgnoreCase, "OutOfMemoryException: the regular expression's character classes span 2281701376 characters", 128 * KiB, 400},
		{"the same without ECMAScript", rep(rep("(a", 128)+rep(")*", 128), 16), roIgnoreCase, "", 8 * MiB, 200000},
		// length: each other construct at the longest pattern compiles in a few MiB
		{"longest conditionals", maxLen("(?(a)b|c)"), 0, "", 8 * MiB, 200000},
		{"longest named groups", maxLen("(?<n>a)"), 0, "", 8 * MiB, 200000},
		{"longest IgnoreCase letters", rep("é", MaxRegexPattern), roIgnoreCase, "", 8 * MiB, 200000},
		{"longest ECMAScript \\S", maxLen(`\S`), roECMAScript | roIgnoreCase, "", 8 * MiB, 200000},
		// RightToLeft: literal pieces joined in the square of the length
		{"longest RightToLeft pieces", rep(`ab\.`, MaxRegexPatternRightToLeft/4), roRightToLeft, "", 8 * MiB, 200000},
		{"RightToLeft past its bound", rep(`ab\.`, MaxRegexPattern/4), roRightToLeft, "OutOfMemoryException: the regular expression's pattern has 8192 characters, past tollgate's bound of 2048 with RightToLeft", 128 * KiB, 400},
		{"one past the longest", rep("a", MaxRegexPattern+1), 0, "OutOfMemoryException: the regular expression's pattern has 8193 characters, past tollgate's bound of 8192", 128 * KiB, 400},
		{"a MiB of pattern", rep(`(?(a)[\0-\uFFFF]|c)`, 1<<16), roIgnoreCase, "OutOfMemoryException: the regular expression's pattern has", 128 * KiB, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			bytes, mallocs := allocsOf(func() { _, err = compileAsGetRegex(tc.pat, tc.opts) })
			switch {
			case tc.refused == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refused != "" && (err == nil || !strings.Contains(excText(err), tc.refused)):
				t.Fatalf("%v, want %q", excText(err), tc.refused)
			case strings.HasPrefix(tc.refused, "OutOfMemory") && strings.Contains(err.Error(), tc.pat[:min(len(tc.pat), 8)]):
				t.Errorf("the message quotes the pattern: %v", err)
			}
			if bytes > tc.bytes || mallocs > tc.mallocs {
				t.Errorf("%d bytes in %d allocations, want at most %d in %d", bytes, mallocs, tc.bytes, tc.mallocs)
			}
		})
	}
}

// disjointBranches is an alternation of n branches, each starting with
// another letter (Ā+y|ā+y|Ă+y...): regexp2 compares each pair.
func disjointBranches(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte('|')
		}
		fmt.Fprintf(&b, "%c+y", 0x100+i)
	}
	return b.String()
}

// TestRegexShape: how deep groups nest, and the pairs of branches.
func TestRegexShape(t *testing.T) {
	for _, tc := range []struct {
		pat   string
		depth int
		pairs int64
	}{
		{`abc`, 0, 0},
		{`a|b|c`, 0, 3},
		{`(a|b)|(c)`, 1, 2},
		{`((a)(b))`, 2, 0},
		{`(?:a|b|c|d)(?(x)y|z)`, 2, 6 + 1}, // the condition is a group
		{`\(\|[(|)]\)(?#(|)x`, 0, 0},
		{`[a-z-[(]](|)`, 1, 1},
		{`(a|(b|(c|d)))`, 3, 3},
		{`((`, 2, 0},
		{`))|`, 0, 1},
	} {
		if d, p, _ := regexShape(tc.pat, false); d != tc.depth || p != tc.pairs {
			t.Errorf("%s: %d deep, %d pairs, want %d, %d", tc.pat, d, p, tc.depth, tc.pairs)
		}
	}
	// ECMAScript's resets: the square of the captures in each repeated group
	for _, tc := range []struct {
		pat    string
		resets int64
	}{
		{`(a)*`, 1},
		{`(a)`, 0},
		{`(?:a)*`, 0},
		{`(?:(a)(b))+`, 4},
		{`((a)*){2}`, 1 + 4},
		{`((a)?)*?`, 1 + 4},
		{`(?<n>a)?(?<=(a))+(?=a)*`, 1 + 1},
		{`(a){x`, 0},
		{`((a`, 0},
	} {
		if _, _, r := regexShape(tc.pat, true); r != tc.resets {
			t.Errorf("%s: %d resets, want %d", tc.pat, r, tc.resets)
		}
		if _, _, r := regexShape(tc.pat, false); r != 0 {
			t.Errorf("%s without ECMAScript: %d resets", tc.pat, r)
		}
	}
}

// TestRegexHostileMatches: nested counted repetitions of groups that
// match empty record a capture each turn: the match is bounded by the
// backtracking stack (OutOfMemoryException, past a few tens of MiB), not
// by the repetitions' product.
func TestRegexHostileMatches(t *testing.T) {
	for _, pat := range []string{`((a?){1000}){1000}`, `(((a?){1000}){1000}){1000}`, `(){1000000}`, `(?:(){1000}){1000}`} {
		rx, err := compileRegexBounded(pat, 0, MaxRegexTimeout, true) // the stack's bound first, even under -race
		if err != nil {
			t.Fatal(err)
		}
		bytes, _ := allocsOf(func() { _, err = firstMatch(rx, "") })
		if err == nil || !strings.Contains(excText(err), "OutOfMemoryException: the regular expression backtracked past") {
			t.Errorf("%s: %v", pat, err)
		}
		if bytes > 64<<20 {
			t.Errorf("%s: %d bytes", pat, bytes)
		}
	}
}

// TestRegexECMAFoldClosed: ECMAScript's \W, \D and . are closed under
// its case folding, so that netPattern's (?-i:\W), (?-i:\D) and (?-i:.)
// match what regexp2's folded sets match, on every UTF-16 unit.
func TestRegexECMAFoldClosed(t *testing.T) {
	const opts = roECMAScript | roIgnoreCase
	for _, pat := range []string{`\W`, `\D`, `.`, `[^\W]`} {
		folded := regexp2.MustCompile(`^`+pat+`$`, regexp2.RegexOptions(opts))
		ours, err := compileRegex(`^`+pat+`$`, opts, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		np, _ := netPattern(`^`+pat+`$`, opts)
		if pat != `[^\W]` && !strings.Contains(np, "(?-i:") {
			t.Fatalf("%s is %s", pat, np)
		}
		for u := rune(0); u <= 0xFFFF; u++ {
			want, _ := folded.MatchRunes([]rune{u})
			got, _ := ours.re.MatchRunes([]rune{u})
			if got != want {
				t.Fatalf("%s on U+%04X: %v, folded %v", pat, u, got, want)
			}
		}
	}
}

// TestRegexFoldWork: the estimate of the characters IgnoreCase folds.
func TestRegexFoldWork(t *testing.T) {
	for _, tc := range []struct {
		pat  string
		ecma bool
		want int64
	}{
		{`abc`, false, 0},
		{`[abc]`, false, 3},
		{`[a-z]`, false, 26},
		{`[^a-zA-Z0-9_]`, false, 63},
		{`[]a]`, false, 2},
		{`[\u0000-\uffff]`, false, 65536},
		{`[\x00-\xff]`, false, 256},
		{`[\0-\377]`, false, 256},
		{`[\cA-\cZ]`, false, 26},
		{`[a-z-[aeiou]]`, false, 31},
		{`[\w\d\s\p{L}]`, false, 512},
		{`[\W]`, true, 0x110000},
		{`[\W]`, false, 128},
		{`[\u00e9-\u00e9]x[é]`, false, 2},
		{`\[\u0000-\uffff]`, false, 0},
		{`[\uzz-\uffff]`, false, 2 + 0xFFFF - 'z' + 1}, // \u (refused by regexp2), z, z-\uffff
		{`[a-\w]`, false, 65536},
		{`[😀-😂]`, false, 3},
		{`[😀x]`, false, 3},
		{`[\u0000-\uffff`, false, 65536},
	} {
		if got := regexFoldWork(tc.pat, tc.ecma); got != tc.want {
			t.Errorf("%s (ECMAScript %v): %d, want %d", tc.pat, tc.ecma, got, tc.want)
		}
	}
}

// TestRegexCacheBounded: distinct patterns cannot grow the cache past its
// entries or its bytes, and a pattern past the bytes is not kept; long
// replacement patterns are not kept either.
func TestRegexCacheBounded(t *testing.T) {
	l := newLRU(4, 100000)
	for i := range 10 {
		rx := &dnRegex{size: 30000}
		l.put(regexKey{pat: fmt.Sprint(i)}, rx)
		if n, b := l.stats(); n > 4 || b > 100000 {
			t.Fatalf("%d entries, %d bytes", n, b)
		}
		if l.get(regexKey{pat: fmt.Sprint(i)}) != rx {
			t.Fatalf("%d not kept", i)
		}
	}
	l.put(regexKey{pat: "big"}, &dnRegex{size: 100001})
	if l.get(regexKey{pat: "big"}) != nil {
		t.Error("a pattern past the bytes was kept")
	}
	l.put(regexKey{pat: "9"}, &dnRegex{size: 10})
	if _, b := l.stats(); b != 10 { // 9 alone (its 30000 bytes and 8's filled it)
		t.Errorf("replacing an entry: %d bytes", b)
	}

	// the process's cache, through getRegex: many long distinct patterns
	clear(regexCache.m)
	regexCache.bytes = 0
	for i := range 300 {
		pat := fmt.Sprintf("%d%s", i, strings.Repeat("x", 8000))
		if _, err := getRegex(pat, 0, 0); err != nil {
			t.Fatal(err)
		}
		if n, b := regexCache.stats(); n > maxRegexCacheEntries || b > maxRegexCacheBytes {
			t.Fatalf("%d entries, %d bytes", n, b)
		}
	}
	rx, err := getRegex("a", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("$0", maxReplCached)
	for range 2 {
		if _, err := regexReplace(rx, "a", rx.replacer(long), nil); err != nil {
			t.Fatal(err)
		}
	}
	rx.mu.Lock()
	_, kept := rx.repls[long]
	rx.mu.Unlock()
	if kept {
		t.Error("a replacement past maxReplCached was kept")
	}
}

// TestRegexSizeEstimate: regexSize is at least the heap a compiled
// pattern keeps, for the constructs that keep the most.
func TestRegexSizeEstimate(t *testing.T) {
	rep := strings.Repeat
	for _, tc := range []struct {
		pat  string
		opts int
	}{
		{rep(rep("(a|", MaxRegexNesting)+rep(")", MaxRegexNesting), MaxRegexPattern/(4*MaxRegexNesting)), 0},
		{rep("(a)", 2700), 0},
		{rep("(?<n>a)", 1100), 0},
		{rep("(?(a)b|c)", 900), 0},
		{rep("(a|b)", 1600), 0},
		{disjointBranches(128), 0},
		{rep("x", 8000), 0},
		{rep(`[\u0100-\u0200]`, 500), roIgnoreCase},
		{rep(`\S`, 4000), roECMAScript},
		{rep(`\p{IsGreek}`, 700), 0},
		{"a", 0},
	} {
		const n = 8
		keep := make([]*dnRegex, n)
		runtime.GC()
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		for i := range keep {
			rx, err := compileAsGetRegex(tc.pat, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			keep[i] = rx
		}
		runtime.GC()
		runtime.ReadMemStats(&b)
		kept := int(b.HeapAlloc-a.HeapAlloc) / n
		if est := keep[0].size; kept > est {
			t.Errorf("%.20s...: keeps %d bytes, estimated %d", tc.pat, kept, est)
		}
		runtime.KeepAlive(keep)
	}
}
