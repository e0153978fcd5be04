package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"tollgate/engine"
)

// specFiles are the names an API folder's OpenAPI specification may have
// (APIOps extracts specification.json or specification.yaml).
var specFiles = []string{"specification.json", "specification.yaml", "specification.yml"}

// specOp is one operation read from a specification, with where it is.
type specOp struct {
	id, name, method, template string
	pos                        engine.Pos
	spec                       *engine.OperationSpec // from a specification: its OpenAPI data
	grpc                       *grpcOpInfo           // from a .proto: its rpc (grpcproto.go)
}

// parseSpec reads an OpenAPI 2 or 3 document (JSON or YAML): it is
// validated with kin-openapi, and its operations are read from the YAML
// node tree so each keeps its file:line:col. Problems are reported at the
// place they are about.
func parseSpec(file string, data []byte, errs *engine.ErrorList) []specOp {
	var root yaml.Node
	if strings.HasSuffix(file, ".json") {
		if err := jsonSyntax(data); err != nil {
			errs.Add(offsetPos(file, data, err.off), "", "invalid JSON: %s", err.msg)
			return nil
		}
	}
	if err := yaml.Unmarshal(data, &root); err != nil {
		errs.Add(yamlErrPos(file, err), "", "invalid YAML: %s", yamlErrText(err))
		return nil
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	at := func(n *yaml.Node) engine.Pos {
		if n.Line < 1 { // an empty document
			return engine.Pos{File: file, Line: 1, Col: 1}
		}
		return engine.Pos{File: file, Line: n.Line, Col: n.Column}
	}
	if doc.Kind != yaml.MappingNode {
		errs.Add(at(doc), "", "an OpenAPI specification must be an object")
		return nil
	}
	version, vnode := "", doc
	for i := 0; i+1 < len(doc.Content); i += 2 {
		switch k := doc.Content[i]; k.Value {
		case "openapi", "swagger":
			version, vnode = k.Value+" "+doc.Content[i+1].Value, doc.Content[i+1]
		}
	}
	var loaded *openapi3.T
	switch {
	case strings.HasPrefix(version, "openapi 3."):
		loader := openapi3.NewLoader()
		loader.IncludeOrigin = true // validation errors then say where they are
		d, err := loader.LoadFromData(data)
		loaded = d
		if err == nil {
			err = validateAPIMExport(d)
		}
		if err != nil {
			pos := at(vnode)
			if loc := originOf(err); loc != nil {
				pos = engine.Pos{File: file, Line: loc.Line, Col: max(loc.Column, 1)}
			}
			errs.Add(pos, "", "invalid OpenAPI %s document: %s", strings.TrimPrefix(version, "openapi "), oneLine(err))
			return nil
		}
	case version == "swagger 2.0":
		var d2 openapi2.T
		js, err := yamlToJSON(&root)
		if err == nil {
			err = json.Unmarshal(js, &d2)
		}
		if err == nil {
			var d3 *openapi3.T
			if d3, err = openapi2conv.ToV3(&d2); err == nil {
				loaded = d3
				err = validateAPIMExport(d3)
			}
		}
		if err != nil {
			errs.Add(at(vnode), "", "invalid Swagger 2.0 document: %s", oneLine(err))
			return nil
		}
	default:
		errs.Add(at(vnode), "", "not an OpenAPI 2 or 3 document: it needs \"openapi: 3.x\" or \"swagger: \\\"2.0\\\"\"")
		return nil
	}
	var out []specOp
	paths := mapGet(doc, "paths")
	if paths == nil {
		return nil
	}
	for i := 0; i+1 < len(paths.Content); i += 2 {
		tpl, item := paths.Content[i], paths.Content[i+1]
		if item.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(item.Content); j += 2 {
			m := strings.ToUpper(item.Content[j].Value)
			if !isSpecMethod(m) {
				continue
			}
			opn := item.Content[j+1]
			op := specOp{method: m, template: tpl.Value, pos: at(item.Content[j])}
			if v := mapGet(opn, "operationId"); v != nil {
				op.id = v.Value
			}
			if v := mapGet(opn, "summary"); v != nil {
				op.name = v.Value
			}
			if op.id == "" {
				op.id = derivedOpID(m, tpl.Value)
			}
			if op.name == "" {
				op.name = op.id
			}
			op.spec = opSpec(loaded, tpl.Value, m)
			out = append(out, op)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].pos.Line < out[j].pos.Line })
	return out
}

