package xslt

import (
	"context"
	"errors"
	"fmt"

	"tollgate/internal/xpath"
)

// runtime is the state of one transformation.
type runtime struct {
	ss        *Stylesheet
	ns        xpath.NamespaceCache // the namespace axis's nodes, made once per element (xpath.Context.NS)
	ctx       context.Context
	params    map[string]string
	maxOutput int
	maxDepth  int
	maxSteps  int64
	steps     int64
	chargeFn  func(int) error // rt.charge, bound once
	depth     int
	out       *builder
	doc       *xpath.Node
	gvals     []xpath.Value
	gstate    []uint8 // 0 not evaluated, 1 being evaluated, 2 done
	fatal     error   // an error raised where it could not be returned (variable look-up)
	keys      map[keyID]map[string][]*xpath.Node
	building  map[qname]bool
	ids       map[*xpath.Node]string
	messages  []string
	built     int64 // bytes of nodes created
	nodes     int64 // nodes created
	buildCap  int64
}

type keyID struct {
	name qname
	root *xpath.Node
}

// xctx is the dynamic context of an instruction: the current node and
// node list, the local variables, and the current template rule and mode.
type xctx struct {
	rt    *runtime
	node  *xpath.Node
	pos   int
	size  int
	frame []xpath.Value
	tmpl  *template
	mode  qname
	pc    xpath.Context // reused by patternContext
}

// pos names an instruction and its line for runtime errors.
type pos struct {
	name string
	line int
}

// runtimeError is an error raised while transforming, already located.
type runtimeError struct {
	msg   string
	cause error
}

func (e *runtimeError) Error() string { return e.msg }
func (e *runtimeError) Unwrap() error { return e.cause }

func (p *pos) where() string {
	if p == nil {
		return "built-in template rule"
	}
	if p.line == 0 {
		return p.name
	}
	return fmt.Sprintf("%s at line %d", p.name, p.line)
}

func (p *pos) wrap(err error) error {
	if err == nil {
		return nil
	}
	var re *runtimeError
	if errors.As(err, &re) {
		return err
	}
	return &runtimeError{msg: p.where() + ": " + err.Error(), cause: err}
}

func (p *pos) errorf(format string, args ...any) error {
	return &runtimeError{msg: p.where() + ": " + fmt.Sprintf(format, args...)}
}

