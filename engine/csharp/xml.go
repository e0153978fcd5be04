package csharp

import (
	"math"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// XML as System.Xml.Linq has it, the basics policies use: XDocument.Parse,
// XElement.Parse, Root, Element(s), Descendants, Attribute, Value, Name and
// ToString(). Values are XDoc, XElem and XAttr at run time.

// XDoc is an XDocument.
type XDoc struct{ root *etree.Element }

// XElem is an XElement.
type XElem struct{ e *etree.Element }

// XAttr is an XAttribute.
type XAttr struct{ Name, Value string }

// XNode is an XText, XCData or XComment: content other than elements.
type XNode struct {
	Kind  string // "XText", "XCData", "XComment"
	Value string
}

// String is the node as XElement writes it: escaped text, a CDATA
// section, a comment.
func (n *XNode) String() string {
	switch n.Kind {
	case "XCData":
		var b strings.Builder
		for _, sec := range cdataSections(n.Value) {
			b.WriteString("<![CDATA[" + sec + "]]>")
		}
		return b.String()
	case "XComment":
		return "<!--" + n.Value + "-->"
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(n.Value)
}

// String is XDocument.ToString(): the root indented by two spaces, no
// declaration.
func (d *XDoc) String() string { return xmlText(d.root) }

// String is XElement.ToString(): indented by two spaces.
func (x *XElem) String() string { return xmlText(x.e) }

// String is XAttribute.ToString(): name="value".
func (a *XAttr) String() string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;")
	return a.Name + `="` + r.Replace(a.Value) + `"`
}

func xmlText(e *etree.Element) string {
	if e == nil {
		return ""
	}
	d := etree.NewDocument()
	c := e.Copy()
	resolveNamespaces(c, nil) // built elements' namespaces become prefixes or xmlns
	d.SetRoot(c)
	indentNET(c, 1)
	s, _ := d.WriteToString()
	return strings.TrimRight(s, "\n")
}

// indentNET indents e's content by two spaces a level as .NET's
// XmlWriter does: an element holding text (or CDATA) is mixed content,
// written as it is with everything inside it; elsewhere whitespace-only
// text goes and each child starts a line.
func indentNET(e *etree.Element, depth int) {
	for _, c := range e.Child {
		if cd, ok := c.(*etree.CharData); ok && !cd.IsWhitespace() {
			return // mixed content
		}
	}
	var kept []etree.Token
	for _, c := range e.Child {
		if _, ok := c.(*etree.CharData); !ok {
			kept = append(kept, c)
		}
	}
	for _, c := range append([]etree.Token(nil), e.Child...) {
		e.RemoveChild(c)
	}
	if len(kept) == 0 {
		return
	}
	pad := "\n" + strings.Repeat("  ", depth)
	for _, c := range kept {
		e.CreateText(pad)
		e.AddChild(c)
		if ce, ok := c.(*etree.Element); ok {
			indentNET(ce, depth+1)
		}
	}
	e.CreateText("\n" + strings.Repeat("  ", depth-1))
}

// parseXML reads a document as .NET's XDocument.Parse does (one root
// element, well-formed), or fails with an XmlException.
func parseXML(v any) (*etree.Element, error) {
	s, ok := v.(string)
	if !ok {
		return nil, argNull("text")
	}
	d := etree.NewDocument()
	if err := d.ReadFromString(s); err != nil {
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "etree: "), "XML syntax error on ")
		return nil, exc("XmlException", "The XML is not well-formed: %s", msg)
	}
	if d.Root() == nil {
		return nil, exc("XmlException", "Root element is missing.")
	}
	return d.Root(), nil
}

// xmlValue is XElement.Value: the text of the element and all its
// descendants, in document order.
// elemText is XElement.Value: the text of e and all its descendants.
func elemText(e *etree.Element) string {
	var b strings.Builder
	xmlValue(e, &b)
	return b.String()
}

func xmlValue(e *etree.Element, b *strings.Builder) {
	for _, c := range e.Child {
		switch t := c.(type) {
		case *etree.CharData:
			b.WriteString(t.Data)
		case *etree.Element:
			xmlValue(t, b)
		}
	}
}

// xmlMatch reports whether e has the name: "" matches every element, an
// XName "{uri}local" the element of that namespace and local name, and a
// bare name the local name in any namespace (see docs/expressions-csharp.md).
func xmlMatch(e *etree.Element, name string) bool {
	if name == "" {
		return true
	}
	if strings.HasPrefix(name, "{") {
		if i := strings.IndexByte(name, '}'); i > 0 {
			return e.Tag == name[i+1:] && elemNS(e) == name[1:i]
		}
	}
	return e.Tag == name
}

