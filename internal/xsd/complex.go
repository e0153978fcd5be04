package xsd

// complexType reads a complex type definition into t; false after an error.
func (c *compiler) complexType(ctx *schemaCtx, n *Node, t *ComplexType) bool {
	t.src, t.schemaTNS, t.file = n, ctx.tns, ctx.doc.Name
	c.allComplex = append(c.allComplex, t)
	if v, _ := n.Attr("abstract"); v == "true" || v == "1" {
		t.abstract = true
	}
	mixed := false
	if v, _ := n.Attr("mixed"); v == "true" || v == "1" {
		mixed = true
	}
	ks := children(n)
	if len(ks) > 0 && (ks[0].Local == "simpleContent" || ks[0].Local == "complexContent") {
		if len(ks) > 1 {
			c.err(ctx, ks[1], "xs:%s must be the only content of a complex type", ks[0].Local)
			return false
		}
		cc := ks[0]
		if v, ok := cc.Attr("mixed"); ok {
			mixed = v == "true" || v == "1"
		}
		ds := children(cc)
		if len(ds) != 1 || (ds[0].Local != "extension" && ds[0].Local != "restriction") {
			c.err(ctx, cc, "xs:%s holds one xs:extension or xs:restriction", cc.Local)
			return false
		}
		d := ds[0]
		r, ok := c.qnameAttr(ctx, d, "base")
		if !ok {
			c.err(ctx, d, "xs:%s needs a base", d.Local)
			return false
		}
		t.baseRef = r
		base := c.lookupType(r)
		if base == nil {
			return false
		}
		t.base = base
		t.extension = d.Local == "extension"
		if cc.Local == "simpleContent" {
			return c.simpleContent(ctx, d, t, base)
		}
		return c.complexContent(ctx, d, t, base, mixed)
	}
	// Shorthand: a restriction of anyType with this content.
	t.base = anyTypeDef
	return c.ownContent(ctx, n, ks, t, mixed, nil, nil, nil)
}

// ownContent reads a model group (optional) then attributes, on top of a
// base content particle and attributes (nil for none).
func (c *compiler) ownContent(ctx *schemaCtx, at *Node, ks []*Node, t *ComplexType, mixed bool, baseP *particle, baseAttrs []*attrUse, baseWild *wildcard) bool {
	var p *particle
	i := 0
	if i < len(ks) {
		switch ks[i].Local {
		case "sequence", "choice", "all", "group":
			p = c.particle(ctx, ks[i])
			if p == nil {
				return false
			}
			i++
		}
	}
	for _, k := range ks[i:] {
		switch k.Local {
		case "attribute", "attributeGroup", "anyAttribute":
		default:
			c.err(ctx, k, "xs:%s is not allowed here (a complex type's model group comes first, then its attributes)", k.Local)
			return false
		}
	}
	t.attrs, t.attrWild = c.attributes(ctx, ks[i:], baseAttrs, baseWild)
	if emptiable(p) && p != nil && countTerms(p) == 0 {
		p = nil
	}
	switch {
	case baseP != nil && p != nil:
		if baseP.group == allGroupKind || p.group == allGroupKind {
			c.err(ctx, at, "an extension cannot add to an xs:all content model (or extend one)")
			return false
		}
		p = &particle{min: 1, max: 1, group: seqGroup, children: []*particle{baseP, p}}
	case baseP != nil:
		p = baseP
	}
	t.particle = p
	switch {
	case mixed:
		t.kind = contentMixed
	case p == nil:
		t.kind = contentEmpty
	default:
		t.kind = contentElement
	}
	return true
}

func (c *compiler) complexContent(ctx *schemaCtx, d *Node, t *ComplexType, base Type, mixed bool) bool {
	bc, ok := base.(*ComplexType)
	if !ok {
		c.err(ctx, d, "complexContent cannot derive from the simple type %q", base.typeName().Local)
		return false
	}
	if t.extension {
		if bc.kind == contentSimple {
			c.err(ctx, d, "complexContent cannot extend %q, whose content is simple", bc.Name.Local)
			return false
		}
		baseP := bc.particle
		if bc == anyTypeDef {
			baseP = nil
			mixed = true
		}
		if !c.ownContent(ctx, d, children(d), t, mixed || (bc.kind == contentMixed && bc != anyTypeDef), baseP, bc.attrs, bc.attrWild) {
			return false
		}
		if bc.kind == contentMixed && t.kind == contentElement {
			t.kind = contentMixed
		}
		return true
	}
	return c.ownContent(ctx, d, children(d), t, mixed, nil, restrictBase(bc.attrs), nil)
}

