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

// addContent adds what XElement's constructor and Add take: elements,
// attributes, text (anything else as its string), sequences of these;
// null is skipped.
func addContent(e *etree.Element, v any) error {
	switch x := v.(type) {
	case nil:
	case *XElem:
		if x == nil {
			return nil
		}
		c := x.e
		if c.Parent() != nil { // .NET copies an element that already has a parent
			c = c.Copy()
		}
		e.AddChild(c)
	case *XDoc:
		if x != nil && x.root != nil {
			e.AddChild(x.root.Copy())
		}
	case *XAttr:
		if x == nil {
			return nil
		}
		uri, local := splitXName(x.Name)
		space := ""
		switch {
		case uri == xmlnsURI:
			space = "xmlns"
		case uri != "":
			space = "{" + uri + "}" // resolved to a prefix when written
		}
		for _, at := range e.Attr {
			if at.Space == space && at.Key == local {
				return exc("InvalidOperationException", "Duplicate attribute.")
			}
		}
		at := e.CreateAttr(local, x.Value)
		at.Space = space
	case *XNode:
		if x == nil {
			return nil
		}
		switch x.Kind {
		case "XCData":
			for _, sec := range cdataSections(x.Value) {
				e.CreateCData(sec)
			}
		case "XComment":
			e.CreateComment(x.Value)
		default:
			e.CreateText(x.Value)
		}
	case string:
		e.CreateText(x)
	default:
		if it, err := items(v); err == nil { // a sequence of content
			for _, c := range it {
				if err := addContent(e, c); err != nil {
					return err
				}
			}
			return nil
		}
		e.CreateText(xmlValueText(v))
	}
	return nil
}

// isDocElement reports whether e is an etree document's own element (the
// parent of a parsed root), which .NET has as the XDocument, not an element.
func isDocElement(e *etree.Element) bool { return e.Tag == "" && e.Parent() == nil }

// insertContent puts content (as XElement's constructor takes it) into
// parent at index at; attributes go on parent with attrs, else they are
// .NET's ArgumentException (ReplaceWith's content is nodes).
func insertContent(parent *etree.Element, at int, v any, attrs bool) error {
	tmp := etree.NewElement("tmp")
	if err := addContent(tmp, v); err != nil {
		return err
	}
	if len(tmp.Attr) > 0 {
		if !attrs {
			return exc("ArgumentException", "An attribute cannot be added to content.")
		}
		for _, at := range tmp.Attr {
			for _, have := range parent.Attr {
				if have.Space == at.Space && have.Key == at.Key {
					return exc("InvalidOperationException", "Duplicate attribute.")
				}
			}
			parent.CreateAttr(at.Key, at.Value).Space = at.Space
		}
	}
	for i, c := range append([]etree.Token(nil), tmp.Child...) {
		tmp.RemoveChild(c)
		parent.InsertChildAt(at+i, c)
	}
	return nil
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
	for _, c := range append([]etree.Token{}, e.Child...) {
		e.RemoveChild(c)
	}
	e.CreateText(xmlValueText(v))
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
	for _, t := range []*Type{tXText, tXCData, tXComment} {
		kind := t.Name
		static(kind, "new", ts(S), t, func(a []any) (any, error) {
			s, ok := a[0].(string)
			if !ok {
				return nil, argNull("value")
			}
			if kind == "XComment" && (strings.Contains(s, "--") || strings.HasSuffix(s, "-")) {
				return nil, exc("ArgumentException", "An XML comment cannot contain '--', and '-' cannot be the last character.")
			}
			return &XNode{Kind: kind, Value: s}, nil
		}, nil)
	}
	d := static("XDocument", "new", ts(tObjects), tXDoc, func(a []any) (any, error) {
		it, _ := items(a[0])
		var root *etree.Element
		for _, c := range it {
			switch x := c.(type) {
			case *XElem:
				if root != nil {
					return nil, exc("InvalidOperationException", "This operation would create an incorrectly structured document.")
				}
				root = x.e
				if root.Parent() != nil {
					root = root.Copy()
				}
			case nil:
			default:
				return nil, exc("ArgumentException", "Non-whitespace characters cannot be added to content.")
			}
		}
		return &XDoc{root}, nil
	}, nil)
	d.vararg = true
	method(KXElem, "Add", ts(tObjects), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		return nil, addContent(e, a[1])
	}, nil)
	methods[KXElem]["Add"][0].vararg = true
	// AddFirst, ReplaceWith: content put where the element's first child,
	// or the element itself, stands.
	method(KXElem, "AddFirst", ts(tObjects), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		return nil, insertContent(e, 0, a[1], true)
	}, nil)
	methods[KXElem]["AddFirst"][0].vararg = true
	method(KXElem, "ReplaceWith", ts(tObjects), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		p := e.Parent()
		if p == nil || isDocElement(p) {
			// A root (of XElement.Parse, or a document's: tollgate
			// replaces no document's root) has no element to go into.
			return nil, exc("InvalidOperationException", "The parent is missing.")
		}
		at := e.Index()
		if err := insertContent(p, at, a[1], false); err != nil {
			return nil, err
		}
		p.RemoveChild(e)
		return nil, nil
	}, nil)
	methods[KXElem]["ReplaceWith"][0].vararg = true
	method(KXElem, "RemoveNodes", ts(), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		for _, c := range append([]etree.Token(nil), e.Child...) {
			e.RemoveChild(c)
		}
		return nil, nil
	}, nil)
	method(KXElem, "RemoveAll", ts(), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		for _, c := range append([]etree.Token(nil), e.Child...) {
			e.RemoveChild(c)
		}
		e.Attr = nil
		return nil, nil
	}, nil)
	prop(KXElem, "Parent", tXElem, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		p := e.Parent()
		if p == nil || isDocElement(p) {
			return nil, nil // the root's parent is its document: null, as in .NET
		}
		return &XElem{p}, nil
	}, nil)
	method(KXElem, "SetValue", ts(O), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		if a[1] == nil {
			return nil, argNull("value")
		}
		setText(e, a[1])
		return nil, nil
	}, nil)
	method(KXElem, "SetAttributeValue", ts(S, O), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		name, _ := a[1].(string)
		if at := e.SelectAttr(name); at != nil {
			e.RemoveAttr(at.FullKey())
		}
		if a[2] != nil {
			e.CreateAttr(name, xmlValueText(a[2]))
		}
		return nil, nil
	}, nil)
	method(KXElem, "SetElementValue", ts(S, O), tVoid, func(a []any) (any, error) {
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
			e.AddChild(n)
		case a[2] != nil:
			setText(c, a[2])
		}
		return nil, nil
	}, nil)
	method(KXElem, "Remove", ts(), tVoid, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		p := e.Parent()
		if p == nil {
			return nil, exc("InvalidOperationException", "The parent is missing.")
		}
		p.RemoveChild(e)
		return nil, nil
	}, nil)
}