// elemNS is an element's namespace URI: a built element keeps it in its
// Space as "{uri}" (see xmlbuild.go), a parsed one has it from xmlns.
func elemNS(e *etree.Element) string {
	if strings.HasPrefix(e.Space, "{") {
		return e.Space[1 : len(e.Space)-1]
	}
	return e.NamespaceURI()
}

// xnameJoin is XNamespace + local: "{uri}local" ("local" for no namespace).
var xnameJoin *builtin

func xmlDescendants(e *etree.Element, name string, out []any) []any {
	for _, c := range e.ChildElements() {
		if xmlMatch(c, name) {
			out = append(out, &XElem{c})
		}
		out = xmlDescendants(c, name, out)
	}
	return out
}

// optName is the name argument of Elements(name) and Descendants(name),
// "" (every element) without one.
func optName(a []any) string {
	if len(a) > 1 {
		name, _ := a[1].(string)
		return name
	}
	return ""
}

// xmlNode is the element a receiver stands for: an XDocument's root or
// the XElement itself (nil for null).
func xmlNode(v any) *etree.Element {
	switch x := v.(type) {
	case *XDoc:
		if x != nil {
			return x.root
		}
	case *XElem:
		if x != nil {
			return x.e
		}
	}
	return nil
}

func registerXML() {
	S := tString
	xnameJoin = reg(&builtin{key: "XName.join", run: func(a []any) (any, error) {
		ns, _ := a[0].(string)
		local, ok := a[1].(string)
		if !ok || local == "" {
			return nil, exc("ArgumentException", "The empty string '' is not a valid local name.")
		}
		if ns == "" {
			return local, nil
		}
		return "{" + ns + "}" + local, nil
	}})
	staticProp("XNamespace", "None", tXNS, func([]any) (any, error) { return "", nil }, func([]string) string { return `""` })
	staticProp("XNamespace", "Xmlns", tXNS, func([]any) (any, error) { return "http://www.w3.org/2000/xmlns/", nil }, nil)
	static("XNamespace", "Get", ts(S), tXNS, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("namespaceName")
		}
		return s, nil
	}, nil)
	prop(KXNamespace, "NamespaceName", S, func(a []any) (any, error) { return a[0], nil }, nil)
	method(KXNamespace, "ToString", ts(), S, func(a []any) (any, error) { return a[0], nil }, nil)
	// Elements and Descendants of a sequence of elements (System.Xml.Linq's
	// Extensions): each element's, in order.
	seqOf := func(pick func(e *etree.Element, name string, out []any) []any) func(a []any) (any, error) {
		return func(a []any) (any, error) {
			it, err := items(a[0])
			if err != nil {
				return nil, err
			}
			name := optName(a)
			out := []any{}
			for _, x := range it {
				if e := xmlNode(x); e != nil {
					out = pick(e, name, out)
				}
			}
			return out, nil
		}
	}
	children := func(e *etree.Element, name string, out []any) []any {
		for _, c := range e.ChildElements() {
			if xmlMatch(c, name) {
				out = append(out, &XElem{c})
			}
		}
		return out
	}
	method(KArray, "Elements", ts(), arrayOf(tXElem), seqOf(children), nil)
	method(KArray, "Elements", ts(S), arrayOf(tXElem), seqOf(children), nil)
	method(KArray, "Descendants", ts(), arrayOf(tXElem), seqOf(xmlDescendants), nil)
	method(KArray, "Descendants", ts(S), arrayOf(tXElem), seqOf(xmlDescendants), nil)
	static("XDocument", "Parse", ts(S), tXDoc, func(a []any) (any, error) {
		r, err := parseXML(a[0])
		if err != nil {
			return nil, err
		}
		return &XDoc{r}, nil
	}, nil)
	static("XElement", "Parse", ts(S), tXElem, func(a []any) (any, error) {
		r, err := parseXML(a[0])
		if err != nil {
			return nil, err
		}
		return &XElem{r}, nil
	}, nil)
	prop(KXDoc, "Root", tXElem, func(a []any) (any, error) {
		d, ok := a[0].(*XDoc)
		if !ok || d == nil {
			return nil, errNull
		}
		return &XElem{d.root}, nil
	}, nil)
	for _, k := range []Kind{KXDoc, KXElem} {
		isDoc := k == KXDoc
		// Element(name): the first child element with that name, or null.
		// On an XDocument the only child is the root.
		method(k, "Element", ts(S), tXElem, func(a []any) (any, error) {
			e := xmlNode(a[0])
			if e == nil {
				return nil, errNull
			}
			name, _ := a[1].(string)
			if isDoc {
				if xmlMatch(e, name) && name != "" {
					return &XElem{e}, nil
				}
				return nil, nil
			}
			for _, c := range e.ChildElements() {
				if xmlMatch(c, name) && name != "" {
					return &XElem{c}, nil
				}
			}
			return nil, nil
		}, nil)
		elements := func(a []any) (any, error) {
			e := xmlNode(a[0])
			if e == nil {
				return nil, errNull
			}
			name := optName(a)
			out := []any{}
			if isDoc {
				if xmlMatch(e, name) {
					out = append(out, &XElem{e})
				}
				return out, nil
			}
			for _, c := range e.ChildElements() {
				if xmlMatch(c, name) {
					out = append(out, &XElem{c})
				}
			}
			return out, nil
		}
		method(k, "Elements", ts(), arrayOf(tXElem), elements, nil)
		method(k, "Elements", ts(S), arrayOf(tXElem), elements, nil)
		descendants := func(a []any) (any, error) {
			e := xmlNode(a[0])
			if e == nil {
				return nil, errNull
			}
			name := optName(a)
			out := []any{}
			if isDoc && xmlMatch(e, name) {
				out = append(out, &XElem{e})
			}
			return xmlDescendants(e, name, out), nil
		}
		method(k, "Descendants", ts(), arrayOf(tXElem), descendants, nil)
		method(k, "Descendants", ts(S), arrayOf(tXElem), descendants, nil)
	}
	method(KXElem, "Attribute", ts(S), tXAttr, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		name, _ := a[1].(string)
		if strings.HasPrefix(name, "{") { // an XName with a namespace
			if i := strings.IndexByte(name, '}'); i > 0 {
				for _, at := range e.Attr {
					if at.Key == name[i+1:] && at.NamespaceURI() == name[1:i] {
						return &XAttr{Name: at.FullKey(), Value: at.Value}, nil
					}
				}
			}
			return nil, nil
		}
		if at := e.SelectAttr(name); at != nil {
			return &XAttr{Name: at.FullKey(), Value: at.Value}, nil
		}
		return nil, nil
	}, nil)
	prop(KXElem, "Value", S, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		return elemText(e), nil
	}, nil)
	prop(KXElem, "Name", tXName, func(a []any) (any, error) {
		e := xmlNode(a[0])
		if e == nil {
			return nil, errNull
		}
		return e.Tag, nil
	}, nil)
	for _, p := range []string{"Name", "Value"} {
		p := p
		prop(KXAttr, p, S, func(a []any) (any, error) {
			at, ok := a[0].(*XAttr)
			if !ok || at == nil {
				return nil, errNull
			}
			if p == "Name" {
				return at.Name, nil
			}
			return at.Value, nil
		}, nil)
	}
	prop(KXNode, "Value", S, func(a []any) (any, error) {
		n, ok := a[0].(*XNode)
		if !ok || n == nil {
			return nil, errNull
		}
		return n.Value, nil
	}, nil)
	for _, k := range []Kind{KXDoc, KXElem, KXAttr, KXNode} {
		method(k, "ToString", ts(), S, func(a []any) (any, error) { return callToString(a[0]) }, nil)
	}
}

