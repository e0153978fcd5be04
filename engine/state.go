package engine

import (
	"context"
	"crypto/tls"
	"fmt"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/expr-lang/expr/vm"
)

// State is everything one handshake or request carries through a plan.
// States are pooled: get one with AcquireState and give it back with Release.
// A State is used by one goroutine at a time.
type State struct {
	env     Env
	ctx     Context
	req     Request
	url     Url
	origURL Url // context.Request.OriginalUrl
	vm      vm.VM
	start   time.Time
	stopped bool
	// step is the step running (Block.Run sets it): forward-request
	// records itself as the forward's From with it.
	step  *Compiled
	trace *Trace
	// stepHook, when set, wraps each traced step (OpenTelemetry spans).
	stepHook StepHook
	atEnd    []func(context.Context, *State)
	cleanup  []func()

	// routePath is the request's path as the gateway routes it: the
	// client's, or the API's path + rewrite-uri's template path. The
	// backend path is built from it, never from context.Request.Url.Path,
	// which is the backend URL's path (urlHook keeps it so).
	routePath string
	// urlHook keeps context.Request.Url the backend URL as it stands; see
	// SetUrlHook.
	urlHook UrlHook

	// BackendURL, when set (set-backend-service), replaces the API's
	// service-url as the base the request path is appended to.
	BackendURL string
	// BackendFixedPath: BackendURL is the whole target path (Dapr's
	// service invocation), the request path is not appended to it.
	BackendFixedPath bool
	// BackendID, when set (set-backend-service backend-id), names the
	// gateway's backend entity to send the request to (BackendURL is then
	// empty).
	BackendID string
	// Forward holds the backend section's forward-request settings.
	Forward ForwardSettings
	// forwarder sends the request from inside the backend section; see
	// SetForwarder.
	forwarder Forwarder
	// Connect holds messages to send once a WebSocket session is set up.
	Connect []ConnectMessage
	// BackendCertificate, when set (authentication-certificate), is the
	// client certificate the gateway presents to an HTTP backend.
	BackendCertificate *tls.Certificate
	// BackendProxy, when set (proxy), is the HTTP proxy the backend call
	// goes through.
	BackendProxy *url.URL

	// budget bounds each expression evaluation (budget.go).
	budget exprBudget

	// bytes counts the payload bytes the request moves; see CountBytes.
	bytes *ByteCount

	// respHeaders are headers for the response the client gets; see
	// SetResponseHeader.
	respHeaders Headers

	// forkVars is, in a State made by Fork, the variables as the branch
	// started with them: Join sets in the parent only what changed.
	forkVars Variables

	// private holds what a policy hands to a later one; see SetPrivate.
	private map[any]any

	// strs and strBytes are room for the small []string values and the
	// strings made for this request; see SetStringRoom.
	strs     []string
	strBytes []byte
	// parsedURL is what ParseURL last parsed for this request, from
	// parsedFrom.
	parsedURL  *url.URL
	parsedFrom string
	// staleURL is the Url whose Query SetQueryParamText left to be parsed
	// from its QueryString (syncQuery), or nil; queryStale: it, or the
	// request's query not parsed yet (Url's and OriginalUrl's), is.
	staleURL   *Url
	queryStale bool
	// urlStale: RefreshUrl was asked for and the hook not called yet:
	// context.Request.Url's scheme, host, port and path are built when
	// first read (syncUrl), so a request nothing reads them in between
	// never builds them. urlEscaped: something may hold the Url to read it
	// later (a traced request, an expression that takes context.Request or
	// its Url as a value): RefreshUrl calls the hook at once from then on.
	urlStale, urlEscaped bool

	// observers see the response body as it is sent; see ObserveResponseBody.
	observers  []func([]byte)
	onResponse []func(*State) // see OnBackendResponse
	filters    []BodyFilter   // see FilterResponseBody
}

