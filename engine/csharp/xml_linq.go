package csharp

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	"github.com/beevik/etree"
)

// System.Xml.Linq's classes, members and extensions (the ones APIM allows):
// the class tree, each member registered on its class and the classes
// deriving from it, casts between the classes, OfType<T>() and == as .NET's
// reference equality of nodes.

var (
	tXObject     = &Type{K: KXObject, Name: "XObject"}
	tXNodeT      = &Type{K: KXNodeBase, Name: "XNode"}
	tXContainer  = &Type{K: KXContainer, Name: "XContainer"}
	tXPI         = &Type{K: KXPI, Name: "XProcessingInstruction"}
	tXDocType    = &Type{K: KXDocType, Name: "XDocumentType"}
	tXDecl       = &Type{K: KXDecl, Name: "XDeclaration"}
	tXEqCmp      = &Type{K: KXComparer, Name: "XNodeEqualityComparer"}
	tXOrderCmp   = &Type{K: KXComparer, Name: "XNodeDocumentOrderComparer"}
	tXmlNodeType = &Type{K: KString, Name: "XmlNodeType"} // its member's name at run time, as AddressFamily
	tSaveOptions = &Type{K: KInt, Name: "SaveOptions"}
	tLoadOptions = &Type{K: KInt, Name: "LoadOptions"}
)

// xmlTypes are the type names lookupTypeRef resolves here.
var xmlTypes = map[string]*Type{
	"XObject": tXObject, "XNode": tXNodeT, "XContainer": tXContainer, "XProcessingInstruction": tXPI,
	"XDocumentType": tXDocType, "XDeclaration": tXDecl, "XNodeEqualityComparer": tXEqCmp,
	"XNodeDocumentOrderComparer": tXOrderCmp, "XmlNodeType": tXmlNodeType, "Xml.XmlNodeType": tXmlNodeType,
	"SaveOptions": tSaveOptions, "LoadOptions": tLoadOptions,
}

func init() {
	for k, n := range map[Kind]string{KXObject: "XObject", KXNodeBase: "XNode*", KXContainer: "XContainer",
		KXPI: "XProcessingInstruction", KXDocType: "XDocumentType", KXDecl: "XDeclaration", KXComparer: "XNodeComparer"} {
		kindNames[k] = n
	}
}

// xmlSub is each abstract class and the kinds deriving from it.
var xmlSub = map[Kind][]Kind{
	KXObject:    {KXObject, KXAttr, KXNodeBase, KXContainer, KXElem, KXDoc, KXNode, KXPI, KXDocType},
	KXNodeBase:  {KXNodeBase, KXContainer, KXElem, KXDoc, KXNode, KXPI, KXDocType},
	KXContainer: {KXContainer, KXElem, KXDoc},
}

func kindsOf(k Kind) []Kind {
	if s := xmlSub[k]; s != nil {
		return s
	}
	return []Kind{k}
}

// xmlKind reports whether k is one of System.Xml.Linq's classes.
func xmlKind(k Kind) bool {
	switch k {
	case KXObject, KXNodeBase, KXContainer, KXElem, KXDoc, KXAttr, KXNode, KXPI, KXDocType, KXDecl, KXComparer:
		return true
	}
	return false
}

// xmlUpcast reports whether from derives from to (an implicit conversion).
func xmlUpcast(from, to *Type) bool {
	if from.K == to.K || !xmlKind(from.K) || !xmlKind(to.K) {
		return false
	}
	for _, k := range xmlSub[to.K] {
		if k == from.K {
			return true
		}
	}
	return false
}

// xmlRelated reports whether a cast between from and to may succeed.
func xmlRelated(from, to *Type) bool {
	return from.K == to.K && xmlKind(from.K) || xmlUpcast(from, to) || xmlUpcast(to, from)
}

// xmeth registers a method on class k and the classes deriving from it;
// a last object[] parameter is params.
func xmeth(k Kind, name string, params []*Type, result *Type, run func(a []any) (any, error)) {
	for _, kk := range kindsOf(k) {
		method(kk, name, params, result, run, nil)
		if n := len(params); n > 0 && params[n-1] == tObjects {
			ms := methods[kk][name]
			ms[len(ms)-1].vararg = true
		}
	}
}

// xprop registers a property on class k and the classes deriving from it.
func xprop(k Kind, name string, result *Type, run func(a []any) (any, error)) {
	for _, kk := range kindsOf(k) {
		prop(kk, name, result, run, nil)
	}
}

// xstatic registers a static member under key (static's keys count the
// parameters only).
func xstatic(typ, name, key string, params []*Type, result *Type, run func(a []any) (any, error)) *builtin {
	if statics[typ] == nil {
		statics[typ] = table{}
	}
	b := reg(&builtin{key: key, params: params, result: result, run: run})
	statics[typ][name] = append(statics[typ][name], b)
	return b
}

// visibleToken reports whether a listing shows t: not a document's
// declaration, a directive other than DOCTYPE, or the empty text of
// <a></a>.
func visibleToken(t etree.Token) bool {
	switch x := t.(type) {
	case *etree.CharData:
		return x.Data != "" || x.IsCData()
	case *etree.ProcInst:
		return x.Target != "xml"
	case *etree.Directive:
		return strings.HasPrefix(x.Data, "DOCTYPE")
	}
	return true
}

// wrap is the value of node t.
func wrap(t etree.Token) any {
	if e, ok := t.(*etree.Element); ok {
		return &XElem{e}
	}
	return &XNode{t}
}

func nodesOf(c *etree.Element) []any {
	out := []any{}
	for _, t := range c.Child {
		if visibleToken(t) {
			out = append(out, wrap(t))
		}
	}
	return out
}

func descendantNodes(c *etree.Element, out []any) []any {
	for _, t := range c.Child {
		if !visibleToken(t) {
			continue
		}
		out = append(out, wrap(t))
		if e, ok := t.(*etree.Element); ok {
			out = descendantNodes(e, out)
		}
	}
	return out
}

// ancestors are t's ancestor elements with the name, the nearest first.
func ancestors(t etree.Token, name string, out []any) []any {
	for p := t.Parent(); p != nil && !isDocElement(p); p = p.Parent() {
		if xmlMatch(p, name) {
			out = append(out, &XElem{p})
		}
	}
	return out
}

