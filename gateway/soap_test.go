package gateway_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
)

const soapAdd = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Add xmlns="http://tempuri.org/"><a>2</a><b>3</b></Add></s:Body></s:Envelope>`

// A SOAP pass-through API from APIOps: its WSDL's operations are matched
// by SOAP action (1.1 header or 1.2 Content-Type parameter), each runs
// its own policy, the envelope reaches the service URL as it came, and a
// request no operation takes gets APIM's 404.
func TestSOAPPassThroughAPIOps(t *testing.T) {
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		fmt.Fprint(w, `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><AddResponse xmlns="http://tempuri.org/"><AddResult>5</AddResult></AddResponse></s:Body></s:Envelope>`)
	})
	wsdl, err := os.ReadFile("testdata/soap/calculator.wsdl")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "apis/calc/apiInformation.json", fmt.Sprintf(`{"properties": {"displayName": "Calculator", "path": "calc", "serviceUrl": %q, "type": "soap", "apiType": "soap", "subscriptionRequired": false, "protocols": ["https"]}}`, rb.url+"/Calculator.svc"))
	writeFile(t, dir, "apis/calc/specification.wsdl", string(wsdl))
	writeFile(t, dir, "apis/calc/policy.xml", `<policies><inbound><base/>
  <set-header name="X-Operation" exists-action="override"><value>@(context.Operation.Id + " " + context.Operation.Method + " " + context.Operation.UrlTemplate)</value></set-header>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "apis/calc/operations/Subtract/policy.xml", `<policies><inbound><base/>
  <return-response><set-status code="200" reason="OK"/><set-body>subtract is answered by the gateway</set-body></return-response>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	g := startGateway(t, dir)

	post := func(path string, h http.Header) (*http.Response, string) {
		req, _ := http.NewRequest("POST", g.url+path, strings.NewReader(soapAdd))
		for k, v := range h {
			req.Header[k] = v
		}
		return do(t, req.WithContext(testCtx(t)))
	}
	// SOAP 1.1: the SOAPAction header names Add.
	resp, body := post("/calc", http.Header{"Content-Type": {"text/xml; charset=utf-8"}, "Soapaction": {`"http://tempuri.org/ICalculator/Add"`}})
	if resp.StatusCode != 200 || !strings.Contains(body, "<AddResult>5</AddResult>") {
		t.Fatalf("Add: status %d body %s", resp.StatusCode, body)
	}
	seen := rb.last.Load()
	if seen.method != "POST" || seen.path != "/Calculator.svc" || string(seen.body) != soapAdd ||
		seen.header.Get("X-Operation") != "Add POST /?soapAction=http://tempuri.org/ICalculator/Add" ||
		seen.header.Get("Soapaction") != `"http://tempuri.org/ICalculator/Add"` {
		t.Errorf("the backend got %s %s %q, X-Operation %q, SOAPAction %q", seen.method, seen.path, seen.body, seen.header.Get("X-Operation"), seen.header.Get("Soapaction"))
	}
	// SOAP 1.2: the action is a Content-Type parameter; Subtract's own
	// policy answers.
	calls := rb.calls.Load()
	resp, body = post("/calc/", http.Header{"Content-Type": {`application/soap+xml; charset=utf-8; action="http://tempuri.org/ICalculator/Subtract"`}})
	if resp.StatusCode != 200 || body != "subtract is answered by the gateway" || rb.calls.Load() != calls {
		t.Errorf("Subtract: status %d body %q (backend calls %d → %d)", resp.StatusCode, body, calls, rb.calls.Load())
	}
	// No operation: 404 Resource not found, the backend untouched.
	for _, tc := range []struct {
		name, method, path string
		h                  http.Header
	}{
		{"an unknown action", "POST", "/calc", http.Header{"Soapaction": {`"http://tempuri.org/ICalculator/Divide"`}}},
		{"no action", "POST", "/calc", http.Header{"Content-Type": {"text/xml"}}},
		{"a GET", "GET", "/calc", http.Header{"Soapaction": {`"http://tempuri.org/ICalculator/Add"`}}},
		{"a path below the API's", "POST", "/calc/Calculator.svc", http.Header{"Soapaction": {`"http://tempuri.org/ICalculator/Add"`}}},
	} {
		req, _ := http.NewRequest(tc.method, g.url+tc.path, strings.NewReader(soapAdd))
		for k, v := range tc.h {
			req.Header[k] = v
		}
		resp, body := do(t, req.WithContext(testCtx(t)))
		if resp.StatusCode != 404 || body != `{"statusCode":404,"message":"Resource not found"}` {
			t.Errorf("%s: status %d body %s", tc.name, resp.StatusCode, body)
		}
	}
	if rb.calls.Load() != calls {
		t.Errorf("the backend was called for requests no operation takes")
	}
}

// tollgate's own layout: type="soap" in api.xml with the WSDL beside it,
// and APIM's wildcard SOAP action declared in <operations>.
func TestSOAPWildcardAction(t *testing.T) {
	rb := newRESTBackend(t, nil)
	wsdl, err := os.ReadFile("testdata/soap/calculator.wsdl")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "calc/api.xml", fmt.Sprintf(`<api name="calc" type="soap" path="/calc" service-url=%q>
  <operations>
    <operation id="any-action" name="Any SOAP action" method="POST" url-template="/soapAction={any}"/>
  </operations>
