package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"tollgate/engine"
)

// Operations: an HTTP API's operations (method + URL template) come from its
// OpenAPI specification or an <operations> element in api.xml. A request is
// matched to one operation as APIM does; a request that matches none gets
// APIM's 404 (LastError.Source "configuration", Reason "OperationNotFound"),
// after the API's on-error ran. An API without operations matches every
// request, as before operations existed. docs/resource-model.md describes
// the rules.

// Operation is one API operation: its identity for context.Operation, its
// URL template and its policy.
type Operation struct {
	Info *engine.Operation
	tpl  urlTemplate
	pos  engine.Pos
	// policyFile is operations/ID/policy.xml in the API folder ("" without one).
	policyFile string
	// grpc: a gRPC API's rpc, from its .proto (grpcproto.go); nil otherwise.
	grpc *grpcOpInfo
	// views are the API as served for this operation, one per product
	// index (see API.views): the operation's plan over the API's.
	views []*API
}

// ReasonOperationNotFound is APIM's LastError.Reason for a request that
// matches no operation of its API.
const ReasonOperationNotFound = "OperationNotFound"

// urlTemplate is a parsed APIM URL template: "/users/{id}",
// "/files/{*rest}", "/items/{id}.json", "/search?q={q}&v=2". The query part
// names query parameters a request must have (a {parameter} takes any
// value, a literal its own), as APIM's template parameters do.
type urlTemplate struct {
	raw  string
	segs []tplSeg
	wild string // the {*name} that ends the template, "" without one (or for a bare *)
	// rest says the template ends in a wildcard segment, {*name} or APIM's
	// bare * ("GET /*", the wildcard operation): it matches the rest of the
	// path, whatever its segments.
	rest  bool
	query []tplQuery // the query part, in template order; nil without one
	// qkey is the query part in a canonical form (sorted), to tell two
	// templates apart: "q={}&v=2".
	qkey string
	// qparams counts the {parameters} of the query part.
	qparams int
}

// tplSeg is one path segment: a literal, or a parameter with an optional
// literal prefix and suffix ("v{version}", "{id}.json").
type tplSeg struct {
	lit            string
	param          string
	prefix, suffix string
}

// tplQuery is one name=value of a template's query part: a parameter
// ("q={q}": param "q") or a literal value ("api-version=2": lit "2").
type tplQuery struct {
	name, param, lit string
}

func (s tplSeg) key() string {
	if s.param == "" {
		return s.lit
	}
	return s.prefix + "{}" + s.suffix
}

