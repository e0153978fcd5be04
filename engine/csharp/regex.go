package csharp

import (
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// System.Text.RegularExpressions' result classes: a Match is a Group (its
// group 0), a Group is a Capture, as in .NET; GroupCollection,
// MatchCollection (a Match[] here) and CaptureCollection (a Capture[]).

// Capture is one captured substring. Index and Length count UTF-16 units,
// as .NET's do.
type Capture struct {
	Value  string
	Index  int
	Length int
}

// String is .NET's ToString(): the captured text.
func (c *Capture) String() string { return c.Value }

func (c *Capture) capture() *Capture { return c }

// Group is one capture group of a match.
type Group struct {
	Capture
	Name    string
	Success bool
	m       *Match // the match it belongs to, nil for the empty group
	num     int    // its number in Go's regexp (left to right)
}

func (g *Group) group() *Group { return g }

// Match is a Regex match: its group 0, and the match's other groups in
// .NET's order (unnamed groups, then named ones, each left to right).
type Match struct {
	Group
	re     *regexp.Regexp
	input  string
	groups []*Group
	ord    int   // which match of the input it is (NextMatch)
	idx    []int // Go's submatch byte offsets (Result)
}

// GroupCollection is Match.Groups.
type GroupCollection struct{ m *Match }

type capturer interface{ capture() *Capture }

type grouper interface{ group() *Group }

var (
	tCapture      = &Type{K: KRegexCapture, Name: "Capture"}
	tGroup        = &Type{K: KRegexGroup, Name: "Group"}
	tGroupColl    = &Type{K: KGroupColl, Name: "GroupCollection"}
	tMatchColl    = &Type{K: KArray, Name: "MatchCollection", Elem: tMatch}
	tCaptureColl  = &Type{K: KArray, Name: "CaptureCollection", Elem: tCapture}
	emptyGroup    = &Group{}
	tRegex        = &Type{K: KRegex, Name: "Regex"}
	regexTypeName = map[string]*Type{"Regex": tRegex, "Match": tMatch, "Group": tGroup, "Capture": tCapture,
		"MatchCollection": tMatchColl, "GroupCollection": tGroupColl, "CaptureCollection": tCaptureColl}
)

// emptyMatch is .NET's Match.Empty, what a failed Regex.Match returns:
// one shared match, as .NET's singleton (== Match.Empty is true). It is
// never changed once made.
func emptyMatch() *Match { return theEmptyMatch }

var theEmptyMatch = func() *Match {
	m := &Match{Group: Group{Name: "0"}}
	m.groups = []*Group{&m.Group}
	return m
}()

// dotnetGroupOrder is re's groups (Go's numbers) in .NET's numbering:
// the whole match, the unnamed groups, then the named ones.
func dotnetGroupOrder(re *regexp.Regexp) []int {
	names := re.SubexpNames()
	order := []int{0}
	for i := 1; i < len(names); i++ {
		if names[i] == "" {
			order = append(order, i)
		}
	}
	for i := 1; i < len(names); i++ {
		if names[i] != "" {
			order = append(order, i)
		}
	}
	return order
}

// newMatch builds the match whose submatch byte offsets are idx (from
// FindStringSubmatchIndex); nil idx is a failed match.
func newMatch(re *regexp.Regexp, s string, idx []int, ord int) *Match {
	if idx == nil {
		return emptyMatch()
	}
	m := &Match{re: re, input: s, ord: ord, idx: idx}
	names, order := re.SubexpNames(), dotnetGroupOrder(re)
	for k, i := range order {
		g := &Group{Name: names[i], m: m, num: i}
		if k == 0 {
			g = &m.Group
			g.m, g.num = m, 0
		}
		if g.Name == "" {
			g.Name = strconv.Itoa(k)
		}
		if idx[2*i] >= 0 {
			g.Success = true
			g.Value = s[idx[2*i]:idx[2*i+1]]
			g.Index = utf16Index(s, idx[2*i])
			g.Length = utf16Len(g.Value)
		}
		m.groups = append(m.groups, g)
	}
	return m
}

// get is Groups[k]: by number or name; a group the pattern does not have
// is .NET's empty group (Success false, Value "").
func (gc *GroupCollection) get(k any) *Group {
	gs := gc.m.groups
	switch x := k.(type) {
	case int:
		if x >= 0 && x < len(gs) {
			return gs[x]
		}
	case string:
		for _, g := range gs {
			if g.Name == x {
				return g
			}
		}
		if n, err := strconv.Atoi(x); err == nil && n >= 0 && n < len(gs) && strconv.Itoa(n) == x {
			return gs[n]
		}
	}
	return emptyGroup
}

func (gc *GroupCollection) items() []any {
	out := make([]any, len(gc.m.groups))
	for i, g := range gc.m.groups {
		out[i] = g
	}
	return out
}

// nextMatch is Match.NextMatch(): the input's next match, Match.Empty
// after the last.
func (m *Match) nextMatch() *Match {
	if m.re == nil {
		return m
	}
	all := m.re.FindAllStringSubmatchIndex(m.input, m.ord+2)
	if len(all) < m.ord+2 {
		return emptyMatch()
	}
	return newMatch(m.re, m.input, all[m.ord+1], m.ord+1)
}

// allMatches is Regex.Matches: every match, at most MaxItems.
func allMatches(re *regexp.Regexp, s string) []any {
	out := []any{}
	for i, idx := range re.FindAllStringSubmatchIndex(s, MaxItems) {
		out = append(out, newMatch(re, s, idx, i))
	}
	return out
}

// captures is Group.Captures. Go's engine keeps only a group's last
// capture, so a group inside a repetition ((a)+), whose every capture
// .NET keeps, is a NotSupportedException rather than a wrong count.
func (g *Group) captures() (any, error) {
	if !g.Success {
		return []any{}, nil
	}
	if g.num > 0 && repeatedGroup(g.m.re, g.num) {
		return nil, exc("NotSupportedException", "Group.Captures of a group inside a repetition is not supported in policy expressions (Go's regular expressions keep only the last capture).")
	}
	c := g.Capture
	return []any{&c}, nil
}

// repeatedGroup reports whether capture group n of re stands inside a
// repetition that may match more than once.
func repeatedGroup(re *regexp.Regexp, n int) bool {
	p, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return true
	}
	var walk func(r *syntax.Regexp, rep bool) bool
	walk = func(r *syntax.Regexp, rep bool) bool {
		switch r.Op {
		case syntax.OpStar, syntax.OpPlus:
			rep = true
		case syntax.OpRepeat:
			rep = rep || r.Max != 1
		case syntax.OpCapture:
			if r.Cap == n {
				return rep
			}
		}
		for _, s := range r.Sub {
			if walk(s, rep) {
				return true
			}
		}
		return false
	}
	return walk(p, false)
}

