package gateway_test

import (
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// scopeAPI writes an http API "users" with operations, and a policy at the
// global, API and operation scopes that each add their name to X-Scopes
// around <base/>, so the order shows how the scopes nest.
func scopeAPI(t *testing.T, backend string) string {
	dir := t.TempDir()
	writeFile(t, dir, "policy.xml", `<policies>
  <inbound><set-header name="X-Scopes" exists-action="append"><value>global</value></set-header></inbound>
  <backend><forward-request/></backend>
  <outbound><set-header name="X-Out" exists-action="append"><value>global</value></set-header></outbound>
  <on-error>
    <choose>
      <when condition="@(context.LastError.Source == &quot;configuration&quot; &amp;&amp; context.LastError.Reason == &quot;OperationNotFound&quot;)">
        <return-response>
          <set-status code="405" reason="Method not allowed"/>
          <set-body>@(context.LastError.Message)</set-body>
        </return-response>
      </when>
    </choose>
  </on-error>
</policies>`)
	writeFile(t, dir, "users/api.xml", `<api name="users" type="http" path="/api" service-url="`+backend+`/svc">
  <operations>
    <operation id="get-user" name="Get user" method="GET" url-template="/users/{id}"/>
    <operation id="list-users" method="GET" url-template="/users"/>
    <operation id="files" method="GET" url-template="/files/{*path}"/>
  </operations>
</api>`)
	writeFile(t, dir, "users/policy.xml", `<policies>
  <inbound><base/><set-header name="X-Scopes" exists-action="append"><value>api</value></set-header></inbound>
  <backend><base/></backend>
  <outbound><set-header name="X-Out" exists-action="append"><value>api</value></set-header><base/></outbound>
  <on-error><base/></on-error>
</policies>`)
	writeFile(t, dir, "users/operations/get-user/policy.xml", `<policies>
  <inbound>
    <base/>
    <set-header name="X-Scopes" exists-action="append"><value>operation</value></set-header>
    <set-header name="X-Op" exists-action="override"><value>@(context.Operation.Id + "|" + context.Operation.Name + "|" + context.Operation.Method + "|" + context.Operation.UrlTemplate)</value></set-header>
    <set-header name="X-Id" exists-action="override"><value>@(context.Request.MatchedParameters["id"])</value></set-header>
  </inbound>
  <backend><base/></backend>
  <outbound><set-header name="X-Out" exists-action="append"><value>operation</value></set-header><base/></outbound>
  <on-error><base/></on-error>
</policies>`)
	return dir
}

func TestOperationsServe(t *testing.T) {
	rb := newRESTBackend(t, nil)
	g := startGateway(t, scopeAPI(t, rb.url))
	for _, tc := range []struct {
		name, method, path string
		status             int
		scopes, out, op    string
		id                 string
		backendPath        string
	}{
		{"operation scope", "GET", "/api/users/a%40b", 200, "global,api,operation", "global,api,operation", "get-user|Get user|GET|/users/{id}", "a@b", "/svc/users/a%40b"},
		{"no operation policy", "GET", "/api/users", 200, "global,api", "global,api", "", "", "/svc/users"},
		{"wildcard", "GET", "/api/files/x/y.txt", 200, "global,api", "global,api", "", "", "/svc/files/x/y.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(testCtx(t), tc.method, g.url+tc.path, nil)
			resp, _ := do(t, req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			seen := rb.last.Load()
			if got := strings.Join(seen.header.Values("X-Scopes"), ","); got != tc.scopes {
				t.Errorf("inbound scopes %q, want %q", got, tc.scopes)
			}
			if got := seen.header.Get("X-Op"); got != tc.op {
				t.Errorf("context.Operation %q, want %q", got, tc.op)
			}
			if got := seen.header.Get("X-Id"); got != tc.id {
				t.Errorf("MatchedParameters[id] %q, want %q", got, tc.id)
			}
			// outbound: operation first, then its <base/> (api), whose <base/> is global
			if got := strings.Join(resp.Header.Values("X-Out"), ","); got != reverse(tc.out) {
				t.Errorf("outbound order %q, want %q", got, reverse(tc.out))
			}
		})
	}
	t.Run("no operation: on-error turns APIM's 404 into 405", func(t *testing.T) {
		before := rb.calls.Load()
		req, _ := http.NewRequestWithContext(testCtx(t), http.MethodDelete, g.url+"/api/users/1", nil)
		resp, body := do(t, req)
		if resp.StatusCode != 405 || body != "Unable to match incoming request to an operation." {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
		if rb.calls.Load() != before {
			t.Fatal("the backend was called")
		}
	})
}

func reverse(csv string) string {
	p := strings.Split(csv, ",")
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
	return strings.Join(p, ",")
}

// TestOperationNotFound: without an on-error that handles it, APIM's 404.
func TestOperationNotFound(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "users/api.xml", `<api name="users" type="http" path="/api" service-url="`+rb.url+`">
  <operations><operation id="get-user" method="GET" url-template="/users/{id}"/></operations>
</api>`)
	g := startGateway(t, dir)
	for _, path := range []string{"/api/users", "/api/users/1/x", "/api"} {
		resp, body := get(t, g.url+path, nil)
		code, msg := jsonError(t, body)
		if resp.StatusCode != 404 || code != 404 || msg != "Resource not found" {
			t.Errorf("GET %s: %d %q", path, resp.StatusCode, body)
		}
	}
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, g.url+"/api/users/1", nil)
	if resp, _ := do(t, req); resp.StatusCode != 404 {
		t.Errorf("POST on a GET operation: %d, want APIM's 404", resp.StatusCode)
	}
	if resp, _ := get(t, g.url+"/api/users/1", nil); resp.StatusCode != 200 {
		t.Errorf("GET /api/users/1: %d", resp.StatusCode)
	}
	if rb.calls.Load() != 1 {
		t.Errorf("backend calls %d, want 1", rb.calls.Load())
	}
}

