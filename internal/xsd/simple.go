package xsd

import (
	"strconv"
	"strings"
)

// simpleType reads a simple type definition (name: its QName, or empty).
func (c *compiler) simpleType(ctx *schemaCtx, n *Node, name QName) *SimpleType {
	t := &SimpleType{Name: name, schemaTNS: ctx.tns, file: ctx.doc.Name, src: n}
	ks := children(n)
	if len(ks) != 1 {
		c.err(ctx, n, "a simple type holds one xs:restriction, xs:list or xs:union")
		return nil
	}
	d := ks[0]
	switch d.Local {
	case "restriction":
		var base *SimpleType
		dk := children(d)
		i := 0
		if r, ok := c.qnameAttr(ctx, d, "base"); ok {
			bt := c.lookupType(r)
			if bt == nil {
				return nil
			}
			b, isSimple := bt.(*SimpleType)
			if !isSimple {
				c.err(ctx, d, "a simple type restricts a simple type, and %q is complex", r.name.Local)
				return nil
			}
			base = b
		} else if len(dk) > 0 && dk[0].Local == "simpleType" {
			base = c.simpleType(ctx, dk[0], QName{})
			if base == nil {
				return nil
			}
			i = 1
		} else {
			c.err(ctx, d, "xs:restriction needs a base or a simple type")
			return nil
		}
		if base.final {
			c.err(ctx, d, "%q cannot be restricted", base.Name.Local)
		}
		for _, k := range dk[i:] {
			if !isFacet(k.Local) {
				c.err(ctx, k, "xs:%s is not a facet", k.Local)
				return nil
			}
		}
		if !c.restrictSimple(ctx, t, base, dk[i:]) {
			return nil
		}
	case "list":
		t.variety = list
		t.base = builtins["anySimpleType"]
		t.facets = facets{ws: wsCollapse, wsSet: true}
		var item *SimpleType
		if r, ok := c.qnameAttr(ctx, d, "itemType"); ok {
			it := c.lookupType(r)
			if it == nil {
				return nil
			}
			s, isSimple := it.(*SimpleType)
			if !isSimple {
				c.err(ctx, d, "a list's item type must be simple")
				return nil
			}
			item = s
		}
		for _, k := range children(d) {
			if k.Local != "simpleType" || item != nil {
				c.err(ctx, k, "a list has one item type (itemType or an xs:simpleType)")
				return nil
			}
			item = c.simpleType(ctx, k, QName{})
			if item == nil {
				return nil
			}
		}
		if item == nil {
			c.err(ctx, d, "a list needs an item type")
			return nil
		}
		if item.variety == list {
			c.err(ctx, d, "a list's items cannot be lists")
			return nil
		}
		t.item = item
	case "union":
		t.variety = union
		t.base = builtins["anySimpleType"]
		if v, ok := d.Attr("memberTypes"); ok {
			for _, m := range strings.Fields(v) {
				q, ok := c.resolveQName(ctx, d, m)
				if !ok {
					return nil
				}
				mt := c.lookupType(&qref{name: q, file: ctx.doc.Name, line: d.Line, col: d.Col})
				if mt == nil {
					return nil
				}
				s, isSimple := mt.(*SimpleType)
				if !isSimple {
					c.err(ctx, d, "a union's member %q is not a simple type", m)
					return nil
				}
				t.members = append(t.members, s)
			}
		}
		for _, k := range children(d) {
			if k.Local != "simpleType" {
				c.err(ctx, k, "xs:%s is not allowed in xs:union", k.Local)
				return nil
			}
			s := c.simpleType(ctx, k, QName{})
			if s == nil {
				return nil
			}
			t.members = append(t.members, s)
		}
		if len(t.members) == 0 {
			c.err(ctx, d, "a union needs member types")
			return nil
		}
	default:
		c.err(ctx, d, "xs:%s is not allowed in xs:simpleType", d.Local)
		return nil
	}
	if v, _ := n.Attr("final"); v == "#all" || strings.Contains(v, "restriction") {
		t.final = true
	}
	t.resolved = true
	c.allSimple = append(c.allSimple, t)
	return t
}

func isFacet(s string) bool {
	switch s {
	case "length", "minLength", "maxLength", "pattern", "enumeration", "whiteSpace", "maxInclusive",
		"maxExclusive", "minInclusive", "minExclusive", "totalDigits", "fractionDigits":
		return true
	}
	return false
}

