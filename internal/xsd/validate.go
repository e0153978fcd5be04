package xsd

import (
	"fmt"
	"strings"
)

// Error is one validation problem: where it is in the document (line and
// column of the element, 1-based; the element's path) and .NET's message.
type Error struct {
	Line, Col int
	Path      string
	Msg       string
}

func (e Error) Error() string { return fmt.Sprintf("%d:%d: %s: %s", e.Line, e.Col, e.Path, e.Msg) }

// Validate parses a document and validates it: its root must be a global
// element of the set. A document that is not well-formed gives one error.
func (s *Set) Validate(data []byte) []Error {
	root, err := Parse(data, s.limits.MaxDepth)
	if err != nil {
		pe := err.(*ParseError)
		return []Error{{Line: pe.Line, Col: pe.Col, Path: "/", Msg: "The document is not well-formed XML: " + pe.Msg + "."}}
	}
	return s.ValidateNode(root)
}

// ValidateNode validates n (a parsed element, anywhere in its document)
// as the root of what is validated: it must be a global element.
func (s *Set) ValidateNode(n *Node) []Error {
	v := &vstate{set: s, ids: map[string]bool{}}
	decl := s.elements[QName{n.Space, n.Local}]
	if decl == nil {
		v.errAt(n, "The "+qname(QName{n.Space, n.Local})+" element is not declared.")
	} else {
		v.element(n, decl)
	}
	for _, r := range v.idrefs {
		if !v.ids[r.id] {
			v.errAt(r.n, "Reference to undeclared ID is '"+r.id+"'.")
		}
	}
	return v.errs
}

// HasElement reports whether the set declares a global element q.
func (s *Set) HasElement(q QName) bool { return s.elements[q] != nil }

type vstate struct {
	stack  []frame // elements with identity constraints, outer first
	set    *Set
	errs   []Error
	ids    map[string]bool
	idrefs []idref
	full   bool
}

type frame struct {
	n    *Node
	decl *ElementDecl
}

type idref struct {
	id string
	n  *Node
}

func (v *vstate) errAt(n *Node, msg string) {
	if v.full {
		return
	}
	if len(v.errs) >= v.set.limits.MaxErrors {
		v.full = true
		return
	}
	v.errs = append(v.errs, Error{Line: n.Line, Col: n.Col, Path: n.Path(), Msg: msg})
}

// qname is a name as .NET writes it in messages about one element or
// attribute: 'ns:local' ('local' without a namespace).
func qname(q QName) string {
	if q.Space == "" {
		return "'" + q.Local + "'"
	}
	return "'" + q.Space + ":" + q.Local + "'"
}

// name is a name as .NET writes it in messages about content models:
// 'local', or 'local' in namespace 'ns'.
func name(q QName) string {
	if q.Space == "" {
		return "'" + q.Local + "'"
	}
	return "'" + q.Local + "' in namespace '" + q.Space + "'"
}

func qn(n *Node) QName { return QName{n.Space, n.Local} }

// element validates n by its declaration.
func (v *vstate) element(n *Node, decl *ElementDecl) {
	typ := decl.typ
	if decl.abstract {
		v.errAt(n, "The element "+qname(decl.Name)+" is abstract or its type is abstract.")
		return
	}
	if len(decl.identity) == 0 {
		v.typed(n, decl, typ)
		return
	}
	v.stack = append(v.stack, frame{n, decl})
	v.typed(n, decl, typ)
	v.stack = v.stack[:len(v.stack)-1]
	v.identities(n, decl)
}

