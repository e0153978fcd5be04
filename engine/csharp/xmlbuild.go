package csharp

import (
	"strings"

	"github.com/beevik/etree"
)

// Building and changing XML, as System.Xml.Linq does: new XElement(name,
// content...), new XAttribute(name, value), new XDocument(content...),
// Add, SetValue, SetAttributeValue, SetElementValue and Remove. A name is
// "local" or an XName "{uri}local" (XNamespace + "local"); an element built
// with a namespace keeps it in its Space as "{uri}" until it is written,
// when the prefix comes from the xmlns attributes in scope (an
// XAttribute(XNamespace.Xmlns + "p", uri) gives "p:"), or else a default
// xmlns="uri" is written on it, as .NET writes them.

// splitXName is an XName's namespace and local name.
func splitXName(name string) (uri, local string) {
	if strings.HasPrefix(name, "{") {
		if i := strings.IndexByte(name, '}'); i > 0 {
			return name[1:i], name[i+1:]
		}
	}
	return "", name
}

const xmlnsURI = "http://www.w3.org/2000/xmlns/"

// newXElem is an element with name, in its namespace.
func newXElem(name string) (*etree.Element, error) {
	uri, local := splitXName(name)
	if local == "" || strings.ContainsAny(local, " <>&\"'") {
		return nil, exc("XmlException", "The '%s' character, hexadecimal value, cannot be included in a name.", local)
	}
	e := etree.NewElement(local)
	if uri != "" {
		e.Space = "{" + uri + "}"
	}
	return e, nil
}

// dupToken is a copy of a node, on no parent.
func dupToken(t etree.Token) etree.Token {
	switch x := t.(type) {
	case *etree.Element:
		c := x.Copy()
		keepNamespaces(c, x)
		return c
	case *etree.CharData:
		if x.IsCData() {
			return etree.NewCData(x.Data)
		}
		return etree.NewText(x.Data)
	case *etree.Comment:
		return etree.NewComment(x.Data)
	case *etree.ProcInst:
		return etree.NewProcInst(x.Target, x.Inst)
	case *etree.Directive:
		return etree.NewDirective(x.Data)
	}
	return t
}

// keepNamespaces gives copy c of a parsed element the namespaces its
// prefixes had where it was: a prefix declared outside it becomes the
// "{uri}" of a built element.
func keepNamespaces(c, orig *etree.Element) {
	if c.Space != "" && !strings.HasPrefix(c.Space, "{") && c.Space != "xmlns" {
		if uri := orig.NamespaceURI(); uri != "" {
			declared := false
			for _, a := range c.Attr {
				declared = declared || a.Space == "xmlns" && a.Key == c.Space
			}
			if !declared {
				c.Space = "{" + uri + "}"
			}
		}
	} else if c.Space == "" {
		if uri := orig.NamespaceURI(); uri != "" && c.SelectAttr("xmlns") == nil {
			c.Space = "{" + uri + "}"
		}
	}
	oc := orig.ChildElements()
	for i, cc := range c.ChildElements() {
		if i < len(oc) {
			keepNamespaces(cc, oc[i])
		}
	}
}

// content is what XElement's constructor and Add take, made into nodes
// and attributes on a scratch element before they go where they belong.
type content struct {
	tmp      *etree.Element
	fromText map[etree.Token]bool // text made of a string, which joins the text before it
	views    []*XAttr             // attributes added as they are (they were on no element)
}

