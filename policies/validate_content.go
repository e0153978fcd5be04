package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"mime"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"tollgate/engine"
	"tollgate/internal/xsd"
)

// <validate-content unspecified-content-type-action="ignore | prevent | detect"
//
//	max-size="size in bytes" size-exceeded-action="ignore | prevent | detect"
//	errors-variable-name="variable name">
//	<content-type-map any-content-type-value="…" missing-content-type-value="…">
//	    <type from | when="content type string" to="content type string" />
//	</content-type-map>
//	<content type="…" validate-as="json | xml | soap" schema-id="…" schema-ref="#/components/schemas/X"
//	    action="ignore | prevent | detect" allow-additional-properties="true | false" />
//
// </validate-content>
// Inbound it validates the request body against the operation's OpenAPI
// requestBody; outbound and in on-error the response body against the
// operation's response for its status. The size is checked first, from
// Content-Length when there is one, so a body over max-size is never read.
// JSON is validated with JSON Schema; XML and SOAP (validate-as="xml",
// "soap") with tollgate's XML Schema validator (validate_content_xml.go).
// schema-id names a schema resource of the folder
// (validate_content_schema.go); schema-ref alone points into the API's own
// specification.
type validateContent struct {
	validator
	unspecified, sizeExceeded action
	maxSize                   int64
	anyType, missingType      string
	maps                      []typeMap
	contents                  []contentRule
	schemas                   sync.Map // overrideKey -> *openapi3.Schema
}

type typeMap struct {
	from string      // exact content type ("" : use when)
	when engine.Bool // condition
	to   string
}

type contentRule struct {
	typ        string // "" : every type the specification lists
	ref        string // schema-ref ("" : the specification's schema)
	act        action
	additional *bool // allow-additional-properties (nil: as the schema says)
	// fold: case-insensitive-property-names: property names compared
	// without case (schema and body both seen in lower case)
	fold bool
	// schemaID, with global: the schema resource schema-id names
	// (validate_content_schema.go), compiled at load.
	schemaID string
	global   *jsonschema.Schema
	// as is validate-as: json, xml or soap; xsd is an XML schema
	// resource's compiled schema (validate_content_xml.go).
	as  string
	xsd *xsd.Set
}

type overrideKey struct {
	s     *openapi3.Schema
	allow int8 // 0: as the schema says, 1: false, 2: true
	fold  bool
}

// apimMaxContentSize is the upper bound APIM's page gives max-size (100 KB),
// "contact support if you need to increase this limit": deployed policies ask
// for more, so a larger value loads with a notice. The body read is bounded
// by the API's max-body-size either way.
const apimMaxContentSize = 102400

