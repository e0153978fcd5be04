package policies

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"tollgate/engine"
)

// validate-content's schema-id: the request or response body validated
// against a schema resource of the folder (APIM's global schemas,
// schemas/NAME/schemaInformation.json), a JSON Schema document (draft 7
// unless its $schema names another: 4, 6, 2019-09, 2020-12), optionally at
// schema-ref inside it ("#/components/schemas/address"), with
// github.com/santhosh-tekuri/jsonschema/v6. The document is compiled at
// load; it may $ref only inside itself (no file or network is read). Its
// patterns run on .NET's engine (schema_pattern.go).

// globalSchemaURL is the URL a schema resource is compiled under.
func globalSchemaURL(id string) string {
	return "https://schemas.tollgate.invalid/" + url.PathEscape(id) + ".json"
}

// noLoader refuses every $ref out of the document.
type noLoader struct{}

func (noLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("a schema may $ref only inside itself, not %s", u)
}

// globalSchemaOf finds the schema resource schema-id names, which must be
// of type typ: false after a load error, where id names none or one of
// another type (wrongType: the message, given id and the type it has).
func globalSchemaOf(p *engine.Parser, a *engine.Attr, id, typ, wrongType string) (engine.SchemaDoc, bool) {
	doc, ok := p.GlobalSchema(id)
	if !ok {
		p.ErrorAt(a.ValuePos, "schema-id %q names no schema (schemas/%s/schemaInformation.json)", id, id)
		return doc, false
	}
	if doc.Type != typ {
		p.ErrorAt(a.ValuePos, wrongType, id, doc.Type)
		return doc, false
	}
	return doc, true
}

// compileGlobalSchema compiles schema-id's schema (at ref), with
// allow-additional-properties applied; nil after a load error.
func compileGlobalSchema(p *engine.Parser, a *engine.Attr, id, ref string, additional *bool, fold bool) *jsonschema.Schema {
	if id == "" {
		return nil
	}
	doc, ok := globalSchemaOf(p, a, id, "json", "schema %q is an %s schema: tollgate validates JSON schemas only (validate-as=\"json\")")
	if !ok {
		return nil
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc.Doc))
	if err != nil {
		p.ErrorAt(a.ValuePos, "schema %q (%s) is not JSON: %s", id, doc.File, err.Error())
		return nil
	}
	if additional != nil {
		setAdditional(inst, *additional)
	}
	if fold {
		foldSchemaNames(inst)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.UseLoader(noLoader{})
	c.UseRegexpEngine(jsonSchemaRegexp)
	u := globalSchemaURL(id)
	if err := c.AddResource(u, inst); err != nil {
		p.ErrorAt(a.ValuePos, "schema %q (%s): %s", id, doc.File, oneLine(err))
		return nil
	}
	sch, err := c.Compile(u + ref)
	if err != nil {
		msg := oneLine(err)
		if ref != "" && strings.Contains(msg, "not found") {
			msg = fmt.Sprintf("schema-ref %q is not in it", ref)
		}
		p.ErrorAt(a.ValuePos, "schema %q (%s) does not compile: %s", id, doc.File, strings.ReplaceAll(msg, u, id))
		return nil
	}
	return sch
}

// oneLine is an error's text on one line, its runs of spaces and line
// breaks made one space.
func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// setAdditional sets additionalProperties on every object schema of a
// document (allow-additional-properties).
func setAdditional(v any, allow bool) {
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			setAdditional(c, allow)
		}
		if _, props := x["properties"]; props || x["type"] == "object" {
			x["additionalProperties"] = allow
		}
	case []any:
		for _, c := range x {
			setAdditional(c, allow)
		}
	}
}

// foldSchemaNames puts a JSON Schema document's property names in lower
// case (case-insensitive-property-names): the keys of every "properties",
// the names in every "required", and every "patternProperties" pattern
// made case-insensitive.
func foldSchemaNames(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			switch k {
			case "properties", "patternProperties", "definitions", "$defs", "dependentSchemas":
				if m, ok := c.(map[string]any); ok { // names to schemas: each value is a schema
					for _, sc := range m {
						foldSchemaNames(sc)
					}
				}
			case "enum", "const", "default", "examples", "example":
				// instance data, not schemas
			default:
				foldSchemaNames(c)
			}
		}
		if props, ok := x["properties"].(map[string]any); ok {
			m := make(map[string]any, len(props))
			for k, c := range props {
				m[strings.ToLower(k)] = c
			}
			x["properties"] = m
		}
		if req, ok := x["required"].([]any); ok {
			for i, r := range req {
				if s, ok := r.(string); ok {
					req[i] = strings.ToLower(s)
				}
			}
		}
		if pp, ok := x["patternProperties"].(map[string]any); ok {
			m := make(map[string]any, len(pp))
			for k, c := range pp {
				m["(?i)"+k] = c
			}
			x["patternProperties"] = m
		}
	case []any:
		for _, c := range x {
			foldSchemaNames(c)
		}
	}
}

// validateGlobal validates a body against its content rule's schema
// resource.
func (v *validateContent) validateGlobal(r *contentRule, data []byte, ct, typ, what string, val *validation, pub func(string) string) {
	if r.act == actIgnore {
		return
	}
	def := r.schemaID
	if r.ref != "" {
		def = r.ref[strings.LastIndexByte(r.ref, '/')+1:]
	}
	conform := "Body of the " + what + " does not conform to the definition " + def + ", which is associated with the content type " + ct + ".\n\n"
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		d := conform + "The body is not valid JSON: " + oneLine(err) + "."
		val.add(r.act, validationError{Name: ct, Type: typ, ValidationRule: "IncorrectMessage", Details: d, public: pub(d)})
		return
	}
	if r.fold {
		if dup := foldKeys(inst); dup != "" {
			d := conform + caseClash(dup)
			val.add(r.act, validationError{Name: ct, Type: typ, ValidationRule: "IncorrectMessage", Details: d, public: pub(d)})
			return
		}
	}
	err, lim := catchPatternLimit(func() error { return r.global.Validate(inst) })
	switch {
	case lim != nil:
		d := conform + lim.message(inst)
		val.add(r.act, validationError{Name: ct, Type: typ, ValidationRule: "IncorrectMessage", Details: d, public: pub(d)})
	case err != nil:
		d := conform + globalSchemaMessage(err)
		val.add(r.act, validationError{Name: ct, Type: typ, ValidationRule: "IncorrectMessage", Details: d, public: pub(d)})
	}
}

// globalSchemaMessage is one line for a JSON Schema error: the first
// reason and where, as schemaMessage words kin-openapi's.
func globalSchemaMessage(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return oneLine(err)
	}
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil {
			continue
		}
		msg := u.Error.String()
		if msg == "" || strings.HasPrefix(msg, "validation failed") {
			continue
		}
		msg = strings.ToUpper(msg[:1]) + msg[1:] + "."
		if loc := strings.Trim(u.InstanceLocation, "/"); loc != "" {
			msg += " Path '" + strings.ReplaceAll(loc, "/", ".") + "'."
		}
		return msg
	}
	return oneLine(err)
}
