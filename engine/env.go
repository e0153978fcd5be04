package engine

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"tollgate/engine/csharp"
	"tollgate/internal/xsd"
)

// Env is the root of every expression: the only name in scope is `context`,
// plus the helper functions (see funcs.go).
type Env struct {
	Context *Context `expr:"context"`

	// Fast paths for the commonest calls, bound to the State once (see
	// fastcall.go): expr calls a func field of these shapes without
	// reflection or an argument slice. Policies never name them.
	ReqHeader    func(name, def string) string `expr:"$reqHeader"`
	ReqHasHeader func(name string) bool        `expr:"$reqHasHeader"`
	ReqQuery     func(name, def string) string `expr:"$reqQuery"`
	ReqHasQuery  func(name string) bool        `expr:"$reqHasQuery"`
	VarGet       func(name, def any) any       `expr:"$varGet"`
	VarHas       func(name string) bool        `expr:"$varHas"`

	// C#'s context.Tracing and context.Trace(message) (lang.go).
	Tracing func() bool           `expr:"$tracing"`
	Trace   func(msg string) bool `expr:"$trace"`
	// Budgeted operations, bound to the State (budget.go): the budget
	// patch routes string building and loop bodies through them.
	Tick     func() bool                      `expr:"$tick"`
	Concat   func(a, b string) string         `expr:"$concat"`
	Add      func(a, b any) any               `expr:"$add"`
	Join     func(arr any, sep string) string `expr:"$join"`
	Repeat   func(s string, n int) string     `expr:"$repeat"`
	Replace  func(s, old, new string) string  `expr:"$replace"`
	Charge   func(s string) string            `expr:"$charge"`
	ToJSON   func(v any) string               `expr:"$toJSON"`
	String   func(v any) string               `expr:"$string"`
	FromJSON func(s string) any               `expr:"$fromJSON"`
	Split    func(s, sep string) []string     `expr:"$split"`
}

// Context mirrors APIM's `context` object. See the README for each member.
type Context struct {
	Request    *Request
	Response   *Response
	Variables  Variables
	Api        *Api
	Deployment *Deployment
	// Workspace is the APIOps workspace the API belongs to (APIM's
	// context.Workspace); nil for an API of the service itself.
	Workspace *Workspace
	// Operation, Product, Subscription and User: see resources.go.
	Operation    *Operation
	Product      *Product
	Subscription *Subscription
	User         *User
	LastError    *LastError
	// GraphQL is set while a synthetic GraphQL API's resolver runs
	// (APIM's context.GraphQL); nil everywhere else.
	GraphQL   *GraphQL
	RequestId string `csharp:"guid"` // a System.Guid in C#, as APIM's
	Timestamp time.Time
	Elapsed   time.Duration
}

// GraphQL is APIM's context.GraphQL in a resolver of a synthetic GraphQL
// API: Parent is the object the field is resolved on (null for a field of
// Query or Mutation), Arguments the field's arguments, variables
// substituted and defaults applied. Both are JObjects in C#. Arguments is
// also GraphQLArguments in C#, the name the context variable reference
// gives it (the resolver page's is Arguments).
type GraphQL struct {
	Parent    *csharp.JObject
	Arguments *csharp.JObject `csalias:"GraphQLArguments"`
}

// Request is the incoming request (for WebSocket APIs, the upgrade request).
// Inbound set-header and set-query-parameter change it, and the changed
// request is what the backend receives.
type Request struct {
	Method      string
	Url         *Url
	OriginalUrl *Url
	Headers     Headers
	IpAddress   string
	Body        *Body
	// MatchedParameters holds the matched operation's URL template
	// parameters ({id}, {*rest}), unescaped; nil without an operation.
	MatchedParameters map[string]string
	// Certificate is the client certificate presented over TLS, or nil.
	Certificate *Certificate
	// PrivateEndpointConnection is APIM's for a request that came through
	// an Azure private endpoint: always nil, as there are none here.
	PrivateEndpointConnection *PrivateEndpointConnection
}

