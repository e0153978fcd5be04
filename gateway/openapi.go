package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
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
	"tollgate/policies"
)

// specFiles are the names an API folder's OpenAPI specification may have
// (APIOps extracts specification.json or specification.yaml).
var specFiles = []string{"specification.json", "specification.yaml", "specification.yml"}

// specOp is one operation read from a specification, with where it is.
type specOp struct {
	id, name, method, template string
	// alias is a specification's operationId where APIM's normalization
	// changed it: an operation policy folder may have either name.
	alias string
	pos   engine.Pos
	spec  *engine.OperationSpec // from a specification: its OpenAPI data
	grpc  *grpcOpInfo           // from a .proto: its rpc (grpcproto.go)
}

// specOptions are the API's settings that shape what its specification's
// operations become.
type specOptions struct {
	// queryAsQuery is APIM's translateRequiredQueryParameters "query": a
	// required query parameter stays a query parameter. By default
	// ("template") it becomes a template parameter of the operation's URL
	// template, "/search?q={q}", which a request must then carry.
	queryAsQuery bool
}

// parseSpec reads an OpenAPI 2 or 3 document (JSON or YAML): it is
// validated with kin-openapi, and its operations are read from the YAML
// node tree so each keeps its file:line:col. Problems are reported at the
// place they are about. The operations are made as APIM's import makes
// them (docs/resource-model.md, "Operations from a specification").
func parseSpec(file string, data []byte, opt specOptions, errs *engine.ErrorList) []specOp {
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
	if x, p := mapGet(doc, "x-ms-paths"), mapGet(doc, "paths"); x != nil && p != nil {
		for i := 0; i+1 < len(x.Content); i += 2 {
			if mapGet(p, x.Content[i].Value) != nil {
				errs.Add(at(x.Content[i]), "", "x-ms-paths: %q is in paths too", x.Content[i].Value)
				return nil
			}
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
			err = addXMSPaths(loader, d)
		}
		if err == nil {
			err = validateAPIMExport(d)
		}
		if err != nil {
			pos := at(vnode)
			if loc := originOf(err); loc != nil {
				pos = engine.Pos{File: file, Line: loc.Line, Col: max(loc.Column, 1)}
			} else if n := externalRef(doc, err); n != nil {
				pos = at(n)
			}
			errs.Add(pos, "", "invalid OpenAPI %s document: %s%s", strings.TrimPrefix(version, "openapi "), oneLine(err), refHint(err))
			return nil
		}
	case version == "swagger 2.0":
		var d2 openapi2.T
		// x-ms-paths (APIM's supported extension) holds path items whose
		// keys have a query part; they are paths like the others.
		undo := mergeXMSPaths(doc)
		js, err := yamlToJSON(&root)
		if undo != nil {
			undo()
		}
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
			pos := at(vnode)
			if n := externalRef(doc, err); n != nil {
				pos = at(n)
			}
			errs.Add(pos, "", "invalid Swagger 2.0 document: %s%s", oneLine(err), refHint(err))
			return nil
		}
	default:
		errs.Add(at(vnode), "", "not an OpenAPI 2 or 3 document: it needs \"openapi: 3.x\" or \"swagger: \\\"2.0\\\"\"")
		return nil
	}
	var out []specOp
	ids := map[string]bool{}
	for _, key := range []string{"paths", "x-ms-paths"} {
		paths := mapGet(doc, key)
		if paths == nil {
			continue
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
				op.spec = opSpec(loaded, tpl.Value, m)
				if !opt.queryAsQuery {
					var bad string
					if op.template, bad = withRequiredQuery(tpl.Value, op.spec); bad != "" {
						errs.Add(op.pos, "", "required query parameter %q cannot be a parameter of the URL template (a name with none of ' {}*&=?#/' can): rename it, or give the API translateRequiredQueryParameters \"query\"", bad)
						continue
					}
				}
				// APIM's import: the operation's name (its resource name,
				// context.Operation.Id) is the operationId normalized, or
				// made from the method and template without one; its
				// display name the summary, else the operationId.
				var rawID string
				if v := mapGet(opn, "operationId"); v != nil && v.Tag != "!!null" {
					rawID = v.Value
				}
				if v := mapGet(opn, "summary"); v != nil && v.Tag != "!!null" {
					op.name = truncateRunes(v.Value, 300)
				}
				op.id = normalizeOpID(rawID)
				if op.id == "" {
					op.id = normalizeOpID(m + "-" + op.template)
				}
				op.id = dedupOpID(op.id, ids)
				if op.id != rawID {
					op.alias = rawID
				}
				if op.name == "" {
					op.name = rawID
				}
				if op.name == "" {
					op.name = op.id
				}
				out = append(out, op)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].pos.Line < out[j].pos.Line })
	return out
}