// TestSpecificationWithoutOperations: an API whose specification declares
// no operation (APIM's extract of an API given none yet: "paths: {}") has
// no operations, and APIM answers 404 to every request; only an API with
// no specification at all serves every request (tollgate's layout).
func TestSpecificationWithoutOperations(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "empty/api.xml", `<api name="empty" type="http" path="/empty" service-url="`+rb.url+`"/>`)
	writeFile(t, dir, "empty/specification.yaml", "openapi: 3.0.1\ninfo: {title: e, version: \"1\"}\npaths: {}\n")
	writeFile(t, dir, "open/api.xml", `<api name="open" type="http" path="/open" service-url="`+rb.url+`"/>`)
	g := startGateway(t, dir)
	for _, path := range []string{"/empty", "/empty/x"} {
		resp, body := get(t, g.url+path, nil)
		if code, msg := jsonError(t, body); resp.StatusCode != 404 || code != 404 || msg != "Resource not found" {
			t.Errorf("GET %s: %d %q", path, resp.StatusCode, body)
		}
	}
	if rb.calls.Load() != 0 {
		t.Fatalf("the backend was called %d times", rb.calls.Load())
	}
	if resp, _ := get(t, g.url+"/open/x", nil); resp.StatusCode != 200 || rb.calls.Load() != 1 {
		t.Errorf("an API without a specification: %d, backend calls %d", resp.StatusCode, rb.calls.Load())
	}
}

