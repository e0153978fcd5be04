package xsd

import (
	"sort"
	"strings"
)

// resolveAll builds every global component, then what refers to them
// (element types, substitution groups), then the content automata.
func (c *compiler) resolveAll() {
	// In document order, so errors come out in a stable order.
	for _, q := range inOrder(c.typeNodes) {
		c.namedType(q, nil)
	}
	for _, q := range inOrder(c.elemNodes) {
		if e := c.globalElement(q, nil); e != nil {
			c.set.elements[q] = e
		}
	}
	for _, q := range inOrder(c.attrNodes) {
		if a := c.globalAttribute(q, nil); a != nil {
			c.set.attributes[q] = a
		}
	}
	for _, q := range inOrder(c.groupNodes) {
		c.namedGroup(q, nil)
	}
	for _, q := range inOrder(c.agroupNodes) {
		c.namedAttrGroup(q, nil)
	}
	if len(c.errs) > 0 {
		return
	}
	// Element types (they may refer to types defined later, or to the
	// element's own type recursively), then defaults and fixed values.
	for i := 0; i < len(c.allElems); i++ {
		e := c.allElems[i]
		c.elementType(e)
	}
	for _, e := range c.allElems {
		if e.substHead != nil {
			h := c.globalElement(e.substHead.name, e.substHead)
			if h == nil {
				continue
			}
			e.head = h
			if !derivesFrom(e.typ, h.typ) {
				c.errAt(&Doc{Name: e.file}, e.src, "element %q's type does not derive from the type of its substitution group head %q", e.Name.Local, h.Name.Local)
			}
		}
	}
	for _, e := range c.allElems {
		seen := map[*ElementDecl]bool{e: true}
		for h := e.head; h != nil; h = h.head {
			if seen[h] {
				c.errAt(&Doc{Name: e.file}, e.src, "substitution group of %q is circular", e.Name.Local)
				break
			}
			seen[h] = true
			h.members = append(h.members, e)
		}
	}
	for _, e := range c.allElems {
		c.elementValue(e)
	}
	c.resolveIdentities()
	if len(c.errs) > 0 {
		return
	}
	for _, t := range c.allComplex {
		c.buildModel(t)
	}
}

// inOrder are the names of m's definitions in document order.
func inOrder(m map[QName]*defn) []QName {
	out := make([]QName, 0, len(m))
	for q := range m {
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := m[out[i]], m[out[j]]
		if a.ctx.doc.Name != b.ctx.doc.Name {
			return a.ctx.doc.Name < b.ctx.doc.Name
		}
		if a.n.Line != b.n.Line {
			return a.n.Line < b.n.Line
		}
		return a.n.Col < b.n.Col
	})
	return out
}

// lookupType is a type by name: a builtin, or a schema's.
func (c *compiler) lookupType(r *qref) Type {
	if r.name.Space == XSNamespace {
		if r.name.Local == "anyType" {
			return anyTypeDef
		}
		if b, ok := builtins[r.name.Local]; ok {
			return b
		}
	}
	if t := c.namedType(r.name, r); t != nil {
		return t
	}
	return nil
}

func (c *compiler) refErr(r *qref, format string, args ...any) {
	if r == nil {
		return
	}
	c.errAt(&Doc{Name: r.file}, &Node{Line: r.line, Col: r.col}, format, args...)
}

// namedType builds (once) the global type q.
func (c *compiler) namedType(q QName, from *qref) Type {
	d := c.typeNodes[q]
	if d != nil && c.inProgress[d] {
		c.err(d.ctx, d.n, "type %q derives from itself", q.Local)
		return nil
	}
	if t, ok := c.set.types[q]; ok {
		return t
	}
	if d == nil {
		c.refErr(from, "type %q is not defined%s", q.Local, nsNote(q))
		return nil
	}
	c.inProgress[d] = true
	defer delete(c.inProgress, d)
	var t Type
	if d.n.Local == "simpleType" {
		st := c.simpleType(d.ctx, d.n, q)
		if st == nil {
			return nil
		}
		t = st
	} else {
		ct := &ComplexType{Name: q}
		if !c.complexType(d.ctx, d.n, ct) {
			return nil
		}
		t = ct
	}
	c.set.types[q] = t
	return t
}

