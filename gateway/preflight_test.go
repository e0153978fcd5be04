package gateway_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tollgate/gateway"
)

// apimCorsExample is the example of APIM's cors policy page, as written.
const apimCorsExample = `<cors allow-credentials="true">
    <allowed-origins>
        <!-- Localhost useful for development -->
        <origin>http://localhost:8080/</origin>
        <origin>http://example.com/</origin>
    </allowed-origins>
    <allowed-methods preflight-result-max-age="300">
        <method>GET</method>
        <method>POST</method>
        <method>PATCH</method>
        <method>DELETE</method>
    </allowed-methods>
    <allowed-headers>
        <!-- Examples below show Azure Mobile Services headers -->
        <header>x-zumo-installation-id</header>
        <header>x-zumo-application</header>
        <header>x-zumo-version</header>
        <header>x-zumo-auth</header>
        <header>content-type</header>
        <header>accept</header>
    </allowed-headers>
    <expose-headers>
        <!-- Examples below show Azure Mobile Services headers -->
        <header>x-zumo-installation-id</header>
        <header>x-zumo-application</header>
    </expose-headers>
</cors>`

const patKey = "pat-primary-SECRET-0100"

// preflightFolder writes APIs imported from a specification without an
// OPTIONS operation (APIOps' layout), under a global policy holding APIM's
// documented cors example:
//   - shop: key required, a rate limit of one call, no cors of its own;
//   - apicors: its own cors (https://api.example) before <base/>;
//   - fallthrough: its own cors with terminate-unmatched-request="false"
//     before <base/>; lonely: the same without <base/>;
//   - chosen: its only cors inside a choose, without <base/>;
//   - prodapi: key required, in product portal whose cors
//     (https://portal.example) stands before <base/>; subscription pat;
//   - ops: operation putItem has a cors of its own (https://ops.example);
//   - own: an OPTIONS operation of its own, answering 204;
//   - plain: no cors anywhere (its inbound leaves out <base/>);
//   - nospec: no operations (tollgate's layout: it serves every request),
//     key required, a rate limit of one call;
//   - wild: one "*" operation (api.xml's <operations>), key required;
//   - chat: a WebSocket API, key required.
func preflightFolder(t *testing.T, backend string) (dir, keys string) {
	dir = t.TempDir()
	writeFile(t, dir, "policy.xml", `<policies><inbound>`+apimCorsExample+`</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	spec := func(paths string) string {
		return "openapi: 3.0.1\ninfo: {title: t, version: \"1\"}\npaths:\n" + paths
	}
	orders := spec(`  /orders:
    post: {operationId: createOrder, responses: {"201": {description: ok}}}
  /orders/{id}:
    get:
      operationId: getOrder
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
    patch:
      operationId: patchOrder
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`)
	api := func(name, attrs, inbound string) {
		writeAPI(t, dir, name, `type="http" path="/`+name+`" service-url="`+backend+`" `+attrs,
			`<policies><inbound>`+inbound+`</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
		writeFile(t, dir, name+"/specification.yaml", orders)
	}
	api("shop", `subscription-required="true"`, `<base/><rate-limit calls="1" renewal-period="300"/>`)
	api("apicors", "", `<cors><allowed-origins><origin>https://api.example</origin></allowed-origins><allowed-headers><header>*</header></allowed-headers></cors><base/>`)
	api("fallthrough", "", `<cors terminate-unmatched-request="false"><allowed-origins><origin>https://api.example</origin></allowed-origins><allowed-headers><header>*</header></allowed-headers></cors><base/>`)
	api("lonely", "", `<cors terminate-unmatched-request="false"><allowed-origins><origin>https://api.example</origin></allowed-origins><allowed-headers><header>*</header></allowed-headers></cors>`)
	api("chosen", "", `<choose><when condition="@(true)"><cors><allowed-origins><origin>*</origin></allowed-origins></cors></when></choose>`)
	api("prodapi", `subscription-required="true"`, `<base/>`)
	writeFile(t, dir, "products/portal/productInformation.json", `{"properties": {"displayName": "Portal", "subscriptionRequired": true, "state": "published"}}`)
	writeFile(t, dir, "products/portal/apis.json", `[{"name": "prodapi"}]`)
	writeFile(t, dir, "products/portal/policy.xml", `<policies><inbound><cors><allowed-origins><origin>https://portal.example</origin></allowed-origins>
  <allowed-headers><header>content-type</header></allowed-headers></cors><base/></inbound>
  <backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "subscriptions/pat/subscriptionInformation.json", `{"properties": {"scope": "/products/portal", "state": "active"}}`)
	keys = dir + "/../keys.json"
	writeFile(t, dir, "../keys.json", fmt.Sprintf(`{"pat": {"primaryKey": %q}}`, patKey))
	api("ops", "", `<base/>`)
	writeFile(t, dir, "ops/operations/patchOrder/policy.xml", `<policies><inbound><cors><allowed-origins><origin>https://ops.example</origin></allowed-origins>
  <allowed-methods><method>PATCH</method></allowed-methods><allowed-headers><header>content-type</header></allowed-headers></cors><base/></inbound>
  <backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeAPI(t, dir, "own", `type="http" path="/own" service-url="`+backend+`"`,
		`<policies><inbound><base/></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "own/specification.yaml", spec(`  /things:
    get: {operationId: getThings, responses: {"200": {description: ok}}}
    options: {operationId: preflightThings, responses: {"204": {description: ok}}}
`))
	writeFile(t, dir, "own/operations/preflightThings/policy.xml", `<policies><inbound><return-response>
  <set-status code="204" reason="No Content"/><set-header name="X-Own" exists-action="override"><value>yes</value></set-header>
</return-response></inbound><backend/><outbound/><on-error/></policies>`)
	writeAPI(t, dir, "plain", `type="http" path="/plain" service-url="`+backend+`"`,
		`<policies><inbound/><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "plain/specification.yaml", orders)
	writeAPI(t, dir, "nospec", `type="http" path="/nospec" service-url="`+backend+`" subscription-required="true"`,
		`<policies><inbound><base/><rate-limit calls="1" renewal-period="300"/></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "wild/api.xml", `<api name="wild" type="http" path="/wild" service-url="`+backend+`" subscription-required="true">
  <operations><operation id="any" method="*" url-template="/x"/></operations>
</api>`)
	writeAPI(t, dir, "chat", `type="websocket" path="/chat" service-url="ws`+strings.TrimPrefix(backend, "http")+`" subscription-required="true"`, "")
	return dir, keys
}

// TestCORSPreflightWithoutOptionsOperation: a browser's preflight on an
// API without an OPTIONS operation is answered by the cors policies of the
// requested operation's chain (global, product, API, operation), with no
// key, no other policy and no backend; APIM's cors page.
func TestCORSPreflightWithoutOptionsOperation(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir, keys := preflightFolder(t, rb.url)
	g := startGateway(t, dir, withSubscriptions(keys, nil))

	type want struct {
		status                            int
		allowOrigin, allowCreds, allowMth string
		allowHeaders, maxAge, own         string
	}
	example := want{status: 200, allowOrigin: "http://example.com", allowCreds: "true", allowMth: "GET, POST, PATCH, DELETE", maxAge: "300"}
	refused := want{status: 200}
	withHeaders := func(w want, h string) want { w.allowHeaders = h; return w }
	manyHeaders := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "x-h%05d", i)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, path     string
		origin, method string // Origin, Access-Control-Request-Method
		reqHeaders     string // Access-Control-Request-Headers
		want           want
	}{
		{"global cors, key required, none sent", "/shop/orders/1", "http://example.com", "PATCH", "content-type, x-zumo-auth", withHeaders(example, "content-type, x-zumo-auth")},
		{"global cors, again (no rate limit)", "/shop/orders/1", "http://example.com", "PATCH", "", example},
		{"global cors, the collection", "/shop/orders", "http://localhost:8080", "POST", "content-type", withHeaders(want{200, "http://localhost:8080", "true", "GET, POST, PATCH, DELETE", "", "300", ""}, "content-type")},
		{"global cors, a bad key in the query is ignored", "/shop/orders/1?subscription-key=nope-SECRET", "http://example.com", "GET", "", example},
		{"rejected origin", "/shop/orders/1", "https://evil.example", "PATCH", "", refused},
		{"rejected header", "/shop/orders/1", "http://example.com", "PATCH", "ocp-apim-subscription-key", refused},
		{"no operation for the requested method", "/shop/orders/1", "http://example.com", "PUT", "", want{status: 404}},
		{"API cors", "/apicors/orders", "https://api.example", "POST", "x-anything", want{200, "https://api.example", "", "GET, POST", "x-anything", "", ""}},
		{"API cors: a method it does not allow", "/apicors/orders/1", "https://api.example", "PATCH", "", refused},
		{"API cors first: it refuses (terminate-unmatched-request default)", "/apicors/orders/1", "http://example.com", "GET", "", refused},
		{"terminate-unmatched-request false: the global cors answers", "/fallthrough/orders/1", "http://example.com", "GET", "", example},
		{"terminate-unmatched-request false: its own origin", "/fallthrough/orders/1", "https://api.example", "GET", "", want{200, "https://api.example", "", "GET, POST", "", "", ""}},
		{"terminate-unmatched-request false: none matches", "/fallthrough/orders/1", "https://evil.example", "GET", "", refused},
		{"terminate-unmatched-request false, no cors after it", "/lonely/orders/1", "https://evil.example", "GET", "", refused},
		{"product cors through a key in the query", "/prodapi/orders/1?subscription-key=" + url.QueryEscape(patKey), "https://portal.example", "GET", "content-type", want{200, "https://portal.example", "", "GET, POST", "content-type", "", ""}},
		{"no key: no product, the global cors only", "/prodapi/orders/1", "https://portal.example", "GET", "content-type", refused},
		{"no key: the global cors", "/prodapi/orders/1", "http://example.com", "GET", "", example},
		{"operation cors for the requested method", "/ops/orders/1", "https://ops.example", "PATCH", "content-type", want{200, "https://ops.example", "", "PATCH", "content-type", "", ""}},
		{"another operation: the global cors", "/ops/orders/1", "https://ops.example", "GET", "", refused},
		{"own OPTIONS operation runs", "/own/things", "http://example.com", "GET", "", want{status: 204, own: "yes"}},
		{"no cors anywhere", "/plain/orders/1", "http://example.com", "GET", "", want{status: 404}},
		{"a cors inside choose is no preflight's", "/chosen/orders/1", "http://example.com", "GET", "", want{status: 404}},
		{"API without operations, key required, none sent", "/nospec/any/path", "http://example.com", "DELETE", "", example},
		{"API without operations, again (no rate limit)", "/nospec/any/path", "http://example.com", "DELETE", "", example},
		{"a \"*\" operation is no OPTIONS operation of its own", "/wild/x", "http://example.com", "DELETE", "", example},
		{"WebSocket API: no preflight, its key is required", "/chat", "http://example.com", "GET", "", want{status: 401}},
		{"no Origin", "/shop/orders/1", "", "PATCH", "", want{status: 404}},
		{"no Access-Control-Request-Method", "/shop/orders/1", "http://example.com", "", "", want{status: 404}},
		{"unknown method", "/shop/orders/1", "http://example.com", "FROB", "", want{status: 404}},
		{"no operation at that path", "/shop/nothing", "http://example.com", "GET", "", want{status: 404}},
		{"many requested headers", "/shop/orders/1", "http://example.com", "GET", manyHeaders(600), refused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := rb.calls.Load()
			req, err := http.NewRequestWithContext(testCtx(t), http.MethodOptions, g.url+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range map[string]string{"Origin": tc.origin, "Access-Control-Request-Method": tc.method, "Access-Control-Request-Headers": tc.reqHeaders} {
				if v != "" {
					req.Header.Set(k, v)
				}
			}
			resp, body := do(t, req)
			h := resp.Header
			got := want{resp.StatusCode, h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Credentials"),
				h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Headers"), h.Get("Access-Control-Max-Age"), h.Get("X-Own")}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v\n%v %q", got, tc.want, h, body)
			}
			if n := rb.calls.Load() - before; n != 0 {
				t.Errorf("the backend was called %d times", n)
			}
			if tc.want.status == 200 && body != "" {
				t.Errorf("body %q, want none", body)
			}
			if tc.want.status/100 == 4 && !strings.Contains(body, map[int]string{404: "Resource not found", 401: "missing subscription key"}[tc.want.status]) {
				t.Errorf("404 body %q", body)
			}
		})
	}

	// The API's own requests still need their key, and its policies run.
	resp, _ := get(t, g.url+"/shop/orders/1", http.Header{"Origin": {"http://example.com"}})
	if resp.StatusCode != 401 {
		t.Errorf("GET without a key: %d, want 401", resp.StatusCode)
	}
	resp, _ = get(t, g.url+"/prodapi/orders/1?subscription-key="+url.QueryEscape(patKey), http.Header{"Origin": {"https://portal.example"}})
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://portal.example" {
		t.Errorf("GET through the product: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestCORSPreflightHugeRequestHeaders: a preflight whose
// Access-Control-Request-Headers fills the head is refused by the front
// (431, or the connection closed) or answered by a cors that allows any
// header with the whole list, never with an error or a cut list.
func TestCORSPreflightHugeRequestHeaders(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir, keys := preflightFolder(t, rb.url)
	g := startGateway(t, dir, withSubscriptions(keys, nil))
	for _, n := range []int{700, 7000} {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("x-h%05d", i)
		}
		req, _ := http.NewRequestWithContext(testCtx(t), http.MethodOptions, g.url+"/apicors/orders/1", nil)
		req.Header.Set("Origin", "https://api.example")
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", strings.Join(names, ","))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue // the front closed the connection on a head too large
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusRequestHeaderFieldsTooLarge:
		case resp.StatusCode == 200 && len(resp.Header.Get("Access-Control-Allow-Headers")) == len(strings.Join(names, ", ")):
		default:
			t.Errorf("%d names: %d %d bytes of Access-Control-Allow-Headers", n, resp.StatusCode, len(resp.Header.Get("Access-Control-Allow-Headers")))
		}
		if rb.calls.Load() != 0 {
			t.Errorf("the backend was called")
		}
	}
}

// BenchmarkCORSPreflight: a browser's preflight on an API imported from a
// specification without an OPTIONS operation, answered by the global cors
// (APIM's example) on the preflight route.
func BenchmarkCORSPreflight(b *testing.B) {
	backend := startRawHTTPBackend(b)
	dir := b.TempDir()
	writeFile(b, dir, "policy.xml", `<policies><inbound>`+apimCorsExample+`</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	writeAPI(b, dir, "shop", `type="http" path="/shop" service-url="http://`+backend+`/" subscription-required="true"`,
		`<policies><inbound><base/><rate-limit calls="1" renewal-period="300"/></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(b, dir, "shop/specification.yaml", "openapi: 3.0.1\ninfo: {title: t, version: \"1\"}\npaths:\n  /orders/{id}:\n    patch:\n      operationId: patchOrder\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n      responses: {\"200\": {description: ok}}\n")
	benchRESTWith(b, benchGateway(b, dir), []byte("OPTIONS /shop/orders/1 HTTP/1.1\r\nHost: bench\r\nOrigin: http://example.com\r\n"+
		"Access-Control-Request-Method: PATCH\r\nAccess-Control-Request-Headers: content-type, x-zumo-auth\r\n\r\n"))
}

// TestCORSPreflightReload: the preflight plans are compiled with the
// snapshot. A reload that adds a global cors (APIM's example, where the
// developer portal's "Enable CORS" puts its own) has the API's preflights
// answered, and one that takes it away brings back the 404.
func TestCORSPreflightReload(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	noCors := `<policies><inbound/><backend><forward-request/></backend><outbound/><on-error/></policies>`
	writeFile(t, dir, "policy.xml", noCors)
	writeAPI(t, dir, "shop", `type="http" path="/shop" service-url="`+rb.url+`" subscription-required="true"`,
		`<policies><inbound><base/></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "shop/specification.yaml", "openapi: 3.0.1\ninfo: {title: t, version: \"1\"}\npaths:\n  /orders:\n    post: {operationId: createOrder, responses: {\"201\": {description: ok}}}\n")
	g := startGateway(t, dir)
	preflight := func() (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(testCtx(t), http.MethodOptions, g.url+"/shop/orders", nil)
		req.Header.Set("Origin", "http://example.com")
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, _ := do(t, req)
		return resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin")
	}
	for i, policy := range []string{noCors, `<policies><inbound>` + apimCorsExample + `</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`, noCors} {
		if i > 0 {
			writeFile(t, dir, "policy.xml", policy)
			if st := g.srv.Reload("test"); st.Result != gateway.ReloadSuccess {
				t.Fatalf("reload %d: %+v", i, st)
			}
		}
		status, origin := preflight()
		want, wantOrigin := 404, ""
		if i == 1 {
			want, wantOrigin = 200, "http://example.com"
		}
		if status != want || origin != wantOrigin {
			t.Errorf("step %d: %d %q, want %d %q", i, status, origin, want, wantOrigin)
		}
	}
}

// TestCORSPreflightWithBody: a preflight that sends a body (browsers send
// none) is answered without reading it, and the connection serves the
// next request (or is closed by the front, and the client redials).
func TestCORSPreflightWithBody(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir, keys := preflightFolder(t, rb.url)
	g := startGateway(t, dir, withSubscriptions(keys, nil))
	for _, size := range []int{10, 300 << 10} {
		req, _ := http.NewRequestWithContext(testCtx(t), http.MethodOptions, g.url+"/shop/orders/1", strings.NewReader(strings.Repeat("x", size)))
		req.Header.Set("Origin", "http://example.com")
		req.Header.Set("Access-Control-Request-Method", "PATCH")
		resp, _ := do(t, req)
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://example.com" {
			t.Errorf("%d bytes: %d %v", size, resp.StatusCode, resp.Header)
		}
		resp, _ = get(t, g.url+"/shop/orders/1", nil)
		if resp.StatusCode != 401 {
			t.Errorf("after %d bytes: the next request got %d, want 401", size, resp.StatusCode)
		}
	}
	if rb.calls.Load() != 0 {
		t.Errorf("the backend was called")
	}
}

// TestCORSPreflightAPIOpsSample: samples/apiops (the APIOps extractor's
// layout) with APIM's cors example in its global policy and its echo API
// made to require a key: the browser's preflight for get-item is answered
// without a key, and the call itself still needs one.
func TestCORSPreflightAPIOpsSample(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := copyTree(t, filepath.Join("..", "samples", "apiops"))
	data, err := os.ReadFile(filepath.Join(dir, "policy.xml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "policy.xml", strings.Replace(string(data), "<inbound>", "<inbound>"+apimCorsExample, 1))
	writeFile(t, dir, "apis/echo/apiInformation.json", `{"properties": {"displayName": "Echo", "path": "echo", "serviceUrl": "`+rb.url+`"}}`)
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Getenv = func(k string) string { return "x" } // the sample's named values from the environment
	})
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodOptions, g.url+"/echo/items/7", nil)
	req.Header.Set("Origin", "http://example.com")
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, body := do(t, req)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://example.com" ||
		resp.Header.Get("Access-Control-Allow-Headers") != "content-type" || body != "" {
		t.Errorf("preflight: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	resp, _ = get(t, g.url+"/echo/items/7", http.Header{"Origin": {"http://example.com"}})
	if resp.StatusCode != 401 {
		t.Errorf("GET without a key: %d, want 401", resp.StatusCode)
	}
	if rb.calls.Load() != 0 {
		t.Errorf("the backend was called")
	}
}