// restrictSimple makes t a restriction of base with the facets fs.
func (c *compiler) restrictSimple(ctx *schemaCtx, t, base *SimpleType, fs []*Node) bool {
	t.base, t.variety, t.prim, t.lexical, t.item, t.members = base, base.variety, base.prim, base.lexical, base.item, base.members
	t.builtin = base.builtin
	t.facets = base.facets
	t.facets.patterns = append([]*pattern(nil), base.facets.patterns...)
	var enums []value
	var pats []string
	var patNode *Node
	ok := true
	for _, f := range fs {
		v, has := f.Attr("value")
		if !has {
			c.err(ctx, f, "xs:%s needs a value", f.Local)
			ok = false
			continue
		}
		switch f.Local {
		case "enumeration":
			ev, msg := c.set.checkSimpleNoEnum(base, v, f)
			if msg != "" {
				c.err(ctx, f, "the enumeration value %q is not valid for the base type: %s", v, msg)
				ok = false
				continue
			}
			enums = append(enums, ev)
		case "pattern":
			pats = append(pats, v)
			patNode = f
		case "whiteSpace":
			w := map[string]int{"preserve": wsPreserve, "replace": wsReplace, "collapse": wsCollapse}
			ws, good := w[v]
			if !good {
				c.err(ctx, f, "whiteSpace is preserve, replace or collapse, not %q", v)
				ok = false
				continue
			}
			if base.facets.wsSet && ws < base.facets.ws {
				c.err(ctx, f, "whiteSpace %q is weaker than its base type's", v)
				ok = false
				continue
			}
			t.facets.ws, t.facets.wsSet = ws, true
		case "length", "minLength", "maxLength", "totalDigits", "fractionDigits":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 || (f.Local == "totalDigits" && n == 0) {
				c.err(ctx, f, "%s must be a non-negative integer, not %q", f.Local, v)
				ok = false
				continue
			}
			if f.Local == "totalDigits" || f.Local == "fractionDigits" {
				if t.variety != atomic || (t.prim != pDecimal) {
					c.err(ctx, f, "%s applies to decimal types only", f.Local)
					ok = false
					continue
				}
			}
			p := &n
			switch f.Local {
			case "length":
				t.facets.length = p
			case "minLength":
				t.facets.minLength = p
			case "maxLength":
				t.facets.maxLength = p
			case "totalDigits":
				t.facets.totalDigits = p
			case "fractionDigits":
				t.facets.fractionDigits = p
			}
		default: // bounds
			if !ordered(t) {
				c.err(ctx, f, "%s does not apply to a type that is not ordered", f.Local)
				ok = false
				continue
			}
			bv, msg := c.set.checkSimpleNoEnum(base, v, f)
			if msg != "" {
				c.err(ctx, f, "the %s value %q is not valid for the base type: %s", f.Local, v, msg)
				ok = false
				continue
			}
			switch f.Local {
			case "maxInclusive":
				t.facets.maxInc = &bv
			case "maxExclusive":
				t.facets.maxExc = &bv
			case "minInclusive":
				t.facets.minInc = &bv
			case "minExclusive":
				t.facets.minExc = &bv
			}
		}
	}
	if len(pats) > 0 {
		re, err := compileXSDRegex(pats...)
		if err != nil {
			c.err(ctx, patNode, "pattern %q: %s", strings.Join(pats, "|"), err.Error())
			ok = false
		} else {
			t.facets.patterns = append(t.facets.patterns, &pattern{re: re, src: strings.Join(pats, "|")})
		}
	}
	if enums != nil {
		t.facets.enum, t.facets.enumSet = enums, true
	}
	if l := t.facets.length; l != nil && (t.facets.minLength != nil || t.facets.maxLength != nil) {
		if (t.facets.minLength != nil && *t.facets.minLength > *l) || (t.facets.maxLength != nil && *t.facets.maxLength < *l) {
			c.err(ctx, t.src, "length contradicts minLength or maxLength")
			ok = false
		}
	}
	if t.facets.minLength != nil && t.facets.maxLength != nil && *t.facets.minLength > *t.facets.maxLength {
		c.err(ctx, t.src, "minLength is greater than maxLength")
		ok = false
	}
	if t.facets.totalDigits != nil && t.facets.fractionDigits != nil && *t.facets.fractionDigits > *t.facets.totalDigits {
		c.err(ctx, t.src, "fractionDigits is greater than totalDigits")
		ok = false
	}
	return ok
}

func ordered(t *SimpleType) bool {
	if t.variety != atomic {
		return false
	}
	switch t.prim {
	case pDecimal, pFloat, pDouble, pDuration, pDateTime, pTime, pDate, pGYearMonth, pGYear, pGMonthDay, pGDay, pGMonth:
		return true
	}
	return false
}