func nsNote(q QName) string {
	if q.Space == "" {
		return " (in no namespace)"
	}
	return " in namespace " + q.Space
}

// globalElement builds (once) the global element q.
func (c *compiler) globalElement(q QName, from *qref) *ElementDecl {
	if e, ok := c.set.elements[q]; ok {
		return e
	}
	d := c.elemNodes[q]
	if d == nil {
		c.refErr(from, "element %q is not declared%s", q.Local, nsNote(q))
		return nil
	}
	e := &ElementDecl{Name: q, global: true}
	c.set.elements[q] = e
	c.element(d.ctx, d.n, e)
	return e
}

func (c *compiler) globalAttribute(q QName, from *qref) *AttributeDecl {
	if a, ok := c.set.attributes[q]; ok {
		return a
	}
	if q.Space == "http://www.w3.org/XML/1998/namespace" {
		a := &AttributeDecl{Name: q, typ: builtins["string"]}
		c.set.attributes[q] = a
		return a
	}
	d := c.attrNodes[q]
	if d == nil {
		c.refErr(from, "attribute %q is not declared%s", q.Local, nsNote(q))
		return nil
	}
	a := &AttributeDecl{Name: q}
	c.set.attributes[q] = a
	c.attribute(d.ctx, d.n, a)
	return a
}

// element reads an element declaration's properties (its type is resolved
// later, by elementType).
func (c *compiler) element(ctx *schemaCtx, n *Node, e *ElementDecl) {
	e.src, e.file, e.schemaTNS = n, ctx.doc.Name, ctx.tns
	e.line, e.col = n.Line, n.Col
	c.allElems = append(c.allElems, e)
	if v, _ := n.Attr("nillable"); v == "true" || v == "1" {
		e.nillable = true
	}
	if v, _ := n.Attr("abstract"); v == "true" || v == "1" {
		e.abstract = true
	}
	block, hasBlock := n.Attr("block")
	if !hasBlock {
		e.blockSubst = ctx.blockSubst
	} else if strings.Contains(block, "substitution") || block == "#all" {
		e.blockSubst = true
	}
	if v, has, fixed := c.valueConstraint(ctx, n, "an element"); has {
		e.hasDefault, e.def, e.fixed = true, v, fixed
	}
	if r, ok := c.qnameAttr(ctx, n, "type"); ok {
		e.typeRef = r
	}
	if r, ok := c.qnameAttr(ctx, n, "substitutionGroup"); ok {
		e.substHead = r
	}
	for _, k := range children(n) {
		switch k.Local {
		case "complexType":
			if e.typeRef != nil {
				c.err(ctx, k, "an element has a type attribute or an anonymous type, not both")
			}
			ct := &ComplexType{schemaTNS: ctx.tns}
			if c.complexType(ctx, k, ct) {
				e.typ = ct
			}
		case "simpleType":
			if e.typeRef != nil {
				c.err(ctx, k, "an element has a type attribute or an anonymous type, not both")
			}
			if st := c.simpleType(ctx, k, QName{}); st != nil {
				e.typ = st
			}
		case "unique", "key", "keyref":
			id := c.identity(ctx, k)
			if id != nil {
				e.identity = append(e.identity, id)
			}
		default:
			c.err(ctx, k, "xs:%s is not allowed in xs:element", k.Local)
		}
	}
}

// elementType resolves an element's type reference (or its default: its
// substitution group head's type, else anyType).
func (c *compiler) elementType(e *ElementDecl) {
	if e.typ != nil || e.resolved {
		return
	}
	e.resolved = true
	switch {
	case e.typeRef != nil:
		e.typ = c.lookupType(e.typeRef)
	case e.substHead != nil:
		if h := c.globalElement(e.substHead.name, e.substHead); h != nil {
			if !h.resolved || h.typ == nil {
				if e.resolving {
					break
				}
				e.resolving = true
				c.elementType(h)
			}
			e.typ = h.typ
		}
	}
	if e.typ == nil {
		e.typ = anyTypeDef
	}
}

