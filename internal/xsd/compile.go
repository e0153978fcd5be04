package xsd

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Doc is a schema document given to Compile: its name (what
// schemaLocation attributes may call it; errors name it too) and either
// its bytes or, when Root is set, an xs:schema element already parsed
// (from a WSDL's types).
type Doc struct {
	Name string
	Data []byte
	Root *Node
	// Library marks a document read only where another includes or
	// imports it (its global elements are not roots otherwise).
	Library bool
}

// Limits bound what Compile accepts and what Validate reads.
type Limits struct {
	MaxSchemaBytes int // all documents together (default 4 MiB, APIM's API schema limit)
	MaxSchemas     int // documents (default 100)
	MaxModelStates int // automaton states of one content model (default 10,000)
	MaxTotalStates int // automaton states of the whole set (default 1,000,000)
	MaxDepth       int // element nesting of a validated document, and of a schema (default 256)
	MaxErrors      int // errors reported per document (default 100)
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxSchemaBytes, 4<<20)
	def(&l.MaxSchemas, 100)
	def(&l.MaxModelStates, 10000)
	def(&l.MaxTotalStates, 1000000)
	def(&l.MaxDepth, DefaultMaxDepth)
	def(&l.MaxErrors, 100)
	return l
}

// schemaCtx is one schema document as it is read: its target namespace
// (a chameleon include takes its includer's) and form defaults.
type schemaCtx struct {
	doc        *Doc
	tns        string
	qualElem   bool
	qualAttr   bool
	blockSubst bool
}

type compiler struct {
	lim         Limits
	docs        []*Doc
	errs        CompileErrors
	set         *Set
	elemNodes   map[QName]*defn
	attrNodes   map[QName]*defn
	typeNodes   map[QName]*defn
	groupNodes  map[QName]*defn
	agroupNodes map[QName]*defn
	groups      map[QName]*particle
	agroups     map[QName]*attrGroup
	inProgress  map[any]bool
	allElems    []*ElementDecl
	allComplex  []*ComplexType
	allSimple   []*SimpleType
	seen        map[string]bool // doc name + "\x00" + tns
	states      int
	broken      []brokenDoc
	identities  map[QName]*identity
}

type brokenDoc struct {
	d   *Doc
	err *CompileError
}

type defn struct {
	n   *Node
	ctx *schemaCtx
}

type attrGroup struct {
	uses []*attrUse
	wild *wildcard
}

// Compile reads schema documents that refer to each other only by
// xs:include/xs:import (their schemaLocation must name one of docs) and
// returns their compiled set, or every problem found (CompileErrors).
func Compile(docs []Doc, lim Limits) (*Set, error) {
	lim = lim.withDefaults()
	c := &compiler{lim: lim, set: &Set{elements: map[QName]*ElementDecl{}, attributes: map[QName]*AttributeDecl{}, types: map[QName]Type{}, limits: lim},
		elemNodes: map[QName]*defn{}, attrNodes: map[QName]*defn{}, typeNodes: map[QName]*defn{}, groupNodes: map[QName]*defn{},
		agroupNodes: map[QName]*defn{}, groups: map[QName]*particle{}, agroups: map[QName]*attrGroup{}, inProgress: map[any]bool{}, seen: map[string]bool{}, identities: map[QName]*identity{}}
	if len(docs) == 0 {
		return nil, CompileErrors{{File: "", Line: 1, Col: 1, Msg: "no schema given"}}
	}
	if len(docs) > lim.MaxSchemas {
		return nil, CompileErrors{{File: docs[0].Name, Line: 1, Col: 1, Msg: fmt.Sprintf("more than %d schema documents", lim.MaxSchemas)}}
	}
	total := 0
	for i := range docs {
		total += len(docs[i].Data)
		if total > lim.MaxSchemaBytes {
			return nil, CompileErrors{{File: docs[i].Name, Line: 1, Col: 1, Msg: fmt.Sprintf("the schemas are larger than %d bytes together", lim.MaxSchemaBytes)}}
		}
	}
	for i := range docs {
		d := docs[i]
		if d.Root == nil {
			root, err := Parse(d.Data, lim.MaxDepth)
			if err != nil {
				pe := err.(*ParseError)
				ce := &CompileError{File: d.Name, Line: pe.Line, Col: pe.Col, Msg: "the schema is not well-formed XML: " + pe.Msg}
				if d.Library {
					// Reported only if a schema includes or imports it.
					c.broken = append(c.broken, brokenDoc{&d, ce})
					continue
				}
				c.errs = append(c.errs, ce)
				continue
			}
			d.Root = root
		}
		c.docs = append(c.docs, &d)
	}
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	for _, d := range c.docs {
		if d.Root.Space != XSNamespace || d.Root.Local != "schema" {
			c.errAt(d, d.Root, "a schema document's root is <xs:schema xmlns:xs=%q>, not <%s>", XSNamespace, d.Root.Local)
			continue
		}
		if d.Library {
			continue
		}
		tns, _ := d.Root.Attr("targetNamespace")
		c.readSchema(d, tns)
	}
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	c.resolveAll()
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	return c.set, nil
}