// ForwardSettings are forward-request's attributes.
type ForwardSettings struct {
	Set bool
	// Timeout is forward-request's timeout attribute; 0 when it has none
	// (the gateway's bound for the call stays).
	Timeout               time.Duration
	FollowRedirects       bool
	FailOnErrorStatusCode bool
	BufferResponse        bool
	// BufferRequestBody is buffer-request-body: APIM reuses the request
	// body on retry only with it. HTTP bodies are buffered anyway; a gRPC
	// call is resent by forward-request inside retry only with it
	// (gateway/grpc.go).
	BufferRequestBody bool
	Skip              bool // an empty backend section: nothing is forwarded
	// Sent: a forward-request inside retry sent the request from the
	// backend section, and Response is the backend's answer (for a
	// WebSocket API, a 101 or the backend's refusal): the gateway does not
	// forward again.
	Sent bool
	// From is the forward-request step that set these (nil for the
	// gateway's own forward, without one): a failure of the call the
	// gateway makes after the backend section is that step's in
	// context.LastError (Path, Scope, PolicyId).
	From *Compiled
}

// Step is the policy step running, as its Run sees it (nil outside one).
func (s *State) Step() *Compiled { return s.step }

// Forwarder sends the request to the backend now, from inside the backend
// section: a forward-request inside retry calls it once per attempt. It
// sets the State's Response to the backend's answer (an error status is an
// answer, so retry's condition can test it) and returns a *PolicyError
// when no answer came (connection failure, timeout). The gateway provides
// it; each call replaces the previous attempt's answer.
type Forwarder interface {
	Forward(ctx context.Context, s *State) error
}

// SetForwarder installs the gateway's Forwarder for this request.
func (s *State) SetForwarder(f Forwarder) { s.forwarder = f }

// Forwarder returns the Forwarder SetForwarder installed, or nil (a plan
// run without a gateway, a wait branch).
func (s *State) Forwarder() Forwarder { return s.forwarder }

// ConnectMessage is a WebSocket message a policy sends right after the
// backend connects, before any client frame is relayed.
type ConnectMessage struct {
	ToClient bool // false: to the backend
	Binary   bool
	Data     []byte
}

var statePool = sync.Pool{New: func() any {
	s := &State{}
	s.env.Context = &s.ctx
	s.vm.MemoryBudget = MaxExprMemory // the VM keeps it across runs
	s.bindFast()
	s.bindBudget()
	return s
}}

// AcquireState returns a clean State for one request to api.
func AcquireState(api *Api) *State { return AcquireStateAt(api, time.Now()) }

// AcquireStateAt is AcquireState for a request received at start
// (context.Timestamp; Elapsed counts from it): the gateway's clock read of
// the request's arrival, one read fewer.
func AcquireStateAt(api *Api, start time.Time) *State {
	s := statePool.Get().(*State)
	s.start = start
	s.ctx.Api = api
	s.ctx.Timestamp = s.start
	if s.ctx.Variables == nil {
		s.ctx.Variables = Variables{}
	}
	s.ctx.Request = &s.req
	return s
}

// Release resets the State and returns it to the pool. The caller must not
// use it (or anything it handed out, such as Context()) afterwards.
func (s *State) Release() {
	clear(s.ctx.Variables)
	vars := s.ctx.Variables
	s.ctx = Context{Variables: vars}
	s.req = Request{}
	s.url = Url{}
	s.origURL = Url{}
	s.routePath = ""
	s.urlHook = nil
	s.stopped = false
	s.step = nil
	s.trace = nil
	s.stepHook = nil
	s.atEnd = s.atEnd[:0]
	s.cleanup = s.cleanup[:0]
	s.BackendURL = ""
	s.parsedURL, s.parsedFrom = nil, ""
	s.staleURL, s.queryStale = nil, false
	s.urlStale, s.urlEscaped = false, false
	s.BackendFixedPath = false
	s.BackendID = ""
	s.Forward = ForwardSettings{}
	s.forwarder = nil
	s.Connect = s.Connect[:0]
	s.BackendCertificate = nil
	s.BackendProxy = nil
	s.bytes = nil // OnDone functions may still hold it
	s.budget = exprBudget{}
	clear(s.respHeaders)
	s.forkVars = nil
	clear(s.private)
	s.observers = s.observers[:0]
	s.onResponse = s.onResponse[:0]
	clear(s.filters)
	s.filters = s.filters[:0]
	s.strs, s.strBytes = nil, nil
	statePool.Put(s)
}