// collect adds v to the scratch element: elements, attributes, nodes,
// text (anything else as its string), sequences of these; null is skipped.
// A node or attribute that is already somewhere is copied, as .NET does.
func (c *content) collect(v any) error {
	e := c.tmp
	switch x := v.(type) {
	case nil:
	case *XElem:
		if x == nil {
			return nil
		}
		if x.e.Parent() != nil {
			e.AddChild(dupToken(x.e))
		} else {
			e.AddChild(x.e)
		}
	case *XDoc:
		if r := x.rootElem(); r != nil {
			e.AddChild(dupToken(r))
		}
	case *XNode:
		if x == nil {
			return nil
		}
		if x.t.Parent() != nil {
			e.AddChild(dupToken(x.t))
		} else {
			e.AddChild(x.t)
		}
	case *XAttr:
		if x == nil {
			return nil
		}
		space, local := attrSpace(x.Name)
		for _, at := range e.Attr {
			if at.Space == space && at.Key == local {
				return exc("InvalidOperationException", "Duplicate attribute.")
			}
		}
		at := e.CreateAttr(local, x.value())
		at.Space = space
		if x.find() == nil {
			c.views = append(c.views, x)
		}
	case string:
		t := etree.NewText(x)
		c.fromText[t] = true
		e.AddChild(t)
	default:
		if it, err := items(v); err == nil { // a sequence of content
			for _, o := range it {
				if err := c.collect(o); err != nil {
					return err
				}
			}
			return nil
		}
		t := etree.NewText(xmlValueText(v))
		c.fromText[t] = true
		e.AddChild(t)
	}
	return nil
}

// attrSpace is the etree Space and Key of an attribute named name:
// "xmlns" and "xml" for those namespaces, "{uri}" for another (resolved
// to a prefix when written).
func attrSpace(name string) (space, local string) {
	uri, local := splitXName(name)
	switch {
	case uri == xmlnsURI:
		space = "xmlns"
	case uri == "http://www.w3.org/XML/1998/namespace":
		space = "xml"
	case uri != "":
		space = "{" + uri + "}"
	}
	return space, local
}

// addContent adds content at the end of container e (an element or a
// document).
func addContent(e *etree.Element, v any) error { return insertContent(e, len(e.Child), v, true) }

// insertContent puts content (as XElement's constructor takes it) into
// parent at index at; attributes go on parent with attrs, else they are
// .NET's ArgumentException (ReplaceWith's content is nodes). A document
// takes one element, whitespace, comments, processing instructions and a
// document type, as .NET's XDocument does.
func insertContent(parent *etree.Element, at int, v any, attrs bool) error {
	c := &content{tmp: etree.NewElement("tmp"), fromText: map[etree.Token]bool{}}
	if err := c.collect(v); err != nil {
		return err
	}
	isDoc := isDocElement(parent)
	if len(c.tmp.Attr) > 0 {
		if !attrs || isDoc {
			return exc("ArgumentException", "An attribute cannot be added to content.")
		}
		for _, a := range c.tmp.Attr {
			for _, have := range parent.Attr {
				if have.Space == a.Space && have.Key == a.Key {
					return exc("InvalidOperationException", "Duplicate attribute.")
				}
			}
			parent.CreateAttr(a.Key, a.Value).Space = a.Space
		}
		for _, x := range c.views { // an attribute on no element is now on this one
			x.space, x.key = attrSpace(x.Name)
			x.e = parent
		}
	}
	if isDoc {
		hasRoot := false
		for _, t := range parent.Child {
			if _, ok := t.(*etree.Element); ok {
				hasRoot = true
			}
		}
		for _, t := range c.tmp.Child {
			switch x := t.(type) {
			case *etree.Element:
				if hasRoot {
					return exc("InvalidOperationException", "This operation would create an incorrectly structured document.")
				}
				hasRoot = true
			case *etree.CharData:
				if x.IsCData() {
					return exc("ArgumentException", "A node of type CDATA cannot be added to content.")
				}
				if !isSpace(x.Data) {
					return exc("ArgumentException", "Non-whitespace characters cannot be added to content.")
				}
			}
		}
	}
	for _, t := range append([]etree.Token(nil), c.tmp.Child...) {
		c.tmp.RemoveChild(t)
		if cd, ok := t.(*etree.CharData); ok && c.fromText[t] && at > 0 && at <= len(parent.Child) {
			if prev, ok := parent.Child[at-1].(*etree.CharData); ok && !prev.IsCData() {
				prev.SetData(prev.Data + cd.Data) // a string joins the text before it
				continue
			}
		}
		parent.InsertChildAt(at, t)
		at++
	}
	dropEmptyText(parent)
	return nil
}

