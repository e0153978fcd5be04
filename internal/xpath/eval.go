package xpath

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// exprNode is a node of a compiled expression. Nodes are immutable after
// compilation: evaluation keeps its state on the stack and in the Context
// values it makes, so one Expr serves concurrent evaluations.
type exprNode interface {
	eval(c *Context) (Value, error)
	height() int
}

// errFragment is the error for a result tree fragment used as a node-set.
var errFragment = errors.New("cannot convert a result tree fragment to a node-set")

// Eval evaluates e against ctx (nil is an empty context: no context node).
func (e *Expr) Eval(ctx *Context) (Value, error) {
	if ctx == nil {
		ctx = &Context{}
	}
	v, err := e.root.eval(ctx)
	if err != nil {
		return nil, fmt.Errorf("XPath %q: %w", e.src, err)
	}
	return v, nil
}

// EvalNodeSet evaluates e and requires a node-set (a *Fragment is an error).
func (e *Expr) EvalNodeSet(ctx *Context) (NodeSet, error) {
	v, err := e.Eval(ctx)
	if err != nil {
		return nil, err
	}
	ns, err := ToNodeSet(v)
	if err != nil {
		return nil, fmt.Errorf("XPath %q: %w", e.src, err)
	}
	return ns, nil
}

// --- primaries ---

type literal struct{ v Value } // string or float64

func (l *literal) eval(*Context) (Value, error) { return l.v, nil }
func (l *literal) height() int                  { return 1 }

type varRef struct{ space, local, name string }

func (v *varRef) height() int { return 1 }

func (v *varRef) eval(c *Context) (Value, error) {
	if c.Vars == nil {
		return nil, fmt.Errorf("variable %s has no value", v.name)
	}
	val, err := normalize(c.Vars(v.space, v.local))
	if err != nil {
		return nil, fmt.Errorf("variable %s: %w", v.name, err)
	}
	return val, nil
}

// normalize checks a value from the host (a variable or a host function)
// and brings node-sets into document order.
func normalize(v Value) (Value, error) {
	switch x := v.(type) {
	case NodeSet:
		for _, n := range x {
			if n == nil {
				return nil, errors.New("nil node in a node-set")
			}
		}
		return SortDocOrder(x), nil
	case []*Node:
		return normalize(NodeSet(x))
	case string, float64, bool:
		return v, nil
	case *Fragment:
		if x == nil || x.Root == nil {
			return nil, errors.New("empty result tree fragment")
		}
		return v, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case float32:
		return float64(x), nil
	case nil:
		return nil, errors.New("no value")
	}
	return nil, fmt.Errorf("%T is not an XPath value", v)
}

// --- operators ---

type binOp uint8

const (
	opEq binOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
	opAdd
	opSub
	opMul
	opDiv
	opMod
)

var binOps = map[string]binOp{
	"=": opEq, "!=": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe,
	"+": opAdd, "-": opSub, "*": opMul, "div": opDiv, "mod": opMod,
}

type binaryExpr struct {
	op   binOp
	l, r exprNode
	h    int
}

func (b *binaryExpr) height() int { return b.h }

func (b *binaryExpr) eval(c *Context) (Value, error) {
	l, err := b.l.eval(c)
	if err != nil {
		return nil, err
	}
	r, err := b.r.eval(c)
	if err != nil {
		return nil, err
	}
	if b.op <= opGe {
		return compare(b.op, l, r), nil
	}
	x, y := ToNumber(l), ToNumber(r)
	switch b.op {
	case opAdd:
		return x + y, nil
	case opSub:
		return x - y, nil
	case opMul:
		return x * y, nil
	case opDiv:
		return x / y, nil
	}
	return math.Mod(x, y), nil // truncating, sign of the dividend, like Java's %
}

type logicalExpr struct {
	or   bool
	args []exprNode
	h    int
}

func (l *logicalExpr) height() int { return l.h }

