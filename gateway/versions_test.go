package gateway_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// versionBackend answers with its name and what it was asked.
func versionBackend(t *testing.T, name string) string {
	ts := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s?%s %s", name, r.URL.Path, r.URL.RawQuery, r.Header.Get("Api-Version"))
	})
	return ts.URL
}

// APIs whose versions share a path, told apart by a query parameter or a
// header (APIM's Query and Header versioning schemes): each request
// reaches the version it names, the Original when it names none, and a
// 404 when the path has no such version.
func TestVersionsByQueryAndHeader(t *testing.T) {
	dir := t.TempDir()
	policy := `<policies><inbound><set-header name="X-Version" exists-action="override"><value>@(context.Api.Name + "/" + context.Api.Version)</value></set-header></inbound></policies>`
	for _, a := range []struct{ name, attrs string }{
		{"orders", `version-query="api-version"`},
		{"orders-v2", `version="v2" version-query="api-version"`},
		{"orders-2024", `version="2024-01-01" version-query="api-version"`},
		{"users-v1", `version="v1" version-header="api-version"`},
		{"users-v2", `version="v2" version-header="Api-Version"`},
	} {
		path := "/orders"
		if strings.HasPrefix(a.name, "users") {
			path = "/users"
		}
		writeAPI(t, dir, a.name, fmt.Sprintf(`type="http" path=%q service-url=%q %s`, path, versionBackend(t, a.name), a.attrs), policy)
	}
	g := startGateway(t, dir)
	for _, tc := range []struct {
		path, header string
		status       int
		want         string // the backend's answer, or a piece of the error
	}{
		{"/orders/1", "", 200, "orders /1? "},
		{"/orders/1?api-version=v2&x=1", "", 200, "orders-v2 /1?api-version=v2&x=1 "},
		{"/orders/1?x=1&api%2Dversion=2024-01-01", "", 200, "orders-2024 /1?x=1&api%2Dversion=2024-01-01 "},
		{"/orders/1?api-version=v9", "", 404, `The API at \"/orders/1\" has no version \"v9\" (query parameter api-version).`},
		{"/orders/1?api-version=", "", 200, "orders /1?api-version= "},
		{"/users/7", "v2", 200, "users-v2 /7? v2"},
		{"/users/7", "v1", 200, "users-v1 /7? v1"},
		{"/users/7", "", 404, `The API at \"/users/7\" needs its version in the header Api-Version.`},
		{"/users/7?api-version=v1", "", 404, "needs its version in the header Api-Version"},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set("Api-Version", tc.header)
		}
		resp, body := get(t, g.url+tc.path, h)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s (header %q): %d %q, want %d %q", tc.path, tc.header, resp.StatusCode, body, tc.status, tc.want)
		}
	}
}

// context.Api.Version is the version a request reached.
func TestVersionInContext(t *testing.T) {
	dir := t.TempDir()
	rb := newRESTBackend(t, nil)
	for _, a := range []struct{ name, attrs string }{
		{"orders", `version-query="v"`},
		{"orders-v2", `version="v2" version-query="v"`},
	} {
		writeAPI(t, dir, a.name, fmt.Sprintf(`type="http" path="/orders" service-url=%q %s`, rb.url, a.attrs),
			`<policies><inbound><set-header name="X-Version" exists-action="override"><value>@(context.Api.Name + "/" + context.Api.Version)</value></set-header></inbound></policies>`)
	}
	g := startGateway(t, dir)
	for q, want := range map[string]string{"": "orders/", "?v=v2": "orders-v2/v2"} {
		resp, _ := get(t, g.url+"/orders"+q, nil)
		resp.Body.Close()
		if got := rb.last.Load().header.Get("X-Version"); resp.StatusCode != 200 || got != want {
			t.Errorf("%q: %d, X-Version %q, want %q", q, resp.StatusCode, got, want)
		}
	}
}