// validateAPIMExport validates d as kin-openapi does, but takes what APIM's
// own export writes, and APIOps' extractor stores, as APIM reads it when the
// publisher imports it again: a parameter or schema whose type is the empty string (a
// parameter added in the portal without a type: any value), a response
// whose description is null, and an empty info.version (an API outside a
// version set). d is changed: the empty types are dropped and the null
// descriptions become empty.
func validateAPIMExport(d *openapi3.T) error {
	seen := map[*openapi3.Schema]bool{}
	var schema func(*openapi3.SchemaRef)
	schema = func(r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil || seen[r.Value] {
			return
		}
		sc := r.Value
		seen[sc] = true
		if sc.Type != nil && slices.Contains(*sc.Type, "") {
			t := slices.DeleteFunc(slices.Clone(*sc.Type), func(s string) bool { return s == "" })
			if len(t) == 0 {
				sc.Type = nil
			} else {
				sc.Type = (*openapi3.Types)(&t)
			}
		}
		for _, p := range sc.Properties {
			schema(p)
		}
		schema(sc.Items)
		schema(sc.Not)
		if sc.AdditionalProperties.Schema != nil {
			schema(sc.AdditionalProperties.Schema)
		}
		for _, list := range []openapi3.SchemaRefs{sc.AllOf, sc.AnyOf, sc.OneOf} {
			for _, x := range list {
				schema(x)
			}
		}
	}
	content := func(c openapi3.Content) {
		for _, mt := range c {
			if mt != nil {
				schema(mt.Schema)
			}
		}
	}
	params := func(ps openapi3.Parameters) {
		for _, p := range ps {
			if p != nil && p.Value != nil {
				schema(p.Value.Schema)
				content(p.Value.Content)
			}
		}
	}
	responses := func(rs map[string]*openapi3.ResponseRef) {
		for _, r := range rs {
			if r == nil || r.Value == nil {
				continue
			}
			if r.Value.Description == nil {
				r.Value.Description = new(string)
			}
			content(r.Value.Content)
			for _, h := range r.Value.Headers {
				if h != nil && h.Value != nil {
					schema(h.Value.Schema)
				}
			}
		}
	}
	if d.Components != nil {
		for _, sc := range d.Components.Schemas {
			schema(sc)
		}
		for _, p := range d.Components.Parameters {
			params(openapi3.Parameters{p})
		}
		responses(d.Components.Responses)
		for _, rb := range d.Components.RequestBodies {
			if rb != nil && rb.Value != nil {
				content(rb.Value.Content)
			}
		}
	}
	if d.Paths != nil {
		for _, item := range d.Paths.Map() {
			params(item.Parameters)
			for _, op := range item.Operations() {
				params(op.Parameters)
				if op.RequestBody != nil && op.RequestBody.Value != nil {
					content(op.RequestBody.Value.Content)
				}
				if op.Responses != nil {
					responses(op.Responses.Map())
				}
			}
		}
	}
	version := ""
	if d.Info != nil && d.Info.Version == "" {
		d.Info.Version = "-" // kin-openapi requires one; APIM exports "" and reads it back
		defer func() { d.Info.Version = version }()
	}
	return d.Validate(context.Background(), openapi3.DisableExamplesValidation(), openapi3.DisableSchemaDefaultsValidation())
}