// PrivateEndpointConnection is APIM's IPrivateEndpointConnection.
type PrivateEndpointConnection struct {
	Name       string
	GroupId    string
	MemberName string
}

// Url is a parsed URL, as APIM's IUrl.
type Url struct {
	Scheme      string
	Host        string
	Port        int
	Path        string
	QueryString string // "?a=1&b=2", or "" (always reflects Query after changes)
	Query       Query

	sharedQuery bool // Query is shared with OriginalUrl: copy before changing
	// queryStale: Query, nil meanwhile, is to be parsed from QueryString
	// when first read (State.syncQuery): the client's query, not parsed
	// yet, or one SetQueryParamText changed as text. queryOrig: the text
	// is still the client's, whose map is shared with OriginalUrl once
	// parsed.
	queryStale, queryOrig bool
}

// String gives the URL back as text.
func (u *Url) String() string {
	var b strings.Builder
	b.WriteString(u.Scheme)
	b.WriteString("://")
	b.WriteString(u.Host)
	if u.Port != 0 && !(u.Port == 80 && (u.Scheme == "http" || u.Scheme == "ws")) && !(u.Port == 443 && (u.Scheme == "https" || u.Scheme == "wss")) {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(u.Port))
	}
	b.WriteString(u.Path)
	b.WriteString(u.QueryString)
	return b.String()
}

// fill sets out from u (SetRequest fills the State's own Url in place);
// requestURI, when it ends with "?" and u's query, gives QueryString. The
// query's values come from st's room (State.Strings) when st is not nil.
func (out *Url) fill(u *url.URL, scheme, host, requestURI string, st *State) {
	*out = Url{Path: u.Path}
	out.SetServer(scheme, host)
	if u.RawQuery != "" {
		if n := len(requestURI) - len(u.RawQuery); n > 0 && requestURI[n-1] == '?' && requestURI[n:] == u.RawQuery {
			out.QueryString = requestURI[n-1:] // no new string
		} else {
			out.QueryString = "?" + u.RawQuery
		}
		if st != nil {
			out.queryStale, out.queryOrig = true, true // parsed when first read (State.syncQuery)
		} else {
			out.Query = parseQuery(u.RawQuery, nil)
		}
	}
	// No query: Query stays nil (reads of a nil map find nothing; MutableQuery makes one).
}

// SetServer sets Scheme, Host and Port from a scheme and a host[:port]
// (Port is the scheme's default when host has none). The gateway keeps
// context.Request.Url the backend URL with it (State.RefreshUrl).
func (u *Url) SetServer(scheme, host string) {
	u.Scheme = scheme
	h, p := host, ""
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		h, p = host[:i], host[i+1:]
	}
	u.Host = h
	if p != "" {
		u.Port, _ = strconv.Atoi(p)
	} else if scheme == "https" || scheme == "wss" {
		u.Port = 443
	} else {
		u.Port = 80
	}
}

// MutableQuery returns the query for changing it in place (followed by
// SetQuery). The first call on a request's Url copies the map, which is
// shared with OriginalUrl until then, so OriginalUrl never changes. The
// copy is maps.Clone's, which copies the map's groups as they are: no
// walk of the map and no hashing of its keys again.
func (u *Url) MutableQuery() Query {
	switch {
	case u.queryStale:
		u.loadQuery(nil)
	case u.Query == nil:
		u.Query, u.sharedQuery = make(Query, 1), false
	case u.sharedQuery:
		u.Query, u.sharedQuery = maps.Clone(u.Query), false
	}
	return u.Query
}

// SetQuery changes the query and keeps QueryString in step.
func (u *Url) SetQuery(q Query) { u.SetQueryIn(q, nil) }

// SetQueryIn is SetQuery with QueryString made by st.NewString (in the
// request's room) when st is not nil.
func (u *Url) SetQueryIn(q Query, st *State) {
	u.Query, u.queryStale = q, false
	u.QueryString = encodeQuery(q, st)
}

