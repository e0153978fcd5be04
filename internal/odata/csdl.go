package odata

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"tollgate/internal/xmlsafe"
)

// Pos is a place in the metadata document: line and column (bytes), from 1.
type Pos struct{ Line, Col int }

// Error is a problem of the metadata document, at its place.
type Error struct {
	Pos Pos
	Msg string
}

func (e Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg) }

// CSDL XML namespaces.
const (
	nsEdmx   = "http://docs.oasis-open.org/odata/ns/edmx"
	nsEdm    = "http://docs.oasis-open.org/odata/ns/edm"
	nsEdmxV3 = "http://schemas.microsoft.com/ado/2007/06/edmx"
)

// Limits of a metadata document.
const (
	// MaxCSDLBytes bounds a metadata document.
	MaxCSDLBytes = 16 << 20
	// maxCSDLDepth bounds element nesting (annotations nest; nothing real
	// comes near this).
	maxCSDLDepth = 128
	// maxCSDLErrors stops a document after this many problems.
	maxCSDLErrors = 100
)

// ParseCSDL reads a CSDL XML document (an OData service's $metadata,
// EDMX 4.0 or 4.01) and checks it: the structure, names, types that
// resolve, keys, base types without cycles, the entity container's sets,
// singletons and imports. Every problem is returned with its line and
// column; the model is nil when there is one.
func ParseCSDL(data []byte) (*Model, []Error) {
	p := &csdlParser{data: data, aliases: map[string]string{}}
	if len(data) > MaxCSDLBytes {
		return nil, []Error{{Pos{1, 1}, fmt.Sprintf("the metadata document is larger than %d bytes", MaxCSDLBytes)}}
	}
	p.read()
	if len(p.errs) == 0 {
		p.link()
	}
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool {
			a, b := p.errs[i].Pos, p.errs[j].Pos
			return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col)
		})
		return nil, p.errs
	}
	return p.m, nil
}

type csdlSchema struct {
	ns, alias string
}

type csdlKey struct {
	t    *Type
	refs []keyDecl
}

type keyDecl struct {
	name, alias string
	pos         Pos
}

type csdlSetDecl struct {
	name, typ string
	single    bool
	pos, tpos Pos
}

type csdlImportDecl struct {
	name, target string
	action       bool
	pos, tpos    Pos
}

type csdlParser struct {
	data      []byte
	errs      []Error
	m         *Model
	aliases   map[string]string // alias -> namespace
	schemas   []csdlSchema
	types     []*Type
	keys      []csdlKey
	refs      []*TypeRef // every type reference, resolved by link
	propRefs  []propRef
	navRefs   []navRef
	paramRefs []paramRef
	ops       []*Operation
	sets      []csdlSetDecl
	imports   []csdlImportDecl
	// containers seen (one is allowed)
	containers int
	external   []string // namespaces and aliases of referenced documents
}

func (p *csdlParser) errorf(pos Pos, format string, args ...any) {
	if len(p.errs) < maxCSDLErrors {
		p.errs = append(p.errs, Error{pos, fmt.Sprintf(format, args...)})
	}
}

// pos is the line and column of the byte at off.
func (p *csdlParser) pos(off int64) Pos {
	if off > int64(len(p.data)) {
		off = int64(len(p.data))
	}
	if off < 0 {
		off = 0
	}
	before := p.data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return Pos{line, col}
}

// element is a start tag with where it and its attributes are.
type element struct {
	xml.StartElement
	start, end int64 // the tag's bytes
}