func (k *kit) parseValidateContent(p *engine.Parser) engine.Step {
	v := &validateContent{
		validator:    validator{k: k, policy: "validate-content", varName: p.LitStr("errors-variable-name", ""), response: p.Section() != engine.Inbound},
		unspecified:  litAction(p, "unspecified-content-type-action", true, actIgnore),
		maxSize:      p.RequiredLitInt("max-size", 0, math.MaxInt32),
		sizeExceeded: litAction(p, "size-exceeded-action", true, actIgnore),
	}
	if v.maxSize > apimMaxContentSize && v.maxSize <= math.MaxInt32 {
		p.Noticef("max-size %d is over the 102,400 bytes APIM's page allows without a support request; tollgate takes it, and still reads no body past the API's max-body-size", v.maxSize)
	}
	for _, n := range p.Children() {
		cp := p.Child(n)
		switch n.Name {
		case "content-type-map":
			v.anyType = strings.ToLower(cp.LitStr("any-content-type-value", ""))
			v.missingType = strings.ToLower(cp.LitStr("missing-content-type-value", ""))
			for _, tn := range cp.Children() {
				tp := cp.Child(tn)
				if tn.Name != "type" {
					tp.Errorf("<content-type-map> has no child element <%s> (only <type>)", tn.Name)
					continue
				}
				m := typeMap{to: strings.ToLower(tp.RequiredLitStr("to"))}
				hasFrom, hasWhen := tp.Has("from"), tp.Has("when")
				if hasFrom {
					m.from = strings.ToLower(tp.LitStr("from", ""))
				}
				if hasWhen {
					m.when = tp.Bool("when", false)
				}
				switch {
				case hasFrom && hasWhen:
					tp.ErrorAt(tp.Attr("when").Pos, "<type> takes from or when, not both")
				case !hasFrom && !hasWhen:
					tp.Errorf("<type> needs the attribute from or when")
				}
				v.maps = append(v.maps, m)
			}
		case "content":
			r := contentRule{typ: strings.ToLower(cp.LitStr("type", "")), act: litAction(cp, "action", true, actIgnore)}
			r.as = cp.RequiredLitStr("validate-as", "json", "xml", "soap")
			if r.as == "xml" || r.as == "soap" {
				if v.parseXMLContent(cp, &r) {
					v.contents = append(v.contents, r)
				}
				continue
			}
			if cp.Has("allow-additional-properties") {
				b := cp.LitBool("allow-additional-properties", false)
				r.additional = &b
			}
			r.fold = cp.LitBool("case-insensitive-property-names", false)
			if a := cp.Attr("schema-ref"); a != nil {
				r.ref = cp.LitStr("schema-ref", "")
				switch {
				case cp.Has("schema-id") && r.ref == "#":
					// the whole document, as JSON Pointer's empty fragment
					// reads: the same as no schema-ref
					r.ref = ""
				case cp.Has("schema-id") && !strings.HasPrefix(r.ref, "#/"):
					cp.ErrorAt(a.ValuePos, "schema-ref must be a local reference into the schema, such as \"#/components/schemas/address\" or \"#\" (not %q)", r.ref)
				case !cp.Has("schema-id") && !strings.HasPrefix(r.ref, "#/components/schemas/"):
					cp.ErrorAt(a.ValuePos, "schema-ref must be a local reference such as \"#/components/schemas/address\" (not %q)", r.ref)
				}
			}
			if a := cp.Attr("schema-id"); a != nil {
				r.schemaID = cp.RequiredLitStr("schema-id")
				r.global = compileGlobalSchema(cp, a, r.schemaID, r.ref, r.additional, r.fold)
			}
			v.contents = append(v.contents, r)
		default:
			cp.Errorf("<validate-content> has no child element <%s> (only <content-type-map>, <content>)", n.Name)
		}
	}
	return v
}