// restrictBase are the attribute uses a restriction starts from: its base's.
func restrictBase(uses []*attrUse) []*attrUse { return uses }

func (c *compiler) simpleContent(ctx *schemaCtx, d *Node, t *ComplexType, base Type) bool {
	t.kind = contentSimple
	var baseSimple *SimpleType
	var baseAttrs []*attrUse
	var baseWild *wildcard
	switch b := base.(type) {
	case *SimpleType:
		if !t.extension {
			c.err(ctx, d, "simpleContent restricts a complex type with simple content, not the simple type %q (use xs:extension)", b.Name.Local)
			return false
		}
		baseSimple = b
	case *ComplexType:
		switch {
		case b.kind == contentSimple:
			baseSimple = b.simple
		case b.kind == contentMixed && !t.extension:
			baseSimple = builtins["string"]
		case b == anyTypeDef:
			baseSimple = builtins["anySimpleType"]
		default:
			c.err(ctx, d, "simpleContent cannot derive from %q, whose content is not simple", b.Name.Local)
			return false
		}
		baseAttrs, baseWild = b.attrs, b.attrWild
	}
	if baseSimple == nil {
		c.err(ctx, d, "the base type's content is not resolved (a circular derivation?)")
		return false
	}
	ks := children(d)
	if t.extension {
		t.simple = baseSimple
		for _, k := range ks {
			if k.Local != "attribute" && k.Local != "attributeGroup" && k.Local != "anyAttribute" {
				c.err(ctx, k, "xs:%s is not allowed in a simpleContent extension", k.Local)
				return false
			}
		}
		t.attrs, t.attrWild = c.attributes(ctx, ks, baseAttrs, baseWild)
		return true
	}
	// Restriction: an optional simpleType, facets, then attributes.
	i := 0
	sbase := baseSimple
	if i < len(ks) && ks[i].Local == "simpleType" {
		st := c.simpleType(ctx, ks[i], QName{})
		if st == nil {
			return false
		}
		sbase = st
		i++
	}
	j := i
	for j < len(ks) && isFacet(ks[j].Local) {
		j++
	}
	st := &SimpleType{schemaTNS: ctx.tns, file: ctx.doc.Name, src: d}
	if !c.restrictSimple(ctx, st, sbase, ks[i:j]) {
		return false
	}
	t.simple = st
	for _, k := range ks[j:] {
		if k.Local != "attribute" && k.Local != "attributeGroup" && k.Local != "anyAttribute" {
			c.err(ctx, k, "xs:%s is not allowed in a simpleContent restriction", k.Local)
			return false
		}
	}
	t.attrs, t.attrWild = c.attributes(ctx, ks[j:], baseAttrs, nil)
	return true
}

// emptiable reports whether p can match nothing.
func emptiable(p *particle) bool {
	if p == nil || p.min == 0 {
		return true
	}
	switch p.group {
	case seqGroup, allGroupKind:
		for _, k := range p.children {
			if !emptiable(k) {
				return false
			}
		}
		return true
	case choiceGroup:
		for _, k := range p.children {
			if emptiable(k) {
				return true
			}
		}
		return len(p.children) == 0
	}
	return false
}

// countTerms counts the element and wildcard terms of p.
func countTerms(p *particle) int {
	if p == nil || p.max == 0 {
		return 0
	}
	if p.elem != nil || p.wild != nil {
		return 1
	}
	n := 0
	for _, k := range p.children {
		n += countTerms(k)
	}
	return n
}

// buildModel compiles a complex type's particle.
func (c *compiler) buildModel(t *ComplexType) {
	if t.particle == nil || t.model != nil || t.all != nil {
		return
	}
	if t.particle.group == allGroupKind {
		g := &allGroup{optional: t.particle.min == 0}
		for _, k := range t.particle.children {
			if k.max == 0 {
				continue
			}
			g.elems = append(g.elems, k.elem)
			g.required = append(g.required, k.min > 0)
		}
		t.all = g
		return
	}
	limit := c.lim.MaxModelStates
	if left := c.lim.MaxTotalStates - c.states; left < limit {
		limit = left
	}
	a, err := buildAutomaton(t.particle, limit)
	if err != nil {
		c.errAt(&Doc{Name: t.file}, t.src, "%s", err.Error())
		return
	}
	c.states += len(a.states)
	t.model = a
}