// dropEmptyText removes the empty text that marks an element as <a></a>
// once it holds something else.
func dropEmptyText(e *etree.Element) {
	if len(e.Child) < 2 {
		return
	}
	for _, t := range append([]etree.Token(nil), e.Child...) {
		if cd, ok := t.(*etree.CharData); ok && cd.Data == "" && !cd.IsCData() {
			e.RemoveChild(t)
		}
	}
}

// cdataSections splits a CDATA value as .NET writes it: "]]>" cannot
// stand in one section, so "a]]>b" is "a]]" and ">b".
func cdataSections(v string) []string {
	parts := strings.Split(v, "]]>")
	for i := range parts {
		if i > 0 {
			parts[i] = ">" + parts[i]
		}
		if i < len(parts)-1 {
			parts[i] += "]]"
		}
	}
	return parts
}

// setText replaces what e holds with the text of v (SetValue,
// SetElementValue).
func setText(e *etree.Element, v any) {
	clearNodes(e)
	e.CreateText(xmlValueText(v))
}

// clearNodes removes all e holds.
func clearNodes(e *etree.Element) {
	for _, c := range append([]etree.Token{}, e.Child...) {
		e.RemoveChild(c)
	}
}

// xmlValueText is a value as XElement writes its text: XmlConvert's forms
// (true, not True).
func xmlValueText(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return catStr(v)
}

// resolveNamespaces gives the elements built with a namespace their
// prefix (or a default xmlns), before the tree is written. scope maps a
// namespace URI to its prefix ("" for the default namespace).
func resolveNamespaces(e *etree.Element, scope map[string]string) {
	var own map[string]string // scope and this element's declarations
	declare := func(uri, prefix string) {
		if own == nil {
			own = copyScope(scope)
		}
		own[uri] = prefix
	}
	for _, a := range e.Attr {
		switch {
		case a.Space == "xmlns":
			declare(a.Value, a.Key)
		case a.Space == "" && a.Key == "xmlns":
			declare(a.Value, "")
		}
	}
	cur := func() map[string]string {
		if own != nil {
			return own
		}
		return scope
	}
	if strings.HasPrefix(e.Space, "{") {
		uri := e.Space[1 : len(e.Space)-1]
		if p, ok := cur()[uri]; ok {
			e.Space = p
		} else {
			e.Space = ""
			e.CreateAttr("xmlns", uri)
			declare(uri, "")
		}
	} else if e.Space != "" && e.Space != "xmlns" {
		// a parsed prefix declared outside what is written: declare it
		// here, as .NET writes a node alone
		declared := false
		for _, p := range cur() {
			declared = declared || p == e.Space
		}
		if !declared {
			for uri, p := range scope {
				if p == e.Space {
					e.CreateAttr("xmlns:"+p, uri)
					declare(uri, p)
				}
			}
		}
	}
	for i := range e.Attr {
		if a := &e.Attr[i]; strings.HasPrefix(a.Space, "{") {
			a.Space = cur()[a.Space[1:len(a.Space)-1]] // an undeclared namespace: no prefix
		}
	}
	for _, c := range e.ChildElements() {
		resolveNamespaces(c, cur())
	}
}

