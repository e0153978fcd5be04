package xsd

import (
	"fmt"
	"strings"
)

// Identity constraints (xs:unique, xs:key, xs:keyref) with XML Schema
// 1.0's restricted XPath: a selector is a union of paths of child steps
// (a name, a prefix:*, *, or .), optionally starting with .//; a field's
// path may end with an attribute step (@name). Values compare as their
// whitespace-collapsed text (typed comparison, where "1.0" equals "1" for
// a decimal, is not done). A keyref refers to a key or unique declared on
// its own element or an ancestor's, evaluated from that element.

type identity struct {
	kind     string // unique, key, keyref
	name     QName
	selector []xpath
	fields   [][]xpath
	refer    *qref
	ref      *identity
	src      *Node
	file     string
}

// xpath is one path of a union: steps of child (or attribute, last)
// name tests.
type xpath struct {
	descendants bool // starts with .//
	steps       []xstep
}

type xstep struct {
	self      bool // .
	attr      bool
	any       bool // * (with space: prefix:*)
	anySpace  bool
	name      QName
	hasPrefix bool
}

func (c *compiler) identity(ctx *schemaCtx, n *Node) *identity {
	id := &identity{kind: n.Local, src: n, file: ctx.doc.Name}
	name, ok := n.Attr("name")
	if !ok || !isNCName(name) {
		c.err(ctx, n, "xs:%s needs a name (an NCName)", n.Local)
		return nil
	}
	id.name = QName{ctx.tns, name}
	if prev, dup := c.identities[id.name]; dup {
		c.err(ctx, n, "identity constraint %q is defined twice (also at %s:%d:%d)", name, prev.file, prev.src.Line, prev.src.Col)
		return nil
	}
	c.identities[id.name] = id
	if n.Local == "keyref" {
		r, ok := c.qnameAttr(ctx, n, "refer")
		if !ok {
			c.err(ctx, n, "xs:keyref needs refer")
			return nil
		}
		id.refer = r
	}
	for _, k := range children(n) {
		x, _ := k.Attr("xpath")
		switch k.Local {
		case "selector":
			if id.selector != nil {
				c.err(ctx, k, "xs:%s has one xs:selector", n.Local)
				return nil
			}
			p, err := parseIdentityPath(x, k, false)
			if err != nil {
				c.err(ctx, k, "selector xpath %q: %s", x, err.Error())
				return nil
			}
			id.selector = p
		case "field":
			p, err := parseIdentityPath(x, k, true)
			if err != nil {
				c.err(ctx, k, "field xpath %q: %s", x, err.Error())
				return nil
			}
			id.fields = append(id.fields, p)
		default:
			c.err(ctx, k, "xs:%s is not allowed in xs:%s", k.Local, n.Local)
			return nil
		}
	}
	if id.selector == nil || len(id.fields) == 0 {
		c.err(ctx, n, "xs:%s needs an xs:selector and at least one xs:field", n.Local)
		return nil
	}
	return id
}

// resolveIdentities resolves keyrefs' refer.
func (c *compiler) resolveIdentities() {
	for _, id := range c.identities {
		if id.refer == nil {
			continue
		}
		r := c.identities[id.refer.name]
		if r == nil || r.kind == "keyref" {
			c.refErr(id.refer, "keyref %q refers to %q, which is no key or unique constraint", id.name.Local, id.refer.name.Local)
			continue
		}
		if len(r.fields) != len(id.fields) {
			c.refErr(id.refer, "keyref %q has %d fields and the key %q it refers to %d", id.name.Local, len(id.fields), r.name.Local, len(r.fields))
			continue
		}
		id.ref = r
	}
}

// parseIdentityPath reads a restricted XPath in n's namespace scope.
func parseIdentityPath(src string, n *Node, field bool) ([]xpath, error) {
	var out []xpath
	for _, alt := range strings.Split(src, "|") {
		alt = strings.TrimSpace(alt)
		var p xpath
		if rest, ok := strings.CutPrefix(alt, ".//"); ok {
			p.descendants, alt = true, rest
		}
		if alt == "" {
			return nil, fmt.Errorf("an empty path")
		}
		parts := strings.Split(alt, "/")
		for i, s := range parts {
			s = strings.TrimSpace(s)
			st := xstep{}
			switch {
			case s == ".":
				st.self = true
			case strings.HasPrefix(s, "@") || strings.HasPrefix(s, "attribute::"):
				if !field || i != len(parts)-1 {
					return nil, fmt.Errorf("an attribute step is allowed only at the end of a field")
				}
				st.attr = true
				s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "@"), "attribute::"))
				if err := nameTest(&st, s, n); err != nil {
					return nil, err
				}
			default:
				s = strings.TrimPrefix(s, "child::")
				if err := nameTest(&st, s, n); err != nil {
					return nil, err
				}
			}
			p.steps = append(p.steps, st)
		}
		out = append(out, p)
	}
	return out, nil
}