// typed validates n by a type (decl may be nil: a lax element with an
// xsi:type, or anyType).
func (v *vstate) typed(n *Node, decl *ElementDecl, typ Type) {
	if xt, ok := n.attrXSI("type"); ok {
		t := v.xsiType(n, xt)
		if t == nil {
			return
		}
		if typ != nil && !derivesFrom(t, typ) {
			v.errAt(n, "The xsi:type attribute value '"+xt+"' is not valid for the element "+name(qn(n))+", either because it is not a type validly derived from the type in the schema, or because it has xsi:type derivation blocked.")
			return
		}
		typ = t
	}
	if typ == nil {
		typ = anyTypeDef
	}
	if ct, ok := typ.(*ComplexType); ok && ct.abstract {
		v.errAt(n, "The element "+qname(qn(n))+" is abstract or its type is abstract.")
		return
	}
	nilled := false
	if nv, ok := n.attrXSI("nil"); ok {
		switch strings.TrimSpace(nv) {
		case "true", "1":
			nilled = true
		case "false", "0":
		default:
			v.errAt(n, "The 'http://www.w3.org/2001/XMLSchema-instance:nil' attribute is invalid - The value '"+nv+"' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:boolean' - The string '"+nv+"' is not a valid Boolean value.")
		}
		if decl == nil || !decl.nillable {
			v.errAt(n, "If the 'nillable' attribute is false in the schema, the 'xsi:nil' attribute must not be present in the instance.")
			nilled = false
		}
	}
	v.attributes(n, typ)
	if nilled {
		if len(n.Children) > 0 || n.Text != "" {
			v.errAt(n, "Element "+qname(qn(n))+" must have no character or element children because it is nil.")
		}
		if decl.fixed {
			v.errAt(n, "There can be no fixed value when xsi:nil is true.")
		}
		return
	}
	switch t := typ.(type) {
	case *SimpleType:
		v.simpleContent(n, decl, t)
	case *ComplexType:
		switch t.kind {
		case contentSimple:
			v.simpleContent(n, decl, t.simple)
		case contentEmpty:
			if len(n.Children) > 0 {
				v.errAt(n.Children[0], "The element "+name(qn(n))+" cannot contain child element "+name(qn(n.Children[0]))+" because the parent element's content model is empty.")
			} else if n.Text != "" {
				v.errAt(n, "The element "+name(qn(n))+" cannot contain text or white space because its content model is empty.")
			}
		default:
			if t.kind == contentElement && n.HasText {
				exp := ""
				if t.model != nil {
					exp = v.expectedAt(t.model, v.startSet(t.model), nil)
				}
				v.errAt(n, "The element "+name(qn(n))+" cannot contain text."+listExpected(exp))
			}
			if decl != nil && decl.fixed && t.kind == contentMixed {
				if len(n.Children) > 0 || n.Text != decl.def {
					v.errAt(n, "The value of the "+qname(qn(n))+" element does not equal its fixed value.")
				}
			}
			v.children(n, t)
		}
	}
}