// receiver is a member's receiver as a *T, or .NET's NullReferenceException.
func receiver[T any](v any) (*T, error) {
	p, ok := v.(*T)
	if !ok || p == nil {
		return nil, errNull
	}
	return p, nil
}

// registerRegexResults adds the members of Match, Group, Capture and
// GroupCollection. A Match has a Group's and a Capture's members, a Group
// a Capture's.
func registerRegexResults() {
	S, I, B := tString, tInt, tBool
	capOf := func(v any) (*Capture, error) {
		c, ok := v.(capturer)
		if !ok || v == nil {
			return nil, errNull
		}
		return c.capture(), nil
	}
	grpOf := func(v any) (*Group, error) {
		g, ok := v.(grouper)
		if !ok || v == nil {
			return nil, errNull
		}
		return g.group(), nil
	}
	// capProp and grpProp register a member read from the value's
	// Capture, or Group.
	capProp := func(k Kind, name string, t *Type, f func(*Capture) any) {
		prop(k, name, t, func(a []any) (any, error) {
			c, err := capOf(a[0])
			if err != nil {
				return nil, err
			}
			return f(c), nil
		}, nil)
	}
	grpProp := func(k Kind, name string, t *Type, f func(*Group) (any, error)) {
		prop(k, name, t, func(a []any) (any, error) {
			g, err := grpOf(a[0])
			if err != nil {
				return nil, err
			}
			return f(g)
		}, nil)
	}
	for _, k := range []Kind{KRegexMatch, KRegexGroup, KRegexCapture} {
		capProp(k, "Value", S, func(c *Capture) any { return c.Value })
		capProp(k, "Index", I, func(c *Capture) any { return c.Index })
		capProp(k, "Length", I, func(c *Capture) any { return c.Length })
		method(k, "ToString", ts(), S, func(a []any) (any, error) {
			c, err := capOf(a[0])
			if err != nil {
				return nil, err
			}
			return c.Value, nil
		}, nil)
		if k == KRegexCapture {
			continue
		}
		grpProp(k, "Success", B, func(g *Group) (any, error) { return g.Success, nil })
		grpProp(k, "Name", S, func(g *Group) (any, error) { return g.Name, nil })
		grpProp(k, "Captures", tCaptureColl, func(g *Group) (any, error) { return g.captures() })
	}
	matchOf := receiver[Match]
	prop(KRegexMatch, "Groups", tGroupColl, func(a []any) (any, error) {
		m, err := matchOf(a[0])
		if err != nil {
			return nil, err
		}
		return &GroupCollection{m: m}, nil
	}, nil)
	method(KRegexMatch, "Result", ts(S), S, func(a []any) (any, error) {
		m, err := matchOf(a[0])
		if err != nil {
			return nil, err
		}
		r, ok := a[1].(string)
		if !ok {
			return nil, argNull("replacement")
		}
		if m.re == nil {
			return nil, exc("NotSupportedException", "Result cannot be called on a failed Match.")
		}
		out := string(m.re.ExpandString(nil, dotnetReplacement(m.re, r), m.input, m.idx))
		if len(out) > MaxString {
			return nil, errString
		}
		return out, nil
	}, nil)
	method(KRegexMatch, "NextMatch", ts(), tMatch, func(a []any) (any, error) {
		m, err := matchOf(a[0])
		if err != nil {
			return nil, err
		}
		return m.nextMatch(), nil
	}, nil)
	gcOf := receiver[GroupCollection]
	prop(KGroupColl, "Count", I, func(a []any) (any, error) {
		gc, err := gcOf(a[0])
		if err != nil {
			return nil, err
		}
		return len(gc.m.groups), nil
	}, nil)
	prop(KGroupColl, "Keys", tStrings, func(a []any) (any, error) {
		gc, err := gcOf(a[0])
		if err != nil {
			return nil, err
		}
		out := make([]any, len(gc.m.groups))
		for i, g := range gc.m.groups {
			out[i] = g.Name
		}
		return out, nil
	}, nil)
	prop(KGroupColl, "Values", arrayOf(tGroup), func(a []any) (any, error) {
		gc, err := gcOf(a[0])
		if err != nil {
			return nil, err
		}
		return gc.items(), nil
	}, nil)
	method(KGroupColl, "ContainsKey", ts(S), B, func(a []any) (any, error) {
		gc, err := gcOf(a[0])
		if err != nil {
			return nil, err
		}
		k, _ := a[1].(string)
		for _, g := range gc.m.groups {
			if g.Name == k {
				return true, nil
			}
		}
		return false, nil
	}, nil)
}