// elementValue checks an element's default or fixed value against its type.
func (c *compiler) elementValue(e *ElementDecl) {
	if !e.hasDefault {
		return
	}
	var st *SimpleType
	switch t := e.typ.(type) {
	case *SimpleType:
		st = t
	case *ComplexType:
		switch t.kind {
		case contentSimple:
			st = t.simple
		case contentMixed:
			if e.fixed {
				e.fixedVal = value{p: pString, s: e.def}
			}
			return
		default:
			c.errAt(&Doc{Name: e.file}, e.src, "element %q has a default or fixed value, but its type's content is not simple or mixed", e.Name.Local)
			return
		}
	}
	v, msg := c.set.checkSimple(st, e.def, e.src)
	if msg != "" {
		c.errAt(&Doc{Name: e.file}, e.src, "the value %q of element %q is not valid for its type: %s", e.def, e.Name.Local, msg)
		return
	}
	e.fixedVal = v
}

// valueConstraint reads a declaration's default or fixed value (what names
// the declaration, for the message): the value, whether there is one, and
// whether it is fixed. Both is an error; fixed then wins.
func (c *compiler) valueConstraint(ctx *schemaCtx, n *Node, what string) (v string, has, fixed bool) {
	d, hasD := n.Attr("default")
	f, hasF := n.Attr("fixed")
	if hasD && hasF {
		c.err(ctx, n, "%s cannot have both default and fixed", what)
	}
	if hasF {
		return f, true, true
	}
	return d, hasD, false
}

// attribute reads an attribute declaration.
func (c *compiler) attribute(ctx *schemaCtx, n *Node, a *AttributeDecl) {
	a.src = n
	if v, has, fixed := c.valueConstraint(ctx, n, "an attribute"); has {
		a.hasDef, a.def, a.fixed = true, v, fixed
	}
	if r, ok := c.qnameAttr(ctx, n, "type"); ok {
		t := c.lookupType(r)
		if t != nil {
			st, isSimple := t.(*SimpleType)
			if !isSimple {
				if t != Type(anyTypeDef) {
					c.err(ctx, n, "an attribute's type must be a simple type, and %q is complex", r.name.Local)
					return
				}
				st = builtins["anySimpleType"]
			}
			a.typ = st
		}
	}
	for _, k := range children(n) {
		if k.Local != "simpleType" {
			c.err(ctx, k, "xs:%s is not allowed in xs:attribute", k.Local)
			continue
		}
		if a.typ != nil {
			c.err(ctx, k, "an attribute has a type attribute or an anonymous type, not both")
		}
		a.typ = c.simpleType(ctx, k, QName{})
	}
	if a.typ == nil {
		a.typ = builtins["anySimpleType"]
	}
	if a.hasDef {
		v, msg := c.set.checkSimple(a.typ, a.def, n)
		if msg != "" {
			c.err(ctx, n, "the value %q of attribute %q is not valid for its type: %s", a.def, a.Name.Local, msg)
		}
		a.fixedVal = v
	}
}

// enterGroup finds the definition of the global group or attribute group
// q (kind names which, for the messages) and marks it as being built, so
// that a group that holds itself is caught rather than followed for ever:
// nil, reported, where q is not defined or contains itself. The caller
// ends the mark (delete(c.inProgress, d)) once the group is built.
func (c *compiler) enterGroup(kind string, defs map[QName]*defn, q QName, from *qref) *defn {
	d := defs[q]
	if d == nil {
		c.refErr(from, "%s %q is not defined%s", kind, q.Local, nsNote(q))
		return nil
	}
	if c.inProgress[d] {
		c.err(d.ctx, d.n, "%s %q contains itself", kind, q.Local)
		return nil
	}
	c.inProgress[d] = true
	return d
}

// namedGroup is a global model group (xs:group name=…): its particle.
func (c *compiler) namedGroup(q QName, from *qref) *particle {
	if p, ok := c.groups[q]; ok {
		return p
	}
	d := c.enterGroup("group", c.groupNodes, q, from)
	if d == nil {
		return nil
	}
	defer delete(c.inProgress, d)
	ks := children(d.n)
	if len(ks) != 1 || (ks[0].Local != "sequence" && ks[0].Local != "choice" && ks[0].Local != "all") {
		c.err(d.ctx, d.n, "a group holds one xs:sequence, xs:choice or xs:all")
		return nil
	}
	p := c.modelGroup(d.ctx, ks[0])
	if p != nil {
		c.groups[q] = p
	}
	return p
}

