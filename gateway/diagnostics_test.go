package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coder/websocket"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// apimCreateDiagnostic is the request body of APIM's documented example
// ApiManagementCreateDiagnostic (REST API "Diagnostic - Create Or
// Update"), as written.
const apimCreateDiagnostic = `{
  "properties": {
    "alwaysLog": "allErrors",
    "loggerId": "/loggers/azuremonitor",
    "sampling": {
      "samplingType": "fixed",
      "percentage": 50
    },
    "frontend": {
      "request": {
        "headers": [
          "Content-type"
        ],
        "body": {
          "bytes": 512
        }
      },
      "response": {
        "headers": [
          "Content-type"
        ],
        "body": {
          "bytes": 512
        }
      }
    },
    "backend": {
      "request": {
        "headers": [
          "Content-type"
        ],
        "body": {
          "bytes": 512
        }
      },
      "response": {
        "headers": [
          "Content-type"
        ],
        "body": {
          "bytes": 512
        }
      }
    }
  }
}
`

// apimCreateAPIDiagnostic is ApiManagementCreateApiDiagnostic's body (an
// API's applicationinsights diagnostic), as written.
var apimCreateAPIDiagnostic = strings.Replace(apimCreateDiagnostic, `"/loggers/azuremonitor"`, `"/loggers/applicationinsights"`, 1)

// apiopsAPI writes apis/NAME/apiInformation.json for an open http API at
// /NAME.
func apiopsAPI(t testing.TB, dir, name, serviceURL, policy string) {
	t.Helper()
	writeFile(t, dir, "apis/"+name+"/apiInformation.json",
		fmt.Sprintf(`{"properties": {"path": %q, "serviceUrl": %q, "subscriptionRequired": false}}`, name, serviceURL))
	if policy != "" {
		writeFile(t, dir, "apis/"+name+"/policy.xml", policy)
	}
}

func loadDir(t *testing.T, dir string) (*gateway.Snapshot, []string) {
	t.Helper()
	return loadDirWith(t, dir, gateway.LoadOptions{Getenv: func(string) string { return "" }})
}

func loadDirWith(t *testing.T, dir string, opts gateway.LoadOptions) (*gateway.Snapshot, []string) {
	t.Helper()
	snap, errs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}), opts)
	var out []string
	for _, e := range errs {
		out = append(out, strings.ReplaceAll(e.Error(), dir+string(filepath.Separator), ""))
	}
	return snap, out
}

