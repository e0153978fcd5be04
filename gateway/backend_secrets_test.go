package gateway_test

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"tollgate/gateway"
)

// Files as APIOps' extractor writes them for a Function App imported into
// APIM: APIM creates the secret named value holding the function key (no
// value in the extract) and the backend whose credentials name it.
const (
	extractedFuncKey = `{
  "properties": {
    "displayName": "orders-func-key",
    "secret": true,
    "tags": [
      "key",
      "function",
      "auto"
    ]
  }
}
`
	extractedFuncBackend = `{
  "properties": {
    "credentials": {
      "header": {
        "x-functions-key": [
          "{{orders-func-key}}"
        ]
      },
      "query": {}
    },
    "description": "orders-func",
    "protocol": "http",
    "resourceId": "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Web/sites/orders-func",
    "url": "https://orders-func.azurewebsites.net/api"
  }
}
`
	extractedPool = `{
  "properties": {
    "description": "orders pool",
    "type": "Pool",
    "pool": {
      "services": [
        {
          "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/backends/orders-func",
          "priority": 1,
          "weight": 1
        }
      ]
    },
    "protocol": "http",
    "url": "https://orders-pool.invalid"
  }
}
`
	extractedOrdersAPI = `{
  "properties": {
    "apiRevision": "1",
    "displayName": "orders",
    "isCurrent": true,
    "path": "orders",
    "protocols": [
      "https"
    ],
    "subscriptionRequired": false
  }
}
`
)

