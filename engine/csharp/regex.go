package csharp

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dlclark/regexp2/v2"
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
	m       *Match    // the match it belongs to, nil for the empty group
	num     int       // its group number
	caps    []Capture // every capture, first to last (Captures)
}

func (g *Group) group() *Group { return g }

// Match is a Regex match: its group 0, and the match's other groups in
// .NET's order (by number: unnamed groups, then named ones).
type Match struct {
	Group
	rx     *dnRegex
	text   *rxText
	raw    *regexp2.Match // regexp2's (NextMatch)
	groups []*Group
	off    int // where in text the units regexp2 matched on start: regex.Match(input, beginning, length)'s beginning
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

// newMatch builds the Match of regexp2's match raw (nil: a failed match).
func newMatch(rx *dnRegex, t *rxText, raw *regexp2.Match) *Match { return newMatchAt(rx, t, raw, 0) }

// newMatchAt is newMatch of a match regexp2 found in t's units from off
// on: its indexes are off more, as .NET gives them in the whole input.
func newMatchAt(rx *dnRegex, t *rxText, raw *regexp2.Match, off int) *Match {
	if raw == nil {
		return emptyMatch()
	}
	m := &Match{rx: rx, text: t, raw: raw, off: off}
	gs := raw.Groups()
	m.groups = make([]*Group, len(gs))
	others := make([]Group, len(gs)-1) // the groups past 0, in one allocation
	ncaps := 0
	for k := range gs {
		ncaps += len(gs[k].Captures)
	}
	caps := make([]Capture, 0, ncaps) // every group's captures, in one allocation
	for k := range gs {
		rg := &gs[k]
		g := &m.Group
		if k > 0 {
			g = &others[k-1]
			g.Name = rg.Name
		} else {
			g.Name = "0"
		}
		g.m, g.num = m, k
		if k < len(rx.nums) {
			g.num = rx.nums[k]
		}
		if n := len(rg.Captures); n > 0 {
			g.Success = true
			from := len(caps)
			for _, c := range rg.Captures {
				caps = append(caps, Capture{Value: t.sub(off+c.RuneIndex, c.RuneLength), Index: off + c.RuneIndex, Length: c.RuneLength})
			}
			g.caps = caps[from:len(caps):len(caps)]
			g.Capture = g.caps[n-1]
		}
		m.groups[k] = g
	}
	return m
}

// groupNum is the group numbered n (.NET's numbers), the empty group if
// there is none.
func (m *Match) groupNum(n int) *Group {
	for _, g := range m.groups {
		if g.num == n {
			return g
		}
	}
	return emptyGroup
}

// get is Groups[k]: by number or name; a group the pattern does not have
// is .NET's empty group (Success false, Value "").
func (gc *GroupCollection) get(k any) *Group {
	switch x := k.(type) {
	case int:
		return gc.m.groupNum(x)
	case string:
		for _, g := range gc.m.groups {
			if g.Name == x {
				return g
			}
		}
		if n, err := strconv.Atoi(x); err == nil && n >= 0 && strconv.Itoa(n) == x {
			return gc.m.groupNum(n)
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

// firstMatch is Regex.Match.
func firstMatch(rx *dnRegex, s string) (*Match, error) { return firstMatchAt(rx, s, -1) }

// firstMatchAt is regex.Match(input, startat); startat < 0 is the start
// (the end with RightToLeft).
func firstMatchAt(rx *dnRegex, s string, startat int) (*Match, error) {
	t := newRxText(s)
	raw, err := findFrom(rx, t, startat)
	if err != nil {
		return nil, regexRunError(rx, err)
	}
	return newMatch(rx, t, raw), nil
}

// firstMatchIn is regex.Match(input, beginning, length): the first match
// in the units [beg, beg+n) of s as if they were the whole input.
func firstMatchIn(rx *dnRegex, s string, beg, n int) (*Match, error) {
	t := newRxText(s)
	raw, err := rx.re.FindRunesMatch(t.units[beg : beg+n])
	if err != nil {
		return nil, regexRunError(rx, err)
	}
	return newMatchAt(rx, t, raw, beg), nil
}

// isMatch is Regex.IsMatch. The input's UTF-16 units go in a pooled
// buffer: no match outlives the call.
func isMatch(rx *dnRegex, s string) (bool, error) {
	bp := unitBufs.Get().(*[]rune)
	units := appendUnits((*bp)[:0], s)
	ok, err := rx.re.MatchRunes(units)
	if cap(units) <= 1<<16 {
		*bp = units
		unitBufs.Put(bp)
	}
	if err != nil {
		return false, regexRunError(rx, err)
	}
	return ok, nil
}

var unitBufs = sync.Pool{New: func() any { return new([]rune) }}

// nextMatch is Match.NextMatch(): the input's next match, Match.Empty
// after the last.
func (m *Match) nextMatch() (*Match, error) {
	if m.rx == nil {
		return m, nil
	}
	raw, err := m.rx.re.FindNextMatch(m.raw)
	if err != nil {
		return nil, regexRunError(m.rx, err)
	}
	return newMatchAt(m.rx, m.text, raw, m.off), nil
}

// eachMatch calls f with each match of s (right to left with
// RightToLeft), at most MaxItems, until f returns false. The matches
// together take at most the regex's time limit.
func eachMatch(rx *dnRegex, t *rxText, startat int, f func(*Match) (bool, error)) error {
	return eachRaw(rx, t, startat, MaxItems, func(raw *regexp2.Match) (bool, error) { return f(newMatch(rx, t, raw)) })
}

// findFrom is the first match from startat (< 0: the start, or the end
// with RightToLeft).
func findFrom(rx *dnRegex, t *rxText, startat int) (*regexp2.Match, error) {
	if startat < 0 {
		return rx.re.FindRunesMatch(t.units)
	}
	return rx.re.FindRunesMatchStartingAt(t.units, startat)
}

// eachRaw is eachMatch with regexp2's matches, at most max (-1: every
// match, in the time limit), from startat (see findFrom).
func eachRaw(rx *dnRegex, t *rxText, startat, max int, f func(*regexp2.Match) (bool, error)) error {
	deadline := time.Now().Add(rx.re.MatchTimeout)
	raw, err := findFrom(rx, t, startat)
	for n := 0; ; n++ {
		if err != nil {
			return regexRunError(rx, err)
		}
		if raw == nil || n == max {
			return nil
		}
		if more, err := f(raw); err != nil || !more {
			return err
		}
		if time.Now().After(deadline) {
			return regexRunError(rx, errors.New("timeout"))
		}
		raw, err = rx.re.FindNextMatch(raw)
	}
}

// allMatches is Regex.Matches: every match, at most MaxItems.
func allMatches(rx *dnRegex, s string, startat int) ([]any, error) {
	out := []any{}
	err := eachMatch(rx, newRxText(s), startat, func(m *Match) (bool, error) {
		out = append(out, m)
		return true, nil
	})
	return out, err
}

// regexReplace is Regex.Replace: each match replaced by repl's text (a
// replacement pattern) or eval's (a MatchEvaluator), called in the order
// the matches are found (right to left with RightToLeft). Every match is
// replaced, however many (masking must not stop half way), in the time
// limit and MaxString.
func regexReplace(rx *dnRegex, s string, repl *regexReplacer, eval func(*Match) (string, error)) (string, error) {
	return regexReplaceN(rx, s, repl, eval, -1, -1)
}

// regexReplaceN is Regex.Replace of at most count matches (-1: all) from
// startat (see findFrom).
func regexReplaceN(rx *dnRegex, s string, repl *regexReplacer, eval func(*Match) (string, error), count, startat int) (string, error) {
	if count == 0 {
		return s, nil
	}
	t := newRxText(s)
	rtl := rx.re.RightToLeft()
	var out strings.Builder
	prev := 0 // left to right: the end of the last match, in UTF-16 units
	type piece struct {
		at, end int // the match, in UTF-16 units
		with    string
	}
	var pieces []piece // right to left: the replacements, assembled at the end
	var b strings.Builder
	rm := &rawMatch{rx: rx, t: t}
	n, size := 0, 0 // matches, and the size of the pieces
	err := eachRaw(rx, t, startat, count, func(raw *regexp2.Match) (bool, error) {
		n++
		at, end := raw.RuneIndex, raw.RuneIndex+raw.RuneLength
		w := &out
		if rtl {
			b.Reset()
			w = &b
		} else {
			out.WriteString(t.sub(prev, at-prev))
			prev = end
		}
		if eval != nil {
			r, err := eval(newMatch(rx, t, raw))
			if err != nil {
				return false, err
			}
			w.WriteString(r)
		} else {
			rm.raw = raw
			repl.expand(w, rm)
		}
		if rtl {
			pieces = append(pieces, piece{at, end, b.String()})
			size += b.Len()
		}
		if out.Len()+size > MaxString {
			return false, errString
		}
		return true, nil
	})
	switch {
	case err != nil:
		return "", err
	case n == 0:
		return s, nil
	case rtl:
		slices.Reverse(pieces)
		for _, p := range pieces {
			out.WriteString(t.sub(prev, p.at-prev))
			out.WriteString(p.with)
			prev = p.end
		}
	}
	out.WriteString(t.sub(prev, len(t.units)-prev))
	if out.Len() > MaxString {
		return "", errString
	}
	return out.String(), nil
}

// captures is Group.Captures: each capture of the group, first to last
// (a group inside a repetition, (a)+, captures once a turn).
func (g *Group) captures() (any, error) {
	out := make([]any, len(g.caps))
	for i := range g.caps {
		c := g.caps[i]
		out[i] = &c
	}
	return out, nil
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
		if m.rx == nil {
			return nil, exc("NotSupportedException", "Result cannot be called on a failed Match.")
		}
		var b strings.Builder
		m.rx.replacer(r).expand(&b, m)
		if b.Len() > MaxString {
			return nil, errString
		}
		return b.String(), nil
	}, nil)
	method(KRegexMatch, "NextMatch", ts(), tMatch, func(a []any) (any, error) {
		m, err := matchOf(a[0])
		if err != nil {
			return nil, err
		}
		return m.nextMatch()
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

// regexSplit is Regex.Split: the text between matches, and, as .NET adds
// them, the text of each group that took part in a match (in .NET's group
// order); with RightToLeft, .NET's list read from the right, reversed.
func regexSplit(rx *dnRegex, s string) ([]any, error) { return regexSplitN(rx, s, 0, -1) }

// regexSplitN is Regex.Split into at most count pieces (0: no limit; the
// groups' texts not counted), matching from startat (see findFrom).
func regexSplitN(rx *dnRegex, s string, count, startat int) ([]any, error) {
	if count == 1 {
		return []any{s}, nil
	}
	max := MaxItems
	if count > 1 && count-1 < max {
		max = count - 1
	}
	t := newRxText(s)
	rtl := rx.re.RightToLeft()
	out := []any{}
	prev := 0
	if rtl {
		prev = len(t.units)
	}
	n := 0
	err := eachRaw(rx, t, startat, max, func(raw *regexp2.Match) (bool, error) {
		n++
		m := newMatch(rx, t, raw)
		if rtl {
			out = append(out, t.sub(m.Index+m.Length, prev-m.Index-m.Length))
			prev = m.Index
		} else {
			out = append(out, t.sub(prev, m.Index-prev))
			prev = m.Index + m.Length
		}
		for _, g := range m.groups[1:] {
			if g.Success {
				out = append(out, g.Value)
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return []any{s}, nil
	}
	if rtl {
		out = append(out, t.sub(0, prev))
		slices.Reverse(out)
		return out, nil
	}
	return append(out, t.sub(prev, len(t.units)-prev)), nil
}

// regexObj is a Regex instance: new Regex(pattern[, options[, timeout]]).
type regexObj struct {
	rx *dnRegex
}

func (r *regexObj) String() string { return r.rx.pattern }

// regexOp is one of Regex's operations on a compiled pattern: IsMatch,
// Match, Matches, Replace (with a replacement pattern) and Split; more
// holds the arguments after the input.
type regexOp func(rx *dnRegex, s string, more []any) (any, error)

var regexOps = []struct {
	name   string
	params []*Type
	result *Type
	run    regexOp
}{
	{"IsMatch", ts(tString), tBool, func(rx *dnRegex, s string, _ []any) (any, error) { return isMatch(rx, s) }},
	{"Match", ts(tString), tMatch, func(rx *dnRegex, s string, _ []any) (any, error) { return firstMatch(rx, s) }},
	{"Matches", ts(tString), tMatchColl, func(rx *dnRegex, s string, _ []any) (any, error) { return allMatches(rx, s, -1) }},
	{"Replace", ts(tString, tString), tString, func(rx *dnRegex, s string, more []any) (any, error) {
		r, ok := more[0].(string)
		if !ok {
			return nil, argNull("replacement")
		}
		return regexReplace(rx, s, rx.replacer(r), nil)
	}},
	{"Split", ts(tString), tStrings, func(rx *dnRegex, s string, _ []any) (any, error) { return regexSplit(rx, s) }},
}

// registerRegex adds Regex's static methods (input, pattern[, ...][,
// options[, timeout]]), new Regex(pattern[, options[, timeout]]) and its
// methods, RegexOptions and Regex.InfiniteMatchTimeout.
func registerRegex() {
	for _, o := range regexOptions {
		v := o.v
		staticProp("RegexOptions", o.name, tInt, func([]any) (any, error) { return v, nil }, nil)
	}
	staticProp("Regex", "InfiniteMatchTimeout", tTimeSpan, func([]any) (any, error) { return -time.Millisecond, nil }, nil)
	for _, op := range regexOps {
		op := op
		n := len(op.params) // input and the arguments after the pattern
		// Regex.X(input, pattern, more..., [options, [timeout]])
		run := func(a []any) (any, error) {
			s, ok := a[0].(string)
			if !ok {
				return nil, argNull("input")
			}
			pat, ok := a[1].(string)
			if !ok {
				return nil, argNull("pattern")
			}
			opts, d := 0, time.Duration(0)
			if len(a) > n+1 {
				opts = toInt(a[n+1])
			}
			if len(a) > n+2 {
				if err := checkMatchTimeout(a[n+2]); err != nil {
					return nil, err
				}
				d, _ = a[n+2].(time.Duration)
			}
			rx, err := getRegex(pat, opts, d)
			if err != nil {
				return nil, err
			}
			return op.run(rx, s, a[2:n+1])
		}
		params := append(ts(tString, tString), op.params[1:]...)
		static("Regex", op.name, params, op.result, run, nil)
		static("Regex", op.name, append(append([]*Type(nil), params...), tInt), op.result, run, nil)
		static("Regex", op.name, append(append([]*Type(nil), params...), tInt, tTimeSpan), op.result, run, nil)
		// regex.X(input, more...)
		method(KRegex, op.name, op.params, op.result, func(a []any) (any, error) {
			r, ok := a[0].(*regexObj)
			if !ok || r == nil {
				return nil, errNull
			}
			s, ok := a[1].(string)
			if !ok {
				return nil, argNull("input")
			}
			return op.run(r.rx, s, a[2:])
		}, nil)
	}
	registerRegexAt()
	newRegex := func(a []any) (any, error) {
		p, ok := a[0].(string)
		if !ok {
			return nil, argNull("pattern")
		}
		opts, d := 0, time.Duration(0)
		if len(a) > 1 {
			opts = toInt(a[1])
		}
		if len(a) > 2 {
			if err := checkMatchTimeout(a[2]); err != nil {
				return nil, err
			}
			d, _ = a[2].(time.Duration)
		}
		rx, err := getRegex(p, opts, d) // a bad pattern fails the constructor
		if err != nil {
			return nil, err
		}
		return &regexObj{rx: rx}, nil
	}
	S, I := tString, tInt
	static("Regex", "new", ts(S), tRegex, newRegex, nil)
	static("Regex", "new", ts(S, I), tRegex, newRegex, nil)
	static("Regex", "new", ts(S, I, tTimeSpan), tRegex, newRegex, nil)
	method(KRegex, "ToString", ts(), S, func(a []any) (any, error) {
		r, ok := a[0].(*regexObj)
		if !ok || r == nil {
			return nil, errNull
		}
		return r.rx.pattern, nil
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

// registerRegexAt adds the instance overloads with a start and a count:
// regex.IsMatch, Match and Matches(input, startat), Replace(input,
// replacement, count[, startat]) and Split(input, count[, startat]).
// startat counts UTF-16 units, as .NET's.
func registerRegexAt() {
	S, I := tString, tInt
	args := func(a []any) (*dnRegex, string, error) {
		r, ok := a[0].(*regexObj)
		if !ok || r == nil {
			return nil, "", errNull
		}
		s, ok := a[1].(string)
		if !ok {
			return nil, "", argNull("input")
		}
		return r.rx, s, nil
	}
	outOfRange := func(name string) error {
		return exc("ArgumentOutOfRangeException", "Specified argument was out of the range of valid values. (Parameter '%s')", name)
	}
	startat := func(s string, v any) (int, error) {
		n := toInt(v)
		if n < 0 || n > utf16Len(s) {
			return 0, outOfRange("startat")
		}
		return n, nil
	}
	// argsAt is a call's regex, input and startat (its third argument).
	argsAt := func(a []any) (*dnRegex, string, int, error) {
		rx, s, err := args(a)
		if err != nil {
			return nil, "", 0, err
		}
		at, err := startat(s, a[2])
		return rx, s, at, err
	}
	method(KRegex, "IsMatch", ts(S, I), tBool, func(a []any) (any, error) {
		rx, s, at, err := argsAt(a)
		if err != nil {
			return nil, err
		}
		m, err := firstMatchAt(rx, s, at)
		if err != nil {
			return nil, err
		}
		return m.Success, nil
	}, nil)
	method(KRegex, "Match", ts(S, I), tMatch, func(a []any) (any, error) {
		rx, s, at, err := argsAt(a)
		if err != nil {
			return nil, err
		}
		return firstMatchAt(rx, s, at)
	}, nil)
	// regex.Match(input, beginning, length): the units [beginning,
	// beginning+length) are the whole input to the pattern (^, \A, $, \z
	// and look-behinds see nothing around them), the match's indexes are
	// in input, and NextMatch stays in the same units, as .NET's.
	method(KRegex, "Match", ts(S, I, I), tMatch, func(a []any) (any, error) {
		rx, s, err := args(a)
		if err != nil {
			return nil, err
		}
		beg, n := toInt(a[2]), toInt(a[3])
		total := utf16Len(s)
		if beg < 0 || beg > total {
			return nil, outOfRange("beginning")
		}
		if n < 0 || n > total-beg {
			return nil, outOfRange("length")
		}
		return firstMatchIn(rx, s, beg, n)
	}, nil)
	method(KRegex, "Matches", ts(S, I), tMatchColl, func(a []any) (any, error) {
		rx, s, at, err := argsAt(a)
		if err != nil {
			return nil, err
		}
		return allMatches(rx, s, at)
	}, nil)
	replace := func(a []any) (any, error) {
		rx, s, err := args(a)
		if err != nil {
			return nil, err
		}
		r, ok := a[2].(string)
		if !ok {
			return nil, argNull("replacement")
		}
		count, at := toInt(a[3]), -1
		if count < -1 {
			return nil, outOfRange("count")
		}
		if len(a) > 4 {
			if at, err = startat(s, a[4]); err != nil {
				return nil, err
			}
		}
		return regexReplaceN(rx, s, rx.replacer(r), nil, count, at)
	}
	method(KRegex, "Replace", ts(S, S, I), S, replace, nil)
	method(KRegex, "Replace", ts(S, S, I, I), S, replace, nil)
	split := func(a []any) (any, error) {
		rx, s, err := args(a)
		if err != nil {
			return nil, err
		}
		count, at := toInt(a[2]), -1
		if count < 0 {
			return nil, outOfRange("count")
		}
		if len(a) > 3 {
			if at, err = startat(s, a[3]); err != nil {
				return nil, err
			}
		}
		return regexSplitN(rx, s, count, at)
	}
	method(KRegex, "Split", ts(S, I), tStrings, split, nil)
	method(KRegex, "Split", ts(S, I, I), tStrings, split, nil)
}

// regexOptions are System.Text.RegularExpressions.RegexOptions, ints here
// so that they combine with |.
var regexOptions = []struct {
	name string
	v    int
}{{"None", 0}, {"IgnoreCase", roIgnoreCase}, {"Multiline", roMultiline}, {"ExplicitCapture", roExplicitCapture},
	{"Compiled", roCompiled}, {"Singleline", roSingleline}, {"IgnorePatternWhitespace", roIgnoreWhitespace},
	{"RightToLeft", roRightToLeft}, {"ECMAScript", roECMAScript}, {"CultureInvariant", roCultureInvariant}}

// checkMatchTimeout is .NET's check of a Regex match timeout: positive (at
// most about 24 days) or Regex.InfiniteMatchTimeout.
func checkMatchTimeout(v any) error {
	d, _ := v.(time.Duration)
	if d == -time.Millisecond || d > 0 && d <= 0x7FFFFFFE*time.Millisecond {
		return nil
	}
	return exc("ArgumentOutOfRangeException", "Specified argument was out of the range of valid values. (Parameter 'matchTimeout')")
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
	want := []*Type{tString, tString, nil, tInt, tTimeSpan}
	if instance {
		want = []*Type{tString, nil}
	}
	if len(n.Args) > len(want) {
		return nil, b.errf(n.Off, "no overload for method 'Replace' takes %d arguments", len(n.Args))
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
	if !instance {
		if err := b.checkRegexPattern(regexEvaluatorKey, n.Args); err != nil {
			return nil, err
		}
	}
	b.needInterp("Regex.Replace with a MatchEvaluator")
	n.evaluator = true
	return tString, nil
}

// regexEvaluatorKey stands for Regex.Replace(input, pattern, evaluator[,
// options]) in checkRegexPattern: the options are its fourth argument.
var regexEvaluatorKey = &builtin{key: "Regex.Replace/4", params: []*Type{tString, tString, nil, tInt}}

// regexEvaluate runs a Regex.Replace with a MatchEvaluator.
func (f *frame) regexEvaluate(n *Call, m *Member) (any, error) {
	var rx *dnRegex
	var in any
	li := 2 // Regex.Replace(input, pattern, evaluator[, options[, timeout]])
	if !isStaticRecv(m.X) {
		li = 1 // regex.Replace(input, evaluator)
		r, err := f.eval(m.X)
		if err != nil {
			return nil, err
		}
		ro, ok := r.(*regexObj)
		if !ok || ro == nil {
			return nil, errNull
		}
		if in, err = f.eval(n.Args[0].X); err != nil {
			return nil, err
		}
		rx = ro.rx
	} else {
		var vals []any
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
		in = vals[0]
		p, ok := vals[1].(string)
		if !ok {
			return nil, argNull("pattern")
		}
		opts, d := 0, time.Duration(0)
		if len(vals) >= 3 {
			opts = toInt(vals[2])
		}
		if len(vals) == 4 { // and a match timeout
			if err := checkMatchTimeout(vals[3]); err != nil {
				return nil, err
			}
			d, _ = vals[3].(time.Duration)
		}
		var err error
		if rx, err = getRegex(p, opts, d); err != nil {
			return nil, err
		}
	}
	s, ok := in.(string)
	if !ok {
		return nil, argNull("input")
	}
	eval := f.lambda(n.Args[li].X.(*Lambda))
	return regexReplace(rx, s, nil, func(m *Match) (string, error) {
		r, err := eval(m)
		if err != nil {
			return "", err
		}
		return catStr(r), nil
	})
}
