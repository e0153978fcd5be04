package gateway_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/engine"
	"tollgate/gateway"
	"tollgate/internal/appinsights/aitest"
	"tollgate/policies"
	"tollgate/store"
)

// aiKey is the instrumentation key of the tests' Application Insights
// resource.
const aiKey = "6e6f0c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6"

// routeTo is a client that sends every request to srv, whatever its host
// (the ingestion endpoint an instrumentation key alone names is Azure's).
func routeTo(srv *aitest.Server) *http.Client {
	u, _ := url.Parse(srv.URL)
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = u.Scheme, u.Host, u.Host
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// aiLoggers is a set of loggers that send at once, counting in metrics
// and logging to log (nil: nowhere).
func aiLoggers(t *testing.T, metrics *gateway.Metrics, tune policies.TelemetryTuning, log ...*zap.Logger) *policies.Loggers {
	t.Helper()
	var lg *zap.Logger
	if len(log) > 0 {
		lg = log[0]
	}
	ls, err := policies.NewLoggers(metrics, lg)
	if err != nil {
		t.Fatal(err)
	}
	if tune.BatchDelay == 0 {
		tune.BatchDelay = 5 * time.Millisecond
	}
	ls.TuneTelemetry(tune)
	t.Cleanup(ls.Close)
	return ls
}

// aiGateway starts a gateway on dir whose loggers are ls, with the
// logger credentials' named value from getenv.
func aiGateway(t *testing.T, dir string, ls *policies.Loggers, metrics *gateway.Metrics, getenv func(string) string, more ...gwOption) *testGateway {
	t.Helper()
	opts := append([]gwOption{func(o *gateway.Options) {
		o.Loggers = ls
		o.Metrics = metrics
		o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), Loggers: ls, Metrics: metrics})
		o.Deployment = &engine.Deployment{ServiceName: "contoso-apim", Region: "West Europe"}
		o.Getenv = getenv
	}}, more...)
	return startGateway(t, dir, opts...)
}

// extractedLogger is an applicationInsights logger as APIM's extractor
// writes it: its key in a secret named value APIM made
// (Logger-Credentials--…), which the extractor cannot export.
const extractedLogger = `{
  "properties": {
    "loggerType": "applicationInsights",
    "description": "contoso-ai",
    "resourceId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/microsoft.insights/components/contoso-ai",
    "credentials": {
      "instrumentationKey": "{{Logger-Credentials--64d0b3f5a1d2e70e5c5d3a4b}}"
    },
    "isBuffered": true
  }
}`

// extractedDiagnostic is an API's applicationinsights diagnostic as the
// extractor writes it, naming the logger by its resource id.
const extractedDiagnostic = `{
  "properties": {
    "alwaysLog": "allErrors",
    "httpCorrelationProtocol": "W3C",
    "logClientIp": true,
    "loggerId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ApiManagement/service/contoso/loggers/contoso-ai",
    "metrics": true,
    "sampling": {
      "percentage": 100,
      "samplingType": "fixed"
    },
    "verbosity": "information",
    "frontend": {
      "request": {"headers": ["X-Tenant"], "body": {"bytes": 0}},
      "response": {"headers": ["Content-Type"], "body": {"bytes": 0}}
    },
    "backend": {
      "request": {"headers": ["X-Tenant"], "body": {"bytes": 0}},
      "response": {"headers": ["Content-Type"], "body": {"bytes": 0}}
    }
  }
}`

