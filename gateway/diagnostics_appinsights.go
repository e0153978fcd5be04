package gateway

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"tollgate/engine"
	"tollgate/internal/appinsights"
	"tollgate/policies"
)

// Application Insights: an applicationinsights diagnostic whose loggerId
// names an applicationInsights logger (diagnostic.ai) sends each request
// it picks as APIM's documentation lists: a request item (the frontend
// request and response), a dependency item per backend call, an exception
// item when the request failed, and a trace item per trace policy message
// of the diagnostic's verbosity; with "metrics": true, emit-metric's and
// llm-emit-token-metric's values as custom metrics. A request's items are
// gathered as it goes (aiRequest) and handed to the logger's exporter when
// it ends, which queues them and never blocks (internal/appinsights). An
// API without the diagnostic never gets here.

// aiRequest is the Application Insights telemetry of one request.
type aiRequest struct {
	d    *diagnostic
	send bool // sampled: sent whatever the outcome; otherwise only when it failed (alwaysLog allErrors)

	opID, id, parent string // W3C trace id, the request's span id, the client's span id
	depID            string // the next backend call's span id, when aiTraceparent sent it
	name, url, host  string
	reqHeaders       map[string]string // frontend.request.headers as the client sent them (masked)

	mu      sync.Mutex
	items   []*appinsights.Item // dependencies and traces, sent with the request
	backend *appinsights.RemoteDependencyData
	kept    map[string]string // the dimensions, kept before a WebSocket session detaches the State
	done    bool

	// A call-out that ends after the request's items were taken (a
	// send-one-way-request's) waits in late until they are sent, then
	// goes where they went (sent; nil: the request was not sent).
	finished bool
	late     []*appinsights.Item
	sent     *aiSent
}

// aiSent is where a sent request's items went: the logger, with the tags
// and dimensions of its children.
type aiSent struct {
	exp  *appinsights.Exporter
	tags appinsights.Tags
	dims map[string]string
}

// track sends it as a child of the request.
func (to *aiSent) track(it *appinsights.Item) {
	it.Tags = to.tags
	var p map[string]string
	switch data := it.Data.(type) {
	case *appinsights.RemoteDependencyData:
		p = data.Properties
	case *appinsights.MessageData:
		p = data.Properties
	}
	for k, v := range to.dims {
		setIf(p, k, v)
	}
	to.exp.Track(it)
}

// startAI begins the telemetry of r.
func (d *diagRequest) startAI(r *http.Request, ai *diagnostic) {
	a := &aiRequest{d: ai, send: d.traced, host: r.Host}
	if ai.correlation != "None" {
		a.opID, a.parent = parseTraceparent(r.Header.Get("Traceparent"))
	}
	if a.opID == "" {
		a.opID = appinsights.TraceID()
	}
	a.id = appinsights.SpanID()
	a.name = r.Method + " " + r.URL.Path
	if ai.operationURL {
		a.name = r.Method + " " + d.api.Path
	}
	scheme := "http"
	switch {
	case d.ws && r.TLS != nil:
		scheme = "wss"
	case d.ws:
		scheme = "ws"
	case r.TLS != nil:
		scheme = "https"
	}
	a.url = scheme + "://" + r.Host + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		a.url += "?" + d.maskQuery(r.URL.RawQuery, ai.frontReq.query)
	}
	a.url = d.maskText(a.url)
	if len(ai.frontReq.headers) > 0 {
		a.reqHeaders = map[string]string{}
		d.aiHeaders(a.reqHeaders, "Request-", r.Header, &ai.frontReq)
	}
	d.app = a
}

// adoptSpan makes the request's items carry the ids of its OpenTelemetry
// server span (telemetry.go), so both tell of one operation.
func (a *aiRequest) adoptSpan(sc trace.SpanContext) {
	if sc.IsValid() {
		a.opID, a.id = sc.TraceID().String(), sc.SpanID().String()
	}
}

// parseTraceparent reads a W3C traceparent header: its trace id and
// parent id, "" when it is not a valid one.
func parseTraceparent(v string) (traceID, parentID string) {
	v = strings.TrimSpace(v)
	if len(v) < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-' || v[:2] == "ff" || !lowerHex(v[:2]) {
		return "", ""
	}
	t, p := v[3:35], v[36:52]
	if !lowerHex(t) || !lowerHex(p) || !lowerHex(v[53:55]) || t == strings.Repeat("0", 32) || p == strings.Repeat("0", 16) {
		return "", ""
	}
	if v[:2] == "00" && len(v) != 55 {
		return "", ""
	}
	return t, p
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// aiHeaders adds the listed headers of h to props as PREFIX + name
// (Request-Content-Type), masked as the log masks them.
func (d *diagRequest) aiHeaders(props map[string]string, prefix string, h http.Header, m *diagMessage) {
	for _, name := range m.headers {
		if v, ok := d.headerValue(h, name, m); ok {
			props[prefix+name] = v
		}
	}
}