func (e element) attr(name string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// attrPos is where the value of attribute name starts (the tag's start
// when it cannot be found).
func (p *csdlParser) attrPos(e element, name string) Pos {
	tag := p.data[e.start:min(e.end, int64(len(p.data)))]
	for i := 0; i+len(name) < len(tag); i++ {
		j := bytes.Index(tag[i:], []byte(name))
		if j < 0 {
			break
		}
		i += j
		before := byte(' ')
		if i > 0 {
			before = tag[i-1]
		}
		k := i + len(name)
		for k < len(tag) && (tag[k] == ' ' || tag[k] == '\t' || tag[k] == '\n' || tag[k] == '\r') {
			k++
		}
		if (before == ' ' || before == '\t' || before == '\n' || before == '\r') && k < len(tag) && tag[k] == '=' {
			k++
			for k < len(tag) && tag[k] != '"' && tag[k] != '\'' {
				k++
			}
			return p.pos(e.start + int64(k) + 1)
		}
	}
	return p.pos(e.start)
}

// frame is an open element and what it stands for.
type frame struct {
	name   xml.Name
	kind   string // edmx, reference, dataservices, schema, entity, complex, enum, container, set, op, property, skip
	typ    *Type
	op     *Operation
	schema int
}

func (p *csdlParser) read() {
	d := xmlsafe.NewDecoder(p.data)
	var stack []frame
	sawRoot := false
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			p.errorf(p.pos(d.InputOffset()), "invalid XML: %s", xmlsafe.Message(err))
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			e := element{StartElement: t.Copy(), start: off, end: d.InputOffset()}
			if len(stack) >= maxCSDLDepth {
				p.errorf(p.pos(off), "elements nested deeper than %d", maxCSDLDepth)
				return
			}
			var parent *frame
			if len(stack) > 0 {
				parent = &stack[len(stack)-1]
			} else {
				if sawRoot {
					p.errorf(p.pos(off), "a second root element")
					return
				}
				sawRoot = true
			}
			f := p.start(e, parent)
			f.name = t.Name
			stack = append(stack, f)
			if len(p.errs) >= maxCSDLErrors {
				return
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) > 0 && stack[len(stack)-1].kind != "skip" && len(bytes.TrimSpace(t)) > 0 {
				lead := len(t) - len(bytes.TrimLeft(t, " \t\r\n"))
				p.errorf(p.pos(off+int64(lead)), "unexpected text in <%s>", stack[len(stack)-1].name.Local)
			}
		}
	}
	if !sawRoot {
		p.errorf(Pos{1, 1}, "the metadata document is empty: it starts with <edmx:Edmx Version=\"4.0\" xmlns:edmx=%q>", nsEdmx)
		return
	}
	if p.m == nil {
		return
	}
	if p.containers == 0 && len(p.errs) == 0 {
		p.errorf(Pos{1, 1}, "the metadata has no EntityContainer: an OData service's entity sets, singletons and imports are its container's")
	}
}