// parseTemplate parses an operation's URL template.
func parseTemplate(raw string) (urlTemplate, error) {
	t := urlTemplate{raw: raw}
	p, q, _ := strings.Cut(raw, "?")
	if !strings.HasPrefix(p, "/") {
		return t, fmt.Errorf("URL template %q must start with '/'", raw)
	}
	// APIM requires a template's parameter names to be unique across its
	// path and query, without regard to case.
	seen := map[string]bool{}
	param := func(name string) error {
		if name == "" || strings.ContainsAny(name, " {}*&=?#/") {
			return fmt.Errorf("URL template %q: bad parameter name %q", raw, name)
		}
		if seen[strings.ToLower(name)] {
			return fmt.Errorf("URL template %q: parameter name %q is used twice (the names of a template's path and query parameters are unique without regard to case, as APIM requires)", raw, name)
		}
		seen[strings.ToLower(name)] = true
		return nil
	}
	p = strings.TrimSuffix(p[1:], "/")
	var parts []string
	if p != "" {
		parts = strings.Split(p, "/")
	}
	for i, part := range parts {
		if part == "*" && i == len(parts)-1 {
			// APIM's wildcard operation (GET /*, as its import makes for
			// an app without an OpenAPI document): any rest of the path,
			// without a name for it.
			t.rest = true
			continue
		}
		open := strings.IndexByte(part, '{')
		if open < 0 {
			if strings.ContainsAny(part, "}") {
				return t, fmt.Errorf("URL template %q: segment %q has '}' without '{'", raw, part)
			}
			lit, err := url.PathUnescape(part)
			if err != nil {
				return t, fmt.Errorf("URL template %q: segment %q: %v", raw, part, err)
			}
			t.segs = append(t.segs, tplSeg{lit: lit})
			continue
		}
		end := strings.IndexByte(part, '}')
		if end < open || strings.Count(part, "{") != 1 || strings.Count(part, "}") != 1 {
			return t, fmt.Errorf("URL template %q: segment %q must hold one {parameter}", raw, part)
		}
		name := part[open+1 : end]
		if strings.HasPrefix(name, "*") {
			name = name[1:]
			if i != len(parts)-1 || open != 0 || end != len(part)-1 {
				return t, fmt.Errorf("URL template %q: {*%s} must be the whole last segment", raw, name)
			}
			if err := param(name); err != nil {
				return t, err
			}
			t.wild, t.rest = name, true
			continue
		}
		if err := param(name); err != nil {
			return t, err
		}
		t.segs = append(t.segs, tplSeg{param: name, prefix: part[:open], suffix: part[end+1:]})
	}
	if q == "" {
		return t, nil
	}
	names := map[string]bool{}
	keys := make([]string, 0, strings.Count(q, "&")+1)
	for _, pair := range strings.Split(q, "&") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			return t, fmt.Errorf("URL template %q: query part %q must be name={parameter} or name=value", raw, pair)
		}
		name, err := url.QueryUnescape(k)
		if err != nil || strings.ContainsAny(name, "{}") {
			return t, fmt.Errorf("URL template %q: bad query parameter name %q", raw, k)
		}
		if names[name] {
			return t, fmt.Errorf("URL template %q: query parameter %q is named twice", raw, name)
		}
		names[name] = true
		tq := tplQuery{name: name}
		switch {
		case strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") && len(v) >= 2:
			tq.param = v[1 : len(v)-1]
			if err := param(tq.param); err != nil {
				return t, err
			}
			t.qparams++
			keys = append(keys, name+"={}")
		case strings.ContainsAny(v, "{}"):
			return t, fmt.Errorf("URL template %q: query part %q must be name={parameter} or name=value", raw, pair)
		default:
			lit, err := url.QueryUnescape(v)
			if err != nil {
				return t, fmt.Errorf("URL template %q: query part %q: %v", raw, pair, err)
			}
			tq.lit = lit
			keys = append(keys, name+"="+lit)
		}
		t.query = append(t.query, tq)
	}
	sort.Strings(keys)
	t.qkey = strings.Join(keys, "&")
	return t, nil
}

// tplQueryValue finds the first value of name in a raw query string
// ("a=1&b=2"), unescaped; ok says the name is there (its value may be
// empty). It allocates only to unescape what is escaped.
func tplQueryValue(raw, name string) (string, bool) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(k, "%+") {
			u, err := url.QueryUnescape(k)
			if err != nil {
				continue
			}
			k = u
		}
		if k != name {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			u, err := url.QueryUnescape(v)
			if err != nil {
				return "", false // a value that cannot be read is no value
			}
			v = u
		}
		return v, true
	}
	return "", false
}

// queryMatches says whether a raw query has what the template's query
// part asks for: each name, with its literal value where it has one.
func (t *urlTemplate) queryMatches(raw string) bool {
	for _, q := range t.query {
		v, ok := tplQueryValue(raw, q.name)
		if !ok || q.param == "" && v != q.lit {
			return false
		}
	}
	return true
}

// opRouter matches a request path (relative to the API's path) and method
// to an operation: a tree of segments walked depth first, literal segments
// before parameters (longer fixed text first) before a trailing {*rest}, so
// the most specific template wins, as in APIM. Matching allocates only the
// MatchedParameters map.
type opRouter struct {
	root opNode
	n    int
}

type opNode struct {
	lit    map[string]*opNode
	params []*paramEdge
	wild   *opSet
	ops    opSet
}

type paramEdge struct {
	prefix, suffix string
	node           *opNode
}

// opSet is the operations that end at one place of the tree, by method
// ("*": any method): those whose template has a query part, most query
// parameters first, and those without.
type opSet struct {
	plain map[string]*Operation
	query map[string][]*Operation // nil while no template here has a query part
}

