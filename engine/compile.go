package engine

import (
	"fmt"
	"iter"
	"maps"

	"github.com/expr-lang/expr"

	"tollgate/engine/csharp"
	"tollgate/internal/editdist"
)

// Policy is one entry of the registry: where the element may appear and how
// to parse it. Parse does all the work (reading attributes, compiling
// expressions, checking values) and returns the Step that will only run.
// Problems are reported through the Parser; a Step returned alongside them
// is discarded.
type Policy struct {
	Sections Section
	Parse    func(p *Parser) Step
}

// Registry maps element names to policies. It is a plain map, built by
// policies.Registry; the engine has no global state.
type Registry map[string]Policy

// Compiler turns documents into Plans, collecting every problem.
type Compiler struct {
	Registry Registry
	Named    *NamedValues
	// Fragments are what include-fragment fragment-id names: id ->
	// <fragment> root. A nil root is a fragment that exists but did not
	// load (its own errors are reported where it is defined).
	Fragments map[string]*Node
	// Backends are the names of the backend entities, for
	// set-backend-service backend-id; nil: none are known.
	Backends map[string]bool
	// UnusableBackends say why a backend entity cannot be used (its
	// credentials need a named value without a value, NamedValue.Missing):
	// a literal backend-id naming it is an error with that text
	// (Parser.UseBackend). The gateway reports the others.
	UnusableBackends map[string]string
	// backendExprs are the places of backend-ids given as expressions:
	// they may name any backend at run time (BackendExpressions).
	backendExprs []Pos
	// BackendsWhere says where backend entities are defined, for the
	// error about one that is missing (default backends/NAME/...).
	// FragmentsWhere says where fragments are defined, for the error
	// about one that is missing (default apis/fragments/NAME.xml).
	FragmentsWhere string
	BackendsWhere  string
	// Schemas are the folder's schema resources (APIM's global schemas),
	// for validate-content schema-id; nil: none.
	Schemas map[string]SchemaDoc
	opts    []expr.Option
	errs    ErrorList
	notices []string // Noticef: what loads, but not as it may look (TakeNotices)
	bad     map[Pos]bool
	depth   int
	// pathPrefix is prepended to step paths while a fragment is compiled.
	pathPrefix string
	// cs compiles C# expressions (lang.go).
	cs *csharp.Front
	// Explain, when set, is told how each expression was compiled
	// (tollgate check --explain).
	Explain func(Explanation)
	// reqBodyReads counts the expressions compiled so far that read
	// context.Request.Body (lang.go): a step whose parse added one reads
	// the request body (Compiled.readsReqBody).
	reqBodyReads int
	// reqBodyHolds counts those whose value is the body itself
	// (IMessageBody, or an object that may be it): kept in a variable, it
	// may be read after the forward (Compiled.holdsReqBody).
	reqBodyHolds int
}

// MaxExprNodes bounds the size of one expression (expr's node limit).
const MaxExprNodes = 2000

// NewCompiler returns a compiler for reg with the named values nv (may be nil).
func NewCompiler(reg Registry, nv *NamedValues) *Compiler {
	c := &Compiler{Registry: reg, Named: nv}
	c.opts = append([]expr.Option{expr.Env(Env{}), expr.MaxNodes(MaxExprNodes)}, helperOptions()...)
	c.opts = append(c.opts, fastCallOptions()...)
	c.cs = newCSharp()
	c.opts = append(c.opts, c.cs.Options()...)
	return c
}

// Errors returns the problems found so far, sorted.
func (c *Compiler) Errors() ErrorList { return c.errs.Sort() }

// Noticef records a notice: something that loads, but that the operator
// should know of (a value taken as literal text that looks like an
// expression). A document compiled twice (once per product) says it once.
func (c *Compiler) Noticef(pos Pos, path, format string, args ...any) {
	e := &Error{Pos: pos, Path: path, Msg: c.Named.redact(fmt.Sprintf(format, args...))}
	n := e.Error()
	for _, old := range c.notices {
		if old == n {
			return
		}
	}
	c.notices = append(c.notices, n)
}

// TakeNotices returns the notices recorded since the last call and forgets
// them (the gateway files each API's with it).
func (c *Compiler) TakeNotices() []string {
	n := c.notices
	c.notices = nil
	return n
}

// BackendExpressions are the places of the backend-ids given as
// expressions that this compiler has compiled, in order (a document
// compiled twice, once per product, adds its places twice).
func (c *Compiler) BackendExpressions() []Pos { return c.backendExprs }

// Errorf records a problem.
func (c *Compiler) Errorf(pos Pos, path, format string, args ...any) {
	if c.bad[pos] {
		return // a follow-on of a problem already reported for this value
	}
	c.errs.Add(pos, path, "%s", c.Named.redact(fmt.Sprintf(format, args...)))
}

// poison marks a value that has been reported as unusable: later problems
// at the same place are consequences of the first and are not reported.
func (c *Compiler) poison(pos Pos) {
	if c.bad == nil {
		c.bad = map[Pos]bool{}
	}
	c.bad[pos] = true
}