// xmlNetName is a value's .NET type name, for cast errors.
func xmlNetName(v any) string {
	switch x := v.(type) {
	case *XElem:
		return "System.Xml.Linq.XElement"
	case *XDoc:
		return "System.Xml.Linq.XDocument"
	case *XAttr:
		return "System.Xml.Linq.XAttribute"
	case *XNode:
		return "System.Xml.Linq." + x.nodeKind()
	case *XDecl:
		return "System.Xml.Linq.XDeclaration"
	}
	return netName(v)
}

// xmlIsA reports whether v is of XML class t.
func xmlIsA(v any, t *Type) bool {
	var k Kind
	switch x := v.(type) {
	case *XElem:
		k = KXElem
	case *XDoc:
		k = KXDoc
	case *XAttr:
		k = KXAttr
	case *XDecl:
		k = KXDecl
	case *xcomparer:
		return t.K == KXComparer && t.Name == x.name
	case *XNode:
		switch x.nodeKind() {
		case "XProcessingInstruction":
			k = KXPI
		case "XDocumentType":
			k = KXDocType
		default:
			k = KXNode
			if t.K == KXNode {
				return t.Name == x.nodeKind() || t.Name == "XText" && x.nodeKind() == "XCData"
			}
		}
	default:
		return false
	}
	for _, kk := range kindsOf(t.K) {
		if kk == k {
			return true
		}
	}
	return false
}

// xmlCast is a C# cast to or from an XML class at run time: ok is false
// when neither side is one.
func xmlCast(v any, t *Type) (any, bool, error) {
	if xmlKind(t.K) {
		if v == nil || isNilPtr(v) {
			return nil, true, nil
		}
		if xmlIsA(v, t) {
			return v, true, nil
		}
		return nil, true, exc("InvalidCastException", "Unable to cast object of type '%s' to type 'System.Xml.Linq.%s'.", xmlNetName(v), t.Name)
	}
	switch v.(type) {
	case *XElem, *XAttr:
		if t.K == KObject {
			return v, true, nil
		}
		r, err := xmlConvert(v, t)
		return r, true, err
	case *XNode, *XDoc, *XDecl, *xcomparer:
		if t.K == KObject {
			return v, true, nil
		}
		return nil, true, exc("InvalidCastException", "Unable to cast object of type '%s' to type '%s'.", xmlNetName(v), t.Name)
	}
	return nil, false, nil
}

// xmlSame is == between two XML objects: the same node (ok is false when
// a or b is not one).
func xmlSame(a, b any) (same, ok bool) {
	id := func(v any) (any, bool) {
		switch x := v.(type) {
		case *XElem:
			return x.e, x != nil
		case *XNode:
			return x.t, x != nil
		case *XDoc:
			return x.doc(), x != nil
		case *XAttr:
			if x != nil && x.find() != nil {
				return [3]any{x.e, x.space, x.key}, true
			}
			return x, x != nil
		}
		return nil, false
	}
	ia, oka := id(a)
	ib, okb := id(b)
	if !oka || !okb {
		return false, false
	}
	return ia == ib, true
}

// xmlSame is the builtin == of XML objects lowers to.
var xmlSameBuiltin = reg(&builtin{key: "XNode.same", run: func(a []any) (any, error) { return equalNET(a[0], a[1]), nil }})

// xmlSameCall is == (or !=) of two XML objects, lowered.
func xmlSameCall(op, l, r string) string {
	call := "$csCall(" + quote(xmlSameBuiltin.key) + ", " + l + ", " + r + ")"
	if op == "!=" {
		return "!" + call
	}
	return call
}

// xnameMember binds a member of an XName (n.Name of an XName-typed n.X):
// on an element's or attribute's Name, the element's or attribute's own
// namespace is read (the Name itself is the local name).
func xnameMember(n *Member) *builtin {
	if inner, ok := n.X.(*Member); ok && inner.Name == "Name" && !inner.Cond && !n.Cond && inner.X.typ() != nil {
		if k := inner.X.typ().K; k == KXElem || k == KXAttr {
			if p := byKey["XElement.Name."+n.Name]; p != nil {
				n.X = inner.X
				return p
			}
		}
	}
	return xnameProps[n.Name]
}

// nameNS is an element's or attribute's namespace URI.
func nameNS(v any) (string, error) {
	switch x := v.(type) {
	case *XElem:
		if x != nil {
			return elemNS(x.e), nil
		}
	case *XAttr:
		if x != nil {
			uri, _ := splitXName(x.Name)
			if at := x.find(); at != nil {
				uri, _ = splitXName(attrXName(at))
			}
			return uri, nil
		}
	}
	return "", errNull
}

// xmlGeneric binds OfType<T>(), Cast<T>() and InDocumentOrder() on a
// sequence (ok is false for other calls).
func (b *binder) xmlGeneric(n *Call, m *Member, xt *Type) (*Type, bool, error) {
	name := m.Name
	if name == "InDocumentOrder" && xt.K == KArray && len(n.Args) == 0 && m.TypeArgs == nil {
		n.method = byKey["Extensions.InDocumentOrder"]
		return xt, true, nil
	}
	if (name != "OfType" && name != "Cast") || len(m.TypeArgs) != 1 {
		return nil, false, nil
	}
	elem := b.seqElem(xt)
	if elem == nil {
		return nil, false, nil
	}
	to, ok := b.m.lookupTypeRef(m.TypeArgs[0])
	if !ok {
		return nil, true, b.unknownType(m.TypeArgs[0])
	}
	if len(n.Args) != 0 {
		return nil, true, b.errf(m.NameOff, "no overload for method '%s' takes %d arguments", name, len(n.Args))
	}
	bi := byKey[name+"<"+to.Name+">"]
	if bi == nil {
		return nil, true, b.errf(m.TypeArgs[0].Off, "%s<%s> is not supported: T must be one of System.Xml.Linq's classes, string, int, long, double, bool, object, JToken, JObject or JArray", name, m.TypeArgs[0])
	}
	n.method = bi
	return arrayOf(to), true, nil
}