// add registers op; it fails when an operation with the same method and an
// equivalent template is already there.
func (r *opRouter) add(op *Operation) error {
	n := &r.root
	for _, s := range op.tpl.segs {
		if s.param == "" {
			if n.lit == nil {
				n.lit = map[string]*opNode{}
			}
			next := n.lit[s.lit]
			if next == nil {
				next = &opNode{}
				n.lit[s.lit] = next
			}
			n = next
			continue
		}
		var edge *paramEdge
		for _, e := range n.params {
			if e.prefix == s.prefix && e.suffix == s.suffix {
				edge = e
				break
			}
		}
		if edge == nil {
			edge = &paramEdge{prefix: s.prefix, suffix: s.suffix, node: &opNode{}}
			n.params = append(n.params, edge)
			sort.SliceStable(n.params, func(i, j int) bool {
				return len(n.params[i].prefix)+len(n.params[i].suffix) > len(n.params[j].prefix)+len(n.params[j].suffix)
			})
		}
		n = edge.node
	}
	set := &n.ops
	if op.tpl.rest {
		if n.wild == nil {
			n.wild = &opSet{}
		}
		set = n.wild
	}
	m := op.Info.Method
	if len(op.tpl.query) > 0 {
		for _, prev := range set.query[m] {
			if prev.tpl.qkey == op.tpl.qkey {
				return fmt.Errorf("operation %q (%s %s) has the same method and URL template as %q", op.Info.Id, m, op.tpl.raw, prev.Info.Id)
			}
		}
		if set.query == nil {
			set.query = map[string][]*Operation{}
		}
		list := append(set.query[m], op)
		// The template that asks more of the query is tried first; among
		// equals, the first declared.
		sort.SliceStable(list, func(i, j int) bool { return len(list[i].tpl.query) > len(list[j].tpl.query) })
		set.query[m] = list
		r.n++
		return nil
	}
	if set.plain == nil {
		set.plain = map[string]*Operation{}
	}
	if prev := set.plain[m]; prev != nil {
		return fmt.Errorf("operation %q (%s %s) has the same method and URL template as %q", op.Info.Id, m, op.tpl.raw, prev.Info.Id)
	}
	set.plain[m] = op
	r.n++
	return nil
}

// maxParams bounds the parameters one match collects.
const maxParams = 32

// match finds the operation for method, the escaped path relative to the
// API ("/users/42") and the raw query. It returns the operation and its
// parameters (unescaped), or nil.
func (r *opRouter) match(method, rel, query string) (*Operation, map[string]string) {
	rel = strings.TrimPrefix(rel, "/")
	if rel != "" && strings.HasSuffix(rel, "/") {
		rel = rel[:len(rel)-1] // a trailing slash is not a segment
	}
	m := matcher{method: method, query: query} // vals is allocated at the first parameter
	op := m.walk(&r.root, rel, rel == "")
	if op == nil {
		return nil, nil
	}
	if len(m.vals) == 0 && op.tpl.qparams == 0 {
		return op, nil
	}
	// The values are in template order: the operation's own template
	// names them (two templates may name one position differently).
	params := make(map[string]string, len(m.vals)+op.tpl.qparams)
	i := 0
	for _, s := range op.tpl.segs {
		if s.param != "" && i < len(m.vals) {
			params[s.param] = m.vals[i]
			i++
		}
	}
	if op.tpl.wild != "" && i < len(m.vals) {
		params[op.tpl.wild] = m.vals[i]
	}
	for _, q := range op.tpl.query {
		if q.param != "" {
			params[q.param], _ = tplQueryValue(query, q.name)
		}
	}
	return op, params
}

type matcher struct {
	method, query string
	vals          []string
}

// walk matches rest (the path left, without its leading '/') from n. done
// says the whole path is consumed.
func (m *matcher) walk(n *opNode, rest string, done bool) *Operation {
	if done {
		if op := m.pick(&n.ops); op != nil {
			return op
		}
		if n.wild != nil { // "{*rest}" matches an empty rest too
			if op := m.pick(n.wild); op != nil {
				m.vals = append(m.vals, "")
				return op
			}
		}
		return nil
	}
	seg, after, more := strings.Cut(rest, "/")
	if seg == "" && more {
		return nil // "//": an empty segment never matches
	}
	useg := seg
	if strings.IndexByte(seg, '%') >= 0 {
		u, err := url.PathUnescape(seg)
		if err != nil {
			return nil
		}
		useg = u
	}
	if next := n.lit[useg]; next != nil {
		if op := m.walk(next, after, !more); op != nil {
			return op
		}
	}
	if len(m.vals) < maxParams {
		if m.vals == nil && len(n.params) > 0 {
			m.vals = make([]string, 0, 4)
		}
		for _, e := range n.params {
			if len(useg) <= len(e.prefix)+len(e.suffix) || !strings.HasPrefix(useg, e.prefix) || !strings.HasSuffix(useg, e.suffix) {
				continue
			}
			m.vals = append(m.vals, useg[len(e.prefix):len(useg)-len(e.suffix)])
			if op := m.walk(e.node, after, !more); op != nil {
				return op
			}
			m.vals = m.vals[:len(m.vals)-1]
		}
	}
	if n.wild != nil && len(m.vals) < maxParams {
		if op := m.pick(n.wild); op != nil {
			v := rest
			if strings.IndexByte(v, '%') >= 0 {
				if u, err := url.PathUnescape(v); err == nil {
					v = u
				}
			}
			m.vals = append(m.vals, v)
			return op
		}
	}
	return nil
}