func (l *logicalExpr) eval(c *Context) (Value, error) {
	for _, a := range l.args {
		v, err := a.eval(c)
		if err != nil {
			return nil, err
		}
		if ToBoolean(v) == l.or {
			return l.or, nil
		}
	}
	return !l.or, nil
}

type negExpr struct {
	x exprNode
	h int
}

func (n *negExpr) height() int { return n.h }

func (n *negExpr) eval(c *Context) (Value, error) {
	v, err := n.x.eval(c)
	if err != nil {
		return nil, err
	}
	return -ToNumber(v), nil
}

type unionExpr struct {
	args []exprNode
	h    int
}

func (u *unionExpr) height() int { return u.h }

func (u *unionExpr) eval(c *Context) (Value, error) {
	var out NodeSet
	for _, a := range u.args {
		v, err := a.eval(c)
		if err != nil {
			return nil, err
		}
		ns, err := ToNodeSet(v)
		if err != nil {
			return nil, err
		}
		out = append(out, ns...)
	}
	return sortNodes(out), nil
}

// --- filter expressions and location paths ---

type filterExpr struct {
	primary exprNode
	preds   []exprNode
	h       int
}

func (f *filterExpr) height() int { return f.h }

func (f *filterExpr) eval(c *Context) (Value, error) {
	v, err := f.primary.eval(c)
	if err != nil {
		return nil, err
	}
	ns, err := ToNodeSet(v)
	if err != nil {
		return nil, err
	}
	// Predicates on a filter expression see the node-set in document order.
	out, err := filterPreds(c, slices.Clone(ns), f.preds)
	return NodeSet(out), err
}

type pathExpr struct {
	filter exprNode // nil for a location path
	abs    bool     // a location path starting at the root
	steps  []*step
	h      int
}

func (p *pathExpr) height() int { return p.h }

var errNoContext = errors.New("a location path needs a context node")

func (p *pathExpr) eval(c *Context) (Value, error) {
	var cur NodeSet
	steps := p.steps
	switch {
	case p.filter != nil:
		v, err := p.filter.eval(c)
		if err != nil {
			return nil, err
		}
		if cur, err = ToNodeSet(v); err != nil {
			return nil, err
		}
	case c.Node == nil:
		return nil, errNoContext
	default:
		start := c.Node
		if p.abs {
			start = start.Root()
		}
		if len(steps) == 0 {
			return NodeSet{start}, nil
		}
		var err error
		if cur, err = steps[0].applyOne(c, start, nil); err != nil {
			return nil, err
		}
		steps = steps[1:]
	}
	for _, st := range steps {
		if len(cur) == 0 {
			break
		}
		var err error
		if cur, err = st.apply(c, cur); err != nil {
			return nil, err
		}
	}
	return cur, nil
}

type axis uint8

const (
	axChild axis = iota
	axDescendant
	axParent
	axAncestor
	axFollowingSibling
	axPrecedingSibling
	axFollowing
	axPreceding
	axAttribute
	axNamespace
	axSelf
	axDescendantOrSelf
	axAncestorOrSelf
)

func (a axis) reverse() bool {
	switch a {
	case axAncestor, axAncestorOrSelf, axPreceding, axPrecedingSibling:
		return true
	}
	return false
}

type testKind uint8

const (
	testName    testKind = iota // space, local
	testSpace                   // prefix:* (space)
	testAny                     // *
	testNode                    // node()
	testText                    // text()
	testComment                 // comment()
	testPI                      // processing-instruction(local?)
)

type nodeTest struct {
	kind         testKind
	space, local string
	hasTarget    bool // processing-instruction('local')
}