// normalizeOpID is APIM's normalization of an operationId into an
// operation's resource name: lower case, each run of characters other
// than letters and digits one '-', no '-' at either end, at most 76
// characters.
func normalizeOpID(s string) string {
	s = strings.Trim(nonIDChars.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 76 {
		s = strings.TrimRight(s[:76], "-")
	}
	return s
}

// dedupOpID makes id unique among used as APIM's import does, with a
// suffix -1 … -999, and marks it used.
func dedupOpID(id string, used map[string]bool) string {
	out := id
	for n := 1; used[out] && n <= 999; n++ {
		out = id + "-" + strconv.Itoa(n)
	}
	used[out] = true
	return out
}

func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// withRequiredQuery is tpl with the operation's required query parameters
// (its own and its path item's) added as template parameters, as APIM's
// import does by default: "/search" with a required q is
// "/search?q={q}". A name the template's query part already has (an
// x-ms-paths key's) is not added again.
func withRequiredQuery(tpl string, sp *engine.OperationSpec) (string, string) {
	if sp == nil {
		return tpl, ""
	}
	_, q, _ := strings.Cut(tpl, "?")
	have := map[string]bool{}
	for _, pair := range strings.Split(q, "&") {
		k, _, _ := strings.Cut(pair, "=")
		have[k] = true
	}
	var add []string
	seen := map[string]bool{}
	for _, list := range []openapi3.Parameters{sp.Op.Parameters, sp.Item.Parameters} { // the operation's win
		for _, p := range list {
			if p == nil || p.Value == nil || p.Value.In != openapi3.ParameterInQuery {
				continue
			}
			name := p.Value.Name
			if seen[name] {
				continue
			}
			seen[name] = true
			if p.Value.Required && !have[queryNameEscaper.Replace(name)] {
				if name == "" || strings.ContainsAny(name, " {}*&=?#/") {
					return tpl, name
				}
				add = append(add, queryNameEscaper.Replace(name)+"={"+name+"}")
			}
		}
	}
	if len(add) == 0 {
		return tpl, ""
	}
	sep := "?"
	if strings.Contains(tpl, "?") {
		sep = "&"
	}
	return tpl + sep + strings.Join(add, "&"), ""
}

// queryNameEscaper escapes what a template's query name cannot hold as it
// is (the others, ' {}*&=?#/', cannot be template parameters at all), so
// "$filter" stays "$filter".
var queryNameEscaper = strings.NewReplacer("%", "%25", "+", "%2B")

// mergeXMSPaths adds the entries of the document's x-ms-paths to its
// paths, and returns what puts the tree back (nil: nothing was added).
func mergeXMSPaths(doc *yaml.Node) (undo func()) {
	x := mapGet(doc, "x-ms-paths")
	if x == nil || x.Kind != yaml.MappingNode || len(x.Content) == 0 {
		return nil
	}
	paths := mapGet(doc, "paths")
	if paths == nil || paths.Kind != yaml.MappingNode {
		return nil // kin-openapi reports the missing paths
	}
	n := len(paths.Content)
	paths.Content = append(paths.Content, x.Content...)
	return func() { paths.Content = paths.Content[:n:n] }
}

// addXMSPaths adds an OpenAPI 3 document's x-ms-paths to its paths (the
// loader keeps an extension as it is: its path items are read here and
// their $refs resolved), then drops the extension.
func addXMSPaths(loader *openapi3.Loader, d *openapi3.T) error {
	raw, ok := d.Extensions["x-ms-paths"]
	if !ok {
		return nil
	}
	delete(d.Extensions, "x-ms-paths")
	js, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	var items map[string]*openapi3.PathItem
	if err := json.Unmarshal(js, &items); err != nil {
		return fmt.Errorf("x-ms-paths: %w", err)
	}
	if d.Paths == nil {
		d.Paths = openapi3.NewPaths()
	}
	for _, k := range slices.Sorted(maps.Keys(items)) {
		if items[k] == nil {
			return fmt.Errorf("x-ms-paths: %q must be a path item (an object)", k)
		}
		if d.Paths.Value(k) != nil {
			return fmt.Errorf("x-ms-paths: %q is in paths too", k)
		}
		d.Paths.Set(k, items[k])
	}
	return loader.ResolveRefsIn(d, nil)
}

// externalRef finds the $ref an error about a reference to another file
// names, to report the error there.
func externalRef(doc *yaml.Node, err error) *yaml.Node {
	msg := err.Error()
	i := strings.Index(msg, `external reference: "`)
	if i < 0 {
		return nil
	}
	ref, _, ok := strings.Cut(msg[i+len(`external reference: "`):], `"`)
	if !ok {
		return nil
	}
	var found *yaml.Node
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || found != nil || depth > 200 {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "$ref" && n.Content[i+1].Value == ref {
					found = n.Content[i+1]
					return
				}
			}
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(doc, 0)
	return found
}

// refHint says what to do about a $ref to another file: APIM's import
// cannot follow one either.
func refHint(err error) string {
	if strings.Contains(err.Error(), "external reference") {
		return " (a $ref cannot point to another file, in APIM either: put the definitions in this document)"
	}
	return ""
}

// validateAPIMExport validates d as kin-openapi does, but takes what APIM's
// own export writes, and APIOps' extractor stores, as APIM reads it when the
// publisher imports it again: a parameter or schema whose type is the empty string (a
// parameter added in the portal without a type: any value) or a name
// OpenAPI does not define (APIM keeps a parameter's type as written, and
// exports "type: int": github.com/IATI/apim-iati-gateway's Datastore Search
// Services API), a response whose description is null, and an empty
// info.version (an API outside a version set). d is changed: those types
// are dropped (tollgate's choice: any value, as for no type) and the null
// descriptions become empty.
// unknownSchemaType: a schema type OpenAPI 3.0 and 3.1 do not define ("",
// "int", "bool").
func unknownSchemaType(t string) bool {
	switch t {
	case "array", "boolean", "integer", "number", "object", "string", "null":
		return false
	}
	return true
}

func validateAPIMExport(d *openapi3.T) error {
	seen := map[*openapi3.Schema]bool{}
	var schema func(*openapi3.SchemaRef)
	schema = func(r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil || seen[r.Value] {
			return
		}
		sc := r.Value
		seen[sc] = true
		if sc.Type != nil && slices.ContainsFunc(*sc.Type, unknownSchemaType) {
			t := slices.DeleteFunc(slices.Clone(*sc.Type), unknownSchemaType)
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
			if item == nil {
				continue
			}
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
	// patterns compile on .NET's engine, as the validation policies run them
	return d.Validate(context.Background(), openapi3.DisableExamplesValidation(), openapi3.DisableSchemaDefaultsValidation(),
		openapi3.SetRegexCompiler(policies.OpenAPIRegex))
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
	if op.RequestBody != nil && (method == "GET" || method == "HEAD" || method == "OPTIONS") {
		// APIM's import discards the request body of these methods.
		c := *op
		c.RequestBody = nil
		op = &c
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

// derivedOpID names an operation of api.xml without an id: "get-users-id".
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
		// Anything after the value but white space, a token or not
		// (`{}x`), is data after it.
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
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
			field := te.Field
			if field == "" {
				field = "this value"
			}
			errs.Add(offsetPos(file, data, te.Offset), "", "%s must be %s, not %s", field, jsonKindOf(te.Type), jsonValueKind(te.Value))
		} else {
			errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "%s", err.Error())
		}
		return false
	}
	return true
}

// jsonKindOf says in JSON's words what a Go type decodes from ("an
// object", not the Go type: a resource file's author never saw it).
func jsonKindOf(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return jsonKindOf(t.Elem())
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a value"
}

// jsonValueKind is encoding/json's word for the value it found ("array",
// "number 1.5"), with an article.
func jsonValueKind(v string) string {
	switch {
	case v == "array":
		return "a list"
	case v == "object":
		return "an object"
	case v == "bool":
		return "true or false"
	case v == "string" || strings.HasPrefix(v, "number"):
		return "a " + v
	}
	return v
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