func (c *compiler) namedAttrGroup(q QName, from *qref) *attrGroup {
	if g, ok := c.agroups[q]; ok {
		return g
	}
	d := c.enterGroup("attribute group", c.agroupNodes, q, from)
	if d == nil {
		return nil
	}
	defer delete(c.inProgress, d)
	g := &attrGroup{}
	g.uses, g.wild = c.attributes(d.ctx, children(d.n), nil, nil)
	c.agroups[q] = g
	return g
}

// particle reads one particle: xs:element, xs:any, xs:group ref, or a
// model group.
func (c *compiler) particle(ctx *schemaCtx, n *Node) *particle {
	min, max, ok := c.occurs(ctx, n)
	if !ok {
		return nil
	}
	switch n.Local {
	case "element":
		p := &particle{min: min, max: max}
		if r, ok := c.qnameAttr(ctx, n, "ref"); ok {
			p.elem = c.globalElement(r.name, r)
			if p.elem == nil {
				return nil
			}
			return p
		}
		name, ok := n.Attr("name")
		if !ok || !isNCName(name) {
			c.err(ctx, n, "a local xs:element needs a name (an NCName) or a ref")
			return nil
		}
		q := QName{Local: name}
		form, hasForm := n.Attr("form")
		if (hasForm && form == "qualified") || (!hasForm && ctx.qualElem) {
			q.Space = ctx.tns
		}
		e := &ElementDecl{Name: q}
		c.element(ctx, n, e)
		p.elem = e
		return p
	case "any":
		w := c.wildcard(ctx, n)
		if w == nil {
			return nil
		}
		return &particle{min: min, max: max, wild: w}
	case "group":
		r, ok := c.qnameAttr(ctx, n, "ref")
		if !ok {
			c.err(ctx, n, "a local xs:group needs a ref")
			return nil
		}
		g := c.namedGroup(r.name, r)
		if g == nil {
			return nil
		}
		cp := *g
		cp.min, cp.max = min, max
		if cp.group == allGroupKind && (max != 1 || min > 1) {
			c.err(ctx, n, "a group holding xs:all can only occur once")
			return nil
		}
		return &cp
	case "sequence", "choice", "all":
		p := c.modelGroup(ctx, n)
		if p == nil {
			return nil
		}
		p.min, p.max = min, max
		return p
	}
	c.err(ctx, n, "xs:%s is not allowed here", n.Local)
	return nil
}

func (c *compiler) modelGroup(ctx *schemaCtx, n *Node) *particle {
	p := &particle{min: 1, max: 1}
	switch n.Local {
	case "sequence":
		p.group = seqGroup
	case "choice":
		p.group = choiceGroup
	case "all":
		p.group = allGroupKind
	}
	ok := true
	for _, k := range children(n) {
		if p.group == allGroupKind && k.Local != "element" {
			c.err(ctx, k, "xs:all holds only xs:element")
			ok = false
			continue
		}
		if k.Local == "all" {
			c.err(ctx, k, "xs:all cannot be nested in xs:%s", n.Local)
			ok = false
			continue
		}
		kp := c.particle(ctx, k)
		if kp == nil {
			ok = false
			continue
		}
		if kp.group == allGroupKind {
			c.err(ctx, k, "xs:all (through a group) cannot be nested in xs:%s", n.Local)
			ok = false
			continue
		}
		if p.group == allGroupKind && kp.max > 1 {
			c.err(ctx, k, "an element in xs:all occurs at most once")
			ok = false
			continue
		}
		p.children = append(p.children, kp)
	}
	if !ok {
		return nil
	}
	return p
}

func (c *compiler) wildcard(ctx *schemaCtx, n *Node) *wildcard {
	w := &wildcard{}
	switch pc, _ := n.Attr("processContents"); pc {
	case "", "strict":
		w.process = procStrict
	case "lax":
		w.process = procLax
	case "skip":
		w.process = procSkip
	default:
		c.err(ctx, n, "processContents is strict, lax or skip, not %q", pc)
		return nil
	}
	ns, has := n.Attr("namespace")
	ns = strings.TrimSpace(ns)
	switch {
	case !has || ns == "##any":
		w.any = true
	case ns == "##other":
		w.not = []string{ctx.tns, ""}
	default:
		w.ns = []string{}
		for _, x := range strings.Fields(ns) {
			switch x {
			case "##targetNamespace":
				w.ns = append(w.ns, ctx.tns)
			case "##local":
				w.ns = append(w.ns, "")
			default:
				if strings.HasPrefix(x, "##") {
					c.err(ctx, n, "namespace %q is not allowed in a list", x)
					return nil
				}
				w.ns = append(w.ns, x)
			}
		}
	}
	return w
}