// match applies the node test; principal is the axis's principal node type.
func (t *nodeTest) match(n *Node, principal Kind) bool {
	switch t.kind {
	case testName:
		return n.Kind == principal && n.Local == t.local && n.Space == t.space
	case testSpace:
		return n.Kind == principal && n.Space == t.space && principal != NamespaceNode
	case testAny:
		return n.Kind == principal
	case testNode:
		return true
	case testText:
		return n.Kind == TextNode
	case testComment:
		return n.Kind == CommentNode
	case testPI:
		return n.Kind == ProcInstNode && (!t.hasTarget || n.Local == t.local)
	}
	return false
}

type step struct {
	axis  axis
	test  nodeTest
	preds []exprNode
}

func (st *step) principal() Kind {
	switch st.axis {
	case axAttribute:
		return AttributeNode
	case axNamespace:
		return NamespaceNode
	}
	return ElementNode
}

// apply evaluates the step from every node of in (in document order) and
// returns the union of the results in document order.
func (st *step) apply(c *Context, in NodeSet) (NodeSet, error) {
	// A descendant step whose predicates ignore positions selects, from a
	// node inside the subtree of an earlier context node, a subset of what
	// that node selected: skip it (keeps //a//b linear).
	skipNested := (st.axis == axDescendant || st.axis == axDescendantOrSelf) && !anyPositional(st.preds) && len(in) > 1
	var out NodeSet
	var buf []*Node
	var last *Node
	for _, n := range in {
		if skipNested && last != nil && n.Kind != AttributeNode && n.Kind != NamespaceNode && isDescendant(n, last) {
			continue
		}
		if n.Kind != AttributeNode && n.Kind != NamespaceNode {
			last = n
		}
		var err error
		if buf, err = st.applyOne(c, n, buf[:0]); err != nil {
			return nil, err
		}
		if len(in) == 1 {
			return buf, nil
		}
		out = append(out, buf...)
	}
	return sortNodes(out), nil
}

// applyOne evaluates the step from n, appending to buf; the result is in
// document order.
func (st *step) applyOne(c *Context, n *Node, buf []*Node) (NodeSet, error) {
	buf = st.axisNodes(c.NS, n, buf, st.firstLimit())
	if c.Charge != nil {
		if err := c.Charge(len(buf) + 1); err != nil {
			return nil, err
		}
	}
	if len(st.preds) > 0 && len(buf) > 0 {
		var err error
		if buf, err = filterPreds(c, buf, st.preds); err != nil {
			return nil, err
		}
	}
	if st.axis.reverse() {
		slices.Reverse(buf)
	}
	return buf, nil
}

// isDescendant reports whether m is a descendant of n.
func isDescendant(m, n *Node) bool {
	for a := m.Parent; a != nil; a = a.Parent {
		if a == n {
			return true
		}
		if a.ord < n.ord {
			return false
		}
	}
	return false
}

// filterPreds applies predicates in turn to nodes (in axis order), in place.
func filterPreds(c *Context, nodes []*Node, preds []exprNode) ([]*Node, error) {
	for _, pr := range preds {
		if len(nodes) == 0 {
			break
		}
		if l, ok := pr.(*literal); ok {
			// [number]: the node at that position, without evaluating
			// anything; [string]: all or nothing.
			if f, ok := l.v.(float64); ok {
				if f >= 1 && f <= float64(len(nodes)) && f == math.Trunc(f) {
					nodes[0] = nodes[int(f)-1]
					nodes = nodes[:1]
				} else {
					nodes = nodes[:0]
				}
				continue
			}
		}
		sub := *c
		sub.Size = len(nodes)
		j := 0
		for i, n := range nodes {
			sub.Node, sub.Position = n, i+1
			v, err := pr.eval(&sub)
			if err != nil {
				return nil, err
			}
			keep := false
			if f, ok := v.(float64); ok {
				keep = f == float64(i+1)
			} else {
				keep = ToBoolean(v)
			}
			if keep {
				nodes[j] = n
				j++
			}
		}
		nodes = nodes[:j]
	}
	return nodes, nil
}