// TestDiagnosticsLoad: what each diagnosticInformation.json is reported
// as (the errors of broken ones: testdata/resource-errors/diagnostics).
func TestDiagnosticsLoad(t *testing.T) {
	const svc, api = "diagnostics/azuremonitor/diagnosticInformation.json", "apis/orders/diagnostics/applicationinsights/diagnosticInformation.json"
	// What the load says of APIM's documented API example as the API's
	// applicationinsights.
	apiExampleNotices := []string{
		api + ":3:5: ignored: alwaysLog of diagnostic applicationinsights of API orders (a request's spans start before its outcome is known: sampling decides)",
		api + ":4:5: ignored: loggerId of diagnostic applicationinsights of API orders (no applicationInsights logger applicationinsights in loggers/: nothing is sent to Application Insights, the diagnostic applies to the OpenTelemetry traces)",
		api + ":14:9: ignored: frontend.request.body of diagnostic applicationinsights (bodies are never recorded in spans)",
		api + ":22:9: ignored: frontend.response.body of diagnostic applicationinsights (bodies are never recorded in spans)",
		api + ":32:9: ignored: backend.request.body of diagnostic applicationinsights (bodies are never recorded in spans)",
		api + ":40:9: ignored: backend.response.body of diagnostic applicationinsights (bodies are never recorded in spans)",
	}
	tests := []struct {
		name    string
		files   map[string]string
		config  string   // a configuration file (configuration.yaml, beside the folder)
		notices []string // exactly the diagnostics' notices
		errors  []string
	}{
		{
			name:  "APIM's documented example as azuremonitor",
			files: map[string]string{svc: apimCreateDiagnostic},
			notices: []string{
				svc + ":4:5: ignored: loggerId of diagnostic azuremonitor (tollgate writes its own log and exports traces over OTLP)",
			},
		},
		{
			name:    "APIM's documented API example as applicationinsights",
			files:   map[string]string{api: apimCreateAPIDiagnostic},
			notices: apiExampleNotices,
		},
		{
			name: "Azure-only fields and diagnostics",
			files: map[string]string{
				svc: `{"properties": {"operationNameFormat": "Name", "metrics": true, "largeLanguageModel": {"logs": "enabled"},
 "verbosity": "error", "httpCorrelationProtocol": "W3C", "loggerId": null}}`,
				"diagnostics/local/diagnosticInformation.json":               `{"properties": {}}`,
				"diagnostics/applicationinsights/diagnosticInformation.json": `{"properties": {"httpCorrelationProtocol": "Legacy", "backend": {"response": {"dataMasking": {"queryParams": [{"value": "k", "mode": "Hide"}]}}}}}`,
			},
			notices: []string{
				"diagnostics/applicationinsights/diagnosticInformation.json:1:17: ignored: httpCorrelationProtocol Legacy of diagnostic applicationinsights (tollgate reads and sends W3C trace context, as with W3C)",
				"diagnostics/applicationinsights/diagnosticInformation.json:1:95: ignored: backend.response.dataMasking.queryParams of diagnostic applicationinsights (the frontend request's URL is the one logged)",
				svc + ":1:17: ignored: operationNameFormat of diagnostic azuremonitor (Azure only)",
				svc + ":1:48: ignored: metrics of diagnostic azuremonitor (Azure only)",
				svc + ":1:65: ignored: largeLanguageModel of diagnostic azuremonitor (Azure only)",
				svc + ":2:2: ignored: verbosity of diagnostic azuremonitor (it applies to applicationinsights)",
				svc + ":2:24: ignored: httpCorrelationProtocol of diagnostic azuremonitor (it applies to applicationinsights)",
				svc + ":2:58: ignored: loggerId of diagnostic azuremonitor (tollgate writes its own log and exports traces over OTLP)",
				"diagnostics/local/diagnosticInformation.json: ignored: diagnostic local (tollgate applies azuremonitor and applicationinsights)",
			},
		},
		{
			name:   "a wrong value",
			files:  map[string]string{api: `{"properties": {"sampling": {"samplingType": "fixed", "percentage": -1}}}`},
			errors: []string{api + ":1:69: diagnostic applicationinsights of API orders: sampling.percentage must be a number from 0 to 100, not -1"},
		},
		{
			name:  "samplingType as APIM also hands it back",
			files: map[string]string{svc: `{"properties": {"sampling": {"samplingType": "Fixed", "percentage": 100}}}`},
		},
		{
			name:   "a property given twice",
			files:  map[string]string{svc: `{"properties": {"logClientIp": true, "logClientIp": false}}`},
			errors: []string{svc + ":1:38: diagnostic azuremonitor: property logClientIp is given twice"},
		},
		{
			name:  "the configuration file's diagnostics section overrides the service's",
			files: map[string]string{svc: apimCreateDiagnostic, api: apimCreateAPIDiagnostic},
			config: `diagnostics:
  - name: AzureMonitor
    properties:
      loggerId: /loggers/prod
  - name: applicationinsights
    properties: {sampling: {percentage: 5}}
apis:
  - name: orders
    diagnostics:
      - name: applicationinsights
        properties: {sampling: {percentage: 7}}
`,
			notices: append([]string{
				"configuration.yaml:9:5: ignored: apis orders diagnostics (APIOps' publisher overrides the service's diagnostics, not an API's)",
				"configuration.yaml:4:7: ignored: loggerId of diagnostic azuremonitor (tollgate writes its own log and exports traces over OTLP)",
				"configuration.yaml:5:5: ignored: diagnostics applicationinsights (the folder has no diagnostics/applicationinsights/diagnosticInformation.json to override)",
			}, apiExampleNotices...),
		},
		{
			name:   "an override's wrong value is reported in the configuration file",
			files:  map[string]string{svc: apimCreateDiagnostic},
			config: "diagnostics:\n  - name: azuremonitor\n    properties:\n      frontend: {request: {headers: [\"Bad Header\"]}}\n",
			errors: []string{`configuration.yaml:4:38: diagnostic azuremonitor: frontend.request.headers[0]: "Bad Header" is not a header name`},
		},
		{
			name:   "no properties",
			files:  map[string]string{svc: `{"name": "azuremonitor"}`},
			errors: []string{svc + ":1:1: diagnostic azuremonitor: a diagnostic needs its \"properties\" object"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			apiopsAPI(t, dir, "orders", "http://127.0.0.1:9/", "")
			for rel, content := range tc.files {
				writeFile(t, dir, rel, content)
			}
			opts := gateway.LoadOptions{Getenv: func(string) string { return "" }}
			if tc.config != "" {
				writeFile(t, dir, "configuration.yaml", tc.config)
				opts.Overrides = filepath.Join(dir, "configuration.yaml")
			}
			snap, errs := loadDirWith(t, dir, opts)
			if strings.Join(errs, "\n") != strings.Join(tc.errors, "\n") {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(tc.errors, "\n"))
			}
			if snap == nil {
				return
			}
			var notes []string
			for _, n := range snap.Notices {
				if strings.Contains(n, "diagnostic") {
					notes = append(notes, strings.ReplaceAll(n, dir+string(filepath.Separator), ""))
				}
			}
			if strings.Join(notes, "\n") != strings.Join(tc.notices, "\n") {
				t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(tc.notices, "\n"))
			}
		})
	}
}