func copyScope(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// removeNode takes node t (an element or other node) out of its parent,
// or is "The parent is missing." when it has none.
func removeNode(t etree.Token) error {
	p, err := mustParent(t)
	if err != nil {
		return err
	}
	p.RemoveChild(t)
	return nil
}

// mustParent is the element holding node t, or .NET's "The parent is
// missing." when it has none (a root, a node not yet added).
func mustParent(t etree.Token) (*etree.Element, error) {
	p := t.Parent()
	if p == nil {
		return nil, exc("InvalidOperationException", "The parent is missing.")
	}
	return p, nil
}

// xmlToken is the etree token a node value stands for (nil for null and
// for what is not a node).
func xmlToken(v any) etree.Token {
	switch x := v.(type) {
	case *XElem:
		if x != nil {
			return x.e
		}
	case *XNode:
		if x != nil {
			return x.t
		}
	}
	return nil
}

func registerXMLBuild() {
	S, O := tString, tObject
	b := static("XElement", "new", ts(S, tObjects), tXElem, func(a []any) (any, error) {
		name, ok := a[0].(string)
		if !ok {
			return nil, argNull("name")
		}
		e, err := newXElem(name)
		if err != nil {
			return nil, err
		}
		if err := addContent(e, a[1]); err != nil {
			return nil, err
		}
		return &XElem{e}, nil
	}, nil)
	b.vararg = true
	xstatic("XElement", "new", "XElement.new(XElement)", ts(tXElem), tXElem, func(a []any) (any, error) {
		src, ok := a[0].(*XElem)
		if !ok || src == nil {
			return nil, argNull("other")
		}
		return &XElem{dupToken(src.e).(*etree.Element)}, nil
	})
	static("XAttribute", "new", ts(S, O), tXAttr, func(a []any) (any, error) {
		name, ok := a[0].(string)
		if !ok {
			return nil, argNull("name")
		}
		if a[1] == nil {
			return nil, argNull("value")
		}
		return &XAttr{Name: name, Value: xmlValueText(a[1])}, nil
	}, nil)
	xstatic("XAttribute", "new", "XAttribute.new(XAttribute)", ts(tXAttr), tXAttr, func(a []any) (any, error) {
		src, ok := a[0].(*XAttr)
		if !ok || src == nil {
			return nil, argNull("other")
		}
		return &XAttr{Name: src.Name, Value: src.value()}, nil
	})
	for _, t := range []*Type{tXText, tXCData, tXComment} {
		kind := t.Name
		static(kind, "new", ts(S), t, func(a []any) (any, error) {
			s, ok := a[0].(string)
			if !ok {
				return nil, argNull("value")
			}
			switch kind {
			case "XComment":
				if strings.Contains(s, "--") || strings.HasSuffix(s, "-") {
					return nil, exc("ArgumentException", "An XML comment cannot contain '--', and '-' cannot be the last character.")
				}
				return &XNode{etree.NewComment(s)}, nil
			case "XCData":
				return &XNode{etree.NewCData(s)}, nil
			}
			return &XNode{etree.NewText(s)}, nil
		}, nil)
		xstatic(kind, "new", kind+".new("+kind+")", ts(t), t, func(a []any) (any, error) {
			src, ok := a[0].(*XNode)
			if !ok || src == nil {
				return nil, argNull("other")
			}
			return &XNode{dupToken(src.t)}, nil
		})
	}
	static("XProcessingInstruction", "new", ts(S, S), tXPI, func(a []any) (any, error) {
		target, ok := a[0].(string)
		if !ok {
			return nil, argNull("target")
		}
		data, ok := a[1].(string)
		if !ok {
			return nil, argNull("data")
		}
		if strings.EqualFold(target, "xml") || target == "" {
			return nil, exc("ArgumentException", "'%s' is an invalid name for processing instructions.", target)
		}
		return &XNode{etree.NewProcInst(target, data)}, nil
	}, nil)
	static("XDocumentType", "new", ts(S, S, S, S), tXDocType, func(a []any) (any, error) {
		name, ok := a[0].(string)
		if !ok || name == "" {
			return nil, argNull("name")
		}
		d := &doctype{name: name, publicID: a[1], systemID: a[2], subset: a[3]}
		return &XNode{etree.NewDirective(d.data())}, nil
	}, nil)
	static("XDeclaration", "new", ts(S, S, S), tXDecl, func(a []any) (any, error) {
		return &XDecl{version: a[0], encoding: a[1], standalone: a[2]}, nil
	}, nil)
	xstatic("XDeclaration", "new", "XDeclaration.new(XDeclaration)", ts(tXDecl), tXDecl, func(a []any) (any, error) {
		src, ok := a[0].(*XDecl)
		if !ok || src == nil {
			return nil, argNull("other")
		}
		c := *src
		return &c, nil
	})
	newDoc := func(decl *XDecl, content any) (any, error) {
		d := newDocElement()
		if decl != nil {
			d.AddChild(etree.NewProcInst("xml", decl.declText()))
		}
		it, _ := items(content)
		for _, c := range it {
			if src, ok := c.(*XDoc); ok && src != nil { // new XDocument(other): a copy
				if sd := src.doc(); sd != nil {
					for _, t := range sd.Child {
						d.AddChild(dupToken(t))
					}
				}
				continue
			}
			if err := addContent(d, c); err != nil {
				return nil, err
			}
		}
		return &XDoc{d}, nil
	}
	dd := xstatic("XDocument", "new", "XDocument.new(XDeclaration,object[])", ts(tXDecl, tObjects), tXDoc, func(a []any) (any, error) {
		decl, _ := a[0].(*XDecl)
		return newDoc(decl, a[1])
	})
	dd.vararg = true
	d := static("XDocument", "new", ts(tObjects), tXDoc, func(a []any) (any, error) {
		return newDoc(nil, a[0])
	}, nil)
	d.vararg = true
	// XContainer's changes, on elements and documents.
	xmeth(KXContainer, "Add", ts(tObjects), tVoid, func(a []any) (any, error) {
		e := xmlContainer(a[0])
		if e == nil {
			return nil, errNull
		}
		return nil, addContent(e, a[1])
	})
	// AddFirst: content put before the first node.
	xmeth(KXContainer, "AddFirst", ts(tObjects), tVoid, func(a []any) (any, error) {
		e := xmlContainer(a[0])
		if e == nil {
			return nil, errNull
		}
		at := 0
		if isDocElement(e) { // after the declaration
			for at < len(e.Child) && !visibleToken(e.Child[at]) {
				at++
			}
		}
		return nil, insertContent(e, at, a[1], true)
	})
	xmeth(KXContainer, "RemoveNodes", ts(), tVoid, func(a []any) (any, error) {
		e := xmlContainer(a[0])
		if e == nil {
			return nil, errNull
		}
		removeVisible(e)
		return nil, nil
	})
	xmeth(KXContainer, "ReplaceNodes", ts(tObjects), tVoid, func(a []any) (any, error) {
		e := xmlContainer(a[0])
		if e == nil {
			return nil, errNull
		}
		return nil, replaceContent(e, a[1], removeVisible)
	})
	// XNode's: content put after or before the node, in its stead, or the
	// node taken away.
	sibling := func(after bool) func(a []any) (any, error) {
		return func(a []any) (any, error) {
			t := xmlToken(a[0])
			if t == nil {
				return nil, errNull
			}
			p, err := mustParent(t)
			if err != nil {
				return nil, err
			}
			at := t.Index()
			if after {
				at++
			}
			return nil, insertContent(p, at, a[1], false)
		}
	}
	xmeth(KXNodeBase, "AddAfterSelf", ts(tObjects), tVoid, sibling(true))
	xmeth(KXNodeBase, "AddBeforeSelf", ts(tObjects), tVoid, sibling(false))
	xmeth(KXNodeBase, "ReplaceWith", ts(tObjects), tVoid, func(a []any) (any, error) {
		t := xmlToken(a[0])
		if t == nil {
			return nil, errNull
		}
		p, err := mustParent(t)
		if err != nil {
			return nil, err
		}
		snap, err := snapshotContent(a[1])
		if err != nil {
			return nil, err
		}
		at := t.Index()
		p.RemoveChild(t)
		if err := insertContent(p, at, snap, false); err != nil {
			p.InsertChildAt(at, t)
			return nil, err
		}
		return nil, nil
	})
	xmeth(KXNodeBase, "Remove", ts(), tVoid, func(a []any) (any, error) {
		t := xmlToken(a[0])
		if t == nil {
			return nil, errNull
		}
		return nil, removeNode(t)
	})
	xmeth(KXAttr, "Remove", ts(), tVoid, func(a []any) (any, error) {
		x, ok := a[0].(*XAttr)
		if !ok || x == nil {
			return nil, errNull
		}
		if x.find() == nil {
			return nil, exc("InvalidOperationException", "The parent is missing.")
		}
		x.value()
		x.e.RemoveAttr(fullKey(x.space, x.key))
		x.e = nil
		return nil, nil
	})
	xmeth(KXAttr, "SetValue", ts(O), tVoid, func(a []any) (any, error) {
		x, ok := a[0].(*XAttr)
		if !ok || x == nil {
			return nil, errNull
		}
		if a[1] == nil {
			return nil, argNull("value")
		}
		x.Value = xmlValueText(a[1])
		if at := x.find(); at != nil {
			at.Value = x.Value
		}
		return nil, nil
	})
	xmeth(KXElem, "RemoveAll", ts(), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		clearNodes(e)
		e.Attr = nil
		return nil, nil
	})
	xmeth(KXElem, "RemoveAttributes", ts(), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		e.Attr = nil
		return nil, nil
	})
	xmeth(KXElem, "ReplaceAll", ts(tObjects), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		return nil, replaceContent(e, a[1], func(e *etree.Element) { clearNodes(e); e.Attr = nil })
	})
	xmeth(KXElem, "ReplaceAttributes", ts(tObjects), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		return nil, replaceContent(e, a[1], func(e *etree.Element) { e.Attr = nil })
	})
	xmeth(KXElem, "SetValue", ts(O), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		if a[1] == nil {
			return nil, argNull("value")
		}
		setText(e, a[1])
		return nil, nil
	})
	xmeth(KXElem, "SetAttributeValue", ts(S, O), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		name, _ := a[1].(string)
		if at := findAttr(e, name); at != nil {
			if a[2] != nil {
				at.Value = xmlValueText(a[2])
				return nil, nil
			}
			e.RemoveAttr(at.FullKey())
			return nil, nil
		}
		if a[2] != nil {
			return nil, addContent(e, &XAttr{Name: name, Value: xmlValueText(a[2])})
		}
		return nil, nil
	})
	xmeth(KXElem, "SetElementValue", ts(S, O), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		name, _ := a[1].(string)
		var c *etree.Element
		for _, x := range e.ChildElements() {
			if xmlMatch(x, name) {
				c = x
				break
			}
		}
		switch {
		case a[2] == nil && c != nil:
			e.RemoveChild(c)
		case a[2] != nil && c == nil:
			n, err := newXElem(name)
			if err != nil {
				return nil, err
			}
			n.CreateText(xmlValueText(a[2]))
			return nil, addContent(e, &XElem{n})
		case a[2] != nil:
			setText(c, a[2])
		}
		return nil, nil
	})
}

