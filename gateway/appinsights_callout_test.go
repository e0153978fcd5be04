package gateway_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"tollgate/gateway"
	"tollgate/internal/appinsights/aitest"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// calledServer is the server policies call out to: it keeps the trace
// headers of each call by path; /oneway answers only once released.
type calledServer struct {
	url     string
	mu      sync.Mutex
	seen    map[string]http.Header
	arrived chan struct{} // /oneway came
	release chan struct{} // /oneway may answer
	once    sync.Once
}

func newCalledServer(t *testing.T) *calledServer {
	c := &calledServer{seen: map[string]http.Header{}, arrived: make(chan struct{}, 1), release: make(chan struct{})}
	ts := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		c.mu.Lock()
		c.seen[r.URL.Path] = r.Header.Clone()
		c.mu.Unlock()
		switch r.URL.Path {
		case "/slow": // past the call's timeout
			<-r.Context().Done()
			return
		case "/oneway":
			c.arrived <- struct{}{}
			<-c.release
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token": "t"}`)
	})
	c.url = ts.URL
	t.Cleanup(c.free) // before the server closes: a failed test leaves no call held
	return c
}

// waitOneWay waits for the /oneway call.
func (c *calledServer) waitOneWay(t *testing.T) {
	t.Helper()
	select {
	case <-c.arrived:
	case <-time.After(testTimeout):
		t.Fatal("the one-way call did not come")
	}
}

// free lets /oneway answer.
func (c *calledServer) free() { c.once.Do(func() { close(c.release) }) }

// header is the trace header name of the call to path ("" when none came).
func (c *calledServer) header(path, name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.seen[path]; h != nil {
		return h.Get(name)
	}
	return "(no call)"
}

// refusedURL is an http URL where nothing listens.
// The port stays bound (not listening) until the test ends, so nothing
// else the test starts can take it.
func refusedURL(t *testing.T) string {
	return "http://" + testutil.ClosedPort(t)
}

const ownTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

// calloutPolicy calls out from inbound: a token endpoint with secrets in
// its query and an Authorization header, a call that sets its own
// traceparent, one that copies the client's headers, one to a refused port and one past its timeout (both
// ignored), and a one-way request.
func calloutPolicy(called, refused string) string {
	return `<policies>
  <inbound>
    <base />
    <send-request mode="new" response-variable-name="tok" timeout="20">
      <set-url>` + called + `/token?sig=SECRET-SIG&amp;code=SECRET-CODE&amp;scope=orders</set-url>
      <set-method>POST</set-method>
      <set-header name="Authorization" exists-action="override"><value>Bearer SECRET-AUTH</value></set-header>
      <set-body>grant_type=client_credentials</set-body>
    </send-request>
    <send-request mode="new" response-variable-name="own" timeout="20">
      <set-url>` + called + `/own</set-url>
      <set-header name="traceparent" exists-action="override"><value>` + ownTraceparent + `</value></set-header>
    </send-request>
    <send-request mode="copy" response-variable-name="copied" timeout="20">
      <set-url>` + called + `/copy</set-url>
    </send-request>
    <send-request mode="new" response-variable-name="down" timeout="20" ignore-error="true">
      <set-url>` + refused + `/down</set-url>
    </send-request>
    <send-request mode="new" response-variable-name="slow" timeout="1" ignore-error="true">
      <set-url>` + called + `/slow</set-url>
    </send-request>
    <send-one-way-request mode="new">
      <set-url>` + called + `/oneway?code=SECRET-CODE</set-url>
      <set-method>POST</set-method>
      <set-header name="Authorization" exists-action="override"><value>Bearer SECRET-AUTH</value></set-header>
    </send-one-way-request>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>`
}

func depNamed(items []aitest.Envelope, name string) (aitest.Envelope, bool) {
	for _, e := range aitest.Of(items, "RemoteDependencyData") {
		if e.Str("name") == name {
			return e, true
		}
	}
	return aitest.Envelope{}, false
}

