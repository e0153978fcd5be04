package csharp

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
	"github.com/dlclark/regexp2/v2/syntax"
)

// C#'s Regex runs on github.com/dlclark/regexp2, a port of .NET's own
// regular expression engine (parser, RegexOptions, backtracking
// interpreter): look-around, back-references, balancing groups, every
// capture of a repeated group, RightToLeft, .NET's \d \w \s and $. The
// input is given to it as UTF-16 code units, one rune each, as .NET's
// engine sees a string: '.' matches one UTF-16 unit, Index and Length
// count them.

const (
	// DefaultRegexTimeout bounds one Regex operation (a match, or every
	// match of Matches, Replace or Split) when the expression gives no
	// match timeout or gives Regex.InfiniteMatchTimeout: .NET's default is
	// infinite, and a backtracking pattern such as (a+)+$ on a hostile
	// input could hold a request for ever. Past it the operation throws
	// .NET's RegexMatchTimeoutException. tollgate's choice.
	DefaultRegexTimeout = 500 * time.Millisecond
	// MaxRegexTimeout bounds a match timeout an expression gives itself
	// (new Regex(p, o, TimeSpan.FromMinutes(5)) runs for at most this).
	MaxRegexTimeout = 10 * time.Second
	// maxRegexBacktrack bounds the backtracking stack of one match, in
	// integer slots (8 bytes each): 8 MiB at most per running match.
	maxRegexBacktrack = 1 << 20
)

func init() {
	// regexp2 checks deadlines against a clock a goroutine advances, every
	// 100 ms by default: every 10 ms makes a 1 ms timeout end near 10 ms.
	// The goroutine runs only while a match with a deadline is live.
	regexp2.SetTimeoutCheckPeriod(10 * time.Millisecond)
}

// RegexOptions' values, as .NET's.
const (
	roIgnoreCase       = 1
	roMultiline        = 2
	roExplicitCapture  = 4
	roCompiled         = 8
	roSingleline       = 16
	roIgnoreWhitespace = 32
	roRightToLeft      = 64
	roECMAScript       = 256
	roCultureInvariant = 512
	roNonBacktracking  = 1024
)

// dnRegex is a compiled .NET regular expression. It is shared (cached)
// and never changed once made, but for its cache of parsed replacement
// patterns (under mu).
type dnRegex struct {
	re      *regexp2.Regexp
	pattern string
	opts    int
	nums    []int // the group numbers, in .NET's order (Groups)
	size    int   // regexSize's estimate of the heap it keeps

	mu    sync.Mutex
	repls map[string]*regexReplacer // parsed replacement patterns, at most maxRepls
}

const maxRepls = 16 // each at most maxReplCached bytes

// replacer is replacement pattern r parsed for rx, cached.
func (rx *dnRegex) replacer(r string) *regexReplacer {
	rx.mu.Lock()
	rp := rx.repls[r]
	rx.mu.Unlock()
	if rp != nil {
		return rp
	}
	rp = parseReplacement(rx, r)
	rx.mu.Lock()
	if rx.repls == nil {
		rx.repls = map[string]*regexReplacer{}
	}
	if len(rx.repls) < maxRepls && len(r) <= maxReplCached {
		rx.repls[r] = rp
	}
	rx.mu.Unlock()
	return rp
}

// regexKey is the cache key of a pattern with options and a time limit.
type regexKey struct {
	pat   string
	opts  int
	limit time.Duration
}

// regexLimit is the time limit for a match timeout given by an
// expression (0: none given; Regex.InfiniteMatchTimeout is -1 ms).
func regexLimit(d time.Duration) time.Duration {
	switch {
	case d <= 0:
		return DefaultRegexTimeout
	case d > MaxRegexTimeout:
		return MaxRegexTimeout
	}
	return d
}

// checkRegexOptions is .NET's check of RegexOptions: known bits only, and
// ECMAScript with IgnoreCase, Multiline and Compiled alone.
func checkRegexOptions(opts int) error {
	if opts < 0 || opts >= 2048 || opts&roECMAScript != 0 && opts&^(roECMAScript|roIgnoreCase|roMultiline|roCompiled) != 0 {
		return exc("ArgumentOutOfRangeException", "Specified argument was out of the range of valid values. (Parameter 'options')")
	}
	if opts&roNonBacktracking != 0 {
		return exc("NotSupportedException", "RegexOptions.NonBacktracking is not supported in policy expressions.")
	}
	return nil
}