// xmlConvert is XElement's and XAttribute's explicit conversions ((string),
// (int), (double), (bool) of an element or attribute): its value, read as
// XmlConvert reads it (surrounding whitespace trimmed; "1" and "0" are
// booleans, "INF" and "NaN" doubles), or XmlConvert's FormatException.
func xmlConvert(v any, t *Type) (any, error) {
	var s string
	switch x := v.(type) {
	case *XElem:
		if x.e == nil {
			return nil, errNull
		}
		s = elemText(x.e)
	case *XAttr:
		s = x.Value
	}
	if t.K == KString {
		return s, nil
	}
	trimmed := strings.Trim(s, " \t\n\r")
	bad := func(netType string) error {
		return exc("FormatException", "The string '%s' is not a valid %s value.", s, netType)
	}
	switch t.K {
	case KInt:
		n, err := strconv.ParseInt(trimmed, 10, 64)
		if err != nil {
			return nil, bad("Int64")
		}
		return int(n), nil
	case KDouble:
		switch trimmed {
		case "INF":
			return math.Inf(1), nil
		case "-INF":
			return math.Inf(-1), nil
		case "NaN":
			return math.NaN(), nil
		}
		f, err := strconv.ParseFloat(trimmed, 64)
		if err != nil || strings.ContainsAny(trimmed, "xXpP_") || strings.EqualFold(trimmed, "inf") || strings.EqualFold(trimmed, "infinity") {
			return nil, bad("Double")
		}
		return f, nil
	case KBool:
		switch trimmed {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, bad("Boolean")
	}
	return nil, castErr(v, t.Name)
}

// tXName is XName: an element's Name (its local name here) is a string
// everywhere, with LocalName.
var tXName = &Type{K: KString, Name: "XName"}

// xnameProps are XName's members, bound where the type is tXName.
var xnameProps = map[string]*builtin{
	"LocalName": reg(&builtin{key: "XName.LocalName", result: tString, run: func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, errNull
		}
		_, local := splitXName(s)
		return local, nil
	}}),
}
