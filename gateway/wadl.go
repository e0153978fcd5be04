package gateway

import (
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"tollgate/engine"
	"tollgate/internal/xmlsafe"
)

// WADL APIs: an API folder's specification.wadl (the APIOps extractor
// writes a WADL-imported API's description so) gives the API's operations,
// as APIM's WADL import makes them: one per <method> of each <resource>,
// its URL template the resource paths joined, its id the method's id. Its
// parameters (template, query and header params, of the resource and of the
// method's request) become the operation's OpenAPI description, so
// validate-parameters and validate-headers check them as for an OpenAPI
// API. docs/resource-model.md#operations has the rules.

// wadlFiles are the names an API folder's WADL may have.
var wadlFiles = []string{"specification.wadl"}

// The WADL namespaces: the W3C submission's, and the 2006 draft's that
// Jersey 1 still writes.
const (
	nsWADL     = "http://wadl.dev.java.net/2009/02"
	nsWADL2006 = "http://research.sun.com/wadl/2006/10"
)

// WADL bounds: nesting and elements (real descriptions stay far below).
const (
	maxWADLDepth = 128
	maxWADLNodes = 200000
)

// wadlNode is one element of a WADL document.
type wadlNode struct {
	local string
	wadl  bool // in a WADL namespace
	attrs map[string]string
	kids  []*wadlNode
	pos   engine.Pos
	title string // its <doc title="...">
}

func (n *wadlNode) children(local string) []*wadlNode {
	var out []*wadlNode
	for _, k := range n.kids {
		if k.wadl && k.local == local {
			out = append(out, k)
		}
	}
	return out
}