// getRegex compiles pat with .NET's options opts and the match timeout d
// (see regexLimit), or takes it from the cache.
func getRegex(pat string, opts int, d time.Duration) (*dnRegex, error) {
	limit := regexLimit(d)
	key := regexKey{pat, opts, limit}
	if rx := regexCache.get(key); rx != nil {
		return rx, nil
	}
	if err := checkRegexOptions(opts); err != nil {
		return nil, err
	}
	lit := isRegexLiteral(pat)
	if !lit {
		if err := checkRegexLength(pat, opts); err != nil {
			return nil, err
		}
	}
	// The cache (and the compiled regex, which keeps its pattern) outlives
	// the request: it keeps its own copy of a pattern that may be a view of
	// a request's bytes (a body in a pooled buffer).
	pat = strings.Clone(pat)
	rx, err := compileRegexBounded(pat, opts, limit, !lit)
	if err != nil {
		return nil, err
	}
	regexCache.put(regexKey{pat, opts, limit}, rx)
	return rx, nil
}

// compileRegex compiles pat with .NET's options opts (checked) and the
// time limit limit, uncached and without getRegex's compile bounds (a
// schema's pattern, from the configuration).
func compileRegex(pat string, opts int, limit time.Duration) (*dnRegex, error) {
	return compileRegexBounded(pat, opts, limit, false)
}

// compileRegexBounded is compileRegex, within MaxRegexNesting,
// MaxRegexBranchPairs, MaxRegexECMAResets and MaxRegexFoldWork when bounded
// (regex_limits.go).
func compileRegexBounded(pat string, opts int, limit time.Duration, bounded bool) (*dnRegex, error) {
	mask := opts & (roIgnoreCase | roMultiline | roExplicitCapture | roSingleline | roIgnoreWhitespace | roRightToLeft | roECMAScript)
	np, err := netPattern(pat, opts)
	if err != nil {
		return nil, err
	}
	if bounded {
		if err := checkRegexShape(np, opts); err != nil {
			return nil, err
		}
		if err := checkRegexFold(np, opts); err != nil {
			return nil, err
		}
	}
	re, err := regexp2.Compile(utf16Pattern(np), regexp2.RegexOptions(mask), regexp2.OptionMaxBacktrackingStackSize(maxRegexBacktrack))
	if err != nil {
		return nil, regexParseError(pat, err)
	}
	re.MatchTimeout = limit
	return &dnRegex{re: re, pattern: pat, opts: opts, nums: re.GetGroupNumbers(), size: regexSize(pat, np)}, nil
}

