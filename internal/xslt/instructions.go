package xslt

import (
	"fmt"
	"strings"

	"tollgate/internal/xpath"
)

// instr is a compiled instruction (or literal text or literal result
// element) of a template body.
type instr interface {
	exec(c *xctx) error
	site() *pos
}

type base struct{ p pos }

func (b *base) site() *pos { return &b.p }

type textInstr struct {
	base
	text string
	doe  bool
}

func (in *textInstr) exec(c *xctx) error {
	if in.text == "" {
		return nil
	}
	return in.p.wrap(c.rt.out.text(in.text, in.doe))
}

type valueOfInstr struct {
	base
	sel *xexpr
	doe bool
}

func (in *valueOfInstr) exec(c *xctx) error {
	s, err := c.evalString(in.sel)
	if err != nil {
		return in.p.wrap(err)
	}
	if s == "" {
		return nil
	}
	return in.p.wrap(c.rt.out.text(s, in.doe))
}

type withParam struct {
	name qname
	sel  *xexpr
	body []instr
	site pos
}

func (c *xctx) evalParams(wps []*withParam) ([]paramValue, error) {
	if len(wps) == 0 {
		return nil, nil
	}
	out := make([]paramValue, len(wps))
	for i, wp := range wps {
		v, err := c.value(wp.sel, wp.body, &wp.site)
		if err != nil {
			return nil, err
		}
		out[i] = paramValue{name: wp.name, val: v}
	}
	return out, nil
}

type applyTemplatesInstr struct {
	base
	sel    *xexpr
	mode   qname
	sorts  []*sortSpec
	params []*withParam
}

func (in *applyTemplatesInstr) exec(c *xctx) error {
	var nodes xpath.NodeSet
	if in.sel == nil {
		nodes = xpath.NodeSet(c.node.Children)
	} else {
		var err error
		nodes, err = c.evalNodes(in.sel)
		if err != nil {
			return in.p.wrap(err)
		}
	}
	if len(in.sorts) > 0 {
		var err error
		if nodes, err = c.sortNodes(nodes, in.sorts); err != nil {
			return in.p.wrap(err)
		}
	}
	params, err := c.evalParams(in.params)
	if err != nil {
		return err
	}
	return c.applyTemplates(nodes, in.mode, params, &in.p)
}

type callTemplateInstr struct {
	base
	name   qname
	ss     *Stylesheet
	params []*withParam
}

func (in *callTemplateInstr) exec(c *xctx) error {
	t := in.ss.named[in.name]
	params, err := c.evalParams(in.params)
	if err != nil {
		return err
	}
	return c.rt.invoke(t, c.node, c.pos, c.size, c.mode, params, &in.p)
}

type applyImportsInstr struct{ base }

// exec: with no imported stylesheets, only the built-in rules remain.
func (in *applyImportsInstr) exec(c *xctx) error {
	if c.tmpl == nil {
		return in.p.errorf("there is no current template rule")
	}
	return c.builtin(c.node, c.pos, c.size, c.mode, &in.p)
}

type forEachInstr struct {
	base
	sel   *xexpr
	sorts []*sortSpec
	body  []instr
}

func (in *forEachInstr) exec(c *xctx) error {
	nodes, err := c.evalNodes(in.sel)
	if err != nil {
		return in.p.wrap(err)
	}
	if len(in.sorts) > 0 {
		if nodes, err = c.sortNodes(nodes, in.sorts); err != nil {
			return in.p.wrap(err)
		}
	}
	nc := &xctx{rt: c.rt, frame: c.frame, mode: c.mode, size: len(nodes)}
	for i, n := range nodes {
		nc.node, nc.pos = n, i+1
		if err := nc.execBody(in.body); err != nil {
			return err
		}
	}
	return nil
}

type copyInstr struct {
	base
	ss   *Stylesheet
	sets []qname
	body []instr
}

func (in *copyInstr) exec(c *xctx) error {
	n := c.node
	out := c.rt.out
	switch n.Kind {
	case xpath.RootNode:
		return c.execBody(in.body)
	case xpath.ElementNode:
		if err := out.startElement(n.Space, n.Prefix, n.Local); err != nil {
			return in.p.wrap(err)
		}
		if err := out.copyNamespaces(n); err != nil {
			return in.p.wrap(err)
		}
		return c.elementContent(in.ss, in.sets, in.body, &in.p)
	case xpath.AttributeNode:
		return in.p.wrap(out.attribute(n.Space, n.Prefix, n.Local, n.Data))
	case xpath.TextNode:
		return in.p.wrap(out.text(n.Data, false))
	case xpath.CommentNode:
		return in.p.wrap(out.comment(n.Data))
	case xpath.ProcInstNode:
		return in.p.wrap(out.pi(n.Local, n.Data))
	case xpath.NamespaceNode:
		return in.p.wrap(out.namespace(n.Local, n.Data))
	}
	return nil
}