// SetQueryParamIn sets q, the query after a change to the one parameter
// name (before are its values before it: none for a new one), and
// rewrites QueryString for that parameter alone, with the string in st's
// room when st is not nil. The other parameters' pairs stay as they were
// written: their order and their escapes (%2F stays %2F, a / stays a /),
// byte for byte. When the new values start with the old ones (skip, an
// append, an override with the same values) the parameter's own pairs
// stay too, and the values added follow its last pair (or end the query);
// otherwise its first pair gives way to the new values, form-encoded as
// encodeQuery writes them, and its other pairs go.
func (u *Url) SetQueryParamIn(q Query, name string, before []string, st *State) {
	u.Query, u.queryStale = q, false
	u.setQueryParamString(name, before, q[name], st)
}

// TextBefore returns the parameter's values as the query holds them, and
// whether a change of it can be made as text (SetQueryParamText): the
// query is the one OriginalUrl shows, parsed or not. A query not parsed
// yet is looked through as text when that needs no allocation; when not
// (an escaped name or value, a parameter given more than once) ok is
// false, as after a change already made as text: the caller parses it
// (State.SyncQuery) and changes the map.
func (u *Url) TextBefore(name string) (before []string, ok bool) {
	switch {
	case !u.queryStale:
		return u.Query[name], u.sharedQuery || u.Query == nil
	case !u.queryOrig:
		return nil, false
	}
	v, n, ok := rawQueryGet(u.QueryString, name)
	if !ok || n > 1 {
		return nil, false
	}
	if n == 0 {
		return nil, true
	}
	return []string{v}, true
}

// rawQueryGet finds the parameter name in a query string as parseQuery
// would, without unescaping: its value and how many pairs give it one,
// with ok false when it cannot tell without unescaping (a key or the
// value found escaped). For a query SetQueryParamText left as text too.
func rawQueryGet(qs, name string) (v string, n int, ok bool) {
	raw := strings.TrimPrefix(qs, "?")
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" || strings.IndexByte(part, ';') >= 0 {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		if strings.IndexByte(k, '%') >= 0 || strings.IndexByte(k, '+') >= 0 {
			return "", 0, false
		}
		if k != name {
			continue
		}
		if strings.IndexByte(val, '%') >= 0 || strings.IndexByte(val, '+') >= 0 {
			return "", 0, false
		}
		v, n = val, n+1
	}
	return v, n, true
}

// SetQueryParamText changes the parameter name from before (its values
// now, as Query holds them) to vals as SetQueryParamIn does, but writes
// QueryString alone: Query is parsed from it when an expression, a
// policy step or the gateway first reads it (State.syncQuery), so a
// request whose query nobody reads after the change never copies or
// parses it again. st must be the State whose context.Request.Url u is.
// The map parsed then is the one SetQueryParamIn would have left
// (FuzzSetQueryParamText), but for a parameter given no values, which
// the map keeps with none and the text cannot hold: the caller keeps
// SetQueryParamIn for those.
func (u *Url) SetQueryParamText(name string, before, vals []string, st *State) {
	if slices.Equal(vals, before) { // nothing changed: QueryString and Query stand
		if u.Query == nil && !u.queryStale {
			u.Query = Query{} // as MutableQuery would have made it
		}
		return
	}
	u.setQueryParamString(name, before, vals, st)
	u.Query, u.sharedQuery, u.queryStale, u.queryOrig = nil, false, true, false
	st.staleURL, st.queryStale = u, true
}

// LoadedQuery is Query, parsed first when SetQueryParamText left it as
// text: for Go code that reads the map outside a policy step's Run (a
// step's Run sees it parsed unless the step is QueryBlind).
func (u *Url) LoadedQuery() Query {
	if u.queryStale {
		u.loadQuery(nil)
	}
	return u.Query
}

// loadQuery parses Query from QueryString: the client's, not parsed yet,
// or one SetQueryParamText changed. The map is the Url's own.
func (u *Url) loadQuery(st *State) {
	u.Query = parseQuery(strings.TrimPrefix(u.QueryString, "?"), st)
	u.queryStale, u.queryOrig, u.sharedQuery = false, false, false // its own map
}