// charge counts the nodes an XPath evaluation visits as steps
// (xpath.Context.Charge).
func (rt *runtime) charge(nodes int) error {
	before := rt.steps
	rt.steps += int64(nodes)
	if rt.steps > rt.maxSteps {
		return fmt.Errorf("more than %d steps executed", rt.maxSteps)
	}
	if before>>12 != rt.steps>>12 {
		if err := rt.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (rt *runtime) tick() error {
	rt.steps++
	if rt.steps > rt.maxSteps {
		return fmt.Errorf("more than %d steps executed", rt.maxSteps)
	}
	if rt.steps&4095 == 0 {
		if err := rt.ctx.Err(); err != nil {
			return err
		}
	}
	if rt.fatal != nil {
		return rt.fatal
	}
	return nil
}

func (s *Stylesheet) run(ctx context.Context, doc *xpath.Node, opts Options) ([]byte, []string, error) {
	rt := &runtime{
		ss:        s,
		ctx:       ctx,
		params:    opts.Params,
		maxOutput: opts.MaxOutput,
		maxDepth:  opts.MaxDepth,
		maxSteps:  opts.MaxSteps,
		doc:       doc,
		gvals:     make([]xpath.Value, len(s.globals)),
		gstate:    make([]uint8, len(s.globals)),
	}
	if rt.maxOutput <= 0 {
		rt.maxOutput = DefaultMaxOutput
	}
	if rt.maxDepth <= 0 {
		rt.maxDepth = DefaultMaxDepth
	}
	if rt.maxDepth > maxMaxDepth {
		rt.maxDepth = maxMaxDepth
	}
	if rt.maxSteps <= 0 {
		rt.maxSteps = DefaultMaxSteps
	}
	rt.buildCap = 2 * int64(rt.maxOutput)
	rt.chargeFn = rt.charge
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if len(s.spaceRules) > 0 {
		s.stripSource(doc)
	}
	rt.out = newBuilder(rt)
	c := &xctx{rt: rt, node: doc, pos: 1, size: 1}
	if err := c.applyTemplates(xpath.NodeSet{doc}, qname{}, nil, &pos{name: "processing the root node"}); err != nil {
		return nil, rt.messages, finalErr(err)
	}
	if rt.fatal != nil {
		return nil, rt.messages, finalErr(rt.fatal)
	}
	res := rt.out.finish()
	out, err := s.serialize(res, rt.out.doe, rt.maxOutput)
	if err != nil {
		return nil, rt.messages, finalErr(err)
	}
	return out, rt.messages, nil
}

func finalErr(err error) error {
	var re *runtimeError
	if errors.As(err, &re) {
		return &runtimeError{msg: "xslt: " + re.msg, cause: re.cause}
	}
	return fmt.Errorf("xslt: %w", err)
}

// xpathContext is the XPath context of an expression evaluated at c.
func (c *xctx) xpathContext(x *xexpr) *xpath.Context {
	xc := &xpath.Context{Node: c.node, Position: c.pos, Size: c.size, Host: c, Charge: c.rt.chargeFn, NS: &c.rt.ns}
	if x.vars {
		sc := x.scope
		xc.Vars = func(space, local string) xpath.Value {
			q := qname{space, local}
			if s := sc.find(q); s != nil {
				return c.frame[s.slot]
			}
			v, err := c.rt.global(q)
			if err != nil {
				if c.rt.fatal == nil {
					c.rt.fatal = err
				}
				return ""
			}
			return v
		}
	}
	return xc
}

func (c *xctx) eval(x *xexpr) (xpath.Value, error) {
	if x.err != nil {
		return nil, x.err
	}
	v, err := x.e.Eval(c.xpathContext(x))
	if err == nil && c.rt.fatal != nil {
		err = c.rt.fatal
	}
	return v, err
}

func (c *xctx) evalNodes(x *xexpr) (xpath.NodeSet, error) {
	if x.err != nil {
		return nil, x.err
	}
	v, err := x.e.EvalNodeSet(c.xpathContext(x))
	if err == nil && c.rt.fatal != nil {
		err = c.rt.fatal
	}
	return v, err
}

func (c *xctx) evalString(x *xexpr) (string, error) {
	v, err := c.eval(x)
	if err != nil {
		return "", err
	}
	return xpath.ToString(v), nil
}

func (c *xctx) evalBool(x *xexpr) (bool, error) {
	v, err := c.eval(x)
	if err != nil {
		return false, err
	}
	return xpath.ToBoolean(v), nil
}

// global is the value of a global variable or parameter, evaluated on
// first use.
func (rt *runtime) global(q qname) (xpath.Value, error) {
	i, ok := rt.ss.globalIdx[q]
	if !ok {
		return nil, fmt.Errorf("variable $%s is not defined", q)
	}
	switch rt.gstate[i] {
	case 2:
		return rt.gvals[i], nil
	case 1:
		return nil, fmt.Errorf("circular reference to global variable $%s", rt.ss.globals[i].written)
	}
	g := rt.ss.globals[i]
	rt.gstate[i] = 1
	var v xpath.Value
	if s, ok := rt.params[g.written]; ok && g.isParam {
		v = s
	} else {
		c := &xctx{rt: rt, node: rt.doc, pos: 1, size: 1, frame: make([]xpath.Value, g.frameSize)}
		name := "xsl:variable"
		if g.isParam {
			name = "xsl:param"
		}
		var err error
		v, err = c.value(g.sel, g.body, &pos{name, g.line})
		if err != nil {
			rt.gstate[i] = 0
			return nil, err
		}
	}
	rt.gvals[i] = v
	rt.gstate[i] = 2
	return v, nil
}

// value is the value of a variable-binding element: its select
// expression, its content as a result tree fragment, or "".
func (c *xctx) value(sel *xexpr, body []instr, site *pos) (xpath.Value, error) {
	if sel != nil {
		v, err := c.eval(sel)
		if err != nil {
			return nil, site.wrap(err)
		}
		return v, nil
	}
	if body == nil {
		return "", nil
	}
	root, err := c.fragment(body)
	if err != nil {
		return nil, site.wrap(err)
	}
	return &xpath.Fragment{Root: root}, nil
}

// fragment instantiates body into a new result tree fragment.
func (c *xctx) fragment(body []instr) (*xpath.Node, error) {
	rt := c.rt
	saved := rt.out
	rt.out = newBuilder(rt)
	err := c.execBody(body)
	b := rt.out
	rt.out = saved
	if err != nil {
		return nil, err
	}
	root := b.finish()
	xpath.Number(root)
	return root, nil
}

// stringContent instantiates body and returns the text it created (the
// content of xsl:attribute, xsl:comment and xsl:processing-instruction).
// Creating any other node there is an error, as in XslCompiledTransform.
func (c *xctx) stringContent(body []instr) (string, error) {
	if len(body) == 1 {
		if t, ok := body[0].(*textInstr); ok {
			return t.text, nil
		}
	}
	root, err := c.fragment(body)
	if err != nil {
		return "", err
	}
	var s []byte
	for _, ch := range root.Children {
		if ch.Kind != xpath.TextNode {
			return "", fmt.Errorf("the content may create only text, not a %s node", ch.Kind)
		}
		s = append(s, ch.Data...)
	}
	return string(s), nil
}

func (c *xctx) execBody(body []instr) error {
	for _, in := range body {
		if err := c.rt.tick(); err != nil {
			return in.site().wrap(err)
		}
		if err := in.exec(c); err != nil {
			return err
		}
	}
	return nil
}

// generateID is generate-id() for n: stable within one transformation.
func (rt *runtime) generateID(n *xpath.Node) string {
	if rt.ids == nil {
		rt.ids = map[*xpath.Node]string{}
	}
	if id, ok := rt.ids[n]; ok {
		return id
	}
	id := fmt.Sprintf("idN%d", len(rt.ids)+1)
	rt.ids[n] = id
	return id
}
