package gateway

import (
	"slices"
	"strings"
	"testing"

	"tollgate/engine"
)

// TestParseSpecKeepsOpenAPI checks that every operation read from a
// specification carries its OpenAPI description for the validation
// policies, for OpenAPI 3 and for Swagger 2.0 (converted to OpenAPI 3).
func TestParseSpecKeepsOpenAPI(t *testing.T) {
	for _, tc := range []struct{ file, src string }{
		{"specification.yaml", `openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /pets/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
    get:
      operationId: getPet
      parameters: [{name: q, in: query, schema: {type: string}}]
      responses: {"200": {description: ok}}
`},
		{"specification.json", `{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "basePath": "/v1",
 "paths": {"/pets/{id}": {"parameters": [{"name": "id", "in": "path", "required": true, "type": "integer"}],
  "get": {"operationId": "getPet", "parameters": [{"name": "q", "in": "query", "type": "string"}], "responses": {"200": {"description": "ok"}}}}}}`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var errs engine.ErrorList
			ops := parseSpec(tc.file, []byte(tc.src), specOptions{}, &errs)
			if len(errs) > 0 || len(ops) != 1 {
				t.Fatalf("ops %+v errs %v", ops, errs)
			}
			sp := ops[0].spec
			if sp == nil || sp.Doc == nil || sp.Op == nil || sp.Item == nil || sp.Path != "/pets/{id}" || sp.Op.OperationID != "getPet" {
				t.Fatalf("spec %+v", sp)
			}
			if len(sp.Item.Parameters) != 1 || sp.Item.Parameters[0].Value.Schema.Value.Type.Slice()[0] != "integer" ||
				len(sp.Op.Parameters) != 1 || sp.Op.Parameters[0].Value.Name != "q" {
				t.Errorf("parameters: item %+v op %+v", sp.Item.Parameters, sp.Op.Parameters)
			}
		})
	}
}

// TestParseSpecAPIMExport: what APIM's own export writes, and APIOps'
// extractor stores, loads as APIM reads it back: an empty type string on a parameter
// added in the portal without a type, a response whose description is
// null, an empty info.version (each of these was seen in most public
// extracted folders); what is wrong for APIM too still is an error.
func TestParseSpecAPIMExport(t *testing.T) {
	const head = "openapi: 3.0.1\ninfo:\n  title: Star Wars\n  version: '1'\npaths:\n"
	for _, tc := range []struct {
		name, src, err string
	}{
		{name: "type '' on parameters", src: head + `  /people/{id}:
    get:
      operationId: GetPeopleById
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: ''
        - name: x-trace
          in: header
          schema:
            type: ''
      responses:
        '200':
          description: null
`},
		{name: "type '' deep in a body schema", src: head + `  /items:
    post:
      operationId: post-items
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                a: {type: ''}
                b: {type: array, items: {type: ''}}
      responses:
        '200': {description: }
`},
		{name: "an empty info.version", src: "openapi: 3.0.1\ninfo:\n  title: Star Wars\n  version: ''\npaths:\n  /x:\n    get:\n      responses:\n        '200':\n          description: ''\n"},
		// APIM keeps a parameter's type as written and exports it: type: int
		// in github.com/IATI/apim-iati-gateway, apimartifacts/apis/Datastore
		// Search Services/Original/1/specification.yaml (trimmed). It is no
		// type (any value), as '' is.
		{name: "a type OpenAPI does not define", src: head + `  '/{collection}/{responsetype}':
    get:
      summary: Query
      operationId: 61e68d79d08b13d923cf153b
      parameters:
        - name: collection
          in: path
          required: true
          schema:
            enum:
              - activity
              - budget
            type: string
        - name: responsetype
          in: path
          required: true
          schema:
            type: string
        - name: rows
          in: query
          schema:
            type: int
        - name: start
          in: query
          schema:
            type: [int, integer]
      responses:
        '200':
          description: ''
`},
		{name: "what is wrong for APIM too", src: head + "  /x:\n    get:\n      parameters: [{name: id, in: path, schema: {type: string}}]\n      responses: {'200': {description: ok}}\n",
			err: `must define exactly all path parameters`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errs engine.ErrorList
			ops := parseSpec("specification.yaml", []byte(tc.src), specOptions{}, &errs)
			if tc.err != "" {
				if len(errs) != 1 || !strings.Contains(errs.Error(), tc.err) {
					t.Fatalf("errors %v, want %q", errs, tc.err)
				}
				return
			}
			if len(errs) > 0 || len(ops) != 1 || ops[0].spec == nil {
				t.Fatalf("ops %+v errs %v", ops, errs)
			}
			for _, p := range ops[0].spec.Op.Parameters {
				if sc := p.Value.Schema; sc != nil && sc.Value.Type != nil && slices.ContainsFunc(*sc.Value.Type, unknownSchemaType) {
					t.Errorf("parameter %s keeps type %v", p.Value.Name, *sc.Value.Type)
				}
			}
		})
	}
}