// fullKey is an attribute's key as etree's RemoveAttr takes it.
func fullKey(space, key string) string {
	if space == "" {
		return key
	}
	return space + ":" + key
}

// findAttr is e's attribute with the name ("{uri}local" or a bare local
// name), or nil.
func findAttr(e *etree.Element, name string) *etree.Attr {
	if uri, local := splitXName(name); uri != "" {
		for i := range e.Attr {
			at := &e.Attr[i]
			if at.Key == local && (at.NamespaceURI() == uri || at.Space == "{"+uri+"}" || attrXName(at) == name) {
				return at
			}
		}
		return nil
	}
	for i := range e.Attr {
		if at := &e.Attr[i]; at.Space == "" && at.Key == name {
			return at
		}
	}
	return e.SelectAttr(name)
}

// removeVisible removes a container's nodes (a document keeps its
// declaration).
func removeVisible(e *etree.Element) {
	for _, c := range append([]etree.Token(nil), e.Child...) {
		if visibleToken(c) || !isDocElement(e) {
			e.RemoveChild(c)
		}
	}
}

// snapshotContent is content made whole (sequences read into a list, the
// attributes' values read), so that removing nodes does not change it.
func snapshotContent(v any) (any, error) {
	switch x := v.(type) {
	case *XAttr:
		if x == nil {
			return nil, nil
		}
		x.value()
		return x, nil
	case []any:
		out := make([]any, 0, len(x))
		for _, o := range x {
			s, err := snapshotContent(o)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	return v, nil
}

// replaceContent is ReplaceNodes, ReplaceAll and ReplaceAttributes: the
// content is read before clear takes away what it replaces (it may be made
// of those nodes), then added.
func replaceContent(e *etree.Element, content any, clear func(*etree.Element)) error {
	snap, err := snapshotContent(content)
	if err != nil {
		return err
	}
	clear(e)
	return addContent(e, snap)
}