// writeAIFolder writes an APIOps folder: the API orders (revision 3, an
// operation per OpenAPI) with an applicationinsights diagnostic naming
// the contoso-ai logger, and the API plain without one.
func writeAIFolder(t *testing.T, backendURL, logger, diagnostic, policy string) string {
	dir := t.TempDir()
	writeFile(t, dir, "apis/orders/apiInformation.json", `{"properties": {"displayName": "Orders", "path": "orders", "serviceUrl": "`+backendURL+`",
  "subscriptionRequired": false, "apiRevision": "3", "isCurrent": true, "protocols": ["https"]}}`)
	writeFile(t, dir, "apis/orders/specification.yaml", `openapi: 3.0.1
info: {title: Orders, version: "1"}
paths:
  /{id}:
    get:
      operationId: get-order
      summary: Get an order
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`)
	if policy != "" {
		writeFile(t, dir, "apis/orders/policy.xml", policy)
	}
	writeFile(t, dir, "apis/orders/diagnostics/applicationinsights/diagnosticInformation.json", diagnostic)
	writeFile(t, dir, "apis/plain/apiInformation.json", `{"properties": {"path": "plain", "serviceUrl": "`+backendURL+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "named values/Logger-Credentials--64d0b3f5a1d2e70e5c5d3a4b/namedValueInformation.json",
		`{"properties": {"displayName": "Logger-Credentials--64d0b3f5a1d2e70e5c5d3a4b", "secret": true}}`)
	writeFile(t, dir, "loggers/contoso-ai/loggerInformation.json", logger)
	return dir
}

// credentialsEnv gives the logger credentials' named value.
func credentialsEnv(v *atomic.Value) func(string) string {
	return func(k string) string {
		if k == "TOLLGATE_NAMED_VALUE_LOGGER_CREDENTIALS__64D0B3F5A1D2E70E5C5D3A4B" {
			return v.Load().(string)
		}
		return ""
	}
}

func constEnv(s string) func(string) string {
	var v atomic.Value
	v.Store(s)
	return credentialsEnv(&v)
}

func byPath(items []aitest.Envelope, t, suffix string) []aitest.Envelope {
	var out []aitest.Envelope
	for _, e := range aitest.Of(items, t) {
		if strings.HasSuffix(e.Str("url"), suffix) {
			out = append(out, e)
		}
	}
	return out
}

func childrenOf(items []aitest.Envelope, t, parent string) []aitest.Envelope {
	var out []aitest.Envelope
	for _, e := range aitest.Of(items, t) {
		if e.Tags["ai.operation.parentId"] == parent {
			out = append(out, e)
		}
	}
	return out
}

const aiPolicy = `<policies>
  <inbound>
    <base />
    <trace source="orders" severity="information">
      <message>@("order " + context.Request.MatchedParameters["id"])</message>
      <metadata name="tenant" value="@(context.Request.Headers.GetValueOrDefault("X-Tenant", ""))" />
    </trace>
    <trace source="orders" severity="verbose"><message>too chatty</message></trace>
    <emit-metric name="Orders" value="1" namespace="contoso">
      <dimension name="API ID" />
      <dimension name="Tenant" value="@(context.Request.Headers.GetValueOrDefault("X-Tenant", "none"))" />
    </emit-metric>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>`