// regexCast is a cast to one of the regex result classes (ok false for
// other types).
func regexCast(v any, t *Type) (any, bool, error) {
	var fits bool
	switch t.K {
	case KRegexMatch:
		_, fits = v.(*Match)
	case KRegexGroup:
		_, fits = v.(grouper)
	case KRegexCapture:
		_, fits = v.(capturer)
	case KGroupColl:
		_, fits = v.(*GroupCollection)
	default:
		return nil, false, nil
	}
	if fits || v == nil {
		return v, true, nil
	}
	return nil, true, castErr(v, "System.Text.RegularExpressions."+t.Name)
}

// explicitCapture is RegexOptions.ExplicitCapture: the pattern with its
// unnamed groups made non-capturing, so that named groups alone are
// captured (and numbered from 1), as .NET does.
func explicitCapture(pat string) (string, error) {
	r, err := syntax.Parse(strings.ReplaceAll(pat, "(?<", "(?P<"), syntax.Perl)
	if err != nil {
		return "", exc("RegexParseException", "Invalid pattern '%s': %v", pat, err)
	}
	var strip func(r *syntax.Regexp) *syntax.Regexp
	strip = func(r *syntax.Regexp) *syntax.Regexp {
		for i, s := range r.Sub {
			r.Sub[i] = strip(s)
		}
		if r.Op == syntax.OpCapture && r.Name == "" {
			return r.Sub[0]
		}
		return r
	}
	return strip(r).String(), nil
}