// firstLimit is k when the step's first predicate is the number k: then
// only the first k nodes of the axis matter (following-sibling::x[1]).
func (st *step) firstLimit() int {
	if len(st.preds) > 0 {
		if l, ok := st.preds[0].(*literal); ok {
			if f, ok := l.v.(float64); ok && f >= 1 && f < 1<<30 {
				return int(f)
			}
		}
	}
	return 0
}

// axisNodes appends the nodes of the step's axis from n that pass the node
// test, in the axis's order (reverse document order for reverse axes).
// With limit > 0, the sibling, child and ancestor axes may stop after that
// many nodes.
func (st *step) axisNodes(nsc *NamespaceCache, n *Node, out []*Node, limit int) []*Node {
	t, pk := &st.test, st.principal()
	start := len(out)
	add := func(m *Node) {
		if t.match(m, pk) {
			out = append(out, m)
		}
	}
	full := func() bool { return limit > 0 && len(out)-start >= limit }
	switch st.axis {
	case axChild:
		for _, m := range n.Children {
			add(m)
			if full() {
				break
			}
		}
	case axDescendant:
		out = appendDescendants(n, t, out)
	case axDescendantOrSelf:
		add(n)
		out = appendDescendants(n, t, out)
	case axParent:
		if n.Parent != nil {
			add(n.Parent)
		}
	case axAncestor:
		for a := n.Parent; a != nil && !full(); a = a.Parent {
			add(a)
		}
	case axAncestorOrSelf:
		for a := n; a != nil && !full(); a = a.Parent {
			add(a)
		}
	case axSelf:
		add(n)
	case axAttribute:
		if n.Kind == ElementNode {
			for _, a := range n.Attrs {
				add(a)
			}
		}
	case axNamespace:
		if n.Kind == ElementNode {
			for _, m := range nsc.namespaceNodes(n) {
				add(m)
			}
		}
	case axFollowingSibling:
		if sibs, i := siblings(n); sibs != nil {
			for _, m := range sibs[i+1:] {
				add(m)
				if full() {
					break
				}
			}
		}
	case axPrecedingSibling:
		if sibs, i := siblings(n); sibs != nil {
			for k := i - 1; k >= 0 && !full(); k-- {
				add(sibs[k])
			}
		}
	case axFollowing:
		x := n
		if n.Kind == AttributeNode || n.Kind == NamespaceNode {
			// After an attribute come its element's descendants.
			x = n.Parent
			if x == nil {
				break
			}
			out = appendDescendants(x, t, out)
		}
		for ; x.Parent != nil; x = x.Parent {
			sibs, i := siblings(x)
			if sibs == nil {
				break
			}
			for _, m := range sibs[i+1:] {
				add(m)
				out = appendDescendants(m, t, out)
			}
		}
	case axPreceding:
		x := n
		if n.Kind == AttributeNode || n.Kind == NamespaceNode {
			// Before an attribute come its element's ancestors (excluded)
			// and what precedes the element.
			x = n.Parent
			if x == nil {
				break
			}
		}
		for ; x.Parent != nil; x = x.Parent {
			sibs, i := siblings(x)
			for k := i - 1; k >= 0; k-- {
				out = appendReverseSubtree(sibs[k], t, out)
			}
		}
	}
	return out
}

func appendDescendants(n *Node, t *nodeTest, out []*Node) []*Node {
	for _, c := range n.Children {
		if t.match(c, ElementNode) {
			out = append(out, c)
		}
		if len(c.Children) > 0 {
			out = appendDescendants(c, t, out)
		}
	}
	return out
}

// appendReverseSubtree appends n and its descendants in reverse document order.
func appendReverseSubtree(n *Node, t *nodeTest, out []*Node) []*Node {
	for k := len(n.Children) - 1; k >= 0; k-- {
		out = appendReverseSubtree(n.Children[k], t, out)
	}
	if t.match(n, ElementNode) {
		out = append(out, n)
	}
	return out
}

