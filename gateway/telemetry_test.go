package gateway_test

import (
	"context"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// otlpReceiver is an in-process OTLP trace receiver (HTTP or gRPC).
type otlpReceiver struct {
	coltracepb.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (o *otlpReceiver) add(req *coltracepb.ExportTraceServiceRequest) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			o.spans = append(o.spans, ss.GetSpans()...)
		}
	}
}

func (o *otlpReceiver) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	o.add(req)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(data, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	o.add(&req)
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func (o *otlpReceiver) all() []*tracepb.Span {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*tracepb.Span(nil), o.spans...)
}

// startReceiver serves an OTLP receiver over protocol and points the
// standard environment variables at it.
func startReceiver(t *testing.T, protocol string) *otlpReceiver {
	o := &otlpReceiver{}
	switch protocol {
	case "http/protobuf":
		ts := httptest.NewServer(o)
		t.Cleanup(ts.Close)
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", ts.URL)
	case "grpc":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		gs := grpc.NewServer()
		coltracepb.RegisterTraceServiceServer(gs, o)
		go gs.Serve(ln)
		t.Cleanup(gs.Stop)
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+ln.Addr().String())
	}
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
	t.Setenv("OTEL_SERVICE_NAME", "tollgate-test")
	return o
}

const (
	clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	clientSpan  = "00f067aa0ba902b7"
)

func spanAttr(s *tracepb.Span, key string) string {
	for _, a := range s.GetAttributes() {
		if a.GetKey() == key {
			if v := a.GetValue().GetStringValue(); v != "" {
				return v
			}
			return a.GetValue().String()
		}
	}
	return ""
}

// Spans for a handshake, an HTTP request and their call-outs and
// backends, exported over OTLP: the client's trace continues, every hop
// gets the trace context of its own span, and a traced request has a span
// per policy step with its call-out under it.
func TestOpenTelemetry(t *testing.T) {
	for _, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(protocol, func(t *testing.T) { testOpenTelemetry(t, protocol) })
	}
}