type copyOfInstr struct {
	base
	sel *xexpr
}

func (in *copyOfInstr) exec(c *xctx) error {
	v, err := c.eval(in.sel)
	if err != nil {
		return in.p.wrap(err)
	}
	out := c.rt.out
	switch v := v.(type) {
	case xpath.NodeSet:
		for _, n := range v {
			if err := out.copyNode(n); err != nil {
				return in.p.wrap(err)
			}
		}
	case *xpath.Fragment:
		if err := out.copyNode(v.Root); err != nil {
			return in.p.wrap(err)
		}
	default:
		s := xpath.ToString(v)
		if s != "" {
			return in.p.wrap(out.text(s, false))
		}
	}
	return nil
}

// nodeConstructor computes the name of xsl:element and xsl:attribute.
type nodeConstructor struct {
	name  *avt
	ns    *avt
	scope *sNode // for the prefix of the name
	attr  bool
}

func (nc *nodeConstructor) checkConstant(n *sNode, name string) error {
	prefix, _, ok := splitQName(name)
	if !ok {
		return errAt(n, "%q is not a valid QName", name)
	}
	if nc.attr && name == "xmlns" && nc.ns == nil {
		return errAt(n, "an attribute may not be named xmlns")
	}
	if nc.ns == nil && prefix != "" {
		if _, ok := n.lookup(prefix); !ok {
			return errAt(n, "undeclared namespace prefix %q in %q", prefix, name)
		}
	}
	return nil
}

func (nc *nodeConstructor) resolve(c *xctx) (space, prefix, local string, err error) {
	name, err := nc.name.eval(c)
	if err != nil {
		return "", "", "", err
	}
	name = strings.TrimSpace(name)
	prefix, local, ok := splitQName(name)
	if !ok {
		return "", "", "", fmt.Errorf("%q is not a valid QName", name)
	}
	if nc.ns != nil {
		space, err = nc.ns.eval(c)
		if err != nil {
			return "", "", "", err
		}
		if space == "" {
			prefix = ""
		}
	} else if prefix != "" || !nc.attr {
		u, ok := nc.scope.lookup(prefix)
		if !ok {
			return "", "", "", fmt.Errorf("undeclared namespace prefix %q in %q", prefix, name)
		}
		space = u
	}
	if nc.attr {
		if prefix == "" && local == "xmlns" && space == "" {
			return "", "", "", fmt.Errorf("an attribute may not be named xmlns")
		}
		if prefix == "xmlns" {
			prefix = ""
		}
	}
	if prefix == "xml" && space != xpath.XMLNamespace {
		prefix = ""
	}
	return space, prefix, local, nil
}

type elementInstr struct {
	base
	nc   *nodeConstructor
	ss   *Stylesheet
	sets []qname
	body []instr
}

func (in *elementInstr) exec(c *xctx) error {
	space, prefix, local, err := in.nc.resolve(c)
	if err != nil {
		return in.p.wrap(err)
	}
	out := c.rt.out
	if err := out.startElement(space, prefix, local); err != nil {
		return in.p.wrap(err)
	}
	return c.elementContent(in.ss, in.sets, in.body, &in.p)
}

// elementContent writes a started element's attribute sets and body, and
// ends it (xsl:copy of an element, xsl:element).
func (c *xctx) elementContent(ss *Stylesheet, sets []qname, body []instr, p *pos) error {
	if err := c.applySets(ss, sets, p); err != nil {
		return err
	}
	if err := c.execBody(body); err != nil {
		return err
	}
	c.rt.out.endElement()
	return nil
}

type attributeInstr struct {
	base
	nc   *nodeConstructor
	body []instr
}

func (in *attributeInstr) exec(c *xctx) error {
	space, prefix, local, err := in.nc.resolve(c)
	if err != nil {
		return in.p.wrap(err)
	}
	val, err := c.stringContent(in.body)
	if err != nil {
		return in.p.wrap(err)
	}
	return in.p.wrap(c.rt.out.attribute(space, prefix, local, val))
}