// setQueryParamString rewrites QueryString for a change of the parameter
// name from before to vals (SetQueryParamIn).
func (u *Url) setQueryParamString(name string, before, vals []string, st *State) {
	keep := len(vals) >= len(before) && slices.Equal(vals[:len(before)], before)
	if keep && len(vals) == len(before) {
		return // nothing changed: QueryString stands
	}
	var arr [256]byte
	b := arr[:0]
	add := func(vs []string) { b = appendQueryPairs(b, url.QueryEscape(name), vs) }
	last := -1 // keep: where the parameter's last pair ends in b
	written := false
	for rest := strings.TrimPrefix(u.QueryString, "?"); rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "&")
		if part == "" {
			continue
		}
		k, _, _ := strings.Cut(part, "=")
		if queryKeyIs(k, name) && !keep {
			if !written {
				add(vals)
				written = true
			}
			continue
		}
		b = appendQueryPart(b, part)
		if keep && queryKeyIs(k, name) {
			last = len(b)
		}
	}
	switch {
	case keep && last >= 0: // the values added follow the last pair
		tail := string(b[last:])
		b = b[:last]
		add(vals[len(before):])
		b = append(b, tail...)
	case keep:
		add(vals[len(before):])
	case !written:
		add(vals)
	}
	if len(b) == 0 {
		u.QueryString = ""
	} else if st != nil {
		u.QueryString = st.NewStringBytes(b)
	} else {
		u.QueryString = string(b)
	}
}

// SetQueryKeeping sets q as the query, as SetQuery does, but for the
// parameters named in kept, whose pairs are copied from QueryString as
// they were written (their escapes, in their order) after the others,
// which are form-encoded, names sorted: rewrite-uri's unmatched
// parameters, copied unchanged.
func (u *Url) SetQueryKeeping(q Query, kept map[string]bool) {
	if len(kept) == 0 {
		u.SetQuery(q)
		return
	}
	fresh := make(Query, len(q))
	for k, v := range q {
		if !kept[k] {
			fresh[k] = v
		}
	}
	b := []byte(encodeQuery(fresh, nil))
	for rest := strings.TrimPrefix(u.QueryString, "?"); rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "&")
		k, _, _ := strings.Cut(part, "=")
		if part == "" {
			continue
		}
		if d, err := url.QueryUnescape(k); err != nil || !kept[d] {
			continue
		}
		b = appendQueryPart(b, part)
	}
	u.Query, u.QueryString, u.queryStale = q, string(b), false
}

// queryKeyIs reports whether k, a query pair's key as written, is name
// once unescaped.
func queryKeyIs(k, name string) bool {
	if k == name {
		return true
	}
	if !strings.ContainsAny(k, "%+") {
		return false
	}
	d, err := url.QueryUnescape(k)
	return err == nil && d == name
}

// parseQuery is url.ParseQuery (pairs that do not unescape are skipped)
// with fewer allocations: one map and one backing array for the values,
// from st's room when st is not nil.
func parseQuery(raw string, st *State) Query {
	n := strings.Count(raw, "&") + 1
	q := make(Query, n)
	var vals []string
	if st != nil {
		vals = st.Strings(n)[:0]
	} else {
		vals = make([]string, 0, n)
	}
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" || strings.Contains(part, ";") {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		if old, ok := q[k]; ok {
			q[k] = append(old[:len(old):len(old)], v)
			continue
		}
		vals = append(vals, v)
		q[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	return q
}

// encodeQuery is "?" + url.Values.Encode() (keys sorted), or "" when empty,
// built in one buffer, made a string by st.NewString when st is not nil.
func encodeQuery(q Query, st *State) string {
	if len(q) == 0 {
		return ""
	}
	var arr [16]string
	keys := arr[:0]
	size := 0
	for k, vs := range q {
		keys = append(keys, k)
		for _, v := range vs {
			size += len(k) + len(v) + 2
		}
	}
	sort.Strings(keys)
	if st != nil {
		return encodeQueryIn(q, keys, st)
	}
	b := appendQuery(make([]byte, 0, size+8), q, keys)
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is this string's alone
}

