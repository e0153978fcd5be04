package csharp

import (
	"encoding/xml"
	"math"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// XML as System.Xml.Linq has it. Values are views onto an etree tree: an
// XDoc is a document, an XElem an element, an XNode any other node (text,
// CDATA, comment, processing instruction, document type) and an XAttr an
// attribute, so what a member changes through one view the others see, as
// with .NET's objects. A document is an etree document's own element (its
// Tag is "" and it has no parent) holding the root and the nodes around it;
// its XML declaration is a ProcInst "xml" in it (etree reads it so), which
// no listing shows, as .NET keeps it apart in XDocument.Declaration. An
// element .NET has as empty-but-not-IsEmpty (`<a></a>`, content "") holds
// an empty CharData, which no listing shows either.

// XDoc is an XDocument: d is the document's own element, or (as
// Body.As<XDocument> makes it) its root, whose parent that is.
type XDoc struct{ d *etree.Element }

// XElem is an XElement.
type XElem struct{ e *etree.Element }

// XAttr is an XAttribute: on element e (nil when the attribute is on no
// element) as Space and Key there; Name ("{uri}local" or "local") and
// Value are what it had when last read, and all it is while on none.
type XAttr struct {
	Name, Value string
	e           *etree.Element
	space, key  string
}

// XNode is an XText, XCData, XComment, XProcessingInstruction or
// XDocumentType: an etree CharData, Comment, ProcInst or Directive.
type XNode struct{ t etree.Token }

// XDecl is an XDeclaration: each field a string or nil.
type XDecl struct{ version, encoding, standalone any }

// doc is the document's own element (nil for an empty XDoc).
func (x *XDoc) doc() *etree.Element {
	if x == nil || x.d == nil {
		return nil
	}
	if isDocElement(x.d) {
		return x.d
	}
	if p := x.d.Parent(); p != nil && isDocElement(p) {
		x.d = p
		return p
	}
	c := &etree.NewDocument().Element // a root on no document: give it one
	c.AddChild(x.d)
	x.d = c
	return c
}

// rootElem is the document's root element, or nil.
func (x *XDoc) rootElem() *etree.Element {
	d := x.doc()
	if d == nil {
		return nil
	}
	for _, c := range d.Child {
		if e, ok := c.(*etree.Element); ok {
			return e
		}
	}
	return nil
}

// isDocElement reports whether e is a document's own element (the parent
// of its root), which .NET has as the XDocument, not an element.
func isDocElement(e *etree.Element) bool { return e != nil && e.Tag == "" && e.Parent() == nil }

// newDocElement is an empty document.
func newDocElement() *etree.Element { return &etree.NewDocument().Element }

// find is the attribute in its element, or nil when it is on none.
func (a *XAttr) find() *etree.Attr {
	if a == nil || a.e == nil {
		return nil
	}
	for i := range a.e.Attr {
		if at := &a.e.Attr[i]; at.Space == a.space && at.Key == a.key {
			return at
		}
	}
	a.e = nil // removed from its element by other means
	return nil
}

// newXAttrView is the attribute at of element e.
func newXAttrView(e *etree.Element, at *etree.Attr) *XAttr {
	return &XAttr{Name: attrXName(at), Value: at.Value, e: e, space: at.Space, key: at.Key}
}

// attrXName is an attribute's name as an XName: "{uri}local" in a
// namespace, "local" in none.
func attrXName(at *etree.Attr) string {
	switch {
	case at.Space == "xmlns":
		return "{" + xmlnsURI + "}" + at.Key
	case strings.HasPrefix(at.Space, "{"):
		return at.Space + at.Key
	case at.Space == "xml":
		return "{http://www.w3.org/XML/1998/namespace}" + at.Key
	case at.Space != "":
		if uri := at.NamespaceURI(); uri != "" {
			return "{" + uri + "}" + at.Key
		}
	}
	return at.Key
}

// value is the attribute's value now.
func (a *XAttr) value() string {
	if at := a.find(); at != nil {
		a.Value = at.Value
	}
	return a.Value
}

// localName is the attribute's Name here: its local name (see
// docs/expressions-csharp.md), "xmlns" for a default namespace declaration.
func (a *XAttr) localName() string {
	if a.e != nil && a.find() != nil {
		return a.key
	}
	_, local := splitXName(a.Name)
	return local
}

// nodeKind is the .NET class of a node: XText, XCData, XComment,
// XProcessingInstruction, XDocumentType.
func (n *XNode) nodeKind() string {
	switch t := n.t.(type) {
	case *etree.CharData:
		if t.IsCData() {
			return "XCData"
		}
		return "XText"
	case *etree.Comment:
		return "XComment"
	case *etree.ProcInst:
		return "XProcessingInstruction"
	case *etree.Directive:
		return "XDocumentType"
	}
	return "XNode"
}

// value is XText's, XCData's and XComment's Value (a processing
// instruction's Data, a document type's text otherwise).
func (n *XNode) value() string {
	switch t := n.t.(type) {
	case *etree.CharData:
		return t.Data
	case *etree.Comment:
		return t.Data
	case *etree.ProcInst:
		return t.Inst
	case *etree.Directive:
		return t.Data
	}
	return ""
}

// String is the node as .NET writes it: escaped text, a CDATA section, a
// comment, a processing instruction, a document type.
func (n *XNode) String() string { return tokenText(n.t, true) }

// String is XDocument.ToString(): its nodes, the root indented by two
// spaces, without the declaration.
func (x *XDoc) String() string { return docText(x.doc(), true) }

// String is XElement.ToString(): indented by two spaces.
func (x *XElem) String() string { return xmlText(x.e, true) }

// String is XAttribute.ToString(): name="value".
func (a *XAttr) String() string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;")
	name := a.Name
	if at := a.find(); at != nil {
		name = at.FullKey()
		if strings.HasPrefix(at.Space, "{") {
			name = at.Key
		}
	} else if uri, local := splitXName(a.Name); uri == xmlnsURI {
		name = "xmlns:" + local
	} else if uri != "" {
		name = local
	}
	return name + `="` + r.Replace(a.value()) + `"`
}