// SetRequest fills context.Request from an incoming HTTP request's parts.
// The header map is used as is (not copied): inbound set-header changes it.
func (s *State) SetRequest(method, scheme, host string, u *url.URL, h http.Header, ip string) {
	s.SetRequestURI(method, scheme, host, u, "", h, ip)
}

// noMatchedParameters is context.Request.MatchedParameters until the
// gateway matches an operation with parameters: APIM's is never null (an
// API without operations, an operation whose template has no parameters
// and a GraphQL resolver's request have an empty one), so
// GetValueOrDefault("x", "d") gives "d" there, not a NullReferenceException.
// Shared and never written: nothing stores into MatchedParameters, and a
// copy (the request a send-request copies) clones it.
var noMatchedParameters = map[string]string{}

// SetRequestURI is SetRequest with the request target as the client sent
// it (http.Request.RequestURI): when it ends with u's query, QueryString
// is that part of it rather than a new string.
func (s *State) SetRequestURI(method, scheme, host string, u *url.URL, requestURI string, h http.Header, ip string) {
	s.req.Method = method
	s.req.Headers = Headers(h)
	s.req.MatchedParameters = noMatchedParameters
	s.req.IpAddress = ip
	s.url.fill(u, scheme, host, requestURI, s)
	s.url.sharedQuery = true        // OriginalUrl shares the parsed query until a policy changes it
	s.queryStale = s.url.queryStale // parsed when first read (syncQuery)
	s.req.Url = &s.url
	s.origURL = s.url
	s.req.OriginalUrl = &s.origURL
	s.routePath = s.url.Path
}

// UrlHook keeps context.Request.Url the current value of the full backend
// URL (the gateway provides it): RefreshUrl sets its scheme, host, port and
// path from the backend the request would go to now (set-backend-service's,
// or the API's service URL) and the State's RoutePath.
type UrlHook interface {
	RefreshUrl(s *State)
}

// SetUrlHook sets the hook RefreshUrl calls.
func (s *State) SetUrlHook(h UrlHook) { s.urlHook = h }

// RefreshUrl brings context.Request.Url up to date after a policy changed
// the backend (set-backend-service) or the path (rewrite-uri). Without a
// hook (a State outside a gateway request) it does nothing. The hook is
// called when something may read the Url's scheme, host, port or path
// (syncUrl: an expression that names it, a policy step that is not
// QueryBlind, a fork, the functions policies registered, the gateway's
// SyncUrl), or at once when the Url may be held to be read later
// (urlEscaped: a traced request, an expression that took it as a value).
func (s *State) RefreshUrl() {
	if s.urlHook == nil {
		return
	}
	if s.urlEscaped || s.trace != nil {
		s.urlStale = false
		s.urlHook.RefreshUrl(s)
		return
	}
	s.urlStale = true
}

// syncUrl calls the hook RefreshUrl left to be called (urlStale).
func (s *State) syncUrl() {
	if s.urlStale {
		s.urlStale = false
		s.urlHook.RefreshUrl(s)
	}
}

// readUrl is syncUrl for an expression that may read the view
// (program.readsUrl), which may also keep context.Request or its Url (a
// variable a later fast path hands on): RefreshUrl is at once from then
// on.
func (s *State) readUrl() {
	s.syncUrl()
	s.urlEscaped = true
}

// SyncUrl brings context.Request.Url's scheme, host, port and path up to
// date now (syncUrl): for Go code that reads them outside a step that is
// not QueryBlind.
func (s *State) SyncUrl() { s.syncUrl() }

// UrlStale reports whether RefreshUrl's hook is still to be called: the
// Url's scheme, host, port and path are not yet the backend's.
func (s *State) UrlStale() bool { return s.urlStale }

// UrlShown tells the State that the gateway has just shown the backend URL
// it sends to in context.Request.Url (the forward): nothing is left to
// build.
func (s *State) UrlShown() { s.urlStale = false }