// requestLines returns the "request" lines of API api.
func requestLines(g *testGateway, api string) []observer.LoggedEntry {
	var out []observer.LoggedEntry
	for _, e := range g.logsNamed("request") {
		if e.ContextMap()["api"] == api {
			out = append(out, e)
		}
	}
	return out
}

func fieldOf(e observer.LoggedEntry, key string) string {
	v, ok := e.ContextMap()[key]
	if !ok {
		return "(none)"
	}
	return fmt.Sprint(v)
}

// TestDiagnosticsRequestLine: the azuremonitor diagnostic's line for a
// REST call, field by field: headers as listed and masked, query
// parameters masked, bodies only where they were in memory.
func TestDiagnosticsRequestLine(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	reads := `<policies><inbound>
  <set-variable name="b" value="@(context.Request.Body.As<string>(preserveContent: true))"/>
  <set-header name="X-Added" exists-action="override"><value>yes</value></set-header>
</inbound><backend><forward-request/></backend><outbound>
  <set-variable name="r" value="@(context.Response.Body.As<string>(preserveContent: true))"/>
  <set-header name="X-Backend" exists-action="override"><value>changed</value></set-header>
</outbound></policies>`
	apiopsAPI(t, dir, "orders", rb.url, reads)
	apiopsAPI(t, dir, "plain", rb.url, "")
	writeFile(t, dir, "diagnostics/azuremonitor/diagnosticInformation.json", `{"properties": {
  "alwaysLog": "allErrors", "logClientIp": true, "sampling": {"samplingType": "fixed", "percentage": 100},
  "frontend": {
    "request": {"headers": ["content-type", "X-Tenant", "X-Hidden"], "body": {"bytes": 5},
      "dataMasking": {"headers": [{"value": "X-Tenant", "mode": "Mask"}, {"value": "X-Hidden", "mode": "Hide"}],
                      "queryParams": [{"value": "account", "mode": "Mask"}, {"value": "drop", "mode": "Hide"}]}},
    "response": {"headers": ["X-Backend", "Content-Type"], "body": {"bytes": 7}}},
  "backend": {"request": {"headers": ["X-Added"]}, "response": {"headers": ["X-Backend"], "body": {"bytes": 7}}}}}`)
	g := startGateway(t, dir)

	type want map[string]string
	tests := []struct {
		name, api string
		want      want
	}{
		{"a policy read both bodies", "orders", want{
			"method": "POST", "path": "/orders/x", "query": "account=***&sig=REDACTED", "status": "200", "backend_status": "200",
			"client_ip":                 "127.0.0.1",
			"frontend_request_headers":  "map[Content-Type:text/plain X-Tenant:***]",
			"backend_request_headers":   "map[X-Added:yes]",
			"backend_response_headers":  "map[X-Backend:yes]", // before outbound changed it
			"frontend_response_headers": "map[Content-Type:text/plain X-Backend:changed]",
			"frontend_request_body":     "hello", "backend_response_body": "backend", "frontend_response_body": "backend",
			"error_reason": "(none)",
		}},
		{"bodies that stream through are not logged", "plain", want{
			"path": "/plain/x", "status": "200", "backend_status": "200",
			"frontend_request_body": "(none)", "backend_response_body": "(none)", "frontend_response_body": "(none)",
			"backend_request_headers": "(none)", "frontend_response_headers": "map[Content-Type:text/plain X-Backend:yes]",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, g.url+"/"+tc.api+"/x?account=42&drop=1&sig=abc", strings.NewReader("hello world"))
			req.Header.Set("Content-Type", "text/plain")
			req.Header.Set("X-Tenant", "acme")
			req.Header.Set("X-Hidden", "h")
			if resp, body := do(t, req); resp.StatusCode != 200 || body != "backend body" {
				t.Fatalf("%d %q", resp.StatusCode, body)
			}
			lines := requestLines(g, tc.api)
			if len(lines) != 1 {
				t.Fatalf("%d request lines", len(lines))
			}
			e := lines[0]
			if e.Level != zap.InfoLevel || fieldOf(e, "request_id") == "(none)" || fieldOf(e, "duration") == "(none)" {
				t.Errorf("line %v %v", e.Level, e.ContextMap())
			}
			for k, v := range tc.want {
				if got := fieldOf(e, k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestDiagnosticsSecretsNeverLogged: credentials and secret named values
// are masked even when the diagnostic lists them (the gateway's cleanup
// fails on any SECRET in a log line), in headers, the query, bodies and
// span attributes.
func TestDiagnosticsSecretsNeverLogged(t *testing.T) {
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Header.Get("X-Backend-Key"))
		w.Header().Set("Set-Cookie", "sid=cookie-SECRET-9")
		w.Write([]byte("echo " + r.Header.Get("X-Backend-Key")))
	})
	dir := t.TempDir()
	writeFile(t, dir, "named values/backend-key/namedValueInformation.json", `{"properties": {"displayName": "backend-key", "secret": true}}`)
	apiopsAPI(t, dir, "orders", rb.url, `<policies><inbound>
  <set-variable name="b" value="@(context.Request.Body.As<string>(preserveContent: true))"/>
  <set-header name="X-Backend-Key" exists-action="override"><value>{{backend-key}}</value></set-header>
</inbound><backend><forward-request/></backend><outbound>
  <set-variable name="r" value="@(context.Response.Body.As<string>(preserveContent: true))"/>
</outbound></policies>`)
	all := `{"headers": ["Authorization", "Proxy-Authorization", "Cookie", "Ocp-Apim-Subscription-Key", "X-Api-Key", "X-Custom", "X-Backend-Key", "X-Echo", "Set-Cookie"], "body": {"bytes": 8192}}`
	writeFile(t, dir, "diagnostics/azuremonitor/diagnosticInformation.json",
		`{"properties": {"frontend": {"request": `+all+`, "response": `+all+`}, "backend": {"request": `+all+`, "response": `+all+`}}}`)
	writeFile(t, dir, "diagnostics/applicationinsights/diagnosticInformation.json",
		`{"properties": {"frontend": {"request": `+strings.Replace(all, `, "body": {"bytes": 8192}`, "", 1)+`}, "backend": {"request": `+strings.Replace(all, `, "body": {"bytes": 8192}`, "", 1)+`}}}`)
	sr := tracetest.NewSpanRecorder()
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Getenv = func(k string) string {
			if k == "TOLLGATE_NAMED_VALUE_BACKEND_KEY" {
				return "nv-SECRET-value"
			}
			return ""
		}
		o.Telemetry = gateway.NewTelemetryWith(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))
	})
	req, _ := http.NewRequest(http.MethodPost, g.url+"/orders/x?subscription-key=sub-SECRET-3&code=code-SECRET-4&ok=1",
		strings.NewReader("token=tok-SECRET-1 and nv-SECRET-value"))
	req.Header.Set("Authorization", "Bearer tok-SECRET-1")
	req.Header.Set("Proxy-Authorization", "Basic cHJveHk6U0VDUkVU-SECRET")
	req.Header.Set("Cookie", "session=ck-SECRET-2")
	req.Header.Set("Ocp-Apim-Subscription-Key", "sub-SECRET-3")
	req.Header.Set("X-Api-Key", "key-SECRET-5")
	req.Header.Set("X-Custom", "carries tok-SECRET-1")
	if resp, _ := do(t, req); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	lines := requestLines(g, "orders")
	if len(lines) != 1 {
		t.Fatalf("%d request lines", len(lines))
	}
	e := lines[0]
	for k, v := range map[string]string{
		"query":                     "subscription-key=REDACTED&code=REDACTED&ok=1",
		"frontend_request_headers":  "map[Authorization:REDACTED Cookie:REDACTED Ocp-Apim-Subscription-Key:REDACTED Proxy-Authorization:REDACTED X-Api-Key:REDACTED X-Custom:carries REDACTED]",
		"frontend_request_body":     "token=REDACTED and REDACTED",
		"backend_request_headers":   "map[Authorization:REDACTED Cookie:REDACTED Ocp-Apim-Subscription-Key:REDACTED X-Api-Key:REDACTED X-Backend-Key:REDACTED X-Custom:carries REDACTED]",
		"backend_response_headers":  "map[Set-Cookie:REDACTED X-Echo:REDACTED]",
		"frontend_response_headers": "map[Set-Cookie:REDACTED X-Echo:REDACTED]",
		"frontend_response_body":    "echo REDACTED",
	} {
		if got := fieldOf(e, k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	waitFor(t, "the spans", func() bool { return len(sr.Ended()) >= 2 })
	for _, s := range sr.Ended() {
		for _, a := range s.Attributes() {
			noSecretIn(t, "span "+s.Name()+" attribute "+string(a.Key), a.Value.Emit())
		}
	}
}

// TestDiagnosticsSamplingZero: with sampling 0 nothing is logged, except
// failures when alwaysLog is allErrors; an API's own diagnostic replaces
// the service's.
func TestDiagnosticsSamplingZero(t *testing.T) {
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/fail") {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	})
	dir := t.TempDir()
	apiopsAPI(t, dir, "errors", rb.url, "")
	apiopsAPI(t, dir, "quiet", rb.url, "")
	writeFile(t, dir, "apis/keyed/apiInformation.json", `{"properties": {"path": "keyed", "serviceUrl": "`+rb.url+`"}}`)
	writeFile(t, dir, "diagnostics/azuremonitor/diagnosticInformation.json",
		`{"properties": {"alwaysLog": "allErrors", "sampling": {"samplingType": "fixed", "percentage": 0}}}`)
	// quiet's own replaces the service's whole: no alwaysLog.
	writeFile(t, dir, "apis/quiet/diagnostics/azuremonitor/diagnosticInformation.json",
		`{"properties": {"sampling": {"samplingType": "fixed", "percentage": 0}}}`)
	g := startGateway(t, dir)
	tests := []struct {
		path   string
		status int
		want   string // the line's status, backend_status and error_reason; "" for no line
	}{
		{"/errors/ok", 200, ""},
		{"/errors/fail", 503, "503 503 (none)"},
		{"/quiet/ok", 200, ""},
		{"/quiet/fail", 503, ""},
		{"/keyed/ok", 401, "401 (none) SubscriptionKeyNotFound"}, // refused before any policy
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			before := len(g.logsNamed("request"))
			if resp, _ := get(t, g.url+tc.path, nil); resp.StatusCode != tc.status {
				t.Fatalf("status %d", resp.StatusCode)
			}
			lines := g.logsNamed("request")[before:]
			switch {
			case tc.want == "" && len(lines) != 0:
				t.Fatalf("logged: %v", lines[0].ContextMap())
			case tc.want == "":
			case len(lines) != 1:
				t.Fatalf("%d lines", len(lines))
			default:
				e := lines[0]
				if got := fieldOf(e, "status") + " " + fieldOf(e, "backend_status") + " " + fieldOf(e, "error_reason"); got != tc.want {
					t.Errorf("got %q, want %q", got, tc.want)
				}
			}
		})
	}
}