// utf16Pattern writes each character of pat past U+FFFF as its two
// UTF-16 units (\uD83D\uDE00), as .NET's parser reads it, so that it
// matches the input's units.
func utf16Pattern(pat string) string {
	ascii := true
	for i := 0; i < len(pat); i++ {
		if pat[i] >= 0xF0 {
			ascii = false
			break
		}
	}
	if ascii {
		return pat
	}
	var b strings.Builder
	for _, r := range pat {
		if r <= 0xFFFF {
			b.WriteRune(r)
			continue
		}
		s := b.String()
		if n := len(s) - len(strings.TrimRight(s, `\`)); n%2 == 1 { // \😀: the escaped character, itself
			b.Reset()
			b.WriteString(s[:len(s)-1])
		}
		hi, lo := utf16.EncodeRune(r)
		b.WriteString(`\u` + strconv.FormatUint(uint64(hi), 16) + `\u` + strconv.FormatUint(uint64(lo), 16))
	}
	return b.String()
}

// netParseMessages are .NET's RegexParseException messages for
// regexp2's parse errors.
var netParseMessages = map[syntax.ErrorCode]string{
	syntax.ErrUnterminatedComment:    "Unterminated (?#...) comment.",
	syntax.ErrInvalidRepeatSize:      "Illegal {x,y} with x > y.",
	syntax.ErrUnexpectedParen:        "Too many )'s.",
	syntax.ErrMissingParen:           "Not enough )'s.",
	syntax.ErrInvalidRepeatOp:        "Nested quantifier.",
	syntax.ErrMissingRepeatArgument:  "Quantifier {x,y} following nothing.",
	syntax.ErrUnrecognizedGrouping:   "Unrecognized grouping construct.",
	syntax.ErrUndefinedBackRef:       "Reference to undefined group number %v.",
	syntax.ErrUndefinedNameRef:       "Reference to undefined group name %v.",
	syntax.ErrMalformedReference:     "(?(%v) ) malformed.",
	syntax.ErrUndefinedReference:     "(?(%v) ) reference to undefined group.",
	syntax.ErrIllegalEndEscape:       "Illegal \\ at end of pattern.",
	syntax.ErrUnrecognizedEscape:     "Unrecognized escape sequence \\%v.",
	syntax.ErrTooFewHex:              "Insufficient hexadecimal digits.",
	syntax.ErrMalformedNameRef:       "Malformed \\k<...> named back reference.",
	syntax.ErrBadClassInCharRange:    "Cannot include class \\%c in character range.",
	syntax.ErrUnterminatedBracket:    "Unterminated [] set.",
	syntax.ErrReversedCharRange:      "[x-y] range in reverse order.",
	syntax.ErrCaptureGroupOutOfRange: "Quantifier and capture group numbers must be less than or equal to Int32.MaxValue.",
}

// regexParseError is .NET's RegexParseException for a pattern regexp2
// does not parse: "Invalid pattern '(a' at offset 2. Not enough )'s.";
// the offset where .NET's parser stops is given where it is the pattern's
// end, and left out otherwise ("Invalid pattern 'a)'. Too many )'s.").
func regexParseError(pat string, err error) error {
	msg := err.Error()
	var se *syntax.Error
	if errors.As(err, &se) {
		msg = se.Code.String()
		if m, ok := netParseMessages[se.Code]; ok {
			msg = m
		}
		if strings.Contains(msg, "%") {
			msg = fmtArgs(msg, se.Args)
		}
		switch se.Code {
		case syntax.ErrMissingParen, syntax.ErrIllegalEndEscape, syntax.ErrUnterminatedBracket:
			// .NET's parser stops at the end of the pattern for these: its offset is known
			return exc("RegexParseException", "Invalid pattern '%s' at offset %d. %s", pat, utf16Len(pat), msg)
		}
	}
	return exc("RegexParseException", "Invalid pattern '%s'. %s", pat, msg)
}

func fmtArgs(format string, args []any) string {
	var b strings.Builder
	k := 0
	for i := 0; i < len(format); i++ {
		if format[i] == '%' && i+1 < len(format) {
			i++
			if k < len(args) {
				switch v := args[k].(type) {
				case rune:
					if format[i] == 'c' {
						b.WriteRune(v)
					} else {
						b.WriteString(strconv.Itoa(int(v)))
					}
				case string:
					b.WriteString(v)
				case int:
					b.WriteString(strconv.Itoa(v))
				default:
					b.WriteString("?")
				}
				k++
			}
			continue
		}
		b.WriteByte(format[i])
	}
	return b.String()
}

// regexRunError is what a failed run of regexp2 throws: .NET's
// RegexMatchTimeoutException past the time limit (regexp2's own message,
// which quotes the input, is not kept: the input may hold a secret), and
// OutOfMemoryException past the backtracking stack's bound (whose message
// does not quote the pattern either: it may be the request's).
func regexRunError(rx *dnRegex, err error) error {
	if errors.Is(err, regexp2.ErrBacktrackingStackLimit) {
		return exc("OutOfMemoryException", "the regular expression backtracked past tollgate's bound of %d stack entries", maxRegexBacktrack)
	}
	return exc("RegexMatchTimeoutException", "The Regex engine has timed out while trying to match a pattern to an input string. This can occur for many reasons, including very large inputs or excessive backtracking caused by nested quantifiers, back-references and other factors.")
}

// rxText is a Regex's input as the UTF-16 units .NET matches on, one
// rune each, with each unit's byte offset in the Go string.
type rxText struct {
	s     string
	units []rune
	offs  []int // len(units)+1 offsets, -1 inside a surrogate pair; nil when s is ASCII (unit i is byte i)
}

func newRxText(s string) *rxText {
	t := &rxText{s: s}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			t.units = make([]rune, 0, len(s))
			t.offs = make([]int, 0, len(s)+1)
			for i, r := range s {
				if r > 0xFFFF {
					hi, lo := utf16.EncodeRune(r)
					t.units = append(t.units, hi, lo)
					t.offs = append(t.offs, i, -1)
					continue
				}
				t.units = append(t.units, r)
				t.offs = append(t.offs, i)
			}
			t.offs = append(t.offs, len(s))
			return t
		}
	}
	t.units = appendUnits(make([]rune, 0, len(s)), s)
	return t
}

// appendUnits appends s's UTF-16 units to dst, one rune each.
func appendUnits(dst []rune, s string) []rune {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			for _, r := range s[i:] {
				if r > 0xFFFF {
					hi, lo := utf16.EncodeRune(r)
					dst = append(dst, hi, lo)
					continue
				}
				dst = append(dst, r)
			}
			return dst
		}
		dst = append(dst, rune(s[i]))
	}
	return dst
}

// sub is the text of units [i, i+n): a slice of the Go string, or, when it
// starts or ends inside a surrogate pair, the units decoded (the lone half
// becomes U+FFFD).
func (t *rxText) sub(i, n int) string {
	if t.offs == nil {
		return t.s[i : i+n]
	}
	if a, b := t.offs[i], t.offs[i+n]; a >= 0 && b >= 0 {
		return t.s[a:b]
	}
	return string(utf16.Decode(runesToUnits(t.units[i : i+n])))
}

func runesToUnits(rs []rune) []uint16 {
	out := make([]uint16, len(rs))
	for i, r := range rs {
		out[i] = uint16(r)
	}
	return out
}

// regexReplacer is a .NET replacement pattern, parsed as .NET's
// RegexParser.ScanReplacement does: literal text, and references to a
// group (by number), or to the text left or right of the match, the last
// group, or the whole input.
type regexReplacer struct{ parts []replPart }

type replPart struct {
	lit   string
	group int // -1 a literal; else a group number, or one of the refs below
}

const (
	replLeft  = -2 // $`
	replRight = -3 // $'
	replLast  = -4 // $+
	replWhole = -5 // $_
)

// parseReplacement reads r against rx's groups.
func parseReplacement(rx *dnRegex, r string) *regexReplacer {
	rp := &regexReplacer{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			rp.parts = append(rp.parts, replPart{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	ref := func(g int) {
		flush()
		rp.parts = append(rp.parts, replPart{group: g})
	}
	isSlot := func(n int) bool {
		for _, k := range rx.nums {
			if k == n {
				return true
			}
		}
		return false
	}
	ecma := rx.opts&roECMAScript != 0
	for i := 0; i < len(r); i++ {
		if r[i] != '$' || i+1 == len(r) {
			lit.WriteByte(r[i])
			continue
		}
		j := i + 1
		angled := false
		if r[j] == '{' && j+1 < len(r) {
			angled = true
			j++
		}
		c := r[j]
		switch {
		case c >= '0' && c <= '9' && !angled && ecma:
			// ECMAScript: the longest prefix of the digits that names a group
			capnum, end, n := -1, j, 0
			for k := j; k < len(r) && r[k] >= '0' && r[k] <= '9' && n < 1e8; k++ {
				n = n*10 + int(r[k]-'0')
				if isSlot(n) {
					capnum, end = n, k+1
				}
			}
			if capnum >= 0 {
				ref(capnum)
				i = end - 1
				continue
			}
		case c >= '0' && c <= '9':
			k, n := j, 0
			for k < len(r) && r[k] >= '0' && r[k] <= '9' {
				if n < 1e9 {
					n = n*10 + int(r[k]-'0')
				}
				k++
			}
			if angled {
				if k < len(r) && r[k] == '}' && isSlot(n) {
					ref(n)
					i = k
					continue
				}
			} else if isSlot(n) {
				ref(n)
				i = k - 1
				continue
			}
		case angled && isWordByte(c):
			k := j
			for k < len(r) && isWordByte(r[k]) {
				k++
			}
			if k < len(r) && r[k] == '}' {
				if n := rx.re.GroupNumberFromName(r[j:k]); n >= 0 {
					ref(n)
					i = k
					continue
				}
			}
		case !angled:
			g := 1
			switch c {
			case '$':
				lit.WriteByte('$')
				i = j
				continue
			case '&':
				g = 0
			case '`':
				g = replLeft
			case '\'':
				g = replRight
			case '+':
				g = replLast
			case '_':
				g = replWhole
			}
			if g != 1 {
				ref(g)
				i = j
				continue
			}
		}
		lit.WriteByte('$') // not a reference: a literal $, and what follows it as written
	}
	flush()
	return rp
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= utf8.RuneSelf
}

// replMatch is what a replacement reads of a match.
type replMatch interface {
	span() (index, length int) // in UTF-16 units
	input() *rxText
	groupText(n int) string // "" for a group that did not take part
	lastGroupText() string  // $+: the group with the highest number
}

func (m *Match) span() (int, int)       { return m.Index, m.Length }
func (m *Match) input() *rxText         { return m.text }
func (m *Match) groupText(n int) string { return m.groupNum(n).Value }
func (m *Match) lastGroupText() string  { return m.groups[len(m.groups)-1].Value }

// rawMatch is a regexp2 match read without building a Match (Replace).
type rawMatch struct {
	rx  *dnRegex
	t   *rxText
	raw *regexp2.Match
}

func (m *rawMatch) span() (int, int) { return m.raw.RuneIndex, m.raw.RuneLength }
func (m *rawMatch) input() *rxText   { return m.t }
func (m *rawMatch) groupText(n int) string {
	g := m.raw.GroupByNumber(n)
	if g == nil || len(g.Captures) == 0 {
		return ""
	}
	return m.t.sub(g.RuneIndex, g.RuneLength)
}
func (m *rawMatch) lastGroupText() string { return m.groupText(m.rx.nums[len(m.rx.nums)-1]) }

// expand writes m's replacement to b.
func (rp *regexReplacer) expand(b *strings.Builder, m replMatch) {
	t := m.input()
	for _, p := range rp.parts {
		switch p.group {
		case -1:
			b.WriteString(p.lit)
		case replLeft:
			i, _ := m.span()
			b.WriteString(t.sub(0, i))
		case replRight:
			i, n := m.span()
			b.WriteString(t.sub(i+n, len(t.units)-i-n))
		case replLast:
			b.WriteString(m.lastGroupText())
		case replWhole:
			b.WriteString(t.s)
		default:
			b.WriteString(m.groupText(p.group))
		}
	}
}

// checkRegexPattern makes a pattern written as a literal that does not
// parse a load error: Regex.IsMatch(s, "(a"), new Regex("(a"). The
// options, when given, must be constants (RegexOptions.X | ...) for the
// check to run: IgnorePatternWhitespace and ECMAScript change what parses.
func (b *binder) checkRegexPattern(bi *builtin, args []*Arg) error {
	var pi, oi int
	switch {
	case strings.HasPrefix(bi.key, "Regex.new/"):
		pi, oi = 0, 1
	case strings.HasPrefix(bi.key, "Regex.") && len(bi.params) >= 2 && bi.params[1] == tString:
		pi = 1
		oi = map[string]int{"IsMatch": 2, "Match": 2, "Matches": 2, "Split": 2, "Replace": 3}[strings.TrimPrefix(bi.key[:strings.IndexByte(bi.key, '/')], "Regex.")]
		if oi == 0 {
			return nil
		}
	default:
		return nil
	}
	if pi >= len(args) {
		return nil
	}
	l, ok := args[pi].X.(*Lit)
	if !ok {
		return nil
	}
	pat, ok := l.V.(string)
	if !ok || l.Kind != tkString {
		return nil
	}
	noteRegexLiteral(pat)
	opts := 0
	if oi < len(args) {
		if opts, ok = constRegexOptions(args[oi].X); !ok {
			return nil
		}
	}
	if _, err := getRegex(pat, opts, 0); err != nil {
		var e *Exception
		if errors.As(err, &e) {
			return b.errf(l.Off, "%s: %s", e.Type, e.Msg)
		}
		return b.errf(l.Off, "%v", err)
	}
	return nil
}

// constRegexOptions is the value of RegexOptions.X | RegexOptions.Y or an
// integer literal.
func constRegexOptions(e Expr) (int, bool) {
	switch x := e.(type) {
	case *Lit:
		v, ok := x.V.(int)
		return v, ok
	case *Member:
		n, ok := x.X.(*Name)
		if !ok || n.Name != "RegexOptions" {
			return 0, false
		}
		for _, o := range regexOptions {
			if o.name == x.Name {
				return o.v, true
			}
		}
	case *Binary:
		if x.Op != "|" {
			return 0, false
		}
		l, ok1 := constRegexOptions(x.L)
		r, ok2 := constRegexOptions(x.R)
		return l | r, ok1 && ok2
	}
	return 0, false
}