// TestBackendCredentialsWithoutValue: a backend entity whose credentials
// name a secret named value the folder has no value for loads; it is an
// error only where something can send a request to it (a literal
// backend-id in any scope, fragments included, a used pool holding it, an
// MCP server), and a notice otherwise.
func TestBackendCredentialsWithoutValue(t *testing.T) {
	const (
		nvFile      = "named values/orders-func-key/namedValueInformation.json"
		beFile      = "backends/orders-func/backendInformation.json"
		missing     = `credentials: secret named value "orders-func-key" has no value in the folder: set TOLLGATE_NAMED_VALUE_ORDERS_FUNC_KEY or give it in a named values file (--named-values) (it is defined at ` + nvFile + `:1:1)`
		useLiteral  = `<policies><inbound><base/><set-backend-service backend-id="orders-func"/></inbound></policies>`
		unusedNote  = beFile + `:3:5: ignored: backend orders-func cannot be used: ` + missing + ` (nothing uses it)`
		cannotBeUse = `backend-id "orders-func" names a backend that cannot be used: ` + beFile + `:3:5: ` + missing
	)
	for _, tc := range []struct {
		name  string
		files map[string]string
		env   map[string]string
		errs  []string
		notes []string
	}{
		{name: "nothing uses it", files: map[string]string{"apis/orders/policy.xml": `<policies><inbound><base/></inbound></policies>`},
			notes: []string{unusedNote}},
		{name: "the value from the environment", files: map[string]string{"apis/orders/policy.xml": useLiteral},
			env: map[string]string{"TOLLGATE_NAMED_VALUE_ORDERS_FUNC_KEY": "k"}},
		{name: "an API policy names it", files: map[string]string{"apis/orders/policy.xml": useLiteral},
			errs: []string{`apis/orders/policy.xml:1:60: inbound/set-backend-service[1]: ` + cannotBeUse}},
		{name: "an operation policy names it", files: map[string]string{
			"apis/orders/specification.yaml":          "openapi: 3.0.1\ninfo: {title: orders, version: '1'}\npaths:\n  /o:\n    get:\n      operationId: get-o\n      responses: {'200': {description: ok}}\n",
			"apis/orders/operations/get-o/policy.xml": useLiteral},
			errs: []string{`apis/orders/operations/get-o/policy.xml:1:60: inbound/set-backend-service[1]: ` + cannotBeUse}},
		{name: "the global policy names it", files: map[string]string{"policy.xml": `<policies><inbound><set-backend-service backend-id="orders-func"/></inbound></policies>`},
			errs: []string{`policy.xml:1:53: inbound/set-backend-service[1]: ` + cannotBeUse}},
		{name: "a product policy names it", files: map[string]string{
			"products/gold/productInformation.json": `{"properties": {"displayName": "Gold", "subscriptionRequired": false, "state": "published"}}`,
			"products/gold/apis.json":               `[{"name": "orders"}]`,
			"products/gold/policy.xml":              useLiteral},
			errs: []string{`products/gold/policy.xml:1:60: inbound/set-backend-service[1]: ` + cannotBeUse}},
		{name: "a fragment names it", files: map[string]string{
			"policy fragments/to-orders/policy.xml": "<fragment>\n  <set-backend-service backend-id=\"orders-func\" />\n</fragment>\n",
			"apis/orders/policy.xml":                `<policies><inbound><base/><include-fragment fragment-id="to-orders"/></inbound></policies>`},
			errs: []string{`policy fragments/to-orders/policy.xml:2:36: set-backend-service[1]: ` + cannotBeUse}},
		{name: "a fragment nothing includes names it", files: map[string]string{
			"policy fragments/to-orders/policy.xml": "<fragment>\n  <set-backend-service backend-id=\"orders-func\" />\n</fragment>\n"},
			notes: []string{unusedNote}},
		{name: "a used pool holds it", files: map[string]string{
			"backends/orders-pool/backendInformation.json": extractedPool,
			"apis/orders/policy.xml":                       `<policies><inbound><base/><set-backend-service backend-id="orders-pool"/></inbound></policies>`},
			errs: []string{`apis/orders/policy.xml:1:60: inbound/set-backend-service[1]: backend-id "orders-pool" names a backend that cannot be used: backends/orders-pool/backendInformation.json:5:5: pool member "orders-func" cannot be used: ` + beFile + `:3:5: ` + missing}},
		{name: "an unused pool holds it", files: map[string]string{
			"backends/orders-pool/backendInformation.json": extractedPool},
			notes: []string{unusedNote,
				`backends/orders-pool/backendInformation.json:5:5: ignored: backend orders-pool cannot be used: pool member "orders-func" cannot be used: ` + beFile + `:3:5: ` + missing + ` (nothing uses it)`}},
		{name: "an MCP server's backend", files: map[string]string{
			"apis/orders-mcp/apiInformation.json": `{
  "properties": {
    "displayName": "orders-mcp",
    "path": "orders-mcp",
    "type": "mcp",
    "backendId": "orders-func",
    "subscriptionRequired": false,
    "mcpProperties": {"transportType": "streamable", "endpoints": {"mcp": {"uriTemplate": "/mcp"}}}
  }
}
`},
			errs: []string{`apis/orders-mcp/apiInformation.json:6:5: backend "orders-func" of MCP server "orders-mcp" cannot be used: ` + beFile + `:3:5: ` + missing}},
		{name: "llm-content-safety names it", files: map[string]string{"apis/orders/policy.xml": `<policies><inbound><llm-content-safety backend-id="orders-func"/></inbound></policies>`},
			errs: []string{`apis/orders/policy.xml:1:52: inbound/llm-content-safety[1]: backend-id "orders-func" names a backend that cannot be used: ` + beFile + `:3:5: ` + missing}},
		{name: "an expression may name it", files: map[string]string{
			"apis/orders/policy.xml": `<policies><inbound><base/><set-backend-service backend-id="@(context.Request.Headers.GetValueOrDefault(&quot;X-Backend&quot;, &quot;&quot;))"/></inbound></policies>`},
			notes: []string{beFile + `:3:5: ignored: backend orders-func cannot be used: ` + missing +
				` (no literal backend-id names it; a request the backend-id expression at apis/orders/policy.xml:1:60 sends to it fails with 500)`}},
		{name: "an expression in the global policy", files: map[string]string{
			"policy.xml": `<policies><inbound><set-backend-service backend-id="@(&quot;orders-&quot; + &quot;func&quot;)"/></inbound></policies>`},
			notes: []string{beFile + `:3:5: ignored: backend orders-func cannot be used: ` + missing +
				` (no literal backend-id names it; a request the backend-id expression at policy.xml:1:53 sends to it fails with 500)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, nvFile, extractedFuncKey)
			writeFile(t, dir, beFile, extractedFuncBackend)
			writeFile(t, dir, "apis/orders/apiInformation.json", extractedOrdersAPI)
			for name, content := range tc.files {
				writeFile(t, dir, name, content)
			}
			snap, errs := loadDirWith(t, dir, gateway.LoadOptions{Getenv: func(k string) string { return tc.env[k] }})
			if strings.Join(errs, "\n") != strings.Join(tc.errs, "\n") {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(tc.errs, "\n"))
			}
			if snap == nil {
				return
			}
			notes := backendNotices(snap, dir)
			if strings.Join(notes, "\n") != strings.Join(tc.notes, "\n") {
				t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(tc.notes, "\n"))
			}
			// A reload that changes nothing reuses the APIs as compiled,
			// and says the same of the backends.
			again, errs := loadDirWith(t, dir, gateway.LoadOptions{Getenv: func(k string) string { return tc.env[k] }, Previous: snap})
			if len(errs) > 0 || again.APIs[0] != snap.APIs[0] || !slices.Equal(backendNotices(again, dir), notes) {
				t.Errorf("reloaded: %v\n%s", errs, strings.Join(backendNotices(again, dir), "\n"))
			}
		})
	}
}

// backendNotices are the snapshot's notices about backends and named
// values, with dir/ left out.
func backendNotices(snap *gateway.Snapshot, dir string) []string {
	var notes []string
	for _, n := range snap.Notices {
		if strings.Contains(n, "backend") || strings.Contains(n, "named value") {
			notes = append(notes, strings.ReplaceAll(n, dir+string(filepath.Separator), ""))
		}
	}
	return notes
}

// TestBackendCredentialsWithoutValueWorkspace: a workspace's backends are
// judged by the workspace's policies.
func TestBackendCredentialsWithoutValueWorkspace(t *testing.T) {
	const ws = "workspaces/hr/"
	for _, tc := range []struct {
		name, policy string
		errs, notes  []string
	}{
		{name: "unused", policy: `<policies><inbound><base/></inbound></policies>`,
			notes: []string{ws + `backends/orders-func/backendInformation.json:3:5: ignored: backend orders-func cannot be used: credentials: secret named value "orders-func-key" has no value in the folder: set TOLLGATE_NAMED_VALUE_ORDERS_FUNC_KEY or give it in a named values file (--named-values) (it is defined at ` + ws + `named values/orders-func-key/namedValueInformation.json:1:1) (nothing uses it)`}},
		{name: "the workspace policy names it", policy: `<policies><inbound><base/><set-backend-service backend-id="orders-func"/></inbound></policies>`,
			errs: []string{ws + `policy.xml:1:60: inbound/set-backend-service[1]: backend-id "orders-func" names a backend that cannot be used: ` + ws + `backends/orders-func/backendInformation.json:3:5: credentials: secret named value "orders-func-key" has no value in the folder: set TOLLGATE_NAMED_VALUE_ORDERS_FUNC_KEY or give it in a named values file (--named-values) (it is defined at ` + ws + `named values/orders-func-key/namedValueInformation.json:1:1)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, ws+"workspaceInformation.json", `{"properties": {"displayName": "HR"}}`)
			writeFile(t, dir, ws+"named values/orders-func-key/namedValueInformation.json", extractedFuncKey)
			writeFile(t, dir, ws+"backends/orders-func/backendInformation.json", extractedFuncBackend)
			writeFile(t, dir, ws+"apis/orders/apiInformation.json", extractedOrdersAPI)
			writeFile(t, dir, ws+"policy.xml", tc.policy)
			snap, errs := loadDir(t, dir)
			if strings.Join(errs, "\n") != strings.Join(tc.errs, "\n") {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(tc.errs, "\n"))
			}
			if snap == nil {
				return
			}
			var notes []string
			for _, n := range snap.Notices {
				if strings.Contains(n, "backend") {
					notes = append(notes, strings.ReplaceAll(n, dir+string(filepath.Separator), ""))
				}
			}
			if strings.Join(notes, "\n") != strings.Join(tc.notes, "\n") {
				t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(tc.notes, "\n"))
			}
		})
	}
}