// TestNormalizeOperationID: the import page's normalization of an
// operationId, with its own example.
func TestNormalizeOperationID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"GET-/foo/{bar}?buzz={quix}", "get-foo-bar-buzz-quix"}, // the page's example
		{"listPets", "listpets"},
		{"--a__b--", "a-b"},
		{"ünïcode", "n-code"},
		{"***", ""},
		{strings.Repeat("ab", 50), strings.Repeat("ab", 38)},      // 76 characters
		{strings.Repeat("a", 75) + "-b", strings.Repeat("a", 75)}, // no dash left at the end
	} {
		if got := normalizeOpID(tc.in); got != tc.want {
			t.Errorf("normalizeOpID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	used := map[string]bool{}
	for i, want := range []string{"a", "a-1", "a-2"} {
		if got := dedupOpID("a", used); got != want {
			t.Errorf("dedup #%d = %q, want %q", i, got, want)
		}
	}
}

// TestSpecImportRules checks the import page's rules that shape an
// operation's OpenAPI description: one case per rule.
func TestSpecImportRules(t *testing.T) {
	const head3 = "openapi: 3.0.1\ninfo: {title: t, version: '1'}\n"
	for _, tc := range []struct {
		name, file, src string
		check           func(t *testing.T, ops []specOp)
	}{
		{
			// "For GET, HEAD, and OPTIONS operations, API Management
			// discards a request body parameter if defined in the OpenAPI
			// specification."
			name: "GET, HEAD and OPTIONS bodies discarded", file: "specification.yaml",
			src: head3 + `paths:
  /a:
    get: {requestBody: {content: {application/json: {schema: {type: object}}}}, responses: {"200": {description: ok}}}
    head: {requestBody: {content: {application/json: {schema: {type: object}}}}, responses: {"200": {description: ok}}}
    options: {requestBody: {content: {application/json: {schema: {type: object}}}}, responses: {"200": {description: ok}}}
    post: {requestBody: {content: {application/json: {schema: {type: object}}}}, responses: {"200": {description: ok}}}
`,
			check: func(t *testing.T, ops []specOp) {
				for _, op := range ops {
					if has := op.spec.Op.RequestBody != nil; has != (op.method == "POST") {
						t.Errorf("%s: request body kept %v", op.method, has)
					}
				}
				if ops[0].spec.Doc.Paths.Value("/a").Get.RequestBody == nil {
					t.Error("the document itself was changed")
				}
			},
		},
		{
			name: "Swagger 2.0 body parameter of a GET discarded", file: "specification.json",
			src: `{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"parameters": [{"name": "b", "in": "body", "schema": {"type": "object"}}], "responses": {"200": {"description": "ok"}}}}}}`,
			check: func(t *testing.T, ops []specOp) {
				if ops[0].spec.Op.RequestBody != nil {
					t.Error("request body kept")
				}
			},
		},
		{
			// "OpenAPI version 3.1 (import only)"
			name: "OpenAPI 3.1", file: "specification.yaml",
			src: "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      operationId: a\n      responses: {'200': {description: ok}}\n",
			check: func(t *testing.T, ops []specOp) {
				if len(ops) != 1 || ops[0].id != "a" {
					t.Errorf("ops %+v", ops)
				}
			},
		},
		{
			// Required query parameters become template parameters, the
			// operation's own overriding its path item's of one name.
			name: "required query parameters", file: "specification.yaml",
			src: head3 + `paths:
  /a:
    parameters:
      - {name: x, in: query, required: true, schema: {type: string}}
      - {name: y, in: query, required: true, schema: {type: string}}
      - {name: h, in: header, required: true, schema: {type: string}}
    get:
      parameters:
        - {name: y, in: query, required: false, schema: {type: string}}
        - {name: z, in: query, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
`,
			check: func(t *testing.T, ops []specOp) {
				if ops[0].template != "/a?z={z}&x={x}" || ops[0].id != "get-a-z-z-x-x" {
					t.Errorf("template %q id %q", ops[0].template, ops[0].id)
				}
			},
		},
		{
			// An OData-style name is a template parameter as it is; what a
			// query name escapes ('%', '+') is escaped in the template.
			name: "required query parameter with an OData name", file: "specification.yaml",
			src: head3 + `paths:
  /a:
    get:
      parameters:
        - {name: $filter, in: query, required: true, schema: {type: string}}
        - {name: a+b, in: query, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
`,
			check: func(t *testing.T, ops []specOp) {
				if ops[0].template != "/a?$filter={$filter}&a%2Bb={a+b}" {
					t.Fatalf("template %q", ops[0].template)
				}
				tpl, err := parseTemplate(ops[0].template)
				if err != nil {
					t.Fatal(err)
				}
				r := &opRouter{}
				op := &Operation{Info: &engine.Operation{Id: "x", Method: "GET"}, tpl: tpl}
				if err := r.add(op); err != nil {
					t.Fatal(err)
				}
				if got, params := r.match("GET", "/a", "$filter=name%20eq%20'x'&a%2Bb=1"); got != op || params["$filter"] != "name eq 'x'" || params["a+b"] != "1" {
					t.Errorf("matched %v %v", got, params)
				}
			},
		},
		{
			// Formdata parameters of Swagger 2.0 (not supported by APIM's
			// import) are a form request body here: validate-content can
			// check it.
			name: "Swagger 2.0 formData", file: "specification.json",
			src: `{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"post": {"consumes": ["application/x-www-form-urlencoded"], "parameters": [{"name": "f", "in": "formData", "type": "string"}], "responses": {"200": {"description": "ok"}}}}}}`,
			check: func(t *testing.T, ops []specOp) {
				if rb := ops[0].spec.Op.RequestBody; rb == nil || rb.Value.Content.Get("application/x-www-form-urlencoded") == nil {
					t.Errorf("request body %+v", rb)
				}
			},
		},
		{
			// A recursive schema (not supported by APIM) loads.
			name: "recursive schema", file: "specification.yaml",
			src: head3 + `paths:
  /a:
    post:
      requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/Node"}}}}
      responses: {"200": {description: ok}}
components:
  schemas:
    Node: {type: object, properties: {children: {type: array, items: {$ref: "#/components/schemas/Node"}}}}
`,
			check: func(t *testing.T, ops []specOp) {
				if len(ops) != 1 || ops[0].spec.Op.RequestBody == nil {
					t.Errorf("ops %+v", ops)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errs engine.ErrorList
			ops := parseSpec(tc.file, []byte(tc.src), specOptions{}, &errs)
			if len(errs) > 0 || len(ops) == 0 {
				t.Fatalf("ops %+v errs %v", ops, errs)
			}
			tc.check(t, ops)
		})
	}
}