// start handles a start tag under parent (nil: the root).
func (p *csdlParser) start(e element, parent *frame) frame {
	at := p.pos(e.start)
	name := e.Name
	if parent == nil {
		switch {
		case name.Space == nsEdmxV3 || (name.Local == "Edmx" && strings.HasPrefix(name.Space, "http://schemas.microsoft.com/")):
			p.errorf(at, "this is OData v2/v3 metadata (EDMX 1.0): tollgate reads OData v4 metadata (EDMX 4.0 or 4.01)")
			return frame{kind: "skip"}
		case name.Space != nsEdmx || name.Local != "Edmx":
			p.errorf(at, "an OData v4 metadata document starts with <edmx:Edmx Version=\"4.0\" xmlns:edmx=%q>, not <%s>", nsEdmx, name.Local)
			return frame{kind: "skip"}
		}
		v, _ := e.attr("Version")
		if v != "4.0" && v != "4.01" {
			p.errorf(p.attrPos(e, "Version"), "edmx:Edmx Version must be 4.0 or 4.01, not %q", v)
		}
		p.m = &Model{Version: v, EntitySets: map[string]*EntitySet{}, Singletons: map[string]*Singleton{},
			Imports: map[string]*Import{}, types: map[string]*Type{}, ops: map[string][]*Operation{},
			namespaces: map[string]bool{}, external: map[string]bool{}}
		return frame{kind: "edmx"}
	}
	if name.Space != nsEdmx && name.Space != nsEdm {
		return frame{kind: "skip"} // another vocabulary's element: not ours to judge
	}
	switch parent.kind {
	case "skip":
		return frame{kind: "skip"}
	case "edmx":
		switch {
		case name.Space == nsEdmx && name.Local == "Reference":
			return frame{kind: "reference"}
		case name.Space == nsEdmx && name.Local == "DataServices":
			return frame{kind: "dataservices"}
		}
	case "reference":
		switch {
		case name.Space == nsEdmx && name.Local == "Include":
			ns, _ := e.attr("Namespace")
			if ns == "" {
				p.errorf(at, "<edmx:Include> needs a Namespace")
			}
			p.external = append(p.external, ns)
			if a, ok := e.attr("Alias"); ok && a != "" {
				p.aliases[a] = ns
				p.external = append(p.external, a)
			}
			return frame{kind: "skip"}
		case name.Space == nsEdmx && name.Local == "IncludeAnnotations", name.Space == nsEdm && name.Local == "Annotation":
			return frame{kind: "skip"}
		}
	case "dataservices":
		if name.Space == nsEdm && name.Local == "Schema" {
			ns, _ := e.attr("Namespace")
			if !validNamespace(ns) {
				p.errorf(p.attrPos(e, "Namespace"), "a Schema needs a Namespace of dot-separated identifiers, not %q", ns)
			}
			s := csdlSchema{ns: ns}
			if a, ok := e.attr("Alias"); ok {
				if !validIdent(a) {
					p.errorf(p.attrPos(e, "Alias"), "a Schema's Alias is an identifier, not %q", a)
				} else if prev, dup := p.aliases[a]; dup {
					p.errorf(p.attrPos(e, "Alias"), "alias %q is already the alias of %s", a, prev)
				} else {
					p.aliases[a] = ns
					s.alias = a
				}
			}
			if p.m.namespaces[ns] {
				p.errorf(p.attrPos(e, "Namespace"), "schema namespace %q is declared twice", ns)
			}
			p.m.namespaces[ns] = true
			p.schemas = append(p.schemas, s)
			return frame{kind: "schema", schema: len(p.schemas) - 1}
		}
	case "schema":
		return p.schemaChild(e, parent)
	case "entity", "complex":
		return p.typeChild(e, parent)
	case "key":
		if name.Local == "PropertyRef" {
			n, _ := e.attr("Name")
			if n == "" {
				p.errorf(at, "<PropertyRef> needs a Name")
			}
			a, _ := e.attr("Alias")
			k := &p.keys[len(p.keys)-1]
			k.refs = append(k.refs, keyDecl{name: n, alias: a, pos: p.attrPos(e, "Name")})
			return frame{kind: "skip"}
		}
	case "enum":
		switch name.Local {
		case "Member":
			n, _ := e.attr("Name")
			if !validIdent(n) {
				p.errorf(p.attrPos(e, "Name"), "an enum Member needs a Name that is an identifier, not %q", n)
				return frame{kind: "skip"}
			}
			v := int64(len(parent.typ.Members))
			if s, ok := e.attr("Value"); ok {
				x, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					p.errorf(p.attrPos(e, "Value"), "enum member %s: Value must be an integer, not %q", n, s)
				}
				v = x
			} else if parent.typ.Flags {
				p.errorf(at, "enum member %s of a flags enum type (IsFlags=\"true\") needs a Value", n)
			}
			if _, dup := parent.typ.Members[n]; dup {
				p.errorf(p.attrPos(e, "Name"), "enum member %s is declared twice in %s", n, parent.typ.QName())
			}
			parent.typ.Members[n] = v
			return frame{kind: "property"}
		case "Annotation":
			return frame{kind: "skip"}
		}
	case "container":
		return p.containerChild(e)
	case "set":
		switch name.Local {
		case "NavigationPropertyBinding", "Annotation":
			return frame{kind: "skip"}
		}
	case "op":
		return p.opChild(e, parent)
	case "property", "nav", "param", "typedef", "term":
		switch name.Local {
		case "Annotation", "ReferentialConstraint", "OnDelete":
			return frame{kind: "skip"}
		}
	}
	p.errorf(at, "unexpected element <%s> in <%s>", name.Local, parentName(parent))
	return frame{kind: "skip"}
}

func parentName(f *frame) string {
	if f.name.Local == "" {
		return f.kind
	}
	return f.name.Local
}