// registerOfType registers OfType<T> and Cast<T> for the types they take.
func registerOfType() {
	for _, t := range []*Type{tXObject, tXNodeT, tXContainer, tXElem, tXDoc, tXAttr, tXText, tXCData, tXComment, tXPI, tXDocType,
		tString, tInt, tLong, tDouble, tBool, tObject, tJToken, tJObject, tJArray, tMatch, tGroup, tCapture} {
		t := t
		reg(&builtin{key: "OfType<" + t.Name + ">", run: func(a []any) (any, error) {
			it, err := items(a[0])
			if err != nil {
				return nil, err
			}
			out := []any{}
			for _, x := range it {
				if isType(&Model{}, x, t) && (t.K != KString || isStr(x)) {
					out = append(out, x)
				}
			}
			return out, nil
		}})
		reg(&builtin{key: "Cast<" + t.Name + ">", run: func(a []any) (any, error) {
			it, err := items(a[0])
			if err != nil {
				return nil, err
			}
			out := make([]any, 0, len(it))
			for _, x := range it {
				v, err := (&Model{}).castTo(x, t)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			return out, nil
		}})
	}
}

func isStr(v any) bool {
	_, ok := v.(string)
	return ok
}

// nodeType is XObject.NodeType: an XmlNodeType member's name.
func nodeType(v any) (any, error) {
	switch x := v.(type) {
	case *XElem:
		return "Element", nil
	case *XDoc:
		return "Document", nil
	case *XAttr:
		return "Attribute", nil
	case *XNode:
		switch x.nodeKind() {
		case "XCData":
			return "CDATA", nil
		case "XComment":
			return "Comment", nil
		case "XProcessingInstruction":
			return "ProcessingInstruction", nil
		case "XDocumentType":
			return "DocumentType", nil
		}
		return "Text", nil
	}
	return nil, errNull
}

// xmlNodeTypes are XmlNodeType's members.
var xmlNodeTypes = []string{"None", "Element", "Attribute", "Text", "CDATA", "EntityReference", "Entity", "ProcessingInstruction",
	"Comment", "Document", "DocumentType", "DocumentFragment", "Notation", "Whitespace", "SignificantWhitespace", "EndElement",
	"EndEntity", "XmlDeclaration"}

// parentOf is XObject.Parent: the element holding it, or null.
func parentOf(v any) (any, error) {
	var p *etree.Element
	switch x := v.(type) {
	case *XDoc:
		return nil, nil
	case *XAttr:
		if x == nil {
			return nil, errNull
		}
		if x.find() == nil {
			return nil, nil
		}
		return &XElem{x.e}, nil
	default:
		t := xmlToken(v)
		if t == nil {
			return nil, errNull
		}
		p = t.Parent()
	}
	if p == nil || isDocElement(p) {
		return nil, nil // the root's parent is its document: null, as in .NET
	}
	return &XElem{p}, nil
}

// documentOf is XObject.Document: the document it is in, or null.
func documentOf(v any) (any, error) {
	var t etree.Token
	switch x := v.(type) {
	case *XDoc:
		return x, nil
	case *XAttr:
		if x == nil {
			return nil, errNull
		}
		if x.find() == nil {
			return nil, nil
		}
		t = x.e
	default:
		if t = xmlToken(v); t == nil {
			return nil, errNull
		}
	}
	for {
		p := t.Parent()
		if p == nil {
			break
		}
		t = p
	}
	if e, ok := t.(*etree.Element); ok && isDocElement(e) {
		return &XDoc{e}, nil
	}
	return nil, nil
}

// docOrderKey is where t stands: its topmost ancestor and the child
// indexes down to it.
func docOrderKey(v any) (top any, path []int) {
	var t etree.Token
	switch x := v.(type) {
	case *XDoc:
		return x.doc(), nil
	default:
		if t = xmlToken(v); t == nil {
			return v, nil // an attribute: by itself
		}
	}
	for t.Parent() != nil {
		path = append(path, t.Index())
		t = t.Parent()
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return t, path
}

// compareDocOrder is XNode.CompareDocumentOrder: -1, 0 or 1; null comes
// first; nodes of different trees are an InvalidOperationException.
func compareDocOrder(a, b any) (int, error) {
	if isNilPtr(a) {
		a = nil
	}
	if isNilPtr(b) {
		b = nil
	}
	return nullCompare(a, b, compareDocOrderOf)
}

// compareDocOrderOf is compareDocOrder of two nodes that are not null.
func compareDocOrderOf(a, b any) (int, error) {
	ta, pa := docOrderKey(a)
	tb, pb := docOrderKey(b)
	if ta != tb {
		return 0, exc("InvalidOperationException", "A common ancestor is missing.")
	}
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] != pb[i] {
			if pa[i] < pb[i] {
				return -1, nil
			}
			return 1, nil
		}
	}
	switch {
	case len(pa) < len(pb):
		return -1, nil
	case len(pa) > len(pb):
		return 1, nil
	}
	return 0, nil
}

// deepEquals is XNode.DeepEquals: same kind, name, attributes (in order),
// value, and content (comments and processing instructions in an element
// left out).
func deepEquals(a, b any) bool {
	if isNilPtr(a) {
		a = nil
	}
	if isNilPtr(b) {
		b = nil
	}
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) {
	case *XDoc:
		y, ok := b.(*XDoc)
		return ok && tokensEqual(x.doc(), y.doc())
	case *XElem:
		y, ok := b.(*XElem)
		return ok && tokensEqual(x.e, y.e)
	case *XNode:
		y, ok := b.(*XNode)
		return ok && tokensEqual(x.t, y.t)
	}
	return false
}

func tokensEqual(a, b etree.Token) bool {
	switch x := a.(type) {
	case *etree.Element:
		y, ok := b.(*etree.Element)
		if !ok || x.Tag != y.Tag || elemNS(x) != elemNS(y) || len(x.Attr) != len(y.Attr) {
			return false
		}
		for i := range x.Attr {
			if x.Attr[i].Key != y.Attr[i].Key || attrXName(&x.Attr[i]) != attrXName(&y.Attr[i]) || x.Attr[i].Value != y.Attr[i].Value {
				return false
			}
		}
		ca, cb := contentNodes(x), contentNodes(y)
		if len(ca) != len(cb) {
			return false
		}
		for i := range ca {
			if !tokensEqual(ca[i], cb[i]) {
				return false
			}
		}
		return true
	case *etree.CharData:
		y, ok := b.(*etree.CharData)
		return ok && x.IsCData() == y.IsCData() && x.Data == y.Data
	case *etree.Comment:
		y, ok := b.(*etree.Comment)
		return ok && x.Data == y.Data
	case *etree.ProcInst:
		y, ok := b.(*etree.ProcInst)
		return ok && x.Target == y.Target && x.Inst == y.Inst
	case *etree.Directive:
		y, ok := b.(*etree.Directive)
		return ok && *parseDoctype(x.Data) == *parseDoctype(y.Data)
	}
	return false
}