// An APIOps folder with a logger and a diagnostic exactly as APIM's
// extractor writes them: each request of the API is sent to Application
// Insights as APIM's documentation lists (a request, a dependency for
// the backend call, an exception when it failed, the trace policy's
// messages of the diagnostic's verbosity, emit-metric's values as custom
// metrics), with the client's W3C trace context; an API without the
// diagnostic sends nothing.
func TestAppInsightsAPIOpsFolder(t *testing.T) {
	var sent sync.Map // path -> the traceparent the backend got
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		sent.Store(r.URL.Path, r.Header.Get("Traceparent")+" "+r.Header.Get("Request-Id"))
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/fail") {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		io.WriteString(w, `{"id": 42}`)
	})
	ai := aitest.New(t)
	metrics := gateway.NewMetrics()
	ls := aiLoggers(t, metrics, policies.TelemetryTuning{})
	ls.SetClient(routeTo(ai))
	dir := writeAIFolder(t, rb.url, extractedLogger, extractedDiagnostic, aiPolicy)
	g := aiGateway(t, dir, ls, metrics, constEnv(aiKey))
	if n := strings.Join(g.srv.Current().Notices, "\n"); strings.Contains(n, "contoso-ai") || strings.Contains(n, "loggerId") || strings.Contains(n, "metrics") {
		t.Fatalf("the logger or the diagnostic reported as ignored:\n%s", n)
	}
	h := http.Header{"X-Tenant": {"acme"}, "Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	if resp, _ := get(t, g.url+"/orders/42", h); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if resp, _ := get(t, g.url+"/orders/fail", http.Header{"X-Tenant": {"acme"}}); resp.StatusCode != 503 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if resp, _ := get(t, g.url+"/plain/1", nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	items := ai.WaitFor(testTimeout, "both requests' items", func(it []aitest.Envelope) bool {
		return len(aitest.Of(it, "RequestData")) == 2 && len(aitest.Of(it, "RemoteDependencyData")) == 2 &&
			len(aitest.Of(it, "MessageData")) == 2 && len(aitest.Of(it, "ExceptionData")) == 1
	})
	for _, e := range items {
		if e.IKey != aiKey || e.Tags["ai.cloud.role"] != "contoso-apim" || e.Prop("API Name") != "orders" {
			t.Fatalf("%s: iKey %s, tags %v, API Name %q", e.Data.BaseType, e.IKey, e.Tags, e.Prop("API Name"))
		}
	}
	req := byPath(items, "RequestData", "/orders/42")[0]
	for k, want := range map[string]string{"name": "GET /orders/42", "responseCode": "200", "success": "true", "url": g.url + "/orders/42"} {
		if got := req.Str(k); got != want {
			t.Errorf("request %s = %q, want %q", k, got, want)
		}
	}
	for k, want := range map[string]string{"ai.operation.id": "4bf92f3577b34da6a3ce929d0e0e4736", "ai.operation.parentId": "00f067aa0ba902b7",
		"ai.operation.name": "orders;rev=3 - get-order", "ai.location.ip": "127.0.0.1"} {
		if got := req.Tags[k]; got != want {
			t.Errorf("request tag %s = %q, want %q", k, got, want)
		}
	}
	for k, want := range map[string]string{"API Revision": "3", "API Type": "http", "Service ID": "contoso-apim", "Region": "West Europe",
		"Service Name": "127.0.0.1", "HTTP Method": "GET", "Request-X-Tenant": "acme", "Response-Content-Type": "application/json"} {
		if got := req.Prop(k); got != want {
			t.Errorf("request property %s = %q, want %q", k, got, want)
		}
	}
	if req.Prop("Operation Name") == "" || req.Prop("Request Id") == "" || len(req.Str("id")) != 16 {
		t.Errorf("request %v", req.Data.BaseData)
	}
	id := req.Str("id")
	deps := childrenOf(items, "RemoteDependencyData", id)
	if len(deps) != 1 {
		t.Fatalf("%d dependencies of the request", len(deps))
	}
	dep := deps[0]
	backendHost := strings.TrimPrefix(rb.url, "http://")
	for k, want := range map[string]string{"name": "GET /42", "resultCode": "200", "success": "true", "target": backendHost,
		"type": "HTTP", "data": rb.url + "/42"} {
		if got := dep.Str(k); got != want {
			t.Errorf("dependency %s = %q, want %q", k, got, want)
		}
	}
	// The backend got the operation's trace context, its parent the
	// dependency (W3C: no Request-Id), so its own telemetry joins it.
	if tp, _ := sent.Load("/42"); tp != "00-4bf92f3577b34da6a3ce929d0e0e4736-"+dep.Str("id")+"-01 " {
		t.Errorf("the backend got traceparent and Request-Id %q; want the dependency %s's", tp, dep.Str("id"))
	}
	if tp, _ := sent.Load("/1"); tp != " " {
		t.Errorf("the API without the diagnostic sent %q", tp)
	}
	if dep.Prop("Request-X-Tenant") != "acme" || dep.Prop("Response-Content-Type") != "application/json" ||
		dep.Tags["ai.operation.id"] != "4bf92f3577b34da6a3ce929d0e0e4736" || dep.Tags["ai.location.ip"] != "" {
		t.Errorf("dependency %v %v", dep.Tags, dep.Data.BaseData)
	}
	msgs := childrenOf(items, "MessageData", id)
	if len(msgs) != 1 || msgs[0].Str("message") != "order 42" || msgs[0].Str("severityLevel") != "1" ||
		msgs[0].Prop("tenant") != "acme" || msgs[0].Prop("Source") != "orders" {
		t.Fatalf("trace items %+v", msgs)
	}
	failed := byPath(items, "RequestData", "/orders/fail")[0]
	if failed.Str("responseCode") != "503" || failed.Str("success") != "false" {
		t.Fatalf("failed request %v", failed.Data.BaseData)
	}
	exc := childrenOf(items, "ExceptionData", failed.Str("id"))
	if len(exc) != 1 {
		t.Fatalf("%d exceptions of the failed request", len(exc))
	}
	ex := exc[0].Data.BaseData["exceptions"].([]any)[0].(map[string]any)
	if ex["typeName"] != "ResponseStatusCode" || ex["message"] != "the gateway answered 503 Service Unavailable" {
		t.Fatalf("exception %v", ex)
	}
	// Metrics are aggregated: they go out at the interval's end, or when
	// the logger stops.
	ls.Close()
	got := aitest.Of(ai.Items(), "MetricData")
	if len(got) != 1 {
		t.Fatalf("%d metric items", len(got))
	}
	m := got[0]
	pt := m.Data.BaseData["metrics"].([]any)[0].(map[string]any)
	if pt["name"] != "Orders" || pt["ns"] != "contoso" || pt["count"].(json.Number).String() != "2" ||
		m.Prop("API ID") != "orders" || m.Prop("Tenant") != "acme" || m.Prop("Service ID") != "contoso-apim" {
		t.Fatalf("metric %v %v", pt, m.Data.BaseData["properties"])
	}
	for _, e := range ai.Items() {
		if e.Prop("API Name") == "plain" || strings.Contains(e.Str("url"), "/plain/") {
			t.Fatalf("the API without the diagnostic sent %s", e.Data.BaseType)
		}
	}
}