// String is XDeclaration.ToString(): <?xml version="1.0" encoding="utf-8"?>.
func (d *XDecl) String() string {
	var b strings.Builder
	b.WriteString("<?xml")
	for _, f := range []struct {
		n string
		v any
	}{{"version", d.version}, {"encoding", d.encoding}, {"standalone", d.standalone}} {
		if s, ok := f.v.(string); ok {
			b.WriteString(" " + f.n + `="` + s + `"`)
		}
	}
	b.WriteString("?>")
	return b.String()
}

// declText is the ProcInst text of a declaration.
func (d *XDecl) declText() string {
	s := d.String()
	return strings.TrimSpace(s[len("<?xml") : len(s)-2])
}

// parseDecl reads an XML declaration's pseudo-attributes.
func parseDecl(inst string) *XDecl {
	d := &XDecl{}
	for _, f := range []string{"version", "encoding", "standalone"} {
		i := strings.Index(inst, f)
		if i < 0 {
			continue
		}
		rest := strings.TrimLeft(inst[i+len(f):], " \t\r\n")
		if !strings.HasPrefix(rest, "=") {
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
		if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
			continue
		}
		if j := strings.IndexByte(rest[1:], rest[0]); j >= 0 {
			v := rest[1 : 1+j]
			switch f {
			case "version":
				d.version = v
			case "encoding":
				d.encoding = v
			default:
				d.standalone = v
			}
		}
	}
	return d
}