// dotnetReplacement turns a .NET replacement pattern into Go's: $n and
// ${n} by .NET's group numbers (unnamed groups first, then named ones),
// ${name}, $& (the match) and $$; a $n the pattern has no group n for is
// the text "$n", as .NET leaves it.
func dotnetReplacement(re *regexp.Regexp, r string) string {
	if !strings.Contains(r, "$") {
		return r
	}
	order := dotnetGroupOrder(re)
	group := func(ref string) (string, bool) {
		if n, err := strconv.Atoi(ref); err == nil {
			if n >= 0 && n < len(order) {
				return "${" + strconv.Itoa(order[n]) + "}", true
			}
			return "", false
		}
		if re.SubexpIndex(ref) > 0 {
			return "${" + ref + "}", true
		}
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		if c != '$' || i+1 == len(r) {
			b.WriteByte(c)
			continue
		}
		rest := r[i+1:]
		switch {
		case rest[0] == '$':
			b.WriteString("$$")
			i++
			continue
		case rest[0] == '&':
			b.WriteString("${0}")
			i++
			continue
		case rest[0] >= '0' && rest[0] <= '9':
			k := 0
			for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
				k++
			}
			if g, ok := group(rest[:k]); ok {
				b.WriteString(g)
				i += k
				continue
			}
		case rest[0] == '{':
			if end := strings.IndexByte(rest, '}'); end > 0 {
				if g, ok := group(rest[1:end]); ok {
					b.WriteString(g)
					i += end + 1
					continue
				}
			}
		}
		b.WriteString("$$") // a literal $
	}
	return b.String()
}

// regexSplit is Regex.Split: the text between matches, and, as .NET adds
// them, the text of each group that took part in a match (in .NET's group
// order).
func regexSplit(re *regexp.Regexp, s string) []any {
	all := re.FindAllStringSubmatchIndex(s, MaxItems)
	if len(all) == 0 {
		return []any{s}
	}
	out := []any{}
	prev := 0
	for i, idx := range all {
		out = append(out, s[prev:idx[0]])
		prev = idx[1]
		m := newMatch(re, s, idx, i)
		for _, g := range m.groups[1:] {
			if g.Success {
				out = append(out, g.Value)
			}
		}
	}
	return append(out, s[prev:])
}

// regexObj is a Regex instance: new Regex(pattern[, options]).
type regexObj struct {
	pattern string // as written, for ToString()
	goPat   string // with the options applied (regexFlags, explicitCapture)
}

func (r *regexObj) String() string { return r.pattern }

// registerRegexObject adds new Regex(pattern[, options]), its IsMatch,
// Match, Matches, Replace and Split (the static methods' with its
// pattern), and Regex.Escape and Unescape.
func registerRegexObject() {
	S, I := tString, tInt
	newRegex := func(a []any) (any, error) {
		p, ok := a[0].(string)
		if !ok {
			return nil, argNull("pattern")
		}
		r := &regexObj{pattern: p, goPat: p}
		if len(a) > 1 {
			opts := toInt(a[1])
			prefix, err := regexFlags(opts)
			if err != nil {
				return nil, err
			}
			r.goPat = prefix + p
			if opts&4 != 0 {
				if r.goPat, err = explicitCapture(r.goPat); err != nil {
					return nil, err
				}
			}
		}
		if _, err := compileRegex(r.goPat); err != nil { // a bad pattern fails the constructor
			return nil, err
		}
		return r, nil
	}
	static("Regex", "new", ts(S), tRegex, newRegex, nil)
	static("Regex", "new", ts(S, I), tRegex, newRegex, nil)
	static("Regex", "new", ts(S, I, tTimeSpan), tRegex, func(a []any) (any, error) {
		if err := checkMatchTimeout(a[2]); err != nil {
			return nil, err
		}
		return newRegex(a[:2])
	}, nil)
	for _, m := range []struct {
		name   string
		params []*Type
	}{{"IsMatch", ts(S)}, {"Match", ts(S)}, {"Matches", ts(S)}, {"Replace", ts(S, S)}, {"Split", ts(S)}} {
		var base *builtin
		for _, b := range statics["Regex"][m.name] {
			if len(b.params) == len(m.params)+1 {
				base = b
			}
		}
		method(KRegex, m.name, m.params, base.result, func(a []any) (any, error) {
			r, ok := a[0].(*regexObj)
			if !ok || r == nil {
				return nil, errNull
			}
			args := append([]any{a[1], r.goPat}, a[2:]...)
			return base.run(args)
		}, nil)
	}
	method(KRegex, "ToString", ts(), S, func(a []any) (any, error) {
		r, ok := a[0].(*regexObj)
		if !ok || r == nil {
			return nil, errNull
		}
		return r.pattern, nil
	}, nil)
	// Match.Empty, which APIM's types table lists: the failed match.
	staticProp("Match", "Empty", tMatch, func([]any) (any, error) { return emptyMatch(), nil }, nil)
	static("Regex", "Escape", ts(S), S, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("str")
		}
		return regexEscape(s), nil
	}, nil)
	static("Regex", "Unescape", ts(S), S, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("str")
		}
		return regexUnescape(s), nil
	}, nil)
}