// An ingestion endpoint that holds every POST never holds a request: the
// requests complete while it is blocked, and what does not fit in the
// logger's queue is dropped and counted in tollgate_logger_dropped_total.
func TestAppInsightsEndpointBlocked(t *testing.T) {
	rb := newRESTBackend(t, nil)
	ai := aitest.New(t)
	block := make(chan struct{})
	ai.Default = aitest.Answer{Block: block}
	metrics := gateway.NewMetrics()
	ls := aiLoggers(t, metrics, policies.TelemetryTuning{Queue: 2, Timeout: time.Hour})
	ls.SetClient(routeTo(ai))
	dir := writeAIFolder(t, rb.url, extractedLogger, extractedDiagnostic, "")
	g := aiGateway(t, dir, ls, metrics, constEnv(aiKey))
	if resp, _ := get(t, g.url+"/orders/1", nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	ai.WaitFor(testTimeout, "the first POST (held)", func(it []aitest.Envelope) bool { return len(it) > 0 })
	// The logger's worker is held by the endpoint: these complete anyway.
	for i := range 5 {
		if resp, _ := get(t, g.url+"/orders/"+string(rune('2'+i)), nil); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	select {
	case <-block:
		t.Fatal("the endpoint was released")
	default: // still blocked: the requests did not wait for it
	}
	text := g.metricsText(t)
	line := grepLines(text, `tollgate_logger_dropped_total{logger="contoso-ai"}`)
	var n float64
	if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(line, `tollgate_logger_dropped_total{logger="contoso-ai"}`)), &n); err != nil || n < 8 {
		t.Fatalf("dropped: %q\n%s", line, grepLines(text, "tollgate_logger"))
	}
	close(block)
}

