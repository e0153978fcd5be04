package gateway_test

import (
	"net/http"
	"strings"
	"testing"
)

// The forward-request page's four examples, as written, in one APIOps
// folder: example 1 is the API's policy ("api level"); examples 2, 3 and 4
// ("operation level") are the policies of three operations. The backend
// answers 404 on /orders/own, so that example 3's fail-on-error-status-code
// sends it to on-error. The page's effects: 2 inherits the API's
// forward-request, 3 forwards itself, 4 does not forward at all.
func TestDocExamplesForwardRequest(t *testing.T) {
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/own") {
			http.Error(w, "no such order", http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte("from " + r.URL.Path))
	})
	dir := t.TempDir()
	writeFile(t, dir, "apis/orders/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "`+rb.url+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/orders/specification.yaml", `openapi: 3.0.1
info: {title: Orders, version: "1"}
paths:
  /inherit: {get: {operationId: inherit, responses: {"200": {description: ok}}}}
  /own: {get: {operationId: own, responses: {"200": {description: ok}}}}
  /none: {get: {operationId: none, responses: {"200": {description: ok}}}}
`)
	writeFile(t, dir, "apis/orders/policy.xml", `<!-- api level -->
<policies>
    <inbound>
        <base/>
    </inbound>
    <backend>
        <forward-request timeout="60"/>
    </backend>
    <outbound>
        <base/>
    </outbound>
</policies>
`)
	writeFile(t, dir, "apis/orders/operations/inherit/policy.xml", `<!-- operation level -->
<policies>
    <inbound>
        <base/>
    </inbound>
    <backend>
        <base/>
    </backend>
    <outbound>
        <base/>
    </outbound>
</policies>
`)
	writeFile(t, dir, "apis/orders/operations/own/policy.xml", `<!-- operation level -->
<policies>
    <inbound>
        <base/>
    </inbound>
    <backend>
        <forward-request timeout="120" fail-on-error-status-code="true" />
        <!-- effective policy. note the absence of <base/> -->
    </backend>
    <outbound>
        <base/>
    </outbound>
</policies>
`)
	writeFile(t, dir, "apis/orders/operations/none/policy.xml", `<!-- operation level -->
<policies>
    <inbound>
        <base/>
    </inbound>
    <backend>
        <!-- no forwarding to backend -->
    </backend>
    <outbound>
        <base/>
    </outbound>
</policies>
`)
	g := startGateway(t, dir)

	resp, body := get(t, g.url+"/orders/inherit", nil)
	if resp.StatusCode != 200 || body != "from /inherit" || rb.calls.Load() != 1 {
		t.Errorf("example 2 (inherit): %d %q after %d backend calls", resp.StatusCode, body, rb.calls.Load())
	}
	resp, body = get(t, g.url+"/orders/own", nil)
	// on-error has nothing of its own: tollgate's JSON error, 502 (docs/gateway.md).
	if resp.StatusCode != 502 || strings.Contains(body, "no such order") || rb.calls.Load() != 2 {
		t.Errorf("example 3 (own, 404 to on-error): %d %q after %d backend calls", resp.StatusCode, body, rb.calls.Load())
	}
	resp, body = get(t, g.url+"/orders/none", nil)
	if resp.StatusCode != 200 || body != "" || rb.calls.Load() != 2 {
		t.Errorf("example 4 (no forwarding): %d %q after %d backend calls", resp.StatusCode, body, rb.calls.Load())
	}
}

// include-fragment page's example: the inbound section as written, with
// the page's "[...]" (the rest of the document) filled in by the test,
// and a fragment named myFragment in the folder.
func TestDocExamplesIncludeFragment(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "apis/orders/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "`+rb.url+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "policy fragments/myFragment/policy.xml", `<fragment>
    <set-header name="X-From-Fragment" exists-action="override"><value>myFragment</value></set-header>
</fragment>
`)
	const example = `<inbound>
    <include-fragment fragment-id="myFragment" />
    <base />
</inbound>
[...]`
	writeFile(t, dir, "apis/orders/policy.xml", "<policies>\n"+strings.Replace(example, "[...]",
		"<backend><forward-request/></backend><outbound/><on-error/>", 1)+"\n</policies>\n")
	g := startGateway(t, dir)
	if resp, body := get(t, g.url+"/orders/x", nil); resp.StatusCode != 200 || body != "backend body" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	if got := rb.last.Load().header.Get("X-From-Fragment"); got != "myFragment" {
		t.Errorf("X-From-Fragment = %q", got)
	}
}