// contentNodes are what DeepEquals compares of a container: its nodes, an
// element's without comments and processing instructions.
func contentNodes(e *etree.Element) []etree.Token {
	var out []etree.Token
	for _, t := range e.Child {
		if !visibleToken(t) {
			continue
		}
		if !isDocElement(e) {
			switch t.(type) {
			case *etree.Comment, *etree.ProcInst:
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

// xcomparer is XNodeEqualityComparer or XNodeDocumentOrderComparer.
type xcomparer struct{ name string }

func (c *xcomparer) String() string { return "System.Xml.Linq." + c.name }

// deepHash is XNodeEqualityComparer.GetHashCode: equal for deep-equal nodes.
func deepHash(v any) int {
	h := fnv.New32a()
	var walk func(t etree.Token)
	walk = func(t etree.Token) {
		switch x := t.(type) {
		case *etree.Element:
			fmt.Fprintf(h, "<%s|%s", elemNS(x), x.Tag)
			for i := range x.Attr {
				fmt.Fprintf(h, " %s=%s", attrXName(&x.Attr[i]), x.Attr[i].Value)
			}
			for _, c := range contentNodes(x) {
				walk(c)
			}
			h.Write([]byte(">"))
		default:
			h.Write([]byte(tokenText(t, false)))
		}
	}
	switch x := v.(type) {
	case *XDoc:
		walk(x.doc())
	case *XElem:
		walk(x.e)
	case *XNode:
		walk(x.t)
	}
	return int(int32(h.Sum32()))
}

// elemOf is the *etree.Element of an XElement argument, or the error for null.
func elemOf(v any) (*etree.Element, error) {
	if e := xmlNode(v); e != nil {
		if _, isDoc := v.(*XDoc); !isDoc {
			return e, nil
		}
	}
	return nil, errNull
}

// nsLookup walks e and its ancestors for a namespace declaration.
func nsLookup(e *etree.Element, match func(a etree.Attr) (string, bool)) (string, bool) {
	for p := e; p != nil && !isDocElement(p); p = p.Parent() {
		for _, a := range p.Attr {
			if s, ok := match(a); ok {
				return s, true
			}
		}
	}
	return "", false
}

const xmlNSURI = "http://www.w3.org/XML/1998/namespace"

func registerXML() {
	S, B, I, O := tString, tBool, tInt, tObject
	XN, XE, XA := tXNodeT, tXElem, tXAttr
	registerOfType()
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
	// ---- XNamespace, XName
	staticProp("XNamespace", "None", tXNS, func([]any) (any, error) { return "", nil }, func([]string) string { return `""` })
	staticProp("XNamespace", "Xmlns", tXNS, func([]any) (any, error) { return xmlnsURI, nil }, nil)
	staticProp("XNamespace", "Xml", tXNS, func([]any) (any, error) { return xmlNSURI, nil }, nil)
	static("XNamespace", "Get", ts(S), tXNS, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("namespaceName")
		}
		return s, nil
	}, nil)
	prop(KXNamespace, "NamespaceName", S, func(a []any) (any, error) { return a[0], nil }, nil)
	method(KXNamespace, "ToString", ts(), S, func(a []any) (any, error) { return a[0], nil }, nil)
	method(KXNamespace, "GetName", ts(S), tXName, func(a []any) (any, error) { return xnameJoin.run(a) }, nil)
	static("XName", "Get", ts(S), tXName, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("expandedName")
		}
		if _, local := splitXName(s); local == "" {
			return nil, exc("ArgumentException", "The empty string '' is not a valid local name.")
		}
		return s, nil
	}, nil)
	static("XName", "Get", ts(S, S), tXName, func(a []any) (any, error) { return xnameJoin.run([]any{a[1], a[0]}) }, nil)
	for _, p := range []string{"LocalName", "NamespaceName", "Namespace"} {
		p := p
		res := S
		if p == "Namespace" {
			res = tXNS
		}
		reg(&builtin{key: "XElement.Name." + p, result: res, run: func(a []any) (any, error) {
			if p == "LocalName" {
				switch x := a[0].(type) {
				case *XElem:
					return x.e.Tag, nil
				case *XAttr:
					return x.localName(), nil
				}
				return nil, errNull
			}
			return nameNS(a[0])
		}})
	}
	// ---- enums
	for _, n := range xmlNodeTypes {
		n := n
		staticProp("XmlNodeType", n, tXmlNodeType, func([]any) (any, error) { return n, nil }, nil)
	}
	for i, n := range []string{"None", "DisableFormatting", "OmitDuplicateNamespaces"} {
		i := i
		staticProp("SaveOptions", n, tSaveOptions, func([]any) (any, error) { return i, nil }, nil)
	}
	for n, v := range map[string]int{"None": 0, "PreserveWhitespace": 1, "SetBaseUri": 2, "SetLineInfo": 4} {
		v := v
		staticProp("LoadOptions", n, tLoadOptions, func([]any) (any, error) { return v, nil }, nil)
	}
	// ---- parsing
	parse := func(doc bool) func(a []any) (any, error) {
		return func(a []any) (any, error) {
			opts := 0
			if len(a) > 1 {
				opts, _ = a[1].(int)
			}
			r, err := parseXML(a[0], opts)
			if err != nil {
				return nil, err
			}
			if doc {
				return &XDoc{r.Parent()}, nil
			}
			r.Parent().RemoveChild(r) // an element on its own
			return &XElem{r}, nil
		}
	}
	static("XDocument", "Parse", ts(S), tXDoc, parse(true), nil)
	static("XDocument", "Parse", ts(S, tLoadOptions), tXDoc, parse(true), nil)
	static("XElement", "Parse", ts(S), tXElem, parse(false), nil)
	static("XElement", "Parse", ts(S, tLoadOptions), tXElem, parse(false), nil)
	staticProp("XElement", "EmptySequence", arrayOf(XE), func([]any) (any, error) { return []any{}, nil }, nil)
	staticProp("XAttribute", "EmptySequence", arrayOf(XA), func([]any) (any, error) { return []any{}, nil }, nil)
	// ---- XObject
	xprop(KXObject, "Parent", XE, func(a []any) (any, error) { return parentOf(a[0]) })
	xprop(KXObject, "Document", tXDoc, func(a []any) (any, error) { return documentOf(a[0]) })
	xprop(KXObject, "NodeType", tXmlNodeType, func(a []any) (any, error) { return nodeType(a[0]) })
	xprop(KXObject, "BaseUri", S, func(a []any) (any, error) { return "", nil })
	// ---- XNode
	tokenOf := func(v any) (etree.Token, error) {
		if d, ok := v.(*XDoc); ok {
			if d == nil {
				return nil, errNull
			}
			return d.doc(), nil
		}
		if t := xmlToken(v); t != nil {
			return t, nil
		}
		return nil, errNull
	}
	step := func(next bool) func(a []any) (any, error) {
		return func(a []any) (any, error) {
			t, err := tokenOf(a[0])
			if err != nil {
				return nil, err
			}
			p := t.Parent()
			if p == nil {
				return nil, nil
			}
			for i := t.Index(); ; {
				if next {
					i++
				} else {
					i--
				}
				if i < 0 || i >= len(p.Child) {
					return nil, nil
				}
				if visibleToken(p.Child[i]) {
					return wrap(p.Child[i]), nil
				}
			}
		}
	}
	xprop(KXNodeBase, "NextNode", XN, step(true))
	xprop(KXNodeBase, "PreviousNode", XN, step(false))
	// siblings lists the nodes after (or before, in document order) a node,
	// the elements among them with the name when elems.
	siblings := func(after, elems bool) func(a []any) (any, error) {
		return func(a []any) (any, error) {
			t, err := tokenOf(a[0])
			if err != nil {
				return nil, err
			}
			out := []any{}
			p := t.Parent()
			if p == nil {
				return out, nil
			}
			name := optName(a)
			lo, hi := 0, t.Index()
			if after {
				lo, hi = t.Index()+1, len(p.Child)
			}
			for _, c := range p.Child[lo:hi] {
				if !visibleToken(c) {
					continue
				}
				if elems {
					if e, ok := c.(*etree.Element); !ok || !xmlMatch(e, name) {
						continue
					}
				}
				out = append(out, wrap(c))
			}
			return out, nil
		}
	}
	xmeth(KXNodeBase, "NodesAfterSelf", ts(), arrayOf(XN), siblings(true, false))
	xmeth(KXNodeBase, "NodesBeforeSelf", ts(), arrayOf(XN), siblings(false, false))
	for _, ps := range [][]*Type{ts(), ts(S)} {
		xmeth(KXNodeBase, "ElementsAfterSelf", ps, arrayOf(XE), siblings(true, true))
		xmeth(KXNodeBase, "ElementsBeforeSelf", ps, arrayOf(XE), siblings(false, true))
		xmeth(KXNodeBase, "Ancestors", ps, arrayOf(XE), func(a []any) (any, error) {
			t, err := tokenOf(a[0])
			if err != nil {
				return nil, err
			}
			return ancestors(t, optName(a), []any{}), nil
		})
	}
	order := func(after bool) func(a []any) (any, error) {
		return func(a []any) (any, error) {
			if _, err := tokenOf(a[0]); err != nil {
				return nil, err
			}
			c, err := compareDocOrder(a[0], a[1])
			if after {
				return c > 0, err
			}
			return c < 0, err
		}
	}
	xmeth(KXNodeBase, "IsAfter", ts(XN), B, order(true))
	xmeth(KXNodeBase, "IsBefore", ts(XN), B, order(false))
	toString := func(a []any) (any, error) {
		indent := true
		if len(a) > 1 {
			o, _ := a[1].(int)
			indent = o&1 == 0
		}
		switch x := a[0].(type) {
		case *XDoc:
			return docText(x.doc(), indent), nil
		case *XElem:
			return xmlText(x.e, indent), nil
		case *XNode:
			return tokenText(x.t, indent), nil
		}
		return callToString(a[0])
	}
	xmeth(KXNodeBase, "ToString", ts(), S, toString)
	xmeth(KXNodeBase, "ToString", ts(tSaveOptions), S, toString)
	for _, k := range []Kind{KXAttr, KXDecl, KXComparer} {
		method(k, "ToString", ts(), S, func(a []any) (any, error) { return callToString(a[0]) }, nil)
	}
	static("XNode", "DeepEquals", ts(XN, XN), B, func(a []any) (any, error) { return deepEquals(a[0], a[1]), nil }, nil)
	static("XNode", "CompareDocumentOrder", ts(XN, XN), I, func(a []any) (any, error) { return compareDocOrder(a[0], a[1]) }, nil)
	staticProp("XNode", "EqualityComparer", tXEqCmp, func([]any) (any, error) { return &xcomparer{"XNodeEqualityComparer"}, nil }, nil)
	staticProp("XNode", "DocumentOrderComparer", tXOrderCmp, func([]any) (any, error) { return &xcomparer{"XNodeDocumentOrderComparer"}, nil }, nil)
	static("XNodeEqualityComparer", "new", ts(), tXEqCmp, func([]any) (any, error) { return &xcomparer{"XNodeEqualityComparer"}, nil }, nil)
	static("XNodeDocumentOrderComparer", "new", ts(), tXOrderCmp, func([]any) (any, error) { return &xcomparer{"XNodeDocumentOrderComparer"}, nil }, nil)
	method(KXComparer, "Equals", ts(XN, XN), B, func(a []any) (any, error) { return deepEquals(a[1], a[2]), nil }, nil)
	method(KXComparer, "GetHashCode", ts(XN), I, func(a []any) (any, error) {
		if isNilPtr(a[1]) || a[1] == nil {
			return 0, nil
		}
		return deepHash(a[1]), nil
	}, nil)
	method(KXComparer, "Compare", ts(XN, XN), I, func(a []any) (any, error) { return compareDocOrder(a[1], a[2]) }, nil)
	// ---- XContainer
	contOf := func(v any) (*etree.Element, error) {
		if c := xmlContainer(v); c != nil {
			return c, nil
		}
		return nil, errNull
	}
	xmeth(KXContainer, "Nodes", ts(), arrayOf(XN), func(a []any) (any, error) {
		c, err := contOf(a[0])
		if err != nil {
			return nil, err
		}
		return nodesOf(c), nil
	})
	end := func(last bool) func(a []any) (any, error) {
		return func(a []any) (any, error) {
			c, err := contOf(a[0])
			if err != nil {
				return nil, err
			}
			ns := nodesOf(c)
			switch {
			case len(ns) == 0:
				return nil, nil
			case last:
				return ns[len(ns)-1], nil
			}
			return ns[0], nil
		}
	}
	xprop(KXContainer, "FirstNode", XN, end(false))
	xprop(KXContainer, "LastNode", XN, end(true))
	xmeth(KXContainer, "DescendantNodes", ts(), arrayOf(XN), func(a []any) (any, error) {
		c, err := contOf(a[0])
		if err != nil {
			return nil, err
		}
		return descendantNodes(c, []any{}), nil
	})
	// Element(name): the first child element with that name, or null.
	xmeth(KXContainer, "Element", ts(S), XE, func(a []any) (any, error) {
		c, err := contOf(a[0])
		if err != nil {
			return nil, err
		}
		name, _ := a[1].(string)
		for _, e := range c.ChildElements() {
			if xmlMatch(e, name) && name != "" {
				return &XElem{e}, nil
			}
		}
		return nil, nil
	})
	children := func(e *etree.Element, name string, out []any) []any {
		for _, c := range e.ChildElements() {
			if xmlMatch(c, name) {
				out = append(out, &XElem{c})
			}
		}
		return out
	}
	// descendantsOf: a document's descendants are its root and the root's.
	descendantsOf := func(c *etree.Element, name string, out []any) []any {
		if isDocElement(c) {
			for _, r := range c.ChildElements() {
				if xmlMatch(r, name) {
					out = append(out, &XElem{r})
				}
				out = xmlDescendants(r, name, out)
			}
			return out
		}
		return xmlDescendants(c, name, out)
	}
	for _, ps := range [][]*Type{ts(), ts(S)} {
		xmeth(KXContainer, "Elements", ps, arrayOf(XE), func(a []any) (any, error) {
			c, err := contOf(a[0])
			if err != nil {
				return nil, err
			}
			return children(c, optName(a), []any{}), nil
		})
		xmeth(KXContainer, "Descendants", ps, arrayOf(XE), func(a []any) (any, error) {
			c, err := contOf(a[0])
			if err != nil {
				return nil, err
			}
			return descendantsOf(c, optName(a), []any{}), nil
		})
	}
	// ---- XDocument
	prop(KXDoc, "Root", XE, func(a []any) (any, error) {
		d, ok := a[0].(*XDoc)
		if !ok || d == nil {
			return nil, errNull
		}
		if r := d.rootElem(); r != nil {
			return &XElem{r}, nil
		}
		return nil, nil
	}, nil)
	prop(KXDoc, "Declaration", tXDecl, func(a []any) (any, error) {
		d, ok := a[0].(*XDoc)
		if !ok || d == nil {
			return nil, errNull
		}
		for _, t := range d.doc().Child {
			if pi, ok := t.(*etree.ProcInst); ok && pi.Target == "xml" {
				return parseDecl(pi.Inst), nil
			}
		}
		return nil, nil
	}, nil)
	prop(KXDoc, "DocumentType", tXDocType, func(a []any) (any, error) {
		d, ok := a[0].(*XDoc)
		if !ok || d == nil {
			return nil, errNull
		}
		for _, t := range d.doc().Child {
			if dt, ok := t.(*etree.Directive); ok && visibleToken(dt) {
				return &XNode{dt}, nil
			}
		}
		return nil, nil
	}, nil)
	// ---- XElement
	elemProp := func(name string, res *Type, f func(e *etree.Element) any) {
		prop(KXElem, name, res, func(a []any) (any, error) {
			e, err := elemOf(a[0])
			if err != nil {
				return nil, err
			}
			return f(e), nil
		}, nil)
	}
	elemProp("Value", S, func(e *etree.Element) any { return elemText(e) })
	elemProp("Name", tXName, func(e *etree.Element) any { return e.Tag })
	elemProp("HasAttributes", B, func(e *etree.Element) any { return len(e.Attr) > 0 })
	elemProp("HasElements", B, func(e *etree.Element) any { return len(e.ChildElements()) > 0 })
	elemProp("IsEmpty", B, func(e *etree.Element) any { return len(e.Child) == 0 })
	elemProp("FirstAttribute", XA, func(e *etree.Element) any {
		if len(e.Attr) == 0 {
			return nil
		}
		return newXAttrView(e, &e.Attr[0])
	})
	elemProp("LastAttribute", XA, func(e *etree.Element) any {
		if len(e.Attr) == 0 {
			return nil
		}
		return newXAttrView(e, &e.Attr[len(e.Attr)-1])
	})
	xmeth(KXElem, "Attribute", ts(S), XA, func(a []any) (any, error) {
		e, err := elemOf(a[0])
		if err != nil {
			return nil, err
		}
		name, _ := a[1].(string)
		if at := findAttr(e, name); at != nil {
			return newXAttrView(e, at), nil
		}
		return nil, nil
	})
	attrsOf := func(e *etree.Element, name string, out []any) []any {
		if name != "" {
			if at := findAttr(e, name); at != nil {
				out = append(out, newXAttrView(e, at))
			}
			return out
		}
		for i := range e.Attr {
			out = append(out, newXAttrView(e, &e.Attr[i]))
		}
		return out
	}
	andSelf := func(pick func(e *etree.Element, name string, out []any) []any, self bool) func(e *etree.Element, name string, out []any) []any {
		return func(e *etree.Element, name string, out []any) []any {
			if self && xmlMatch(e, name) {
				out = append(out, &XElem{e})
			}
			return pick(e, name, out)
		}
	}
	ancestorsOf := func(e *etree.Element, name string, out []any) []any { return ancestors(e, name, out) }
	for _, ps := range [][]*Type{ts(), ts(S)} {
		for name, pick := range map[string]func(e *etree.Element, name string, out []any) []any{
			"Attributes":         attrsOf,
			"AncestorsAndSelf":   andSelf(ancestorsOf, true),
			"DescendantsAndSelf": andSelf(xmlDescendants, true),
		} {
			res := arrayOf(XE)
			if name == "Attributes" {
				res = arrayOf(XA)
			}
			xmeth(KXElem, name, ps, res, func(a []any) (any, error) {
				e, err := elemOf(a[0])
				if err != nil {
					return nil, err
				}
				return pick(e, optName(a), []any{}), nil
			})
		}
	}
	xmeth(KXElem, "DescendantNodesAndSelf", ts(), arrayOf(XN), func(a []any) (any, error) {
		e, err := elemOf(a[0])
		if err != nil {
			return nil, err
		}
		return descendantNodes(e, []any{&XElem{e}}), nil
	})
	xmeth(KXElem, "GetDefaultNamespace", ts(), tXNS, func(a []any) (any, error) {
		e, err := elemOf(a[0])
		if err != nil {
			return nil, err
		}
		uri, _ := nsLookup(e, func(at etree.Attr) (string, bool) { return at.Value, at.Space == "" && at.Key == "xmlns" })
		return uri, nil
	})
	xmeth(KXElem, "GetNamespaceOfPrefix", ts(S), tXNS, func(a []any) (any, error) {
		e, err := elemOf(a[0])
		if err != nil {
			return nil, err
		}
		prefix, ok := a[1].(string)
		if !ok {
			return nil, argNull("prefix")
		}
		switch prefix {
		case "":
			return nil, exc("ArgumentException", "The empty string '' is not a valid prefix.")
		case "xml":
			return xmlNSURI, nil
		case "xmlns":
			return xmlnsURI, nil
		}
		if uri, ok := nsLookup(e, func(at etree.Attr) (string, bool) { return at.Value, at.Space == "xmlns" && at.Key == prefix }); ok {
			return uri, nil
		}
		return nil, nil
	})
	xmeth(KXElem, "GetPrefixOfNamespace", ts(tXNS), S, func(a []any) (any, error) {
		e, err := elemOf(a[0])
		if err != nil {
			return nil, err
		}
		uri, ok := a[1].(string)
		if !ok {
			return nil, argNull("ns")
		}
		switch uri {
		case xmlNSURI:
			return "xml", nil
		case xmlnsURI:
			return "xmlns", nil
		}
		if p, ok := nsLookup(e, func(at etree.Attr) (string, bool) { return at.Key, at.Space == "xmlns" && at.Value == uri }); ok {
			return p, nil
		}
		return nil, nil
	})
	// ---- XAttribute
	attrOf := func(v any) (*XAttr, error) {
		x, ok := v.(*XAttr)
		if !ok || x == nil {
			return nil, errNull
		}
		return x, nil
	}
	prop(KXAttr, "Name", tXName, func(a []any) (any, error) {
		x, err := attrOf(a[0])
		if err != nil {
			return nil, err
		}
		if x.find() == nil { // on no element: the name it was made with
			return x.Name, nil
		}
		return x.localName(), nil
	}, nil)
	prop(KXAttr, "Value", S, func(a []any) (any, error) {
		x, err := attrOf(a[0])
		if err != nil {
			return nil, err
		}
		return x.value(), nil
	}, nil)
	prop(KXAttr, "IsNamespaceDeclaration", B, func(a []any) (any, error) {
		x, err := attrOf(a[0])
		if err != nil {
			return nil, err
		}
		uri, local := splitXName(x.Name)
		return uri == xmlnsURI || uri == "" && local == "xmlns", nil
	}, nil)
	for _, next := range []bool{true, false} {
		next := next
		name := "PreviousAttribute"
		if next {
			name = "NextAttribute"
		}
		prop(KXAttr, name, XA, func(a []any) (any, error) {
			x, err := attrOf(a[0])
			if err != nil {
				return nil, err
			}
			if x.find() == nil {
				return nil, nil
			}
			for i := range x.e.Attr {
				if at := &x.e.Attr[i]; at.Space == x.space && at.Key == x.key {
					j := i - 1
					if next {
						j = i + 1
					}
					if j < 0 || j >= len(x.e.Attr) {
						return nil, nil
					}
					return newXAttrView(x.e, &x.e.Attr[j]), nil
				}
			}
			return nil, nil
		}, nil)
	}
	// ---- XText, XCData, XComment; XProcessingInstruction; XDocumentType
	nodeOf := func(v any) (*XNode, error) {
		n, ok := v.(*XNode)
		if !ok || n == nil {
			return nil, errNull
		}
		return n, nil
	}
	prop(KXNode, "Value", S, func(a []any) (any, error) {
		n, err := nodeOf(a[0])
		if err != nil {
			return nil, err
		}
		return n.value(), nil
	}, nil)
	prop(KXPI, "Target", S, func(a []any) (any, error) {
		n, err := nodeOf(a[0])
		if err != nil {
			return nil, err
		}
		return n.t.(*etree.ProcInst).Target, nil
	}, nil)
	prop(KXPI, "Data", S, func(a []any) (any, error) {
		n, err := nodeOf(a[0])
		if err != nil {
			return nil, err
		}
		return n.t.(*etree.ProcInst).Inst, nil
	}, nil)
	for _, p := range []string{"Name", "PublicId", "SystemId", "InternalSubset"} {
		p := p
		prop(KXDocType, p, S, func(a []any) (any, error) {
			n, err := nodeOf(a[0])
			if err != nil {
				return nil, err
			}
			d := parseDoctype(n.t.(*etree.Directive).Data)
			switch p {
			case "Name":
				return d.name, nil
			case "PublicId":
				return d.publicID, nil
			case "SystemId":
				return d.systemID, nil
			}
			if d.subset == nil {
				return "", nil
			}
			return d.subset, nil
		}, nil)
	}
	// ---- XDeclaration
	for _, p := range []string{"Version", "Encoding", "Standalone"} {
		p := p
		prop(KXDecl, p, S, func(a []any) (any, error) {
			d, ok := a[0].(*XDecl)
			if !ok || d == nil {
				return nil, errNull
			}
			switch p {
			case "Version":
				return d.version, nil
			case "Encoding":
				return d.encoding, nil
			}
			return d.standalone, nil
		}, nil)
	}
	// ---- Extensions: on a sequence, each item's, in order
	seqOf := func(pick func(x any, name string, out []any) ([]any, error)) func(a []any) (any, error) {
		return func(a []any) (any, error) {
			it, err := items(a[0])
			if err != nil {
				return nil, err
			}
			name := optName(a)
			out := []any{}
			for _, x := range it {
				if x == nil || isNilPtr(x) {
					continue // .NET skips null items
				}
				if out, err = pick(x, name, out); err != nil {
					return nil, err
				}
			}
			return out, nil
		}
	}
	onElem := func(f func(e *etree.Element, name string, out []any) []any) func(x any, name string, out []any) ([]any, error) {
		return func(x any, name string, out []any) ([]any, error) {
			e, ok := x.(*XElem)
			if !ok {
				if c := xmlContainer(x); c != nil { // a document's, in Elements and Descendants
					return f(c, name, out), nil
				}
				return out, nil
			}
			return f(e.e, name, out), nil
		}
	}
	onCont := func(f func(c *etree.Element, out []any) []any) func(x any, name string, out []any) ([]any, error) {
		return func(x any, name string, out []any) ([]any, error) {
			if c := xmlContainer(x); c != nil {
				return f(c, out), nil
			}
			return out, nil
		}
	}
	onNode := func(x any, name string, out []any) ([]any, error) {
		if t := xmlToken(x); t != nil {
			return ancestors(t, name, out), nil
		}
		return out, nil
	}
	for _, ps := range [][]*Type{ts(), ts(S)} {
		method(KArray, "Elements", ps, arrayOf(XE), seqOf(onElem(children)), nil)
		method(KArray, "Descendants", ps, arrayOf(XE), seqOf(onElem(descendantsOf)), nil)
		method(KArray, "Attributes", ps, arrayOf(XA), seqOf(onElem(attrsOf)), nil)
		method(KArray, "Ancestors", ps, arrayOf(XE), seqOf(onNode), nil)
		method(KArray, "AncestorsAndSelf", ps, arrayOf(XE), seqOf(onElem(andSelf(ancestorsOf, true))), nil)
		method(KArray, "DescendantsAndSelf", ps, arrayOf(XE), seqOf(onElem(andSelf(xmlDescendants, true))), nil)
	}
	method(KArray, "Nodes", ts(), arrayOf(XN), seqOf(onCont(func(c *etree.Element, out []any) []any { return append(out, nodesOf(c)...) })), nil)
	method(KArray, "DescendantNodes", ts(), arrayOf(XN), seqOf(onCont(descendantNodes)), nil)
	method(KArray, "DescendantNodesAndSelf", ts(), arrayOf(XN), seqOf(onElem(func(e *etree.Element, _ string, out []any) []any {
		return descendantNodes(e, append(out, &XElem{e}))
	})), nil)
	method(KArray, "Remove", ts(), tVoid, func(a []any) (any, error) {
		it, err := items(a[0])
		if err != nil {
			return nil, err
		}
		for _, x := range append([]any(nil), it...) {
			switch v := x.(type) {
			case *XAttr:
				if v != nil && v.find() != nil {
					v.e.RemoveAttr(fullKey(v.space, v.key))
					v.e = nil
				}
			default:
				if t := xmlToken(x); t != nil {
					if err := removeNode(t); err != nil {
						return nil, err
					}
				}
			}
		}
		return nil, nil
	}, nil)
	reg(&builtin{key: "Extensions.InDocumentOrder", run: func(a []any) (any, error) {
		it, err := items(a[0])
		if err != nil {
			return nil, err
		}
		out := append([]any(nil), it...)
		var cmpErr error
		sort.SliceStable(out, func(i, j int) bool {
			c, err := compareDocOrder(out[i], out[j])
			if err != nil && cmpErr == nil {
				cmpErr = err
			}
			return c < 0
		})
		if cmpErr != nil {
			return nil, cmpErr
		}
		if out == nil {
			out = []any{}
		}
		return out, nil
	}})
	_ = O
}