func (c *compiler) errAt(d *Doc, n *Node, format string, args ...any) {
	line, col := 1, 1
	if n != nil {
		line, col = n.Line, n.Col
	}
	name := ""
	if d != nil {
		name = d.Name
	}
	c.errs = append(c.errs, &CompileError{File: name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

func (c *compiler) err(ctx *schemaCtx, n *Node, format string, args ...any) {
	c.errAt(ctx.doc, n, format, args...)
}

// findDoc is the document a schemaLocation names: the same name, or the
// same last path segment.
func (c *compiler) findDoc(loc string) *Doc {
	for _, d := range c.docs {
		if d.Name == loc {
			return d
		}
	}
	base := path.Base(strings.ReplaceAll(loc, "\\", "/"))
	for _, d := range c.docs {
		if path.Base(strings.ReplaceAll(d.Name, "\\", "/")) == base {
			return d
		}
	}
	// A schema resource named "address" answers to "address.xsd".
	noExt := strings.TrimSuffix(base, path.Ext(base))
	for _, d := range c.docs {
		if d.Name == noExt {
			return d
		}
	}
	return nil
}

func isXS(n *Node, local string) bool { return n.Space == XSNamespace && n.Local == local }

// readSchema records the global definitions of a schema document read
// with target namespace tns (its own, or its includer's).
func (c *compiler) readSchema(d *Doc, tns string) {
	key := d.Name + "\x00" + tns
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	root := d.Root
	ctx := &schemaCtx{doc: d, tns: tns}
	if v, _ := root.Attr("elementFormDefault"); v == "qualified" {
		ctx.qualElem = true
	}
	if v, _ := root.Attr("attributeFormDefault"); v == "qualified" {
		ctx.qualAttr = true
	}
	if v, _ := root.Attr("blockDefault"); strings.Contains(v, "substitution") || v == "#all" {
		ctx.blockSubst = true
	}
	for _, n := range root.Children {
		if n.Space != XSNamespace {
			continue // foreign elements at the top level are allowed
		}
		switch n.Local {
		case "annotation", "notation":
		case "include", "import":
			loc, hasLoc := n.Attr("schemaLocation")
			if !hasLoc {
				if n.Local == "include" {
					c.err(ctx, n, "xs:include needs a schemaLocation")
				}
				continue // import by namespace: among the documents given, or unresolved
			}
			t := c.findDoc(loc)
			if t == nil {
				for _, b := range c.broken {
					if b.d.Name == loc || path.Base(loc) == b.d.Name || strings.TrimSuffix(path.Base(loc), path.Ext(loc)) == b.d.Name {
						c.errs = append(c.errs, b.err)
						t = b.d
					}
				}
			}
			if t != nil && t.Root == nil {
				continue
			}
			if t == nil {
				c.err(ctx, n, "schemaLocation %q is not among the schemas given (tollgate never fetches a schema)", loc)
				continue
			}
			if t.Root.Space != XSNamespace || t.Root.Local != "schema" {
				continue // reported for that document
			}
			ttns, _ := t.Root.Attr("targetNamespace")
			if n.Local == "include" {
				if ttns != "" && ttns != tns {
					c.err(ctx, n, "the included schema %q has target namespace %q, not %q", loc, ttns, tns)
					continue
				}
				c.readSchema(t, tns)
				continue
			}
			ns, _ := n.Attr("namespace")
			if ns != ttns {
				c.err(ctx, n, "the imported schema %q has target namespace %q, not %q", loc, ttns, ns)
				continue
			}
			c.readSchema(t, ttns)
		case "redefine", "override":
			c.err(ctx, n, "xs:%s is not supported", n.Local)
		case "element", "attribute", "simpleType", "complexType", "group", "attributeGroup":
			name, ok := n.Attr("name")
			if !ok || !isNCName(name) {
				c.err(ctx, n, "a global xs:%s needs a name (an NCName)", n.Local)
				continue
			}
			q := QName{tns, name}
			m := map[string]map[QName]*defn{"element": c.elemNodes, "attribute": c.attrNodes, "simpleType": c.typeNodes,
				"complexType": c.typeNodes, "group": c.groupNodes, "attributeGroup": c.agroupNodes}[n.Local]
			if prev, dup := m[q]; dup {
				if prev.n == n {
					continue
				}
				c.err(ctx, n, "%s %q is defined twice (also at %s:%d:%d)", n.Local, name, prev.ctx.doc.Name, prev.n.Line, prev.n.Col)
				continue
			}
			if (n.Local == "simpleType" || n.Local == "complexType") && tns == XSNamespace {
				c.err(ctx, n, "a schema cannot define types in XML Schema's own namespace")
				continue
			}
			m[q] = &defn{n: n, ctx: ctx}
		default:
			c.err(ctx, n, "xs:%s is not allowed at the top level of a schema", n.Local)
		}
	}
}

// qnameAttr resolves a QName attribute in n's scope.
func (c *compiler) qnameAttr(ctx *schemaCtx, n *Node, attr string) (*qref, bool) {
	v, ok := n.Attr(attr)
	if !ok {
		return nil, false
	}
	q, good := c.resolveQName(ctx, n, strings.TrimSpace(v))
	if !good {
		return nil, false
	}
	return &qref{name: q, file: ctx.doc.Name, line: n.Line, col: n.Col}, true
}

func (c *compiler) resolveQName(ctx *schemaCtx, n *Node, v string) (QName, bool) {
	prefix, local, found := strings.Cut(v, ":")
	if !found {
		prefix, local = "", v
	}
	if !isNCName(local) || (found && !isNCName(prefix)) {
		c.err(ctx, n, "%q is not a QName", v)
		return QName{}, false
	}
	ns, ok := n.Lookup(prefix)
	if !ok {
		c.err(ctx, n, "the prefix %q of %q is not declared", prefix, v)
		return QName{}, false
	}
	if !found && ns == "" && ctx.tns != "" {
		// An unprefixed reference in a chameleon-included schema means its
		// includer's namespace.
		if d, _ := ctx.doc.Root.Attr("targetNamespace"); d == "" {
			ns = ctx.tns
		}
	}
	return QName{ns, local}, true
}

func (c *compiler) occurs(ctx *schemaCtx, n *Node) (int, int, bool) {
	min, max := 1, 1
	if v, ok := n.Attr("minOccurs"); ok {
		m, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || m < 0 {
			c.err(ctx, n, "minOccurs %q is not a non-negative integer", v)
			return 0, 0, false
		}
		min = m
	}
	if v, ok := n.Attr("maxOccurs"); ok {
		v = strings.TrimSpace(v)
		if v == "unbounded" {
			max = -1
		} else {
			m, err := strconv.Atoi(v)
			if err != nil || m < 0 {
				c.err(ctx, n, "maxOccurs %q is not a non-negative integer or unbounded", v)
				return 0, 0, false
			}
			max = m
		}
	}
	if max >= 0 && min > max {
		c.err(ctx, n, "minOccurs %d is greater than maxOccurs %d", min, max)
		return 0, 0, false
	}
	if min > c.lim.MaxModelStates || max > c.lim.MaxModelStates {
		c.err(ctx, n, "occurrence bounds over %d are not supported", c.lim.MaxModelStates)
		return 0, 0, false
	}
	return min, max, true
}

// children are n's XML Schema children other than annotations.
func children(n *Node) []*Node {
	var out []*Node
	for _, k := range n.Children {
		if k.Space == XSNamespace && k.Local != "annotation" {
			out = append(out, k)
		}
	}
	return out
}