// A reload keeps an unchanged logger and what it has queued, whatever
// else changed; a logger whose credentials change is a new one, and the
// old one sends what it has queued before it stops.
func TestAppInsightsReload(t *testing.T) {
	rb := newRESTBackend(t, nil)
	a, b := aitest.New(t), aitest.New(t)
	metrics := gateway.NewMetrics()
	ls := aiLoggers(t, metrics, policies.TelemetryTuning{Timeout: time.Hour})
	var creds atomic.Value
	creds.Store(a.ConnectionString(aiKey))
	logger := strings.Replace(extractedLogger, `"instrumentationKey"`, `"connectionString"`, 1)
	diag := strings.Replace(extractedDiagnostic, `"request": {"headers": ["X-Tenant"]`, `"request": {"headers": []`, 1)
	dir := writeAIFolder(t, rb.url, logger, diag, "")
	g := aiGateway(t, dir, ls, metrics, credentialsEnv(&creds))
	hdr := http.Header{"X-Tenant": {"acme"}}
	call := func(path string) {
		t.Helper()
		if resp, _ := get(t, g.url+path, hdr); resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", path, resp.StatusCode)
		}
	}
	requests := func(s *aitest.Server, paths ...string) func([]aitest.Envelope) bool {
		return func(it []aitest.Envelope) bool {
			for _, p := range paths {
				if len(byPath(it, "RequestData", p)) == 0 {
					return false
				}
			}
			return true
		}
	}
	// 1 is held by the endpoint, 2 waits in the queue; the diagnostic
	// changes (the frontend request's X-Tenant header is listed now).
	b1 := make(chan struct{})
	a.Answer(aitest.Answer{Block: b1})
	call("/orders/1")
	a.WaitFor(testTimeout, "request 1", requests(a, "/orders/1"))
	call("/orders/2")
	writeFile(t, dir, "apis/orders/diagnostics/applicationinsights/diagnosticInformation.json", extractedDiagnostic)
	if st := g.srv.Reload("test"); st.Result != gateway.ReloadSuccess {
		t.Fatalf("reload: %+v", st)
	}
	close(b1)
	call("/orders/3")
	// and their backend dependencies: a later batch carrying one would
	// take the next answer, which blocks, and hold request 4 behind it
	items := a.WaitFor(testTimeout, "requests 2 and 3 and their dependencies", func(it []aitest.Envelope) bool {
		if !requests(a, "/orders/2", "/orders/3")(it) {
			return false
		}
		deps := 0
		for _, d := range aitest.Of(it, "RemoteDependencyData") {
			if n := d.Str("name"); n == "GET /2" || n == "GET /3" {
				deps++
			}
		}
		return deps == 2
	})
	if byPath(items, "RequestData", "/orders/2")[0].Prop("Request-X-Tenant") != "" || byPath(items, "RequestData", "/orders/3")[0].Prop("Request-X-Tenant") != "acme" {
		t.Fatal("the changed diagnostic does not apply to the request after the reload (or applies before)")
	}
	// The logger's credentials change: 4 is held by the old endpoint, 5
	// waits in the old logger's queue; 6 goes to the new one.
	b2 := make(chan struct{})
	a.Answer(aitest.Answer{Block: b2})
	call("/orders/4")
	a.WaitFor(testTimeout, "request 4", requests(a, "/orders/4"))
	call("/orders/5")
	creds.Store(b.ConnectionString(aiKey))
	if st := g.srv.Reload("test"); st.Result != gateway.ReloadSuccess {
		t.Fatalf("reload: %+v", st)
	}
	call("/orders/6")
	b.WaitFor(testTimeout, "request 6 at the new endpoint", requests(b, "/orders/6"))
	close(b2)
	a.WaitFor(testTimeout, "request 5, flushed by the removed logger", requests(a, "/orders/5"))
	if len(byPath(a.Items(), "RequestData", "/orders/6")) != 0 || len(byPath(b.Items(), "RequestData", "/orders/5")) != 0 {
		t.Fatal("a request went to the other logger")
	}
}