// RoutePath is the request's path as the gateway routes it: the path the
// client called until rewrite-uri sets it (the API's path + the template's
// path). The backend path is the part after the API's path, appended to
// the backend's base URL.
func (s *State) RoutePath() string { return s.routePath }

// SetRoutePath sets RoutePath (rewrite-uri); call RefreshUrl after it.
func (s *State) SetRoutePath(p string) { s.routePath = p }

// SetStringRoom gives the State room for the []string values (Strings)
// and the strings (NewString) made for its request, the query's values and
// string among them: call it before SetRequest. The room must belong to
// that request alone and never be reused (not pooled): a policy may keep
// what it was given, and the State, which is pooled, forgets the room at
// Release.
func (s *State) SetStringRoom(strs []string, b []byte) { s.strs, s.strBytes = strs, b }

// NewString returns the concatenation of parts as a new string: its bytes
// in the room SetStringRoom gave while it lasts, each byte of which it
// writes once, else in an allocation of its own.
func (s *State) NewString(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 {
		return ""
	}
	var b []byte
	if n <= len(s.strBytes) {
		b, s.strBytes = s.strBytes[:0:n], s.strBytes[n:]
	} else {
		b = make([]byte, 0, n)
	}
	for _, p := range parts {
		b = append(b, p...)
	}
	return unsafe.String(unsafe.SliceData(b), n)
}

// ParseURL is engine.ParseURL remembering the string it last parsed for
// this request: set-backend-service checks the base-url it computed, and
// the gateway parses the same string again to send to it, one lookup in
// the cache fewer. The URL is shared, as ParseURL's.
func (s *State) ParseURL(raw string) (*url.URL, error) {
	if s.parsedURL != nil && s.parsedFrom == raw {
		return s.parsedURL, nil
	}
	u, err := ParseURL(raw)
	if err == nil {
		s.parsedURL, s.parsedFrom = u, raw
	}
	return u, err
}

// boxString returns v as an `any`. Boxing a string allocates its header
// (16 bytes) unless it is empty; while the room SetStringRoom gave lasts,
// the header is written in one of its []string slots instead, taken for
// this value alone and never written again, so the interface points at
// memory that does not change, as the runtime's boxes do (a value set in
// a variable, set-variable's from a fast path, TestBoxStringRoom).
func (s *State) boxString(v string) any {
	if v == "" || len(s.strs) == 0 {
		return v
	}
	p := &s.strs[0]
	s.strs = s.strs[1:]
	*p = v
	var a any = "" // a string's type word; the data word is set to p
	(*[2]unsafe.Pointer)(unsafe.Pointer(&a))[1] = unsafe.Pointer(p)
	return a
}

// NewStringBytes is NewString of b's bytes (copied).
func (s *State) NewStringBytes(b []byte) string {
	return s.NewString(unsafe.String(unsafe.SliceData(b), len(b)))
}

// Strings returns n empty strings with a capacity of n (so that an append
// copies them), from the room SetStringRoom gave while it lasts, else
// newly allocated. Policies use it for the values they set.
func (s *State) Strings(n int) []string {
	if n <= len(s.strs) {
		r := s.strs[:n:n]
		s.strs = s.strs[n:]
		return r
	}
	return make([]string, n)
}

// SetGraphQL sets context.GraphQL (a synthetic GraphQL API's resolver).
func (s *State) SetGraphQL(g *GraphQL) { s.ctx.GraphQL = g }

// SetRequestID sets context.RequestId.
func (s *State) SetRequestID(id string) { s.ctx.RequestId = id }

// SetWorkspace sets context.Workspace (nil: the API is the service's own).
func (s *State) SetWorkspace(w *Workspace) { s.ctx.Workspace = w }

// SetDeployment sets context.Deployment.
func (s *State) SetDeployment(d *Deployment) { s.ctx.Deployment = d }

// Context returns the expression context, for policies and the gateway.
func (s *State) Context() *Context { return &s.ctx }

