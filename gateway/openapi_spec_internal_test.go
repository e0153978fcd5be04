package gateway

import (
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
			ops := parseSpec(tc.file, []byte(tc.src), &errs)
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
