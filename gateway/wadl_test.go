package gateway_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// wadlAPI writes an APIOps API "NAME" at /NAME whose description is the
// WADL file, with a policy that names the matched operation and validates
// the parameters.
func wadlAPI(t *testing.T, dir, name, wadl, serviceURL string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "wadl", wadl))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "apis/"+name+"/apiInformation.json", `{"properties": {"path": "`+name+`", "serviceUrl": "`+serviceURL+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/"+name+"/specification.wadl", string(data))
	writeFile(t, dir, "apis/"+name+"/policy.xml", `<policies><inbound><base/>
<validate-parameters specified-parameter-action="prevent" unspecified-parameter-action="ignore"/>
<set-header name="X-Op" exists-action="override"><value>@(context.Operation.Id + " " + context.Operation.UrlTemplate)</value></set-header>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
}

// TestWADLOperations: the WADL specification's own example (Yahoo News
// Search, as written) and a Jersey-generated description become
// operations: routed by method and path, their params checked by
// validate-parameters.
func TestWADLOperations(t *testing.T) {
	be := newRESTBackend(t, nil)
	dir := t.TempDir()
	wadlAPI(t, dir, "news", "news.wadl", be.url)
	wadlAPI(t, dir, "shop", "jersey.wadl", be.url)
	g := startGateway(t, dir)

	tenant := http.Header{"X-Tenant": {"contoso"}}
	for _, tc := range []struct {
		method, path string
		header       http.Header
		status       int
		op           string // X-Op the backend sees
	}{
		{"GET", "/news/newsSearch?appid=a&query=q", nil, 200, "search /newsSearch"},
		{"GET", "/news/newsSearch?appid=a&query=q&type=phrase&results=5&sort=date", nil, 200, "search /newsSearch"},
		{"GET", "/news/newsSearch?appid=a&query=q&results=ten", nil, 400, ""},
		{"GET", "/news/newsSearch?appid=a&query=q&type=some", nil, 400, ""},
		{"GET", "/news/newsSearch?query=q", nil, 400, ""},
		{"POST", "/news/newsSearch?appid=a&query=q", nil, 404, ""},
		{"GET", "/shop/orders", tenant, 200, "listOrders /orders"},
		{"GET", "/shop/orders?limit=x", tenant, 400, ""},
		{"GET", "/shop/orders", nil, 400, ""}, // X-Tenant is required
		{"POST", "/shop/orders", nil, 200, "createOrder /orders"},
		{"GET", "/shop/orders/42", nil, 200, "getOrder /orders/{id}"},
		{"GET", "/shop/orders/forty-two", nil, 400, ""}, // id is an xs:long
		{"DELETE", "/shop/orders/42", nil, 200, "delete-orders-id /orders/{id}"},
		{"GET", "/shop/orders/42/items", nil, 200, "listItems /orders/{id}/items"},
		{"GET", "/shop/orders/42/items/7", nil, 200, "get-orders-id-items-item /orders/{id}/items/{item}"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			be.last.Store(nil)
			req, _ := http.NewRequest(tc.method, g.url+tc.path, nil)
			for k, v := range tc.header {
				req.Header[k] = v
			}
			resp, body := do(t, req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			seen := be.last.Load()
			if tc.op == "" {
				if seen != nil {
					t.Fatal("a refused request reached the backend")
				}
				return
			}
			if seen == nil || seen.header.Get("X-Op") != tc.op {
				t.Fatalf("operation %+v, want %q", seen, tc.op)
			}
		})
	}
}

// TestWADLLoadErrors: a WADL the loader cannot read is reported at the
// element it is about.
func TestWADLLoadErrors(t *testing.T) {
	const head = `<application xmlns="http://wadl.dev.java.net/2009/02"><resources base="http://x/">`
	const tail = `</resources></application>`
	for _, tc := range []struct {
		name, wadl, want string
	}{
		{"not WADL", `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"/>`,
			`1:1: a WADL document starts with <application xmlns="http://wadl.dev.java.net/2009/02">, not <definitions>`},
		{"malformed", head + `<resource path="a">` + tail, "invalid WADL: "},
		{"a reference to nothing", head + `<resource path="a"><method href="#nope"/></resource>` + tail,
			`1:102: WADL reference "#nope" names no method`},
		{"a reference to another document", head + `<resource path="a" type="other.wadl#rt"/>` + tail,
			`1:83: WADL reference "other.wadl#rt" must be #ID: other documents are not read`},
		{"an unknown style", head + `<resource path="a"><param name="p" style="cookie"/><method name="GET"/></resource>` + tail,
			`1:102: WADL param "p" has style "cookie" (template, query, header, matrix or plain)`},
		{"a template param not in the path", head + `<resource path="a"><param name="id" style="template"/><method name="GET" id="g"/></resource>` + tail,
			`WADL template param "id" is not in the path /a`},
		{"a method that is no HTTP method", head + `<resource path="a"><method name="FETCH"/></resource>` + tail,
			`1:102: WADL method "FETCH" is not an HTTP method APIM operations have`},
		{"a resource type that includes itself", `<application xmlns="http://wadl.dev.java.net/2009/02"><resources base="http://x/"><resource path="a" type="#rt"/></resources>` +
			`<resource_type id="rt"><resource path="b" type="#rt"/></resource_type></application>`, `WADL resource type "#rt" includes itself`},
		{"two GETs at one path", head + `<resource path="a"><method name="GET" id="one"/></resource><resource path="/a/"><method name="GET" id="two"/></resource>` + tail,
			`WADL has two GET methods at /a`},
		{"an id used twice", head + `<resource path="a"><method name="GET" id="one"/><method name="POST" id="one"/></resource>` + tail,
			`operation id "one" is already used in this API`},
		{"too deep", `<application xmlns="http://wadl.dev.java.net/2009/02">` + strings.Repeat("<resource>", 200) + strings.Repeat("</resource>", 200) + `</application>`,
			"invalid WADL: more than 200000 elements or nested deeper than 128"},
		{"a WADL for a SOAP API", "", `a WADL describes an HTTP API, not one of type "soap"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			typ := "http"
			wadl := tc.wadl
			if wadl == "" {
				typ, wadl = "soap", head+tail
			}
			writeFile(t, dir, "apis/w/apiInformation.json", `{"properties": {"path": "w", "type": "`+typ+`", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
			writeFile(t, dir, "apis/w/specification.wadl", wadl)
			if typ == "soap" {
				writeFile(t, dir, "apis/w/specification.wsdl", `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"/>`)
			}
			_, errs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}), gateway.LoadOptions{})
			file := filepath.Join(dir, "apis", "w", "specification.wadl")
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
				if strings.HasPrefix(e.Error(), file+":") && strings.Contains(e.Error(), tc.want) {
					return
				}
			}
			t.Fatalf("no error in %s saying %q; got:\n%s", file, tc.want, strings.Join(got, "\n"))
		})
	}
}

// FuzzWADL: any document either loads or is reported; never a panic, and
// never an operation without a template starting with '/'.
func FuzzWADL(f *testing.F) {
	for _, name := range []string{"news.wadl", "jersey.wadl"} {
		data, err := os.ReadFile(filepath.Join("testdata", "wadl", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	f.Add(`<application xmlns="http://wadl.dev.java.net/2009/02"><resources><resource path="{a: x}" type="#t"/></resources><resource_type id="t"><method name="GET"/></resource_type></application>`)
	reg := policies.Registry(policies.Deps{Store: store.NewMemory()})
	f.Fuzz(func(t *testing.T, wadl string) {
		dir := t.TempDir()
		writeFile(t, dir, "apis/w/apiInformation.json", `{"properties": {"path": "w", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
		writeFile(t, dir, "apis/w/specification.wadl", wadl)
		snap, errs := gateway.Load(dir, reg, gateway.LoadOptions{})
		if len(errs) > 0 {
			return
		}
		for _, op := range snap.API("w").Operations {
			if !strings.HasPrefix(op.Info.UrlTemplate, "/") {
				panic(fmt.Sprintf("operation %s has template %q", op.Info.Id, op.Info.UrlTemplate))
			}
		}
	})
}