// A WebSocket handshake is a request (101 when upgraded) with its backend
// handshake as a dependency; with OpenTelemetry on, its items carry the
// server span's trace and span ids.
func TestAppInsightsWebSocketHandshake(t *testing.T) {
	wb := newWSBackend(t)
	ai := aitest.New(t)
	metrics := gateway.NewMetrics()
	ls := aiLoggers(t, metrics, policies.TelemetryTuning{})
	dir := t.TempDir()
	writeAPI(t, dir, "chat", `type="websocket" path="/chat" service-url="`+wb.url+`"`, "")
	writeFile(t, dir, "loggers/contoso-ai/loggerInformation.json", `{"properties": {"loggerType": "applicationInsights",
  "credentials": {"connectionString": "`+ai.ConnectionString(aiKey)+`"}}}`)
	writeFile(t, dir, "diagnostics/applicationinsights/diagnosticInformation.json", `{"properties": {"loggerId": "/loggers/contoso-ai"}}`)
	sr := tracetest.NewSpanRecorder()
	g := aiGateway(t, dir, ls, metrics, constEnv(""), func(o *gateway.Options) {
		o.Telemetry = gateway.NewTelemetryWith(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))
	})
	c := dial(t, g.ws+"/chat", nil)
	mustWrite(t, c, "hello")
	if got := mustRead(t, c); got != "hello" {
		t.Fatal(got)
	}
	c.Close(websocket.StatusNormalClosure, "")
	items := ai.WaitFor(testTimeout, "the handshake's request and dependency", func(it []aitest.Envelope) bool {
		return len(aitest.Of(it, "RequestData")) == 1 && len(aitest.Of(it, "RemoteDependencyData")) == 1
	})
	req, dep := aitest.Of(items, "RequestData")[0], aitest.Of(items, "RemoteDependencyData")[0]
	if req.Str("name") != "GET /chat" || req.Str("responseCode") != "101" || req.Str("success") != "true" || req.Str("url") != g.ws+"/chat" ||
		req.Prop("API Type") != "websocket" {
		t.Fatalf("request %v", req.Data.BaseData)
	}
	if dep.Str("resultCode") != "101" || dep.Tags["ai.operation.parentId"] != req.Str("id") || dep.Str("data") != wb.url+"/" && dep.Str("data") != wb.url {
		t.Fatalf("dependency %v %v", dep.Tags, dep.Data.BaseData)
	}
	var server sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		if s.Name() == "WebSocket /chat" {
			server = s
		}
	}
	if server == nil {
		t.Fatal("no server span")
	}
	if req.Tags["ai.operation.id"] != server.SpanContext().TraceID().String() || req.Str("id") != server.SpanContext().SpanID().String() {
		t.Fatalf("request ids %s/%s, span %s/%s", req.Tags["ai.operation.id"], req.Str("id"), server.SpanContext().TraceID(), server.SpanContext().SpanID())
	}
}