// Variables returns context.Variables.
func (s *State) Variables() Variables { return s.ctx.Variables }

// Stop ends the pipeline: return-response uses it.
func (s *State) Stop() { s.stopped = true }

// Stopped reports whether the pipeline has ended with a response.
func (s *State) Stopped() bool { return s.stopped }

// Response returns context.Response, creating an empty 200 when unset.
func (s *State) Response() *Response {
	if s.ctx.Response == nil {
		s.ctx.Response = NewResponse(http.StatusOK)
	}
	return s.ctx.Response
}

// SetResponse sets context.Response (the backend's response, or a policy's).
func (s *State) SetResponse(r *Response) { s.ctx.Response = r }

// SetResponseHeader records a header for the response that goes to the
// client, whichever it turns out to be: the backend's (or the WebSocket 101),
// a return-response, or an error response. Policies that decide in inbound
// what the final response must carry (rate-limit's remaining-calls and
// total-calls headers) use it, because context.Response is not the client
// response until the backend has answered. The gateway sets every recorded
// header on the outgoing response after outbound (or on-error) has run,
// replacing a header of the same name (Vary's tokens are merged instead);
// a later call for the same name replaces an earlier one.
func (s *State) SetResponseHeader(name, value string) {
	if s.respHeaders == nil {
		s.respHeaders = Headers{}
	}
	s.respHeaders[textproto.CanonicalMIMEHeaderKey(name)] = []string{value}
}

// ResponseHeaders returns the headers recorded by SetResponseHeader (nil or
// empty when none), for the gateway to apply. Keys are canonical.
func (s *State) ResponseHeaders() Headers { return s.respHeaders }

// ByteCount is the payload bytes one request moves: for HTTP APIs the
// request and response body bytes, for WebSocket APIs the message bytes
// relayed client→backend (In) and backend→client (Out) over the whole
// session. It outlives the State (Release and DetachDone leave it alone), so
// OnDone functions, which must not touch the State, can read it.
type ByteCount struct {
	In, Out atomic.Int64
}

// CountBytes asks for the request's bytes to be counted and returns the
// counter (the same one on every call). The quota policies' bandwidth limits
// call it in inbound and read it in an OnDone function.
func (s *State) CountBytes() *ByteCount {
	if s.bytes == nil {
		s.bytes = &ByteCount{}
	}
	return s.bytes
}

// ByteCount returns the counter when a policy asked for one (nil
// otherwise). The gateway takes it after the policies ran, before Release
// or DetachDone, adds the bytes as they move (or once at the end), and must
// be done adding before it runs the Done functions.
func (s *State) ByteCount() *ByteCount { return s.bytes }

// LastError returns context.LastError (nil when nothing failed).
func (s *State) LastError() *LastError { return s.ctx.LastError }

// Start is when the request arrived.
func (s *State) Start() time.Time { return s.start }

// AtEnd registers work to run after the outbound section (rate-limit-by-key
// with an increment-condition counts there). The gateway calls Finish.
func (s *State) AtEnd(f func(context.Context, *State)) { s.atEnd = append(s.atEnd, f) }

// Finish runs the AtEnd work.
func (s *State) Finish(ctx context.Context) {
	if len(s.atEnd) > 0 {
		s.syncQuery() // what a policy registered may read the request's query
		s.syncUrl()
	}
	for _, f := range s.atEnd {
		f(ctx, s)
	}
}

// OnDone registers f to run when the request (for WebSocket APIs: the whole
// session) is over, whatever the outcome. limit-concurrency releases its
// lease this way. The gateway calls Done exactly once.
func (s *State) OnDone(f func()) { s.cleanup = append(s.cleanup, f) }

// Done runs the OnDone functions, last registered first, and forgets them.
func (s *State) Done() {
	if len(s.cleanup) > 0 {
		s.syncQuery()
		s.syncUrl()
	}
	for i := len(s.cleanup) - 1; i >= 0; i-- {
		s.cleanup[i]()
	}
	s.cleanup = s.cleanup[:0]
}

