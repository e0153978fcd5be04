package gateway_test

import (
	"net/http"
	"strings"
	"testing"
)

// The rules of APIM's OpenAPI import ("API import restrictions and known
// issues"), end to end: what a specification's operations become, and how
// requests match them.

// echoOperation answers with what APIM's context says of the operation
// and its matched parameters.
const echoOperation = `<policies><inbound><base/>
  <return-response><set-status code="200"/><set-body>@(context.Operation.Id + "|" + context.Operation.Name + "|" + context.Operation.UrlTemplate + "|" + string.Join(",", context.Request.MatchedParameters.Keys.OrderBy(k => k).Select(k => k + "=" + context.Request.MatchedParameters[k])))</set-body></return-response>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`

// searchSpec has an operation with a required query parameter (q) and an
// optional one (limit), and one with a required query parameter of its
// path item, as the import page describes them.
const searchSpec = `openapi: 3.0.1
info: {title: Search, version: "1"}
paths:
  /search:
    get:
      operationId: Search
      summary: Search the catalog
      parameters:
        - {name: q, in: query, required: true, schema: {type: string}}
        - {name: limit, in: query, required: false, schema: {type: integer}}
      responses: {"200": {description: ok}}
  /items/{id}:
    parameters:
      - {name: fields, in: query, required: true, schema: {type: string}}
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
`

// TestRequiredQueryParametersBecomeTemplateParameters: by default
// (translateRequiredQueryParameters "template") a required query parameter
// is a template parameter: a request must carry it, and MatchedParameters
// has it; with "query" it stays a query parameter.
func TestRequiredQueryParametersBecomeTemplateParameters(t *testing.T) {
	dir := t.TempDir()
	for name, extra := range map[string]string{
		"tpl":      ``,
		"tplx":     `, "translateRequiredQueryParameters": "template"`,
		"qry":      `, "translateRequiredQueryParameters": "query"`,
		"nullable": `, "translateRequiredQueryParameters": null`,
	} {
		writeFile(t, dir, "apis/"+name+"/apiInformation.json", `{"properties": {"path": "`+name+`", "subscriptionRequired": false`+extra+`}}`)
		writeFile(t, dir, "apis/"+name+"/specification.yaml", searchSpec)
		writeFile(t, dir, "apis/"+name+"/operations/search/policy.xml", echoOperation)
		items := "get-items-id-fields-fields" // the name is made of the method and the template
		if name == "qry" {
			items = "get-items-id"
		}
		writeFile(t, dir, "apis/"+name+"/operations/"+items+"/policy.xml", echoOperation)
	}
	// tollgate's own layout: the attribute of api.xml.
	writeFile(t, dir, "own/api.xml", `<api name="own" type="http" path="/own" service-url="http://127.0.0.1:1" translate-required-query-parameters="query"/>`)
	writeFile(t, dir, "own/specification.yaml", searchSpec)
	writeFile(t, dir, "own/operations/search/policy.xml", echoOperation)
	writeFile(t, dir, "own/operations/get-items-id/policy.xml", echoOperation)
	g := startGateway(t, dir)
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/tpl/search?q=go&limit=2", 200, "search|Search the catalog|/search?q={q}|q=go"},
		{"/tpl/search?limit=2&q=a%20b", 200, "search|Search the catalog|/search?q={q}|q=a b"},
		{"/tpl/search", 404, `{"statusCode":404,"message":"Resource not found"}`},
		{"/tpl/search?limit=2", 404, `{"statusCode":404,"message":"Resource not found"}`},
		{"/tpl/items/7?fields=name", 200, "get-items-id-fields-fields|get-items-id-fields-fields|/items/{id}?fields={fields}|fields=name,id=7"},
		{"/tpl/items/7", 404, `{"statusCode":404,"message":"Resource not found"}`},
		{"/tplx/search", 404, `{"statusCode":404,"message":"Resource not found"}`},
		{"/nullable/search?q=1", 200, "search|Search the catalog|/search?q={q}|q=1"},
		{"/qry/search", 200, "search|Search the catalog|/search|"},
		{"/qry/search?q=go", 200, "search|Search the catalog|/search|"},
		{"/qry/items/7", 200, "get-items-id|get-items-id|/items/{id}|id=7"},
		{"/own/search", 200, "search|Search the catalog|/search|"},
		{"/own/items/8", 200, "get-items-id|get-items-id|/items/{id}|id=8"},
	} {
		resp, body := get(t, g.url+tc.path, nil)
		if resp.StatusCode != tc.status || strings.TrimSpace(body) != tc.body {
			t.Errorf("GET %s: %d %q, want %d %q", tc.path, resp.StatusCode, body, tc.status, tc.body)
		}
	}
}