// APIM's table of the .NET types policy expressions allow lists
// System.Xml.Linq's classes and System.Xml.XmlNodeType, and nothing else of
// System.Xml: not System.Xml.XPath's Extensions (XPathSelectElement,
// XPathSelectElements, XPathEvaluate, CreateNavigator), not the DOM
// (XmlDocument, XmlNode, SelectSingleNode), XmlNamespaceManager or
// XmlReader. Texts that use them are load errors that say so.

const (
	xpathNotAllowed  = ` (APIM does not allow System.Xml.XPath's Extensions in policy expressions: use LINQ to XML, e.g. doc.Descendants("item").FirstOrDefault(), e.Element(ns + "name"), (string)e.Attribute("id"))`
	xmlDOMNotAllowed = ` (APIM does not allow System.Xml's DOM, readers and XPath in policy expressions: use System.Xml.Linq, XDocument.Parse(s) or Body.As<XDocument>())`
)

// xpathMemberHint explains a member of System.Xml.XPath's Extensions, or of
// the DOM's XmlNode, looked for on a LINQ to XML object ("" for other names
// and types).
func xpathMemberHint(name string, t *Type) string {
	switch t.K {
	case KXDoc, KXElem, KXAttr, KXNode, KXObject, KXNodeBase, KXContainer, KXPI, KXDocType:
	default:
		return ""
	}
	switch name {
	case "XPathSelectElement", "XPathSelectElements", "XPathEvaluate", "CreateNavigator":
		return xpathNotAllowed
	case "SelectSingleNode", "SelectNodes", "LoadXml", "DocumentElement", "InnerXml", "InnerText", "OuterXml", "ChildNodes":
		return xmlDOMNotAllowed
	}
	return ""
}

// xmlNotAllowedHint explains a type (or namespace) of System.Xml that APIM
// does not allow ("" for other names).
func xmlNotAllowedHint(name string) string {
	name = strings.TrimPrefix(name, "System.")
	if name == "Xml.XPath" || strings.HasPrefix(name, "Xml.XPath.") {
		return xpathNotAllowed
	}
	name = strings.TrimPrefix(name, "Xml.")
	switch name {
	case "XmlDocument", "XmlNode", "XmlElement", "XmlAttribute", "XmlNodeList", "XmlText", "XmlNamespaceManager",
		"IXmlNamespaceResolver", "NameTable", "XmlNameTable", "XmlReader", "XmlTextReader", "XmlWriter",
		"XmlTextWriter", "XmlReaderSettings", "XmlWriterSettings", "XPathNavigator", "XPathDocument",
		"XPathNodeIterator", "XPathExpression", "XmlConvert", "XmlDocumentFragment", "XmlCDataSection":
		return xmlDOMNotAllowed
	}
	return ""
}