func (n *Node) attrXSI(local string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Space == XSINamespace && a.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// xsiType resolves an xsi:type value.
func (v *vstate) xsiType(n *Node, val string) Type {
	val = strings.TrimSpace(val)
	prefix, local, found := strings.Cut(val, ":")
	if !found {
		prefix, local = "", val
	}
	ns, ok := n.Lookup(prefix)
	if !ok {
		v.errAt(n, "This is an invalid xsi:type '"+val+"'.")
		return nil
	}
	q := QName{ns, local}
	if ns == XSNamespace {
		if local == "anyType" {
			return anyTypeDef
		}
		if b, ok := builtins[local]; ok {
			return b
		}
	}
	if t, ok := v.set.types[q]; ok {
		return t
	}
	if ns == "" {
		v.errAt(n, "This is an invalid xsi:type '"+local+"'.")
	} else {
		v.errAt(n, "This is an invalid xsi:type '"+ns+":"+local+"'.")
	}
	return nil
}

// simpleContent validates an element's text by a simple type.
func (v *vstate) simpleContent(n *Node, decl *ElementDecl, t *SimpleType) {
	if len(n.Children) > 0 {
		v.errAt(n.Children[0], "The element "+name(qn(n))+" cannot contain child element "+name(qn(n.Children[0]))+" because the parent element's content model is text only.")
		return
	}
	text := n.Text
	if text == "" && decl != nil && decl.hasDefault {
		text = decl.def
	}
	val, msg := v.set.checkSimple(t, text, n)
	if msg != "" {
		v.errAt(n, "The "+qname(qn(n))+" element is invalid - The value '"+text+"' is invalid according to its datatype '"+typeLabel(t)+"' - "+msg)
		return
	}
	v.ids1(n, t, val, "element")
	if decl != nil && decl.fixed && !equal(val, decl.fixedVal) {
		v.errAt(n, "The value of the "+qname(qn(n))+" element does not equal its fixed value.")
	}
}

// ids1 records ID values and IDREF references (and refuses ENTITY values:
// no document of tollgate's has a DTD to declare them).
func (v *vstate) ids1(n *Node, t *SimpleType, val value, what string) {
	b := t.builtin
	if t.variety == list && t.item != nil {
		b = t.item.builtin
	}
	switch b {
	case "ID":
		if v.ids[val.s] {
			v.errAt(n, "'"+val.s+"' is already used as an ID.")
		}
		v.ids[val.s] = true
	case "IDREF":
		if t.variety == list {
			for _, it := range val.items {
				v.idrefs = append(v.idrefs, idref{it.s, n})
			}
		} else {
			v.idrefs = append(v.idrefs, idref{val.s, n})
		}
	case "ENTITY":
		v.errAt(n, "Reference to an undeclared entity ('"+val.s+"') in the "+what+": the document has no DTD to declare it.")
	}
}

// attributes validates n's attributes by its type's attribute uses and
// wildcard.
func (v *vstate) attributes(n *Node, typ Type) {
	ct, _ := typ.(*ComplexType)
	var uses []*attrUse
	var wild *wildcard
	if ct != nil {
		uses, wild = ct.attrs, ct.attrWild
	}
	seen := make([]bool, len(uses))
	for _, a := range n.Attrs {
		if a.Space == XSINamespace {
			switch a.Local {
			case "type", "nil", "schemaLocation", "noNamespaceSchemaLocation":
				continue
			}
		}
		q := QName{a.Space, a.Local}
		found := false
		for i, u := range uses {
			if u.decl.Name == q {
				seen[i], found = true, true
				v.attrValue(n, a, u.decl.typ, u.fixed, u.fixedVal)
				break
			}
		}
		if found {
			continue
		}
		if wild != nil && wild.allows(a.Space) {
			if wild.process == procSkip {
				continue
			}
			if d := v.set.attributes[q]; d != nil {
				v.attrValue(n, a, d.typ, d.fixed, d.fixedVal)
				continue
			}
			if wild.process == procLax {
				continue
			}
		}
		v.errAt(n, "The "+qname(q)+" attribute is not declared.")
	}
	for i, u := range uses {
		if u.required && !seen[i] {
			v.errAt(n, "The required attribute "+qname(u.decl.Name)+" is missing.")
		}
	}
}

func (v *vstate) attrValue(n *Node, a Attr, t *SimpleType, fixed bool, fixedVal value) {
	val, msg := v.set.checkSimple(t, a.Value, n)
	if msg != "" {
		v.errAt(n, "The "+qname(QName{a.Space, a.Local})+" attribute is invalid - The value '"+a.Value+"' is invalid according to its datatype '"+typeLabel(t)+"' - "+msg)
		return
	}
	v.ids1(n, t, val, "attribute")
	if fixed && !equal(val, fixedVal) {
		v.errAt(n, "The value of the "+qname(QName{a.Space, a.Local})+" attribute does not equal its fixed value.")
	}
}

// lax validates an element no declaration governs: by its global
// declaration if there is one, else its attributes and children the same
// way (processContents="lax").
func (v *vstate) lax(n *Node) {
	if d := v.set.elements[qn(n)]; d != nil {
		v.element(n, d)
		return
	}
	if _, ok := n.attrXSI("type"); ok {
		v.typed(n, nil, nil)
		return
	}
	for _, a := range n.Attrs {
		if d := v.set.attributes[QName{a.Space, a.Local}]; d != nil {
			v.attrValue(n, a, d.typ, d.fixed, d.fixedVal)
		}
	}
	for _, k := range n.Children {
		v.lax(k)
	}
}

// wildElement validates an element a wildcard matched.
func (v *vstate) wildElement(k *Node, w *wildcard) {
	switch w.process {
	case procSkip:
	case procLax:
		v.lax(k)
	default:
		d := v.set.elements[qn(k)]
		if d == nil {
			if _, ok := k.attrXSI("type"); ok {
				v.typed(k, nil, nil)
				return
			}
			v.errAt(k, "The "+qname(qn(k))+" element is not declared.")
			return
		}
		v.element(k, d)
	}
}