func (v *validateContent) Run(_ context.Context, s *engine.State) error {
	var val validation
	c := s.Context()
	typ, what, entity := "RequestBody", "request", "Request"
	var headers engine.Headers
	var body *engine.Body
	if v.response {
		typ, what, entity = "ResponseBody", "response", "Response"
		r := s.Response()
		headers, body = r.Headers, r.Body
	} else {
		headers, body = c.Request.Headers, c.Request.Body
	}
	pub := func(msg string) string { return publicFor(v.response, msg) }

	// The size, from Content-Length when known: a body over max-size is never read.
	size := int64(-1)
	if cl := headers.GetValueOrDefault("Content-Length", ""); cl != "" {
		if n, err := strconv.ParseInt(strings.TrimSpace(cl), 10, 64); err == nil && n >= 0 {
			size = n
		}
	}
	var data []byte
	long := "" // the body's length for the messages
	if size < 0 || size <= v.maxSize {
		b, err := body.Bytes()
		switch {
		case errors.Is(err, engine.ErrBodyTooLarge):
			// No Content-Length, and larger than the gateway reads at all.
			size, long = v.maxSize+1, "more than the gateway's max-body-size"
		case err != nil:
			return err
		default:
			data, size = b, int64(len(b))
		}
	}
	if size > v.maxSize {
		if long == "" {
			long = strconv.FormatInt(size, 10)
		}
		limit := strconv.FormatInt(v.maxSize, 10)
		d := entity + "'s body is " + long + " bytes long and it exceeds the configured limit of " + limit + " bytes."
		val.add(v.sizeExceeded, validationError{Type: typ, ValidationRule: "SizeLimit", Details: d,
			public: pub(entity + "'s body is " + long + " bytes long and it exceeds the limit of " + limit + " bytes.")})
		return v.finish(s, &val) // the body is not read (or not whole), so not validated
	}

	ct, err := v.contentType(s, headers.GetValueOrDefault("Content-Type", ""))
	if err != nil {
		return err
	}
	if r := v.rule(ct); r != nil && r.global != nil && ct != "" {
		// schema-id: the schema resource, whatever the specification says.
		v.validateGlobal(r, data, ct, typ, what, &val, pub)
		return v.finish(s, &val)
	}
	if r := v.rule(ct); r != nil && (r.as == "xml" || r.as == "soap") && ct != "" {
		if len(data) > 0 {
			v.validateXML(s, r, data, ct, typ, what, &val, pub)
		}
		return v.finish(s, &val)
	}
	spec := opSpec(s)
	if len(data) == 0 {
		// No body: nothing to validate, unless the request needs one.
		if !v.response && spec != nil && spec.Op.RequestBody != nil && spec.Op.RequestBody.Value != nil && spec.Op.RequestBody.Value.Required {
			if r := v.rule(ct); r != nil && ct != "" && spec.Op.RequestBody.Value.Content.Get(ct) != nil {
				d := "Body of the request does not conform to the definition " + definitionName(spec.Op.RequestBody.Value.Content.Get(ct).Schema, r.ref, spec, what) +
					", which is associated with the content type " + ct + ".\n\nThe request body is required."
				val.add(r.act, validationError{Name: ct, Type: typ, ValidationRule: "IncorrectMessage", Details: d, public: pub(d)})
			}
		}
		return v.finish(s, &val)
	}
	if spec == nil {
		if engine.SOAPSchemas(s.Context().Api) != nil {
			// A SOAP API: its content types are the <content> elements'.
			d := "Unspecified content type " + ct + " is not allowed."
			val.add(v.unspecified, validationError{Name: ct, Type: typ, ValidationRule: "Unspecified", Details: d, public: pub(d)})
			return v.finish(s, &val)
		}
		val.add(v.unspecified, noSchema())
		return v.finish(s, &val)
	}
	var content openapi3.Content
	if v.response {
		if r := specResponse(spec, s.Response().StatusCode); r != nil {
			content = r.Content
		}
	} else if rb := spec.Op.RequestBody; rb != nil && rb.Value != nil {
		content = rb.Value.Content
	}
	mt := content.Get(ct)
	if ct == "" || mt == nil {
		d := "Unspecified content type " + ct + " is not allowed."
		val.add(v.unspecified, validationError{Name: ct, Type: typ, ValidationRule: "Unspecified", Details: d, public: pub(d)})
		return v.finish(s, &val)
	}
	rule := v.rule(ct)
	if rule == nil || rule.act == actIgnore {
		return v.finish(s, &val)
	}
	sref := mt.Schema
	if rule.ref != "" {
		sref = nil
		if cs := spec.Doc.Components; cs != nil {
			sref = cs.Schemas[strings.TrimPrefix(rule.ref, "#/components/schemas/")]
		}
	}
	def := definitionName(sref, rule.ref, spec, what)
	if sref == nil || sref.Value == nil {
		d := "API's schema does not contain definition " + def + ", which is associated with the content type " + ct + "."
		val.add(rule.act, validationError{Name: ct, Type: typ, ValidationRule: "MissingDefinition", Details: d})
		return v.finish(s, &val)
	}
	sch := sref.Value
	if rule.additional != nil || rule.fold {
		sch = v.override(sch, rule.additional, rule.fold)
	}
	conform := "Body of the " + what + " does not conform to the definition " + def + ", which is associated with the content type " + ct + ".\n\n"
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		d := conform + jsonProblem(data, err)
		val.add(rule.act, validationError{Name: ct, Type: typ, ValidationRule: "IncorrectMessage", Details: d, public: pub(d)})
		return v.finish(s, &val)
	}
	if rule.fold {
		if dup := foldKeys(doc); dup != "" {
			d := conform + caseClash(dup)
			val.add(rule.act, validationError{Name: ct, Type: typ, ValidationRule: "IncorrectMessage", Details: d, public: pub(d)})
			return v.finish(s, &val)
		}
	}
	opt := openapi3.VisitAsRequest()
	if v.response {
		opt = openapi3.VisitAsResponse()
	}
	err, lim := catchPatternLimit(func() error { return sch.VisitJSON(doc, opt, openAPIRegexOpt) })
	switch {
	case lim != nil:
		d := conform + lim.message(doc)
		if path := lim.path(doc); len(path) > 0 {
			if off, ok := seek(json.NewDecoder(bytes.NewReader(data)), path); ok {
				d += linePos(data, off)
			}
		}
		val.add(rule.act, validationError{Name: ct, Type: typ, ValidationRule: "IncorrectMessage", Details: d, public: pub(d)})
	case err != nil:
		d := conform + schemaMessage(err) + lineAndPosition(data, err)
		val.add(rule.act, validationError{Name: ct, Type: typ, ValidationRule: "IncorrectMessage", Details: d, public: pub(d)})
	}
	return v.finish(s, &val)
}