// pick chooses among the operations of one place: the request's method
// before "*", and for each, a template with a query part the request
// satisfies before one without.
func (m *matcher) pick(s *opSet) *Operation {
	if s.query != nil {
		return m.pickAll(s)
	}
	if op := s.plain[m.method]; op != nil {
		return op
	}
	return s.plain["*"]
}

// pickAll is pick where templates with a query part end (apart, so that
// pick stays small enough to inline for the APIs without them).
func (m *matcher) pickAll(s *opSet) *Operation {
	if op := m.pickQuery(s.query[m.method]); op != nil {
		return op
	}
	if op := s.plain[m.method]; op != nil {
		return op
	}
	if op := m.pickQuery(s.query["*"]); op != nil {
		return op
	}
	return s.plain["*"]
}

func (m *matcher) pickQuery(ops []*Operation) *Operation {
	for _, op := range ops {
		if op.tpl.queryMatches(m.query) {
			return op
		}
	}
	return nil
}

// opMethods are the methods an operation may have ("*": any method).
var opMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodTrace, "*"}

// operationNotFound is APIM's answer for a request that matches no
// operation: 404 {"statusCode":404,"message":"Resource not found"}, through
// the API's on-error with LastError.Source "configuration".
func operationNotFound(method, path string) *engine.PolicyError {
	_, _ = method, path
	pe := engine.NewPolicyError(ReasonOperationNotFound, http.StatusNotFound,
		"Unable to match incoming request to an operation.", nil)
	pe.Source = "configuration"
	pe.Response = engine.ErrorResponse(http.StatusNotFound, "Resource not found")
	return pe
}

// relPath is the request's escaped path relative to the API's path.
func (a *API) relPath(escaped string) string {
	if a.Path == "/" {
		return escaped
	}
	return strings.TrimPrefix(escaped, a.Path)
}

// reqMatch is what routing found for a request beyond its API: the
// operation's parameters and the subscription (subscriptions.go).
type reqMatch struct {
	params map[string]string
	sub    *subscriptionMatch
	diag   *diagRequest // its API's diagnostics (diagnostics.go); nil: none
}

// matchOperation finds the request's operation: nil when the API has
// operations and none matches.
func (a *API) matchOperation(method, escapedPath, rawQuery string, h http.Header) (*Operation, map[string]string, bool) {
	if a.soap != nil {
		op := a.soap.match(method, a.relPath(escapedPath), h)
		return op, nil, op != nil
	}
	if a.router == nil {
		if len(a.Operations) == 1 && a.Operations[0].Info == onHandshake {
			return a.Operations[0], nil, true
		}
		return nil, nil, true // no operations: every request is the API's
	}
	op, params := a.router.match(method, a.relPath(escapedPath), rawQuery)
	return op, params, op != nil
}

// viewFor is the API as served for op (nil: none) through product index
// prod (0: no product).
func (a *API) viewFor(op *Operation, prod int) *API {
	views := a.views
	if op != nil {
		views = op.views
	}
	if prod < len(views) && views[prod] != nil {
		return views[prod]
	}
	if len(views) > 0 && views[0] != nil {
		return views[0]
	}
	return a // an API made without Load (tests)
}

// refuse answers a request the gateway's own steps refused (no operation,
// no valid subscription key) as APIM does: through view's on-error, with
// pe as context.LastError, before any other policy ran.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, view *API, pe *engine.PolicyError, diag *diagRequest) {
	x := s.newExchange(r, view, time.Now())
	x.m.diag = diag
	scheme := "http"
	switch {
	case view.servesWebSocket(r):
		scheme = wsScheme(r)
	case r.TLS != nil:
		scheme = "https"
	}
	x.begin(r, scheme)
	defer x.close(r.Context())
	view.Plan.Fail(r.Context(), engine.Inbound, x.st, pe)
	s.metrics.Requests.WithLabelValues(view.Name, strconv.Itoa(x.st.Response().StatusCode)).Inc()
	x.respond(w)
	if diag != nil { // diagnostics.go
		diag.refused(x, w)
	}
}