// readWADL builds the element tree (positions kept), or reports why not.
func readWADL(file string, data []byte, errs *engine.ErrorList) *wadlNode {
	d := xmlsafe.NewDecoder(data)
	var stack []*wadlNode
	var root *wadlNode
	nodes := 0
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs.Add(offsetPos(file, data, d.InputOffset()), "", "invalid WADL: %s", xmlsafe.Message(err))
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			nodes++
			if len(stack) >= maxWADLDepth || nodes > maxWADLNodes {
				errs.Add(offsetPos(file, data, off+1), "", "invalid WADL: more than %d elements or nested deeper than %d", maxWADLNodes, maxWADLDepth)
				return nil
			}
			n := &wadlNode{local: t.Name.Local, wadl: t.Name.Space == nsWADL || t.Name.Space == nsWADL2006,
				attrs: map[string]string{}, pos: offsetPos(file, data, off+1)}
			for _, a := range t.Attr {
				if a.Name.Space == "" {
					n.attrs[a.Name.Local] = a.Value
				}
			}
			if len(stack) == 0 {
				root = n
			} else {
				parent := stack[len(stack)-1]
				if n.wadl && n.local == "doc" && parent.title == "" {
					parent.title = strings.TrimSpace(n.attrs["title"])
				}
				parent.kids = append(parent.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil {
		errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "invalid WADL: no <application> element")
		return nil
	}
	if !root.wadl || root.local != "application" {
		errs.Add(root.pos, "", "a WADL document starts with <application xmlns=%q>, not <%s>", nsWADL, root.local)
		return nil
	}
	return root
}

// wadlParam is a <param> that applies to an operation.
type wadlParam struct {
	name, style, typ string
	required         bool
	options          []string // its <option value>s: the values it may take
}

// wadlWalk carries what a resource's methods inherit.
type wadlWalk struct {
	file   string
	byID   map[string]*wadlNode
	errs   *engine.ErrorList
	ops    []specOp
	ids    map[string]bool
	doc    *openapi3.T
	active map[*wadlNode]bool // resource types being expanded (a loop is an error)
}

// parseWADL reads a WADL document's operations.
func parseWADL(file string, data []byte, errs *engine.ErrorList) []specOp {
	root := readWADL(file, data, errs)
	if root == nil {
		return nil
	}
	w := &wadlWalk{file: file, byID: map[string]*wadlNode{}, errs: errs, ids: map[string]bool{},
		doc: &openapi3.T{OpenAPI: "3.0.3", Info: &openapi3.Info{Title: "WADL", Version: "1"}, Paths: openapi3.NewPaths()}, active: map[*wadlNode]bool{}}
	var index func(n *wadlNode)
	index = func(n *wadlNode) {
		if id := n.attrs["id"]; id != "" && n.wadl && (n.local == "method" || n.local == "resource_type" || n.local == "param") {
			if _, dup := w.byID[id]; dup && n.local != "method" {
				errs.Add(n.pos, "", "WADL id %q is used twice", id)
			}
			if _, dup := w.byID[id]; !dup {
				w.byID[id] = n
			}
		}
		for _, k := range n.kids {
			index(k)
		}
	}
	index(root)
	for _, rs := range root.children("resources") {
		for _, r := range rs.children("resource") {
			w.resource(r, nil, nil)
		}
	}
	return w.ops
}

// wadlRegex is the regular expression JAX-RS allows in a path template
// ({id: [0-9]+}): the template keeps the name only.
var wadlRegex = regexp.MustCompile(`\{\s*([A-Za-z0-9_.\-]+)\s*:[^}]*\}`)

// resource walks a <resource> (or a resource type's content) under the
// path segments and params of its ancestors.
func (w *wadlWalk) resource(r *wadlNode, segs []string, params []wadlParam) {
	if p := strings.Trim(r.attrs["path"], "/"); p != "" {
		segs = append(append([]string(nil), segs...), wadlRegex.ReplaceAllString(p, "{$1}"))
	}
	params = append(append([]wadlParam(nil), params...), w.params(r)...)
	w.content(r, segs, params)
	for _, ref := range strings.Fields(r.attrs["type"]) {
		rt := w.ref(r, ref, "resource_type")
		if rt == nil {
			continue
		}
		if w.active[rt] {
			w.errs.Add(r.pos, "", "WADL resource type %q includes itself", ref)
			continue
		}
		w.active[rt] = true
		w.content(rt, segs, append(append([]wadlParam(nil), params...), w.params(rt)...))
		delete(w.active, rt)
	}
}

// content walks the methods and sub-resources of a resource or type.
func (w *wadlWalk) content(n *wadlNode, segs []string, params []wadlParam) {
	for _, m := range n.children("method") {
		if href := m.attrs["href"]; href != "" {
			if m = w.ref(m, href, "method"); m == nil {
				continue
			}
		}
		w.method(m, segs, params)
	}
	for _, sub := range n.children("resource") {
		w.resource(sub, segs, params)
	}
}

// ref resolves "#id" to the element of that id and kind.
func (w *wadlWalk) ref(at *wadlNode, ref, kind string) *wadlNode {
	id, ok := strings.CutPrefix(ref, "#")
	n := w.byID[id]
	switch {
	case !ok:
		w.errs.Add(at.pos, "", "WADL reference %q must be #ID: other documents are not read", ref)
		return nil
	case n == nil || n.local != kind:
		w.errs.Add(at.pos, "", "WADL reference %q names no %s", ref, kind)
		return nil
	}
	return n
}

// params reads the <param>s of a resource, resource type or request.
func (w *wadlWalk) params(n *wadlNode) []wadlParam {
	var out []wadlParam
	for _, p := range n.children("param") {
		if href := p.attrs["href"]; href != "" {
			if p = w.ref(p, href, "param"); p == nil {
				continue
			}
		}
		wp := wadlParam{name: p.attrs["name"], style: p.attrs["style"], typ: p.attrs["type"], required: p.attrs["required"] == "true"}
		for _, o := range p.children("option") {
			wp.options = append(wp.options, o.attrs["value"])
		}
		switch {
		case wp.name == "":
			w.errs.Add(p.pos, "", "a WADL param needs a name")
			continue
		case wp.style == "template", wp.style == "query", wp.style == "header":
		case wp.style == "matrix", wp.style == "plain":
			continue // a path segment's own parameters; a representation's fields
		default:
			w.errs.Add(p.pos, "", "WADL param %q has style %q (template, query, header, matrix or plain)", wp.name, wp.style)
			continue
		}
		out = append(out, wp)
	}
	return out
}

// method adds the operation of a <method> at the path segs.
func (w *wadlWalk) method(m *wadlNode, segs []string, params []wadlParam) {
	verb := strings.ToUpper(m.attrs["name"])
	if !isOpMethod(verb) {
		w.errs.Add(m.pos, "", "WADL method %q is not an HTTP method APIM operations have", m.attrs["name"])
		return
	}
	template := "/" + strings.Join(segs, "/")
	id := m.attrs["id"]
	if id == "" { // APIM names it; so does tollgate, from the method and path
		id = strings.ToLower(verb)
		if slug := strings.Trim(slugRe.ReplaceAllString(template, "-"), "-"); slug != "" {
			id += "-" + slug
		}
		for base, i := id, 2; w.ids[id]; i++ {
			id = base + "-" + strconv.Itoa(i)
		}
	}
	w.ids[id] = true
	name := m.title
	if name == "" {
		name = id
	}
	for _, req := range m.children("request") {
		params = append(append([]wadlParam(nil), params...), w.params(req)...)
	}
	op := &openapi3.Operation{OperationID: id, Summary: name, Responses: openapi3.NewResponses()}
	seen := map[string]bool{}
	inTemplate := map[string]bool{}
	for _, x := range templateNames(template) {
		inTemplate[x] = true
	}
	for _, p := range params {
		in := map[string]string{"template": openapi3.ParameterInPath, "query": openapi3.ParameterInQuery, "header": openapi3.ParameterInHeader}[p.style]
		key := in + ":" + p.name
		if in == openapi3.ParameterInHeader {
			key = in + ":" + http.CanonicalHeaderKey(p.name)
		}
		if seen[key] {
			continue // the nearest declaration wins
		}
		seen[key] = true
		if in == openapi3.ParameterInPath && !inTemplate[p.name] {
			w.errs.Add(m.pos, "", "WADL template param %q is not in the path %s", p.name, template)
			continue
		}
		op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
			Name: p.name, In: in, Required: p.required || in == openapi3.ParameterInPath, Schema: wadlSchema(p.typ, p.options)}})
	}
	for x := range inTemplate {
		if !seen[openapi3.ParameterInPath+":"+x] {
			op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
				Name: x, In: openapi3.ParameterInPath, Required: true, Schema: wadlSchema("", nil)}})
		}
	}
	for _, resp := range m.children("response") {
		codes := strings.Fields(resp.attrs["status"])
		if len(codes) == 0 {
			codes = []string{"default"}
		}
		for _, c := range codes {
			desc := "response " + c
			op.Responses.Set(c, &openapi3.ResponseRef{Value: &openapi3.Response{Description: &desc}})
		}
	}
	item := w.doc.Paths.Value(template)
	if item == nil {
		item = &openapi3.PathItem{}
		w.doc.Paths.Set(template, item)
	}
	if item.GetOperation(verb) != nil {
		w.errs.Add(m.pos, "", "WADL has two %s methods at %s", verb, template)
		return
	}
	item.SetOperation(verb, op)
	w.ops = append(w.ops, specOp{id: id, name: name, method: verb, template: template, pos: m.pos,
		spec: &engine.OperationSpec{Doc: w.doc, Path: template, Item: item, Op: op}})
}

var slugRe = regexp.MustCompile(`[^A-Za-z0-9]+`)

// templateNames lists the {names} of a URL template's path.
func templateNames(t string) []string {
	var out []string
	for _, m := range templateVar.FindAllStringSubmatch(t, -1) {
		out = append(out, m[1])
	}
	return out
}

var templateVar = regexp.MustCompile(`\{([^{}]+)\}`)

// wadlSchema is the OpenAPI schema of an XML Schema type name (xsd:int),
// with the param's options as its enum.
func wadlSchema(typ string, options []string) *openapi3.SchemaRef {
	_, local, ok := strings.Cut(typ, ":")
	if !ok {
		local = typ
	}
	if len(options) > 0 {
		s := openapi3.NewStringSchema()
		for _, o := range options {
			s.Enum = append(s.Enum, o)
		}
		return s.NewRef()
	}
	switch local {
	case "int", "integer", "long", "short", "byte", "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte",
		"nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger":
		return openapi3.NewIntegerSchema().NewRef()
	case "double", "float", "decimal":
		return openapi3.NewFloat64Schema().NewRef()
	case "boolean":
		return openapi3.NewBoolSchema().NewRef()
	}
	return openapi3.NewStringSchema().NewRef()
}