// attributes reads attribute uses, attribute group references and an
// attribute wildcard, over the inherited uses (replaced by name).
func (c *compiler) attributes(ctx *schemaCtx, ns []*Node, inherited []*attrUse, wild *wildcard) ([]*attrUse, *wildcard) {
	uses := append([]*attrUse(nil), inherited...)
	put := func(u *attrUse, prohibited bool, at *Node) {
		for i, x := range uses {
			if x.decl.Name == u.decl.Name {
				if prohibited {
					uses = append(uses[:i], uses[i+1:]...)
				} else {
					uses[i] = u
				}
				return
			}
		}
		if !prohibited {
			uses = append(uses, u)
		}
	}
	var own *wildcard
	for _, n := range ns {
		switch n.Local {
		case "attribute":
			use, _ := n.Attr("use")
			if use != "" && use != "optional" && use != "required" && use != "prohibited" {
				c.err(ctx, n, "use is optional, required or prohibited, not %q", use)
				continue
			}
			u := &attrUse{required: use == "required"}
			if r, ok := c.qnameAttr(ctx, n, "ref"); ok {
				u.decl = c.globalAttribute(r.name, r)
				if u.decl == nil {
					continue
				}
				if d, ok := n.Attr("default"); ok {
					u.hasDef, u.def = true, d
				}
				if f, ok := n.Attr("fixed"); ok {
					u.hasDef, u.def, u.fixed = true, f, true
					v, msg := c.set.checkSimple(u.decl.typ, f, n)
					if msg != "" {
						c.err(ctx, n, "the fixed value %q is not valid for the attribute's type: %s", f, msg)
					}
					u.fixedVal = v
				} else if u.decl.fixed {
					u.fixed, u.def, u.fixedVal = true, u.decl.def, u.decl.fixedVal
				}
			} else {
				name, ok := n.Attr("name")
				if !ok || !isNCName(name) {
					c.err(ctx, n, "a local xs:attribute needs a name (an NCName) or a ref")
					continue
				}
				if name == "xmlns" {
					c.err(ctx, n, "an attribute cannot be called xmlns")
					continue
				}
				q := QName{Local: name}
				form, hasForm := n.Attr("form")
				if (hasForm && form == "qualified") || (!hasForm && ctx.qualAttr) {
					q.Space = ctx.tns
				}
				a := &AttributeDecl{Name: q}
				c.attribute(ctx, n, a)
				u.decl = a
				u.fixed, u.hasDef, u.def, u.fixedVal = a.fixed, a.hasDef, a.def, a.fixedVal
			}
			if u.required && u.hasDef && !u.fixed {
				c.err(ctx, n, "a required attribute cannot have a default")
			}
			put(u, use == "prohibited", n)
		case "attributeGroup":
			r, ok := c.qnameAttr(ctx, n, "ref")
			if !ok {
				c.err(ctx, n, "a local xs:attributeGroup needs a ref")
				continue
			}
			g := c.namedAttrGroup(r.name, r)
			if g == nil {
				continue
			}
			for _, u := range g.uses {
				put(u, false, n)
			}
			if g.wild != nil && own == nil {
				own = g.wild
			}
		case "anyAttribute":
			if w := c.wildcard(ctx, n); w != nil {
				own = w
			}
		default:
			c.err(ctx, n, "xs:%s is not allowed here", n.Local)
		}
	}
	if own == nil {
		return uses, wild
	}
	return uses, unionWildcard(wild, own)
}

// unionWildcard is an extension's attribute wildcard: the base's and its
// own (an approximation: a list union, else the wider of the two).
func unionWildcard(a, b *wildcard) *wildcard {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.any || b.any:
		w := *b
		w.any, w.not, w.ns = true, nil, nil
		return &w
	case a.ns != nil && b.ns != nil:
		w := *b
		w.ns = append(append([]string{}, a.ns...), b.ns...)
		return &w
	case a.not != nil:
		return a
	}
	return b
}