// TestAppInsightsCalloutDependencies: with an applicationinsights
// diagnostic, each send-request and send-one-way-request call is a
// dependency of the request (the one-way one even when it ends after the
// request was sent), sampled as the request, its URL's secrets redacted
// and none of its headers recorded; the called server gets the operation's
// trace context with the dependency as its parent (Legacy: Request-Id
// too), unless the policy set its own traceparent; a call that got no
// answer (refused, timed out) is an unsuccessful dependency without a
// resultCode. An API without the diagnostic adds nothing to its call-outs.
func TestAppInsightsCalloutDependencies(t *testing.T) {
	const client = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, tc := range []struct {
		name        string
		correlation string
		sampling    int
		path        string // the backend answers /orders/fail with 502: sent at sampling 0 (alwaysLog allErrors)
		flags       string
	}{
		{"W3C", "W3C", 100, "/orders/42", "-01"},
		{"Legacy", "Legacy", 100, "/orders/42", "-01"},
		{"unsampled failure", "W3C", 0, "/orders/fail", "-00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/fail") {
					w.WriteHeader(http.StatusBadGateway)
				}
			})
			called := newCalledServer(t)
			refused := refusedURL(t)
			ai := aitest.New(t)
			metrics := gateway.NewMetrics()
			ls := aiLoggers(t, metrics, policies.TelemetryTuning{})
			ls.SetClient(routeTo(ai))
			diag := fmt.Sprintf(`{"properties": {"alwaysLog": "allErrors", "httpCorrelationProtocol": %q, "loggerId": "/loggers/contoso-ai",
  "sampling": {"samplingType": "fixed", "percentage": %d},
  "backend": {"request": {"headers": ["Authorization", "X-Tenant"]}, "response": {"headers": ["Content-Type"]}}}}`, tc.correlation, tc.sampling)
			dir := writeAIFolder(t, rb.url, extractedLogger, diag, calloutPolicy(called.url, refused))
			writeFile(t, dir, "apis/plain/policy.xml", `<policies><inbound><base />
  <send-request mode="new" response-variable-name="r" timeout="20"><set-url>`+called.url+`/plain</set-url></send-request>
</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`)
			g := aiGateway(t, dir, ls, metrics, constEnv(aiKey))

			if resp, _ := get(t, g.url+"/plain/1", http.Header{"Traceparent": {client}}); resp.StatusCode != 200 {
				t.Fatalf("plain: status %d", resp.StatusCode)
			}
			if tp := called.header("/plain", "Traceparent"); tp != "" {
				t.Errorf("the API without the diagnostic gave its call-out traceparent %q", tp)
			}
			get(t, g.url+tc.path, http.Header{"Traceparent": {client}, "X-Tenant": {"acme"}})
			called.waitOneWay(t) // held until the request was sent
			items := ai.WaitFor(testTimeout, "the request and its dependencies", func(it []aitest.Envelope) bool {
				return len(aitest.Of(it, "RequestData")) == 1 && len(aitest.Of(it, "RemoteDependencyData")) == 6
			})
			called.free()
			items = ai.WaitFor(testTimeout, "the one-way call's dependency, sent after the request", func(it []aitest.Envelope) bool {
				return len(aitest.Of(it, "RemoteDependencyData")) == 7
			})
			req := aitest.Of(items, "RequestData")[0]
			op, id := req.Tags["ai.operation.id"], req.Str("id")
			if op != "4bf92f3577b34da6a3ce929d0e0e4736" {
				t.Fatalf("operation %q", op)
			}
			host := strings.TrimPrefix(called.url, "http://")
			for _, want := range []struct {
				name, target, data, resultCode, success string
				path                                    string // at the called server ("": not called)
			}{
				{"POST /token", host, called.url + "/token?sig=REDACTED&code=REDACTED&scope=orders", "200", "true", "/token"},
				{"GET /own", host, called.url + "/own", "200", "true", ""},
				{"GET /copy", host, called.url + "/copy", "200", "true", ""},
				{"GET /down", strings.TrimPrefix(refused, "http://"), refused + "/down", "", "false", ""},
				{"GET /slow", host, called.url + "/slow", "", "false", "/slow"},
				{"POST /oneway", host, called.url + "/oneway?code=REDACTED", "200", "true", "/oneway"},
			} {
				dep, ok := depNamed(items, want.name)
				if !ok {
					t.Errorf("no dependency %s: %s", want.name, aitest.Summary(items))
					continue
				}
				for k, v := range map[string]string{"type": "HTTP", "target": want.target, "data": want.data, "resultCode": want.resultCode, "success": want.success} {
					if got := dep.Str(k); got != v {
						t.Errorf("%s: %s = %q, want %q", want.name, k, got, v)
					}
				}
				if dep.Tags["ai.operation.id"] != op || dep.Tags["ai.operation.parentId"] != id || dep.Prop("API Name") != "orders" || len(dep.Str("id")) != 16 {
					t.Errorf("%s: tags %v, properties %v", want.name, dep.Tags, dep.Data.BaseData["properties"])
				}
				if dep.Prop("Request-Authorization") != "" || dep.Prop("Request-X-Tenant") != "" || dep.Prop("Response-Content-Type") != "" {
					t.Errorf("%s: the backend's headers recorded on a call-out: %v", want.name, dep.Data.BaseData["properties"])
				}
				if want.path == "" {
					continue
				}
				tp, rid := called.header(want.path, "Traceparent"), called.header(want.path, "Request-Id")
				if w := "00-" + op + "-" + dep.Str("id") + tc.flags; tp != w {
					t.Errorf("%s: the called server got traceparent %q, want %q", want.name, tp, w)
				}
				wantRID := ""
				if tc.correlation == "Legacy" {
					wantRID = "|" + op + "." + dep.Str("id") + "."
				}
				if rid != wantRID {
					t.Errorf("%s: the called server got Request-Id %q, want %q", want.name, rid, wantRID)
				}
			}
			if tp, rid := called.header("/own", "Traceparent"), called.header("/own", "Request-Id"); tp != ownTraceparent || rid != "" {
				t.Errorf("the policy's own traceparent became %q (Request-Id %q)", tp, rid)
			}
			// mode="copy" copied the client's traceparent: kept as the policy's.
			if tp := called.header("/copy", "Traceparent"); tp != client {
				t.Errorf("the copied traceparent became %q", tp)
			}
			if backend, ok := depNamed(items, "GET /42"); ok && backend.Prop("Request-Authorization") != "" && backend.Prop("Request-Authorization") != "REDACTED" {
				t.Errorf("backend dependency %v", backend.Data.BaseData)
			}
			raw, _ := json.Marshal(items)
			if s := string(raw); strings.Contains(s, "SECRET") {
				t.Fatalf("a secret reached Application Insights: %s", s)
			}
		})
	}
}