func (p *csdlParser) schemaChild(e element, parent *frame) frame {
	at := p.pos(e.start)
	s := p.schemas[parent.schema]
	name, _ := e.attr("Name")
	newType := func(k Kind) *Type {
		if !validIdent(name) {
			p.errorf(p.attrPos(e, "Name"), "<%s> needs a Name that is an identifier, not %q", e.Name.Local, name)
		}
		t := &Type{Kind: k, Namespace: s.ns, Name: name, Pos: at}
		if _, dup := p.m.types[t.QName()]; dup {
			p.errorf(p.attrPos(e, "Name"), "%s is declared twice", t.QName())
		} else if name != "" {
			p.m.types[t.QName()] = t
			if s.alias != "" {
				p.m.types[s.alias+"."+name] = t
			}
		}
		p.types = append(p.types, t)
		return t
	}
	switch e.Name.Local {
	case "EntityType", "ComplexType":
		k, kind := KindEntity, "entity"
		if e.Name.Local == "ComplexType" {
			k, kind = KindComplex, "complex"
		}
		t := newType(k)
		t.Props, t.Navs = map[string]*Property{}, map[string]*NavProp{}
		t.baseName, _ = e.attr("BaseType")
		t.Abstract = boolAttr(e, "Abstract")
		t.Open = boolAttr(e, "OpenType")
		t.HasStream = boolAttr(e, "HasStream")
		return frame{kind: kind, typ: t}
	case "EnumType":
		t := newType(KindEnum)
		t.Members = map[string]int64{}
		t.Flags = boolAttr(e, "IsFlags")
		u, ok := e.attr("UnderlyingType")
		if !ok {
			u = "Edm.Int32"
		}
		switch u {
		case "Edm.Byte", "Edm.SByte", "Edm.Int16", "Edm.Int32", "Edm.Int64":
			t.Underlying = primitives[u]
		default:
			p.errorf(p.attrPos(e, "UnderlyingType"), "an enum type's UnderlyingType is Edm.Byte, SByte, Int16, Int32 or Int64, not %q", u)
		}
		return frame{kind: "enum", typ: t}
	case "TypeDefinition":
		t := newType(KindTypeDef)
		u, _ := e.attr("UnderlyingType")
		t.Underlying = primitives[u]
		if t.Underlying == nil || t.Underlying.Kind != KindPrimitive {
			p.errorf(p.attrPos(e, "UnderlyingType"), "a TypeDefinition's UnderlyingType is a primitive type (Edm.String, …), not %q", u)
		}
		return frame{kind: "typedef", typ: t}
	case "Function", "Action":
		if !validIdent(name) {
			p.errorf(p.attrPos(e, "Name"), "<%s> needs a Name that is an identifier, not %q", e.Name.Local, name)
		}
		op := &Operation{Namespace: s.ns, Name: name, Action: e.Name.Local == "Action", Bound: boolAttr(e, "IsBound"),
			Composable: boolAttr(e, "IsComposable"), Pos: at}
		if op.Action && op.Composable {
			p.errorf(p.attrPos(e, "IsComposable"), "an Action is not composable (IsComposable is for functions)")
		}
		p.ops = append(p.ops, op)
		p.m.ops[op.QName()] = append(p.m.ops[op.QName()], op)
		if s.alias != "" {
			p.m.ops[s.alias+"."+name] = append(p.m.ops[s.alias+"."+name], op)
		}
		return frame{kind: "op", op: op}
	case "EntityContainer":
		p.containers++
		if p.containers > 1 {
			p.errorf(at, "a second EntityContainer: an OData service has one")
		}
		if !validIdent(name) {
			p.errorf(p.attrPos(e, "Name"), "<EntityContainer> needs a Name that is an identifier, not %q", name)
		}
		p.m.Container = s.ns + "." + name
		if _, ok := e.attr("Extends"); ok {
			p.errorf(p.attrPos(e, "Extends"), "EntityContainer Extends is not supported: put the container's sets in one container")
		}
		return frame{kind: "container"}
	case "Term":
		return frame{kind: "skip"}
	case "Annotations", "Annotation":
		return frame{kind: "skip"}
	}
	p.errorf(at, "unexpected element <%s> in <Schema>", e.Name.Local)
	return frame{kind: "skip"}
}

func boolAttr(e element, name string) bool {
	v, _ := e.attr(name)
	return v == "true"
}

func (p *csdlParser) typeRef(e element, attr string, nullableDefault bool) *TypeRef {
	v, ok := e.attr(attr)
	r := &TypeRef{name: v, pos: p.attrPos(e, attr), Nullable: nullableDefault}
	if !ok || v == "" {
		p.errorf(p.pos(e.start), "<%s> needs a %s", e.Name.Local, attr)
		r.name = ""
	}
	if n, ok := e.attr("Nullable"); ok {
		r.Nullable = n != "false"
	}
	p.refs = append(p.refs, r)
	return r
}