// DetachDone hands the OnDone functions to the caller as one function and
// forgets them, so the State can be released while a WebSocket session
// (which holds none of the State) goes on. It is nil when none were
// registered: the caller can tell that it has nothing to run (the gateway
// then lets the event loop account for the session itself).
func (s *State) DetachDone() func() {
	if len(s.cleanup) == 0 {
		return nil
	}
	s.syncQuery()
	s.syncUrl()
	fs := append([]func(){}, s.cleanup...)
	s.cleanup = s.cleanup[:0]
	return func() {
		for i := len(fs) - 1; i >= 0; i-- {
			fs[i]()
		}
	}
}

// EnableTrace turns step tracing on for this request and returns the trace.
func (s *State) EnableTrace() *Trace {
	s.syncUrl() // a traced request's Url is kept up to date at once (RefreshUrl)
	s.trace = &Trace{}
	return s.trace
}

// Trace returns the trace, or nil when tracing is off.
func (s *State) Trace() *Trace { return s.trace }

// StepHook wraps one traced step: it gets the step's context and returns
// the context the step runs with and a function called with the step's
// error when it ends. The gateway uses it for a span per policy step.
type StepHook func(ctx context.Context, c *Compiled) (context.Context, func(error))

// SetStepHook sets the hook called around each step while tracing is on.
func (s *State) SetStepHook(h StepHook) { s.stepHook = h }

// TraceVar records that the step being traced set a variable (value is
// its printed form, or "(secret)"), and adds a note.
func (s *State) TraceVar(name, value string) {
	if s.trace == nil {
		return
	}
	value = s.trace.mask(value)
	st := s.trace.current()
	st.Vars = append(st.Vars, TraceVar{Name: name, Value: value})
	st.Notes = append(st.Notes, name+" = "+value)
}

// TraceCallout records an HTTP call made by the step being traced (the URL
// must already be redacted), and adds a note.
func (s *State) TraceCallout(c TraceCallout) {
	if s.trace == nil {
		return
	}
	c.URL, c.Error = s.trace.mask(c.URL), s.trace.mask(c.Error)
	st := s.trace.current()
	st.Callouts = append(st.Callouts, c)
	n := c.Method + " " + c.URL + " -> "
	if c.Error != "" {
		n += "failed (" + c.Error + ")"
	} else {
		n += fmt.Sprint(c.Status)
	}
	st.Notes = append(st.Notes, n+" in "+c.Duration.Round(time.Microsecond).String())
}

// TraceBranch records the branch the step being traced took, and adds a
// note.
func (s *State) TraceBranch(label string) {
	if s.trace == nil {
		return
	}
	st := s.trace.current()
	st.Branch = label
	st.Notes = append(st.Notes, label+" taken")
}

// Tracef adds a note to the step being traced. It costs a nil check when
// tracing is off; guard expensive arguments with `if s.Trace() != nil`.
func (s *State) Tracef(format string, args ...any) {
	if s.trace == nil {
		return
	}
	s.trace.note(fmt.Sprintf(format, args...))
}

// minTraceSecret: shorter values are not masked (they would garble every
// note and protect nothing).
const minTraceSecret = 4

// AddTraceSecret marks v as secret for the rest of this request's trace:
// v, and v as urlEncode (query escaping) and path escaping would write it,
// are replaced with REDACTED in every note already taken and every note to
// come. Secrets from the request (credentials) and secret named values are
// masked elsewhere; this is for values a policy learns at run time, such as
// a token from a send-request response (set-variable secret="true").
// Without tracing it does nothing.
func (s *State) AddTraceSecret(v string) {
	if s.trace == nil || len(v) < minTraceSecret {
		return
	}
	forms := []string{v}
	for _, e := range []string{url.QueryEscape(v), url.PathEscape(v)} {
		if e != v {
			forms = append(forms, e)
		}
	}
	for _, f := range forms {
		s.trace.addSecret(f)
	}
}

