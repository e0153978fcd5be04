package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"tollgate/engine"
	"tollgate/gateway/wsproxy"
	"tollgate/policies"
)

// OpenTelemetry tracing, off by default. With it on, every handshake and
// HTTP request gets a server span, continuing the client's W3C trace
// context (traceparent, tracestate); the backend and every call-out
// (send-request, through the transport WrapTransport returns) get a client
// span and the trace context of it in their request headers; a request
// traced step by step (a trace token, or trace="true") gets a span per
// policy step too, and its call-outs hang under their step. Spans go out
// over OTLP through the SDK's batch processor: a bounded queue that drops
// spans when full, so exporting never blocks a request. Span attributes
// carry URLs with secret query values redacted and secret named values
// masked, as the logs do.

// Telemetry is the gateway's OpenTelemetry setup. A nil *Telemetry is off:
// every method does nothing.
type Telemetry struct {
	tp       trace.TracerProvider
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
	shutdown func(context.Context) error
	flush    func(context.Context) error
	srv      atomic.Pointer[Server] // for masking secrets, once bound
}

const instrumentation = "tollgate/gateway"

// NewTelemetry makes the tracing setup the standard OpenTelemetry
// environment variables ask for, or nil when they ask for none: tracing is
// on with OTEL_TRACES_EXPORTER=otlp, or when it is unset and
// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set;
// OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off.
// OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL picks grpc or http/protobuf (the
// default); the exporter reads its endpoint, headers, timeout and TLS
// settings, the SDK its sampler (OTEL_TRACES_SAMPLER) and batch queue
// (OTEL_BSP_*), and the resource OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES, from the environment as the specification says.
func NewTelemetry(ctx context.Context, getenv func(string) string) (*Telemetry, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return nil, nil
	}
	switch exp := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exp {
	case "none":
		return nil, nil
	case "otlp":
	case "":
		if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
			return nil, nil
		}
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: tollgate exports traces over otlp (or none)", exp)
	}
	proto := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var exporter sdktrace.SpanExporter
	var err error
	switch proto {
	case "", "http/protobuf":
		exporter, err = otlptracehttp.New(ctx)
	case "grpc":
		exporter, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: use grpc or http/protobuf", proto)
	}
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry exporter: %w", err)
	}
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", "tollgate")),
		resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithHost())
	if err != nil && res == nil {
		return nil, fmt.Errorf("OpenTelemetry resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	t := NewTelemetryWith(tp)
	t.shutdown, t.flush = tp.Shutdown, tp.ForceFlush
	return t, nil
}

// NewTelemetryWith traces through tp (a test's, or one set up elsewhere)
// with the W3C trace context propagator.
func NewTelemetryWith(tp trace.TracerProvider) *Telemetry {
	return &Telemetry{tp: tp, tracer: tp.Tracer(instrumentation),
		prop: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}
}

// Shutdown flushes the spans still queued (within ctx) and stops exporting.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil || t.shutdown == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// Flush exports the spans queued so far.
func (t *Telemetry) Flush(ctx context.Context) error {
	if t == nil || t.flush == nil {
		return nil
	}
	return t.flush(ctx)
}

// bind lets the telemetry mask the served configuration's secrets.
func (t *Telemetry) bind(s *Server) {
	if t != nil {
		t.srv.Store(s)
	}
}

// mask redacts a URL's secret query values and masks secret named values.
func (t *Telemetry) maskURL(u string) string {
	u = engine.RedactURL(u)
	if s := t.srv.Load(); s != nil {
		u = maskAll(u, s.secretValues())
	}
	return u
}

// startRequest starts the server span of a handshake or request, as a
// child of the client's trace context, and returns what to serve with and
// a function ending the span.
//
// An API with an applicationinsights diagnostic (diagnostics.go, d not
// nil) changes that: a request its sampling did not pick gets no span at
// all (nor its backend call and call-outs); one it picked records the
// listed headers as http.request.header.* / http.response.header.*
// attributes, client.address only with logClientIp, and with
// httpCorrelationProtocol None does not continue the client's trace.
func (t *Telemetry) startRequest(w http.ResponseWriter, r *http.Request, api *API, d *diagRequest) (http.ResponseWriter, *http.Request, func()) {
	ai := d.insights()
	if ai != nil && !d.traced {
		return w, r.WithContext(context.WithValue(r.Context(), diagKey{}, d)), func() {}
	}
	ctx := r.Context()
	if ai == nil || ai.correlation != "None" {
		ctx = t.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
	}
	name := r.Method + " " + api.Path
	if api.servesWebSocket(r) {
		name = "WebSocket " + api.Path
	}
	attrs := []attribute.KeyValue{
		attribute.String("tollgate.api", api.Name),
		attribute.String("http.request.method", r.Method),
		attribute.String("url.path", t.maskURL(r.URL.Path)),
		attribute.String("http.route", api.Path),
	}
	if ai == nil || ai.logClientIP {
		attrs = append(attrs, attribute.String("client.address", clientIP(r)))
	}
	if ai != nil {
		attrs = append(attrs, d.headerAttrs("http.request.header.", r.Header, &ai.frontReq)...)
	}
	if api.A2A != nil {
		attrs = append(attrs, api.A2A.spanAttrs(api, r)...) // gen_ai.agent.* (a2a.go)
	}
	ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	var rpc *rpcSniffer
	if api.A2A != nil && span.IsRecording() {
		rpc = sniffJSONRPC(r) // rpc.method from the body as the proxy reads it
	}
	if ai != nil {
		d.span = span
		ctx = context.WithValue(ctx, diagKey{}, d)
		if d.app != nil && span.IsRecording() { // Application Insights items of the same operation
			d.app.adoptSpan(span.SpanContext())
		}
	}
	sw := &spanWriter{ResponseWriter: w}
	return sw, r.WithContext(ctx), func() {
		status := sw.status
		if status == 0 && sw.hijacked {
			status = http.StatusSwitchingProtocols
		}
		if status != 0 {
			span.SetAttributes(attribute.Int("http.response.status_code", status))
		}
		if ai != nil && len(ai.frontResp.headers) > 0 {
			span.SetAttributes(d.headerAttrs("http.response.header.", sw.Header(), &ai.frontResp)...)
		}
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
		if rpc != nil {
			rpc.record(span)
		}
		span.End()
	}
}

// stepHook wraps each traced policy step in a span.
func (t *Telemetry) stepHook(ctx context.Context, c *engine.Compiled) (context.Context, func(error)) {
	ctx, span := t.tracer.Start(ctx, c.Name, trace.WithAttributes(
		attribute.String("tollgate.step.path", c.Path),
		attribute.String("tollgate.step.section", c.Section.String()),
		attribute.String("tollgate.step.source", c.Pos.String()),
	))
	return ctx, func(err error) {
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

// startDial starts the client span of a WebSocket backend handshake, a
// child of the request's span (in reqCtx; the dial itself runs under the
// session's context), and puts its trace context in h.
func (t *Telemetry) startDial(reqCtx context.Context, target *url.URL, h http.Header) func(*http.Response, error) {
	d := diagFrom(reqCtx) // applicationinsights (diagnostics.go)
	if d != nil && !d.traced {
		return func(*http.Response, error) {}
	}
	_, span := t.tracer.Start(reqCtx, "WebSocket backend handshake", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("url.full", t.maskURL(target.String())),
			attribute.String("server.address", target.Hostname())))
	if d.propagates() {
		t.prop.Inject(trace.ContextWithSpan(reqCtx, span), propagation.HeaderCarrier(h))
	} else {
		h.Del("Traceparent")
		h.Del("Tracestate")
	}
	return func(resp *http.Response, err error) {
		if resp != nil {
			span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
		}
		if err != nil {
			span.SetStatus(codes.Error, dialErrText(err))
		}
		span.End()
	}
}

// WrapTransport returns rt with a client span per request (a child of the
// span in the request's context) and the W3C trace context in the
// request's headers. The gateway wraps its backend transport this way;
// wrap the send-request client's transport (policies.Deps.HTTPClient)
// too, so call-outs are traced and propagated. With t nil, rt is returned.
func (t *Telemetry) WrapTransport(rt http.RoundTripper) http.RoundTripper {
	if t == nil {
		return rt
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &spanTransport{t: t, next: rt}
}

type spanTransport struct {
	t    *Telemetry
	next http.RoundTripper
}

func (st *spanTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// An applicationinsights diagnostic (diagnostics.go): no span for a
	// request its sampling left out; the listed headers of the backend
	// call; no trace context sent with httpCorrelationProtocol None.
	d := diagFrom(req.Context())
	if d != nil && !d.traced {
		return st.next.RoundTrip(req)
	}
	var backend *diagnostic // the backend call's (not a call-out's) diagnostic
	if d != nil {
		if _, ok := req.Context().Value(proxyKey{}).(*exchange); ok {
			backend = d.ad.insights
		}
	}
	attrs := []attribute.KeyValue{attribute.String("http.request.method", req.Method),
		attribute.String("url.full", st.t.maskURL(req.URL.String())),
		attribute.String("server.address", req.URL.Hostname())}
	if backend != nil {
		attrs = append(attrs, d.headerAttrs("http.request.header.", req.Header, &backend.backReq)...)
	}
	ctx, span := st.t.tracer.Start(req.Context(), req.Method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attrs...))
	// A RoundTripper must not change the caller's request: clone the
	// headers it adds to.
	r2 := req.WithContext(ctx)
	r2.Header = req.Header.Clone()
	if r2.Header == nil {
		r2.Header = http.Header{}
	}
	switch {
	case d.propagates():
		st.t.prop.Inject(ctx, propagation.HeaderCarrier(r2.Header))
	case backend != nil:
		r2.Header.Del("Traceparent")
		r2.Header.Del("Tracestate")
	}
	resp, err := st.next.RoundTrip(r2)
	if err != nil {
		span.SetStatus(codes.Error, errWithoutURL(err))
		span.End()
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if backend != nil && len(backend.backResp.headers) > 0 {
		span.SetAttributes(d.headerAttrs("http.response.header.", resp.Header, &backend.backResp)...)
	}
	if resp.StatusCode >= 500 {
		span.SetStatus(codes.Error, http.StatusText(resp.StatusCode))
	}
	span.End()
	return resp, nil
}

// Unwrap, Wrap and DetachContext make the span transport a
// policies.TransportWrapper: the clients the policies make from the
// call-out client (send-request's <authentication-certificate> and
// <proxy>, a backend entity's own transport) are traced too, and a
// send-one-way-request sent by a worker after the request gets its span
// as the request's child.
func (st *spanTransport) Unwrap() http.RoundTripper { return st.next }

func (st *spanTransport) Wrap(rt http.RoundTripper) http.RoundTripper {
	return &spanTransport{t: st.t, next: rt}
}

// DetachContext keeps of src the span its call's span is a child of, the
// baggage, and the request's diagnostic (sampling, correlation).
func (st *spanTransport) DetachContext(dst, src context.Context) context.Context {
	if d := diagFrom(src); d != nil {
		dst = context.WithValue(dst, diagKey{}, d)
	}
	if sc := trace.SpanContextFromContext(src); sc.IsValid() {
		dst = trace.ContextWithSpanContext(dst, sc)
	}
	if b := baggage.FromContext(src); b.Len() > 0 {
		dst = baggage.ContextWithBaggage(dst, b)
	}
	return dst
}

var _ policies.TransportWrapper = (*spanTransport)(nil)

func errWithoutURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// spanWriter records the status for the server span.
type spanWriter struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (w *spanWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// WriteHeaderReason records the status and passes the reason phrase on.
func (w *spanWriter) WriteHeaderReason(code int, reason string) {
	if w.status == 0 {
		w.status = code
	}
	writeHeaderReason(w.ResponseWriter, code, reason)
}

func (w *spanWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *spanWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection over for a WebSocket upgrade (the gateway
// writes the 101 itself).
func (w *spanWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return c, brw, err
}

// HijackRaw is Hijack for wsproxy.Hijack: the front server's raw hand-over
// when it has one.
func (w *spanWriter) HijackRaw() (net.Conn, []byte, error) {
	c, pending, err := wsproxy.Hijack(w.ResponseWriter)
	if err == nil {
		w.hijacked = true
	}
	return c, pending, err
}

func (w *spanWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// stepSpans reports whether a traced request should get a span per step.
func (t *Telemetry) stepSpans(r *http.Request) bool {
	return t != nil && trace.SpanFromContext(r.Context()).IsRecording()
}

// requestSpan notes the request id on the request's span.
func (t *Telemetry) requestSpan(r *http.Request, id string) {
	if t == nil {
		return
	}
	if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
		span.SetAttributes(attribute.String("tollgate.request_id", id))
	}
}
