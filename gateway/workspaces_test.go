package gateway_test

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// workspaceFolder writes an APIOps folder with a service API (orders), a
// service-wide subscription, and a workspace "hr" holding its own policy,
// named value, fragment, backend, product, subscription and two APIs:
// people (open) and payroll (key needed, in the workspace's product).
func workspaceFolder(t *testing.T, svcURL, hrURL string) (dir, keys string) {
	t.Helper()
	dir = t.TempDir()
	writeFile(t, dir, "policy.xml", `<policies><inbound><set-header name="X-Global" exists-action="override"><value>g</value></set-header></inbound>
<backend><forward-request/></backend><outbound/><on-error/></policies>`)
	writeFile(t, dir, "named values/svc-nv/namedValueInformation.json", `{"properties": {"displayName": "svc-nv", "value": "svc"}}`)
	writeFile(t, dir, "backends/svc-backend/backendInformation.json", `{"properties": {"url": "`+svcURL+`/svc-backend", "protocol": "http"}}`)
	writeFile(t, dir, "policy fragments/svc-frag/policy.xml", `<fragment><set-header name="X-Frag" exists-action="override"><value>svc</value></set-header></fragment>`)
	writeFile(t, dir, "apis/orders/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "`+svcURL+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/orders/policy.xml", `<policies><inbound><base/>
<set-header name="X-Workspace" exists-action="override"><value>@(context.Workspace == null ? "none" : context.Workspace.Id)</value></set-header>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "apis/catalog/apiInformation.json", `{"properties": {"path": "catalog", "serviceUrl": "`+svcURL+`"}}`)
	writeFile(t, dir, "subscriptions/all-apis/subscriptionInformation.json", `{"properties": {"displayName": "All APIs", "scope": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/apis", "state": "active"}}`)

	ws := filepath.Join(dir, "workspaces", "hr")
	writeFile(t, ws, "workspaceInformation.json", `{"properties": {"displayName": "Human Resources", "description": "HR team"}}`)
	writeFile(t, ws, "policy.xml", `<policies><inbound><base/>
<set-header name="X-Workspace" exists-action="override"><value>@(context.Workspace.Id + "/" + context.Workspace.Name)</value></set-header>
<set-header name="X-WS-NV" exists-action="override"><value>{{hr-key}}</value></set-header>
<include-fragment fragment-id="hr-frag"/>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, ws, "named values/hr-key/namedValueInformation.json", `{"properties": {"displayName": "hr-key", "value": "hr-value"}}`)
	writeFile(t, ws, "policy fragments/hr-frag/policy.xml", `<fragment><set-header name="X-Frag" exists-action="override"><value>hr</value></set-header></fragment>`)
	writeFile(t, ws, "backends/hr-backend/backendInformation.json", `{"properties": {"url": "`+hrURL+`/hr-backend", "protocol": "http"}}`)
	writeFile(t, ws, "apis/people/apiInformation.json", `{"properties": {"path": "people", "serviceUrl": "`+svcURL+`", "subscriptionRequired": false}}`)
	writeFile(t, ws, "apis/people/policy.xml", `<policies><inbound><base/><set-backend-service backend-id="hr-backend"/></inbound>
<backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, ws, "apis/payroll/apiInformation.json", `{"properties": {"path": "payroll", "serviceUrl": "`+hrURL+`/payroll"}}`)
	writeFile(t, ws, "products/hr-product/productInformation.json", `{"properties": {"displayName": "HR", "subscriptionRequired": true, "state": "published"}}`)
	writeFile(t, ws, "products/hr-product/apis.json", `[{"name": "payroll"}]`)
	writeFile(t, ws, "products/hr-product/policy.xml", `<policies><inbound><base/><set-header name="X-Product" exists-action="override"><value>@(context.Product.Id)</value></set-header></inbound>
<backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, ws, "subscriptions/hr-sub/subscriptionInformation.json", `{"properties": {"displayName": "HR", "scope": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/workspaces/hr/products/hr-product", "state": "active"}}`)
	keysDir := t.TempDir()
	writeFile(t, keysDir, "keys.json", `{"hr-sub": {"primaryKey": "hr-primary"}, "all-apis": {"primaryKey": "all-primary"}}`)
	return dir, filepath.Join(keysDir, "keys.json")
}

// TestWorkspaceServesItsAPIs: a workspace's APIs are served through the
// global policy, then the workspace's, with the workspace's own named
// values, fragments, backends, products and subscriptions, as in APIM.
func TestWorkspaceServesItsAPIs(t *testing.T) {
	svc := newRESTBackend(t, nil)
	hr := newRESTBackend(t, nil)
	dir, keys := workspaceFolder(t, svc.url, hr.url)
	g := startGateway(t, dir, func(o *gateway.Options) { o.SubscriptionKeys = keys })

	type want struct {
		status  int
		backend *restBackend
		path    string
		headers map[string]string // "" means absent
	}
	hrKey := http.Header{"Ocp-Apim-Subscription-Key": {"hr-primary"}}
	allKey := http.Header{"Ocp-Apim-Subscription-Key": {"all-primary"}}
	for _, tc := range []struct {
		name   string
		path   string
		header http.Header
		want   want
	}{
		{"workspace API: global, then the workspace's policy, its backend", "/people/p1", nil, want{200, hr, "/hr-backend/p1",
			map[string]string{"X-Global": "g", "X-Workspace": "hr/Human Resources", "X-Ws-Nv": "hr-value", "X-Frag": "hr", "X-Product": ""}}},
		{"service API: no workspace", "/orders/o1", nil, want{200, svc, "/o1",
			map[string]string{"X-Global": "g", "X-Workspace": "none", "X-Ws-Nv": "", "X-Frag": ""}}},
		{"workspace product subscription: its product's policy", "/payroll/run", hrKey, want{200, hr, "/payroll/run",
			map[string]string{"X-Global": "g", "X-Workspace": "hr/Human Resources", "X-Product": "hr-product"}}},
		{"workspace API without a key", "/payroll/run", nil, want{401, nil, "", nil}},
		{"the service's all-APIs subscription does not cover a workspace's API", "/payroll/run", allKey, want{401, nil, "", nil}},
		{"the service's all-APIs subscription covers the service's API", "/catalog/c", allKey, want{200, svc, "/c", map[string]string{"X-Global": "g"}}},
		{"a workspace subscription does not cover the service's API", "/catalog/c", hrKey, want{401, nil, "", nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc.last.Store(nil)
			hr.last.Store(nil)
			resp, body := get(t, g.url+tc.path, tc.header)
			if resp.StatusCode != tc.want.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want.status, body)
			}
			if tc.want.backend == nil {
				if svc.last.Load() != nil || hr.last.Load() != nil {
					t.Fatal("a refused request reached a backend")
				}
				return
			}
			seen := tc.want.backend.last.Load()
			if seen == nil {
				t.Fatal("the request did not reach the expected backend")
			}
			if seen.path != tc.want.path {
				t.Errorf("backend path %q, want %q", seen.path, tc.want.path)
			}
			for k, v := range tc.want.headers {
				if got := seen.header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestWorkspaceLoadErrors: a workspace is self-contained, and names are
// unique across the service (APIM's rules): breaking either is a load
// error naming the file.
func TestWorkspaceLoadErrors(t *testing.T) {
	svc := newRESTBackend(t, nil)
	for _, tc := range []struct {
		name  string
		edit  func(t *testing.T, dir string)
		file  string // the error's file, relative to the folder
		want  string
		other []gateway.LoadOptions
	}{
		{"a service named value in a workspace policy", func(t *testing.T, dir string) {
			writeFile(t, dir, "workspaces/hr/apis/people/policy.xml", `<policies><inbound><base/><set-header name="X" exists-action="override"><value>{{svc-nv}}</value></set-header></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
		}, "workspaces/hr/apis/people/policy.xml", "unknown named value {{svc-nv}} (define it in workspaces/hr/named values/NAME/namedValueInformation.json: a workspace's policies see its own named values only)", nil},
		{"a service backend in a workspace policy", func(t *testing.T, dir string) {
			writeFile(t, dir, "workspaces/hr/apis/people/policy.xml", `<policies><inbound><base/><set-backend-service backend-id="svc-backend"/></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
		}, "workspaces/hr/apis/people/policy.xml", `backend-id "svc-backend" names no backend (workspaces/hr/backends/NAME/backendInformation.json: a workspace's policies name its own backends only)`, nil},
		{"a service fragment in a workspace policy", func(t *testing.T, dir string) {
			writeFile(t, dir, "workspaces/hr/policy.xml", `<policies><inbound><base/><include-fragment fragment-id="svc-frag"/></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
		}, "workspaces/hr/policy.xml", `unknown fragment "svc-frag" (fragments live in workspaces/hr/policy fragments/NAME/policy.xml: a workspace's policies include its own fragments only)`, nil},
		{"a workspace logger in a service policy", func(t *testing.T, dir string) {
			writeFile(t, dir, "workspaces/hr/loggers/hr-hub/loggerInformation.json", `{"properties": {"loggerType": "azureEventHub", "credentials": {"name": "hub", "connectionString": "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=a2V5"}}}`)
			writeFile(t, dir, "apis/orders/policy.xml", `<policies><inbound><base/><log-to-eventhub logger-id="hr-hub">x</log-to-eventhub></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
		}, "apis/orders/policy.xml", `logger "hr-hub" belongs to workspace hr: policies of the service name their own loggers only`, nil},
		{"a workspace named value in a service policy", func(t *testing.T, dir string) {
			writeFile(t, dir, "apis/orders/policy.xml", `<policies><inbound><base/><set-header name="X" exists-action="override"><value>{{hr-key}}</value></set-header></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
		}, "apis/orders/policy.xml", "unknown named value {{hr-key}} (define it in named values/NAME/namedValueInformation.json)", nil},
		{"an API name used by the service and a workspace", func(t *testing.T, dir string) {
			writeFile(t, dir, "workspaces/hr/apis/orders/apiInformation.json", `{"properties": {"path": "hr-orders", "serviceUrl": "`+svc.url+`"}}`)
		}, "", `API name "orders" is already used`, nil},
		{"a path used by the service and a workspace", func(t *testing.T, dir string) {
			writeFile(t, dir, "workspaces/hr/apis/staff/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "`+svc.url+`"}}`)
		}, "", `API path "/orders" is already used`, nil},
		{"a service product listing a workspace API", func(t *testing.T, dir string) {
			writeFile(t, dir, "products/starter/productInformation.json", `{"properties": {"displayName": "Starter"}}`)
			writeFile(t, dir, "products/starter/apis.json", `[{"name": "people"}]`)
		}, "products/starter/apis.json", `product "starter" of the service lists API "people" of workspace hr`, nil},
		{"a product name used twice", func(t *testing.T, dir string) {
			writeFile(t, dir, "products/hr-product/productInformation.json", `{"properties": {"displayName": "Twin"}}`)
		}, "workspaces/hr/products/hr-product/productInformation.json", `product name "hr-product" is already used by the service`, nil},
		{"a workspace subscription scoped to another workspace", func(t *testing.T, dir string) {
			writeFile(t, dir, "workspaces/hr/subscriptions/hr-sub/subscriptionInformation.json", `{"properties": {"scope": "/workspaces/sales/apis", "state": "active"}}`)
		}, "workspaces/hr/subscriptions/hr-sub/subscriptionInformation.json", "has the scope of workspace sales", nil},
		{"a service subscription scoped to a workspace", func(t *testing.T, dir string) {
			writeFile(t, dir, "subscriptions/all-apis/subscriptionInformation.json", `{"properties": {"scope": "/workspaces/hr/apis", "state": "active"}}`)
		}, "subscriptions/all-apis/subscriptionInformation.json", "put the subscription in workspaces/hr/subscriptions", nil},
		{"a workspace subscription naming the service's product", func(t *testing.T, dir string) {
			writeFile(t, dir, "products/starter/productInformation.json", `{"properties": {"displayName": "Starter"}}`)
			writeFile(t, dir, "workspaces/hr/subscriptions/hr-sub/subscriptionInformation.json", `{"properties": {"scope": "/products/starter", "state": "active"}}`)
		}, "workspaces/hr/subscriptions/hr-sub/subscriptionInformation.json", "names no product of workspace hr", nil},
		{"a workspace folder without its information file", func(t *testing.T, dir string) {
			writeFile(t, dir, "workspaces/sales/apis/x/apiInformation.json", `{"properties": {"path": "x", "serviceUrl": "`+svc.url+`"}}`)
		}, "workspaces/sales", "a workspace folder needs workspaceInformation.json", nil},
		{"serving an unknown workspace", func(t *testing.T, dir string) {}, "workspaces", `workspace "sales" is not in the folder (workspaces: hr)`,
			[]gateway.LoadOptions{{Workspaces: []string{"sales"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, keys := workspaceFolder(t, svc.url, svc.url)
			tc.edit(t, dir)
			opt := gateway.LoadOptions{SubscriptionKeys: keys, Getenv: func(string) string { return "" }}
			for _, o := range tc.other {
				opt.Workspaces = o.Workspaces
			}
			_, errs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}), opt)
			var found bool
			for _, e := range errs {
				if strings.Contains(e.Error(), tc.want) && (tc.file == "" || strings.HasPrefix(e.Error(), filepath.Join(dir, tc.file))) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no error in %s saying %q; got:\n%v", tc.file, tc.want, errs)
			}
		})
	}
}

// TestServeAsWorkspaceGateway: --workspace serves one workspace's APIs
// only, with the global policy still first (APIM's workspace gateways run
// the whole chain).
func TestServeAsWorkspaceGateway(t *testing.T) {
	svc := newRESTBackend(t, nil)
	hr := newRESTBackend(t, nil)
	dir, keys := workspaceFolder(t, svc.url, hr.url)
	reg := policies.Registry(policies.Deps{Store: store.NewMemory()})
	snap, errs := gateway.Load(dir, reg, gateway.LoadOptions{SubscriptionKeys: keys, Workspaces: []string{"hr"}, Getenv: func(string) string { return "" }})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var names []string
	for _, a := range snap.APIs {
		names = append(names, a.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"payroll", "people"}) {
		t.Fatalf("served %v, want the workspace's payroll and people", names)
	}
	if !slices.ContainsFunc(snap.Notices, func(n string) bool { return strings.Contains(n, "ignored: API catalog, orders (not in workspace hr)") }) {
		t.Errorf("no notice for the APIs left out: %v", snap.Notices)
	}

	g := startGateway(t, dir, func(o *gateway.Options) { o.SubscriptionKeys = keys; o.Workspaces = []string{"hr"} })
	if resp, body := get(t, g.url+"/orders/o1", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a service API through a workspace gateway: %d %s, want 404", resp.StatusCode, body)
	}
	resp, body := get(t, g.url+"/people/p1", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("people: %d %s", resp.StatusCode, body)
	}
	if seen := hr.last.Load(); seen == nil || seen.header.Get("X-Global") != "g" {
		t.Errorf("the global policy did not run first: %+v", seen)
	}
}

// TestWorkspaceReload: editing a workspace's policy reloads it; a broken
// one keeps the old configuration serving.
func TestWorkspaceReload(t *testing.T) {
	svc := newRESTBackend(t, nil)
	hr := newRESTBackend(t, nil)
	dir, keys := workspaceFolder(t, svc.url, hr.url)
	g := startGateway(t, dir, func(o *gateway.Options) { o.SubscriptionKeys = keys })
	writeFile(t, dir, "workspaces/hr/policy.xml", `<policies><inbound><base/><set-header name="X-Workspace" exists-action="override"><value>edited</value></set-header></inbound>
<backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	if st := g.srv.Reload("test"); st.Result != gateway.ReloadSuccess {
		t.Fatalf("reload: %+v", st)
	}
	get(t, g.url+"/people/p1", nil)
	if seen := hr.last.Load(); seen == nil || seen.header.Get("X-Workspace") != "edited" {
		t.Fatalf("the edited workspace policy did not apply: %+v", seen)
	}
	writeFile(t, dir, "workspaces/hr/policy.xml", `<policies><inbound><base/><set-header name="X" exists-action="override"><value>{{svc-nv}}</value></set-header></inbound></policies>`)
	if st := g.srv.Reload("test"); st.Result != gateway.ReloadFailure {
		t.Fatalf("a broken workspace policy reloaded: %+v", st)
	}
	hr.last.Store(nil)
	get(t, g.url+"/people/p1", nil)
	if seen := hr.last.Load(); seen == nil || seen.header.Get("X-Workspace") != "edited" {
		t.Fatalf("the old configuration stopped serving: %+v", seen)
	}
}

// TestWorkspaceStoreSubscriptions: a subscription created through the admin
// API with a workspace's scope covers that workspace's APIs only; a
// workspace product's subscriptionsLimit counts them.
func TestWorkspaceStoreSubscriptions(t *testing.T) {
	svc := newRESTBackend(t, nil)
	hr := newRESTBackend(t, nil)
	dir, keys := workspaceFolder(t, svc.url, hr.url)
	writeFile(t, dir, "workspaces/hr/products/hr-product/productInformation.json", `{"properties": {"displayName": "HR", "subscriptionRequired": true, "state": "published", "subscriptionsLimit": 1}}`)
	subs := store.NewMemorySubscriptions()
	g := startGateway(t, dir, withSubscriptions(keys, subs))
	admin := g.adminURL() + "/subscriptions/"
	for _, tc := range []struct {
		id, body string
		status   int
		msg      string
	}{
		{"hr-all", `{"scope": "/workspaces/hr/apis", "primaryKeySha256": "` + gateway.HashKey("hr-all-key") + `"}`, 201, ""},
		{"hr-p1", `{"scope": "/workspaces/hr/products/hr-product", "ownerId": "/users/ann", "primaryKeySha256": "` + gateway.HashKey("hr-p1-key") + `"}`, 201, ""},
		{"hr-p2", `{"scope": "/workspaces/hr/products/hr-product", "ownerId": "/users/ann", "primaryKeySha256": "` + gateway.HashKey("hr-p2-key") + `"}`, 409, "subscriptionsLimit"},
		{"bad", `{"scope": "/workspaces/hr", "primaryKeySha256": "` + gateway.HashKey("bad-key") + `"}`, 400, "/workspaces/WS/apis"},
	} {
		if status, body := adminDo(t, "PUT", admin+tc.id, tc.body); status != tc.status || !strings.Contains(body, tc.msg) {
			t.Fatalf("%s: %d %s, want %d with %q", tc.id, status, body, tc.status, tc.msg)
		}
	}
	for _, tc := range []struct {
		path, key string
		status    int
	}{
		{"/payroll/run", "hr-all-key", 200},
		{"/catalog/c", "hr-all-key", 401},
		{"/payroll/run", "hr-p1-key", 200},
	} {
		resp, body := get(t, g.url+tc.path, http.Header{"Ocp-Apim-Subscription-Key": {tc.key}})
		if resp.StatusCode != tc.status {
			t.Errorf("%s with %s: %d %s, want %d", tc.path, tc.key, resp.StatusCode, body, tc.status)
		}
	}
}

// TestWorkspaceDiagnostics: a workspace's diagnostic replaces the
// service's of the same name for the workspace's APIs; an API's own
// replaces both.
func TestWorkspaceDiagnostics(t *testing.T) {
	svc := newRESTBackend(t, nil)
	hr := newRESTBackend(t, nil)
	dir, keys := workspaceFolder(t, svc.url, hr.url)
	all := `{"properties": {"sampling": {"samplingType": "fixed", "percentage": 100}}}`
	none := `{"properties": {"sampling": {"samplingType": "fixed", "percentage": 0}}}`
	writeFile(t, dir, "diagnostics/azuremonitor/diagnosticInformation.json", all)
	writeFile(t, dir, "workspaces/hr/diagnostics/azuremonitor/diagnosticInformation.json", none)
	writeFile(t, dir, "workspaces/hr/apis/payroll/diagnostics/azuremonitor/diagnosticInformation.json", all)
	g := startGateway(t, dir, func(o *gateway.Options) { o.SubscriptionKeys = keys })
	hrKey := http.Header{"Ocp-Apim-Subscription-Key": {"hr-primary"}}
	for _, tc := range []struct {
		path   string
		header http.Header
		logged bool
	}{
		{"/orders/o1", nil, true},     // the service's diagnostic
		{"/people/p1", nil, false},    // the workspace's replaces it
		{"/payroll/run", hrKey, true}, // the API's replaces the workspace's
	} {
		before := len(g.logsNamed("request"))
		if resp, body := get(t, g.url+tc.path, tc.header); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", tc.path, resp.StatusCode, body)
		}
		if got := len(g.logsNamed("request")) > before; got != tc.logged {
			t.Errorf("%s: logged %v, want %v", tc.path, got, tc.logged)
		}
	}
}
