package gateway_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func northwindCSDL(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile("../internal/odata/testdata/northwind.xml")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// An OData API (type odata, its $metadata in metadata.xml) with APIM's
// documented validate-odata-request, served on real sockets: valid
// requests reach the service as they came, invalid ones are answered 400
// before it.
func TestODataAPIServed(t *testing.T) {
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("OData-Version", "4.0")
		fmt.Fprint(w, `{"value":[]}`)
	})
	dir := t.TempDir()
	writeAPI(t, dir, "northwind", fmt.Sprintf(`type="odata" path="/odata" service-url=%q`, rb.url+"/svc"), `<policies>
  <inbound>
    <validate-odata-request default-odata-version="4.01" />
    <set-header name="X-Api-Type" exists-action="override"><value>@(context.Api.Type)</value></set-header>
  </inbound>
</policies>`)
	writeFile(t, dir, "northwind/metadata.xml", northwindCSDL(t))
	g := startGateway(t, dir)
	get := func(target string, hdr ...string) (*http.Response, string) {
		req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, g.url+target, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return do(t, req)
	}

	valid := []struct{ target, path, query string }{
		{"/odata/Products?$filter=Name%20eq%20'Milk'%20and%20Price%20lt%202.55&$orderby=Rating%20desc&$top=5",
			"/svc/Products", "$filter=Name%20eq%20'Milk'%20and%20Price%20lt%202.55&$orderby=Rating%20desc&$top=5"},
		{"/odata/", "/svc/", ""},
		{"/odata/$metadata", "/svc/$metadata", ""},
		{"/odata/Products(1)/Name/$value", "/svc/Products(1)/Name/$value", ""},
		{"/odata/Customers(%27O%27%27Neil%27)/Orders?$count=true", "/svc/Customers('O''Neil')/Orders", "$count=true"},
		{"/odata/Categories?$expand=Products($filter=DiscontinuedDate%20eq%20null;$select=Name)", "/svc/Categories",
			"$expand=Products($filter=DiscontinuedDate%20eq%20null;$select=Name)"},
		{"/odata/Orders?$filter=Items/any(d:d/Quantity%20gt%20100)", "/svc/Orders", "$filter=Items/any(d:d/Quantity%20gt%20100)"},
	}
	for _, v := range valid {
		resp, body := get(v.target)
		if resp.StatusCode != 200 || body != `{"value":[]}` {
			t.Fatalf("%s: status %d body %s", v.target, resp.StatusCode, body)
		}
		seen := rb.last.Load()
		if seen.path != v.path || seen.rawQuery != v.query || seen.header.Get("X-Api-Type") != "odata" {
			t.Errorf("%s: the service got %s ? %s (X-Api-Type %q)", v.target, seen.path, seen.rawQuery, seen.header.Get("X-Api-Type"))
		}
	}

	invalid := []struct{ target, version, want string }{
		{"/odata/Products?$filter=Nope%20eq%201", "", `{"statusCode":400,"message":"The query option $filter is not valid: at 1: Nope is not a property of NorthwindModel.Product"}`},
		{"/odata/Nope", "", `The request's resource path is not valid for the OData service: \"Nope\" is not an entity set`},
		{"/odata/Products%28%27x%27%29", "", `key predicate ('x'): ID is Edm.Int32, not Edm.String`},
		{"/odata/Products?$filter=Name%20EQ%20'Milk'", "4.0", `The query option $filter is not valid`},
		{"/odata/Products?$top=1&$top=2", "", `the system query option $top is given twice`},
		{"/odata/Products?$filter=" + strings.Repeat("(", 3000) + "true" + strings.Repeat(")", 3000), "", "nests deeper than 100"},
		{"/odata/Products?$filter=Name%20eq%20'a%00'", "", "control character"},
		{"/odata/Products", "5.0", "The header OData-Version must be an OData version"},
	}
	for _, v := range invalid {
		calls := rb.calls.Load()
		var hdr []string
		if v.version != "" {
			hdr = []string{"OData-Version", v.version}
		}
		start := time.Now()
		resp, body := get(v.target, hdr...)
		if resp.StatusCode != 400 || !strings.Contains(body, v.want) || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: status %d body %s", v.target, resp.StatusCode, body)
		}
		if rb.calls.Load() != calls {
			t.Errorf("%s: the service was called", v.target)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: took %v", v.target, d)
		}
	}
}

// Without validate-odata-request an OData API passes every request
// through, a path its model does not have included (APIM's documentation
// says nothing of unknown paths; tollgate lets the service answer).
func TestODataAPIPassThrough(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeAPI(t, dir, "northwind", fmt.Sprintf(`type="odata" path="/odata" service-url=%q`, rb.url), "")
	writeFile(t, dir, "northwind/metadata.xml", northwindCSDL(t))
	g := startGateway(t, dir)
	resp, body := do(t, mustGet(t, g.url+"/odata/NotInTheModel(42)?$nope=1"))
	if resp.StatusCode != 200 || body != "backend body" || rb.last.Load().path != "/NotInTheModel(42)" {
		t.Fatalf("status %d body %s, the service got %+v", resp.StatusCode, body, rb.last.Load())
	}
}