// TestBackendIDExpression: set-backend-service backend-id as an
// expression (APIM allows one) picks the backend per request; a name that
// is no backend, and a backend whose credentials need a value the folder
// does not have, are a 500 through on-error, logged with the API and the
// backend, never a value. Given the value (the named values file) and a
// reload, the same request reaches the backend with its credentials.
func TestBackendIDExpression(t *testing.T) {
	var seen http.Header
	rb := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		w.Write([]byte("ok"))
	})
	dir := t.TempDir()
	writeFile(t, dir, "named values/orders-func-key/namedValueInformation.json", extractedFuncKey)
	writeFile(t, dir, "backends/orders-func/backendInformation.json", strings.Replace(extractedFuncBackend, "https://orders-func.azurewebsites.net/api", rb.URL, 1))
	writeFile(t, dir, "backends/plain/backendInformation.json", `{"properties": {"url": "`+rb.URL+`", "protocol": "http", "credentials": {"header": {"x-plain": ["yes"]}}}}`)
	writeFile(t, dir, "apis/orders/apiInformation.json", extractedOrdersAPI)
	writeFile(t, dir, "apis/orders/policy.xml", `<policies>
  <inbound><base/><set-backend-service backend-id="@(context.Request.Headers.GetValueOrDefault(&quot;X-Backend&quot;, &quot;plain&quot;))"/></inbound>
  <backend><forward-request/></backend>
  <on-error><set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header></on-error>
</policies>`)
	values := filepath.Join(t.TempDir(), "values.json")
	writeFile(t, filepath.Dir(values), "values.json", `{}`)
	g := startGateway(t, dir, func(o *gateway.Options) { o.NamedValuesFile = values })

	for _, tc := range []struct {
		backend      string
		status       int
		reason, body string
	}{
		{backend: "plain", status: 200, body: "ok"},
		{backend: "orders-func", status: 500, reason: "BackendCredentialsMissing", body: `{"statusCode":500,"message":"Internal server error"}`},
		{backend: "nope", status: 500, reason: "BackendNotFound", body: `{"statusCode":500,"message":"Internal server error"}`},
		{backend: "", status: 500, reason: "BackendNotFound"},
	} {
		h := http.Header{}
		if tc.backend != "" || tc.reason != "" {
			h.Set("X-Backend", tc.backend)
		}
		resp, body := get(t, g.url+"/orders/x", h)
		if resp.StatusCode != tc.status || resp.Header.Get("X-Reason") != tc.reason || (tc.body != "" && body != tc.body) {
			t.Errorf("backend %q: %d %q %q", tc.backend, resp.StatusCode, resp.Header.Get("X-Reason"), body)
		}
	}
	var lines []string
	for _, e := range g.logsNamed("policy failed") {
		f := e.ContextMap()
		lines = append(lines, f["api"].(string)+" "+f["reason"].(string)+": "+strings.ReplaceAll(f["message"].(string), dir+string(filepath.Separator), ""))
	}
	want := []string{
		`orders BackendCredentialsMissing: backend "orders-func" of API orders cannot be used: credentials: secret named value "orders-func-key" has no value in the folder: set TOLLGATE_NAMED_VALUE_ORDERS_FUNC_KEY or give orders-func-key in ` + values + ` (it is defined at named values/orders-func-key/namedValueInformation.json:1:1)`,
		`orders BackendNotFound: backend "nope" is not a backend entity of API orders`,
		`orders BackendNotFound: set-backend-service: the backend-id expression gave an empty name`,
	}
	if !slices.Equal(lines, want) {
		t.Errorf("logged:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}

	// The value arrives: a reload makes the backend usable.
	writeFile(t, filepath.Dir(values), "values.json", `{"orders-func-key": "SECRET-func-key"}`)
	if st := g.srv.Reload("test"); st.Result != gateway.ReloadSuccess {
		t.Fatalf("reload: %+v", st)
	}
	resp, body := get(t, g.url+"/orders/x", http.Header{"X-Backend": {"orders-func"}})
	if resp.StatusCode != 200 || body != "ok" || seen.Get("X-Functions-Key") != "SECRET-func-key" {
		t.Errorf("after the value is given: %d %q %v", resp.StatusCode, body, seen)
	}
}