// encodeQueryIn is encodeQuery's text built on the stack and copied by
// st.NewString.
func encodeQueryIn(q Query, keys []string, st *State) string {
	var arr [256]byte
	return st.NewStringBytes(appendQuery(arr[:0], q, keys))
}

// appendQuery appends encodeQuery's text of q, keys sorted, to b.
func appendQuery(b []byte, q Query, keys []string) []byte {
	for _, k := range keys {
		b = appendQueryPairs(b, url.QueryEscape(k), q[k])
	}
	return b
}

// appendQueryPairs appends ek=v for each of vs (form-encoded) to a query
// being written in b, with the '?' or '&' before each.
func appendQueryPairs(b []byte, ek string, vs []string) []byte {
	for _, v := range vs {
		b = appendQueryPart(b, ek)
		b = append(b, '=')
		b = append(b, url.QueryEscape(v)...)
	}
	return b
}

// appendQueryPart appends part (a pair, or a pair's name) to a query
// being written in b, with the '?' or '&' before it.
func appendQueryPart(b []byte, part string) []byte {
	if len(b) == 0 {
		b = append(b, '?')
	} else {
		b = append(b, '&')
	}
	return append(b, part...)
}

// Headers are case-insensitive, as HTTP headers are; keys are stored in
// canonical form. C# reads them case-insensitively (GetValueOrDefault,
// ContainsKey, TryGetValue and the indexer through FoldKey); Go code
// indexing the map must use the canonical form.
type Headers map[string][]string

// GetValueOrDefault returns the header's values joined with ",", or def.
func (h Headers) GetValueOrDefault(name, def string) string {
	return joinedOr(h.lookup(name), def)
}

// lookup is h[CanonicalMIMEHeaderKey(name)]. The keys are canonical, so
// a name found as it is written is canonical: the name is canonicalised
// (a scan of it) only when it is not found as it is, as with a name
// written in lower case or absent.
func (h Headers) lookup(name string) []string {
	if v, ok := h[name]; ok {
		return v
	}
	if c := textproto.CanonicalMIMEHeaderKey(name); c != name {
		return h[c]
	}
	return nil
}

// joinedOr returns values joined with ",", or def when there are none.
func joinedOr(values []string, def string) string {
	switch len(values) {
	case 0:
		return def
	case 1:
		return values[0]
	}
	return strings.Join(values, ",")
}

// FoldKey is the form a header name is stored in (csharp.FoldedKeys):
// indexing Headers from C# finds a header whatever the case it is written in.
func (h Headers) FoldKey(name string) string { return textproto.CanonicalMIMEHeaderKey(name) }

// ContainsKey reports whether the header is present.
func (h Headers) ContainsKey(name string) bool {
	if _, ok := h[name]; ok {
		return true
	}
	_, ok := h[textproto.CanonicalMIMEHeaderKey(name)]
	return ok
}

// Query holds query parameters (case-sensitive, as URLs are).
type Query map[string][]string

// GetValueOrDefault returns the parameter's values joined with ",", or def.
func (q Query) GetValueOrDefault(name, def string) string { return joinedOr(q[name], def) }

// ContainsKey reports whether the parameter is present.
func (q Query) ContainsKey(name string) bool { _, ok := q[name]; return ok }

// Variables are the policy's variables (set-variable, send-request responses).
type Variables map[string]any

// GetValueOrDefault returns the variable, or def when it is not set.
func (v Variables) GetValueOrDefault(name string, def any) any {
	if x, ok := v[name]; ok {
		return x
	}
	return def
}

// ContainsKey reports whether the variable is set.
func (v Variables) ContainsKey(name string) bool { _, ok := v[name]; return ok }

// Response is context.Response and the value a send-request stores (APIM's IResponse).
type Response struct {
	StatusCode   int
	StatusReason string
	Headers      Headers
	Body         *Body
}

// NewResponse returns an empty response with the given status. The
// response and its empty body are one allocation.
func NewResponse(status int) *Response { return NewResponseIn(new(ResponseRoom), status) }

