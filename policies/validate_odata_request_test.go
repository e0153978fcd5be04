package policies

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"tollgate/engine"
	"tollgate/internal/odata"
)

func odataModel(t testing.TB) *odata.Model {
	t.Helper()
	data, err := os.ReadFile("../internal/odata/testdata/northwind.xml")
	if err != nil {
		t.Fatal(err)
	}
	m, errs := odata.ParseCSDL(data)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return m
}

// odataState is a request to an OData API at /odata: target is the
// path below it and the query, written readably (spaces become %20).
func odataState(t testing.TB, m *odata.Model, method, target string, hdr ...string) *engine.State {
	path, query, _ := strings.Cut(target, "?")
	raw := "http://gw/odata" + path
	if query != "" {
		raw += "?" + strings.ReplaceAll(query, " ", "%20")
	}
	s := request(raw, hdr...)
	s.Context().Request.Method = method
	api := s.Context().Api
	api.Type, api.Path = "odata", "/odata"
	if m != nil {
		engine.SetODataModel(api, m)
	}
	return s
}

func TestValidateODataRequest(t *testing.T) {
	m := odataModel(t)
	doc := apimDoc(t, "validate-odata-request.xml") // default-odata-version="4.01"
	cases := []struct {
		name, policy, method, target string
		hdr                          []string
		want                         string // "" passes; else in the error's details
		typ                          string
	}{
		{name: "doc: valid", policy: doc, target: "/Products?$filter=Name eq 'Milk' and Price lt 2.55&$orderby=Rating desc&$top=5"},
		{name: "doc: 4.01 operators in any case", policy: doc, target: "/Products?$filter=Name EQ 'Milk'"},
		{name: "doc: 4.01 options without $", policy: doc, target: "/Products?filter=Rating gt 1&top=2"},
		{name: "doc: OData-Version 4.0 asks for 4.0 rules", policy: doc, target: "/Products?$filter=Name EQ 'Milk'",
			hdr: []string{"OData-Version", "4.0"}, want: "The query option $filter is not valid", typ: "QueryParameter"},
		{name: "doc: OData-MaxVersion 4.0 too", policy: doc, target: "/Products?$filter=Name EQ 'Milk'",
			hdr: []string{"OData-MaxVersion", "4.0"}, want: "$filter", typ: "QueryParameter"},
		{name: "default 4.0", policy: `<validate-odata-request/>`, target: "/Products?$filter=Name EQ 'Milk'", want: "unexpected \"EQ\"", typ: "QueryParameter"},
		{name: "default 4.0: filter without $ is a custom option", policy: `<validate-odata-request/>`, target: "/Products?filter=x y z"},
		{name: "unknown property", policy: doc, target: "/Products?$filter=Nope eq 1", want: "Nope is not a property of NorthwindModel.Product", typ: "QueryParameter"},
		{name: "unknown entity set", policy: doc, target: "/Nope", want: "The request's resource path is not valid for the OData service", typ: "RequestUrl"},
		{name: "the service document", policy: doc, target: "/"},
		{name: "the API's own path", policy: doc, target: ""},
		{name: "metadata", policy: doc, target: "/$metadata"},
		{name: "batch", policy: doc, method: http.MethodPost, target: "/$batch"},
		{name: "a key", policy: doc, target: "/Customers('O''Neil')/Orders?$count=true"},
		{name: "an unknown $option", policy: doc, target: "/Products?$nope=1", want: "unknown system query option", typ: "QueryParameter"},
		{name: "a repeated option", policy: doc, target: "/Products?$top=1&$top=1", want: "is given twice", typ: "QueryParameter"},
		{name: "min version", policy: `<validate-odata-request min-odata-version="4.01"/>`, target: "/Products",
			hdr: []string{"OData-Version", "4.0"}, want: "OData-Version 4.0 is below the lowest version the API accepts, 4.01.", typ: "RequestHeader"},
		{name: "max version", policy: `<validate-odata-request max-odata-version="4.0"/>`, target: "/Products",
			hdr: []string{"OData-Version", "4.01"}, want: "OData-Version 4.01 is above the highest version the API accepts, 4.0.", typ: "RequestHeader"},
		{name: "max version, in range", policy: `<validate-odata-request min-odata-version="4.0" max-odata-version="4.01"/>`, target: "/Products",
			hdr: []string{"OData-Version", "4.01"}},
		{name: "not a version", policy: doc, target: "/Products", hdr: []string{"OData-Version", "5"}, want: "must be an OData version", typ: "RequestHeader"},
		{name: "v3", policy: doc, target: "/Products", hdr: []string{"OData-Version", "3.0"}, want: "must be an OData version", typ: "RequestHeader"},
		{name: "two versions", policy: doc, target: "/Products", hdr: []string{"OData-Version", "4.0", "OData-Version", "4.01"}, want: "multiple values", typ: "RequestHeader"},
		{name: "max version below min", policy: `<validate-odata-request min-odata-version="4.01"/>`, target: "/Products",
			hdr: []string{"OData-MaxVersion", "4.0"}, want: "OData-MaxVersion 4.0 is below", typ: "RequestHeader"},
		{name: "max-size", policy: `<validate-odata-request max-size="10"/>`, method: http.MethodPost, target: "/Products",
			hdr: []string{"Content-Length", "20"}, want: "Request's body is 20 bytes long and it exceeds the configured limit of 10 bytes.", typ: "RequestBody"},
		{name: "max-size, within", policy: `<validate-odata-request max-size="10"/>`, method: http.MethodPost, target: "/Products",
			hdr: []string{"Content-Length", "10"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, testDeps(), strings.Replace(tc.policy, "<validate-odata-request", `<validate-odata-request error-variable-name="errs"`, 1))
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			s := odataState(t, m, method, tc.target, tc.hdr...)
			stopped := runInbound(plan, s)
			errs, _ := s.Variables()["errs"].([]any)
			if tc.want == "" {
				if stopped {
					t.Fatalf("refused: %+v", s.LastError())
				}
				if errs == nil || len(errs) != 0 {
					t.Errorf("errors variable = %#v, want an empty list", s.Variables()["errs"])
				}
				return
			}
			if !stopped {
				t.Fatalf("passed, want %q", tc.want)
			}
			le, r := s.LastError(), s.Response()
			body, _ := r.Body.Bytes()
			if le.Source != "validate-odata-request" || le.Reason != ReasonBadRequest || r.StatusCode != 400 || !strings.Contains(le.Message, tc.want) {
				t.Fatalf("last error %+v, status %d", le, r.StatusCode)
			}
			public := strings.ReplaceAll(tc.want, "configured limit", "limit") // APIM's public wording
			if !strings.HasPrefix(string(body), `{"statusCode":400,"message":"`) || !strings.Contains(string(body), strings.ReplaceAll(public, `"`, `\"`)) {
				t.Errorf("body %s", body)
			}
			if len(errs) == 0 {
				t.Fatalf("errors variable = %#v", s.Variables()["errs"])
			}
			e := errs[0].(map[string]any)
			if e["Type"] != tc.typ || e["Action"] != "prevent" || !strings.Contains(e["Details"].(string), tc.want) {
				t.Errorf("error record %#v", e)
			}
		})
	}
}

// A chunked body (no Content-Length) is read and measured.
func TestValidateODataRequestBodySize(t *testing.T) {
	m := odataModel(t)
	plan := compile(t, testDeps(), `<validate-odata-request max-size="4"/>`)
	s := odataState(t, m, http.MethodPost, "/Products")
	s.Context().Request.Body = engine.NewBody([]byte("123456"))
	if !runInbound(plan, s) || !strings.Contains(s.LastError().Message, "Request's body is 6 bytes long") {
		t.Fatalf("%+v", s.LastError())
	}
}

// Outside an OData API (a policy the gateway's load check missed: a
// State made by hand) the policy fails closed.
func TestValidateODataRequestNotOData(t *testing.T) {
	plan := compile(t, testDeps(), apimDoc(t, "validate-odata-request.xml"))
	s := odataState(t, nil, http.MethodGet, "/Products")
	if !runInbound(plan, s) || s.Response().StatusCode != 500 || !strings.Contains(s.LastError().Message, "not an OData API") {
		t.Fatalf("%+v", s.LastError())
	}
}