func (p *csdlParser) typeChild(e element, parent *frame) frame {
	at := p.pos(e.start)
	t := parent.typ
	name, _ := e.attr("Name")
	checkName := func() bool {
		if !validIdent(name) {
			p.errorf(p.attrPos(e, "Name"), "<%s> needs a Name that is an identifier, not %q", e.Name.Local, name)
			return false
		}
		if t.Props[name] != nil || t.Navs[name] != nil {
			p.errorf(p.attrPos(e, "Name"), "%s has two members named %s", t.QName(), name)
			return false
		}
		if name == t.Name {
			p.errorf(p.attrPos(e, "Name"), "a property of %s may not have the type's name", t.QName())
		}
		return true
	}
	switch e.Name.Local {
	case "Key":
		if t.Kind != KindEntity {
			break
		}
		if len(p.keys) > 0 && p.keys[len(p.keys)-1].t == t {
			p.errorf(at, "%s has a second <Key>", t.QName())
		}
		p.keys = append(p.keys, csdlKey{t: t})
		return frame{kind: "key", typ: t}
	case "Property":
		r := p.typeRef(e, "Type", true)
		if checkName() {
			t.Props[name] = &Property{Name: name, Pos: at}
			p.propRefs = append(p.propRefs, propRef{t.Props[name], r})
		}
		return frame{kind: "property"}
	case "NavigationProperty":
		r := p.typeRef(e, "Type", true)
		if checkName() {
			n := &NavProp{Name: name, ContainsTarget: boolAttr(e, "ContainsTarget"), Pos: at}
			t.Navs[name] = n
			p.navRefs = append(p.navRefs, navRef{n, r})
		}
		return frame{kind: "nav"}
	case "Annotation":
		return frame{kind: "skip"}
	}
	p.errorf(at, "unexpected element <%s> in <%s>", e.Name.Local, parentName(parent))
	return frame{kind: "skip"}
}

func (p *csdlParser) opChild(e element, parent *frame) frame {
	op := parent.op
	switch e.Name.Local {
	case "Parameter":
		name, _ := e.attr("Name")
		if !validIdent(name) {
			p.errorf(p.attrPos(e, "Name"), "<Parameter> needs a Name that is an identifier, not %q", name)
		}
		for _, q := range op.Params {
			if q.Name == name {
				p.errorf(p.attrPos(e, "Name"), "%s has two parameters named %s", op.QName(), name)
			}
		}
		r := p.typeRef(e, "Type", true)
		op.Params = append(op.Params, Param{Name: name})
		p.paramRefs = append(p.paramRefs, paramRef{op, len(op.Params) - 1, r})
		return frame{kind: "param"}
	case "ReturnType":
		if op.Return != nil {
			p.errorf(p.pos(e.start), "%s has a second <ReturnType>", op.QName())
		}
		op.Return = p.typeRef(e, "Type", true)
		return frame{kind: "param"}
	case "Annotation":
		return frame{kind: "skip"}
	}
	p.errorf(p.pos(e.start), "unexpected element <%s> in <%s>", e.Name.Local, parentName(parent))
	return frame{kind: "skip"}
}

func (p *csdlParser) containerChild(e element) frame {
	at := p.pos(e.start)
	name, _ := e.attr("Name")
	if e.Name.Local != "Annotation" {
		if !validIdent(name) {
			p.errorf(p.attrPos(e, "Name"), "<%s> needs a Name that is an identifier, not %q", e.Name.Local, name)
			return frame{kind: "skip"}
		}
		if p.m.EntitySets[name] != nil || p.m.Singletons[name] != nil || p.m.Imports[name] != nil {
			p.errorf(p.attrPos(e, "Name"), "the container has two children named %s", name)
			return frame{kind: "skip"}
		}
	}
	attr, ok := containerTargets[e.Name.Local]
	if !ok {
		if e.Name.Local != "Annotation" {
			p.errorf(at, "unexpected element <%s> in <EntityContainer>", e.Name.Local)
		}
		return frame{kind: "skip"}
	}
	target, _ := e.attr(attr)
	if target == "" {
		p.errorf(at, "<%s> needs a %s", e.Name.Local, attr)
	}
	switch e.Name.Local {
	case "EntitySet", "Singleton":
		single := e.Name.Local == "Singleton"
		p.sets = append(p.sets, csdlSetDecl{name: name, typ: target, single: single, pos: at, tpos: p.attrPos(e, attr)})
		if single {
			p.m.Singletons[name] = &Singleton{Name: name, Pos: at}
		} else {
			p.m.EntitySets[name] = &EntitySet{Name: name, Pos: at}
		}
	default: // FunctionImport, ActionImport
		action := attr == "Action"
		p.imports = append(p.imports, csdlImportDecl{name: name, target: target, action: action, pos: at, tpos: p.attrPos(e, attr)})
		p.m.Imports[name] = &Import{Name: name, Action: action, Pos: at}
	}
	return frame{kind: "set"}
}