// ResponseRoom is room for a Response and its empty body (NewResponseIn).
type ResponseRoom struct {
	resp Response
	body Body
}

// NewResponseIn is NewResponse written into room, which must belong to one
// request and never be reused (not pooled): a policy may keep the response.
// Only its header map is allocated.
func NewResponseIn(room *ResponseRoom, status int) *Response {
	room.resp = Response{StatusCode: status, StatusReason: http.StatusText(status), Headers: Headers{}, Body: &room.body}
	return &room.resp
}

// Body is a message body that expressions can read as text or JSON.
// Reading does not consume it: the same body can be read many times and
// still be forwarded (APIM's preserveContent is always on).
//
// Its bytes never change once it has them: a policy that changes a body
// sets a new Body (set-body, transform policies), response-cache keeps the
// bytes it caches, and AsString shares them. Callers of Bytes and NewBody
// must not modify the slice afterwards.
type Body struct {
	data   []byte
	load   func() ([]byte, error)              // lazy source, read once on first access
	src    BodySource                          // or this one (InitLazyBody)
	onLoad func([]byte, error) ([]byte, error) // see TransformOnLoad
	once   sync.Once
	loaded atomic.Bool
	err    error
	jsonV  any
	jsonOK bool
	jsonE  error
}

// NewBody wraps bytes.
func NewBody(b []byte) *Body { return &Body{data: b} }

// NewLazyBody reads the body on first access only.
func NewLazyBody(load func() ([]byte, error)) *Body { return &Body{load: load} }

// BodySource is where a lazy body made by InitLazyBody reads its bytes.
type BodySource interface {
	ReadBody() ([]byte, error)
}

// InitLazyBody makes b, a zero Body, read src on first access only: a lazy
// body held in a longer-lived struct (the gateway's exchange), without the
// closure and the allocation NewLazyBody costs per request.
func InitLazyBody(b *Body, src BodySource) { b.src = src }

// Bytes returns the body's bytes (reading it first if it is lazy).
func (b *Body) Bytes() ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	if b.load != nil || b.src != nil {
		b.once.Do(func() {
			if b.src != nil {
				b.data, b.err = b.src.ReadBody()
			} else {
				b.data, b.err = b.load()
			}
			if b.onLoad != nil {
				b.data, b.err = b.onLoad(b.data, b.err)
			}
			b.loaded.Store(true)
		})
	}
	return b.data, b.err
}

// TransformOnLoad makes the bytes of a lazy body not read yet what f
// makes of its source's (and of the read's error) when a policy first
// reads it: llm-content-safety checks a streamed answer that an outbound
// policy reads. It reports false, and does nothing, for a body already in
// memory.
func (b *Body) TransformOnLoad(f func([]byte, error) ([]byte, error)) bool {
	if b == nil || b.Loaded() {
		return false
	}
	b.onLoad = f
	return true
}

// Loaded reports whether the body's bytes are in memory (it was given as
// bytes, or a lazy body was read by a policy).
func (b *Body) Loaded() bool {
	if b == nil {
		return false
	}
	return b.load == nil && b.src == nil || b.loaded.Load()
}

// AsString returns the body as text (APIM: Body.As<string>()).
//
// The string shares the body's bytes, which never change (see Body): a
// policy reading a 16 KiB request body as text cost a 16 KiB copy per
// request, a third of that request's garbage in the REST benchmark's POST.
func (b *Body) AsString() (string, error) {
	d, err := b.Bytes()
	return unsafe.String(unsafe.SliceData(d), len(d)), err
}

// AsJSON parses the body as JSON (APIM: Body.As<JObject>()): objects become
// maps, so `r.Body.AsJSON().url` and `r.Body.AsJSON()["url"]` both work.
func (b *Body) AsJSON() (any, error) {
	if b == nil {
		return nil, nil
	}
	if b.jsonOK || b.jsonE != nil {
		return b.jsonV, b.jsonE
	}
	d, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	b.jsonE = json.Unmarshal(d, &b.jsonV)
	b.jsonOK = b.jsonE == nil
	return b.jsonV, b.jsonE
}

