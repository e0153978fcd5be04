package gateway

import (
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
		{name: "a type APIM does not know either", src: head + "  /x:\n    get:\n      parameters: [{name: q, in: query, schema: {type: strnig}}]\n      responses: {'200': {description: ok}}\n",
			err: `unsupported 'type' value "strnig"`},
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
		})
	}
}