// containerTargets names, for each child of an <EntityContainer>, the
// attribute it needs: the entity type a set or singleton holds, the
// function or action an import exposes (resolved once all schemas are read).
var containerTargets = map[string]string{
	"EntitySet":      "EntityType",
	"Singleton":      "Type",
	"FunctionImport": "Function",
	"ActionImport":   "Action",
}

type propRef struct {
	p *Property
	r *TypeRef
}

type navRef struct {
	n *NavProp
	r *TypeRef
}

type paramRef struct {
	op *Operation
	i  int
	r  *TypeRef
}

// resolve finds the type a qualified name (or Collection(name)) names.
func (p *csdlParser) resolve(r *TypeRef) bool {
	name := r.name
	if name == "" {
		return false
	}
	if inner, ok := strings.CutPrefix(name, "Collection("); ok && strings.HasSuffix(inner, ")") {
		r.Collection = true
		name = inner[:len(inner)-1]
	}
	r.Type = p.lookup(name)
	if r.Type == nil {
		p.errorf(r.pos, "type %q is not defined (a primitive Edm type, or a type of this document's schemas)", name)
		return false
	}
	return true
}

func (p *csdlParser) lookup(qname string) *Type {
	if t := p.m.Type(qname); t != nil {
		return t
	}
	if i := strings.LastIndexByte(qname, '.'); i > 0 {
		if ns, ok := p.aliases[qname[:i]]; ok {
			return p.m.Type(ns + "." + qname[i+1:])
		}
	}
	return nil
}