// applySets adds the attributes of the named attribute sets.
func (c *xctx) applySets(ss *Stylesheet, sets []qname, site *pos) error {
	for _, q := range sets {
		for _, def := range ss.attrSets[q] {
			if err := c.applySets(ss, def.use, site); err != nil {
				return err
			}
			nc := &xctx{rt: c.rt, node: c.node, pos: c.pos, size: c.size, frame: make([]xpath.Value, def.frameSize), tmpl: c.tmpl, mode: c.mode}
			if err := nc.execBody(def.body); err != nil {
				return err
			}
		}
	}
	return nil
}

type commentInstr struct {
	base
	body []instr
}

func (in *commentInstr) exec(c *xctx) error {
	s, err := c.stringContent(in.body)
	if err != nil {
		return in.p.wrap(err)
	}
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "- -")
	}
	if strings.HasSuffix(s, "-") {
		s += " "
	}
	return in.p.wrap(c.rt.out.comment(s))
}

type piInstr struct {
	base
	name *avt
	body []instr
}

func (in *piInstr) exec(c *xctx) error {
	name, err := in.name.eval(c)
	if err != nil {
		return in.p.wrap(err)
	}
	name = strings.TrimSpace(name)
	if !isNCName(name) || strings.EqualFold(name, "xml") {
		return in.p.errorf("%q is not a valid processing instruction name", name)
	}
	s, err := c.stringContent(in.body)
	if err != nil {
		return in.p.wrap(err)
	}
	for strings.Contains(s, "?>") {
		s = strings.ReplaceAll(s, "?>", "? >")
	}
	return in.p.wrap(c.rt.out.pi(name, s))
}

type ifInstr struct {
	base
	test *xexpr
	body []instr
}

func (in *ifInstr) exec(c *xctx) error {
	ok, err := c.evalBool(in.test)
	if err != nil {
		return in.p.wrap(err)
	}
	if ok {
		return c.execBody(in.body)
	}
	return nil
}

type whenClause struct {
	test *xexpr
	body []instr
}

type chooseInstr struct {
	base
	whens     []whenClause
	otherwise []instr
}

func (in *chooseInstr) exec(c *xctx) error {
	for _, w := range in.whens {
		ok, err := c.evalBool(w.test)
		if err != nil {
			return in.p.wrap(err)
		}
		if ok {
			return c.execBody(w.body)
		}
	}
	if in.otherwise != nil {
		return c.execBody(in.otherwise)
	}
	return nil
}

type variableInstr struct {
	base
	sel  *xexpr
	body []instr
	slot int
}

func (in *variableInstr) exec(c *xctx) error {
	v, err := c.value(in.sel, in.body, &in.p)
	if err != nil {
		return err
	}
	c.frame[in.slot] = v
	return nil
}

type messageInstr struct {
	base
	body      []instr
	terminate bool
}

func (in *messageInstr) exec(c *xctx) error {
	root, err := c.fragment(in.body)
	if err != nil {
		return in.p.wrap(err)
	}
	s := root.StringValue()
	if in.terminate {
		return in.p.errorf("transformation terminated: %s", s)
	}
	c.rt.messages = append(c.rt.messages, s)
	return nil
}

type unknownInstr struct {
	base
	what        string
	fallback    []instr
	hasFallback bool
}

func (in *unknownInstr) exec(c *xctx) error {
	if !in.hasFallback {
		return in.p.errorf("%s %s is not supported and has no xsl:fallback", in.what, in.p.name)
	}
	return c.execBody(in.fallback)
}

type lreAttr struct {
	space, prefix, local string
	val                  *avt
}

type lreInstr struct {
	base
	ss                   *Stylesheet
	space, prefix, local string
	ns                   []nsBinding
	sets                 []qname
	attrs                []lreAttr
	body                 []instr
}

func (in *lreInstr) exec(c *xctx) error {
	out := c.rt.out
	if err := out.startElement(in.space, in.prefix, in.local); err != nil {
		return in.p.wrap(err)
	}
	for _, b := range in.ns {
		if err := out.namespace(b.prefix, b.uri); err != nil {
			return in.p.wrap(err)
		}
	}
	if err := c.applySets(in.ss, in.sets, &in.p); err != nil {
		return err
	}
	for _, a := range in.attrs {
		v, err := a.val.eval(c)
		if err != nil {
			return in.p.wrap(err)
		}
		if err := out.attribute(a.space, a.prefix, a.local, v); err != nil {
			return in.p.wrap(err)
		}
	}
	if err := c.execBody(in.body); err != nil {
		return err
	}
	out.endElement()
	return nil
}