func nameTest(st *xstep, s string, n *Node) error {
	if s == "*" {
		st.any, st.anySpace = true, true
		return nil
	}
	prefix, local, found := strings.Cut(s, ":")
	if !found {
		prefix, local = "", s
	}
	if found && !isNCName(prefix) {
		return fmt.Errorf("%q is not a name test", s)
	}
	ns := ""
	if found {
		u, ok := n.Lookup(prefix)
		if !ok {
			return fmt.Errorf("the prefix %q is not declared", prefix)
		}
		ns = u
	}
	if local == "*" {
		st.any, st.name.Space = true, ns
		return nil
	}
	if !isNCName(local) {
		return fmt.Errorf("%q is not a name test", s)
	}
	st.name = QName{ns, local}
	return nil
}

// selectNodes evaluates a selector from e: the elements it selects.
func selectNodes(e *Node, paths []xpath) []*Node {
	var out []*Node
	seen := map[*Node]bool{}
	for _, p := range paths {
		cur := []*Node{e}
		if p.descendants {
			cur = descendantsOrSelf(e, nil)
		}
		for _, st := range p.steps {
			var next []*Node
			for _, c := range cur {
				if st.self {
					next = append(next, c)
					continue
				}
				for _, k := range c.Children {
					if st.matches(k.Space, k.Local) {
						next = append(next, k)
					}
				}
			}
			cur = next
		}
		for _, c := range cur {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

func (st xstep) matches(space, local string) bool {
	switch {
	case st.anySpace:
		return true
	case st.any:
		return space == st.name.Space
	}
	return space == st.name.Space && local == st.name.Local
}

func descendantsOrSelf(e *Node, out []*Node) []*Node {
	out = append(out, e)
	for _, k := range e.Children {
		out = descendantsOrSelf(k, out)
	}
	return out
}

// fieldValue evaluates a field from a selected node: its value, whether
// it has one, and false in ok when it selects more than one node.
func fieldValue(n *Node, paths []xpath) (val string, has, ok bool) {
	count := 0
	for _, p := range paths {
		last := len(p.steps) - 1
		if last >= 0 && p.steps[last].attr {
			sel := xpath{descendants: p.descendants, steps: p.steps[:last]}
			for _, e := range selectNodes(n, []xpath{sel}) {
				for _, a := range e.Attrs {
					if p.steps[last].matches(a.Space, a.Local) {
						count++
						val = a.Value
					}
				}
			}
			continue
		}
		for _, e := range selectNodes(n, []xpath{p}) {
			count++
			val = e.Text
		}
	}
	return normalize(val, wsCollapse), count > 0, count <= 1
}

// identityName is a constraint's name in messages.
func identityName(q QName) string {
	if q.Space == "" {
		return q.Local
	}
	return q.Space + ":" + q.Local
}

// table evaluates a key or unique constraint from e: its key sequences.
func (v *vstate) table(e *Node, id *identity, report bool) map[string]bool {
	keys := map[string]bool{}
	for _, sel := range selectNodes(e, id.selector) {
		vals := make([]string, len(id.fields))
		complete := true
		for i, f := range id.fields {
			val, has, ok := fieldValue(sel, f)
			if !ok {
				if report {
					v.errAt(sel, "The field '"+identityName(id.name)+"' is expecting at the most one value.")
				}
				complete = false
				break
			}
			if !has {
				complete = false
				break
			}
			vals[i] = val
		}
		if !complete {
			if report && id.kind == "key" {
				v.errAt(sel, "The identity constraint '"+identityName(id.name)+"' validation has failed. Either a key is missing or the existing key has an empty node.")
			}
			continue
		}
		k := strings.Join(vals, "\x00")
		if keys[k] && report && id.kind != "keyref" {
			v.errAt(sel, "There is a duplicate key sequence '"+strings.Join(vals, " ")+"' for the '"+identityName(id.name)+"' key or unique identity constraint.")
		}
		keys[k] = true
	}
	return keys
}

// identities checks an element's identity constraints once its content
// is validated; anc are its ancestors (with their declarations), inner
// first, for keyrefs.
func (v *vstate) identities(e *Node, decl *ElementDecl) {
	for _, id := range decl.identity {
		if id.kind != "keyref" {
			v.table(e, id, true)
			continue
		}
		if id.ref == nil {
			continue
		}
		// The referenced key, from the element that declares it: this one
		// or an ancestor.
		var from *Node
		for i := len(v.stack) - 1; i >= 0; i-- {
			for _, k := range v.stack[i].decl.identity {
				if k == id.ref {
					from = v.stack[i].n
				}
			}
			if from != nil {
				break
			}
		}
		if from == nil {
			for _, k := range decl.identity {
				if k == id.ref {
					from = e
				}
			}
		}
		if from == nil {
			v.errAt(e, "The key '"+identityName(id.ref.name)+"' that keyref '"+identityName(id.name)+"' refers to is not in scope.")
			continue
		}
		keys := v.table(from, id.ref, false)
		for _, sel := range selectNodes(e, id.selector) {
			vals := make([]string, len(id.fields))
			complete := true
			for i, f := range id.fields {
				val, has, ok := fieldValue(sel, f)
				if !has || !ok {
					complete = false
					break
				}
				vals[i] = val
			}
			if complete && !keys[strings.Join(vals, "\x00")] {
				v.errAt(sel, "The key sequence '"+strings.Join(vals, " ")+"' in '"+identityName(id.name)+"' Keyref fails to refer to some key.")
			}
		}
	}
}