// TestOperationsToldApartByQuery: APIM tells operations apart by path and
// query parameters ("We allow operations to be discriminated by both path
// and query parameters"): two operations of one path and method, one with
// a required query parameter, are two operations; x-ms-paths, APIM's
// supported extension, declares paths with a query part.
func TestOperationsToldApartByQuery(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "apis/ops/apiInformation.json", `{"properties": {"path": "ops", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/ops/specification.json", `{"swagger": "2.0", "info": {"title": "t", "version": "1"},
 "paths": {"/jobs": {"get": {"operationId": "listJobs", "responses": {"200": {"description": "ok"}}}}},
 "x-ms-paths": {
  "/jobs?op=running": {"get": {"operationId": "listRunning", "responses": {"200": {"description": "ok"}}}},
  "/jobs?op=byOwner": {"get": {"operationId": "listByOwner", "parameters": [{"name": "owner", "in": "query", "required": true, "type": "string"}], "responses": {"200": {"description": "ok"}}}}
 }}`)
	for _, id := range []string{"listjobs", "listrunning", "listbyowner"} {
		writeFile(t, dir, "apis/ops/operations/"+id+"/policy.xml", echoOperation)
	}
	writeFile(t, dir, "apis/ops3/apiInformation.json", `{"properties": {"path": "ops3", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/ops3/specification.yaml", `openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /jobs:
    get:
      operationId: listJobs
      responses: {"200": {$ref: "#/components/responses/ok"}}
x-ms-paths:
  /jobs?op=running:
    get:
      operationId: listRunning
      parameters: [{$ref: "#/components/parameters/since"}]
      responses: {"200": {$ref: "#/components/responses/ok"}}
components:
  parameters:
    since: {name: since, in: query, required: true, schema: {type: string}}
  responses:
    ok: {description: ok}
`)
	for _, id := range []string{"listjobs", "listrunning"} {
		writeFile(t, dir, "apis/ops3/operations/"+id+"/policy.xml", echoOperation)
	}
	g := startGateway(t, dir)
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/ops/jobs", 200, "listjobs|listJobs|/jobs|"},
		{"/ops/jobs?op=running", 200, "listrunning|listRunning|/jobs?op=running|"},
		{"/ops/jobs?op=byOwner&owner=ann", 200, "listbyowner|listByOwner|/jobs?op=byOwner&owner={owner}|owner=ann"},
		{"/ops/jobs?op=byOwner", 200, "listjobs|listJobs|/jobs|"}, // without owner, the plain operation
		{"/ops/jobs?op=other", 200, "listjobs|listJobs|/jobs|"},
		{"/ops3/jobs?op=running&since=1", 200, "listrunning|listRunning|/jobs?op=running&since={since}|since=1"},
		{"/ops3/jobs?op=running", 200, "listjobs|listJobs|/jobs|"},
	} {
		resp, body := get(t, g.url+tc.path, nil)
		if resp.StatusCode != tc.status || strings.TrimSpace(body) != tc.body {
			t.Errorf("GET %s: %d %q, want %d %q", tc.path, resp.StatusCode, body, tc.status, tc.body)
		}
	}
}

// TestOperationNamesAsAPIMImports: the operation's name (context.Operation.Id,
// the operation policy folder's name) is the operationId normalized as the
// import page says, or made of the method and template; its display name
// is the summary (at most 300 characters), else the operationId.
func TestOperationNamesAsAPIMImports(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("s", 310)
	writeFile(t, dir, "apis/names/apiInformation.json", `{"properties": {"path": "names", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/names/specification.yaml", `openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /a:
    get:
      operationId: "GET-/foo/{bar}?buzz={quix}"
      responses: {"200": {description: ok}}
    post:
      operationId: get foo bar buzz quix
      responses: {"200": {description: ok}}
    put:
      operationId: ""
      summary: `+long+`
      responses: {"200": {description: ok}}
  /b/{id}:
    delete:
      operationId: null
      parameters: [{name: id, in: path, required: true, schema: {type: string}}, {name: force, in: query, required: true, schema: {type: boolean}}]
      responses: {"200": {description: ok}}
`)
	for _, id := range []string{"get-foo-bar-buzz-quix", "get-foo-bar-buzz-quix-1", "put-a", "delete-b-id-force-force"} {
		writeFile(t, dir, "apis/names/operations/"+id+"/policy.xml", echoOperation)
	}
	g := startGateway(t, dir)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/names/a", "get-foo-bar-buzz-quix|GET-/foo/{bar}?buzz={quix}|/a|"},
		{"POST", "/names/a", "get-foo-bar-buzz-quix-1|get foo bar buzz quix|/a|"}, // the same name: a suffix
		{"PUT", "/names/a", "put-a|" + long[:300] + "|/a|"},
		{"DELETE", "/names/b/1?force=true", "delete-b-id-force-force|delete-b-id-force-force|/b/{id}?force={force}|force=true,id=1"},
	} {
		req, _ := http.NewRequestWithContext(testCtx(t), tc.method, g.url+tc.path, nil)
		resp, body := do(t, req)
		if resp.StatusCode != 200 || strings.TrimSpace(body) != tc.body {
			t.Errorf("%s %s: %d %q, want %q", tc.method, tc.path, resp.StatusCode, body, tc.body)
		}
	}
}