// regexEscape is Regex.Escape: \ * + ? | { [ ( ) ^ $ . # and white space
// escaped (\t \n \r \f by their escapes).
func regexEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '*', '+', '?', '|', '{', '[', '(', ')', '^', '$', '.', '#', ' ':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// regexUnescape is Regex.Unescape: the character escapes (\t \n \r \f
// \v \a \e, \xHH, \uHHHH, octal \NNN); any other \c is c.
func regexUnescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'a':
			b.WriteByte('\a')
		case 'e':
			b.WriteByte(0x1b)
		case 'x', 'u':
			n := 2
			if s[i] == 'u' {
				n = 4
			}
			if v, err := strconv.ParseUint(s[i+1:min(i+1+n, len(s))], 16, 32); err == nil && i+1+n <= len(s) {
				b.WriteRune(rune(v))
				i += n
				break
			}
			b.WriteByte(s[i])
		case '0', '1', '2', '3', '4', '5', '6', '7':
			k := i
			v := 0
			for k < len(s) && k < i+3 && s[k] >= '0' && s[k] <= '7' {
				v = v*8 + int(s[k]-'0')
				k++
			}
			b.WriteRune(rune(v & 0xFF))
			i = k - 1
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// regexEvaluator binds Regex.Replace(input, pattern, m => ...[, options])
// and regex.Replace(input, m => ...): the lambda (a MatchEvaluator) gives
// each match's replacement. It runs on the interpreter.
func (b *binder) regexEvaluator(n *Call, l *Lambda, instance bool) (*Type, error) {
	want := []*Type{tString, tString, nil, tInt}
	if instance {
		want = []*Type{tString, nil}
	}
	for i, a := range n.Args {
		if want[i] == nil {
			if a.X != Expr(l) {
				return nil, b.errf(a.Off, "the MatchEvaluator of Regex.Replace must be a lambda (m => ...)")
			}
			continue
		}
		t, err := b.expr(a.X)
		if err != nil {
			return nil, err
		}
		if err := b.convertible(a.X, t, want[i]); err != nil {
			return nil, err
		}
	}
	if len(l.Params) != 1 {
		return nil, b.errf(l.Off, "a MatchEvaluator is a lambda of one parameter (m => ...)")
	}
	t, err := b.bindLambdaTo(l, tString, tMatch)
	if err != nil {
		return nil, err
	}
	if l.Block == nil {
		if err := b.convertible(l.Body, t, tString); err != nil {
			return nil, err
		}
	}
	b.needInterp("Regex.Replace with a MatchEvaluator")
	n.evaluator = true
	return tString, nil
}

// regexEvaluate runs a Regex.Replace with a MatchEvaluator.
func (f *frame) regexEvaluate(n *Call, m *Member) (any, error) {
	var vals []any
	if !isStaticRecv(m.X) {
		r, err := f.eval(m.X)
		if err != nil {
			return nil, err
		}
		ro, ok := r.(*regexObj)
		if !ok || ro == nil {
			return nil, errNull
		}
		in, err := f.eval(n.Args[0].X)
		if err != nil {
			return nil, err
		}
		vals = []any{in, ro.goPat}
	} else {
		for i, a := range n.Args {
			if i == 2 {
				continue
			}
			v, err := f.eval(a.X)
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
		}
		if len(vals) == 3 { // options
			p, _ := vals[1].(string)
			prefix, err := regexFlags(toInt(vals[2]))
			if err != nil {
				return nil, err
			}
			pat := prefix + p
			if toInt(vals[2])&4 != 0 {
				if pat, err = explicitCapture(pat); err != nil {
					return nil, err
				}
			}
			vals = []any{vals[0], pat}
		}
	}
	re, s, err := regexArgs(vals)
	if err != nil {
		return nil, err
	}
	li := 2 // Regex.Replace(input, pattern, evaluator[, options])
	if !isStaticRecv(m.X) {
		li = 1 // regex.Replace(input, evaluator)
	}
	eval := f.lambda(n.Args[li].X.(*Lambda))
	var b strings.Builder
	prev := 0
	for i, idx := range re.FindAllStringSubmatchIndex(s, MaxItems) {
		r, err := eval(newMatch(re, s, idx, i))
		if err != nil {
			return nil, err
		}
		b.WriteString(s[prev:idx[0]])
		b.WriteString(catStr(r))
		prev = idx[1]
		if b.Len() > MaxString {
			return nil, errString
		}
	}
	b.WriteString(s[prev:])
	return b.String(), nil
}