// xmlText writes element e as .NET does, indented or not
// (SaveOptions.DisableFormatting).
func xmlText(e *etree.Element, indent bool) string {
	if e == nil {
		return ""
	}
	d := etree.NewDocument()
	c := e.Copy()
	resolveNamespaces(c, inScope(e.Parent())) // built elements' namespaces become prefixes or xmlns
	splitCData(c)
	d.SetRoot(c)
	if indent {
		indentNET(c, 1)
	}
	// As .NET's XmlWriter escapes: &, < and > in text (quotes stay), &, <,
	// ", tab, newline and return in attribute values (and '>', by
	// netSelfClose).
	d.WriteSettings.CanonicalText = true
	d.WriteSettings.CanonicalAttrVal = true
	s, _ := d.WriteToString()
	return netSelfClose(strings.TrimRight(s, "\n"))
}

// netSelfClose finishes etree's output as .NET's XmlWriter writes tags:
// empty elements "<a />" where etree writes "<a/>", and '>' in an
// attribute value as "&gt;" (etree's CanonicalAttrVal leaves it). Text
// escapes '<' and '>' and values escape '"', so each '<' starts a tag, a
// comment, a CDATA section or a processing instruction (the last three
// are copied as they are) and quotes inside a tag delimit values.
func netSelfClose(s string) string {
	if !strings.Contains(s, "/>") && !strings.Contains(s, "=\"") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "<!--"):
			j := skipPast(s, i+4, "-->")
			b.WriteString(s[i:j])
			i = j
		case strings.HasPrefix(s[i:], "<![CDATA["):
			j := skipPast(s, i+9, "]]>")
			b.WriteString(s[i:j])
			i = j
		case strings.HasPrefix(s[i:], "<?"):
			j := skipPast(s, i+2, "?>")
			b.WriteString(s[i:j])
			i = j
		case s[i] == '<':
			i = netTag(&b, s, i)
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

// netTag writes the tag that starts at s[i] and returns where it ends.
func netTag(b *strings.Builder, s string, i int) int {
	b.WriteByte('<')
	inValue := false
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '"':
			inValue = !inValue
		case inValue && c == '>':
			b.WriteString("&gt;")
			continue
		case !inValue && c == '/' && j+1 < len(s) && s[j+1] == '>':
			if s[j-1] != ' ' {
				b.WriteByte(' ')
			}
			b.WriteString("/>")
			return j + 2
		case !inValue && c == '>':
			b.WriteByte('>')
			return j + 1
		}
		b.WriteByte(c)
	}
	return len(s)
}

// skipPast is the index just after the first end at or after i (len(s)
// when there is none).
func skipPast(s string, i int, end string) int {
	if j := strings.Index(s[i:], end); j >= 0 {
		return i + j + len(end)
	}
	return len(s)
}

// inScope is the namespaces declared on e and its ancestors (URI to
// prefix), for writing one of its descendants alone.
func inScope(e *etree.Element) map[string]string {
	var chain []*etree.Element
	for p := e; p != nil && !isDocElement(p); p = p.Parent() {
		chain = append(chain, p)
	}
	if len(chain) == 0 {
		return nil
	}
	scope := map[string]string{}
	for i := len(chain) - 1; i >= 0; i-- {
		for _, a := range chain[i].Attr {
			switch {
			case a.Space == "xmlns":
				scope[a.Value] = a.Key
			case a.Space == "" && a.Key == "xmlns":
				scope[a.Value] = ""
			}
		}
	}
	return scope
}

// docText writes a document's nodes (not its declaration), each on a line
// when indented.
func docText(d *etree.Element, indent bool) string {
	if d == nil {
		return ""
	}
	var parts []string
	for _, c := range d.Child {
		if !visibleToken(c) {
			continue
		}
		parts = append(parts, tokenText(c, indent))
	}
	if indent {
		return strings.Join(parts, "\n")
	}
	return strings.Join(parts, "")
}

// tokenText writes one node as .NET's ToString does.
func tokenText(t etree.Token, indent bool) string {
	switch x := t.(type) {
	case *etree.Element:
		return xmlText(x, indent)
	case *etree.CharData:
		if x.IsCData() {
			var b strings.Builder
			for _, sec := range cdataSections(x.Data) {
				b.WriteString("<![CDATA[" + sec + "]]>")
			}
			return b.String()
		}
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(x.Data)
	case *etree.Comment:
		return "<!--" + x.Data + "-->"
	case *etree.ProcInst:
		if x.Inst == "" {
			return "<?" + x.Target + "?>"
		}
		return "<?" + x.Target + " " + x.Inst + "?>"
	case *etree.Directive:
		return parseDoctype(x.Data).String()
	}
	return ""
}