// syncQuery parses the request's query (its Url's and OriginalUrl's, one
// map for both until a change) and a query SetQueryParamText left as
// text, before anything that may read context.Request.Url.Query or
// OriginalUrl.Query as a map: an expression the VM runs, a fast path that
// cannot answer from the text, a policy step that does not declare it
// leaves the query alone (QueryBlind), a fork, the functions policies
// registered for the response or the end.
func (s *State) syncQuery() {
	if !s.queryStale {
		return
	}
	s.queryStale = false
	o := &s.origURL
	if o.queryStale {
		o.loadQuery(s)
	}
	if u := &s.url; u.queryStale && u.queryOrig && u.QueryString == o.QueryString {
		u.Query, u.sharedQuery, u.queryStale, u.queryOrig = o.Query, true, false, false
	}
	for _, u := range [2]*Url{&s.url, s.staleURL} {
		if u != nil && u.queryStale {
			u.loadQuery(s)
		}
	}
	s.staleURL = nil
}

// SyncQuery parses the request's query now if it is still text
// (syncQuery): for a QueryBlind step that hands the request on to code
// that may read it (forward-request's call from the backend section) or
// reads it itself after all (set-query-parameter, for a change it cannot
// make as text).
func (s *State) SyncQuery() { s.syncQuery() }

// run evaluates one program against this request.
func (s *State) run(p *program) (out any, err error) {
	s.syncQuery()
	if p.readsUrl {
		s.readUrl()
	}
	if p.elapsed {
		s.ctx.Elapsed = time.Since(s.start)
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, exprFailure(p, fmt.Errorf("panic: %v", r))
		}
	}()
	s.budget.used = 0
	if p.interp != nil {
		out, err = p.interp.Run(&s.env)
	} else {
		out, err = s.vm.Run(p.prog, &s.env)
	}
	if err != nil {
		return nil, exprFailure(p, err)
	}
	return out, nil
}

// Fork returns a State for one branch of work that runs in parallel with
// other branches while s waits (the wait policy). A State is used by one
// goroutine at a time, so each branch gets its own: call Fork on s's
// goroutine, before the branches start, and hand each branch its fork.
//
// A fork sees what s holds: the same Api, Workspace, Deployment, RequestId, start time,
// LastError and BackendURL; a copy of the request (headers and URL copied)
// and of the response; a copy of the variables map (the values themselves
// are shared, and must be treated as read-only, as expressions do). Bodies
// are wrapped: a fork reading a body reads the parent's bytes (loaded once,
// safely) but keeps its own parsed-JSON cache, and a *Response or *Body held
// in a variable gets the same treatment, so forks never write to anything
// they share. The fork traces into its own Trace when s is traced.
// Nothing a fork does reaches s until Join; a fork that is not joined must
// be released with Release.
func (s *State) Fork() *State {
	s.syncQuery()
	s.syncUrl()
	b := AcquireState(s.ctx.Api)
	b.start = s.start
	b.budget = exprBudget{limit: s.budget.limit, ctx: s.budget.ctx}
	b.ctx.Timestamp = s.ctx.Timestamp
	b.ctx.Deployment = s.ctx.Deployment
	b.ctx.Workspace = s.ctx.Workspace
	b.ctx.LastError = s.ctx.LastError
	b.ctx.RequestId = s.ctx.RequestId
	b.ctx.Elapsed = s.ctx.Elapsed
	b.ctx.Operation, b.ctx.Product = s.ctx.Operation, s.ctx.Product // immutable, shared
	b.ctx.Subscription, b.ctx.User = s.ctx.Subscription, s.ctx.User
	if s.ctx.Request != nil {
		b.req = *s.ctx.Request
		b.req.Headers = Headers(http.Header(s.ctx.Request.Headers).Clone())
		if u := s.ctx.Request.Url; u != nil {
			b.url = *u
			b.url.Query = Query(http.Header(u.Query).Clone()) // same shape: deep copy
			b.req.Url = &b.url
		}
		b.req.Body = forkBody(s.ctx.Request.Body)
		b.req.MatchedParameters = maps.Clone(s.ctx.Request.MatchedParameters)
	}
	b.ctx.Response = forkResponse(s.ctx.Response)
	for k, v := range s.ctx.Variables {
		b.ctx.Variables[k] = forkValue(v)
	}
	b.forkVars = maps.Clone(b.ctx.Variables)
	b.routePath = s.routePath
	b.BackendURL = s.BackendURL
	b.BackendFixedPath = s.BackendFixedPath
	b.BackendID = s.BackendID
	b.Forward = s.Forward
	if s.trace != nil {
		b.trace = &Trace{secrets: slices.Clone(s.trace.secrets)}
		b.stepHook = s.stepHook
	}
	return b
}