// The APIs of one path must agree on how the version is chosen, and each
// version (and the Original) is one API.
func TestVersionLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		apis [][2]string // name, attributes
		want string
	}{
		{"query and header at one path", [][2]string{{"a", `version="v1" version-query="api-version"`}, {"b", `version="v2" version-header="Api-Version"`}},
			`shares the path "/p" with API "a", but chooses its version by the header Api-Version, not the query parameter api-version`},
		{"two query names", [][2]string{{"a", `version="v1" version-query="api-version"`}, {"b", `version="v2" version-query="v"`}},
			`but chooses its version by the query parameter v, not the query parameter api-version`},
		{"a version twice", [][2]string{{"a", `version="v1" version-query="api-version"`}, {"b", `version="v1" version-query="api-version"`}},
			`APIs "a" and "b" are both version "v1" of the path "/p"`},
		{"two Originals", [][2]string{{"a", `version-query="api-version"`}, {"b", `version-query="api-version"`}},
			`APIs "a" and "b" are both the Original (no version) of the path "/p"`},
		{"a versioned and a plain API", [][2]string{{"a", ``}, {"b", `version="v1" version-query="api-version"`}},
			`API path "/p" is already used by`},
		{"both schemes", [][2]string{{"a", `version="v1" version-query="api-version" version-header="Api-Version"`}},
			`give version-query or version-header, not both`},
		{"a bad header name", [][2]string{{"a", `version="v1" version-header="api version"`}},
			`version-header "api version" is not a valid header name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, a := range tc.apis {
				writeAPI(t, dir, a[0], `type="http" path="/p" service-url="http://127.0.0.1:1/" `+a[1], "")
			}
			_, errs := load(t, dir)
			if len(errs) != 1 || !strings.Contains(errs[0], tc.want) {
				t.Errorf("errors %q, want one with %q", errs, tc.want)
			}
		})
	}
}

// APIOps: a version set with the Query or Header scheme, its versions and
// its Original, as the extractor writes them.
func TestVersionsAPIOps(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "version sets/orders-set/apiVersionSetInformation.json",
		`{"properties": {"displayName": "Orders", "versioningScheme": "Query", "versionQueryName": "api-version"}}`)
	writeFile(t, dir, "version sets/users-set/apiVersionSetInformation.json",
		`{"properties": {"displayName": "Users", "versioningScheme": "Header", "versionHeaderName": "x-ms-version"}}`)
	api := func(name, path, svc, extra string) {
		writeFile(t, dir, "apis/"+name+"/apiInformation.json", fmt.Sprintf(
			`{"properties": {"path": %q, "serviceUrl": %q, "subscriptionRequired": false%s}}`, path, svc, extra))
	}
	api("orders", "orders", versionBackend(t, "orders"), `, "apiVersionSetId": "/apiVersionSets/orders-set"`)
	api("orders-v2", "orders", versionBackend(t, "orders-v2"), `, "apiVersion": "v2", "apiVersionSetId": "/apiVersionSets/orders-set"`)
	api("users-2024", "users", versionBackend(t, "users-2024"), `, "apiVersion": "2024-06-01", "apiVersionSetId": "/subscriptions/x/resourceGroups/y/providers/Microsoft.ApiManagement/service/z/apiVersionSets/users-set"`)
	g := startGateway(t, dir)
	for _, tc := range []struct {
		path, header string
		status       int
		want         string
	}{
		{"/orders/a", "", 200, "orders /a?"},
		{"/orders/a?api-version=v2", "", 200, "orders-v2 /a?api-version=v2"},
		{"/users/a", "2024-06-01", 200, "users-2024 /a?"},
		{"/users/a", "", 404, "needs its version in the header X-Ms-Version"},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set("x-ms-version", tc.header)
		}
		resp, body := get(t, g.url+tc.path, h)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %q, want %d %q", tc.path, resp.StatusCode, body, tc.status, tc.want)
		}
	}
	writeFile(t, dir, "version sets/users-set/apiVersionSetInformation.json", `{"properties": {"versioningScheme": "Cookie"}}`)
	if _, errs := load(t, dir); len(errs) != 1 || !strings.Contains(errs[0], `versioningScheme "Cookie" is not Segment, Query or Header`) {
		t.Errorf("errors %q", errs)
	}
}