// splitCData writes a CDATA value holding "]]>" as .NET does: in sections.
func splitCData(e *etree.Element) {
	for i := 0; i < len(e.Child); i++ {
		switch c := e.Child[i].(type) {
		case *etree.Element:
			splitCData(c)
		case *etree.CharData:
			if c.IsCData() && strings.Contains(c.Data, "]]>") {
				secs := cdataSections(c.Data)
				e.RemoveChildAt(i)
				for j, s := range secs {
					e.InsertChildAt(i+j, etree.NewCData(s))
				}
				i += len(secs) - 1
			}
		}
	}
}

// indentNET indents e's content by two spaces a level as .NET's
// XmlWriter does: an element holding text (or CDATA) is mixed content,
// written as it is with everything inside it; elsewhere each child starts a
// line.
func indentNET(e *etree.Element, depth int) {
	for _, c := range e.Child {
		if cd, ok := c.(*etree.CharData); ok && cd.Data != "" {
			return // mixed content
		}
	}
	var kept []etree.Token
	for _, c := range e.Child {
		if _, ok := c.(*etree.CharData); !ok {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		return // empty, or <a></a>
	}
	for _, c := range append([]etree.Token(nil), e.Child...) {
		e.RemoveChild(c)
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

// Load options, as System.Xml.Linq.LoadOptions.
const (
	loadPreserveWhitespace = 1
)

// parseXML reads a document as .NET's XDocument.Parse does (one root
// element, well-formed), or fails with an XmlException; the root is in its
// document. Whitespace-only text goes, as .NET drops insignificant
// whitespace, unless preserve (LoadOptions.PreserveWhitespace) or
// xml:space="preserve" keeps it. A DTD is read but none of its entities
// expanded: a reference to one is an XmlException.
func parseXML(v any, opts ...int) (*etree.Element, error) {
	s, ok := v.(string)
	if !ok {
		return nil, argNull("text")
	}
	d := etree.NewDocument()
	d.ReadSettings.PreserveCData = true
	if err := d.ReadFromString(s); err != nil {
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "etree: "), "XML syntax error on ")
		return nil, exc("XmlException", "The XML is not well-formed: %s", msg)
	}
	if d.Root() == nil {
		return nil, exc("XmlException", "Root element is missing.")
	}
	preserve := len(opts) > 0 && opts[0]&loadPreserveWhitespace != 0
	doc := &d.Element
	for _, c := range append([]etree.Token(nil), doc.Child...) {
		if cd, ok := c.(*etree.CharData); ok && !cd.IsCData() && (!preserve || isSpace(cd.Data)) {
			doc.RemoveChild(c) // text around the root: whitespace, which a document holds none of
		}
	}
	stripSpace(d.Root(), preserve)
	markNotEmpty(d.Root(), s)
	return d.Root(), nil
}

func isSpace(s string) bool { return strings.Trim(s, " \t\r\n") == "" }

// stripSpace drops e's whitespace-only text, unless preserve or
// xml:space="preserve".
func stripSpace(e *etree.Element, preserve bool) {
	if sp := e.SelectAttr("xml:space"); sp != nil {
		preserve = sp.Value == "preserve"
	}
	for _, c := range append([]etree.Token(nil), e.Child...) {
		switch x := c.(type) {
		case *etree.CharData:
			if !preserve && !x.IsCData() && isSpace(x.Data) {
				e.RemoveChild(c)
			}
		case *etree.Element:
			stripSpace(x, preserve)
		}
	}
}

// markNotEmpty gives each element written <a></a> (or holding only
// whitespace that went) an empty text, which .NET has as content "" (not
// IsEmpty, written <a></a>); <a/> stays without.
func markNotEmpty(root *etree.Element, src string) {
	var empties []*etree.Element
	var walk func(e *etree.Element)
	found := false
	walk = func(e *etree.Element) {
		empties = append(empties, e)
		if len(e.Child) == 0 {
			found = true
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(root)
	if !found {
		return
	}
	// The i-th start tag is the i-th element in document order; <a/> gives
	// its end without reading further.
	dec := xml.NewDecoder(strings.NewReader(src))
	dec.Strict = false
	var stack []int
	n := 0
	for {
		before := dec.InputOffset()
		tok, err := dec.RawToken()
		if err != nil {
			return
		}
		switch tok.(type) {
		case xml.StartElement:
			stack = append(stack, n)
			n++
		case xml.EndElement:
			if len(stack) == 0 {
				return
			}
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if dec.InputOffset() != before && i < len(empties) && len(empties[i].Child) == 0 {
				empties[i].CreateText("")
			}
		}
	}
}

// elemText is XElement.Value: the text of e and all its descendants, in
// document order.
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
			return x.rootElem()
		}
	case *XElem:
		if x != nil {
			return x.e
		}
	}
	return nil
}