func mustGet(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// An OData API's load errors: its metadata's problems at their line and
// column, a missing or misplaced metadata document, operations, and
// validate-odata-request where it cannot run.
func TestODataLoadErrors(t *testing.T) {
	csdl := northwindCSDL(t)
	const odataAPI = `type="odata" path="/od" service-url="http://127.0.0.1:1/"`
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		want    []string // substrings, one per error, in order
		wantPos []string // the file:line:col each error starts with (relative to dir)
	}{
		{"loads", func(t *testing.T, dir string) {
			writeAPI(t, dir, "od", odataAPI, `<policies><inbound><validate-odata-request/></inbound></policies>`)
			writeFile(t, dir, "od/metadata.xml", csdl)
		}, nil, nil},
		{"a metadata problem", func(t *testing.T, dir string) {
			writeAPI(t, dir, "od", odataAPI, "")
			writeFile(t, dir, "od/metadata.xml", strings.Replace(csdl, `<Property Name="Rating" Type="Edm.Int32" />`, `<Property Name="Rating" Type="Edm.Int23" />`, 1))
		}, []string{`OData metadata: type "Edm.Int23" is not defined`}, []string{"od/metadata.xml:37:39"}},
		{"broken XML", func(t *testing.T, dir string) {
			writeAPI(t, dir, "od", odataAPI, "")
			writeFile(t, dir, "od/metadata.xml", "<edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">\n  <edmx:DataServices>\n</edmx:Edmx>\n")
		}, []string{"OData metadata: invalid XML"}, []string{"od/metadata.xml:3:"}},
		{"no metadata", func(t *testing.T, dir string) {
			writeAPI(t, dir, "od", odataAPI, "")
		}, []string{`API "od" is of type odata: its folder needs the service's metadata`}, []string{"od/api.xml:1:1"}},
		{"metadata for an http API", func(t *testing.T, dir string) {
			writeAPI(t, dir, "od", `type="http" path="/od" service-url="http://127.0.0.1:1/"`, "")
			writeFile(t, dir, "od/metadata.xml", csdl)
		}, []string{`metadata.xml is an OData service's metadata, read for an API of type odata only (API "od" is http)`}, []string{"od/metadata.xml:1:1"}},
		{"operations", func(t *testing.T, dir string) {
			writeFile(t, dir, "od/api.xml", `<api name="od" `+odataAPI+`>
  <operations>
    <operation id="get" method="GET" url-template="/Products"/>
  </operations>
</api>`)
			writeFile(t, dir, "od/metadata.xml", csdl)
		}, []string{"an OData API has no operations"}, []string{"od/api.xml:3:5"}},
		{"an operation policy", func(t *testing.T, dir string) {
			writeAPI(t, dir, "od", odataAPI, "")
			writeFile(t, dir, "od/metadata.xml", csdl)
			writeFile(t, dir, "od/operations/get-products/policy.xml", "<policies/>")
		}, []string{`API "od" has no operation "get-products" for this policy (it has no operations)`}, []string{"od/operations/get-products/policy.xml:1:1"}},
		{"validate-odata-request on an http API", func(t *testing.T, dir string) {
			writeAPI(t, dir, "web", `type="http" path="/web" service-url="http://127.0.0.1:1/"`, "<policies>\n  <inbound>\n    <validate-odata-request />\n  </inbound>\n</policies>")
		}, []string{`<validate-odata-request> validates requests to an OData API (type odata, with its $metadata), and API "web" is of type http`},
			[]string{"web/policy.xml:3:5"}},
		{"a global validate-odata-request reaches an http API", func(t *testing.T, dir string) {
			writeFile(t, dir, "policy.xml", "<policies>\n  <inbound>\n    <validate-odata-request />\n  </inbound>\n</policies>")
			writeAPI(t, dir, "od", odataAPI, "")
			writeFile(t, dir, "od/metadata.xml", csdl)
			writeAPI(t, dir, "web", `type="http" path="/web" service-url="http://127.0.0.1:1/"`, "")
		}, []string{`API "web" is of type http`}, []string{"policy.xml:3:5"}},
		{"twice in a section, through base", func(t *testing.T, dir string) {
			writeFile(t, dir, "policy.xml", "<policies>\n  <inbound>\n    <validate-odata-request />\n  </inbound>\n</policies>")
			writeAPI(t, dir, "od", odataAPI, "<policies>\n  <inbound>\n    <base />\n    <validate-odata-request />\n  </inbound>\n</policies>")
			writeFile(t, dir, "od/metadata.xml", csdl)
		}, []string{`may be used once in a policy section, and API "od"'s inbound already has one`}, []string{"od/policy.xml:4:5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			_, errs := load(t, dir)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %d", errs, len(tc.want))
			}
			for i, e := range errs {
				if !strings.Contains(e, tc.want[i]) || !strings.HasPrefix(e, filepath.Join(dir, tc.wantPos[i])) {
					t.Errorf("error %q, want %s: …%s…", e, tc.wantPos[i], tc.want[i])
				}
			}
		})
	}
}

// An APIOps OData API: "type": "odata" and specification.xml, as the
// extractor writes them.
func TestODataAPIOps(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "apis/northwind/apiInformation.json", `{"properties": {"displayName": "Northwind", "path": "northwind", "serviceUrl": "https://services.example.com/northwind", "type": "odata", "apiType": "odata", "subscriptionRequired": false, "protocols": ["https"]}}`)
	writeFile(t, dir, "apis/northwind/specification.xml", northwindCSDL(t))
	writeFile(t, dir, "apis/northwind/policy.xml", `<policies><inbound><base /><validate-odata-request default-odata-version="4.01" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`)
	snap, errs := load(t, dir)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	a := snap.API("northwind")
	if a == nil || a.Type != "odata" || a.Info.Type != "odata" || a.Path != "/northwind" {
		t.Fatalf("API %+v", a)
	}
	writeFile(t, dir, "apis/northwind/specification.xml", "<edmx:Edmx")
	if _, errs := load(t, dir); len(errs) != 1 || !strings.Contains(errs[0], "specification.xml:1:11: OData metadata: invalid XML") {
		t.Errorf("errors %v", errs)
	}
}