// An unsampled request that succeeds sends nothing, its call-outs
// included (the one-way one that ends after it too), and its call-outs'
// traceparent says so (sampled flag 00).
func TestAppInsightsCalloutUnsampled(t *testing.T) {
	rb := newRESTBackend(t, nil)
	called := newCalledServer(t)
	called.free()
	ai := aitest.New(t)
	metrics := gateway.NewMetrics()
	ls := aiLoggers(t, metrics, policies.TelemetryTuning{})
	ls.SetClient(routeTo(ai))
	diag := `{"properties": {"alwaysLog": "allErrors", "loggerId": "/loggers/contoso-ai", "sampling": {"samplingType": "fixed", "percentage": 0}}}`
	dir := writeAIFolder(t, rb.url, extractedLogger, diag, calloutPolicy(called.url, refusedURL(t)))
	g := aiGateway(t, dir, ls, metrics, constEnv(aiKey))
	// The call-outs that failed were ignored: the request succeeds.
	if resp, _ := get(t, g.url+"/orders/1", nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	called.waitOneWay(t)
	if tp := called.header("/token", "Traceparent"); !strings.HasPrefix(tp, "00-") || !strings.HasSuffix(tp, "-00") {
		t.Errorf("traceparent %q", tp)
	}
	// A failed request after it: when its items are in, the one-way call
	// of the first (sent long before) has ended too.
	if resp, _ := get(t, g.url+"/plain/1", nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	ls.Close()
	if items := ai.Items(); len(items) != 0 {
		t.Fatalf("an unsampled request sent %s", aitest.Summary(items))
	}
}

// With OpenTelemetry on, its client span gives the call-out its trace
// context, as it does the backend's (the existing behaviour wins), and
// the call-out is still a dependency of the request's operation.
func TestAppInsightsCalloutWithOpenTelemetry(t *testing.T) {
	rb := newRESTBackend(t, nil)
	called := newCalledServer(t)
	called.free()
	ai := aitest.New(t)
	metrics := gateway.NewMetrics()
	ls := aiLoggers(t, metrics, policies.TelemetryTuning{})
	ls.SetClient(routeTo(ai))
	sr := tracetest.NewSpanRecorder()
	tel := gateway.NewTelemetryWith(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))
	callouts := policies.DefaultHTTPClient()
	callouts.Transport = tel.WrapTransport(callouts.Transport)
	policy := `<policies><inbound><base />
  <send-request mode="new" response-variable-name="r" timeout="20"><set-url>` + called.url + `/token</set-url></send-request>
</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`
	dir := writeAIFolder(t, rb.url, extractedLogger, `{"properties": {"loggerId": "/loggers/contoso-ai"}}`, policy)
	g := aiGateway(t, dir, ls, metrics, constEnv(aiKey), func(o *gateway.Options) {
		o.Telemetry = tel
		o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), Loggers: ls, Metrics: metrics, HTTPClient: callouts})
	})
	if resp, _ := get(t, g.url+"/orders/1", nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	items := ai.WaitFor(testTimeout, "the request and its dependencies", func(it []aitest.Envelope) bool {
		return len(aitest.Of(it, "RequestData")) == 1 && len(aitest.Of(it, "RemoteDependencyData")) == 2
	})
	dep, ok := depNamed(items, "GET /token")
	if !ok {
		t.Fatalf("no call-out dependency: %s", aitest.Summary(items))
	}
	var span sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		for _, a := range s.Attributes() {
			if a.Key == "url.full" && strings.HasSuffix(a.Value.AsString(), "/token") {
				span = s
			}
		}
	}
	if span == nil {
		t.Fatal("no client span of the call-out")
	}
	want := "00-" + span.SpanContext().TraceID().String() + "-" + span.SpanContext().SpanID().String() + "-01"
	if tp := called.header("/token", "Traceparent"); tp != want {
		t.Errorf("the called server got %q, want the client span's %q", tp, want)
	}
	if dep.Tags["ai.operation.id"] != span.SpanContext().TraceID().String() {
		t.Errorf("dependency operation %q, span trace %s", dep.Tags["ai.operation.id"], span.SpanContext().TraceID())
	}
}