// With an identityClientId, telemetry is sent with a Microsoft Entra ID
// token of that identity for https://monitor.azure.com//.default.
func TestAppInsightsManagedIdentity(t *testing.T) {
	rb := newRESTBackend(t, nil)
	ai := aitest.New(t)
	var mu sync.Mutex
	var scopes []string
	tokens := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		scopes = append(scopes, r.Form.Get("scope"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token": "entra-token-1", "expires_in": 3600, "token_type": "Bearer"}`)
	})
	metrics := gateway.NewMetrics()
	ls := aiLoggers(t, metrics, policies.TelemetryTuning{})
	logger := `{"properties": {"loggerType": "applicationInsights", "credentials": {
  "connectionString": "{{Logger-Credentials--64d0b3f5a1d2e70e5c5d3a4b}}", "identityClientId": "SystemAssigned"}}}`
	dir := writeAIFolder(t, rb.url, logger, extractedDiagnostic, "")
	g := aiGateway(t, dir, ls, metrics, constEnv(ai.ConnectionString(aiKey)), func(o *gateway.Options) {
		o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), Loggers: ls, Metrics: metrics,
			Identities: map[string]policies.Identity{"": {TokenURL: tokens.URL, ClientID: "gw", ClientSecret: "s"}}})
	})
	if resp, _ := get(t, g.url+"/orders/1", nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	ai.WaitFor(testTimeout, "the request", func(it []aitest.Envelope) bool { return len(aitest.Of(it, "RequestData")) == 1 })
	for _, r := range ai.Requests() {
		if r.Authorization != "Bearer entra-token-1" {
			t.Fatalf("Authorization %q", r.Authorization)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(scopes) == 0 || scopes[0] != "https://monitor.azure.com//.default" {
		t.Fatalf("scopes %q", scopes)
	}
}

// The instrumentation key and the connection string never reach a log
// line, an error, an admin endpoint or check's output: not when the
// endpoint echoes the key, not when a bad connection string fails the
// load.
func TestAppInsightsSecretsNeverShown(t *testing.T) {
	rb := newRESTBackend(t, nil)
	ai := aitest.New(t)
	ai.Answer(aitest.Answer{Items: map[int]int{0: 400, 1: 400}, Message: "Invalid instrumentation key " + aiKey})
	metrics := gateway.NewMetrics()
	core, loggerLogs := observer.New(zapcore.DebugLevel)
	ls := aiLoggers(t, metrics, policies.TelemetryTuning{}, zap.New(core))
	// Written out in the file (not a named value), with a SECRET part.
	logger := `{"properties": {"loggerType": "applicationInsights", "credentials": {
  "connectionString": "` + ai.ConnectionString(aiKey) + `;ApplicationId=app-SECRET-1"}}}`
	dir := writeAIFolder(t, rb.url, logger, extractedDiagnostic, "")
	g := aiGateway(t, dir, ls, metrics, constEnv(""))
	if resp, _ := get(t, g.url+"/orders/1", nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	waitFor(t, "the refusal logged", func() bool {
		return loggerLogs.FilterMessage("application insights: the ingestion endpoint did not take telemetry").Len() > 0
	})
	// A connection string that fails the load, with the key in it.
	writeFile(t, dir, "loggers/contoso-ai/loggerInformation.json", strings.Replace(logger, ai.URL, "ftp://dc.example", 1))
	st := g.srv.Reload("test")
	if st.Result != gateway.ReloadFailure || !strings.Contains(strings.Join(st.Errors, "\n"), "IngestionEndpoint is not an http(s) URL") {
		t.Fatalf("reload %+v", st)
	}
	_, check := loadDir(t, dir)
	shown := []string{strings.Join(st.Errors, "\n"), strings.Join(check, "\n"), strings.Join(g.srv.Current().Notices, "\n")}
	for _, path := range []string{"/status/reload", "/metrics", "/readyz"} {
		_, body := get(t, g.adminURL()+path, nil)
		shown = append(shown, body)
	}
	for _, e := range append(g.logs.All(), loggerLogs.All()...) {
		line := e.Message
		for k, v := range e.ContextMap() {
			line += " " + k + "=" + fmt.Sprint(v)
		}
		shown = append(shown, line)
	}
	for _, text := range shown {
		if strings.Contains(strings.ToLower(text), aiKey) || strings.Contains(text, "SECRET") {
			t.Fatalf("the key reached: %s", text)
		}
	}
}

// Sampling 0 with alwaysLog allErrors: only failed requests are sent,
// each with all its items; httpCorrelationProtocol None starts a new
// operation whatever the client's traceparent.
func TestAppInsightsAlwaysLogErrors(t *testing.T) {
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/fail") {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	ai := aitest.New(t)
	metrics := gateway.NewMetrics()
	ls := aiLoggers(t, metrics, policies.TelemetryTuning{})
	ls.SetClient(routeTo(ai))
	diag := `{"properties": {"alwaysLog": "allErrors", "httpCorrelationProtocol": "None", "loggerId": "/loggers/contoso-ai",
  "sampling": {"samplingType": "fixed", "percentage": 0}}}`
	dir := writeAIFolder(t, rb.url, extractedLogger, diag, "")
	g := aiGateway(t, dir, ls, metrics, constEnv(aiKey))
	h := http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	for _, p := range []string{"/orders/1", "/orders/fail", "/orders/2"} {
		get(t, g.url+p, h)
	}
	ls.Close() // sends what is queued
	items := ai.Items()
	reqs := aitest.Of(items, "RequestData")
	if len(reqs) != 1 || !strings.HasSuffix(reqs[0].Str("url"), "/orders/fail") || reqs[0].Str("responseCode") != "502" {
		t.Fatalf("requests sent: %s", aitest.Summary(items))
	}
	if len(childrenOf(items, "RemoteDependencyData", reqs[0].Str("id"))) != 1 || len(childrenOf(items, "ExceptionData", reqs[0].Str("id"))) != 1 {
		t.Fatalf("the failed request's items: %s", aitest.Summary(items))
	}
	if op := reqs[0].Tags["ai.operation.id"]; op == "4bf92f3577b34da6a3ce929d0e0e4736" || reqs[0].Tags["ai.operation.parentId"] != "" {
		t.Fatalf("httpCorrelationProtocol None continued the client's trace: %v", reqs[0].Tags)
	}
}

// TestAppInsightsBackendTraceContext: with Application Insights alone (no
// OpenTelemetry), the backend request carries the request's operation and
// the backend call's dependency id as its parent (W3C traceparent; Legacy
// adds Request-Id), so the backend's telemetry joins the operation; None
// adds nothing (a client's traceparent passes as any header).
func TestAppInsightsBackendTraceContext(t *testing.T) {
	const client = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, tc := range []struct {
		correlation string
		sampling    int
		want        func(op, dep string) string // traceparent|Request-Id
	}{
		{"W3C", 100, func(op, dep string) string { return "00-" + op + "-" + dep + "-01|" }},
		{"W3C", 0, func(op, dep string) string { return "00-" + op + "-" + dep + "-00|" }}, // sent only because it failed
		{"Legacy", 100, func(op, dep string) string { return "00-" + op + "-" + dep + "-01||" + op + "." + dep + "." }},
		{"None", 100, func(string, string) string { return client + "|" }},
	} {
		t.Run(fmt.Sprintf("%s %d%%", tc.correlation, tc.sampling), func(t *testing.T) {
			var got atomic.Value
			rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
				got.Store(r.Header.Get("Traceparent") + "|" + r.Header.Get("Request-Id"))
				w.WriteHeader(http.StatusBadGateway) // a failure: sent with alwaysLog allErrors at any sampling
			})
			ai := aitest.New(t)
			metrics := gateway.NewMetrics()
			ls := aiLoggers(t, metrics, policies.TelemetryTuning{})
			ls.SetClient(routeTo(ai))
			diag := fmt.Sprintf(`{"properties": {"alwaysLog": "allErrors", "httpCorrelationProtocol": %q, "loggerId": "/loggers/contoso-ai",
  "sampling": {"samplingType": "fixed", "percentage": %d}}}`, tc.correlation, tc.sampling)
			dir := writeAIFolder(t, rb.url, extractedLogger, diag, "")
			g := aiGateway(t, dir, ls, metrics, constEnv(aiKey))
			get(t, g.url+"/orders/1", http.Header{"Traceparent": {client}})
			items := ai.WaitFor(testTimeout, "the request and its dependency", func(it []aitest.Envelope) bool {
				return len(aitest.Of(it, "RequestData")) == 1 && len(aitest.Of(it, "RemoteDependencyData")) == 1
			})
			dep := aitest.Of(items, "RemoteDependencyData")[0]
			want := tc.want(dep.Tags["ai.operation.id"], dep.Str("id"))
			if s, _ := got.Load().(string); s != want {
				t.Errorf("the backend got %q, want %q", s, want)
			}
		})
	}
}

// TestAppInsightsLoggersFile: an appinsights logger of the loggers file
// (tollgate serve --loggers) is what an applicationinsights diagnostic's
// loggerId names, as an APIOps logger would be; with the id of the
// folder's logger it replaces it (a local ingestion endpoint while
// developing), the folder's reported as ignored.
func TestAppInsightsLoggersFile(t *testing.T) {
	rb := newRESTBackend(t, nil)
	ai := aitest.New(t)
	metrics := gateway.NewMetrics()
	path := t.TempDir() + "/loggers.xml"
	writeFile(t, filepath.Dir(path), "loggers.xml", `<loggers>
  <logger id="contoso-ai" type="appinsights" connection-string="`+ai.ConnectionString(aiKey)+`" buffer="100"/>
</loggers>`)
	ls, err := policies.LoadLoggers(path, metrics, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ls.Close)
	dir := writeAIFolder(t, rb.url, extractedLogger, extractedDiagnostic, "")
	g := aiGateway(t, dir, ls, metrics, constEnv(""))
	notes := strings.Join(g.srv.Current().Notices, "\n")
	if !strings.Contains(notes, "ignored: logger contoso-ai (the loggers file declares it too, and that one is used)") {
		t.Errorf("notices:\n%s", notes)
	}
	if resp, _ := get(t, g.url+"/orders/7", nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	ls.Close() // sends what is queued
	reqs := aitest.Of(ai.Items(), "RequestData")
	if len(reqs) != 1 || reqs[0].IKey != aiKey || reqs[0].Str("name") != "GET /orders/7" {
		t.Fatalf("requests sent: %s", aitest.Summary(ai.Items()))
	}
}