// Join merges b, a fork of s that has finished, into s, then releases b
// (b must not be used afterwards). Call it on s's goroutine, once every
// branch has finished; joining branches in document order makes the result
// independent of which branch finished first. It brings back:
//
//   - the variables b set or changed (a new value, or for maps, slices and
//     pointers another identity) and the ones it removed;
//   - b's trace steps, appended to s's trace;
//   - the response headers b recorded for the client (SetResponseHeader: a
//     rate limit's remaining-calls header), a later branch winning on a name;
//   - the AtEnd work b registered (a rate limit's counting at the end of
//     outbound), after s's own;
//   - a response b ended the pipeline with (return-response): unless s has
//     already stopped, s takes b's response and stops.
//
// Everything else a fork might change (request headers, URL, method or
// body, OnDone work and the byte counter) is not merged: the wait policy
// only lets policies whose effects are these run in a branch.
func (s *State) Join(b *State) {
	for k, v := range b.ctx.Variables {
		if old, ok := b.forkVars[k]; !ok || !sameValue(old, v) {
			s.ctx.Variables[k] = v
		}
	}
	for k := range b.forkVars {
		if _, ok := b.ctx.Variables[k]; !ok {
			delete(s.ctx.Variables, k)
		}
	}
	s.joinTrace(b)
	for k, v := range b.respHeaders {
		if s.respHeaders == nil {
			s.respHeaders = Headers{}
		}
		s.respHeaders[k] = v
	}
	s.atEnd = append(s.atEnd, b.atEnd...)
	if b.stopped && !s.stopped {
		s.ctx.Response = b.ctx.Response
		s.stopped = true
	}
	b.Release()
}

// Discard releases b, a fork of s that has finished and whose work is
// dropped (a <wait> branch that failed, or that another finished before),
// keeping only what it traced: its trace steps are appended to s's trace,
// so that the step-by-step trace shows every branch. Call it as Join.
func (s *State) Discard(b *State) {
	s.joinTrace(b)
	b.Release()
}

// joinTrace appends b's trace steps to s's trace.
func (s *State) joinTrace(b *State) {
	if s.trace != nil && b.trace != nil {
		s.trace.Steps = append(s.trace.Steps, b.trace.Steps...)
		for _, v := range b.trace.secrets {
			s.trace.addSecret(v)
		}
	}
}

// sameValue reports whether a variable still holds what it held: equal
// for comparable values, the same map, slice or pointer otherwise.
func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ra, rb := reflect.ValueOf(a), reflect.ValueOf(b)
	if ra.Type() != rb.Type() {
		return false
	}
	if ra.Comparable() {
		return a == b
	}
	switch ra.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Func, reflect.Chan:
		return ra.Pointer() == rb.Pointer() && (ra.Kind() != reflect.Slice || ra.Len() == rb.Len())
	}
	return false
}

// forkBody gives a fork its own Body over the same bytes.
func forkBody(b *Body) *Body {
	if b == nil {
		return nil
	}
	if b.Loaded() {
		data, err := b.Bytes()
		if err == nil {
			return NewBody(data)
		}
	}
	return NewLazyBody(b.Bytes)
}

func forkResponse(r *Response) *Response {
	if r == nil {
		return nil
	}
	c := *r
	c.Headers = Headers(http.Header(r.Headers).Clone())
	c.Body = forkBody(r.Body)
	return &c
}

func forkValue(v any) any {
	switch x := v.(type) {
	case *Response:
		return forkResponse(x)
	case *Body:
		return forkBody(x)
	}
	return v
}
