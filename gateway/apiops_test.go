package gateway_test

import (
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"

	"tollgate/gateway"
	"tollgate/store"
)

// copyTree copies testdata/NAME into a temporary folder (tests edit it).
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

const backendKeySecret = "backend-key-SECRET-77"

// TestAPIOpsFolder serves testdata/apiops, a folder in the APIOps extractor
// layout: APIs with OpenAPI 3 and Swagger 2 specifications, a revision that
// is not current, a versioned API, operation policies, named values (one
// secret, from the environment), a policy fragment, a product with a
// policy, two backends (credentials; TLS validation off), a subscription,
// and Azure-only parts. The publisher's configuration file points the
// service URLs at the test's backends.
func TestAPIOpsFolder(t *testing.T) {
	primary := newRESTBackend(t, nil)
	users := newRESTBackend(t, nil)
	var secondarySeen atomic.Pointer[http.Request]
	secondary := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secondarySeen.Store(r.Clone(r.Context()))
		w.Write([]byte("secondary"))
	}))
	t.Cleanup(secondary.Close)
	wsb := newWSBackend(t)

	dir := copyTree(t, filepath.Join("testdata", "apiops"))
	conf := filepath.Join(t.TempDir(), "configuration.test.yaml")
	writeFile(t, filepath.Dir(conf), filepath.Base(conf), `apimServiceName: apim-test
namedValues:
  - name: tenant
    properties:
      value: contoso
apis:
  - name: users-api
    properties:
      serviceUrl: `+users.url+`/svc
  - name: orders-api
    properties:
      serviceUrl: `+primary.url+`/orders-svc
  - name: chat
    properties:
      serviceUrl: `+wsb.url+`
backends:
  - name: primary
    properties:
      url: `+primary.url+`/api
  - name: secondary
    properties:
      url: `+secondary.URL+`
diagnostics:
  - name: applicationinsights
`)
	keys := filepath.Join(t.TempDir(), "keys.json")
	writeFile(t, filepath.Dir(keys), "keys.json", `{"gold-sub": {"primaryKey": "gold-key-SECRET-1"}}`)
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Overrides, o.SubscriptionKeys = conf, keys
		o.Getenv = func(k string) string {
			if k == "TOLLGATE_NAMED_VALUE_BACKEND_KEY" {
				return backendKeySecret
			}
			return ""
		}
		o.Store = store.NewMemory()
	})

	t.Run("operation with a fragment, named values and a backend entity", func(t *testing.T) {
		resp, _ := get(t, g.url+"/users/users/42", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		seen := primary.last.Load()
		for _, c := range [][2]string{
			{seen.path, "/api/users/42"},
			{seen.rawQuery, "code=" + backendKeySecret},
			{seen.header.Get("X-Backend-Key"), backendKeySecret},
			{seen.header.Get("X-Tenant"), "contoso"}, // the override's value
			{seen.header.Get("X-User-Id"), "42"},
			{strings.Join(seen.header.Values("X-Scopes"), ","), "global,api,operation"},
		} {
			if c[0] != c[1] {
				t.Errorf("got %q, want %q", c[0], c[1])
			}
		}
	})
	t.Run("operation without a policy goes to the API's serviceUrl", func(t *testing.T) {
		resp, _ := get(t, g.url+"/users/users", nil)
		if resp.StatusCode != 200 || users.last.Load().path != "/svc/users" {
			t.Fatalf("status %d, users backend saw %+v", resp.StatusCode, users.last.Load())
		}
		if resp, _ := get(t, g.url+"/users/nothing", nil); resp.StatusCode != 404 {
			t.Errorf("an undeclared operation: %d", resp.StatusCode)
		}
	})
	t.Run("versioned API through a product, custom key names, TLS backend", func(t *testing.T) {
		if resp, _ := get(t, g.url+"/orders/v2/orders/7", nil); resp.StatusCode != 401 {
			t.Fatalf("no key: %d", resp.StatusCode)
		}
		resp, body := get(t, g.url+"/orders/v2/orders/7", http.Header{"X-Orders-Key": {"gold-key-SECRET-1"}})
		if resp.StatusCode != 200 || body != "secondary" {
			t.Fatalf("with the key: %d %q", resp.StatusCode, body)
		}
		r := secondarySeen.Load()
		if r.URL.Path != "/orders/7" || r.Header.Get("Authorization") != "Basic dXNlcjpwYXNz" ||
			strings.Join(r.Header.Values("X-Scopes"), ",") != "global,product" {
			t.Errorf("secondary saw %s %q %q", r.URL.Path, r.Header.Get("Authorization"), r.Header.Values("X-Scopes"))
		}
		if resp, _ := get(t, g.url+"/orders/v2/orders/7?orders-key=gold-key-SECRET-1", nil); resp.StatusCode != 200 {
			t.Errorf("key in the API's query parameter: %d", resp.StatusCode)
		}
	})
	t.Run("websocket API", func(t *testing.T) {
		c := dial(t, g.ws+"/chat", nil)
		defer c.CloseNow()
		mustWrite(t, c, "hi")
		if got := mustRead(t, c); got != "hi" {
			t.Errorf("echo %q", got)
		}
	})
	t.Run("Azure-only parts are reported, never dropped silently", func(t *testing.T) {
		notes := strings.Join(g.srv.Current().Notices, "\n")
		for _, want := range []string{
			"gateways: ignored: gateways (every API is served; tollgate serve --gateway NAME serves those assigned to one)",
			"ignored: protocols https of API users-api",
			"ignored: API property authenticationSettings (Azure only)",
			"ignored: subscription property allowTracing (Azure only)",
			"configuration.test.yaml:24:5: ignored: diagnostics applicationinsights (the folder has no diagnostics/applicationinsights/diagnosticInformation.json to override)",
			"ignored: loggerId of diagnostic applicationinsights of API users-api (no applicationInsights logger ai in loggers/: nothing is sent to Application Insights, the diagnostic applies to the OpenTelemetry traces)",
		} {
			if !strings.Contains(notes, want) {
				t.Errorf("notices lack %q:\n%s", want, notes)
			}
		}
		if logged := g.logsNamed("ignored"); len(logged) != len(g.srv.Current().Notices) {
			t.Errorf("%d notices logged, want each once (%d)", len(logged), len(g.srv.Current().Notices))
		}
	})
	t.Run("hot reload", func(t *testing.T) {
		op := filepath.Join(dir, "apis", "users-api", "operations", "getUser", "policy.xml")
		data, _ := os.ReadFile(op)
		writeFile(t, filepath.Dir(op), "policy.xml", strings.Replace(string(data), `<value>@(context.Request.MatchedParameters["id"])</value>`, `<value>v2</value>`, 1))
		if st := g.srv.Reload("test"); st.Result != gateway.ReloadSuccess {
			t.Fatalf("reload: %+v", st)
		}
		get(t, g.url+"/users/users/42", nil)
		if got := primary.last.Load().header.Get("X-User-Id"); got != "v2" {
			t.Errorf("after the edit X-User-Id = %q", got)
		}
		// A broken file keeps the running configuration.
		writeFile(t, filepath.Join(dir, "apis", "users-api"), "apiInformation.json", `{"properties": {"path": "users",}}`)
		st := g.srv.Reload("test")
		if st.Result == gateway.ReloadSuccess || !slices.ContainsFunc(st.Errors, func(e string) bool {
			return strings.Contains(e, "apiInformation.json:1:33: invalid JSON")
		}) {
			t.Fatalf("broken reload: %+v", st)
		}
		if resp, _ := get(t, g.url+"/users/users/42", nil); resp.StatusCode != 200 {
			t.Errorf("after a broken reload: %d", resp.StatusCode)
		}
	})
}

