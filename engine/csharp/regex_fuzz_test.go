package csharp

import (
	"strings"
	"testing"
	"time"
)

// FuzzRegex: any pattern, options and input: compiling never panics, and
// matching, replacing, splitting and walking the groups and captures never
// panics and ends within the time limit (a catastrophic pattern throws
// RegexMatchTimeoutException); the results stay inside the input.
//
//	go test -run '^$' -fuzz FuzzRegex -fuzztime 30s ./engine/csharp/
func FuzzRegex(f *testing.F) {
	for _, s := range []struct {
		pat, in, repl string
		opts          int
	}{
		{`(?<=\d{4})\d(?=\d{4})`, "4111111111111111", "*", 0},
		{`(\w)\1`, "deep", "$1$$", 0},
		{`(((?'Open'\()[^\(\)]*)+((?'Close-Open'\))[^\(\)]*)+)*(?(Open)(?!))$`, "3+2^((1-3)*(3-1))", "$+", 0},
		{`^(a+)+$`, "aaaaaaaaaaaaaaaaaaaaaaaa!", "x", 0},
		{`(?<x>.)(?<x>.)`, "é😀y", "${x}$_$'$`", roRightToLeft},
		{`\d+ # digits`, "a1b22", "${1}0", roIgnoreWhitespace | roIgnoreCase},
		{`(a)|b`, "ab", "$0", roExplicitCapture | roSingleline | roMultiline},
		{`\d`, "٣3", "", roECMAScript},
		{"\U0001F600|.", "x\U0001F600\xff", "$&", 0},
	} {
		f.Add(s.pat, s.in, s.repl, s.opts)
	}
	f.Fuzz(func(t *testing.T, pat, in, repl string, opts int) {
		if len(pat) > 200 || len(in) > 2000 {
			return
		}
		opts &= 0x3ff
		rx, err := getRegex(pat, opts, time.Millisecond)
		if err != nil {
			return
		}
		start := time.Now() // compiling is bounded apart (regex_limits.go, FuzzRegexFoldWork)
		units := len(newRxText(in).units)
		m, err := firstMatch(rx, in)
		if err == nil {
			for m.Success {
				if m.Index < 0 || m.Index+m.Length > units {
					t.Fatalf("match %d+%d outside %d units", m.Index, m.Length, units)
				}
				for _, g := range m.groups {
					if _, err := g.captures(); err != nil {
						t.Fatal(err)
					}
				}
				var b strings.Builder
				parseReplacement(rx, repl).expand(&b, m)
				if m, err = m.nextMatch(); err != nil {
					break
				}
			}
		}
		_, _ = regexReplace(rx, in, parseReplacement(rx, repl), nil)
		_, _ = regexSplit(rx, in)
		// the overloads with a start and a count
		at, count := len(repl)%(units+1), len(in)%4-1
		_, _ = firstMatchAt(rx, in, at)
		_, _ = allMatches(rx, in, at)
		_, _ = regexReplaceN(rx, in, parseReplacement(rx, repl), nil, count, at)
		_, _ = regexSplitN(rx, in, count+1, at)
		_, _ = isMatch(rx, in)
		// regex.Match(input, beginning, length): the match and the ones after it stay in the part
		beg := len(pat) % (units + 1)
		n := len(repl) % (units - beg + 1)
		if m, err := firstMatchIn(rx, in, beg, n); err == nil {
			for k := 0; m.Success && k < 100; k++ {
				if m.Index < beg || m.Index+m.Length > beg+n {
					t.Fatalf("match %d+%d outside [%d, %d)", m.Index, m.Length, beg, beg+n)
				}
				if m, err = m.nextMatch(); err != nil {
					break
				}
			}
		}
		// each operation is bounded by the limit (1 ms here, checked every
		// 10 ms): far less than a second together
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%q on %q took %v", pat, in, d)
		}
	})
}