// contentType is the media type validation uses: the message's, mapped by
// content-type-map (a type element first, then any- and missing-).
func (v *validateContent) contentType(s *engine.State, header string) (string, error) {
	ct := strings.ToLower(strings.TrimSpace(header))
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		ct = mt
	} else if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	for _, m := range v.maps {
		if m.from != "" {
			if m.from == ct {
				return m.to, nil
			}
			continue
		}
		ok, err := m.when.Eval(s)
		if err != nil {
			return "", err
		}
		if ok {
			return m.to, nil
		}
	}
	if v.anyType != "" {
		return v.anyType, nil
	}
	if ct == "" && v.missingType != "" {
		return v.missingType, nil
	}
	return ct, nil
}

// rule is the content element for a media type (an element without type
// applies to every type).
func (v *validateContent) rule(ct string) *contentRule {
	for i := range v.contents {
		if v.contents[i].typ == ct {
			return &v.contents[i]
		}
	}
	for i := range v.contents {
		if v.contents[i].typ == "" {
			return &v.contents[i]
		}
	}
	return nil
}

// override returns sch with additionalProperties set to allow everywhere
// (allow-additional-properties, when not nil) and, with fold, its property
// names in lower case (case-insensitive-property-names), built once per
// schema and kept.
func (v *validateContent) override(sch *openapi3.Schema, allow *bool, fold bool) *openapi3.Schema {
	key := overrideKey{s: sch, fold: fold}
	if allow != nil {
		key.allow = 1
		if *allow {
			key.allow = 2
		}
	}
	if o, ok := v.schemas.Load(key); ok {
		return o.(*openapi3.Schema)
	}
	o := withOverrides(sch, allow, fold, map[*openapi3.Schema]*openapi3.Schema{})
	v.schemas.Store(key, o)
	return o
}

// caseClash is the detail of a body whose object has two property names
// that differ only in case (foldKeys), under case-insensitive-property-names.
func caseClash(names string) string {
	return "Property names " + names + " differ only in case, which case-insensitive-property-names cannot tell apart."
}

// foldKeys puts a JSON document's property names in lower case, in place
// (case-insensitive-property-names). It returns two names that differ
// only in case when an object has them ("" when none does).
func foldKeys(v any) string {
	switch x := v.(type) {
	case map[string]any:
		var dup string
		for k, c := range x {
			if d := foldKeys(c); d != "" && dup == "" {
				dup = d
			}
			lk := strings.ToLower(k)
			if lk == k {
				continue
			}
			if _, clash := x[lk]; clash && dup == "" {
				dup = strconv.Quote(lk) + " and " + strconv.Quote(k)
			}
			delete(x, k)
			x[lk] = c
		}
		return dup
	case []any:
		var dup string
		for _, c := range x {
			if d := foldKeys(c); d != "" && dup == "" {
				dup = d
			}
		}
		return dup
	}
	return ""
}

// foldNames puts a schema's property names in lower case: its properties'
// keys and required list, and its pattern properties match without case.
func foldNames(c *openapi3.Schema) {
	if c.Properties != nil {
		m := make(openapi3.Schemas, len(c.Properties))
		for k, r := range c.Properties {
			m[strings.ToLower(k)] = r
		}
		c.Properties = m
	}
	if c.Required != nil {
		req := make([]string, len(c.Required))
		for i, r := range c.Required {
			req[i] = strings.ToLower(r)
		}
		c.Required = req
	}
	if c.PatternProperties != nil {
		m := make(openapi3.Schemas, len(c.PatternProperties))
		for k, r := range c.PatternProperties {
			m["(?i)"+k] = r
		}
		c.PatternProperties = m
	}
}