// add gathers an item to send with the request; nothing once it was sent.
func (a *aiRequest) add(it *appinsights.Item) {
	a.mu.Lock()
	if !a.done {
		a.items = append(a.items, it)
	}
	a.mu.Unlock()
}

// addLate is add for an item that may come after the request ended (a
// one-way call-out's dependency): then it is sent on its own when the
// request was sent, as its child.
func (a *aiRequest) addLate(it *appinsights.Item) {
	a.mu.Lock()
	switch {
	case !a.done:
		a.items = append(a.items, it)
	case !a.finished:
		a.late = append(a.late, it) // aiDone is sending the request: it sends this too
	default:
		to := a.sent
		a.mu.Unlock()
		if to != nil {
			to.track(it)
		}
		return
	}
	a.mu.Unlock()
}

// finish says where the items that come after the request's were taken
// go (to; nil: nowhere, the request was not sent), and sends those that
// came meanwhile.
func (a *aiRequest) finish(to *aiSent) {
	a.mu.Lock()
	late := a.late
	a.late, a.sent, a.finished = nil, to, true
	a.mu.Unlock()
	if to != nil {
		for _, it := range late {
			to.track(it)
		}
	}
}

// aiDependency notes a backend call: sent with the request's headers
// (backend.request.headers), answered status (0: no answer) with the
// backend's headers (backend.response.headers), after start.
func (d *diagRequest) aiDependency(method string, target *url.URL, sent http.Header, res *http.Response, err error, start time.Time) {
	a := d.app
	ai := a.d
	status := 0
	if res != nil {
		status = res.StatusCode
	}
	props := map[string]string{}
	d.aiHeaders(props, "Request-", sent, &ai.backReq)
	if res != nil {
		d.aiHeaders(props, "Response-", res.Header, &ai.backResp)
	}
	id := a.depID
	if id == "" {
		id = appinsights.SpanID()
	}
	a.depID = ""
	dep := d.newDependency(id, method, target, status, err != nil, start, props)
	a.mu.Lock()
	a.backend = dep
	a.mu.Unlock()
	a.add(&appinsights.Item{Time: start, Data: dep})
}

// newDependency is the dependency item of an HTTP call to target begun at
// start (a backend call, a policy's call-out): its URL's secret query
// values redacted and secrets masked as in the log; status 0 is no answer
// (no resultCode); a call succeeded when it did not fail and was answered
// below 400.
func (d *diagRequest) newDependency(id, method string, target *url.URL, status int, failed bool, start time.Time, props map[string]string) *appinsights.RemoteDependencyData {
	dep := &appinsights.RemoteDependencyData{
		ID: id, Name: method + " " + target.EscapedPath(), Duration: appinsights.Duration(time.Since(start)),
		Success: !failed && status > 0 && status < 400, Data: d.maskText(engine.RedactURL(target.String())),
		Target: target.Host, Type: "HTTP", Properties: props,
	}
	if status > 0 {
		dep.ResultCode = strconv.Itoa(status)
	}
	return dep
}

// aiTraceparent gives a backend request (h, its headers) the request's
// trace context when Application Insights alone correlates it (with
// OpenTelemetry on, its client span's traceparent does): W3C traceparent
// with the operation id and a new span id, which the call's dependency item
// then carries as its id, so the backend's own telemetry is the
// dependency's child in the same operation; with httpCorrelationProtocol
// Legacy also Request-Id, |operation.span., which older Application
// Insights SDKs read. None: nothing. The sampled flag is the request's.
func (d *diagRequest) aiTraceparent(h http.Header) {
	a := d.app
	if a == nil || d.span != nil || a.d.correlation == "None" {
		return
	}
	a.depID = appinsights.SpanID()
	a.traceHeaders(h, a.depID)
}