// TestAPIOpsWatch: the watcher reloads a change deep in the APIOps layout
// (an operation policy under apis/NAME/operations/OP/).
// TestAPIOpsApiContext: context.Api carries the API's id, version,
// revision, subscription key names and protocols from apiInformation.json
// (C#); an API without protocols has APIM's default for its type.
func TestAPIOpsApiContext(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "apis/orders-api/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "`+rb.url+`",
  "subscriptionRequired": false, "subscriptionKeyParameterNames": {"header": "X-Orders-Key", "query": "orders-key"},
  "apiRevision": "3", "isCurrent": true, "apiVersion": "v2", "protocols": ["http", "https"]}}`)
	policy := `<policies><inbound><base/>
  <set-header name="X-Api" exists-action="override"><value>@(context.Api.Id + "|" + context.Api.Version + "|" + context.Api.Revision + "|" + context.Api.IsCurrentRevision + "|" + context.Api.SubscriptionKeyParameterNames.Header + "|" + context.Api.SubscriptionKeyParameterNames.Query + "|" + string.Join(",", context.Api.Protocols) + "|" + (context.Request.PrivateEndpointConnection?.Name ?? "public"))</value></set-header>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`
	writeFile(t, dir, "apis/orders-api/policy.xml", policy)
	writeFile(t, dir, "apis/plain/apiInformation.json", `{"properties": {"path": "plain", "serviceUrl": "`+rb.url+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/plain/policy.xml", policy)
	g := startGateway(t, dir)
	for _, tc := range []struct{ path, want string }{
		{"/orders/v2/x", "orders-api|v2|3|True|X-Orders-Key|orders-key|http,https|public"},
		{"/plain/x", "plain||1|True|Ocp-Apim-Subscription-Key|subscription-key|https|public"},
	} {
		if resp, _ := get(t, g.url+tc.path, nil); resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", tc.path, resp.StatusCode)
		}
		if got := rb.last.Load().header.Get("X-Api"); got != tc.want {
			t.Errorf("%s: X-Api %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestAPIOpsWatch(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "apis/users/apiInformation.json", `{"properties": {"path": "u", "serviceUrl": "`+rb.url+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/users/specification.json", `{"openapi": "3.0.1", "info": {"title": "t", "version": "1"},
 "paths": {"/a": {"get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}}}}`)
	policy := func(v string) string {
		return `<policies><inbound><base/><set-header name="X-V" exists-action="override"><value>` + v + `</value></set-header></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`
	}
	writeFile(t, dir, "apis/users/operations/a/policy.xml", policy("one"))
	g := startGateway(t, dir)
	w, err := gateway.Watch(testCtx(t), g.srv, dir, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	get(t, g.url+"/u/a", nil)
	if got := rb.last.Load().header.Get("X-V"); got != "one" {
		t.Fatalf("X-V %q", got)
	}
	writeFile(t, dir, "apis/users/operations/a/policy.xml", policy("two"))
	waitFor(t, "the edit to be served", func() bool {
		get(t, g.url+"/u/a", nil)
		return rb.last.Load().header.Get("X-V") == "two"
	})
}

// TestAPIOpsOverridesMergeObjects: the configuration file's properties
// merge into the extracted ones as APIOps' publisher merges them: an
// object on both sides key by key (a backend's credentials.header changed,
// its credentials.query kept), anything else replaced.
func TestAPIOpsOverridesMergeObjects(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "backends/fn/backendInformation.json", `{"properties": {"url": "http://127.0.0.1:9/fn", "protocol": "http",
  "credentials": {"header": {"x-functions-key": ["dev-key"]}, "query": {"code": ["kept"]}}}}`)
	writeFile(t, dir, "apis/orders/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/orders/policy.xml", `<policies><inbound><set-backend-service backend-id="fn"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	conf := filepath.Join(t.TempDir(), "configuration.prod.yaml")
	writeFile(t, filepath.Dir(conf), filepath.Base(conf), `backends:
  - name: fn
    properties:
      url: `+rb.url+`/fn
      credentials:
        header:
          x-functions-key: [prod-key]
`)
	g := startGateway(t, dir, func(o *gateway.Options) { o.Overrides = conf })
	if resp, body := get(t, g.url+"/orders/o1", nil); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	seen := rb.last.Load()
	if seen == nil || seen.header.Get("X-Functions-Key") != "prod-key" || seen.rawQuery != "code=kept" || seen.path != "/fn/o1" {
		t.Fatalf("the backend saw %+v; want the overridden header, the extracted query kept, the overridden URL", seen)
	}
}

// TestAPIOpsVersionSetsAndMoreOverrides: an edited version set reloads the
// APIs that use it (it used to leave them as they were); the configuration
// file overrides version sets and subscriptions too, and matches section
// and resource names case-insensitively, as APIOps' publisher does.
func TestAPIOpsVersionSetsAndMoreOverrides(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "version sets/vs/apiVersionSetInformation.json", `{"properties": {"displayName": "orders", "versioningScheme": "Query", "versionQueryName": "v"}}`)
	writeFile(t, dir, "apis/orders-v1/apiInformation.json", `{"properties": {"path": "orders", "apiVersion": "v1", "apiVersionSetId": "/apiVersionSets/vs", "serviceUrl": "`+rb.url+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/keyed/apiInformation.json", `{"properties": {"path": "keyed", "serviceUrl": "`+rb.url+`/{{Tenant}}"}}`)
	writeFile(t, dir, "named values/tenant/namedValueInformation.json", `{"properties": {"displayName": "Tenant", "value": "dev"}}`)
	writeFile(t, dir, "subscriptions/alice/subscriptionInformation.json", `{"properties": {"scope": "/apis", "state": "active"}}`)
	keys := filepath.Join(t.TempDir(), "keys.json")
	writeFile(t, filepath.Dir(keys), filepath.Base(keys), `{"alice": {"primaryKey": "alice-key"}}`)
	conf := filepath.Join(t.TempDir(), "configuration.prod.yaml")
	writeFile(t, filepath.Dir(conf), filepath.Base(conf), `NamedValues:
  - name: TENANT
    properties: {value: prod}
subscriptions:
  - name: Alice
    properties: {state: suspended}
`)
	g := startGateway(t, dir, func(o *gateway.Options) { o.Overrides, o.SubscriptionKeys = conf, keys })
	key := http.Header{"Ocp-Apim-Subscription-Key": {"alice-key"}}
	if resp, _ := get(t, g.url+"/orders/x?v=v1", nil); resp.StatusCode != 200 {
		t.Fatalf("by query: %d", resp.StatusCode)
	}
	if resp, _ := get(t, g.url+"/keyed/x", key); resp.StatusCode != 401 {
		t.Fatalf("a subscription the configuration file suspends: %d, want 401", resp.StatusCode)
	}

	// The version set changes scheme: the API follows on reload.
	writeFile(t, dir, "version sets/vs/apiVersionSetInformation.json", `{"properties": {"displayName": "orders", "versioningScheme": "Segment"}}`)
	if st := g.srv.Reload("test"); st.Result != gateway.ReloadSuccess {
		t.Fatalf("reload after the version set's edit: %+v", st)
	}
	if resp, _ := get(t, g.url+"/orders/v1/x", nil); resp.StatusCode != 200 {
		t.Fatalf("by segment: %d", resp.StatusCode)
	}
	// The configuration file reactivates alice, and says the version set
	// is chosen by a header after all.
	writeFile(t, filepath.Dir(conf), filepath.Base(conf), `NamedValues:
  - name: TENANT
    properties: {value: prod}
versionSets:
  - name: VS
    properties: {versioningScheme: Header, versionHeaderName: X-Version}
`)
	if st := g.srv.Reload("test"); st.Result != gateway.ReloadSuccess {
		t.Fatalf("reload: %+v", st)
	}
	if resp, _ := get(t, g.url+"/orders/x", http.Header{"X-Version": {"v1"}}); resp.StatusCode != 200 {
		t.Fatalf("by the overridden header: %d", resp.StatusCode)
	}
	if resp, _ := get(t, g.url+"/keyed/x", key); resp.StatusCode != 200 {
		t.Fatalf("alice, active again: %d", resp.StatusCode)
	}
	if seen := rb.last.Load(); seen == nil || seen.path != "/prod/x" {
		t.Fatalf("the named value override (TENANT for Tenant's folder tenant): %+v", seen)
	}
}

// TestAPIOpsRevisionFolders: the extractor writes the current revision in
// NAME/ and the others in NAME;rev=N/; APIM leaves isCurrent out of a
// revision that is not current (every extracted folder seen does), so such
// a folder is skipped, with a notice, unless it says "isCurrent": true.
func TestAPIOpsRevisionFolders(t *testing.T) {
	const cur = `{"properties": {"path": "echo", "serviceUrl": "http://127.0.0.1:9", "apiRevision": "1", "isCurrent": true}}`
	for _, tc := range []struct {
		name        string
		base, rev2  string
		notes, errs []string
		revServed   bool // revision 2 is served at /echo;rev=2
	}{
		{name: "no isCurrent in the revision folder", base: cur,
			rev2: `{"properties": {"path": "echo", "serviceUrl": "http://127.0.0.1:8", "apiRevision": "2"}}`, revServed: true},
		{name: "no apiRevision either: the folder's", base: cur,
			rev2: `{"properties": {"path": "echo", "serviceUrl": "http://127.0.0.1:8"}}`, revServed: true},
		{name: "isCurrent false", base: cur,
			rev2: `{"properties": {"path": "echo", "serviceUrl": "http://127.0.0.1:8", "apiRevision": "2", "isCurrent": false}}`, revServed: true},
		{name: "the base folder without isCurrent is current", base: `{"properties": {"path": "echo", "serviceUrl": "http://127.0.0.1:9"}}`,
			rev2: `{"properties": {"path": "echo", "serviceUrl": "http://127.0.0.1:8", "apiRevision": "2"}}`, revServed: true},
		{name: "offline", base: cur,
			rev2:  `{"properties": {"path": "echo", "serviceUrl": "http://127.0.0.1:8", "apiRevision": "2", "isOnline": false}}`,
			notes: []string{"apis/echo;rev=2/apiInformation.json:1:89: ignored: revision 2 of API echo (offline: isOnline is false)"}},
		{name: "a revision number no URL can name", base: cur,
			rev2:  `{"properties": {"path": "echo", "serviceUrl": "http://127.0.0.1:8", "apiRevision": "2 beta"}}`,
			notes: []string{"apis/echo;rev=2/apiInformation.json:1:1: ignored: revision 2 beta of API echo (not the current revision, and its number is not one a URL can name)"}},
		{name: "the current revision's number", base: cur,
			rev2:  `{"properties": {"path": "echo", "serviceUrl": "http://127.0.0.1:8", "apiRevision": "1"}}`,
			notes: []string{"apis/echo;rev=2: ignored: revision 1 of API echo (the current revision has that number)"}},
		{name: "a bad isCurrent", base: cur,
			rev2: `{"properties": {"path": "echo", "serviceUrl": "http://127.0.0.1:8", "isCurrent": "yes"}}`,
			errs: []string{`apis/echo;rev=2/apiInformation.json:1:69: isCurrent must be true or false, not "yes"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "apis/echo/apiInformation.json", tc.base)
			writeFile(t, dir, "apis/echo;rev=2/apiInformation.json", tc.rev2)
			snap, errs := loadDir(t, dir)
			if strings.Join(errs, "\n") != strings.Join(tc.errs, "\n") {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(tc.errs, "\n"))
			}
			if snap == nil {
				return
			}
			var notes []string
			for _, n := range snap.Notices {
				if strings.Contains(n, "revision") {
					notes = append(notes, strings.ReplaceAll(n, dir+string(filepath.Separator), ""))
				}
			}
			if strings.Join(notes, "\n") != strings.Join(tc.notes, "\n") {
				t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(tc.notes, "\n"))
			}
			if a := snap.API("echo"); a == nil || a.ServiceURL.Port() != "9" || a.Path != "/echo" || a.Revision != "" {
				t.Errorf("current revision: %+v", a)
			}
			want := 1
			if tc.revServed {
				want = 2
				var rev *gateway.API
				for _, a := range snap.APIs {
					if a.Revision != "" {
						rev = a
					}
				}
				if rev == nil || rev.Name != "echo" || rev.Revision != "2" || rev.Path != "/echo;rev=2" || rev.ServiceURL.Port() != "8" ||
					rev.Info.Revision != "2" || rev.Info.IsCurrentRevision {
					t.Errorf("revision 2: %+v", rev)
				}
			}
			if len(snap.APIs) != want {
				t.Errorf("served %d APIs, want %d", len(snap.APIs), want)
			}
		})
	}
}

// TestAPIOpsRevisionURL: APIM serves every revision at its API's URL with
// ";rev=N" appended ("https://apis.contoso.com/customers;rev=3/leads?customerId=123",
// api-management-revisions). The revision is the same API for products and
// subscriptions; its policies and operations are its own.
func TestAPIOpsRevisionURL(t *testing.T) {
	cur, rev := newRESTBackend(t, nil), newRESTBackend(t, nil)
	dir := t.TempDir()
	const policy = `<policies><inbound><base /><set-header name="x-rev" exists-action="override"><value>@(context.Api.Revision + "|" + context.Api.IsCurrentRevision + "|" + context.Api.Name)</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`
	writeFile(t, dir, "apis/echo/apiInformation.json", `{"properties": {"path": "echo", "serviceUrl": "`+cur.url+`", "apiRevision": "1", "isCurrent": true}}`)
	writeFile(t, dir, "apis/echo/policy.xml", policy)
	writeFile(t, dir, "apis/echo;rev=2/apiInformation.json", `{"properties": {"path": "echo", "serviceUrl": "`+rev.url+`", "apiRevision": "2"}}`)
	writeFile(t, dir, "apis/echo;rev=2/policy.xml", policy)
	writeFile(t, dir, "apis/echo;rev=2/specification.yaml", "openapi: 3.0.1\ninfo: {title: echo, version: '2'}\npaths:\n  /new:\n    get: {operationId: new-op, responses: {'200': {description: ok}}}\n")
	writeFile(t, dir, "products/gold/productInformation.json", `{"properties": {"displayName": "Gold", "state": "published", "subscriptionRequired": true}}`)
	writeFile(t, dir, "products/gold/apis.json", `[{"name": "echo"}]`)
	writeFile(t, dir, "subscriptions/s1/subscriptionInformation.json", `{"properties": {"scope": "/products/gold", "state": "active"}}`)
	writeFile(t, dir, "subscriptions/s2/subscriptionInformation.json", `{"properties": {"scope": "/apis/echo", "state": "active"}}`)
	writeFile(t, dir, "apis/root;rev=5/apiInformation.json", `{"properties": {"path": "", "serviceUrl": "`+cur.url+`", "apiRevision": "5", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/root;rev=5/policy.xml", policy)
	keys := filepath.Join(t.TempDir(), "keys.json")
	writeFile(t, filepath.Dir(keys), "keys.json", `{"s1": {"primaryKey": "gold-key"}, "s2": {"primaryKey": "api-key"}}`)
	g := startGateway(t, dir, func(o *gateway.Options) { o.SubscriptionKeys = keys })
	for _, tc := range []struct {
		path, key string
		status    int
		be        *restBackend
		bePath    string
		rev       string
	}{
		{"/echo/x", "gold-key", 200, cur, "/x", "1|True|echo"},
		{"/echo;rev=2/new", "gold-key", 200, rev, "/new", "2|False|echo"}, // a product key covers the API's revisions
		{"/echo;rev=2/new", "api-key", 200, rev, "/new", "2|False|echo"},  // so does the API's scope
		{"/echo;rev=2/x", "gold-key", 404, nil, "", ""},                   // revision 2's operations are its own
		{"/echo;rev=2/new", "", 401, nil, "", ""},
		{"/echo;rev=3/new", "gold-key", 404, nil, "", ""},
		{"/echo;rev=2", "gold-key", 404, nil, "", ""},
		{"/;rev=5/x", "", 200, cur, "/x", "5|False|root"}, // an API at the root path
	} {
		h := http.Header{}
		if tc.key != "" {
			h.Set("Ocp-Apim-Subscription-Key", tc.key)
		}
		before := [2]int64{cur.calls.Load(), rev.calls.Load()}
		resp, body := get(t, g.url+tc.path, h)
		if resp.StatusCode != tc.status {
			t.Errorf("%s (%s): %d %s, want %d", tc.path, tc.key, resp.StatusCode, body, tc.status)
			continue
		}
		if tc.be == nil {
			if cur.calls.Load() != before[0] || rev.calls.Load() != before[1] {
				t.Errorf("%s: a backend was called", tc.path)
			}
			continue
		}
		seen := tc.be.last.Load()
		if seen.path != tc.bePath || seen.header.Get("X-Rev") != tc.rev {
			t.Errorf("%s: backend saw %s x-rev %q, want %s %q", tc.path, seen.path, seen.header.Get("X-Rev"), tc.bePath, tc.rev)
		}
	}
}

// TestAPIOpsNamedValuesWithoutValue: a named value the folder cannot give
// a value (a secret, or one whose Key Vault read failed) is an error where
// a {{name}} uses it, and only a notice when nothing does: APIM creates
// such values itself (Logger-Credentials--… for an Application Insights
// logger, cache connection strings), and every extracted folder has some.
func TestAPIOpsNamedValuesWithoutValue(t *testing.T) {
	const logger = `{"properties": {"displayName": "Logger-Credentials--6419c07b463461160c42c447", "secret": true}}`
	const (
		insights = `{"properties": {"credentials": {"instrumentationKey": "{{Logger-Credentials--6419c07b463461160c42c447}}"}, "isBuffered": true, "loggerType": "applicationInsights", "resourceId": "/subscriptions/x/resourceGroups/rg/providers/microsoft.insights/components/ai"}}`
		hub      = `{"properties": {"credentials": {"name": "hub", "connectionString": "{{Logger-Credentials--6419c07b463461160c42c447}}"}, "isBuffered": true, "loggerType": "azureEventHub"}}`
		aiDiag   = `{"properties": {"alwaysLog": "allErrors", "loggerId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/loggers/lg", "sampling": {"percentage": 100, "samplingType": "fixed"}}}`
	)
	for _, tc := range []struct {
		name, policy, backend string
		logger, diag          string
		errs, notes           []string
		also                  []string // in other notices
	}{
		{name: "used by nothing", policy: `<policies><inbound/></policies>`,
			notes: []string{`named values/6419c07b463461160c42c446/namedValueInformation.json:1:1: ignored: secret named value "Logger-Credentials--6419c07b463461160c42c447" has no value in the folder: set TOLLGATE_NAMED_VALUE_6419C07B463461160C42C446 or give it in a named values file (--named-values) (nothing uses it)`}},
		{name: "used by a policy", policy: `<policies><inbound><set-header name="X-K" exists-action="override"><value>{{Logger-Credentials--6419c07b463461160c42c447}}</value></set-header></inbound></policies>`,
			errs: []string{`apis/a/policy.xml:1:75: inbound/set-header[1]/value[1]: secret named value "Logger-Credentials--6419c07b463461160c42c447" has no value in the folder: set TOLLGATE_NAMED_VALUE_6419C07B463461160C42C446 or give it in a named values file (--named-values) (it is defined at named values/6419c07b463461160c42c446/namedValueInformation.json:1:1)`}},
		{name: "used by a backend nothing uses", policy: `<policies><inbound/></policies>`,
			backend: `{"properties": {"url": "http://127.0.0.1:9", "protocol": "http", "credentials": {"header": {"x-key": ["{{Logger-Credentials--6419c07b463461160c42c447}}"]}}}}`,
			notes:   []string{`backends/b/backendInformation.json:1:66: ignored: backend b cannot be used: credentials: secret named value "Logger-Credentials--6419c07b463461160c42c447" has no value in the folder: set TOLLGATE_NAMED_VALUE_6419C07B463461160C42C446 or give it in a named values file (--named-values) (it is defined at named values/6419c07b463461160c42c446/namedValueInformation.json:1:1) (nothing uses it)`}},
		{name: "used by a backend a policy uses", policy: `<policies><inbound><set-backend-service backend-id="b"/></inbound></policies>`,
			backend: `{"properties": {"url": "http://127.0.0.1:9", "protocol": "http", "credentials": {"header": {"x-key": ["{{Logger-Credentials--6419c07b463461160c42c447}}"]}}}}`,
			errs:    []string{`apis/a/policy.xml:1:53: inbound/set-backend-service[1]: backend-id "b" names a backend that cannot be used: backends/b/backendInformation.json:1:66: credentials: secret named value "Logger-Credentials--6419c07b463461160c42c447" has no value in the folder`}},
		// Every extract: APIM keeps an Application Insights logger's key in
		// a secret named value the extractor cannot export.
		{name: "an Application Insights logger a diagnostic names", policy: `<policies><inbound/></policies>`, logger: insights, diag: aiDiag,
			notes: []string{`loggers/lg/loggerInformation.json:1:17: ignored: logger lg cannot be used: credentials.instrumentationKey: secret named value "Logger-Credentials--6419c07b463461160c42c447" has no value in the folder: set TOLLGATE_NAMED_VALUE_6419C07B463461160C42C446 or give it in a named values file (--named-values) (it is defined at named values/6419c07b463461160c42c446/namedValueInformation.json:1:1) (the applicationinsights diagnostics naming it send nothing to Application Insights)`},
			also:  []string{`loggerId of diagnostic applicationinsights (logger lg cannot be used, see its notice: nothing is sent to Application Insights, the diagnostic applies to the OpenTelemetry traces)`}},
		// An extract filtered by name may leave the logger's named value out.
		{name: "an Application Insights logger whose named value is not in the folder", policy: `<policies><inbound/></policies>`, diag: aiDiag,
			logger: strings.Replace(insights, "Logger-Credentials--6419c07b463461160c42c447", "Logger-Credentials--66c33c6746346118b45dfc83", 1),
			notes: []string{
				`loggers/lg/loggerInformation.json:1:17: ignored: logger lg cannot be used: credentials.instrumentationKey: unknown named value {{Logger-Credentials--66c33c6746346118b45dfc83}} (define it in named values/NAME/namedValueInformation.json) (the applicationinsights diagnostics naming it send nothing to Application Insights)`,
				`named values/6419c07b463461160c42c446/namedValueInformation.json:1:1: ignored: secret named value "Logger-Credentials--6419c07b463461160c42c447" has no value in the folder: set TOLLGATE_NAMED_VALUE_6419C07B463461160C42C446 or give it in a named values file (--named-values) (nothing uses it)`}},
		{name: "an Event Hub logger nothing uses", policy: `<policies><inbound/></policies>`, logger: hub,
			notes: []string{`loggers/lg/loggerInformation.json:1:17: ignored: logger lg cannot be used: credentials.connectionString: secret named value "Logger-Credentials--6419c07b463461160c42c447" has no value in the folder: set TOLLGATE_NAMED_VALUE_6419C07B463461160C42C446 or give it in a named values file (--named-values) (it is defined at named values/6419c07b463461160c42c446/namedValueInformation.json:1:1) (a log-to-eventhub naming it is a load error)`}},
		{name: "an Event Hub logger a policy uses", policy: `<policies><inbound><log-to-eventhub logger-id="lg">x</log-to-eventhub></inbound></policies>`, logger: hub,
			errs: []string{`apis/a/policy.xml:1:48: inbound/log-to-eventhub[1]: logger "lg" cannot be used: loggers/lg/loggerInformation.json:1:17: credentials.connectionString: secret named value "Logger-Credentials--6419c07b463461160c42c447" has no value in the folder`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "named values/6419c07b463461160c42c446/namedValueInformation.json", logger)
			writeFile(t, dir, "apis/a/apiInformation.json", `{"properties": {"path": "a", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
			writeFile(t, dir, "apis/a/policy.xml", tc.policy)
			if tc.backend != "" {
				writeFile(t, dir, "backends/b/backendInformation.json", tc.backend)
			}
			if tc.logger != "" {
				writeFile(t, dir, "loggers/lg/loggerInformation.json", tc.logger)
			}
			if tc.diag != "" {
				writeFile(t, dir, "diagnostics/applicationinsights/diagnosticInformation.json", tc.diag)
			}
			snap, errs := loadDir(t, dir)
			got := strings.Join(errs, "\n")
			for _, w := range tc.errs {
				if !strings.Contains(got, w) {
					t.Errorf("errors lack %q:\n%s", w, got)
				}
			}
			if len(tc.errs) == 0 && len(errs) > 0 {
				t.Fatalf("errors:\n%s", got)
			}
			if snap == nil {
				return
			}
			var notes []string
			for _, n := range snap.Notices {
				if strings.Contains(n, "named value") {
					notes = append(notes, strings.ReplaceAll(n, dir+string(filepath.Separator), ""))
				}
			}
			if strings.Join(notes, "\n") != strings.Join(tc.notes, "\n") {
				t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(tc.notes, "\n"))
			}
			all := strings.Join(snap.Notices, "\n")
			for _, w := range tc.also {
				if !strings.Contains(all, w) {
					t.Errorf("notices lack %q:\n%s", w, all)
				}
			}
		})
	}
}

// TestAPIOpsNoServiceURL: APIM's serviceUrl is optional (real extracted
// APIs have none: their policy sets the backend, or answers itself); a
// call that reaches the backend without one is a 500 naming the cause.
func TestAPIOpsNoServiceURL(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	for name, policy := range map[string]string{
		"routed":  `<policies><inbound><set-backend-service base-url="` + rb.url + `/movies"/></inbound><backend><forward-request/></backend></policies>`,
		"answers": `<policies><inbound><return-response><set-status code="200"/><set-body>hi</set-body></return-response></inbound></policies>`,
		"nowhere": `<policies><inbound/><backend><forward-request/></backend><on-error><set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header></on-error></policies>`,
	} {
		info := `{"properties": {"path": "` + name + `", "subscriptionRequired": false}}`
		writeFile(t, dir, "apis/"+name+"/apiInformation.json", info)
		writeFile(t, dir, "apis/"+name+"/policy.xml", policy)
	}
	g := startGateway(t, dir)
	if resp, body := get(t, g.url+"/routed/7", nil); resp.StatusCode != 200 || rb.last.Load().path != "/movies/7" {
		t.Errorf("routed: %d %s", resp.StatusCode, body)
	}
	if resp, body := get(t, g.url+"/answers/x", nil); resp.StatusCode != 200 || body != "hi" {
		t.Errorf("answers: %d %q", resp.StatusCode, body)
	}
	resp, body := get(t, g.url+"/nowhere/x", nil)
	if resp.StatusCode != 500 || resp.Header.Get("X-Reason") != "BackendServiceUrlMissing" {
		t.Errorf("nowhere: %d %q %q", resp.StatusCode, resp.Header.Get("X-Reason"), body)
	}
}

// TestAPIOpsOverridesFlatLayout: an entry written in the old flat layout
// (- name: x / serviceUrl: …, an early APIOps sample's) is reported as not
// under properties:, not as Azure-only.
func TestAPIOpsOverridesFlatLayout(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "apis/myapi/apiInformation.json", `{"properties": {"path": "my", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	writeFile(t, dir, "configuration.yaml", "apis:\n  - name: myapi\n    serviceUrl: https://prod.example\n")
	snap, errs := loadDirWith(t, dir, gateway.LoadOptions{Overrides: filepath.Join(dir, "configuration.yaml"), Getenv: func(string) string { return "" }})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := "configuration.yaml:3:5: ignored: apis myapi serviceUrl (not under properties:, where the publisher reads an entry's fields)"
	if !slices.ContainsFunc(snap.Notices, func(n string) bool { return strings.HasSuffix(n, want) }) {
		t.Errorf("notices lack %q:\n%s", want, strings.Join(snap.Notices, "\n"))
	}
}

// TestAPIOpsOverridesSectionShapes: configuration files kept in teams'
// repositories hold sections with nothing under them yet ("namedValues:"),
// sections that are not lists, and misspelt section names. APIOps'
// publisher reads only the sections that are lists (its OverrideDtoFactory
// passes over the others), so such a file publishes; tollgate loads it too,
// applies the sections that are lists, and says what it passes over; the
// same for entries without a name that is a string (APIOps' sample file
// writes "name: [your logger's name]", a YAML list), which the publisher
// skips.
func TestAPIOpsOverridesSectionShapes(t *testing.T) {
	for _, tc := range []struct {
		name, conf string
		notes      []string // suffixes of the notices the load must give
	}{
		{"empty sections", "apimServiceName: prod\nnamedValues:\nbackends: []\nloggers: ~\napis:\n  - name: orders\n    properties: {serviceUrl: 'https://prod.example/orders'}\n", nil},
		{"a mapping section", "namedValues:\n  tenant: prod\napis:\n  - name: orders\n    properties: {serviceUrl: 'https://prod.example/orders'}\n",
			[]string{"conf.yaml:2:3: ignored: namedValues (not a list of {name, properties}, the only form the publisher reads)"}},
		{"a misspelt section", "ackends:\n  - name: fn\n    properties: {url: 'https://x'}\napis:\n  - name: orders\n    properties: {serviceUrl: 'https://prod.example/orders'}\n",
			[]string{"conf.yaml:1:1: ignored: ackends (not a section APIOps' publisher reads; did you mean backends?)"}},
		{"entries without a name", "loggers:\n  - name: [the logger you override]\n    properties: {isBuffered: true}\n  - properties: {isBuffered: true}\napis:\n  - name: orders\n    properties: {serviceUrl: 'https://prod.example/orders'}\n",
			[]string{"conf.yaml:2:11: ignored: an entry of loggers without a name (a string), which the publisher skips",
				"conf.yaml:4:5: ignored: an entry of loggers without a name (a string), which the publisher skips"}},
		{"a section of Azure's", "groups:\n  - name: devs\n    properties: {displayName: Devs}\napis:\n  - name: orders\n    properties: {serviceUrl: 'https://prod.example/orders'}\n",
			[]string{"conf.yaml:1:1: ignored: groups (Azure only)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "apis/orders/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
			conf := filepath.Join(t.TempDir(), "conf.yaml")
			writeFile(t, filepath.Dir(conf), "conf.yaml", tc.conf)
			snap, errs := loadDirWith(t, dir, gateway.LoadOptions{Overrides: conf, Getenv: func(string) string { return "" }})
			if len(errs) > 0 {
				t.Fatalf("the file does not load: %v", errs)
			}
			for _, want := range tc.notes {
				if !slices.ContainsFunc(snap.Notices, func(n string) bool { return strings.HasSuffix(n, want) }) {
					t.Errorf("notices lack %q:\n%s", want, strings.Join(snap.Notices, "\n"))
				}
			}
			for _, n := range snap.Notices {
				if strings.Contains(n, "conf.yaml") && !slices.ContainsFunc(tc.notes, func(w string) bool { return strings.HasSuffix(n, w) }) {
					t.Errorf("unexpected notice %q", n)
				}
			}
			a := snap.API("orders")
			if a == nil || a.ServiceURL == nil || a.ServiceURL.String() != "https://prod.example/orders" {
				t.Errorf("the apis section, a list, still applies: %+v", a)
			}
		})
	}
}

// TestAPIOpsOverridesNameTwice: a configuration file whose section names
// one resource twice (names compared without regard to case) does not
// publish (APIOps' publisher reads a section into a dictionary by name,
// which throws on a name given twice), and which entry was meant cannot
// be told: a load error at the second, naming the first's line and column.
func TestAPIOpsOverridesNameTwice(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "apis/orders/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	conf := filepath.Join(t.TempDir(), "conf.yaml")
	writeFile(t, filepath.Dir(conf), "conf.yaml", "apis:\n  - name: orders\n    properties: {serviceUrl: 'https://old.example/orders'}\n  - name: Orders\n    properties: {serviceUrl: 'https://prod.example/orders'}\nbackends: [{name: b, properties: {}}, {name: c, properties: {}}]\n")
	_, errs := loadDirWith(t, dir, gateway.LoadOptions{Overrides: conf, Getenv: func(string) string { return "" }})
	want := `conf.yaml:4:11: apis "Orders" is given twice: here and at 2:11 (names are compared without regard to case; APIOps' publisher refuses such a file)`
	var got []string
	for _, e := range errs {
		got = append(got, strings.ReplaceAll(e, filepath.Dir(conf)+string(filepath.Separator), ""))
	}
	if len(got) != 1 || got[0] != want {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}

// TestAPIOpsWildcardOperation: an extracted API whose specification holds
// APIM's wildcard operation (paths: {/*: {get: …}}, as APIM makes for an
// app imported without an OpenAPI document) serves every path below the
// API's with that method, as APIM's example says (an API at /store with
// GET /*: GET /store/customer/1 and GET /store/customers), and runs the
// operation's policy.
func TestAPIOpsWildcardOperation(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "apis/store/apiInformation.json", `{"properties": {"path": "store", "serviceUrl": "`+rb.url+`/app", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/store/specification.yaml", "openapi: 3.0.1\ninfo: {title: Store, version: '1.0'}\npaths:\n  /*:\n    get:\n      summary: Wildcard GET\n      operationId: get-any\n      responses:\n        '200': {description: ''}\n")
	writeFile(t, dir, "apis/store/operations/get-any/policy.xml", `<policies><inbound><base/><set-header name="X-Op" exists-action="override"><value>@(context.Operation.Id + " " + context.Operation.UrlTemplate)</value></set-header></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	g := startGateway(t, dir)
	for _, path := range []string{"/customer/1", "/customers"} {
		resp, body := get(t, g.url+"/store"+path, nil)
		seen := rb.last.Load()
		if resp.StatusCode != 200 || seen == nil || seen.path != "/app"+path || seen.header.Get("X-Op") != "get-any /*" {
			t.Errorf("GET /store%s: %d %q, the backend saw %+v", path, resp.StatusCode, body, seen)
		}
	}
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, g.url+"/store/customers", nil)
	if resp, _ := do(t, req); resp.StatusCode != 404 {
		t.Errorf("POST, which the wildcard operation is not: %d, want 404", resp.StatusCode)
	}
}

// TestAPIOpsReloadKeepsAPINotices: a reload that reuses an unchanged API
// as compiled still says what its files hold that tollgate ignores.
func TestAPIOpsReloadKeepsAPINotices(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "apis/a/apiInformation.json", `{"properties": {"path": "a", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false, "protocols": ["https"], "authenticationSettings": {}}}`)
	writeFile(t, dir, "apis/b/apiInformation.json", `{"properties": {"path": "b", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	mine := func(snap *gateway.Snapshot) []string {
		var out []string
		for _, n := range snap.Notices {
			if strings.Contains(n, "apis/a/") {
				out = append(out, n)
			}
		}
		return out
	}
	first, errs := loadDirWith(t, dir, gateway.LoadOptions{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := mine(first)
	if len(want) < 2 {
		t.Fatalf("notices of api a: %q", want)
	}
	// b changes; a is reused as compiled.
	writeFile(t, dir, "apis/b/apiInformation.json", `{"properties": {"path": "b2", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	again, errs := loadDirWith(t, dir, gateway.LoadOptions{Previous: first})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	byName := func(snap *gateway.Snapshot) *gateway.API {
		for _, a := range snap.APIs {
			if a.Name == "a" {
				return a
			}
		}
		return nil
	}
	if a := byName(again); a == nil || a != byName(first) {
		t.Fatal("api a was not reused as compiled")
	}
	if got := mine(again); !slices.Equal(got, want) {
		t.Errorf("notices after the reload:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPolicyNoticesKept: what a policy holds that loads as literal text
// though it looks like an expression (APIM's rule) is a notice of the load
// at its place, for the API's policy, its operations' and the global one;
// a reload that reuses the API as compiled says it again.
func TestPolicyNoticesKept(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "policy.xml", `<policies><inbound><set-header name="X-G" exists-action="override"><value>g @(context.Request.Method)</value></set-header></inbound></policies>`)
	writeFile(t, dir, "apis/a/apiInformation.json", `{"properties": {"path": "a", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/a/policy.xml", `<policies><inbound><base/><trace source="@(context.Api.Name)"><message>Call to the @(context.Api.Name)</message></trace></inbound></policies>`)
	writeFile(t, dir, "apis/b/apiInformation.json", `{"properties": {"path": "b", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	find := func(snap *gateway.Snapshot) (global, a []string) {
		for _, n := range snap.Notices {
			switch {
			case strings.Contains(n, "taken as literal text") && strings.Contains(n, filepath.Join(dir, "policy.xml")):
				global = append(global, n)
			case strings.Contains(n, "taken as literal text") && strings.Contains(n, filepath.Join("apis", "a", "policy.xml")):
				a = append(a, n)
			}
		}
		return
	}
	first, errs := loadDirWith(t, dir, gateway.LoadOptions{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	g, a := find(first)
	if len(g) != 1 || len(a) != 2 || !strings.Contains(a[0], "policy.xml:1:") {
		t.Fatalf("global notices %q, api a's %q", g, a)
	}
	writeFile(t, dir, "apis/b/apiInformation.json", `{"properties": {"path": "b2", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	again, errs := loadDirWith(t, dir, gateway.LoadOptions{Previous: first})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if g2, a2 := find(again); !slices.Equal(g2, g) || !slices.Equal(a2, a) {
		t.Errorf("after a reload that reused api a: global %q, api a %q", g2, a2)
	}
}

// TestAPIOpsFolderWithoutInformation: an API folder that has no
// apiInformation.json declares no API. Holding only a specification (as
// extracts keep for filtered-out APIs, e.g. echo-api) it is a notice and the
// rest loads; an empty folder says nothing (the policy.xml / operations cases
// are load errors: testdata/resource-errors/apiops-no-information).
func TestAPIOpsFolderWithoutInformation(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "apis/ok/apiInformation.json", `{"properties": {"path": "ok", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/echo-api/specification.yaml", "openapi: 3.0.1\ninfo: {title: Echo, version: '1'}\npaths: {}\n")
	if err := os.MkdirAll(filepath.Join(dir, "apis", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	snap, errs := loadDirWith(t, dir, gateway.LoadOptions{Getenv: func(string) string { return "" }})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(snap.APIs) != 1 || snap.APIs[0].Name != "ok" {
		t.Fatalf("APIs: %d", len(snap.APIs))
	}
	want := filepath.Join("apis", "echo-api") + ": ignored: specification.yaml (the folder has no apiInformation.json, so it declares no API)"
	if !slices.ContainsFunc(snap.Notices, func(n string) bool { return strings.HasSuffix(n, want) }) {
		t.Errorf("notices lack %q:\n%s", want, strings.Join(snap.Notices, "\n"))
	}
	for _, n := range snap.Notices {
		if strings.Contains(n, "empty") {
			t.Errorf("an empty folder was reported: %s", n)
		}
	}
}

// TestAPIOpsOperationInformation: apiops-cli writes each operation as
// operations/ID/operationInformation.json, APIM's operation contract
// (github.com/yuanlu380/apiops-cli-lab, apim-artifacts/apis/echo-api/,
// trimmed). An API without a specification has those operations: a request
// that matches none is APIM's 404, and an operation's policy applies to
// its operation. With a specification, the specification declares them.
func TestAPIOpsOperationInformation(t *testing.T) {
	var got []string
	var mu sync.Mutex
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Op"))
		mu.Unlock()
	}))
	defer backend.Close()
	dir := t.TempDir()
	writeFile(t, dir, "apis/echo-api/apiInformation.json", `{
  "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/apis/echo-api",
  "type": "Microsoft.ApiManagement/service/apis",
  "name": "echo-api",
  "properties": {
    "displayName": "Echo API",
    "apiRevision": "1",
    "description": null,
    "subscriptionRequired": false,
    "serviceUrl": "`+backend.URL+`/api",
    "path": "echo",
    "isCurrent": true
  }
}`)
	op := func(id, display, method, tpl string) {
		writeFile(t, dir, "apis/echo-api/operations/"+id+"/operationInformation.json", `{
  "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/apis/echo-api/operations/`+id+`",
  "type": "Microsoft.ApiManagement/service/apis/operations",
  "name": "`+id+`",
  "properties": {
    "displayName": "`+display+`",
    "method": "`+method+`",
    "urlTemplate": "`+tpl+`",
    "templateParameters": [],
    "description": "A demonstration of a `+method+` call.",
    "request": {
      "queryParameters": [],
      "headers": [],
      "representations": []
    },
    "responses": [
      {
        "statusCode": 200,
        "representations": [],
        "headers": []
      }
    ],
    "policies": null
  }
}`)
	}
	op("create-resource", "Create resource", "POST", "/resource")
	op("retrieve-resource", "Retrieve resource", "GET", "/resource")
	op("get-item", "Get item", "GET", "/items/{id}")
	writeFile(t, dir, "apis/echo-api/operations/create-resource/policy.xml", `<policies><inbound><base/><set-header name="X-Op" exists-action="override"><value>@(context.Operation.Id + "|" + context.Operation.Name)</value></set-header></inbound><backend><base/></backend><outbound><base/></outbound></policies>`)
	writeFile(t, dir, "apis/echo-api/operations/get-item/policy.xml", `<policies><inbound><base/><set-header name="X-Op" exists-action="override"><value>@(context.Request.MatchedParameters["id"])</value></set-header></inbound><backend><base/></backend><outbound><base/></outbound></policies>`)
	g := startGateway(t, dir)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/echo/resource", 200}, {"GET", "/echo/resource", 200}, {"GET", "/echo/items/42", 200},
		{"GET", "/echo/other", 404}, {"DELETE", "/echo/resource", 404},
	} {
		req, _ := http.NewRequest(c.method, g.url+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
	}
	want := []string{"POST /api/resource create-resource|Create resource", "GET /api/resource ", "GET /api/items/42 42"}
	mu.Lock()
	if !slices.Equal(got, want) {
		t.Errorf("backend saw %q, want %q", got, want)
	}
	mu.Unlock()

	// A specification declares the operations; the files are not read then.
	writeFile(t, dir, "apis/echo-api/specification.yaml", "openapi: 3.0.1\ninfo: {title: Echo API, version: '1.0'}\npaths:\n  /resource:\n    post: {operationId: create-resource, summary: Create resource, responses: {'200': {description: ''}}}\n  /items/{id}:\n    get: {operationId: get-item, parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {'200': {description: ''}}}\n")
	snap, errs := loadDirWith(t, dir, gateway.LoadOptions{Getenv: func(string) string { return "" }})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if n := len(snap.APIs[0].Operations); n != 2 {
		t.Errorf("%d operations with a specification, want its 2", n)
	}

	// A file without a method is a load error at it.
	writeFile(t, dir, "apis/echo-api/specification.yaml", "")
	if err := os.Remove(filepath.Join(dir, "apis", "echo-api", "specification.yaml")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "apis/echo-api/operations/broken/operationInformation.json", `{"name": "broken", "properties": {"displayName": "Broken", "urlTemplate": "/b"}}`)
	_, errs = loadDirWith(t, dir, gateway.LoadOptions{Getenv: func(string) string { return "" }})
	wantErr := filepath.Join("apis", "echo-api", "operations", "broken", "operationInformation.json") + `:1:1: operation "broken" needs properties.method and properties.urlTemplate`
	if !slices.Equal(errs, []string{wantErr}) {
		t.Errorf("errors %q, want %q", errs, wantErr)
	}
}

// TestProductFolderWithoutInformation: a product folder without
// productInformation.json declares no product. With an apis.json alone (as
// github.com/waelkdouh/apiops-artifact keeps products/Starter/ and
// products/Unlimited/, APIM's built-in products) it is a notice and the rest
// loads; with a policy.xml, which would apply to nothing, a load error at it.
func TestProductFolderWithoutInformation(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "apis/demo-conference-api/apiInformation.json", `{"properties": {"path": "conference", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": true}}`)
	writeFile(t, dir, "products/Starter/apis.json", "[\n  {\n    \"name\": \"demo-conference-api\"\n  },\n  {\n    \"name\": \"searchengine\"\n  }\n]")
	snap, errs := loadDirWith(t, dir, gateway.LoadOptions{Getenv: func(string) string { return "" }})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(snap.APIs) != 1 || len(snap.Products) != 0 {
		t.Fatalf("APIs %d, products %d", len(snap.APIs), len(snap.Products))
	}
	want := filepath.Join("products", "Starter") + ": ignored: apis.json (the folder has no productInformation.json, so it declares no product)"
	if !slices.ContainsFunc(snap.Notices, func(n string) bool { return strings.HasSuffix(n, want) }) {
		t.Errorf("notices lack %q:\n%s", want, strings.Join(snap.Notices, "\n"))
	}

	writeFile(t, dir, "products/Unlimited/policy.xml", `<policies><inbound><base/></inbound></policies>`)
	_, errs = loadDirWith(t, dir, gateway.LoadOptions{Getenv: func(string) string { return "" }})
	wantErr := filepath.Join("products", "Unlimited", "policy.xml") + `:1:1: product folder "Unlimited" has no productInformation.json, so its policy.xml applies to no product: add the product's productInformation.json (APIOps' extractor writes one for every product) or remove the folder`
	if !slices.Equal(errs, []string{wantErr}) {
		t.Errorf("errors %q, want %q", errs, wantErr)
	}
}

// TestAPIOpsLegacyLayoutNotices: a revision folder of APIOps' early
// extractor (apis/DISPLAY NAME/VERSION/REVISION/) whose apiInformation.json
// names no API declares none, and the notice says which layout it is in;
// one left next to a current apiInformation.json by an older extract (as
// github.com/waelkdouh/apiops-artifact has apis/Demo Conference API/) is
// not read either, and the notice says so rather than "Azure only". With a
// policy the first is a load error (testdata/resource-errors/apiops-legacy-layout).
func TestAPIOpsLegacyLayoutNotices(t *testing.T) {
	dir := t.TempDir()
	info := `{"properties": {"path": "datastore", "apiRevision": "%s", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`
	writeFile(t, dir, "apis/IATI Datastore/Original/1/apiInformation.json", fmt.Sprintf(info, "1"))
	writeFile(t, dir, "apis/IATI Datastore/Original/2/apiInformation.json", fmt.Sprintf(info, "2"))
	writeFile(t, dir, "apis/IATI Datastore/Original/2/specification.yaml", "openapi: 3.0.1\ninfo: {title: Datastore, version: '1'}\npaths: {}\n")
	writeFile(t, dir, "apis/demo-conference-api/apiInformation.json", `{"properties": {"path": "conference", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/demo-conference-api/Original/1/apiInformation.json", `{"name": "demo-conference-api", "properties": {"path": "conference", "apiRevision": "1"}}`)
	writeFile(t, dir, "apis/demo-conference-api/Original/1/policy.xml", `<policies><inbound><base/></inbound></policies>`)
	writeFile(t, dir, "apis/demo-conference-api/tags/x/tagInformation.json", `{}`)
	snap, errs := loadDirWith(t, dir, gateway.LoadOptions{Getenv: func(string) string { return "" }})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(snap.APIs) != 1 || snap.APIs[0].Name != "demo-conference-api" {
		t.Fatalf("APIs: %d", len(snap.APIs))
	}
	const layout = "the layout of APIOps' early extractor (apis/DISPLAY NAME/VERSION/REVISION/apiInformation.json)"
	for _, want := range []string{
		filepath.Join("apis", "IATI Datastore") + ": ignored: Original/1, Original/2 (" + layout + `, whose apiInformation.json has no "name" to say which API it is)`,
		filepath.Join("apis", "demo-conference-api", "Original") + ": ignored: Original of API demo-conference-api (" + layout + ", left from an older extract: this API is the folder's own apiInformation.json)",
		filepath.Join("apis", "demo-conference-api", "tags") + ": ignored: tags of API demo-conference-api (Azure only)",
	} {
		if !slices.ContainsFunc(snap.Notices, func(n string) bool { return strings.HasSuffix(n, want) }) {
			t.Errorf("notices lack %q:\n%s", want, strings.Join(snap.Notices, "\n"))
		}
	}
}

// TestAPIOpsLegacyLayout: APIOps' early extractor wrote each revision of an
// API as apis/DISPLAY NAME/VERSION/REVISION/, its apiInformation.json
// naming the API ("name": "datastore;rev=1" for a revision that is not
// current), its operation policies in folders named after the operations'
// display names. github.com/IATI/apim-iati-gateway's extract (trimmed:
// Datastore Search Services, whose Query operation's policy rewrites the
// URL, adds basic credentials and caps rows; IATI Datastore's revisions 1
// and 2) is served as apis/NAME/ and apis/NAME;rev=N/ would be.
func TestAPIOpsLegacyLayout(t *testing.T) {
	var got []string
	var mu sync.Mutex
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.RequestURI()+" "+r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	defer backend.Close()
	dir := t.TempDir()
	dss := "apis/Datastore Search Services/Original/1/"
	writeFile(t, dir, dss+"apiInformation.json", `{
  "name": "61e68d73c8e44ca9124dcddb",
  "properties": {
    "path": "dss",
    "displayName": "Datastore Search Services",
    "apiRevision": "1",
    "isCurrent": true,
    "protocols": [
      "https"
    ],
    "serviceUrl": "`+backend.URL+`",
    "subscriptionRequired": false
  }
}`)
	writeFile(t, dir, dss+"specification.yaml", `openapi: 3.0.1
info:
  title: Datastore Search Services
  version: '1.0'
paths:
  '/{collection}/{responsetype}':
    get:
      summary: Query
      operationId: 61e68d79d08b13d923cf153b
      parameters:
        - name: collection
          in: path
          required: true
          schema:
            type: string
        - name: responsetype
          in: path
          required: true
          schema:
            type: string
        - name: rows
          in: query
          schema:
            type: int
      responses:
        '200':
          description: ''
`)
	writeFile(t, dir, dss+"operations/Query/policy.xml", `<policies>
	<inbound>
		<base />
		<authentication-basic username="solr" password="{{pw-solr-user}}" />
		<rewrite-uri template="/solr/{collection}/{responsetype}" />
		<set-variable name="solrMaxRows" value="{{solrMaxRows}}" />
		<set-query-parameter name="rows" exists-action="override">
			<value>@{
                int rows;
                int solrMaxRows = int.Parse((string) context.Variables["solrMaxRows"]);
                bool convertible = Int32.TryParse(context.Request.Url.Query.GetValueOrDefault("rows", ""), out rows);
                if (convertible) {
                    return (rows > solrMaxRows) ? solrMaxRows.ToString() : rows.ToString();
                }
                return "10";
                }</value>
		</set-query-parameter>
	</inbound>
	<backend>
		<base />
	</backend>
	<outbound>
		<base />
	</outbound>
</policies>`)
	writeFile(t, dir, "named values/pw-solr-user/namedValueInformation.json", `{"properties": {"displayName": "pw-solr-user", "value": "pw", "secret": false}}`)
	writeFile(t, dir, "named values/solrMaxRows/namedValueInformation.json", `{"properties": {"displayName": "solrMaxRows", "value": "1000", "secret": false}}`)
	ds := `{"name": %q, "properties": {"path": "datastore", "displayName": "IATI Datastore", "apiRevision": "%s",%s "serviceUrl": "` + backend.URL + `/%s", "subscriptionRequired": false}}`
	writeFile(t, dir, "apis/IATI Datastore/Original/1/apiInformation.json", fmt.Sprintf(ds, "datastore;rev=1", "1", "", "r1"))
	writeFile(t, dir, "apis/IATI Datastore/Original/2/apiInformation.json", fmt.Sprintf(ds, "datastore", "2", ` "isCurrent": true,`, "r2"))

	writeFile(t, dir, "conf.yaml", "apis:\n  - name: datastore\n    properties:\n      subscriptionRequired: false\n")
	snap, errs := loadDirWith(t, dir, gateway.LoadOptions{Getenv: func(string) string { return "" }, Overrides: filepath.Join(dir, "conf.yaml")})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, n := range snap.Notices {
		if strings.Contains(n, "conf.yaml") {
			t.Errorf("the entry for datastore is reported: %s", n)
		}
	}

	g := startGateway(t, dir)
	for _, path := range []string{"/dss/activity/select?rows=5000", "/dss/budget/iati?rows=5", "/datastore/x", "/datastore;rev=1/x"} {
		resp, err := http.Get(g.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	want := []string{"/solr/activity/select?rows=1000 Basic c29scjpwdw==", "/solr/budget/iati?rows=5 Basic c29scjpwdw==", "/r2/x ", "/r1/x "}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Errorf("backend saw %q, want %q", got, want)
	}
}

// TestAPIOpsDisplayNameFolders: APIOps' early extractor releases named an
// API's folder after its display name and wrote the API's name next to
// "properties" (apis/Echo API/apiInformation.json, "name": "echo-api", as
// github.com/RobertoBorges/apiopsdemo keeps it; apis/Demo Conference
// API/, as github.com/waelkdouh/apiops-artifact keeps it). The API is
// that name: products, subscriptions and the configuration file name it so.
// A folder whose name is no API name and whose file has none is a load error.
func TestAPIOpsDisplayNameFolders(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "apis/Echo API/apiInformation.json", `{
  "name": "echo-api",
  "properties": {
    "path": "echo",
    "displayName": "Echo API",
    "apiRevision": "1",
    "isCurrent": true,
    "protocols": [
      "https"
    ],
    "serviceUrl": "http://echoapi.cloudapp.net/api",
    "subscriptionRequired": false
  }
}`)
	writeFile(t, dir, "apis/Echo API/policy.xml", `<policies><inbound><base/><set-header name="X-Api" exists-action="override"><value>@(context.Api.Name)</value></set-header></inbound><backend><base/></backend><outbound><base/></outbound></policies>`)
	writeFile(t, dir, "apis/Demo Conference API/apiInformation.json", `{
  "name": "demo-conference-api",
  "properties": {
    "path": "",
    "displayName": "Demo Conference API",
    "apiRevision": "1",
    "isCurrent": true,
    "serviceUrl": "https://conferenceapi.azurewebsites.net",
    "subscriptionRequired": true
  }
}`)
	writeFile(t, dir, "products/Starter/productInformation.json", `{"properties": {"displayName": "Starter", "state": "published", "subscriptionRequired": true}}`)
	writeFile(t, dir, "products/Starter/apis.json", `[{"name": "demo-conference-api"}]`)
	writeFile(t, dir, "subscriptions/s1/subscriptionInformation.json", `{"properties": {"displayName": "s1", "scope": "/apis/echo-api", "state": "active"}}`)
	writeFile(t, dir, "conf.yaml", "apis:\n  - name: echo-api\n    properties:\n      serviceUrl: http://127.0.0.1:9/echo\n")
	snap, errs := loadDirWith(t, dir, gateway.LoadOptions{Getenv: func(string) string { return "" }, Overrides: filepath.Join(dir, "conf.yaml")})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var names []string
	for _, a := range snap.APIs {
		names = append(names, a.Name)
		if a.Name == "echo-api" && a.ServiceURL.String() != "http://127.0.0.1:9/echo" {
			t.Errorf("echo-api's serviceUrl %s: the configuration file's entry was not applied", a.ServiceURL)
		}
	}
	slices.Sort(names)
	if want := []string{"demo-conference-api", "echo-api"}; !slices.Equal(names, want) {
		t.Fatalf("APIs %q, want %q", names, want)
	}
	for _, n := range snap.Notices {
		if strings.Contains(n, "conf.yaml") || strings.Contains(n, "names no") || strings.Contains(n, "scope") {
			t.Errorf("notice: %s", n)
		}
	}

	writeFile(t, dir, "apis/Other API/apiInformation.json", `{"properties": {"path": "other", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	_, errs = loadDirWith(t, dir, gateway.LoadOptions{Getenv: func(string) string { return "" }})
	want := filepath.Join("apis", "Other API", "apiInformation.json") + `:1:1: API name "Other API" (its folder, and the file has no "name" that is one): use letters, digits, '-', '_' and '.'`
	if !slices.Contains(errs, want) {
		t.Errorf("errors %q lack %q", errs, want)
	}
}

// TestAPIOpsDisplayNameOperationFolders: APIOps' early extractor releases named
// an operation's policy folder after the operation's display name (the
// specification's summary), as in github.com/RobertoBorges/apiopsdemo,
// apimartifacts/apis/Echo API/operations/Retrieve resource/policy.xml: a
// folder that is no operation's id is the policy of the one operation of
// that display name, and a load error when several have it.
func TestAPIOpsDisplayNameOperationFolders(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "apis/Echo API/apiInformation.json", `{"name": "echo-api", "properties": {"path": "echo", "displayName": "Echo API", "serviceUrl": "http://127.0.0.1:9/api", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/Echo API/specification.yaml", `openapi: 3.0.1
info:
  title: Echo API
  version: '1.0'
paths:
  /resource:
    get:
      summary: Retrieve resource
      operationId: retrieve-resource
      responses:
        '200':
          description: Returned in all cases.
    put:
      summary: Modify Resource
      operationId: modify-resource
      responses:
        '200':
          description: ''
`)
	writeFile(t, dir, "apis/Echo API/operations/Retrieve resource/policy.xml", `<policies><inbound><base/><return-response><set-body>@(context.Operation.Id + "|" + context.Operation.Name + "|" + context.Api.Name)</set-body></return-response></inbound><backend><base/></backend><outbound><base/></outbound></policies>`)
	g := startGateway(t, dir)
	resp, err := http.Get(g.url + "/echo/resource")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got, want := string(body), "retrieve-resource|Retrieve resource|echo-api"; resp.StatusCode != 200 || got != want {
		t.Errorf("GET /echo/resource: %d %q, want 200 %q", resp.StatusCode, got, want)
	}

	// Two operations with that display name: the folder names neither.
	writeFile(t, dir, "apis/Echo API/specification.yaml", strings.Replace(`openapi: 3.0.1
info: {title: Echo API, version: '1.0'}
paths:
  /resource:
    get: {summary: Retrieve resource, operationId: retrieve-resource, responses: {'200': {description: ''}}}
  /resource2:
    get: {summary: Retrieve resource, operationId: retrieve-resource-2, responses: {'200': {description: ''}}}
`, "\t", "  ", -1))
	_, errs := loadDirWith(t, dir, gateway.LoadOptions{Getenv: func(string) string { return "" }})
	want := filepath.Join("apis", "Echo API", "operations", "Retrieve resource", "policy.xml") + `:1:1: API "echo-api" has no operation "Retrieve resource" for this policy, and 2 operations have that display name (retrieve-resource, retrieve-resource-2): name the folder after the operation's id`
	if !slices.Equal(errs, []string{want}) {
		t.Errorf("errors %q, want %q", errs, want)
	}
}

// TestAPIOpsUnusedOverrides: a configuration file's entry for a resource
// the folder does not have is reported once, at the entry, for every
// section; an entry whose resource the folder has is never reported, also
// when the resource is not served (--gateway, --workspace), is used by
// nothing (a version set, a named value), is a revision that is not
// served or a folder that declares no API. Names match case-insensitively,
// an API's entry by the API's name for all its revisions.
func TestAPIOpsUnusedOverrides(t *testing.T) {
	dir := t.TempDir()
	api := `{"properties": {"path": "%s", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false%s}}`
	for f, content := range map[string]string{
		"apis/orders/apiInformation.json":                      fmt.Sprintf(api, "orders", ""),
		"apis/orders;rev=2/apiInformation.json":                fmt.Sprintf(api, "orders", `, "apiRevision": "2"`),
		"apis/old;rev=3/apiInformation.json":                   fmt.Sprintf(api, "old", `, "apiRevision": "3", "isOnline": false`),
		"apis/users/apiInformation.json":                       fmt.Sprintf(api, "users", ""),
		"apis/spec-only/specification.yaml":                    "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths: {}\n",
		"backends/orders-fn/backendInformation.json":           `{"properties": {"url": "http://127.0.0.1:9", "protocol": "http"}}`,
		"loggers/monitor/loggerInformation.json":               `{"properties": {"loggerType": "azureMonitor", "isBuffered": true}}`,
		"named values/tenant/namedValueInformation.json":       `{"properties": {"displayName": "tenant", "value": "contoso"}}`,
		"products/gold/productInformation.json":                `{"properties": {"displayName": "Gold", "subscriptionRequired": false}}`,
		"subscriptions/partner-a/subscriptionInformation.json": `{"properties": {"displayName": "A", "scope": "/apis/orders", "state": "active"}}`,
		"version sets/unused-vs/apiVersionSetInformation.json": `{"properties": {"displayName": "vs", "versioningScheme": "Header"}}`,
		"gateways/edge/gatewayInformation.json":                `{"properties": {"locationData": {"name": "edge"}}}`,
		"gateways/edge/apis.json":                              `[{"name": "orders"}]`,
		"workspaces/hr/workspaceInformation.json":              `{"properties": {"displayName": "HR"}}`,
		"workspaces/hr/apis/payroll/apiInformation.json":       fmt.Sprintf(api, "payroll", ""),
	} {
		writeFile(t, filepath.Dir(filepath.Join(dir, f)), filepath.Base(f), content)
	}
	conf := filepath.Join(t.TempDir(), "configuration.prod.yaml")
	writeFile(t, filepath.Dir(conf), filepath.Base(conf), `apimServiceName: prod
apis:
  - name: Orders
    properties: {serviceUrl: 'https://prod.example/orders'}
  - name: old
    properties: {serviceUrl: 'https://prod.example/old'}
  - name: users
    properties: {serviceUrl: 'https://prod.example/users'}
  - name: spec-only
    properties: {serviceUrl: 'https://prod.example/spec'}
  - name: orders;rev=2
    properties: {serviceUrl: 'https://prod.example/rev2'}
  - name: payroll
    properties: {serviceUrl: 'https://prod.example/payroll'}
  - name: billing
    properties: {serviceUrl: 'https://prod.example/billing'}
backends:
  - name: ORDERS-FN
    properties: {url: 'https://fn.prod.example'}
  - name: orders-func
    properties: {url: 'https://fn.prod.example'}
loggers:
  - name: monitor
    properties: {isBuffered: false}
  - name: apimdemoinsights
    properties: {isBuffered: false}
namedValues:
  - name: tenant
    properties: {value: fabrikam}
  - name: ghost-nv
    properties: {value: x}
products:
  - name: gold
    properties: {state: published}
  - name: silver
    properties: {state: published}
subscriptions:
  - name: partner-a
    properties: {state: suspended}
  - name: partner-b
    properties: {state: suspended}
versionSets:
  - name: Unused-VS
    properties: {versioningScheme: Query}
  - name: ghost-vs
    properties: {versioningScheme: Header}
`)
	want := []string{
		"configuration.prod.yaml:11:5: ignored: apis orders;rev=2 (an entry names an API, not one of its revisions: the entry orders applies to all of them)",
		"configuration.prod.yaml:13:5: ignored: apis payroll (the folder has no apis/payroll/apiInformation.json to override; workspaces/hr/ has one, and the publisher overrides the service's resources only)",
		"configuration.prod.yaml:15:5: ignored: apis billing (the folder has no apis/billing/apiInformation.json to override)",
		"configuration.prod.yaml:20:5: ignored: backends orders-func (the folder has no backends/orders-func/backendInformation.json to override)",
		"configuration.prod.yaml:25:5: ignored: loggers apimdemoinsights (the folder has no loggers/apimdemoinsights/loggerInformation.json to override)",
		"configuration.prod.yaml:30:5: ignored: namedValues ghost-nv (the folder has no named values/ghost-nv/namedValueInformation.json to override)",
		"configuration.prod.yaml:35:5: ignored: products silver (the folder has no products/silver/productInformation.json to override)",
		"configuration.prod.yaml:40:5: ignored: subscriptions partner-b (the folder has no subscriptions/partner-b/subscriptionInformation.json to override)",
		"configuration.prod.yaml:45:5: ignored: versionSets ghost-vs (the folder has no version sets/ghost-vs/apiVersionSetInformation.json to override)",
	}
	for _, tc := range []struct {
		name string
		opt  gateway.LoadOptions
	}{
		{"every API served", gateway.LoadOptions{}},
		{"a gateway serving orders", gateway.LoadOptions{Gateway: "edge"}},
		{"the workspace hr", gateway.LoadOptions{Workspaces: []string{"hr"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			opt.Overrides, opt.Getenv = conf, func(string) string { return "" }
			snap, errs := loadDirWith(t, dir, opt)
			if len(errs) > 0 {
				t.Fatalf("the folder does not load: %v", errs)
			}
			var got []string
			for _, n := range snap.Notices {
				if strings.Contains(n, "configuration.prod.yaml") {
					got = append(got, strings.ReplaceAll(n, filepath.Dir(conf)+string(filepath.Separator), ""))
				}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("notices of the configuration file:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if tc.opt.Workspaces != nil {
				return
			}
			if a := snap.API("orders"); a == nil || a.ServiceURL.String() != "https://prod.example/orders" {
				t.Errorf("the entry Orders applies to orders: %+v", a)
			}
			for _, a := range snap.APIs {
				if a.Name == "orders" && a.Revision == "2" && a.ServiceURL.String() != "https://prod.example/orders" {
					t.Errorf("orders;rev=2 takes the entry of orders, not its own: %s", a.ServiceURL)
				}
			}
		})
	}
}

// TestAPIOpsNamedValueInAPIInformation: tollgate substitutes {{named
// values}} in the strings it reads from apiInformation.json (serviceUrl
// here; as in api.xml's attributes), from the folder, the configuration
// file or the environment (a secret). This is tollgate's choice: APIM
// documents named values for policies, and an API's serviceUrl as an
// absolute URL (docs/resource-model.md). A value that is missing is a
// load error at the property, and a secret is never quoted.
func TestAPIOpsNamedValueInAPIInformation(t *testing.T) {
	rb := newRESTBackend(t, nil)
	const secret = "not-a-url-SECRET-41"
	for _, tc := range []struct {
		name, serviceURL, conf string
		env                    map[string]string
		want                   string // the backend's path for GET /orders/x, or the load error
	}{
		{name: "whole value", serviceURL: "{{orders-url}}", want: "/base/x"},
		{name: "part of the value", serviceURL: "{{orders-host}}/other", want: "/other/x"},
		{name: "value from the configuration file", serviceURL: "{{orders-url}}",
			conf: "namedValues:\n  - name: orders-url\n    properties: {value: '" + rb.url + "/prod'}\n", want: "/prod/x"},
		{name: "secret from the environment", serviceURL: "{{orders-hidden-url}}",
			env: map[string]string{"TOLLGATE_NAMED_VALUE_ORDERS_HIDDEN_URL": rb.url + "/SECRET-path"}, want: "/SECRET-path/x"},
		{name: "unknown named value", serviceURL: "{{nope}}",
			want: `apis/orders/apiInformation.json:1:35: unknown named value {{nope}} (define it in named values/NAME/namedValueInformation.json)`},
		{name: "secret without a value", serviceURL: "{{orders-hidden-url}}",
			want: `apis/orders/apiInformation.json:1:35: secret named value "orders-hidden-url" has no value in the folder`},
		{name: "secret that is no URL", serviceURL: "{{orders-hidden-url}}",
			env:  map[string]string{"TOLLGATE_NAMED_VALUE_ORDERS_HIDDEN_URL": secret},
			want: `apis/orders/apiInformation.json:1:35: serviceUrl "REDACTED" must be an absolute URL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "apis/orders/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "`+tc.serviceURL+`", "subscriptionRequired": false}}`)
			writeFile(t, dir, "apis/orders/specification.yaml", "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      operationId: x\n      responses: {'200': {description: ok}}\n")
			writeFile(t, dir, "named values/orders-url/namedValueInformation.json", `{"properties": {"displayName": "orders-url", "value": "`+rb.url+`/base"}}`)
			writeFile(t, dir, "named values/orders-host/namedValueInformation.json", `{"properties": {"displayName": "orders-host", "value": "`+rb.url+`"}}`)
			writeFile(t, dir, "named values/orders-hidden-url/namedValueInformation.json", `{"properties": {"displayName": "orders-hidden-url", "secret": true}}`)
			opt := gateway.LoadOptions{Getenv: func(k string) string { return tc.env[k] }}
			if tc.conf != "" {
				opt.Overrides = filepath.Join(t.TempDir(), "configuration.yaml")
				writeFile(t, filepath.Dir(opt.Overrides), filepath.Base(opt.Overrides), tc.conf)
			}
			if !strings.HasPrefix(tc.want, "/") {
				_, errs := loadDirWith(t, dir, opt)
				got := strings.Join(errs, "\n")
				if !strings.Contains(got, tc.want) || strings.Contains(got, secret) {
					t.Errorf("errors:\n%s\nwant %q, and never the secret", got, tc.want)
				}
				return
			}
			g := startGateway(t, dir, func(o *gateway.Options) { o.Overrides, o.Getenv = opt.Overrides, opt.Getenv })
			resp, body := get(t, g.url+"/orders/x", nil)
			if seen := rb.last.Load(); resp.StatusCode != 200 || seen == nil || seen.path != tc.want {
				t.Errorf("GET /orders/x: %d %q, the backend saw %+v, want the path %s", resp.StatusCode, body, seen, tc.want)
			}
		})
	}
}
