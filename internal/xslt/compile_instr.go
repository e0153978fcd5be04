package xslt

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// avt is a compiled attribute value template.
type avt struct {
	parts []avtPart
}

type avtPart struct {
	lit string
	x   *xexpr
}

// constant reports whether the template has no expressions, and its value.
func (a *avt) constant() (string, bool) {
	if a == nil {
		return "", true
	}
	switch len(a.parts) {
	case 0:
		return "", true
	case 1:
		if a.parts[0].x == nil {
			return a.parts[0].lit, true
		}
	}
	return "", false
}

func (a *avt) eval(c *xctx) (string, error) {
	if s, ok := a.constant(); ok {
		return s, nil
	}
	var b strings.Builder
	for _, p := range a.parts {
		if p.x == nil {
			b.WriteString(p.lit)
			continue
		}
		s, err := c.evalString(p.x)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// compileAVT parses an attribute value template (section 7.6.2).
func (c *compiler) compileAVT(cc *cctx, n *sNode, attr, src string) (*avt, error) {
	a := &avt{}
	var lit strings.Builder
	for i := 0; i < len(src); {
		ch := src[i]
		switch {
		case ch == '{' && i+1 < len(src) && src[i+1] == '{':
			lit.WriteByte('{')
			i += 2
		case ch == '}' && i+1 < len(src) && src[i+1] == '}':
			lit.WriteByte('}')
			i += 2
		case ch == '}':
			return nil, errAt(n, "attribute %s=%q: a lone '}' must be written '}}'", attr, src)
		case ch == '{':
			j := i + 1
			var quote byte
			for ; j < len(src); j++ {
				if quote != 0 {
					if src[j] == quote {
						quote = 0
					}
					continue
				}
				if src[j] == '"' || src[j] == '\'' {
					quote = src[j]
				} else if src[j] == '}' {
					break
				}
			}
			if j >= len(src) {
				return nil, errAt(n, "attribute %s=%q: '{' has no matching '}'", attr, src)
			}
			if lit.Len() > 0 {
				a.parts = append(a.parts, avtPart{lit: lit.String()})
				lit.Reset()
			}
			x, err := c.expr(cc, n, attr, src[i+1:j])
			if err != nil {
				return nil, err
			}
			a.parts = append(a.parts, avtPart{x: x})
			i = j + 1
		default:
			lit.WriteByte(ch)
			i++
		}
	}
	if lit.Len() > 0 {
		a.parts = append(a.parts, avtPart{lit: lit.String()})
	}
	return a, nil
}

func (c *compiler) optAVT(cc *cctx, n *sNode, attr string) (*avt, error) {
	v, ok := n.attr(attr)
	if !ok {
		return nil, nil
	}
	return c.compileAVT(cc, n, attr, v)
}

func (c *compiler) compileBody(cc *cctx, parent *sNode) ([]instr, error) {
	return c.compileNodes(cc, parent.children)
}

// compileNodes compiles a sequence of sibling nodes of a template body;
// a variable is in scope for its following siblings.
func (c *compiler) compileNodes(cc *cctx, nodes []*sNode) ([]instr, error) {
	savedScope, savedNext := cc.scope, cc.next
	defer func() { cc.scope, cc.next = savedScope, savedNext }()
	var out []instr
	for _, n := range nodes {
		if n.text {
			out = append(out, &textInstr{base: base{pos{"text", n.line}}, text: n.data})
			continue
		}
		if n.isXSL("variable") {
			v, err := c.compileVariable(cc, n)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		in, err := c.compileInstr(cc, n)
		if err != nil {
			return nil, err
		}
		if in != nil {
			out = append(out, in)
		}
	}
	if out == nil {
		out = []instr{}
	}
	return out, nil
}

func (c *compiler) compileVariable(cc *cctx, n *sNode) (instr, error) {
	if err := c.checkAttrs(n, attrsOf("name", "select"), cc.fcp); err != nil {
		return nil, err
	}
	q, name, err := c.requiredName(n)
	if err != nil {
		return nil, err
	}
	if cc.scope.find(q) != nil {
		return nil, errAt(n, "variable %s shadows another local variable or parameter in scope", name)
	}
	sel, body, err := c.compileValue(cc, n)
	if err != nil {
		return nil, err
	}
	v := &variableInstr{base: base{pos{"xsl:variable", n.line}}, sel: sel, body: body, slot: cc.alloc()}
	cc.scope = &scope{name: q, slot: v.slot, next: cc.scope}
	return v, nil
}

// xslInstructions are the names element-available() reports.
var xslInstructions = map[string]bool{
	"apply-imports": true, "apply-templates": true, "attribute": true, "call-template": true,
	"choose": true, "comment": true, "copy": true, "copy-of": true, "element": true,
	"fallback": true, "for-each": true, "if": true, "message": true, "number": true,
	"processing-instruction": true, "text": true, "value-of": true, "variable": true,
}

func (c *compiler) compileInstr(cc *cctx, n *sNode) (instr, error) {
	if n.space != NamespaceXSLT {
		if cc.extNS[n.space] || (n.space == NamespaceMSXSL && n.local == "script") {
			return c.compileUnknown(cc, n, "extension element")
		}
		return c.compileLRE(cc, n)
	}
	p := pos{"xsl:" + n.local, n.line}
	switch n.local {
	case "apply-templates":
		if err := c.checkAttrs(n, attrsOf("select", "mode"), cc.fcp); err != nil {
			return nil, err
		}
		in := &applyTemplatesInstr{base: base{p}}
		if s, ok := n.attr("select"); ok {
			x, err := c.expr(cc, n, "select", s)
			if err != nil {
				return nil, err
			}
			in.sel = x
		}
		if m, ok := n.attr("mode"); ok {
			q, err := c.qnameOf(n, m)
			if err != nil {
				return nil, err
			}
			in.mode = q
		}
		for _, ch := range n.children {
			switch {
			case ch.isXSL("sort"):
				s, err := c.compileSort(cc, ch)
				if err != nil {
					return nil, err
				}
				in.sorts = append(in.sorts, s)
			case ch.isXSL("with-param"):
				wp, err := c.compileWithParam(cc, ch, in.params)
				if err != nil {
					return nil, err
				}
				in.params = append(in.params, wp)
			default:
				return nil, errAt(ch, "xsl:apply-templates may contain only xsl:sort and xsl:with-param")
			}
		}
		return in, nil
	case "call-template":
		if err := c.checkAttrs(n, attrsOf("name"), cc.fcp); err != nil {
			return nil, err
		}
		q, name, err := c.requiredName(n)
		if err != nil {
			return nil, err
		}
		if c.tnames[q] == nil {
			return nil, errAt(n, "no template named %s", name)
		}
		in := &callTemplateInstr{base: base{p}, name: q, ss: c.ss}
		for _, ch := range n.children {
			if !ch.isXSL("with-param") {
				return nil, errAt(ch, "xsl:call-template may contain only xsl:with-param")
			}
			wp, err := c.compileWithParam(cc, ch, in.params)
			if err != nil {
				return nil, err
			}
			in.params = append(in.params, wp)
		}
		return in, nil
	case "apply-imports":
		if err := c.checkAttrs(n, attrsOf(), cc.fcp); err != nil {
			return nil, err
		}
		return &applyImportsInstr{base: base{p}}, nil
	case "for-each":
		if err := c.checkAttrs(n, attrsOf("select"), cc.fcp); err != nil {
			return nil, err
		}
		x, err := c.requiredExpr(cc, n, "select")
		if err != nil {
			return nil, err
		}
		in := &forEachInstr{base: base{p}, sel: x}
		i := 0
		for ; i < len(n.children) && n.children[i].isXSL("sort"); i++ {
			s, err := c.compileSort(cc, n.children[i])
			if err != nil {
				return nil, err
			}
			in.sorts = append(in.sorts, s)
		}
		if in.body, err = c.compileNodes(cc, n.children[i:]); err != nil {
			return nil, err
		}
		return in, nil
	case "value-of":
		if err := c.checkAttrs(n, attrsOf("select", "disable-output-escaping"), cc.fcp); err != nil {
			return nil, err
		}
		x, err := c.requiredExpr(cc, n, "select")
		if err != nil {
			return nil, err
		}
		doe, err := yesNo(n, "disable-output-escaping", false)
		if err != nil {
			return nil, err
		}
		if len(n.children) > 0 && !cc.fcp {
			return nil, errAt(n, "xsl:value-of must be empty")
		}
		return &valueOfInstr{base: base{p}, sel: x, doe: doe}, nil
	case "text":
		if err := c.checkAttrs(n, attrsOf("disable-output-escaping"), cc.fcp); err != nil {
			return nil, err
		}
		doe, err := yesNo(n, "disable-output-escaping", false)
		if err != nil {
			return nil, err
		}
		var s strings.Builder
		for _, ch := range n.children {
			if !ch.text {
				return nil, errAt(ch, "xsl:text may contain only text")
			}
			s.WriteString(ch.data)
		}
		return &textInstr{base: base{p}, text: s.String(), doe: doe}, nil
	case "copy":
		if err := c.checkAttrs(n, attrsOf("use-attribute-sets"), cc.fcp); err != nil {
			return nil, err
		}
		in := &copyInstr{base: base{p}, ss: c.ss}
		if v, ok := n.attr("use-attribute-sets"); ok {
			sets, err := c.useSets(n, v)
			if err != nil {
				return nil, err
			}
			in.sets = sets
		}
		body, err := c.compileBody(cc, n)
		if err != nil {
			return nil, err
		}
		in.body = body
		return in, nil
	case "copy-of":
		if err := c.checkAttrs(n, attrsOf("select"), cc.fcp); err != nil {
			return nil, err
		}
		x, err := c.requiredExpr(cc, n, "select")
		if err != nil {
			return nil, err
		}
		return &copyOfInstr{base: base{p}, sel: x}, nil
	case "element", "attribute":
		allowed := attrsOf("name", "namespace")
		if n.local == "element" {
			allowed["use-attribute-sets"] = true
		}
		if err := c.checkAttrs(n, allowed, cc.fcp); err != nil {
			return nil, err
		}
		name, ok := n.attr("name")
		if !ok {
			return nil, errAt(n, "xsl:%s must have a name attribute", n.local)
		}
		nameAVT, err := c.compileAVT(cc, n, "name", name)
		if err != nil {
			return nil, err
		}
		nsAVT, err := c.optAVT(cc, n, "namespace")
		if err != nil {
			return nil, err
		}
		nc := &nodeConstructor{name: nameAVT, ns: nsAVT, scope: n, attr: n.local == "attribute"}
		if s, ok := nameAVT.constant(); ok {
			if err := nc.checkConstant(n, s); err != nil {
				return nil, err
			}
		}
		body, err := c.compileBody(cc, n)
		if err != nil {
			return nil, err
		}
		if n.local == "attribute" {
			return &attributeInstr{base: base{p}, nc: nc, body: body}, nil
		}
		in := &elementInstr{base: base{p}, nc: nc, body: body, ss: c.ss}
		if v, ok := n.attr("use-attribute-sets"); ok {
			sets, err := c.useSets(n, v)
			if err != nil {
				return nil, err
			}
			in.sets = sets
		}
		return in, nil
	case "comment":
		if err := c.checkAttrs(n, attrsOf(), cc.fcp); err != nil {
			return nil, err
		}
		body, err := c.compileBody(cc, n)
		if err != nil {
			return nil, err
		}
		return &commentInstr{base: base{p}, body: body}, nil
	case "processing-instruction":
		if err := c.checkAttrs(n, attrsOf("name"), cc.fcp); err != nil {
			return nil, err
		}
		name, ok := n.attr("name")
		if !ok {
			return nil, errAt(n, "xsl:processing-instruction must have a name attribute")
		}
		a, err := c.compileAVT(cc, n, "name", name)
		if err != nil {
			return nil, err
		}
		if s, ok := a.constant(); ok && (!isNCName(s) || strings.EqualFold(s, "xml")) {
			return nil, errAt(n, "%q is not a valid processing instruction name", s)
		}
		body, err := c.compileBody(cc, n)
		if err != nil {
			return nil, err
		}
		return &piInstr{base: base{p}, name: a, body: body}, nil
	case "if":
		if err := c.checkAttrs(n, attrsOf("test"), cc.fcp); err != nil {
			return nil, err
		}
		x, err := c.requiredExpr(cc, n, "test")
		if err != nil {
			return nil, err
		}
		body, err := c.compileBody(cc, n)
		if err != nil {
			return nil, err
		}
		return &ifInstr{base: base{p}, test: x, body: body}, nil
	case "choose":
		if err := c.checkAttrs(n, attrsOf(), cc.fcp); err != nil {
			return nil, err
		}
		in := &chooseInstr{base: base{p}}
		for i, ch := range n.children {
			switch {
			case ch.isXSL("when"):
				if in.otherwise != nil {
					return nil, errAt(ch, "xsl:when may not follow xsl:otherwise")
				}
				x, err := c.requiredExpr(cc, ch, "test")
				if err != nil {
					return nil, err
				}
				body, err := c.compileBody(cc, ch)
				if err != nil {
					return nil, err
				}
				in.whens = append(in.whens, whenClause{test: x, body: body})
			case ch.isXSL("otherwise"):
				if i != len(n.children)-1 {
					return nil, errAt(ch, "xsl:otherwise must be the last child of xsl:choose")
				}
				body, err := c.compileBody(cc, ch)
				if err != nil {
					return nil, err
				}
				in.otherwise = body
			default:
				return nil, errAt(ch, "xsl:choose may contain only xsl:when and xsl:otherwise")
			}
		}
		if len(in.whens) == 0 {
			return nil, errAt(n, "xsl:choose must contain at least one xsl:when")
		}
		return in, nil
	case "message":
		if err := c.checkAttrs(n, attrsOf("terminate"), cc.fcp); err != nil {
			return nil, err
		}
		term, err := yesNo(n, "terminate", false)
		if err != nil {
			return nil, err
		}
		body, err := c.compileBody(cc, n)
		if err != nil {
			return nil, err
		}
		return &messageInstr{base: base{p}, body: body, terminate: term}, nil
	case "number":
		return c.compileNumber(cc, n)
	case "fallback":
		return nil, nil // only run in place of an unavailable instruction
	case "param":
		return nil, errAt(n, "xsl:param is allowed only at the top level and at the start of xsl:template")
	case "stylesheet", "transform", "import", "include", "strip-space", "preserve-space", "output", "key",
		"decimal-format", "attribute-set", "namespace-alias", "template",
		"sort", "with-param", "when", "otherwise":
		return nil, errAt(n, "xsl:%s is not allowed here", n.local)
	}
	if cc.fcp {
		return c.compileUnknown(cc, n, "XSLT instruction")
	}
	return nil, errAt(n, "unknown XSLT instruction xsl:%s", n.local)
}

// compileUnknown compiles an element that is not available: its
// xsl:fallback children run instead, or it is an error when instantiated.
func (c *compiler) compileUnknown(cc *cctx, n *sNode, what string) (instr, error) {
	if n.space == NamespaceMSXSL && n.local == "script" {
		return nil, errAt(n, "msxsl:script: scripts are not supported")
	}
	in := &unknownInstr{base: base{pos{n.qname(), n.line}}, what: what}
	for _, ch := range n.children {
		if ch.isXSL("fallback") {
			body, err := c.compileBody(cc, ch)
			if err != nil {
				return nil, err
			}
			in.fallback = append(in.fallback, body...)
			in.hasFallback = true
		}
	}
	return in, nil
}

func yesNo(n *sNode, attr string, def bool) (bool, error) {
	v, ok := n.attr(attr)
	if !ok {
		return def, nil
	}
	switch strings.TrimSpace(v) {
	case "yes":
		return true, nil
	case "no":
		return false, nil
	}
	return false, errAt(n, "%s must be yes or no, not %q", attr, v)
}

func (c *compiler) compileWithParam(cc *cctx, n *sNode, prev []*withParam) (*withParam, error) {
	if err := c.checkAttrs(n, attrsOf("name", "select"), cc.fcp); err != nil {
		return nil, err
	}
	q, name, err := c.requiredName(n)
	if err != nil {
		return nil, err
	}
	for _, p := range prev {
		if p.name == q {
			return nil, errAt(n, "parameter %s is passed twice", name)
		}
	}
	sel, body, err := c.compileValue(cc, n)
	if err != nil {
		return nil, err
	}
	return &withParam{name: q, sel: sel, body: body, site: pos{"xsl:with-param", n.line}}, nil
}

func (c *compiler) compileSort(cc *cctx, n *sNode) (*sortSpec, error) {
	if err := c.checkAttrs(n, attrsOf("select", "lang", "data-type", "order", "case-order"), cc.fcp); err != nil {
		return nil, err
	}
	s := &sortSpec{}
	sel, ok := n.attr("select")
	if !ok {
		sel = "."
	}
	x, err := c.expr(cc, n, "select", sel)
	if err != nil {
		return nil, err
	}
	s.sel = x
	if s.order, err = c.optAVT(cc, n, "order"); err != nil {
		return nil, err
	}
	if s.dataType, err = c.optAVT(cc, n, "data-type"); err != nil {
		return nil, err
	}
	if s.caseOrder, err = c.optAVT(cc, n, "case-order"); err != nil {
		return nil, err
	}
	if v, ok := s.order.constant(); ok && v != "" && v != "ascending" && v != "descending" {
		return nil, errAt(n, "order must be ascending or descending, not %q", v)
	}
	if v, ok := s.caseOrder.constant(); ok && v != "" && v != "upper-first" && v != "lower-first" {
		return nil, errAt(n, "case-order must be upper-first or lower-first, not %q", v)
	}
	if len(n.children) > 0 {
		return nil, errAt(n, "xsl:sort must be empty")
	}
	return s, nil
}

// compileLRE compiles a literal result element.
func (c *compiler) compileLRE(cc *cctx, n *sNode) (instr, error) {
	sub := *cc
	if v, ok := n.nsAttr(NamespaceXSLT, "version"); ok {
		sub.fcp = isForwardsCompatible(v)
	}
	if v, ok := n.nsAttr(NamespaceXSLT, "extension-element-prefixes"); ok {
		ext := map[string]bool{}
		for k := range cc.extNS {
			ext[k] = true
		}
		if err := prefixList(n, v, ext); err != nil {
			return nil, err
		}
		sub.extNS = ext
		ex := map[string]bool{}
		for k := range cc.excluded {
			ex[k] = true
		}
		for k := range ext {
			ex[k] = true
		}
		sub.excluded = ex
	}
	if v, ok := n.nsAttr(NamespaceXSLT, "exclude-result-prefixes"); ok {
		ex := map[string]bool{}
		for k := range sub.excluded {
			ex[k] = true
		}
		if err := prefixList(n, v, ex); err != nil {
			return nil, err
		}
		sub.excluded = ex
	}
	in := &lreInstr{base: base{pos{"<" + n.qname() + ">", n.line}}, ss: c.ss}
	in.space, in.prefix, in.local = n.space, n.prefix, n.local
	if a, ok := c.aliases[n.space]; ok {
		in.space, in.prefix = a.uri, a.prefix
	}
	for _, b := range n.inScope() {
		if sub.excluded[b.uri] {
			continue
		}
		if a, ok := c.aliases[b.uri]; ok {
			if a.uri == "" {
				continue
			}
			b = a
		}
		in.ns = append(in.ns, b)
	}
	for _, a := range n.attrs {
		if a.space == NamespaceXSLT {
			switch a.local {
			case "use-attribute-sets":
				sets, err := c.useSets(n, a.value)
				if err != nil {
					return nil, err
				}
				in.sets = sets
			case "version", "exclude-result-prefixes", "extension-element-prefixes":
			default:
				if !sub.fcp {
					return nil, errAt(n, "unknown attribute xsl:%s on a literal result element", a.local)
				}
			}
			continue
		}
		v, err := c.compileAVT(&sub, n, qn(a.prefix, a.local), a.value)
		if err != nil {
			return nil, err
		}
		la := lreAttr{space: a.space, prefix: a.prefix, local: a.local, val: v}
		if al, ok := c.aliases[a.space]; ok && a.space != "" {
			la.space, la.prefix = al.uri, al.prefix
		}
		in.attrs = append(in.attrs, la)
	}
	body, err := c.compileBody(&sub, n)
	if err != nil {
		return nil, err
	}
	in.body = body
	return in, nil
}

// splitQName splits a QName into prefix and local part.
func splitQName(s string) (prefix, local string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return "", s, isNCName(s)
	}
	prefix, local = s[:i], s[i+1:]
	return prefix, local, isNCName(prefix) && isNCName(local)
}

func isQName(s string) bool {
	_, _, ok := splitQName(s)
	return ok
}

func isNCName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == utf8.RuneError {
			return false
		}
		if i == 0 {
			if !(r == '_' || unicode.IsLetter(r)) {
				return false
			}
			continue
		}
		if !(r == '_' || r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r) ||
			unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || r == 0xB7 || unicode.Is(unicode.Nl, r)) {
			return false
		}
	}
	return true
}