// siblings returns the children of n's parent and n's index among them, or
// nil for an attribute, a namespace node or a node without a parent.
func siblings(n *Node) ([]*Node, int) {
	if n.Parent == nil || n.Kind == AttributeNode || n.Kind == NamespaceNode {
		return nil, 0
	}
	cs := n.Parent.Children
	// Children are in document order: binary search, then make sure.
	i, _ := slices.BinarySearchFunc(cs, n.ord, func(m *Node, o int64) int {
		switch {
		case m.ord < o:
			return -1
		case m.ord > o:
			return 1
		}
		return 0
	})
	if i < len(cs) && cs[i] == n {
		return cs, i
	}
	for i, m := range cs {
		if m == n {
			return cs, i
		}
	}
	return nil, 0
}

// namespaceNodes returns the namespace nodes of element e in document order:
// its own declarations (except an xmlns="" undeclaration), then xml, then
// the namespaces it inherits. The last two are made on the fly, with the
// places in document order Number reserved for them.
//
// With a cache (nsc not nil) an element's are made once and the same
// nodes are given each time; they must not be changed.
func (nsc *NamespaceCache) namespaceNodes(e *Node) []*Node {
	if nsc == nil {
		return namespaceNodes(e)
	}
	if ns, ok := nsc.m[e]; ok {
		return ns
	}
	ns := namespaceNodes(e)
	if nsc.m == nil {
		nsc.m = map[*Node][]*Node{}
	}
	nsc.m[e] = ns
	return ns
}

func namespaceNodes(e *Node) []*Node {
	var out []*Node
	seen := make(map[string]bool, len(e.NSDecls)+4)
	for _, d := range e.NSDecls {
		if seen[d.Local] {
			continue
		}
		seen[d.Local] = true
		if d.Data != "" {
			out = append(out, d)
		}
	}
	base := e.ord + 1 + int64(len(e.NSDecls))
	if !seen["xml"] {
		out = append(out, &Node{Kind: NamespaceNode, Local: "xml", Data: XMLNamespace, Parent: e, ord: base})
	}
	k := int64(0)
	for a := e.Parent; a != nil; a = a.Parent {
		for _, d := range a.NSDecls {
			if seen[d.Local] {
				continue
			}
			seen[d.Local] = true
			if d.Data != "" {
				k++
				out = append(out, &Node{Kind: NamespaceNode, Local: d.Local, Data: d.Data, Parent: e, ord: base + k})
			}
		}
	}
	return out
}

// sortNodes sorts ns (which it may reorder) into document order and
// removes duplicates.
func sortNodes(ns NodeSet) NodeSet {
	sorted := true
	for i := 1; i < len(ns); i++ {
		if ns[i-1].ord >= ns[i].ord {
			sorted = false
			break
		}
	}
	if sorted {
		return ns
	}
	slices.SortStableFunc(ns, func(a, b *Node) int {
		switch {
		case a.ord < b.ord:
			return -1
		case a.ord > b.ord:
			return 1
		}
		return 0
	})
	j := 0
	for i, n := range ns {
		if i > 0 && sameNode(n, ns[j-1]) {
			continue
		}
		ns[j] = n
		j++
	}
	return ns[:j]
}

// sameNode reports whether a and b (next to each other in document order)
// are one node: the same pointer, or namespace nodes the namespace axis
// made for the same element and prefix.
func sameNode(a, b *Node) bool {
	if a == b {
		return true
	}
	return a.ord == b.ord && a.Kind == NamespaceNode && b.Kind == NamespaceNode && a.Parent == b.Parent && a.Local == b.Local
}

// SortDocOrder returns ns sorted by Order() with duplicates removed; ns
// itself is left alone.
func SortDocOrder(ns NodeSet) NodeSet {
	for i := 1; i < len(ns); i++ {
		if ns[i-1].ord >= ns[i].ord {
			return sortNodes(slices.Clone(ns))
		}
	}
	return ns
}