// Api describes the API being served.
type Api struct {
	Id         string // APIM's API id: the API's name
	Name       string
	Type       string // websocket | http | graphql
	Path       string
	ServiceUrl string `csharp:"url"` // an IUrl in C#, as APIM's
	Version    string // the API version (APIOps apiVersion), "" without one
	Revision   string // "1" unless APIOps apiRevision says
	// IsCurrentRevision is always true: tollgate serves an API's current
	// revision only.
	IsCurrentRevision             bool
	SubscriptionKeyParameterNames *SubscriptionKeyParameterNames
	// Protocols are the API's protocols as APIOps lists them ("https",
	// "wss"...), or APIM's default for its type.
	Protocols []string

	// graphQL is a GraphQL API's parsed schema (the gateway's; policies
	// such as validate-graphql-request read it). Unexported: expressions
	// do not see it.
	graphQL any
	// odata is an OData API's model (the gateway's *odata.Model, for
	// validate-odata-request). Unexported too.
	odata any
	// soap is a SOAP API's compiled WSDL schemas (its <types>), for
	// validate-content's validate-as="soap" and "xml". Unexported too.
	soap *xsd.Set
}

// SetSOAPSchemas records a SOAP API's compiled WSDL schemas (set once,
// when the API is loaded, before any request sees the Api).
func SetSOAPSchemas(a *Api, s *xsd.Set) { a.soap = s }

// SOAPSchemas are the schemas SetSOAPSchemas recorded (nil for an API
// without a WSDL, or whose WSDL has no schema).
func SOAPSchemas(a *Api) *xsd.Set {
	if a == nil {
		return nil
	}
	return a.soap
}

// SetGraphQLSchema records a GraphQL API's parsed schema (set once, when
// the API is loaded, before any request sees the Api).
func SetGraphQLSchema(a *Api, schema any) { a.graphQL = schema }

// SetODataModel records an OData API's model, read from its $metadata
// document (set once, when the API is loaded, before any request sees the
// Api).
func SetODataModel(a *Api, m any) { a.odata = m }

// ODataModel is the model SetODataModel recorded (nil for an API that is
// not an OData API).
func ODataModel(a *Api) any {
	if a == nil {
		return nil
	}
	return a.odata
}

// GraphQLSchema is the schema SetGraphQLSchema recorded (nil for an API
// that is not a GraphQL API).
func GraphQLSchema(a *Api) any {
	if a == nil {
		return nil
	}
	return a.graphQL
}

// SubscriptionKeyParameterNames are the header and query parameter a
// request's subscription key is read from.
type SubscriptionKeyParameterNames struct {
	Header string
	Query  string
}

// Deployment describes this gateway.
type Deployment struct {
	GatewayId   string
	Region      string
	ServiceName string
	// ServiceId is APIM's service's Azure resource ID; here what serve's
	// --service-id says (empty by default: tollgate is no Azure resource).
	ServiceId string
	// Gateway is the gateway itself (APIM's self-hosted gateways: not
	// managed).
	Gateway *GatewayInfo
	// Certificates are the certificates uploaded to the service: here the
	// --certificates folder's, by thumbprint (upper-case hex SHA-1).
	Certificates map[string]*Certificate
}

// Workspace is context.Workspace: an APIM workspace (workspaces/NAME in an
// APIOps folder). Id is the workspace's name (its folder), Name its display
// name.
type Workspace struct {
	Id   string
	Name string
}

// GatewayInfo is context.Deployment.Gateway.
type GatewayInfo struct {
	Id         string
	InstanceId string
	IsManaged  bool
}

// LastError is set when a policy fails and on-error runs.
type LastError struct {
	Source   string // the policy element, e.g. "send-request"
	Reason   string // e.g. ExpressionValueEvaluationFailure, RateLimitExceeded
	Message  string
	Scope    string // global | api
	Section  string // inbound | backend | outbound
	Path     string // inbound/choose[1]/when[2]/send-request[1]
	PolicyId string // the policy's id attribute
}