// traceHeaders puts the operation's trace context in h, with the span id
// dep as the parent (aiTraceparent).
func (a *aiRequest) traceHeaders(h http.Header, dep string) {
	flags := "-00"
	if a.send {
		flags = "-01"
	}
	h.Set("Traceparent", "00-"+a.opID+"-"+dep+flags)
	if a.d.correlation == "Legacy" {
		h.Set("Request-Id", "|"+a.opID+"."+dep+".")
	}
}

// calloutSink records the call-outs of the request's policies
// (policies.CalloutSink: send-request, send-one-way-request, ...) as
// dependencies of the request, sent with it, and gives each the
// operation's trace context as aiTraceparent gives the backend's, unless
// its headers carry a Traceparent or Request-Id already (the policy set
// or copied one: its choice stands) or OpenTelemetry's client span gives
// its own (WrapTransport). A call-out that ends after the request was
// sent (send-one-way-request) is sent on its own, as the request's child,
// when the request was.
func (d *diagRequest) calloutSink() policies.CalloutSink {
	return func(method, target string, h http.Header) policies.CalloutEnd {
		u, err := url.Parse(target)
		if err != nil || u.Host == "" {
			return nil // not a URL the call can go to: no call, no item
		}
		a := d.app
		id := appinsights.SpanID()
		if d.span == nil && a.d.correlation != "None" && len(h["Traceparent"]) == 0 && len(h["Request-Id"]) == 0 {
			a.traceHeaders(h, id)
		}
		return func(sent time.Time, status int, err error) {
			dep := d.newDependency(id, method, u, status, err != nil, sent, map[string]string{})
			a.addLate(&appinsights.Item{Time: sent, Data: dep})
		}
	}
}

// aiSeverity maps the trace policy's severities to Application Insights'.
var aiSeverity = [...]int{appinsights.Verbose, appinsights.Information, appinsights.Error}

// aiTrace notes a trace policy message.
func (d *diagRequest) aiTrace(source string, sev int, message string, meta []string) {
	props := make(map[string]string, 1+len(meta)/2)
	props["Source"] = source
	for i := 0; i+1 < len(meta); i += 2 {
		props[meta[i]] = d.maskText(meta[i+1])
	}
	d.app.add(&appinsights.Item{Time: time.Now(), Data: &appinsights.MessageData{Message: d.maskText(message),
		SeverityLevel: aiSeverity[sev], Properties: props}})
}

// metricSink sends the request's custom metrics to the logger (the
// diagnostic's "metrics": true), whether or not sampling picked the
// request: a metric counts every request.
func (d *diagRequest) metricSink(x *exchange) policies.MetricSink {
	exp := d.ad.insights.ai
	dep := x.s.deployment.Load()
	return func(ns, name string, v float64, dims []string) {
		props := make(map[string]string, len(dims)/2+2)
		for i := 0; i+1 < len(dims); i += 2 {
			props[dims[i]] = d.maskText(dims[i+1])
		}
		if dep != nil {
			setIf(props, "Service ID", dep.ServiceName)
			setIf(props, "Region", dep.Region)
		}
		exp.TrackMetric(ns, name, v, props)
	}
}

func setIf(props map[string]string, k, v string) {
	if v != "" {
		if _, ok := props[k]; !ok {
			props[k] = v
		}
	}
}

// aiDimensions are the custom dimensions of every item of the request:
// what the API, the operation, the product and the subscription are.
func (d *diagRequest) aiDimensions(x *exchange, st *engine.State) map[string]string {
	p := make(map[string]string, 12)
	api := x.api
	setIf(p, "API Name", api.Name)
	setIf(p, "API Type", api.Type)
	if api.Info != nil {
		setIf(p, "API Revision", api.Info.Revision)
	}
	if op := api.Operation; op != nil {
		setIf(p, "Operation Name", op.Name)
	}
	if dep := x.s.deployment.Load(); dep != nil {
		setIf(p, "Service ID", dep.ServiceName)
		setIf(p, "Region", dep.Region)
	}
	host := d.app.host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	setIf(p, "Service Name", host)
	setIf(p, "HTTP Method", d.method)
	id := x.requestID
	if st != nil {
		c := st.Context()
		id = c.RequestId
		if pr := c.Product; pr != nil {
			setIf(p, "Product Name", pr.Name)
		}
		if sub := c.Subscription; sub != nil {
			setIf(p, "Subscription Name", sub.Name)
		}
	}
	setIf(p, "Request Id", id)
	return p
}

// aiKeep keeps the dimensions while the State is there: a WebSocket
// handshake's State is gone once its session starts.
func (d *diagRequest) aiKeep(x *exchange, st *engine.State) {
	if d.app != nil && st != nil {
		d.app.kept = d.aiDimensions(x, st)
	}
}

