package xpath

import (
	"fmt"
	"slices"
	"strings"
)

// XSLT 1.0 patterns (section 5.2):
//
//	Pattern             ::= LocationPathPattern ('|' LocationPathPattern)*
//	LocationPathPattern ::= '/' RelativePathPattern?
//	                      | IdKeyPattern (('/' | '//') RelativePathPattern)?
//	                      | '//'? RelativePathPattern
//	IdKeyPattern        ::= 'id' '(' Literal ')' | 'key' '(' Literal ',' Literal ')'
//	RelativePathPattern ::= StepPattern (('/' | '//') StepPattern)*
//	StepPattern         ::= ChildOrAttributeAxisSpecifier NodeTest Predicate*
//
// A node matches when it is in the result of the pattern taken as an
// expression from some context. Match decides that from the node upwards:
// the last step at the node, each '/' step at the parent, each '//' step at
// the nearest ancestor where the steps up to the next '//' match (the
// nearest is enough: any farther choice leaves fewer ancestors for the
// steps before).

type anchorKind uint8

const (
	anchorNone  anchorKind = iota // relative: any context
	anchorRoot                    // '/' or '//' first
	anchorIDKey                   // id(…) or key(…) first
)

// patternAlt is one LocationPathPattern.
type patternAlt struct {
	src      string
	anchor   anchorKind
	idkey    exprNode // the id() or key() call of anchorIDKey
	desc     bool     // '//' after the anchor
	steps    []*patStep
	priority float64
}

type patStep struct {
	step
	desc    bool // '//' before this step (not the first)
	lastPos int  // index of the last predicate that depends on the position, or -1
}

// CompilePattern compiles an XSLT 1.0 pattern; predicates may hold any
// expression. Names, variables and functions are resolved through env
// (which may be nil), as Compile does; key() patterns need env to provide
// key.
func CompilePattern(src string, env Env) (*Pattern, error) {
	p, perr := newParser(src, env)
	if perr != nil {
		return nil, perr
	}
	pat := &Pattern{src: src}
	for {
		start := p.peek().pos
		alt, err := p.parsePatternAlt()
		if err != nil {
			return nil, err
		}
		alt.src = strings.TrimSpace(src[start:p.peek().pos])
		alt.priority = alt.defaultPriority()
		pat.alts = append(pat.alts, alt)
		if p.isOp("|") {
			p.next()
			continue
		}
		if p.peek().kind != tEOF {
			return nil, p.unexpected("'|' or end of pattern")
		}
		return pat, nil
	}
}

func (p *parser) parsePatternAlt() (*patternAlt, error) {
	alt := &patternAlt{}
	t := p.peek()
	switch {
	case p.isOp("/"):
		p.next()
		alt.anchor = anchorRoot
		if !p.startsStep() {
			return alt, nil
		}
	case p.isOp("//"):
		p.next()
		alt.anchor, alt.desc = anchorRoot, true
	case t.kind == tFuncName && t.prefix == "" && (t.local == "id" || t.local == "key"):
		want := []tokKind{tLParen, tLiteral, tRParen}
		if t.local == "key" {
			want = []tokKind{tLParen, tLiteral, tComma, tLiteral, tRParen}
		}
		for k, w := range want {
			if p.peekAt(k+1).kind != w {
				p.i += k + 1
				return nil, p.unexpected(tokNames[w] + " (" + t.local + "() in a pattern takes literal arguments)")
			}
		}
		p.next()
		call, err := p.parseCall(t)
		if err != nil {
			return nil, err
		}
		alt.anchor, alt.idkey = anchorIDKey, call
		if !p.isOp("/") && !p.isOp("//") {
			return alt, nil
		}
		alt.desc = p.next().s == "//"
	case t.kind == tFuncName:
		return nil, p.errAt(t.pos, "only id() and key() may start a pattern, not %s()", p.src[t.pos:t.end])
	}
	desc := false // '//' before the next step
	for {
		st, err := p.parsePatternStep()
		if err != nil {
			return nil, err
		}
		st.desc = desc
		alt.steps = append(alt.steps, st)
		if !p.isOp("/") && !p.isOp("//") {
			return alt, nil
		}
		desc = p.next().s == "//"
	}
}