// xmlContainer is the etree element holding an XContainer's nodes: an
// element, or a document's own element.
func xmlContainer(v any) *etree.Element {
	switch x := v.(type) {
	case *XDoc:
		return x.doc()
	case *XElem:
		if x != nil {
			return x.e
		}
	}
	return nil
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
		s = x.value()
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
	return nil, exc("InvalidCastException", "Unable to cast object of type '%s' to type '%s'.", xmlNetName(v), t.Name)
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
	"NamespaceName": reg(&builtin{key: "XName.NamespaceName", result: tString, run: func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, errNull
		}
		uri, _ := splitXName(s)
		return uri, nil
	}}),
	"Namespace": reg(&builtin{key: "XName.Namespace", result: tXNS, run: func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, errNull
		}
		uri, _ := splitXName(s)
		return uri, nil
	}}),
}

// doctype is a document type declaration's parts: nil for what it has not.
type doctype struct {
	name                       string
	publicID, systemID, subset any
}

// parseDoctype reads "DOCTYPE name PUBLIC "p" "s" [subset]".
func parseDoctype(data string) *doctype {
	s := strings.TrimSpace(strings.TrimPrefix(data, "DOCTYPE"))
	d := &doctype{}
	i := strings.IndexAny(s, " \t\r\n[")
	if i < 0 {
		d.name = s
		return d
	}
	d.name, s = s[:i], strings.TrimSpace(s[i:])
	quoted := func() any {
		s = strings.TrimSpace(s)
		if s == "" || (s[0] != '"' && s[0] != '\'') {
			return nil
		}
		j := strings.IndexByte(s[1:], s[0])
		if j < 0 {
			return nil
		}
		v := s[1 : 1+j]
		s = s[2+j:]
		return v
	}
	switch {
	case strings.HasPrefix(s, "PUBLIC"):
		s = s[len("PUBLIC"):]
		d.publicID = quoted()
		d.systemID = quoted()
	case strings.HasPrefix(s, "SYSTEM"):
		s = s[len("SYSTEM"):]
		d.systemID = quoted()
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		d.subset = s[1 : len(s)-1]
	}
	return d
}

// String writes the document type as .NET's XmlWriter does.
func (d *doctype) String() string {
	s := "<!DOCTYPE " + d.name
	if p, ok := d.publicID.(string); ok {
		sys, _ := d.systemID.(string)
		s += ` PUBLIC "` + p + `" "` + sys + `"`
	} else if sys, ok := d.systemID.(string); ok {
		s += ` SYSTEM "` + sys + `"`
	}
	if sub, ok := d.subset.(string); ok && sub != "" {
		s += "[" + sub + "]"
	}
	return s + ">"
}

// data is the directive text of a document type.
func (d *doctype) data() string {
	s := d.String()
	return s[2 : len(s)-1]
}