// Compile compiles a <policies> document. parent is the enclosing scope's
// plan (nil at global scope): <base/> splices its section in place, and a
// section the document leaves out inherits the parent's whole section.
// scope names the document's scope in context.LastError.Scope.
func (c *Compiler) Compile(root *Node, scope string, parent *Plan) *Plan {
	plan := &Plan{}
	if root.Name != "policies" {
		c.Errorf(root.Pos, "", "the root element must be <policies>, not <%s>", root.Name)
		return plan
	}
	if parent != nil {
		*plan = *parent // sections the document leaves out stay the parent's
	}
	c.noAttrs(root)
	c.noText(root)
	seen := map[string]bool{}
	for _, sec := range root.Children {
		var which Section
		for _, sn := range sectionNames {
			if sn.name == sec.Name {
				which = sn.s
			}
		}
		if which == 0 {
			c.Errorf(sec.Pos, "", "unknown section <%s> (want inbound, backend, outbound or on-error)", sec.Name)
			continue
		}
		if seen[sec.Name] {
			c.Errorf(sec.Pos, "", "section <%s> given twice", sec.Name)
			continue
		}
		seen[sec.Name] = true
		c.noAttrs(sec)
		c.noText(sec)
		var parentBlock Block
		if parent != nil {
			parentBlock = parent.Section(which)
		}
		*plan.block(which) = c.block(sec.Children, which, scope, parentBlock, true)
		if which == Backend {
			plan.ForwardsNothing = writtenEmpty(sec, parent)
		}
	}
	// Classified last: a step may change one it holds while it is parsed
	// (retry makes a forward-request inside it send the call).
	plan.blocking, plan.classified = plan.classify(), true
	plan.keepBody = plan.needsRequestBody()
	return plan
}

// CompileResolver compiles a GraphQL resolver's document, whose root is
// one policy allowed in the Resolver section (http-data-source). scope
// names it in context.LastError.Scope.
func (c *Compiler) CompileResolver(root *Node, scope string) Block {
	return c.block([]*Node{root}, Resolver, scope, nil, false)
}

// writtenEmpty reports whether a written backend section forwards
// nothing: no element in it, or only <base/> over a parent scope whose
// own backend section forwards nothing.
func writtenEmpty(sec *Node, parent *Plan) bool {
	for _, n := range sec.Children {
		if n.Name != "base" || parent == nil || !parent.ForwardsNothing {
			return false
		}
	}
	return true
}

// block compiles a list of policy elements.
func (c *Compiler) block(nodes []*Node, sec Section, scope string, parent Block, top bool) Block {
	var b Block
	for _, n := range nodes {
		switch n.Name {
		case "base":
			c.noAttrs(n)
			c.noText(n)
			if !top {
				c.Errorf(n.Pos, n.Path, "<base/> may only stand directly in a section")
				continue
			}
			b = append(b, parent...)
			continue
		case "include-fragment":
			b = append(b, c.fragment(n, sec, scope, parent, top)...)
			continue
		}
		pol, ok := c.Registry[n.Name]
		if !ok {
			c.Errorf(n.Pos, n.Path, "unknown policy <%s>%s", n.Name, c.suggest(n.Name))
			continue
		}
		if pol.Sections&sec == 0 {
			c.Errorf(n.Pos, n.Path, "<%s> is not allowed in %s (allowed in: %s)", n.Name, sec, pol.Sections)
			continue
		}
		p := &Parser{c: c, n: n, section: sec, scope: scope}
		before, reads, holds := len(c.errs), c.reqBodyReads, c.reqBodyHolds
		step := pol.Parse(p)
		p.finish()
		if len(c.errs) > before || step == nil {
			continue
		}
		cs := &Compiled{Step: step, Name: n.Name, Path: c.pathPrefix + n.Path, Pos: n.Pos, Scope: scope, Section: sec,
			Branches: p.allBranches(), readsReqBody: c.reqBodyReads > reads, holdsReqBody: c.reqBodyHolds > holds}
		if a := n.Attr("id"); a != nil {
			cs.ID = a.Value
		}
		_, cs.queryBlind = step.(QueryBlind)
		b = append(b, cs)
	}
	return b
}

// fragment splices a fragment's policies (include-fragment fragment-id="x").
func (c *Compiler) fragment(n *Node, sec Section, scope string, parent Block, top bool) Block {
	p := &Parser{c: c, n: n, section: sec, scope: scope}
	id := p.RequiredLitStr("fragment-id")
	p.finish()
	if id == "" {
		return nil
	}
	frag, ok := c.Fragments[id]
	if ok && frag == nil {
		c.Errorf(n.Pos, n.Path, "fragment %q failed to load (its own errors are listed)", id)
		return nil
	}
	if !ok {
		where := c.FragmentsWhere
		if where == "" {
			where = "apis/fragments/NAME.xml"
		}
		c.Errorf(n.Pos, n.Path, "unknown fragment %q (fragments live in %s)", id, where)
		return nil
	}
	if c.depth > 10 {
		c.Errorf(n.Pos, n.Path, "fragments nest too deep (a fragment includes itself?)")
		return nil
	}
	c.depth++
	// Steps from the fragment report where they were included:
	// inbound/include-fragment[1]/send-request[2].
	prevPrefix := c.pathPrefix
	c.pathPrefix = prevPrefix + n.Path + "/"
	defer func() { c.depth--; c.pathPrefix = prevPrefix }()
	return c.block(frag.Children, sec, scope, parent, top)
}

func (c *Compiler) suggest(name string) string {
	best := nearest(name, maps.Keys(c.Registry))
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean <%s>?)", best)
}

// nearest returns the candidate within edit distance 2 of name, the
// closest and then the first in order, or "".
func nearest(name string, cands iter.Seq[string]) string {
	best, bestD := "", 3
	for k := range cands {
		if d := editdist.Distance(name, k); d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

func (c *Compiler) noAttrs(n *Node) {
	for _, a := range n.Attrs {
		c.Errorf(a.Pos, n.Path, "<%s> takes no attribute %q", n.Name, a.Name)
	}
}

func (c *Compiler) noText(n *Node) {
	if n.Text != "" {
		c.Errorf(n.TextPos, n.Path, "unexpected text in <%s>", n.Name)
	}
}