// parsePatternStep: StepPattern ::= ChildOrAttributeAxisSpecifier NodeTest Predicate*
func (p *parser) parsePatternStep() (*patStep, error) {
	t := p.peek()
	switch t.kind {
	case tAxisName:
		if t.s != "child" && t.s != "attribute" {
			return nil, p.errAt(t.pos, "the %s axis is not allowed in a pattern (only child and attribute)", t.s)
		}
	case tDot, tDotDot:
		return nil, p.errAt(t.pos, "%s is not allowed in a pattern", t.describe(p.src))
	case tNameTest, tNodeType, tAt:
	default:
		return nil, p.unexpected("a pattern step")
	}
	st, err := p.parseStep()
	if err != nil {
		return nil, err
	}
	ps := &patStep{step: *st, lastPos: -1}
	for k, pr := range st.preds {
		if positional(pr) {
			ps.lastPos = k
		}
	}
	return ps, nil
}

// defaultPriority is XSLT 1.0 section 5.5's default priority.
func (a *patternAlt) defaultPriority() float64 {
	if a.anchor != anchorNone || len(a.steps) != 1 || len(a.steps[0].preds) > 0 {
		return 0.5
	}
	switch t := a.steps[0].test; t.kind {
	case testName:
		return 0
	case testPI:
		if t.hasTarget {
			return 0
		}
	case testSpace:
		return -0.25
	}
	return -0.5
}

// Alternatives splits "a | b | c" into one pattern per alternative, each
// with its own default priority (XSLT 1.0 section 5.5).
func (p *Pattern) Alternatives() []*Pattern {
	out := make([]*Pattern, len(p.alts))
	for i, a := range p.alts {
		out[i] = &Pattern{src: a.src, alts: []*patternAlt{a}}
	}
	return out
}

// DefaultPriority is the default priority of a single alternative.
func (p *Pattern) DefaultPriority() float64 {
	// Of several alternatives, the highest (callers that care split the
	// pattern with Alternatives, as XSLT 1.0 section 5.5 says).
	pr := p.alts[0].priority
	for _, a := range p.alts[1:] {
		pr = max(pr, a.priority)
	}
	return pr
}

