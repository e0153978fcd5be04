package xsd

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// XML Schema regular expressions (Part 2, appendix F) are translated to
// Go's RE2: anchored at both ends, '.' not matching line ends, '^' and '$'
// plain characters, the escapes \i \c \d \w \s (and capitals) and
// \p{…}/\P{…} (categories and Is-blocks) written out as ranges, and
// character-class subtraction ([a-z-[aeiou]]) computed. What RE2 cannot
// do (a repetition bound over 1000, a program too large) is a compile
// error.

// maxRegexLen bounds a pattern facet's length.
const maxRegexLen = 4096

// compileXSDRegex compiles the patterns of one derivation step: a value
// must match one of them.
func compileXSDRegex(srcs ...string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`\A(?:`)
	for i, src := range srcs {
		if len(src) > maxRegexLen {
			return nil, fmt.Errorf("the pattern is longer than %d characters", maxRegexLen)
		}
		if i > 0 {
			b.WriteByte('|')
		}
		p := &reParser{src: []rune(src)}
		b.WriteString(`(?:`)
		if err := p.regExp(&b, 0); err != nil {
			return nil, err
		}
		if p.i < len(p.src) {
			return nil, fmt.Errorf("unexpected %q at offset %d", string(p.src[p.i]), p.i)
		}
		b.WriteString(`)`)
	}
	b.WriteString(`)\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("Go's RE2 cannot run it: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return re, nil
}

type reParser struct {
	src []rune
	i   int
}

func (p *reParser) peek() (rune, bool) {
	if p.i < len(p.src) {
		return p.src[p.i], true
	}
	return 0, false
}

func (p *reParser) regExp(b *strings.Builder, depth int) error {
	if depth > 50 {
		return fmt.Errorf("groups nested deeper than 50")
	}
	for {
		if err := p.branch(b, depth); err != nil {
			return err
		}
		r, ok := p.peek()
		if !ok || r != '|' {
			return nil
		}
		p.i++
		b.WriteByte('|')
	}
}

func (p *reParser) branch(b *strings.Builder, depth int) error {
	for {
		r, ok := p.peek()
		if !ok || r == '|' || r == ')' {
			return nil
		}
		if err := p.atom(b, depth); err != nil {
			return err
		}
		if err := p.quantifier(b); err != nil {
			return err
		}
	}
}

func (p *reParser) quantifier(b *strings.Builder) error {
	r, ok := p.peek()
	if !ok {
		return nil
	}
	switch r {
	case '?', '*', '+':
		p.i++
		b.WriteRune(r)
	case '{':
		j := p.i + 1
		for j < len(p.src) && p.src[j] != '}' {
			j++
		}
		if j == len(p.src) {
			return fmt.Errorf("a quantifier { is not closed")
		}
		q := string(p.src[p.i+1 : j])
		lo, hi, comma := strings.Cut(q, ",")
		n, err := strconv.Atoi(lo)
		if err != nil || n < 0 {
			return fmt.Errorf("bad quantifier {%s}", q)
		}
		if comma && hi != "" {
			m, err := strconv.Atoi(hi)
			if err != nil || m < n {
				return fmt.Errorf("bad quantifier {%s}", q)
			}
			if m > 1000 {
				return fmt.Errorf("the quantifier {%s} repeats more than 1000 times, which Go's RE2 refuses", q)
			}
		}
		if n > 1000 {
			return fmt.Errorf("the quantifier {%s} repeats more than 1000 times, which Go's RE2 refuses", q)
		}
		p.i = j + 1
		b.WriteString("{" + q + "}")
	default:
		return nil
	}
	if r, ok := p.peek(); ok && (r == '?' || r == '*' || r == '+' || r == '{') {
		return fmt.Errorf("a quantifier cannot follow a quantifier (offset %d)", p.i)
	}
	return nil
}

func (p *reParser) atom(b *strings.Builder, depth int) error {
	r, _ := p.peek()
	switch r {
	case '(':
		p.i++
		if n, ok := p.peek(); ok && n == '?' {
			return fmt.Errorf("(? is not XML Schema regular expression syntax")
		}
		b.WriteString("(?:")
		if err := p.regExp(b, depth+1); err != nil {
			return err
		}
		if n, ok := p.peek(); !ok || n != ')' {
			return fmt.Errorf("a group ( is not closed")
		}
		p.i++
		b.WriteByte(')')
	case '[':
		set, err := p.classExpr()
		if err != nil {
			return err
		}
		writeSet(b, set)
	case '.':
		p.i++
		b.WriteString(`[^\n\r]`)
	case '\\':
		set, single, err := p.escape()
		if err != nil {
			return err
		}
		if set != nil {
			writeSet(b, set)
		} else {
			b.WriteString(regexp.QuoteMeta(string(single)))
		}
	case '?', '*', '+', '{', '}', ')', ']':
		return fmt.Errorf("unexpected %q at offset %d", string(r), p.i)
	default:
		p.i++
		b.WriteString(regexp.QuoteMeta(string(r)))
	}
	return nil
}

// escape reads \x: a single character (set nil) or a class.
func (p *reParser) escape() (rangeSet, rune, error) {
	p.i++ // '\'
	r, ok := p.peek()
	if !ok {
		return nil, 0, fmt.Errorf("the pattern ends with \\")
	}
	p.i++
	switch r {
	case 'n':
		return nil, '\n', nil
	case 'r':
		return nil, '\r', nil
	case 't':
		return nil, '\t', nil
	case '\\', '|', '.', '-', '^', '?', '*', '+', '{', '}', '(', ')', '[', ']':
		return nil, r, nil
	case 's':
		return rangeSet{{' ', ' '}, {'\t', '\n'}, {'\r', '\r'}}, 0, nil
	case 'S':
		return negate(rangeSet{{'\t', '\n'}, {'\r', '\r'}, {' ', ' '}}), 0, nil
	case 'i':
		return nameStartSet(), 0, nil
	case 'I':
		return negate(nameStartSet()), 0, nil
	case 'c':
		return nameCharSet(), 0, nil
	case 'C':
		return negate(nameCharSet()), 0, nil
	case 'd':
		return tableSet(unicode.Nd), 0, nil
	case 'D':
		return negate(tableSet(unicode.Nd)), 0, nil
	case 'w':
		return negate(unionSets(tableSet(unicode.P), tableSet(unicode.Z), categorySet("C"))), 0, nil
	case 'W':
		return unionSets(tableSet(unicode.P), tableSet(unicode.Z), categorySet("C")), 0, nil
	case 'p', 'P':
		if n, ok := p.peek(); !ok || n != '{' {
			return nil, 0, fmt.Errorf("\\%c needs {name}", r)
		}
		j := p.i + 1
		for j < len(p.src) && p.src[j] != '}' {
			j++
		}
		if j == len(p.src) {
			return nil, 0, fmt.Errorf("\\%c{ is not closed", r)
		}
		name := string(p.src[p.i+1 : j])
		p.i = j + 1
		set, err := propertySet(name)
		if err != nil {
			return nil, 0, err
		}
		if r == 'P' {
			set = negate(set)
		}
		return set, 0, nil
	}
	return nil, 0, fmt.Errorf("\\%c is not an XML Schema escape", r)
}

// classExpr reads [ … ] (with an optional subtraction -[ … ]).
func (p *reParser) classExpr() (rangeSet, error) {
	p.i++ // '['
	neg := false
	if r, ok := p.peek(); ok && r == '^' {
		neg = true
		p.i++
	}
	var set rangeSet
	first := true
	for {
		r, ok := p.peek()
		if !ok {
			return nil, fmt.Errorf("a character class [ is not closed")
		}
		if r == ']' && !first {
			p.i++
			break
		}
		if r == '-' && p.i+1 < len(p.src) && p.src[p.i+1] == '[' && !first {
			p.i++
			sub, err := p.classExpr()
			if err != nil {
				return nil, err
			}
			if n, ok := p.peek(); !ok || n != ']' {
				return nil, fmt.Errorf("a subtraction -[…] must end its character class")
			}
			p.i++
			if neg {
				set = negate(set)
			}
			return subtract(set, sub), nil
		}
		first = false
		var lo rune
		if r == '\\' {
			cls, single, err := p.escape()
			if err != nil {
				return nil, err
			}
			if cls != nil {
				set = unionSets(set, cls)
				continue
			}
			lo = single
		} else {
			if r == '[' {
				return nil, fmt.Errorf("[ inside a character class must be escaped (offset %d)", p.i)
			}
			p.i++
			lo = r
		}
		hi := lo
		if n, ok := p.peek(); ok && n == '-' && p.i+1 < len(p.src) && p.src[p.i+1] != ']' && p.src[p.i+1] != '[' {
			p.i++
			c := p.src[p.i]
			if c == '\\' {
				_, single, err := p.escape()
				if err != nil {
					return nil, err
				}
				if single == 0 {
					return nil, fmt.Errorf("a range cannot end with a class escape")
				}
				hi = single
			} else {
				p.i++
				hi = c
			}
			if hi < lo {
				return nil, fmt.Errorf("the range %c-%c is out of order", lo, hi)
			}
		}
		set = unionSets(set, rangeSet{{lo, hi}})
	}
	if neg {
		set = negate(set)
	}
	return set, nil
}

// rangeSet is a sorted list of disjoint rune ranges.
type rangeSet [][2]rune

func norm(s rangeSet) rangeSet {
	sort.Slice(s, func(i, j int) bool { return s[i][0] < s[j][0] })
	var out rangeSet
	for _, r := range s {
		if n := len(out); n > 0 && r[0] <= out[n-1][1]+1 {
			if r[1] > out[n-1][1] {
				out[n-1][1] = r[1]
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

func unionSets(sets ...rangeSet) rangeSet {
	var all rangeSet
	for _, s := range sets {
		all = append(all, s...)
	}
	return norm(all)
}

func negate(s rangeSet) rangeSet {
	s = norm(append(rangeSet(nil), s...))
	var out rangeSet
	next := rune(0)
	for _, r := range s {
		if r[0] > next {
			out = append(out, [2]rune{next, r[0] - 1})
		}
		next = r[1] + 1
	}
	if next <= unicode.MaxRune {
		out = append(out, [2]rune{next, unicode.MaxRune})
	}
	return out
}

func subtract(a, b rangeSet) rangeSet {
	nb := negate(b)
	// a ∩ ¬b
	var out rangeSet
	a = norm(append(rangeSet(nil), a...))
	for _, x := range a {
		for _, y := range nb {
			lo, hi := max(x[0], y[0]), min(x[1], y[1])
			if lo <= hi {
				out = append(out, [2]rune{lo, hi})
			}
		}
	}
	return norm(out)
}

func tableSet(t *unicode.RangeTable) rangeSet {
	var out rangeSet
	// add takes one entry of the table, 16- or 32-bit alike: a stride of 1
	// is the whole range, any other only the runes it steps on.
	add := func(lo, hi, stride rune) {
		if stride == 1 {
			out = append(out, [2]rune{lo, hi})
			return
		}
		for c := lo; c <= hi; c += stride {
			out = append(out, [2]rune{c, c})
		}
	}
	for _, r := range t.R16 {
		add(rune(r.Lo), rune(r.Hi), rune(r.Stride))
	}
	for _, r := range t.R32 {
		add(rune(r.Lo), rune(r.Hi), rune(r.Stride))
	}
	return norm(out)
}

// categorySet is a general category or a one-letter group of them; Cn
// (unassigned) is what no other category holds.
func categorySet(name string) rangeSet {
	if t, ok := unicode.Categories[name]; ok && name == "Cn" {
		return tableSet(t) // newer Go versions have the table
	}
	if name == "Cn" {
		var all []rangeSet
		for n, t := range unicode.Categories {
			if len(n) == 2 && n != "Cn" {
				all = append(all, tableSet(t))
			}
		}
		return negate(unionSets(all...))
	}
	if name == "C" {
		return unionSets(tableSet(unicode.C), categorySet("Cn"))
	}
	if t, ok := unicode.Categories[name]; ok {
		return tableSet(t)
	}
	return nil
}

var blockAliases = map[string]string{
	"IsGreek":                       "IsGreekandCoptic",
	"IsCombiningMarksforSymbols":    "IsCombiningDiacriticalMarksforSymbols",
	"IsPrivateUse":                  "IsPrivateUseArea",
	"IsCyrillicSupplement":          "IsCyrillicSupplementary",
	"IsLatin1Supplement":            "IsLatin1Supplement",
	"IsHighPrivateUseSurrogates":    "IsHighPrivateUseSurrogates",
	"IsCJKCompatibilityIdeographsa": "IsCJKCompatibilityIdeographs",
}

func propertySet(name string) (rangeSet, error) {
	if strings.HasPrefix(name, "Is") {
		if a, ok := blockAliases[name]; ok {
			name = a
		}
		if r, ok := blocks[name]; ok {
			return rangeSet{r}, nil
		}
		return nil, fmt.Errorf("\\p{%s}: no Unicode block is called %s", name, strings.TrimPrefix(name, "Is"))
	}
	if s := categorySet(name); s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("\\p{%s}: no Unicode category is called %s", name, name)
}

var nameStart, nameChar rangeSet

func init() {
	nameStart = rangeSet{{':', ':'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x2FF},
		{0x370, 0x37D}, {0x37F, 0x1FFF}, {0x200C, 0x200D}, {0x2070, 0x218F}, {0x2C00, 0x2FEF}, {0x3001, 0xD7FF},
		{0xF900, 0xFDCF}, {0xFDF0, 0xFFFD}, {0x10000, 0xEFFFF}}
	nameChar = unionSets(nameStart, rangeSet{{'-', '.'}, {'0', '9'}, {0xB7, 0xB7}, {0x300, 0x36F}, {0x203F, 0x2040}})
}

func nameStartSet() rangeSet { return nameStart }
func nameCharSet() rangeSet  { return nameChar }

func writeSet(b *strings.Builder, s rangeSet) {
	if len(s) == 0 {
		b.WriteString(`[^\x00-\x{10FFFF}]`)
		return
	}
	b.WriteByte('[')
	for _, r := range s {
		fmt.Fprintf(b, `\x{%X}`, r[0])
		if r[1] != r[0] {
			fmt.Fprintf(b, `-\x{%X}`, r[1])
		}
	}
	b.WriteByte(']')
}