// aiOperationName is the items' ai.operation.name: APIM's
// "API;rev=N - OPERATION" (operationNameFormat Name), or the request's
// method and URL template (Url).
func (d *diagRequest) aiOperationName(x *exchange) string {
	api := x.api
	if d.app.d.operationURL {
		if op := api.Operation; op != nil && op.UrlTemplate != "" {
			return d.method + " " + strings.TrimRight(api.Path, "/") + op.UrlTemplate
		}
		return d.app.name
	}
	rev := "1"
	if api.Info != nil && api.Info.Revision != "" {
		rev = api.Info.Revision
	}
	name := api.Name + ";rev=" + rev
	if op := api.Operation; op != nil {
		name += " - " + op.Id
	}
	return name
}

// aiDone sends the request's items: always when sampling picked it, else
// only when it failed (a 4xx or 5xx answer, or an error in its pipeline)
// and the diagnostic has alwaysLog allErrors. st may be nil (a WebSocket
// handshake refused before its policies, or one whose session started).
func (d *diagRequest) aiDone(x *exchange, w http.ResponseWriter, status int, st *engine.State) {
	a := d.app
	a.mu.Lock()
	if a.done {
		a.mu.Unlock()
		return
	}
	a.done = true
	items, backend := a.items, a.backend
	a.mu.Unlock()
	var le *engine.LastError
	if st != nil {
		le = st.LastError()
	}
	success := status > 0 && status < 400 && le == nil
	if success && !a.send {
		a.finish(nil)
		return
	}
	ai := a.d
	dims := a.kept
	if dims == nil {
		dims = d.aiDimensions(x, st)
	}
	props := make(map[string]string, len(dims)+len(a.reqHeaders)+len(ai.frontResp.headers)+2)
	for k, v := range dims {
		props[k] = v
	}
	for k, v := range a.reqHeaders {
		props[k] = v
	}
	d.aiHeaders(props, "Response-", w.Header(), &ai.frontResp)
	if x.rest != nil && st != nil {
		setIf(props, "Request-Body", d.bodyText(&x.rest.reqBody, ai.frontReq.body))
		setIf(props, "Response-Body", d.bodyText(st.Response().Body, ai.frontResp.body))
		if backend != nil {
			setIf(backend.Properties, "Request-Body", d.bodyText(st.Context().Request.Body, ai.backReq.body))
			setIf(backend.Properties, "Response-Body", d.bodyText(&x.rest.respBody, ai.backResp.body))
		}
	}
	tags := appinsights.Tags{OperationID: a.opID, ParentID: a.parent, OperationName: d.aiOperationName(x)}
	if dep := x.s.deployment.Load(); dep != nil {
		tags.CloudRole = dep.ServiceName
	}
	if ai.logClientIP {
		tags.LocationIP = x.ip
	}
	exp := ai.ai
	exp.Track(&appinsights.Item{Time: x.start, Tags: tags, Data: &appinsights.RequestData{
		ID: a.id, Name: a.name, Duration: appinsights.Duration(time.Since(x.start)), ResponseCode: strconv.Itoa(status),
		Success: success, URL: a.url, Properties: props,
	}})
	child := tags
	child.ParentID = a.id
	child.LocationIP = ""
	if !success {
		typ, msg := "ResponseStatusCode", "the gateway answered "+strconv.Itoa(status)+" "+http.StatusText(status)
		eprops := make(map[string]string, len(dims)+3)
		for k, v := range dims {
			eprops[k] = v
		}
		if le != nil {
			typ, msg = le.Reason, le.Message
			setIf(eprops, "Error Source", le.Source)
			setIf(eprops, "Error Section", le.Section)
			creds := d.creds
			if sub := st.Context().Subscription; sub != nil {
				creds = append(creds[:len(creds):len(creds)], sub.Key)
			}
			msg = d.maskText(maskAll(msg, creds))
			if typ == "" {
				typ = "PolicyError"
			}
		}
		exp.Track(&appinsights.Item{Time: time.Now(), Tags: child, Data: &appinsights.ExceptionData{
			Exceptions: []appinsights.ExceptionDetails{{TypeName: typ, Message: msg}}, SeverityLevel: appinsights.Error, Properties: eprops,
		}})
	}
	to := &aiSent{exp: exp, tags: child, dims: dims}
	for _, it := range items {
		to.track(it)
	}
	a.finish(to)
}