// TestDiagnosticsSampling: APIM's documented example (sampling 50,
// alwaysLog allErrors) logs some of many successful calls, not all of
// them, and every failed one.
func TestDiagnosticsSampling(t *testing.T) {
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/fail") {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	dir := t.TempDir()
	apiopsAPI(t, dir, "orders", rb.url, "")
	writeFile(t, dir, "diagnostics/azuremonitor/diagnosticInformation.json", apimCreateDiagnostic)
	g := startGateway(t, dir)
	const n = 64 // all or none of them: 2 in 2^64
	for range n {
		get(t, g.url+"/orders/ok", nil)
	}
	if got := len(requestLines(g, "orders")); got == 0 || got == n {
		t.Errorf("%d of %d calls logged at 50%%", got, n)
	}
	for range 8 {
		before := len(requestLines(g, "orders"))
		get(t, g.url+"/orders/fail", nil)
		if len(requestLines(g, "orders")) != before+1 {
			t.Fatal("a failed call was not logged")
		}
	}
}

// TestDiagnosticsHandshake: a WebSocket API's handshake line gets the
// azuremonitor diagnostic's fields.
func TestDiagnosticsHandshake(t *testing.T) {
	wsb := newWSBackend(t)
	dir := t.TempDir()
	writeFile(t, dir, "apis/chat/apiInformation.json", `{"properties": {"path": "chat", "type": "websocket", "serviceUrl": "`+wsb.url+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/chat/diagnostics/azuremonitor/diagnosticInformation.json",
		`{"properties": {"sampling": {"percentage": 0}, "frontend": {"request": {"headers": ["X-Tenant", "Authorization"]}}}}`)
	g := startGateway(t, dir)
	c := dial(t, g.ws+"/chat", &websocket.DialOptions{HTTPHeader: http.Header{"X-Tenant": {"acme"}, "Authorization": {"Bearer hs-SECRET"}}})
	c.CloseNow()
	waitFor(t, "the handshake line", func() bool { return len(g.logsNamed("handshake")) > 0 })
	e := g.logsNamed("handshake")[0]
	if got := fieldOf(e, "frontend_request_headers"); got != "map[Authorization:REDACTED X-Tenant:acme]" {
		t.Errorf("frontend_request_headers %q", got)
	}
	if n := len(g.logsNamed("request")); n != 0 {
		t.Errorf("%d request lines for a handshake", n)
	}
}