// opSpec finds an operation in the loaded document, for the validation
// policies (nil if kin-openapi did not keep it).
func opSpec(d *openapi3.T, path, method string) *engine.OperationSpec {
	if d == nil || d.Paths == nil {
		return nil
	}
	item := d.Paths.Value(path)
	if item == nil {
		return nil
	}
	op := item.GetOperation(method)
	if op == nil {
		return nil
	}
	return &engine.OperationSpec{Doc: d, Path: path, Item: item, Op: op}
}

func isSpecMethod(m string) bool {
	switch m {
	case "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE":
		return true
	}
	return false
}

var nonIDChars = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// derivedOpID names an operation without an operationId: "get-users-id".
func derivedOpID(method, tpl string) string {
	s := strings.Trim(nonIDChars.ReplaceAllString(tpl, "-"), "-")
	if s == "" {
		return strings.ToLower(method)
	}
	return strings.ToLower(method) + "-" + strings.ToLower(s)
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func yamlToJSON(n *yaml.Node) ([]byte, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// oneLine keeps a library's multi-line error on one report line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

type jsonErr struct {
	off int64
	msg string
}

// jsonSyntax checks data is one JSON value and says where it is not.
func jsonSyntax(data []byte) *jsonErr {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, err2 := dec.Token(); err2 == nil {
			return &jsonErr{off: dec.InputOffset(), msg: "data after the top-level value"}
		}
		return nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &jsonErr{off: se.Offset, msg: se.Error()}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &jsonErr{off: te.Offset, msg: te.Error()}
	}
	return &jsonErr{off: int64(len(data)), msg: err.Error()}
}

// offsetPos turns a byte offset into file:line:col.
func offsetPos(file string, data []byte, off int64) engine.Pos {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return engine.Pos{File: file, Line: line, Col: col}
}

var yamlLineRe = regexp.MustCompile(`line (\d+)(?::(\d+))?`)

// yamlErrPos finds the line (and column, when the parser gives one) in a
// YAML error.
func yamlErrPos(file string, err error) engine.Pos {
	p := engine.Pos{File: file, Line: 1, Col: 1}
	if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			p.Col, _ = strconv.Atoi(m[2])
		}
	}
	return p
}

func yamlErrText(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	s = yamlLineRe.ReplaceAllString(s, "")
	s = strings.TrimLeft(s, ": ")
	return strings.Join(strings.Fields(s), " ")
}

// decodeJSONFile decodes a resource file (apiInformation.json and the
// like) strictly, reporting syntax errors and unknown fields at
// file:line:col.
func decodeJSONFile(file string, data []byte, v any, errs *engine.ErrorList) bool {
	if e := jsonSyntax(data); e != nil {
		errs.Add(offsetPos(file, data, e.off), "", "invalid JSON: %s", e.msg)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			errs.Add(offsetPos(file, data, te.Offset), "", "%s must be %s, not %s", te.Field, te.Type, te.Value)
		} else {
			errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "%s", err.Error())
		}
		return false
	}
	return true
}

var originType = reflect.TypeOf((*openapi3.Origin)(nil))

// originOf finds where a kin-openapi validation error is: the first error
// in its chain with an Origin field (kin-openapi's typed errors carry one
// when the loader records origins).
func originOf(err error) *openapi3.Location {
	var found *openapi3.Location
	var walk func(e error, depth int)
	walk = func(e error, depth int) {
		if e == nil || found != nil || depth > 32 {
			return
		}
		v := reflect.ValueOf(e)
		for v.Kind() == reflect.Pointer && !v.IsNil() {
			v = v.Elem()
		}
		if v.Kind() == reflect.Struct {
			if f := v.FieldByName("Origin"); f.IsValid() && f.Type() == originType && !f.IsNil() {
				if o := f.Interface().(*openapi3.Origin); o.Key != nil && o.Key.Line > 0 {
					found = o.Key
					return
				}
			}
		}
		switch u := e.(type) {
		case openapi3.MultiError:
			for _, x := range u {
				walk(x, depth+1)
			}
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x, depth+1)
			}
		default:
			walk(errors.Unwrap(e), depth+1)
		}
	}
	walk(err, 0)
	return found
}