// TestAppInsightsBackendEntityDependencies: llm-content-safety's calls to
// its Content Safety backend (the prompt's, and a streamed answer's
// window's, made while the answer is sent) and the semantic cache lookup's
// call to its embeddings backend are dependencies of the request, as
// send-request's call-outs are: named and recorded by the URL without its query (the
// backend's credentials.query stays out), the called service given the
// operation's trace context with the dependency as its parent; an
// embeddings backend that answers 500 (a cache miss, the request goes on)
// is an unsuccessful dependency with that resultCode.
func TestAppInsightsBackendEntityDependencies(t *testing.T) {
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/stream" {
			io.WriteString(w, "backend body")
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, `data: {"choices":[{"index":0,"delta":{"content":"Tulips are"}}]}`+"\n\ndata: [DONE]\n\n")
	})
	var mu sync.Mutex
	seen := map[string]bool{} // path + " " + traceparent, as received
	svc := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		seen[r.URL.Path+" "+r.Header.Get("Traceparent")] = true
		mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/embeddings") {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"blocklistsMatch":[],"categoriesAnalysis":[{"category":"Hate","severity":0}]}`)
	})
	ai := aitest.New(t)
	metrics := gateway.NewMetrics()
	ls := aiLoggers(t, metrics, policies.TelemetryTuning{})
	ls.SetClient(routeTo(ai))
	policy := `<policies><inbound><base />
  <llm-content-safety backend-id="content-safety" enforce-on-completions="true" window-size="10" window-overlap-size="5">
    <categories output-type="FourSeverityLevels"><category name="Hate" threshold="4" /></categories>
  </llm-content-safety>
  <llm-semantic-cache-lookup score-threshold="0.05" embeddings-backend-id="embeddings" />
</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`
	dir := writeAIFolder(t, rb.url, extractedLogger, `{"properties": {"loggerId": "/loggers/contoso-ai"}}`, policy)
	writeFile(t, dir, "backends/content-safety/backendInformation.json",
		`{"properties": {"url": "`+svc.URL+`/", "protocol": "http", "credentials": {"query": {"key": ["SECRET-Q"]}}}}`)
	writeFile(t, dir, "backends/embeddings/backendInformation.json",
		`{"properties": {"url": "`+svc.URL+`/openai/deployments/emb/embeddings", "protocol": "http"}}`)
	late := new(policies.LateBackends)
	g := aiGateway(t, dir, ls, metrics, constEnv(aiKey), func(o *gateway.Options) {
		o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), Loggers: ls, Metrics: metrics, Backends: late})
	})
	late.Set(g.srv)
	for _, path := range []string{"/orders/1", "/orders/stream"} {
		req, err := http.NewRequest(http.MethodGet, g.url+path, strings.NewReader(`{"messages":[{"role":"user","content":"tulips"}],"stream":true}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if resp, body := do(t, req); resp.StatusCode != 200 {
			t.Fatalf("%s: status %d %s", path, resp.StatusCode, body)
		}
	}
	// /orders/1: the prompt's check, the embeddings, the backend; the
	// stream besides its window's check as it was sent.
	all := ai.WaitFor(testTimeout, "the requests and their dependencies", func(it []aitest.Envelope) bool {
		return len(aitest.Of(it, "RequestData")) == 2 && len(aitest.Of(it, "RemoteDependencyData")) >= 7
	})
	stream := byPath(all, "RequestData", "/orders/stream")[0]
	checks := 0
	for _, dep := range childrenOf(all, "RemoteDependencyData", stream.Str("id")) {
		if dep.Str("name") == "POST /contentsafety/text:analyze" && dep.Str("success") == "true" {
			checks++
		}
	}
	if checks < 2 {
		t.Errorf("the stream's request has %d Content Safety dependencies, want the prompt's and its window's: %s", checks, aitest.Summary(all))
	}
	first := byPath(all, "RequestData", "/orders/1")[0]
	op, id := first.Tags["ai.operation.id"], first.Str("id")
	items := childrenOf(all, "RemoteDependencyData", id)
	if len(items) != 3 {
		t.Errorf("/orders/1 has %d dependencies, want 3: %s", len(items), aitest.Summary(all))
	}
	host := strings.TrimPrefix(svc.URL, "http://")
	for _, want := range []struct{ name, path, resultCode, success string }{
		{"POST /contentsafety/text:analyze", "/contentsafety/text:analyze", "200", "true"},
		{"POST /openai/deployments/emb/embeddings", "/openai/deployments/emb/embeddings", "500", "false"},
	} {
		dep, ok := depNamed(items, want.name)
		if !ok {
			t.Errorf("no dependency %s: %s", want.name, aitest.Summary(items))
			continue
		}
		for k, v := range map[string]string{"type": "HTTP", "target": host, "data": svc.URL + want.path, "resultCode": want.resultCode, "success": want.success} {
			if got := dep.Str(k); got != v {
				t.Errorf("%s: %s = %q, want %q", want.name, k, got, v)
			}
		}
		if dep.Tags["ai.operation.id"] != op || dep.Tags["ai.operation.parentId"] != id {
			t.Errorf("%s: tags %v", want.name, dep.Tags)
		}
		w := "00-" + op + "-" + dep.Str("id") + "-01"
		mu.Lock()
		ok = seen[want.path+" "+w]
		mu.Unlock()
		if !ok {
			t.Errorf("%s: the called service did not get traceparent %q: %v", want.name, w, seen)
		}
	}
	raw, _ := json.Marshal(all)
	if s := string(raw); strings.Contains(s, "SECRET") {
		t.Fatalf("a secret reached Application Insights: %s", s)
	}
}

// TestTraceInWaitBranch: a trace policy's message inside a <wait> branch
// is the request's as any other: an Application Insights trace item of the
// request and an event of its server span.
func TestTraceInWaitBranch(t *testing.T) {
	rb := newRESTBackend(t, nil)
	ai := aitest.New(t)
	metrics := gateway.NewMetrics()
	ls := aiLoggers(t, metrics, policies.TelemetryTuning{})
	ls.SetClient(routeTo(ai))
	sr := tracetest.NewSpanRecorder()
	tel := gateway.NewTelemetryWith(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))
	policy := `<policies><inbound><base />
  <wait for="all">
    <choose><when condition="@(true)">
      <trace source="branch" severity="information"><message>in a branch</message><metadata name="k" value="v" /></trace>
    </when></choose>
    <choose><when condition="@(true)"><set-variable name="x" value="1" /></when></choose>
  </wait>
</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`
	dir := writeAIFolder(t, rb.url, extractedLogger, `{"properties": {"loggerId": "/loggers/contoso-ai"}}`, policy)
	g := aiGateway(t, dir, ls, metrics, constEnv(aiKey), func(o *gateway.Options) { o.Telemetry = tel })
	if resp, _ := get(t, g.url+"/orders/1", nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	items := ai.WaitFor(testTimeout, "the request and its trace", func(it []aitest.Envelope) bool {
		return len(aitest.Of(it, "RequestData")) == 1 && len(aitest.Of(it, "MessageData")) == 1
	})
	msgs := childrenOf(items, "MessageData", aitest.Of(items, "RequestData")[0].Str("id"))
	if len(msgs) != 1 || msgs[0].Str("message") != "in a branch" || msgs[0].Prop("Source") != "branch" || msgs[0].Prop("k") != "v" {
		t.Errorf("trace items %+v", msgs)
	}
	events := 0
	for _, s := range sr.Ended() {
		for _, e := range s.Events() {
			if e.Name == "trace" && s.SpanKind() == trace.SpanKindServer {
				events++
			}
		}
	}
	if events != 1 {
		t.Errorf("%d trace events on the server span, want 1", events)
	}
}