// link resolves every name the document uses and checks what needs the
// whole document.
func (p *csdlParser) link() {
	m := p.m
	for _, x := range p.external {
		m.external[x] = true
	}
	for a, ns := range p.aliases {
		if m.external[ns] {
			m.external[a] = true
		}
	}
	for _, t := range p.types {
		if t.baseName == "" {
			continue
		}
		b := p.lookup(t.baseName)
		switch {
		case b == nil:
			p.errorf(t.Pos, "%s: base type %q is not defined", t.QName(), t.baseName)
		case b.Kind != t.Kind && b.Kind != KindExternal:
			p.errorf(t.Pos, "%s: base type %s is not of the same kind", t.QName(), b.QName())
		default:
			t.Base = b
		}
	}
	for _, t := range p.types {
		seen := map[*Type]bool{}
		for x := t; x != nil; x = x.Base {
			if seen[x] || len(seen) > maxBaseDepth {
				p.errorf(t.Pos, "%s: its base types form a cycle (or a chain longer than %d)", t.QName(), maxBaseDepth)
				t.Base = nil
				break
			}
			seen[x] = true
		}
	}
	for _, r := range p.refs {
		p.resolve(r)
	}
	for _, pr := range p.propRefs {
		pr.p.Type = *pr.r
		if pr.r.Type != nil && pr.r.Type.Kind == KindEntity {
			p.errorf(pr.r.pos, "property %s has an entity type: make it a NavigationProperty", pr.p.Name)
		}
	}
	for _, nr := range p.navRefs {
		nr.n.Type = *nr.r
		if t := nr.r.Type; t != nil && t.Kind != KindEntity && t.Kind != KindExternal {
			p.errorf(nr.r.pos, "navigation property %s must have an entity type, not %s", nr.n.Name, t.QName())
		}
	}
	for _, pr := range p.paramRefs {
		pr.op.Params[pr.i].Type = *pr.r
		pr.op.Params[pr.i].Optional = pr.r.Nullable
	}
	for _, k := range p.keys {
		t := k.t
		for _, ref := range k.refs {
			prop := p.keyProperty(t, ref.name)
			switch {
			case prop == nil:
				p.errorf(ref.pos, "key property %q is not a property of %s", ref.name, t.QName())
				continue
			case prop.Type.Collection || prop.Type.Type == nil ||
				(prop.Type.Type.Kind != KindPrimitive && prop.Type.Type.Kind != KindEnum && prop.Type.Type.Kind != KindTypeDef):
				p.errorf(ref.pos, "key property %s of %s must be of a primitive or enum type", ref.name, t.QName())
				continue
			case prop.Type.Nullable:
				p.errorf(ref.pos, "key property %s of %s must be Nullable=\"false\"", ref.name, t.QName())
			}
			if strings.Contains(ref.name, "/") && ref.alias == "" {
				p.errorf(ref.pos, "key property %s of %s is a path: give it an Alias", ref.name, t.QName())
			}
			t.Key = append(t.Key, KeyRef{Path: ref.name, Alias: ref.alias})
		}
	}
	keyed := map[*Type]bool{} // a <Key> whose problems are reported already
	for _, k := range p.keys {
		keyed[k.t] = true
	}
	for _, t := range p.types {
		if t.Kind != KindEntity {
			continue
		}
		if t.Base != nil && len(t.Key) > 0 && len(t.Base.KeyOf()) > 0 {
			p.errorf(t.Pos, "%s declares a key, but its base type %s has one", t.QName(), t.Base.QName())
		}
		if !t.Abstract && len(t.KeyOf()) == 0 && !hasExternalBase(t) && !keyed[t] {
			p.errorf(t.Pos, "entity type %s has no key (give it a <Key>, or make it Abstract)", t.QName())
		}
	}
	for _, op := range p.ops {
		if op.Bound && len(op.Params) == 0 {
			p.errorf(op.Pos, "bound %s %s needs its binding parameter (the first Parameter)", kindWord(op), op.QName())
		}
		if !op.Action && op.Return == nil {
			p.errorf(op.Pos, "function %s needs a ReturnType", op.QName())
		}
	}
	for _, s := range p.sets {
		t := p.lookup(s.typ)
		switch {
		case s.typ == "":
		case t == nil:
			p.errorf(s.tpos, "%s: entity type %q is not defined", s.name, s.typ)
		case t.Kind != KindEntity:
			p.errorf(s.tpos, "%s: %s is not an entity type", s.name, t.QName())
		case s.single:
			m.Singletons[s.name].Type = t
		default:
			m.EntitySets[s.name].Type = t
		}
	}
	for _, im := range p.imports {
		if im.target == "" {
			continue
		}
		qn := im.target
		if i := strings.LastIndexByte(qn, '.'); i > 0 {
			if ns, ok := p.aliases[qn[:i]]; ok {
				qn = ns + "." + qn[i+1:]
			}
		}
		var ops []*Operation
		for _, op := range m.ops[qn] {
			if op.Action == im.action && !op.Bound {
				ops = append(ops, op)
			}
		}
		if len(ops) == 0 {
			p.errorf(im.tpos, "%s imports %q, which is no unbound %s of this document", im.name, im.target, map[bool]string{true: "action", false: "function"}[im.action])
			continue
		}
		m.Imports[im.name].Ops = ops
	}
}

func hasExternalBase(t *Type) bool {
	for x, n := t, 0; x != nil && n < maxBaseDepth; x, n = x.Base, n+1 {
		if x.Kind == KindExternal {
			return true
		}
	}
	return false
}

func kindWord(op *Operation) string {
	if op.Action {
		return "action"
	}
	return "function"
}

// keyProperty finds a key's property: a name, or a path through complex
// properties (a/b).
func (p *csdlParser) keyProperty(t *Type, path string) *Property {
	cur := t
	var prop *Property
	for i, seg := range strings.Split(path, "/") {
		if cur == nil {
			return nil
		}
		prop = cur.Property(seg)
		if prop == nil {
			return nil
		}
		if i < strings.Count(path, "/") {
			cur = prop.Type.Type
			if cur == nil || cur.Kind != KindComplex {
				return nil
			}
		}
	}
	return prop
}

// validIdent reports whether s is an OData identifier: a letter or _, then
// letters, digits or _ (Unicode letters and digits too), at most 128.
func validIdent(s string) bool {
	if s == "" || len(s) > 511 {
		return false
	}
	n := 0
	for i, r := range s {
		n++
		switch {
		case r == '_' || isLetter(r):
		case i > 0 && isDigit(r):
		default:
			return false
		}
	}
	return n <= 128
}

func validNamespace(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if !validIdent(part) {
			return false
		}
	}
	return true
}
