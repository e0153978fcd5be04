package gateway_test

import (
	"strings"
	"testing"
)

const addressSchema = `{"properties": {"schemaType": "json", "description": "A postal address",
  "document": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["street", "city"],
    "properties": {"street": {"type": "string"}, "city": {"type": "string"}, "zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}}}`

const componentsSchema = `{"properties": {"schemaType": "json",
  "value": "{\"components\": {\"schemas\": {\"address\": {\"type\": \"object\", \"required\": [\"city\"], \"properties\": {\"city\": {\"type\": \"string\"}}}}}}"}}`

// validate-content schema-id: a request body validated against a schema
// resource of the folder (APIOps' schemas/NAME/schemaInformation.json),
// whole or at schema-ref, with allow-additional-properties applied; the
// API has no specification at all.
func TestValidateContentSchemaID(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "schemas/address/schemaInformation.json", addressSchema)
	writeFile(t, dir, "schemas/components/schemaInformation.json", componentsSchema)
	writeFile(t, dir, "schemas/wsdl/schemaInformation.json", `{"properties": {"schemaType": "xml", "value": "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"/>"}}`)
	writeAPI(t, dir, "orders", `type="http" path="/orders" service-url="`+rb.url+`"`, `<policies><inbound>
  <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent" errors-variable-name="requestBodyValidation">
    <content-type-map missing-content-type-value="application/json" />
    <content type="application/json" validate-as="json" schema-id="address" action="prevent" allow-additional-properties="false" />
    <content type="application/vnd.city+json" validate-as="json" schema-id="components" schema-ref="#/components/schemas/address" action="prevent" />
    <content type="application/vnd.root+json" validate-as="json" schema-id="address" schema-ref="#" action="prevent" />
  </validate-content>
</inbound></policies>`)
	g := startGateway(t, dir)
	for _, tc := range []struct {
		ct, body string
		status   int
		has      string
	}{
		{"application/json", `{"street": "1 Main St", "city": "Springfield", "zip": "12345"}`, 200, "backend body"},
		{"", `{"street": "1 Main St", "city": "Springfield"}`, 200, "backend body"},
		{"application/json", `{"street": "1 Main St"}`, 400, "does not conform to the definition address"},
		{"application/json", `{"street": "1 Main St", "city": "X", "zip": "1"}`, 400, "does not match pattern"},
		{"application/json", `{"street": "1 Main St", "city": "X", "floor": 3}`, 400, "Additional properties 'floor' not allowed."},
		{"application/json", `{"street": `, 400, "not valid JSON"},
		{"application/vnd.city+json", `{"city": "X", "anything": true}`, 200, "backend body"},
		{"application/vnd.city+json", `{"town": "X"}`, 400, "does not conform to the definition address"},
		// schema-ref="#": the schema's root, the whole document
		{"application/vnd.root+json", `{"street": "1 Main St", "city": "X"}`, 200, "backend body"},
		{"application/vnd.root+json", `{"street": "1 Main St"}`, 400, "does not conform to the definition address"},
		{"text/plain", `x`, 400, "Contact the API owner"}, // no rule, no specification: ApiSchema
	} {
		req := mustPost(t, g.url+"/orders", tc.body)
		req.Header.Del("Content-Type")
		if tc.ct != "" {
			req.Header.Set("Content-Type", tc.ct)
		}
		resp, body := do(t, req)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.has) {
			t.Errorf("%s %s: %d %s, want %d with %q", tc.ct, tc.body, resp.StatusCode, body, tc.status, tc.has)
		}
	}
}

// A schema-id that names nothing, an XML schema, a schema-ref not in the
// document, and a $ref out of it are load errors at the attribute.
func TestValidateContentSchemaIDLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		content, schema, want string
	}{
		{`schema-id="nope"`, addressSchema, `schema-id "nope" names no schema (schemas/nope/schemaInformation.json)`},
		{`schema-id="s"`, `{"properties": {"schemaType": "xml", "value": "<xs:schema/>"}}`, `schema "s" is an xml schema: tollgate validates JSON schemas only`},
		{`schema-id="s" schema-ref="#/components/schemas/missing"`, addressSchema, `schema-ref "#/components/schemas/missing" is not in it`},
		{`schema-id="s" schema-ref="components/schemas/x"`, addressSchema, `schema-ref must be a local reference into the schema, such as "#/components/schemas/address" or "#"`},
		{`schema-id="s"`, `{"properties": {"document": {"$ref": "file:///etc/passwd"}}}`, `may $ref only inside itself`},
		{`schema-id="s"`, `{"properties": {"document": {"type": 12}}}`, `does not compile`},
		{`schema-id="s"`, `{"properties": {"schemaType": "json"}}`, `schema "s" has no document`},
	} {
		dir := t.TempDir()
		writeFile(t, dir, "schemas/s/schemaInformation.json", tc.schema)
		writeAPI(t, dir, "orders", `type="http" path="/orders" service-url="http://127.0.0.1:1/"`, `<policies><inbound>
  <validate-content unspecified-content-type-action="prevent" max-size="1024" size-exceeded-action="prevent">
    <content type="application/json" validate-as="json" `+tc.content+` action="prevent" />
  </validate-content>
</inbound></policies>`)
		_, errs := load(t, dir)
		found := false
		for _, e := range errs {
			found = found || strings.Contains(e, tc.want)
		}
		if !found {
			t.Errorf("%s: errors %q, want one with %q", tc.content, errs, tc.want)
		}
	}
}