// TestDiagnosticsReload: the watcher picks up new, changed and removed
// diagnostics, at the service level and in an API's folder.
func TestDiagnosticsReload(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	apiopsAPI(t, dir, "orders", rb.url, "")
	g := startGateway(t, dir)
	w, err := gateway.Watch(testCtx(t), g.srv, dir, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	logged := func() bool {
		before := len(requestLines(g, "orders"))
		get(t, g.url+"/orders/x", nil)
		return len(requestLines(g, "orders")) > before
	}
	if logged() {
		t.Fatal("logged without a diagnostic")
	}
	writeFile(t, dir, "diagnostics/azuremonitor/diagnosticInformation.json", `{"properties": {"sampling": {"percentage": 100}}}`)
	waitFor(t, "the service-level diagnostic", logged)
	own := filepath.Join(dir, "apis", "orders", "diagnostics")
	writeFile(t, own, "azuremonitor/diagnosticInformation.json", `{"properties": {"sampling": {"percentage": 0}}}`)
	waitFor(t, "the API's own diagnostic", func() bool { return !logged() })
	if err := os.RemoveAll(own); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the API's diagnostic removed", logged)
}

// TestDiagnosticsInsights: the applicationinsights diagnostic applied to
// the OpenTelemetry spans: sampling, header attributes, the trace
// policy's messages of the verbosity as events, and the correlation
// protocol.
func TestDiagnosticsInsights(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	traces := `<policies><inbound>
  <trace source="t" severity="verbose"><message>v</message></trace>
  <trace source="t" severity="information"><message>i</message><metadata name="k" value="x"/></trace>
  <trace source="t" severity="error"><message>e</message></trace>
</inbound><backend><forward-request/></backend></policies>`
	apiopsAPI(t, dir, "traced", rb.url, traces)
	apiopsAPI(t, dir, "untraced", rb.url, traces)
	apiopsAPI(t, dir, "plain", rb.url, "")
	writeFile(t, dir, "apis/traced/diagnostics/applicationinsights/diagnosticInformation.json", `{"properties": {
  "verbosity": "information", "httpCorrelationProtocol": "None", "sampling": {"samplingType": "fixed", "percentage": 100},
  "frontend": {"request": {"headers": ["X-Tenant", "Authorization"]}, "response": {"headers": ["X-Backend"]}},
  "backend": {"request": {"headers": ["X-Tenant"]}, "response": {"headers": ["Content-Type"]}}}}`)
	writeFile(t, dir, "apis/untraced/diagnostics/applicationinsights/diagnosticInformation.json",
		`{"properties": {"sampling": {"samplingType": "fixed", "percentage": 0}}}`)
	sr := tracetest.NewSpanRecorder()
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Telemetry = gateway.NewTelemetryWith(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))
	})
	client := http.Header{"Traceparent": {"00-" + clientTrace + "-" + clientSpan + "-01"}, "X-Tenant": {"acme"}, "Authorization": {"Bearer x"}}
	call := func(api string) []sdktrace.ReadOnlySpan {
		before := len(sr.Ended())
		if resp, _ := get(t, g.url+"/"+api+"/x", client); resp.StatusCode != 200 {
			t.Fatalf("%s: %d", api, resp.StatusCode)
		}
		if api == "untraced" {
			return nil
		}
		waitFor(t, "two spans", func() bool { return len(sr.Ended()) >= before+2 })
		return sr.Ended()[before:]
	}
	attrs := func(s sdktrace.ReadOnlySpan) map[string]string {
		m := map[string]string{}
		for _, a := range s.Attributes() {
			m[string(a.Key)] = a.Value.Emit()
		}
		return m
	}

	t.Run("sampled, no correlation", func(t *testing.T) {
		spans := call("traced")
		var server, backend sdktrace.ReadOnlySpan
		for _, s := range spans {
			if attrs(s)["tollgate.api"] == "traced" {
				server = s
			} else {
				backend = s
			}
		}
		if server == nil || backend == nil {
			t.Fatalf("spans %v", spans)
		}
		a := attrs(server)
		for k, v := range map[string]string{
			"http.request.header.x-tenant":      `["acme"]`,
			"http.request.header.authorization": `["REDACTED"]`,
			"http.response.header.x-backend":    `["yes"]`,
		} {
			if a[k] != v {
				t.Errorf("%s = %q, want %q", k, a[k], v)
			}
		}
		if _, ok := a["client.address"]; ok {
			t.Error("client.address without logClientIp")
		}
		if server.Parent().TraceID().String() == clientTrace {
			t.Error("None continued the client's trace")
		}
		b := attrs(backend)
		if b["http.request.header.x-tenant"] != `["acme"]` || b["http.response.header.content-type"] != `["text/plain"]` {
			t.Errorf("backend span %v", b)
		}
		var events []string
		for _, e := range server.Events() {
			ev := e.Name
			for _, a := range e.Attributes {
				ev += " " + string(a.Key) + "=" + a.Value.Emit()
			}
			events = append(events, ev)
		}
		want := []string{
			"trace tollgate.trace.source=t tollgate.trace.severity=information tollgate.trace.message=i tollgate.trace.metadata.k=x",
			"trace tollgate.trace.source=t tollgate.trace.severity=error tollgate.trace.message=e",
		}
		if strings.Join(events, "\n") != strings.Join(want, "\n") {
			t.Errorf("events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
		}
		if tp := rb.last.Load().header.Get("Traceparent"); tp != "" {
			t.Errorf("the backend got traceparent %q with None", tp)
		}
	})
	t.Run("not sampled: no spans", func(t *testing.T) {
		before := len(sr.Ended())
		call("untraced")
		if tp := rb.last.Load().header.Get("Traceparent"); tp != client.Get("Traceparent") {
			t.Errorf("the backend got traceparent %q: want the client's, untouched", tp)
		}
		call("plain") // its two spans end after any the untraced call could have had
		if spans := sr.Ended()[before:]; len(spans) != 2 {
			t.Errorf("%d spans, want plain's 2", len(spans))
		}
	})
	t.Run("no diagnostic: as without", func(t *testing.T) {
		spans := call("plain")
		tp := rb.last.Load().header.Get("Traceparent")
		if !strings.Contains(tp, clientTrace) || tp == client.Get("Traceparent") {
			t.Errorf("backend traceparent %q", tp)
		}
		for _, s := range spans {
			if len(s.Events()) != 0 {
				t.Errorf("events without a diagnostic: %v", s.Events())
			}
		}
	})
}