</api>`, rb.url))
	writeFile(t, dir, "calc/specification.wsdl", string(wsdl))
	writeFile(t, dir, "calc/policy.xml", `<policies><inbound>
  <set-header name="X-Operation" exists-action="override"><value>@(context.Operation.Id)</value></set-header>
</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	g := startGateway(t, dir)
	for action, want := range map[string]string{
		`"http://tempuri.org/ICalculator/Add"`:    "Add",
		`"http://tempuri.org/ICalculator/Divide"`: "any-action",
		`""`: "any-action",
	} {
		req, _ := http.NewRequest("POST", g.url+"/calc", strings.NewReader(soapAdd))
		req.Header.Set("SOAPAction", action)
		resp, body := do(t, req.WithContext(testCtx(t)))
		if resp.StatusCode != 200 || body != "backend body" {
			t.Fatalf("%s: status %d body %s", action, resp.StatusCode, body)
		}
		if got := rb.last.Load().header.Get("X-Operation"); got != want {
			t.Errorf("SOAPAction %s: operation %q, want %q", action, got, want)
		}
	}
}

func TestSOAPLoadErrors(t *testing.T) {
	wsdl, err := os.ReadFile("testdata/soap/calculator.wsdl")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, typ, file, content, ops string
		want                          string
	}{
		{"a WSDL for an http API", "http", "specification.wsdl", string(wsdl), "",
			`specification.wsdl:1:1: a WSDL describes a SOAP API: give the API type "soap" (it is "http")`},
		{"a SOAP API without operations", "soap", "", "", "", `SOAP API "calc" has no operations: give it its WSDL (specification.wsdl) or <operations> in api.xml`},
		{"an OpenAPI specification for a SOAP API", "soap", "specification.json", `{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {}}`,
			`<operations><operation id="x" method="POST" url-template="/?soapAction=urn:x"/></operations>`,
			"specification.json:1:1: a SOAP API's operations come from its WSDL (specification.wsdl), not an OpenAPI specification"},
		{"a REST template in a SOAP API", "soap", "specification.wsdl", string(wsdl), `<operations><operation id="x" method="POST" url-template="/orders"/></operations>`,
			`a SOAP operation's URL template is /?soapAction=ACTION, or /soapAction={any} for the wildcard action, not "/orders"`},
		{"an action twice", "soap", "specification.wsdl", string(wsdl), `<operations><operation id="x" method="POST" url-template="/?soapAction=http://tempuri.org/ICalculator/Add"/></operations>`,
			`operations "x" and "Add" have the same SOAP action "http://tempuri.org/ICalculator/Add"`},
		{"a policy folder named as APIM named the operation", "soap", "operations/5f0a1b2c3d/policy.xml", "<policies/>", `<operations><operation id="Add" method="POST" url-template="/?soapAction=urn:add"/><operation id="Sub" method="POST" url-template="/?soapAction=urn:sub"/></operations>`,
			`operations/5f0a1b2c3d/policy.xml:1:1: API "calc" has no operation "5f0a1b2c3d" for this policy (its operations: Add, Sub)`},
		{"a broken WSDL", "soap", "specification.wsdl", "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\">\n<binding>", "",
			"specification.wsdl:2:9: invalid WSDL: unexpected EOF"},
		{"a WSDL schema with an undefined type", "soap", "specification.wsdl", strings.Replace(string(wsdl), `<xsd:element name="b" type="xsd:int"/>`,
			`<xsd:element name="b" type="tns:Number"/>`, 1), "",
			`specification.wsdl:12:50: XML schema in the WSDL's types: type "Number" is not defined in namespace http://tempuri.org/`},
		{"a WSDL schema that imports a file", "soap", "specification.wsdl", strings.Replace(string(wsdl), `elementFormDefault="qualified">`,
			`elementFormDefault="qualified"><xsd:import namespace="urn:x" schemaLocation="http://example.com/x.xsd"/>`, 1), "",
			`specification.wsdl:9:87: XML schema in the WSDL's types: schemaLocation "http://example.com/x.xsd" is not among the schemas given (tollgate never fetches a schema)`},
		// APIM's import page: "The wsdl:import, xsd:import, and xsd:include
		// directives aren't supported."
		{"a WSDL schema that includes a file", "soap", "specification.wsdl", strings.Replace(string(wsdl), `elementFormDefault="qualified">`,
			`elementFormDefault="qualified"><xsd:include schemaLocation="more.xsd"/>`, 1), "",
			`specification.wsdl:9:87: XML schema in the WSDL's types: schemaLocation "more.xsd" is not among the schemas given (tollgate never fetches a schema)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "calc/api.xml", fmt.Sprintf(`<api name="calc" type=%q path="/calc" service-url="http://127.0.0.1:1/">%s</api>`, tc.typ, tc.ops))
			if tc.file != "" {
				writeFile(t, dir, "calc/"+tc.file, tc.content)
			}
			_, errs := load(t, dir)
			if len(errs) != 1 || !strings.Contains(errs[0], tc.want) {
				t.Fatalf("errors %v, want one with %q", errs, tc.want)
			}
		})
	}
}

// A SOAP API with APIM's xsl-transform both ways, as SOAP-to-XML teams
// use it: the response envelope is unwrapped to its payload, and the
// request gets a parameter from a header.
func TestSOAPWithXSLTransform(t *testing.T) {
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><AddResponse xmlns="http://tempuri.org/"><AddResult>5</AddResult></AddResponse></s:Body></s:Envelope>`)
	})
	wsdl, err := os.ReadFile("testdata/soap/calculator.wsdl")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "calc/api.xml", fmt.Sprintf(`<api name="calc" type="soap" path="/calc" service-url=%q/>`, rb.url))
	writeFile(t, dir, "calc/specification.wsdl", string(wsdl))
	writeFile(t, dir, "calc/policy.xml", `<policies>
  <inbound>
    <xsl-transform>
      <parameter name="caller">@(context.Request.Headers.GetValueOrDefault("X-Caller", "anonymous"))</parameter>
      <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
        <xsl:output omit-xml-declaration="yes"/>
        <xsl:param name="caller"/>
        <xsl:template match="@* | node()"><xsl:copy><xsl:apply-templates select="@* | node()"/></xsl:copy></xsl:template>
        <xsl:template match="/*"><xsl:copy><xsl:attribute name="caller"><xsl:value-of select="$caller"/></xsl:attribute><xsl:apply-templates select="@* | node()"/></xsl:copy></xsl:template>
      </xsl:stylesheet>
    </xsl-transform>
  </inbound>
  <backend><forward-request/></backend>
  <outbound>
    <xsl-transform>
      <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://tempuri.org/" exclude-result-prefixes="s t">
        <xsl:output method="xml" omit-xml-declaration="yes"/>
        <xsl:template match="/"><sum><xsl:value-of select="s:Envelope/s:Body/t:AddResponse/t:AddResult"/></sum></xsl:template>
      </xsl:stylesheet>
    </xsl-transform>
    <set-header name="Content-Type" exists-action="override"><value>application/xml</value></set-header>
  </outbound>
  <on-error/>
</policies>`)
	g := startGateway(t, dir)
	req, _ := http.NewRequest("POST", g.url+"/calc", strings.NewReader(soapAdd))
	req.Header.Set("SOAPAction", `"http://tempuri.org/ICalculator/Add"`)
	req.Header.Set("X-Caller", "billing")
	resp, body := do(t, req.WithContext(testCtx(t)))
	if resp.StatusCode != 200 || body != "<sum>5</sum>" || resp.Header.Get("Content-Type") != "application/xml" {
		t.Fatalf("status %d, Content-Type %q, body %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	want := strings.Replace(soapAdd, `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">`, `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" caller="billing">`, 1)
	if got := string(rb.last.Load().body); got != want {
		t.Errorf("the backend got\n%s\nwant\n%s", got, want)
	}

	// A body that is not XML: the policy fails, 500, the backend is not called.
	calls := rb.calls.Load()
	req, _ = http.NewRequest("POST", g.url+"/calc", strings.NewReader(`{"a": 2}`))
	req.Header.Set("SOAPAction", `"http://tempuri.org/ICalculator/Add"`)
	resp, body = do(t, req.WithContext(testCtx(t)))
	if resp.StatusCode != 500 || rb.calls.Load() != calls {
		t.Errorf("not XML: status %d body %s, backend calls %d → %d", resp.StatusCode, body, calls, rb.calls.Load())
	}
}
