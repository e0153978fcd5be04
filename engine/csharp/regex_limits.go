package csharp

import (
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf16"
	"unicode/utf8"
)

// A pattern a C# expression compiles may come from the request
// (Regex.IsMatch(s, context.Request.Headers.GetValueOrDefault("p", ""))):
// compiling it must not cost the client's choice of CPU or memory. regexp2
// compiles in time and memory about linear in the pattern's length (a few
// hundred bytes allocated a character at worst), but for IgnoreCase, which
// walks every character of each character class to add its case
// equivalents ([\u0000-\uFFFF] walks 65,536), two analyses of
// alternations, quadratic in the depth of groups and in the number of
// branches, ECMAScript's capture resets, cubic in the depth of repeated
// groups, and RightToLeft's joining of literal pieces, quadratic in the
// length. So a pattern compiled for a C# expression (getRegex) is bounded
// in each of these, before compiling (TestRegexHostilePatterns,
// FuzzRegexCompileBounds), and the compiled patterns are cached within an
// entry count and an estimate of their size. Counted repetitions compile
// to loop instructions, as .NET's do (((a{1000}){1000}){1000} is a few
// instructions): running them is what is bounded, by the match limits.
// All tollgate's choices: .NET has none of these bounds.
const (
	// MaxRegexPattern bounds the length of a pattern, in UTF-16 units.
	MaxRegexPattern = 8192
	// MaxRegexPatternRightToLeft bounds it with RightToLeft: regexp2 joins
	// a right-to-left pattern's literal pieces by copying the text so far
	// for each piece, in the square of the pattern's length (ab\. 2,730
	// times took 60 MB; 682 times 4 MB).
	MaxRegexPatternRightToLeft = 2048
	// MaxRegexFoldWork bounds the characters IgnoreCase folds when a
	// pattern compiles: the widths of its character classes ([a-z] is 26,
	// [\u0000-\uFFFF] 65,536; with ECMAScript, \W and \D in a class are
	// 1,114,112 each).
	MaxRegexFoldWork = 1 << 21
	// MaxRegexNesting bounds how deep groups nest: regexp2 looks for the
	// first characters of each alternation's branches down the groups
	// under it, in time the square of their depth ((a|(a|(a|...))) 2,000
	// deep compiles in a second and 150 MB).
	MaxRegexNesting = 128
	// MaxRegexBranchPairs bounds the pairs of branches of the pattern's
	// alternations (k branches are k(k-1)/2 pairs; one alternation of 128
	// branches is 8,128): regexp2 checks each branch's first characters
	// against each earlier branch's, allocating for each pair (2,000
	// branches each starting with another letter compile in a second and
	// 800 MB; 128 in about 5 MB).
	MaxRegexBranchPairs = 128 * 127 / 2
	// MaxRegexECMAResets bounds, with ECMAScript, the sum over the
	// repeated groups of the square of the capture groups inside each:
	// ECMAScript clears a repeated group's captures on each turn, and
	// regexp2 walks each repeated group's subtree, with the resets of the
	// groups inside, to list them (((a)*)*... 128 deep compiles in 12 MB,
	// sixteen of them in 190 MB).
	MaxRegexECMAResets = 1 << 18
	// maxRegexCacheEntries and maxRegexCacheBytes bound the cache of
	// compiled patterns: its entries, and the sum of their size estimates
	// (regexSize).
	maxRegexCacheEntries = 256
	maxRegexCacheBytes   = 32 << 20
	// maxReplCached is the longest replacement pattern a compiled regex
	// keeps parsed (at most maxRepls of them); a longer one is parsed on
	// each call.
	maxReplCached = 256
)

// regexLiterals holds the patterns written as string literals in the
// expressions loaded so far (checkRegexPattern): the operator's, from the
// configuration, compiled without the bounds above (getRegex), as a
// schema's pattern is, so that a policy's literal alternation of 200
// country codes loads as it does in APIM. At most maxRegexLiterals are
// noted (reloads add to them); a literal past that is bounded like any
// pattern.
var (
	regexLiterals    sync.Map // string -> struct{}
	regexLiteralsN   atomic.Int32
	maxRegexLiterals int32 = 1 << 16
)

// noteRegexLiteral notes pat as a pattern written in the configuration.
func noteRegexLiteral(pat string) {
	if _, ok := regexLiterals.Load(pat); ok || regexLiteralsN.Load() >= maxRegexLiterals {
		return
	}
	if _, loaded := regexLiterals.LoadOrStore(pat, struct{}{}); !loaded {
		regexLiteralsN.Add(1)
	}
}

// isRegexLiteral: pat was written as a literal in a loaded expression.
func isRegexLiteral(pat string) bool {
	_, ok := regexLiterals.Load(pat)
	return ok
}

// regexCache holds the patterns getRegex compiled.
var regexCache = newLRU(maxRegexCacheEntries, maxRegexCacheBytes)

