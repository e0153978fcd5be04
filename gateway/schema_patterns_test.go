package gateway_test

import (
	"strings"
	"testing"
)

// accountsSpec has a look-ahead password rule (RE2 cannot run it: the
// document did not load) and a catastrophic pattern.
const accountsSpec = `openapi: 3.0.1
info: {title: accounts, version: "1"}
paths:
  /accounts:
    post:
      operationId: create
      parameters:
        - {name: code, in: query, schema: {type: string, pattern: '^(?=.*[A-Z])(?=.*\d).{8,}$'}}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                password: {type: string, pattern: '^(?=.*[A-Z])(?=.*\d).{8,}$'}
                nick: {type: string, pattern: '^(a+)+$'}
      responses: {"200": {description: ok}}
`

// Schema patterns over HTTP: an API whose specification and a schema
// resource have look-ahead patterns loads, and validate-content and
// validate-parameters check them on .NET's engine; a hostile value for a
// catastrophic pattern is refused with 400, its value not quoted.
func TestSchemaPatternsOverHTTP(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "schemas/account/schemaInformation.json", `{"properties": {"schemaType": "json", "document":
  {"type": "object", "properties": {"password": {"type": "string", "pattern": "^(?=.*[A-Z])(?=.*\\d).{8,}$"}, "nick": {"type": "string", "pattern": "^(a+)+$"}}}}}`)
	writeFile(t, dir, "apis/accounts/apiInformation.json", `{"properties": {"path": "accounts", "serviceUrl": "`+rb.url+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/accounts/specification.yaml", accountsSpec)
	writeFile(t, dir, "apis/accounts/policy.xml", `<policies><inbound><base />
  <validate-parameters specified-parameter-action="prevent" unspecified-parameter-action="ignore" />
  <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent">
    <content type="application/json" validate-as="json" action="prevent" />
    <content type="application/vnd.account+json" validate-as="json" schema-id="account" action="prevent" />
  </validate-content>
</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`)
	g := startGateway(t, dir)
	hostile := strings.Repeat("a", 40) + "!"
	for _, tc := range []struct {
		query, ct, body string
		status          int
		has             string
	}{
		{"", "application/json", `{"password": "Secret123"}`, 200, "backend body"},
		{"", "application/json", `{"password": "secret123"}`, 400, `doesn't match the regular expression \"^(?=.*[A-Z])(?=.*\\d).{8,}$\" Path 'password'.`},
		{"", "application/json", `{"nick": "` + hostile + `"}`, 400, "Matching the value against the pattern '^(a+)+$' did not end within tollgate's limit of 500 ms: the value is refused. Path 'nick'."},
		{"", "application/vnd.account+json", `{"password": "Secret123"}`, 200, "backend body"},
		{"", "application/vnd.account+json", `{"password": "SecretPass"}`, 400, "does not match pattern"},
		{"", "application/vnd.account+json", `{"nick": "` + hostile + `"}`, 400, "the value is refused. Path 'nick'."},
		{"?code=Abcdefg1", "application/json", `{}`, 200, "backend body"},
		{"?code=abcdefg1", "application/json", `{}`, 400, "The value of the query parameter code does not conform to the definition."},
	} {
		req := mustPost(t, g.url+"/accounts/accounts"+tc.query, tc.body)
		req.Header.Set("Content-Type", tc.ct)
		resp, body := do(t, req)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.has) || strings.Contains(body, "aaaaaaaa") {
			t.Errorf("%s %s %.60s: %d %s, want %d with %q", tc.query, tc.ct, tc.body, resp.StatusCode, body, tc.status, tc.has)
		}
	}
}