// TestOperationsFromSpecification: OpenAPI 3 (YAML) and Swagger 2 (JSON)
// documents declare the operations.
func TestOperationsFromSpecification(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "v3/api.xml", `<api name="v3" type="http" path="/v3" service-url="`+rb.url+`"/>`)
	writeFile(t, dir, "v3/specification.yaml", `openapi: 3.0.1
info: {title: Pets, version: "1.0"}
paths:
  /pets/{petId}:
    get:
      operationId: showPetById
      summary: Info for a specific pet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok}
  /pets:
    post:
      responses:
        "201": {description: created}
`)
	writeFile(t, dir, "v3/operations/showPetById/policy.xml", `<policies><inbound><base/>
  <return-response><set-status code="200"/><set-body>@(context.Operation.Name + ":" + context.Request.MatchedParameters["petId"])</set-body></return-response>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "v2/api.xml", `<api name="v2" type="http" path="/v2" service-url="`+rb.url+`"/>`)
	writeFile(t, dir, "v2/specification.json", `{"swagger": "2.0", "info": {"title": "t", "version": "1"},
 "paths": {"/orders/{id}": {"delete": {"operationId": "cancel", "parameters": [{"name": "id", "in": "path", "required": true, "type": "string"}], "responses": {"204": {"description": "gone"}}}}}}`)
	writeFile(t, dir, "v2/operations/cancel/policy.xml", `<policies><inbound><base/>
  <return-response><set-status code="202"/><set-body>@(context.Operation.Id + " " + context.Operation.Method + " " + context.Operation.UrlTemplate)</set-body></return-response>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	g := startGateway(t, dir)
	if resp, body := get(t, g.url+"/v3/pets/rex", nil); resp.StatusCode != 200 || body != "Info for a specific pet:rex" {
		t.Errorf("v3 GET: %d %q", resp.StatusCode, body)
	}
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, g.url+"/v3/pets", nil)
	if resp, _ := do(t, req); resp.StatusCode != 200 || rb.last.Load().path != "/pets" {
		t.Errorf("v3 POST (derived operation id): %d", resp.StatusCode)
	}
	req, _ = http.NewRequestWithContext(testCtx(t), http.MethodDelete, g.url+"/v2/orders/7", nil)
	if resp, body := do(t, req); resp.StatusCode != 202 || body != "cancel DELETE /orders/{id}" {
		t.Errorf("v2 DELETE: %d %q", resp.StatusCode, body)
	}
	if resp, _ := get(t, g.url+"/v2/orders/7", nil); resp.StatusCode != 404 {
		t.Errorf("v2 GET (not an operation): %d", resp.StatusCode)
	}
}