// withOverrides copies a schema graph (cycles kept) with every object
// schema's additionalProperties set to allow (when not nil) and, with
// fold, its property names folded (foldNames).
func withOverrides(s *openapi3.Schema, allow *bool, fold bool, memo map[*openapi3.Schema]*openapi3.Schema) *openapi3.Schema {
	if s == nil {
		return nil
	}
	if c, ok := memo[s]; ok {
		return c
	}
	c := new(openapi3.Schema)
	*c = *s
	memo[s] = c
	ref := func(r *openapi3.SchemaRef) *openapi3.SchemaRef {
		if r == nil {
			return nil
		}
		return &openapi3.SchemaRef{Ref: r.Ref, Value: withOverrides(r.Value, allow, fold, memo)}
	}
	refs := func(rs openapi3.SchemaRefs) openapi3.SchemaRefs {
		if rs == nil {
			return nil
		}
		out := make(openapi3.SchemaRefs, len(rs))
		for i, r := range rs {
			out[i] = ref(r)
		}
		return out
	}
	schemas := func(m openapi3.Schemas) openapi3.Schemas {
		if m == nil {
			return nil
		}
		out := make(openapi3.Schemas, len(m))
		for k, r := range m {
			out[k] = ref(r)
		}
		return out
	}
	c.OneOf, c.AnyOf, c.AllOf, c.PrefixItems = refs(s.OneOf), refs(s.AnyOf), refs(s.AllOf), refs(s.PrefixItems)
	c.Not, c.Items = ref(s.Not), ref(s.Items)
	c.Properties, c.PatternProperties, c.DependentSchemas = schemas(s.Properties), schemas(s.PatternProperties), schemas(s.DependentSchemas)
	if allow != nil && (s.Type.Is("object") || len(s.Properties) > 0) {
		b := *allow
		c.AdditionalProperties = openapi3.AdditionalProperties{Has: &b}
	} else if s.AdditionalProperties.Schema != nil {
		c.AdditionalProperties = openapi3.AdditionalProperties{Has: s.AdditionalProperties.Has, Schema: ref(s.AdditionalProperties.Schema)}
	}
	if fold {
		foldNames(c)
	}
	return c
}

// definitionName names the schema in errors: the component's name for a
// $ref, otherwise the operation's id and what is validated.
func definitionName(r *openapi3.SchemaRef, ref string, spec *engine.OperationSpec, what string) string {
	if ref == "" && r != nil {
		ref = r.Ref
	}
	if i := strings.LastIndexByte(ref, '/'); i >= 0 && i+1 < len(ref) {
		return ref[i+1:]
	}
	id := spec.Op.OperationID
	if id == "" {
		id = strings.ToLower(spec.Path)
	}
	return id + strings.ToUpper(what[:1]) + what[1:]
}

// jsonProblem describes invalid JSON with APIM's "Line: n, Position: m".
func jsonProblem(data []byte, err error) string {
	off := int64(-1)
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	msg := "The body is not valid JSON: " + err.Error() + "."
	if off < 0 {
		return msg
	}
	return msg + linePos(data, off)
}

// linePos is APIM's " Line: n, Position: m" for a byte offset (the
// position counts the bytes of the line up to the offset).
func linePos(data []byte, off int64) string {
	line, pos := 1, 0
	for i := int64(0); i < off && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, pos = line+1, 0
		} else {
			pos++
		}
	}
	return " Line: " + strconv.Itoa(line) + ", Position: " + strconv.Itoa(pos)
}

// lineAndPosition places a schema error in the body: just after the first
// token of the value it is about (for a missing property, its object).
func lineAndPosition(data []byte, err error) string {
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	off, ok := seek(dec, se.JSONPointer())
	if !ok {
		return ""
	}
	return linePos(data, off)
}

// seek reads the value at dec's position down to path and returns the
// offset just after that value's first token (or after the first token of
// the deepest value on the path that exists).
func seek(dec *json.Decoder, path []string) (int64, bool) {
	tok, err := dec.Token()
	if err != nil {
		return 0, false
	}
	at := dec.InputOffset()
	d, isDelim := tok.(json.Delim)
	if len(path) == 0 || !isDelim || d == '}' || d == ']' {
		return at, true
	}
	for i := 0; dec.More(); i++ {
		if d == '{' {
			k, err := dec.Token()
			if err != nil {
				return 0, false
			}
			if ks, _ := k.(string); ks == path[0] {
				return seek(dec, path[1:])
			}
		} else if strconv.Itoa(i) == path[0] {
			return seek(dec, path[1:])
		}
		if !skipValue(dec) {
			return 0, false
		}
	}
	return at, true
}

// skipValue reads one whole value.
func skipValue(dec *json.Decoder) bool {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return true
		}
	}
}