// Match reports whether n matches p; ctx supplies variables, Host and
// functions' state (key() and id() may appear in patterns).
func (p *Pattern) Match(ctx *Context, n *Node) (bool, error) {
	if n == nil {
		return false, nil
	}
	if ctx == nil {
		ctx = &Context{}
	}
	for _, a := range p.alts {
		ok, err := a.match(ctx, n)
		if err != nil {
			return false, fmt.Errorf("pattern %q: %w", p.src, err)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// matcher is the state of one Match call.
type matcher struct {
	c      *Context
	alt    *patternAlt
	n      *Node
	ids    []*Node // the id()/key() result, once evaluated
	idDone bool
}

func (a *patternAlt) match(c *Context, n *Node) (bool, error) {
	m := &matcher{c: c, alt: a, n: n}
	if len(a.steps) == 0 {
		if a.anchor == anchorRoot {
			return n.Kind == RootNode, nil
		}
		return m.inIDs(n)
	}
	hi := len(a.steps)
	lo := a.segStart(hi)
	top, ok, err := m.matchSeg(lo, hi, n)
	if err != nil || !ok {
		return false, err
	}
	for lo > 0 {
		hi, lo = lo, a.segStart(lo)
		found := false
		for x := top.Parent; x != nil; x = x.Parent {
			t, ok, err := m.matchSeg(lo, hi, x)
			if err != nil {
				return false, err
			}
			if ok {
				top, found = t, true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}

// segStart is where the run of '/'-joined steps ending before hi begins.
func (a *patternAlt) segStart(hi int) int {
	k := hi - 1
	for k > 0 && !a.steps[k].desc {
		k--
	}
	return k
}

// matchSeg matches steps[lo:hi] with the last at x and each earlier one at
// the parent of the next; it returns the node steps[lo] matched. When lo is
// 0 the anchor must hold too.
func (m *matcher) matchSeg(lo, hi int, x *Node) (*Node, bool, error) {
	for k := hi - 1; ; k-- {
		ok, err := m.matchStep(m.alt.steps[k], x)
		if err != nil || !ok {
			return nil, false, err
		}
		if k == lo {
			break
		}
		x = x.Parent
	}
	if lo > 0 {
		return x, true, nil
	}
	a := m.alt
	switch {
	case a.anchor == anchorRoot && !a.desc:
		return x, x.Parent.Kind == RootNode, nil
	case a.anchor == anchorRoot:
		return x, x.Root().Kind == RootNode, nil
	case a.anchor == anchorIDKey && !a.desc:
		ok, err := m.inIDs(x.Parent)
		return x, ok, err
	case a.anchor == anchorIDKey:
		for y := x.Parent; y != nil; y = y.Parent {
			ok, err := m.inIDs(y)
			if err != nil || ok {
				return x, ok, err
			}
		}
		return x, false, nil
	}
	return x, true, nil
}

// inIDs reports whether x is in the result of the pattern's id() or key().
func (m *matcher) inIDs(x *Node) (bool, error) {
	if !m.idDone {
		m.idDone = true
		sub := *m.c
		sub.Node, sub.Position, sub.Size = m.n, 1, 1
		v, err := m.alt.idkey.eval(&sub)
		if err != nil {
			return false, err
		}
		if m.ids, err = ToNodeSet(v); err != nil {
			return false, err
		}
	}
	i, ok := slices.BinarySearchFunc(m.ids, x.ord, func(n *Node, o int64) int {
		switch {
		case n.ord < o:
			return -1
		case n.ord > o:
			return 1
		}
		return 0
	})
	return ok && m.ids[i].ord == x.ord, nil
}

// matchStep reports whether x is selected by the step from its parent,
// predicates included.
func (m *matcher) matchStep(st *patStep, x *Node) (bool, error) {
	if x.Parent == nil {
		return false, nil
	}
	switch x.Kind {
	case AttributeNode:
		if st.axis != axAttribute {
			return false, nil
		}
	case RootNode, NamespaceNode:
		return false, nil
	default:
		if st.axis != axChild {
			return false, nil
		}
	}
	if !st.test.match(x, st.principal()) {
		return false, nil
	}
	if len(st.preds) == 0 {
		return true, nil
	}
	// The nodes the step selects from the parent, as far as the
	// predicates so far filter them: needed only for position() and
	// last() (or a number) in a predicate.
	var cand []*Node
	pos, size := 1, 1
	sub := *m.c
	for k, pr := range st.preds {
		switch {
		case k == 0 && st.lastPos >= 0:
			// The position among the nodes the step selects from the
			// parent, counted without building them.
			limit := -1
			if l, ok := pr.(*literal); ok {
				if f, ok := l.v.(float64); ok && f >= 1 && f < 1<<30 {
					limit = int(f)
				}
			}
			pos = st.countSiblings(x, true, limit) + 1
			if limit >= 0 && pos > limit {
				return false, nil
			}
			size = pos
			if calls(pr, "last") {
				size += st.countSiblings(x, false, -1)
			}
		case k > 0 && k <= st.lastPos:
			pos, size = slices.Index(cand, x)+1, len(cand)
		}
		sub.Node, sub.Position, sub.Size = x, pos, size
		v, err := pr.eval(&sub)
		if err != nil {
			return false, err
		}
		keep := false
		if f, ok := v.(float64); ok {
			keep = f == float64(pos)
		} else {
			keep = ToBoolean(v)
		}
		if !keep {
			return false, nil
		}
		if k < st.lastPos {
			if k == 0 {
				cand = st.axisNodes(m.c.NS, x.Parent, nil, 0)
			}
			if cand, err = filterPreds(m.c, cand, st.preds[k:k+1]); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// countSiblings counts the nodes before x (or after it) that the step
// selects from x's parent without predicates, stopping past limit (if not
// negative).
func (st *patStep) countSiblings(x *Node, before bool, limit int) int {
	var sibs []*Node
	var i int
	if st.axis == axAttribute {
		sibs, i = x.Parent.Attrs, slices.Index(x.Parent.Attrs, x)
	} else {
		sibs, i = siblings(x)
	}
	if i < 0 || sibs == nil {
		return 0
	}
	pk := st.principal()
	n := 0
	if before {
		for k := i - 1; k >= 0 && (limit < 0 || n < limit); k-- {
			if st.test.match(sibs[k], pk) {
				n++
			}
		}
		return n
	}
	for _, s := range sibs[i+1:] {
		if st.test.match(s, pk) {
			n++
		}
	}
	return n
}