// regexLimitError is the exception of a pattern past a compile bound:
// OutOfMemoryException, as for tollgate's other bounds, whose message
// gives the sizes and not the pattern (it may be the request's).
func regexLimitError(format string, args ...any) error {
	return exc("OutOfMemoryException", format, args...)
}

// checkRegexLength is MaxRegexPattern, and MaxRegexPatternRightToLeft
// with RightToLeft in opts.
func checkRegexLength(pat string, opts int) error {
	max, what := MaxRegexPattern, ""
	if opts&roRightToLeft != 0 {
		max, what = MaxRegexPatternRightToLeft, " with RightToLeft"
	}
	if len(pat) <= max {
		return nil
	}
	if n := utf16Len(pat); n > max {
		return regexLimitError("the regular expression's pattern has %d characters, past tollgate's bound of %d%s", n, max, what)
	}
	return nil
}

// checkRegexFold is MaxRegexFoldWork, for np, the pattern as regexp2
// reads it (netPattern's).
func checkRegexFold(np string, opts int) error {
	if !mayIgnoreCase(np, opts) {
		return nil
	}
	if w := regexFoldWork(np, opts&roECMAScript != 0); w > MaxRegexFoldWork {
		return regexLimitError("the regular expression's character classes span %d characters for IgnoreCase to fold, past tollgate's bound of %d", w, MaxRegexFoldWork)
	}
	return nil
}

// checkRegexShape is MaxRegexNesting and MaxRegexBranchPairs, for np,
// the pattern as regexp2 reads it (netPattern's).
func checkRegexShape(np string, opts int) error {
	depth, pairs, resets := regexShape(np, opts&roECMAScript != 0)
	if resets > MaxRegexECMAResets {
		return regexLimitError("the regular expression's repeated groups hold captures to reset a turn (ECMAScript) %d times over, past tollgate's bound of %d", resets, MaxRegexECMAResets)
	}
	if depth > MaxRegexNesting {
		return regexLimitError("the regular expression's groups nest %d deep, past tollgate's bound of %d", depth, MaxRegexNesting)
	}
	if pairs > MaxRegexBranchPairs {
		return regexLimitError("the regular expression's alternations have %d pairs of branches, past tollgate's bound of %d (one alternation of 128 branches)", pairs, MaxRegexBranchPairs)
	}
	return nil
}

// regexShape is how deep np's groups nest, the pairs of branches of its
// alternations (each group's, a conditional's, and the pattern's own),
// and, with ecma, the sum over its repeated groups of the square of the
// capture groups inside each (itself included), read as regexp2 reads
// them but for comments under IgnorePatternWhitespace, whose parentheses
// and bars count (more than regexp2 sees).
func regexShape(np string, ecma bool) (depth int, pairs, resets int64) {
	type frame struct{ branches, captures int64 }
	groups := []frame{{1, 0}} // for each open group, and the pattern: its branches so far, the capture groups in it
	for i := 0; i < len(np); {
		switch c := np[i]; {
		case c == '\\':
			i = afterEscape(np, i)
			continue
		case c == '[':
			_, n := classFoldWork(np[i:], false)
			i += n
			continue
		case c == '(' && strings.HasPrefix(np[i:], "(?#"):
			end := strings.IndexByte(np[i:], ')')
			if end < 0 {
				return depth, pairs, resets
			}
			i += end + 1
			continue
		case c == '(':
			captures := int64(0)
			if rest := np[i+1:]; !strings.HasPrefix(rest, "?") || (strings.HasPrefix(rest, "?<") || strings.HasPrefix(rest, "?'")) && !strings.HasPrefix(rest, "?<=") && !strings.HasPrefix(rest, "?<!") {
				captures = 1 // (a), (?<n>a), (?'n'a); with ExplicitCapture (a) does not capture (counted all the same)
			}
			groups = append(groups, frame{1, captures})
			depth = max(depth, len(groups)-1)
		case c == '|':
			groups[len(groups)-1].branches++
		case c == ')' && len(groups) > 1:
			g := groups[len(groups)-1]
			groups = groups[:len(groups)-1]
			pairs += g.branches * (g.branches - 1) / 2
			groups[len(groups)-1].captures += g.captures
			if rest := np[i+1:]; ecma && g.captures > 0 && rest != "" && (strings.IndexByte("*+?", rest[0]) >= 0 || quantifierAt(rest) > 0) {
				resets += g.captures * g.captures
			}
		}
		i++
	}
	for _, g := range groups {
		pairs += g.branches * (g.branches - 1) / 2
	}
	return depth, pairs, resets
}

// inlineI is an inline option group that turns IgnoreCase on: (?i),
// (?si:, (?i-m)...
var inlineI = regexp.MustCompile(`\(\?[imnsx]*i`)

// mayIgnoreCase says whether IgnoreCase may hold somewhere in pat: the
// option, or an inline (?i).
func mayIgnoreCase(pat string, opts int) bool {
	return opts&roIgnoreCase != 0 || strings.Contains(pat, "(?") && inlineI.MatchString(pat)
}