// TestRewriteURIFromOperation: rewrite-uri's {placeholders} take the
// matched operation's path parameters (as APIM fills them from the
// operation's URL template), then query parameters; a query parameter a
// placeholder used is matched and not copied again.
func TestRewriteURIFromOperation(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "shop/api.xml", `<api name="shop" type="http" path="/shop" service-url="`+rb.url+`/api"/>`)
	writeFile(t, dir, "shop/specification.yaml", `openapi: 3.0.1
info: {title: Shop, version: "1.0"}
paths:
  /stores/{storenumber}/orders/{ordernumber}:
    get:
      operationId: getOrder
      parameters:
        - {name: storenumber, in: path, required: true, schema: {type: string}}
        - {name: ordernumber, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok}
`)
	writeFile(t, dir, "shop/operations/getOrder/policy.xml", `<policies><inbound><base/>
  <rewrite-uri template="/v2/US/hardware/{storenumber}/{ordernumber}?City={city}" />
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	g := startGateway(t, dir)
	for _, tc := range []struct{ path, wantPath, wantQuery string }{
		{"/shop/stores/42/orders/a%20b?city=Oslo&page=2", "/api/v2/US/hardware/42/a b", "City=Oslo&page=2"},
		{"/shop/stores/7/orders/9", "/api/v2/US/hardware/7/9", ""},
	} {
		resp, _ := get(t, g.url+tc.path, nil)
		last := rb.last.Load()
		if resp.StatusCode != 200 || last.path != tc.wantPath || last.rawQuery != tc.wantQuery {
			t.Errorf("%s: %d, backend got %q ? %q, want %q ? %q", tc.path, resp.StatusCode, last.path, last.rawQuery, tc.wantPath, tc.wantQuery)
		}
	}
}

// TestMockResponseFromSpecification: mock-response answers with the
// matched operation's example, or a sample of its schema, as APIM does;
// the backend is never called.
func TestMockResponseFromSpecification(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "pets/api.xml", `<api name="pets" type="http" path="/pets" service-url="`+rb.url+`"/>`)
	writeFile(t, dir, "pets/policy.xml", `<policies><inbound><base/><mock-response/></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "pets/specification.yaml", `openapi: 3.0.1
info: {title: Pets, version: "1.0"}
paths:
  /pets/{petId}:
    get:
      operationId: showPetById
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  id: {type: integer}
                  name: {type: string}
  /pets:
    get:
      operationId: listPets
      responses:
        "200":
          description: ok
          content:
            application/json:
              example: [{id: 1, name: Rex}]
`)
	g := startGateway(t, dir)
	for _, tc := range []struct{ path, want string }{
		{"/pets/pets/7", "{\n  \"id\": 0,\n  \"name\": \"string\"\n}"},
		{"/pets/pets", "[\n  {\n    \"id\": 1,\n    \"name\": \"Rex\"\n  }\n]"},
	} {
		resp, body := get(t, g.url+tc.path, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || body != tc.want {
			t.Errorf("%s: %d %q %q, want %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.want)
		}
	}
	if n := rb.calls.Load(); n != 0 {
		t.Errorf("the backend was called %d times", n)
	}
}

// TestWebSocketOnHandshakeScope: a WebSocket API's single operation
// onHandshake has its own scope.
func TestWebSocketOnHandshakeScope(t *testing.T) {
	b := newWSBackend(t)
	dir := t.TempDir()
	writeAPI(t, dir, "chat", `type="websocket" path="/chat" service-url="`+b.url+`"`, "")
	writeFile(t, dir, "chat/operations/onHandshake/policy.xml", `<policies><inbound><base/>
  <set-header name="X-Op" exists-action="override"><value>@(context.Operation.Id + " " + context.Operation.Method)</value></set-header>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	g := startGateway(t, dir)
	c := dial(t, g.ws+"/chat", nil)
	defer c.CloseNow()
	if got := b.lastRequest().Header.Get("X-Op"); got != "onHandshake GET" {
		t.Fatalf("X-Op %q", got)
	}
}

var update = flag.Bool("update", false, "rewrite golden files")

// TestResourceLoadErrors loads each folder under testdata/resource-errors
// and compares its problems (paths relative to it) with NAME.golden.
func TestResourceLoadErrors(t *testing.T) {
	root := filepath.Join("testdata", "resource-errors")
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		t.Fatal("no cases")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			keys := filepath.Join(root, name+".keys.json") // the subscription keys file, if the case has one
			if _, err := os.Stat(keys); err != nil {
				keys = ""
			}
			snap, lerrs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}),
				gateway.LoadOptions{Getenv: func(string) string { return "" }, SubscriptionKeys: keys})
			var errs []string
			for _, e := range lerrs {
				errs = append(errs, e.Error())
			}
			if snap != nil {
				t.Fatal("a broken folder loaded")
			}
			got := strings.ReplaceAll(strings.Join(errs, "\n")+"\n", dir+string(filepath.Separator), "")
			got = strings.ReplaceAll(got, root+string(filepath.Separator), "")
			golden := filepath.Join(root, name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestScopeOrderThroughProduct: global -> product -> API -> operation, each
// splicing its parent at <base/>, inbound and outbound.
func TestScopeOrderThroughProduct(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := scopeAPI(t, rb.url)
	writeFile(t, dir, "users/api.xml", `<api name="users" type="http" path="/api" service-url="`+rb.url+`/svc" subscription-required="true">
  <operations><operation id="get-user" method="GET" url-template="/users/{id}"/></operations>
</api>`)
	writeFile(t, dir, "products/p/productInformation.json", `{"properties": {"displayName": "P"}}`)
	writeFile(t, dir, "products/p/apis.json", `[{"name": "users"}]`)
	writeFile(t, dir, "products/p/policy.xml", `<policies>
  <inbound><base/><set-header name="X-Scopes" exists-action="append"><value>product</value></set-header></inbound>
  <backend><base/></backend>
  <outbound><set-header name="X-Out" exists-action="append"><value>product</value></set-header><base/></outbound>
  <on-error><base/></on-error>
</policies>`)
	subs := store.NewMemorySubscriptions()
	if err := subs.Put(testCtx(t), &store.Subscription{ID: "s", Scope: "/products/p", State: "active", PrimaryKeyHash: gateway.HashKey("scope-key-SECRET")}); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir, withSubscriptions("", subs))
	resp, _ := get(t, g.url+"/api/users/1", http.Header{"Ocp-Apim-Subscription-Key": {"scope-key-SECRET"}})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := strings.Join(rb.last.Load().header.Values("X-Scopes"), ","); got != "global,product,api,operation" {
		t.Errorf("inbound %q", got)
	}
	if got := strings.Join(resp.Header.Values("X-Out"), ","); got != "operation,api,product,global" {
		t.Errorf("outbound %q", got)
	}
}

// TestBackendPathKeepsSubDelims: a backend path keeps RFC 3986's
// sub-delimiters as written, rewritten or routed: an Azure Table path
// /TableName() (whose SharedKey signature names the path as written, as in
// the policy snippets) and an OData key Orders('{oid}') reach the backend
// unescaped, as .NET's Uri sends them; other characters are still escaped.
func TestBackendPathKeepsSubDelims(t *testing.T) {
	var seen atomic.Pointer[string]
	ts := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		uri := r.RequestURI
		seen.Store(&uri)
		w.WriteHeader(200)
	})
	dir := t.TempDir()
	writeFile(t, dir, "sap/api.xml", `<api name="sap" type="http" path="/sap" service-url="`+ts.URL+`/api"/>`)
	writeFile(t, dir, "sap/specification.yaml", `openapi: 3.0.1
info: {title: SAP, version: "1.0"}
paths:
  /orders/{oid}:
    get:
      operationId: getOrder
      parameters:
        - {name: oid, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok}
  /table:
    get:
      operationId: table
      responses:
        "200": {description: ok}
  /odata/{rest}:
    get:
      operationId: odata
      parameters:
        - {name: rest, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok}
`)
	writeFile(t, dir, "sap/operations/getOrder/policy.xml", `<policies><inbound><base/>
  <rewrite-uri template="odata/Orders('{oid}')" />
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "sap/operations/table/policy.xml", `<policies><inbound><base/>
  <rewrite-uri template="/TableName()" />
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	g := startGateway(t, dir)
	for _, tc := range []struct{ path, want string }{
		{"/sap/orders/42", "/api/odata/Orders('42')"},
		{"/sap/orders/a%20b", "/api/odata/Orders('a%20b')"},
		{"/sap/table", "/api/TableName()"},
		{"/sap/odata/Products(1)", "/api/odata/Products(1)"},
		{"/sap/odata/x!y*z", "/api/odata/x!y*z"},
		{"/sap/odata/%28q%29", "/api/odata/(q)"},
		{"/sap/odata/a%3Fb", "/api/odata/a%3Fb"},
		{"/sap/odata/plain", "/api/odata/plain"},
	} {
		seen.Store(nil)
		resp, _ := get(t, g.url+tc.path, nil)
		got := seen.Load()
		if resp.StatusCode != 200 || got == nil || *got != tc.want {
			s := "<none>"
			if got != nil {
				s = *got
			}
			t.Errorf("%s: %d, backend got %q, want %q", tc.path, resp.StatusCode, s, tc.want)
		}
	}
}

// TestOnErrorCopyReplaysBody: a send-request mode="copy" in on-error, after
// the backend could not be reached, copies the client's body too (the plan
// keeps the body when it forwards, engine.Plan.KeepsRequestBody), as
// Microsoft's policy snippets replay a failed request; the replay's answer
// is returned with return-response response-variable-name.
func TestOnErrorCopyReplaysBody(t *testing.T) {
	var got atomic.Pointer[string]
	replay := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s := r.Method + " " + r.RequestURI + " " + r.Header.Get("Content-Type") + " " + string(b)
		if h := r.Host; !strings.HasPrefix(h, "127.0.0.1:") {
			s += " Host " + h // the client's Host copied along
		}
		got.Store(&s)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("replayed"))
	})
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close() // nothing listens there any more
	dir := t.TempDir()
	writeAPI(t, dir, "orders", `type="http" path="/orders" service-url="`+downURL+`"`, `<policies>
  <inbound><base/></inbound><backend><base/></backend><outbound><base/></outbound>
  <on-error>
    <choose>
      <when condition="@(context.LastError.Source == &quot;forward-request&quot;)">
        <send-request mode="copy" response-variable-name="again" timeout="10">
          <set-url>`+replay.URL+`/again</set-url>
          <set-method>POST</set-method>
        </send-request>
        <return-response response-variable-name="again">
          <set-header name="X-Replayed" exists-action="override"><value>@(context.LastError.Reason)</value></set-header>
        </return-response>
      </when>
    </choose>
  </on-error>
</policies>`)
	g := startGateway(t, dir)
	for _, body := range []string{`{"id":7}`, ""} { // the client's Host (the gateway's) is not copied
		got.Store(nil)
		req, err := http.NewRequestWithContext(testCtx(t), http.MethodPost, g.url+"/orders/x", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Host = "gw.example"
		resp, rb := do(t, req)
		s := got.Load()
		want := "POST /again application/json " + body
		if resp.StatusCode != 200 || rb != "replayed" || resp.Header.Get("X-Replayed") != "BackendConnectionFailure" || s == nil || *s != want {
			gs := "<no replay>"
			if s != nil {
				gs = *s
			}
			t.Errorf("body %q: %d %q %q, replay got %q, want %q", body, resp.StatusCode, rb, resp.Header.Get("X-Replayed"), gs, want)
		}
	}
}

// TestMatchedParametersNeverNull: APIM's context.Request.MatchedParameters
// is a map on every request, empty where nothing was matched: on an API
// without operations, on an operation whose template has no parameters. A
// policy's GetValueOrDefault("x", "d") gives "d" there (the third corpus
// survey found a multi-agent sample's policy failing with a
// NullReferenceException, a 500, on both).
func TestMatchedParametersNeverNull(t *testing.T) {
	const probe = `<policies><inbound><base/><return-response><set-status code="200"/>
  <set-body>@(context.Request.MatchedParameters.GetValueOrDefault("id", "d") + "|" + (context.Request.MatchedParameters == null) + "|" + context.Request.MatchedParameters.Count)</set-body>
</return-response></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`
	dir := t.TempDir()
	writeFile(t, dir, "ops/api.xml", `<api name="ops" type="http" path="/ops" service-url="http://127.0.0.1:1"/>`)
	writeFile(t, dir, "ops/specification.yaml", `openapi: 3.0.1
info: {title: Ops, version: "1.0"}
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok}
  /plain:
    get:
      operationId: plain
      responses:
        "200": {description: ok}
`)
	writeFile(t, dir, "ops/policy.xml", probe)
	writeFile(t, dir, "bare/api.xml", `<api name="bare" type="http" path="/bare" service-url="http://127.0.0.1:1"/>`)
	writeFile(t, dir, "bare/policy.xml", probe)
	g := startGateway(t, dir)
	for _, tc := range []struct{ path, want string }{
		{"/ops/items/42", "42|False|1"},
		{"/ops/plain", "d|False|0"},
		{"/bare/anything", "d|False|0"},
	} {
		resp, body := get(t, g.url+tc.path, nil)
		if resp.StatusCode != 200 || body != tc.want {
			t.Errorf("%s: %d %q, want 200 %q", tc.path, resp.StatusCode, body, tc.want)
		}
	}
}