func testOpenTelemetry(t *testing.T, protocol string) {
	recv := startReceiver(t, protocol)
	tel, err := gateway.NewTelemetry(context.Background(), os.Getenv)
	if err != nil || tel == nil {
		t.Fatalf("NewTelemetry: %v %v", tel, err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })

	type seen struct{ traceparent, tracestate, path string }
	var mu sync.Mutex
	var hops []seen
	record := func(r *http.Request) {
		mu.Lock()
		hops = append(hops, seen{r.Header.Get("Traceparent"), r.Header.Get("Tracestate"), r.URL.Path})
		mu.Unlock()
	}
	callout := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		record(r)
		w.Write([]byte(`{}`))
	})
	rest := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		record(r)
		w.Write([]byte("ok"))
	})
	ws := newWSBackend(t)
	dir := t.TempDir()
	writeFile(t, dir, "named-values.xml", `<named-values><named-value name="k" secret="true">SECRET4-otel</named-value></named-values>`)
	co := `<send-request mode="new" response-variable-name="r"><set-url>` + callout.URL + `/callout?access_token={{k}}</set-url></send-request>`
	writeAPI(t, dir, "chat", `type="websocket" path="/chat" service-url="`+ws.url+`/?key={{k}}"`, `<policies><inbound>`+co+`</inbound></policies>`)
	writeAPI(t, dir, "rest", `type="http" path="/rest" service-url="`+rest.URL+`"`, `<policies><inbound>`+co+`</inbound></policies>`)
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Telemetry = tel
		o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(),
			HTTPClient: &http.Client{Transport: tel.WrapTransport(http.DefaultTransport)}})
	})
	token, _, _ := g.srv.MintTraceToken("chat", time.Minute)
	in := http.Header{"Traceparent": {"00-" + clientTrace + "-" + clientSpan + "-01"}, "Tracestate": {"vendor=abc"}}
	withToken := in.Clone()
	withToken.Set(gateway.TraceTokenHeader, token)
	for _, h := range []http.Header{in, withToken} {
		resp, _ := upgradeRequest(t, g.url+"/chat", h)
		resp.Body.Close()
		if resp.StatusCode != 101 {
			t.Fatalf("handshake: %d", resp.StatusCode)
		}
	}
	if resp, _ := get(t, g.url+"/rest/x", in); resp.StatusCode != 200 {
		t.Fatalf("rest: %d", resp.StatusCode)
	}
	if err := tel.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// 3 + 4 (a step span) for the handshakes, 3 for the REST request.
	waitFor(t, "spans", func() bool { return len(recv.all()) >= 10 })
	spans := recv.all()
	byID := map[string]*tracepb.Span{}
	for _, s := range spans {
		byID[hex.EncodeToString(s.GetSpanId())] = s
		if tid := hex.EncodeToString(s.GetTraceId()); tid != clientTrace {
			t.Errorf("span %q in trace %s, want the client's %s", s.GetName(), tid, clientTrace)
		}
		for _, a := range s.GetAttributes() {
			if strings.Contains(a.GetValue().String(), "SECRET") {
				t.Errorf("span %q attribute %s shows a secret: %s", s.GetName(), a.GetKey(), a.GetValue())
			}
		}
	}
	parent := func(s *tracepb.Span) *tracepb.Span { return byID[hex.EncodeToString(s.GetParentSpanId())] }
	named := func(name string) []*tracepb.Span {
		var out []*tracepb.Span
		for _, s := range spans {
			if s.GetName() == name {
				out = append(out, s)
			}
		}
		return out
	}
	// Handshakes and the request continue the client's span.
	servers := append(named("WebSocket /chat"), named("GET /rest")...)
	if len(servers) != 3 {
		t.Fatalf("server spans: %d of %d spans", len(servers), len(spans))
	}
	for _, s := range servers {
		if hex.EncodeToString(s.GetParentSpanId()) != clientSpan || s.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
			t.Errorf("server span %q: parent %x kind %v", s.GetName(), s.GetParentSpanId(), s.GetKind())
		}
	}
	if st := spanAttr(named("WebSocket /chat")[0], "http.response.status_code"); st != "int_value:101" {
		t.Errorf("handshake status attribute %q", st)
	}
	// Every hop got the trace context of the client span the gateway made
	// for it, and the client's tracestate.
	mu.Lock()
	got := append([]seen(nil), hops...)
	mu.Unlock()
	ws.mu.Lock()
	for _, r := range ws.requests {
		got = append(got, seen{r.Header.Get("Traceparent"), r.Header.Get("Tracestate"), "ws backend"})
	}
	ws.mu.Unlock()
	if len(got) != 6 { // 3 call-outs, the REST backend, 2 WebSocket backends
		t.Fatalf("hops: %+v", got)
	}
	stepSpans := 0
	for _, h := range got {
		parts := strings.Split(h.traceparent, "-")
		if len(parts) != 4 || parts[1] != clientTrace || h.tracestate != "vendor=abc" {
			t.Errorf("%s got traceparent %q tracestate %q", h.path, h.traceparent, h.tracestate)
			continue
		}
		hop := byID[parts[2]]
		if hop == nil || hop.GetKind() != tracepb.Span_SPAN_KIND_CLIENT {
			t.Errorf("%s: its parent span %s is not a client span the gateway exported", h.path, parts[2])
			continue
		}
		p := parent(hop)
		if p != nil && p.GetName() == "send-request" { // a step span: the traced handshake
			stepSpans++
			if spanAttr(p, "tollgate.step.path") != "inbound/send-request[1]" || parent(p) == nil || parent(p).GetName() != "WebSocket /chat" {
				t.Errorf("step span %+v", p)
			}
			continue
		}
		if p == nil || p.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
			t.Errorf("%s: client span %q has parent %v, want the request's server span", h.path, hop.GetName(), p)
		}
		if h.path == "/callout" && !strings.HasSuffix(spanAttr(hop, "url.full"), "/callout?access_token=REDACTED") {
			t.Errorf("call-out url.full %q", spanAttr(hop, "url.full"))
		}
	}
	if stepSpans != 1 {
		t.Errorf("call-outs under a step span: %d, want 1 (the token-traced handshake)", stepSpans)
	}
	if n := len(named("WebSocket backend handshake")); n != 2 {
		t.Errorf("backend handshake spans: %d", n)
	}
}

// The standard variables turn tracing on, off, or are refused.
func TestNewTelemetryConfig(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		on   bool
		err  bool
	}{
		{"nothing set: off", nil, false, false},
		{"endpoint: on", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true, false},
		{"traces endpoint: on", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true, false},
		{"exporter otlp: on", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true, false},
		{"exporter none: off", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:1"}, false, false},
		{"sdk disabled: off", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, false, false},
		{"grpc", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, true, false},
		{"zipkin refused", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, false, true},
		{"http/json refused", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tel, err := gateway.NewTelemetry(context.Background(), func(k string) string { return c.env[k] })
			if (err != nil) != c.err || (tel != nil) != c.on {
				t.Fatalf("tel %v err %v", tel != nil, err)
			}
			tel.Shutdown(context.Background())
		})
	}
}

// A collector that accepts connections and never answers does not hold up
// requests: spans wait in the batch queue (here one span long, so most are
// dropped) and requests go on.
func TestTelemetryStuckCollector(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+silentListener(t))
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "60000") // an export would hang for a minute
	t.Setenv("OTEL_BSP_MAX_QUEUE_SIZE", "1")
	t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "1")
	tel, err := gateway.NewTelemetry(context.Background(), os.Getenv)
	if err != nil || tel == nil {
		t.Fatalf("NewTelemetry: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		tel.Shutdown(ctx) // gives up on the stuck export
	})
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	dir := t.TempDir()
	writeAPI(t, dir, "rest", `type="http" path="/rest" service-url="`+be.URL+`"`, "")
	g := startGateway(t, dir, func(o *gateway.Options) { o.Telemetry = tel })
	// testCtx bounds each request: a blocking exporter would hold the
	// first export for a minute and fail this.
	for i := range 200 {
		if resp, body := get(t, g.url+"/rest", nil); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
}