// regexFoldWork is an upper bound of the characters regexp2 walks to fold
// np's character classes for IgnoreCase: each range's width, each
// character, and the sets an escape in a class adds (ECMAScript's \W and
// \D are ranges up to U+10FFFF; .NET's \w, \p{L} are categories, not
// walked). A character outside a class folds alone, and ECMAScript's \W,
// \D and . outside a class are not folded (netPattern).
func regexFoldWork(np string, ecma bool) int64 {
	work := int64(0)
	for i := 0; i < len(np); {
		switch c := np[i]; {
		case c == '\\':
			i = afterEscape(np, i)
		case c == '[':
			w, n := classFoldWork(np[i:], ecma)
			work += w
			i += n
		default:
			i++
		}
	}
	return work
}

// classFoldWork is regexFoldWork of the class s starts with ([...], with
// its subtractions), and the class's length in bytes.
func classFoldWork(s string, ecma bool) (int64, int) {
	i := 1
	if i < len(s) && s[i] == '^' {
		i++
	}
	work := int64(0)
	first := true
	for i < len(s) {
		c := s[i]
		switch {
		case c == ']' && !first:
			return work, i + 1
		case c == '-' && i+1 < len(s) && s[i+1] == '[' && !first: // a subtraction, [a-z-[aeiou]]
			w, n := classFoldWork(s[i+1:], ecma)
			work += w
			i += 1 + n
			continue
		}
		first = false
		lo, set, n := classChar(s[i:], ecma)
		i += n
		if set > 0 {
			work += int64(set)
			continue
		}
		if i+1 < len(s) && s[i] == '-' && s[i+1] != ']' && s[i+1] != '[' {
			hi, hset, n := classChar(s[i+1:], ecma)
			i += 1 + n
			switch {
			case hset > 0 || lo < 0 || hi < 0:
				work += 1 << 16 // a range regexp2 refuses, or one read here as wide as it can be
			case hi >= lo:
				work += int64(min(hi-lo+1, 1<<16)) // the pattern regexp2 reads is in UTF-16 units
			}
			continue
		}
		work += int64(max(utf16.RuneLen(lo), 1)) // a character past U+FFFF is two units, two characters to regexp2
	}
	return work, len(s)
}

// classChar reads the character s starts with, in a class: its value
// (-1 if not read here), or, for an escape that adds a set (\w, \W, \d,
// \D, \s, \S, \p{...}), the set's fold work; and its length in bytes.
func classChar(s string, ecma bool) (rune, int, int) {
	if s[0] != '\\' {
		r, n := utf8.DecodeRuneInString(s)
		return r, 0, n
	}
	if len(s) < 2 {
		return '\\', 0, 1
	}
	hex := func(n int) (rune, int, int) {
		v := rune(0)
		for k := 2; k < 2+n; k++ {
			if k >= len(s) {
				return -1, 0, k
			}
			d := hexDigit(s[k])
			if d < 0 {
				return -1, 0, k
			}
			v = v*16 + rune(d)
		}
		return v, 0, 2 + n
	}
	switch c := s[1]; c {
	case 'u':
		return hex(4)
	case 'x':
		return hex(2)
	case 'c':
		if len(s) > 2 {
			return rune(s[2] & 31), 0, 3
		}
		return -1, 0, 2
	case 'W', 'D':
		if ecma {
			return 0, utf8.MaxRune + 1, 2
		}
		return 0, 128, 2
	case 'S':
		if ecma {
			return 0, 1 << 16, 2
		}
		return 0, 128, 2
	case 'w', 'd', 's':
		return 0, 128, 2
	case 'p', 'P':
		if end := strings.IndexByte(s, '}'); end > 0 && !ecma {
			return 0, 128, end + 1
		}
		return 'p', 0, 2
	case 't', 'n', 'r', 'f', 'v', 'a', 'e', 'b':
		return rune(c), 0, 2
	case '0', '1', '2', '3', '4', '5', '6', '7':
		v, k := rune(0), 1
		for k < len(s) && k < 4 && s[k] >= '0' && s[k] <= '7' {
			v = v*8 + rune(s[k]-'0')
			k++
		}
		return v, 0, k
	default:
		r, n := utf8.DecodeRuneInString(s[1:])
		return r, 0, 1 + n
	}
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// regexSize estimates the heap a compiled pattern keeps (np is the
// pattern regexp2 compiled): measured at up to about 30 bytes a pattern
// byte (a capture group, a conditional), doubled, and room for the parsed
// replacement patterns it caches (TestRegexSizeEstimate).
func regexSize(pat, np string) int {
	return 4096 + len(pat) + 64*len(np) + maxRepls*(maxReplCached+256)
}

// afterEscape is the index past the escape at np[i] (a backslash) and the
// character it escapes: the scans of regexShape and regexFoldWork step over
// an escape whole.
func afterEscape(np string, i int) int {
	i++
	if i < len(np) {
		_, n := utf8.DecodeRuneInString(np[i:])
		i += n
	}
	return i
}
