package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/engine/csharp"
	"tollgate/gateway/internal/gqlexec"
	"tollgate/policies"
)

// Synthetic GraphQL APIs (APIM's "synthetic" GraphQL APIs, docs/graphql.md):
// a GraphQL API without a service URL is answered by the gateway itself.
// Its schema is the folder's schema.graphql (APIOps: specification.graphql);
// each field may have a resolver, a policy document whose root is
// <http-data-source> (policies/http_data_source.go), in the folder's
// resolvers/: APIOps' resolvers/NAME/resolverInformation.json (its
// properties.path is "Type/field") with resolvers/NAME/policy.xml, or
// tollgate's resolvers/Type.field.xml. A field without one takes its
// parent's property of the same name.
//
// A request goes through the API's policies as any REST request does
// (serveHTTPAPI): inbound and backend, then the executor plays the backend
// (backendTransport.RoundTrip calls graphqlRoundTrip), then outbound on its
// answer, as APIM evaluates resolvers after the inbound and backend
// policies.

// graphqlNoServiceURL is a synthetic API's service URL: nothing is
// forwarded to it (graphqlRoundTrip answers first).
var graphqlNoServiceURL = &url.URL{Scheme: "http", Host: "graphql.invalid"}

// syntheticGraphQL is a synthetic API's schema and resolvers, immutable
// once loaded.
type syntheticGraphQL struct {
	// passThrough: a GraphQL API with a service URL and resolvers for some
	// fields; the others are its backend's (graphqlMixedRoundTrip).
	passThrough bool
	schema      *ast.Schema
	resolvers   map[string]*graphqlResolver // "Type.field"
	limits      gqlexec.Limits
	timeout     time.Duration // each resolver call (resolver-timeout)
}

type graphqlResolver struct {
	typeName, field string
	def             *ast.FieldDefinition
	block           engine.Block
	file            string
}

// SyntheticGraphQL describes a synthetic GraphQL API for the binary's
// listings ("" for any other API).
func (a *API) SyntheticGraphQL() string {
	if a.gql == nil || a.gql.passThrough {
		return ""
	}
	return "(synthetic GraphQL: " + resolverCount(len(a.gql.resolvers)) + ")"
}

// GraphQLResolvers says how many resolvers a pass-through GraphQL API has,
// for the listings beside its service URL ("" for any other API).
func (a *API) GraphQLResolvers() string {
	if a.gql == nil || !a.gql.passThrough {
		return ""
	}
	return "(" + resolverCount(len(a.gql.resolvers)) + ")"
}

func resolverCount(n int) string {
	if n == 1 {
		return "1 resolver"
	}
	return strconv.Itoa(n) + " resolvers"
}

// ResolverFiles lists the files a synthetic GraphQL API's resolvers were
// compiled from (their own and the fragments they include), for the
// console's list of an API's policy files; nil for any other API.
func (a *API) ResolverFiles() []string {
	if a.gql == nil {
		return nil
	}
	var out []string
	var walk func(b engine.Block)
	walk = func(b engine.Block) {
		for _, st := range b {
			out = append(out, st.Pos.File)
			for _, br := range st.Branches {
				walk(br.Steps)
			}
		}
	}
	for _, rv := range a.gql.resolvers {
		out = append(out, rv.file)
		walk(rv.block)
	}
	return out
}

// resolverSrc is one resolver's files: APIOps' folder (info is its
// resolverInformation.json) or tollgate's Type.field.xml (info empty).
type resolverSrc struct {
	name   string
	info   srcFile
	policy srcFile
}

// readResolvers reads an API folder's resolvers/.
func readResolvers(apiDir string, errs *engine.ErrorList) []resolverSrc {
	dir := filepath.Join(apiDir, "resolvers")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []resolverSrc
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if isDirEntry(dir, e) {
			r := resolverSrc{name: name}
			infoPath := filepath.Join(dir, name, "resolverInformation.json")
			if data, ok := readIf(infoPath, errs); ok {
				r.info = srcFile{path: infoPath, data: data}
			} else {
				errs.Add(engine.Pos{File: filepath.Join(dir, name)}, "", "a resolver folder needs resolverInformation.json (its properties.path names the field, \"Type/field\")")
				continue
			}
			polPath := filepath.Join(dir, name, "policy.xml")
			if data, ok := readIf(polPath, errs); ok {
				r.policy = srcFile{path: polPath, data: data}
			}
			out = append(out, r)
			continue
		}
		if strings.HasSuffix(name, ".xml") {
			p := filepath.Join(dir, name)
			if data, ok := readIf(p, errs); ok {
				out = append(out, resolverSrc{name: strings.TrimSuffix(name, ".xml"), policy: srcFile{path: p, data: data}})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// loadSynthetic makes api, a GraphQL API without a service URL, a
// synthetic one, or a pass-through one with resolvers a mixed one: its
// resolvers compiled with comp and checked against its schema. Resolvers
// on an API of another type are load errors at their files.
func loadSynthetic(api *API, srcs []resolverSrc, comp *engine.Compiler, errs *engine.ErrorList) {
	if api.Type != "graphql" {
		for _, r := range srcs {
			at := r.policy
			if r.info.path != "" {
				at = r.info
			}
			errs.Add(engine.Pos{File: at.path, Line: 1, Col: 1}, "", "resolvers belong to GraphQL APIs; API %q is of type %s", api.Name, api.Type)
		}
		return
	}
	// A GraphQL API with a service URL is a pass-through one: only with
	// resolvers does the gateway read its requests (graphqlMixedRoundTrip).
	passThrough := api.ServiceURL != nil
	if passThrough && len(srcs) == 0 {
		return
	}
	var schema *ast.Schema
	if api.Info != nil {
		schema, _ = engine.GraphQLSchema(api.Info).(*ast.Schema)
	}
	g := &syntheticGraphQL{schema: schema, resolvers: map[string]*graphqlResolver{}, timeout: api.Limits.ResolverTimeout,
		limits: gqlexec.Limits{MaxDepth: int(api.Limits.GraphQLMaxDepth), MaxFields: int(api.Limits.GraphQLMaxFields),
			MaxResolverCalls: int(api.Limits.GraphQLMaxResolverCalls), Concurrency: int(api.Limits.GraphQLConcurrency),
			MaxResponseBytes: api.Limits.GraphQLMaxResponseBytes}}
	api.gql = g
	g.passThrough = passThrough
	if !passThrough {
		api.ServiceURL = graphqlNoServiceURL
	}
	seen := map[string]string{}
	for _, r := range srcs {
		typ, field, at, ok := resolverField(r, errs)
		if !ok {
			continue
		}
		if r.policy.path == "" {
			errs.Add(engine.Pos{File: r.info.path, Line: 1, Col: 1}, "", "resolver %q has no policy.xml (its <http-data-source>)", r.name)
			continue
		}
		var def *ast.FieldDefinition
		if schema != nil {
			t := schema.Types[typ]
			switch {
			case t == nil:
				errs.Add(at, "", "resolver %q: the schema has no type %s", r.name, typ)
				continue
			case t.Kind != ast.Object:
				errs.Add(at, "", "resolver %q: %s is %s, not an object type: only an object type's fields have resolvers", r.name, typ, kindArticle[t.Kind])
				continue
			}
			if def = t.Fields.ForName(field); def == nil || strings.HasPrefix(field, "__") {
				errs.Add(at, "", "resolver %q: type %s has no field %s%s", r.name, typ, field, fieldHint(t, field))
				continue
			}
			if schema.Subscription != nil && t == schema.Subscription {
				errs.Add(at, "", "resolver %q: %s is a subscription field, which takes no resolver: its events come from publish-event in another field's resolver", r.name, typ+"."+field)
				continue
			}
		}
		key := typ + "." + field
		if prev, dup := seen[key]; dup {
			errs.Add(at, "", "resolver %q resolves %s/%s, as %s does already", r.name, typ, field, prev)
			continue
		}
		seen[key] = r.name
		root, err := engine.Read(r.policy.path, r.policy.data)
		if err != nil {
			errs.Append(err)
			continue
		}
		switch root.Name {
		case "http-data-source", "cosmosdb-data-source", "sql-data-source":
		default:
			errs.Add(root.Pos, "", "a resolver's policy is one <http-data-source> element, not <%s>", root.Name)
			continue
		}
		block := comp.CompileResolver(root, "resolver")
		if def != nil {
			checkArgumentNames(r.policy, def, typ, errs)
		}
		if schema != nil {
			for _, pt := range policies.PublishTargets(block) {
				switch {
				case passThrough:
					errs.Add(pt.Pos, "", "publish-event feeds a synthetic API's subscriptions; API %q is a pass-through GraphQL API, whose subscriptions are its backend's", api.Name)
				case schema.Subscription == nil:
					errs.Add(pt.Pos, "", "publish-event targets %s, but the schema has no Subscription type", pt.Field)
				case schema.Subscription.Fields.ForName(pt.Field) == nil || len(pt.Field) > 1 && pt.Field[:2] == "__":
					errs.Add(pt.Pos, "", "publish-event targets %s, which is not a field of %s%s", pt.Field, schema.Subscription.Name, fieldHint(schema.Subscription, pt.Field))
				}
			}
		}
		g.resolvers[key] = &graphqlResolver{typeName: typ, field: field, def: def, block: block, file: r.policy.path}
	}
}

var kindArticle = map[ast.DefinitionKind]string{ast.Interface: "an interface", ast.Union: "a union", ast.Enum: "an enum",
	ast.Scalar: "a scalar", ast.InputObject: "an input type"}

func fieldHint(t *ast.Definition, field string) string {
	names := make([]string, 0, len(t.Fields))
	for _, f := range t.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 || len(names) > 20 {
		return ""
	}
	return " (it has: " + strings.Join(names, ", ") + ")"
}

// resolverField reads which field a resolver resolves: APIOps'
// properties.path ("Type/field"), or tollgate's file name Type.field.
func resolverField(r resolverSrc, errs *engine.ErrorList) (typ, field string, at engine.Pos, ok bool) {
	path := r.name
	at = engine.Pos{File: r.policy.path, Line: 1, Col: 1}
	sep := "."
	if r.info.path != "" {
		var info struct {
			Properties struct {
				Path string `json:"path"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(r.info.data, &info); err != nil {
			errs.Add(engine.Pos{File: r.info.path, Line: 1, Col: 1}, "", "resolverInformation.json: %s", jsonErrText(err))
			return "", "", at, false
		}
		path, sep = info.Properties.Path, "/"
		at = jsonKeyPos(r.info.path, r.info.data, "path")
		if path == "" {
			errs.Add(at, "", "resolverInformation.json needs properties.path, the field it resolves (\"Type/field\")")
			return "", "", at, false
		}
	}
	typ, field, found := strings.Cut(path, sep)
	if !found || typ == "" || field == "" || strings.Contains(field, sep) {
		if sep == "/" {
			errs.Add(at, "", "resolver path %q must be \"Type/field\"", path)
		} else {
			errs.Add(at, "", "resolver file %q must be named Type.field.xml (resolvers/Query.users.xml)", filepath.Base(r.policy.path))
		}
		return "", "", at, false
	}
	return typ, field, at, true
}

func jsonErrText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "invalid JSON at byte " + strconv.FormatInt(se.Offset, 10) + ": " + se.Error()
	}
	return err.Error()
}

// argQuote is a C# string literal's quote as a policy file may write it.
const argQuote = `(?:"|&quot;)`

// argRead is a read of one argument by a literal name, after what holds
// the arguments: ["name"], .Value<T>("name") or .GetValue("name").
const argRead = `\s*(?:\[\s*` + argQuote + `([^"&\\]*)` + argQuote + `\s*\]|\.\s*(?:Value\s*(?:<|&lt;)[^>&]*(?:>|&gt;)|GetValue)\s*\(\s*` + argQuote + `([^"&\\]*)` + argQuote + `)`

// argumentRef finds context.GraphQL.Arguments["name"] in a resolver's text.
var argumentRef = regexp.MustCompile(`context\.GraphQL\.Arguments` + argRead)

// argumentsLocal finds a local variable that holds the arguments:
// var a = context.GraphQL.Arguments; (or JObject a = ..., with or without
// a (JObject) cast).
var argumentsLocal = regexp.MustCompile(`(?:\bvar|\bJObject|\bdynamic)\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:\(\s*JObject\s*\)\s*)?context\.GraphQL\.Arguments\s*;`)

// checkArgumentNames reports the arguments a resolver reads by a literal
// name that its field does not have: such a read is always null. A read
// is context.GraphQL.Arguments["id"] (or .Value<T>("id"), .GetValue("id")),
// or the same through a local variable declared from
// context.GraphQL.Arguments, up to the end of its block or its first
// reassignment.
func checkArgumentNames(f srcFile, def *ast.FieldDefinition, typ string, errs *engine.ErrorList) {
	report := func(m []int) {
		at, end := m[2], m[3]
		if at < 0 {
			at, end = m[4], m[5]
		}
		name := string(f.data[at:end])
		if def.Arguments.ForName(name) != nil {
			return
		}
		have := make([]string, 0, len(def.Arguments))
		for _, a := range def.Arguments {
			have = append(have, a.Name)
		}
		list := "none"
		if len(have) > 0 {
			list = strings.Join(have, ", ")
		}
		errs.Add(offsetPos(f.path, f.data, int64(at)), "", "%s.%s has no argument %q (its arguments: %s)", typ, def.Name, name, list)
	}
	for _, m := range argumentRef.FindAllSubmatchIndex(f.data, -1) {
		report(m)
	}
	for _, d := range argumentsLocal.FindAllSubmatchIndex(f.data, -1) {
		name := regexp.QuoteMeta(string(f.data[d[2]:d[3]]))
		scope := f.data[:blockEnd(f.data, d[1])]
		if m := regexp.MustCompile(`(?:^|[^\w.])` + name + `\s*=[^=]`).FindIndex(scope[d[1]:]); m != nil {
			scope = scope[:d[1]+m[0]] // reassigned: what it holds next is not known
		}
		reads := regexp.MustCompile(`(?:^|[^\w.])` + name + argRead)
		for _, m := range reads.FindAllSubmatchIndex(scope[d[1]:], -1) {
			for i := 2; i < len(m); i++ {
				if m[i] >= 0 {
					m[i] += d[1]
				}
			}
			report(m)
		}
	}
}

// blockEnd is where the C# block around from ends: the offset of the }
// that closes it (string and character literals skipped), or len(src).
func blockEnd(src []byte, from int) int {
	depth := 0
	for i := from; i < len(src); i++ {
		switch src[i] {
		case '"', '\'':
			q := src[i]
			for i++; i < len(src) && src[i] != q; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return len(src)
}

// graphqlRoundTrip answers a synthetic API's request in place of a
// backend: the GraphQL request read from r (as the policies left it),
// executed, and the result as the backend's response.
func (s *Server) graphqlRoundTrip(r *http.Request, x *exchange) (*http.Response, error) {
	g := x.api.gql
	graphqlJSON := acceptsGraphQLResponse(r.Header.Get("Accept"))
	p, status, msg := readGraphQLRequest(r, x.api.Limits.MaxBodySize)
	if status != 0 {
		return graphqlAnswer(r, status, graphqlJSON, []byte(`{"errors":[{"message":`+strconv.Quote(msg)+`}]}`)), nil
	}
	if g.schema == nil {
		return graphqlAnswer(r, http.StatusInternalServerError, graphqlJSON, []byte(`{"errors":[{"message":"the API has no schema"}]}`)), nil
	}
	rr := &resolverRun{budget: x.api.Limits.GraphQLMaxAnswerBytes}
	if rr.budget <= 0 {
		rr.budget = DefaultLimits.GraphQLMaxAnswerBytes
	}
	resolvers := s.requestResolvers(x, g, rr)
	res := gqlexec.Execute(r.Context(), g.schema, p, resolvers, g.limits)
	body, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	status = http.StatusOK
	if res.RequestError() {
		switch {
		case res.MethodNotAllowed:
			status = http.StatusMethodNotAllowed
		case graphqlJSON:
			status = http.StatusBadRequest // GraphQL over HTTP: a request that never ran
		}
	}
	return graphqlAnswer(r, status, graphqlJSON, body), nil
}

// requestResolvers are the resolvers of one request's fields: each runs on
// a fork of the request's State.
func (s *Server) requestResolvers(x *exchange, g *syntheticGraphQL, rr *resolverRun) gqlexec.Resolvers {
	return func(typ, field string) gqlexec.Resolver {
		rv := g.resolvers[typ+"."+field]
		if rv == nil {
			return nil
		}
		return func(ctx context.Context, f *gqlexec.Field) (any, error) {
			return s.runResolver(ctx, x.api, func() (*engine.State, func()) {
				rr.forkMu.Lock()
				defer rr.forkMu.Unlock()
				st := x.st.Fork()
				return st, func() { // its trace steps join the request's (a traced request shows its resolvers)
					rr.forkMu.Lock()
					defer rr.forkMu.Unlock()
					x.st.Discard(st)
				}
			}, g, rv, f, rr)
		}
	}
}

func graphqlAnswer(r *http.Request, status int, graphqlJSON bool, body []byte) *http.Response {
	ct := "application/json; charset=utf-8"
	if graphqlJSON {
		ct = "application/graphql-response+json; charset=utf-8"
	}
	h := http.Header{"Content-Type": {ct}, "Content-Length": {strconv.Itoa(len(body))}}
	if status == http.StatusMethodNotAllowed {
		h["Allow"] = []string{"POST"}
	}
	return &http.Response{StatusCode: status, Status: strconv.Itoa(status) + " " + http.StatusText(status),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: r}
}

// acceptsGraphQLResponse: the client asks for GraphQL over HTTP's
// application/graphql-response+json.
func acceptsGraphQLResponse(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		if mt == "application/graphql-response+json" {
			return true
		}
	}
	return false
}

// readGraphQLRequest reads a GraphQL-over-HTTP request: GET ?query=
// (&operationName, &variables as JSON), POST application/json
// {query, operationName, variables}, or POST application/graphql (the
// document as the body). status is non-zero, with a message, when the
// request is not one.
func readGraphQLRequest(r *http.Request, maxBody int64) (p gqlexec.Params, status int, msg string) {
	var data []byte
	if r.Method == http.MethodPost {
		if r.Body == nil {
			return p, http.StatusBadRequest, "the request has no body"
		}
		var err error
		data, err = readLimited(r.Body, r.ContentLength, maxBody, "the request body")
		if err != nil {
			if errors.Is(err, errBodyTooLarge) {
				return p, http.StatusRequestEntityTooLarge, "the request body is larger than " + strconv.FormatInt(maxBody, 10) + " bytes"
			}
			return p, http.StatusBadRequest, "cannot read the request body"
		}
	}
	return parseGraphQLRequest(r, data)
}

// parseGraphQLRequest reads a GraphQL-over-HTTP request whose body (a
// POST's) is data.
func parseGraphQLRequest(r *http.Request, data []byte) (p gqlexec.Params, status int, msg string) {
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		p.Query, p.OperationName, p.ReadOnly = q.Get("query"), q.Get("operationName"), true
		if v := q.Get("variables"); v != "" {
			if err := decodeJSON([]byte(v), &p.Variables); err != nil {
				return p, http.StatusBadRequest, "variables must be a JSON object: " + err.Error()
			}
		}
	case http.MethodPost:
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch mt {
		case "application/json", "":
			if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '[' {
				return p, http.StatusBadRequest, "batched requests (a JSON array) are not accepted: send one request per POST"
			}
			var body struct {
				Query         *string        `json:"query"`
				OperationName *string        `json:"operationName"`
				Variables     map[string]any `json:"variables"`
			}
			if err := decodeJSON(data, &body); err != nil {
				return p, http.StatusBadRequest, "the body must be a JSON object {query, operationName, variables}: " + err.Error()
			}
			if body.Query != nil {
				p.Query = *body.Query
			}
			if body.OperationName != nil {
				p.OperationName = *body.OperationName
			}
			p.Variables = body.Variables
		case "application/graphql":
			p.Query = string(data)
		default:
			return p, http.StatusUnsupportedMediaType, "Content-Type must be application/json or application/graphql, not " + strconv.Quote(mt)
		}
	default:
		return p, http.StatusMethodNotAllowed, "a GraphQL request is a GET or a POST"
	}
	if strings.TrimSpace(p.Query) == "" {
		return p, http.StatusBadRequest, "the request has no query"
	}
	return p, 0, ""
}

func decodeJSON(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("text after the JSON value")
	}
	return nil
}

// resolverRun is what the resolvers of one request share.
type resolverRun struct {
	forkMu   sync.Mutex   // the exchange's State forks one resolver at a time
	answered atomic.Int64 // bytes of the data sources' answers so far
	budget   int64        // graphql-max-answer-bytes
}

// runResolver runs one resolver on a State of its own (newState: a fork of
// the request's, with its variables, subscription, product...; under a
// WebSocket subscription a fresh one), whose request is the resolver's
// (policies.PrepareResolverState), with context.GraphQL set and
// publish-event's publisher.
func (s *Server) runResolver(ctx context.Context, api *API, newState func() (*engine.State, func()), g *syntheticGraphQL, rv *graphqlResolver, f *gqlexec.Field, rr *resolverRun) (any, error) {
	gctx := &engine.GraphQL{Arguments: toJObject(f.Args)}
	if f.Parent != nil {
		parent := f.Parent
		if k, ok := parent.(gqlexec.Keyed); ok { // a GraphQL backend's object (graphql_mixed.go)
			parent = k.Parent()
		}
		gctx.Parent = toJObject(parent)
	}
	coord := rv.typeName + "." + rv.field
	overBudget := func() error {
		return errors.New(coord + ": the request's data source answers passed graphql-max-answer-bytes (" + strconv.FormatInt(rr.budget, 10) + ")")
	}
	if rr.answered.Load() > rr.budget {
		return nil, overBudget()
	}
	st, release := newState()
	defer release()
	policies.PrepareResolverState(st, gctx)
	policies.SetEventPublisher(st, s.publisher(api))
	timeout := g.timeout
	if timeout <= 0 {
		timeout = DefaultLimits.ResolverTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := rv.block.Run(rctx, st); err != nil {
		var secrets []string
		if api.Plan != nil {
			secrets = api.Plan.Secrets
		}
		s.log.Debug("GraphQL resolver failed", zap.String("api", api.Name), zap.String("field", coord),
			zap.String("error", engine.Mask(err.Error(), secrets))) // a secret named value may stand in the URL's path
		return nil, errors.New(coord + ": " + resolverFailure(err, rctx))
	}
	resp := st.Context().Response
	if resp == nil {
		return nil, errors.New(coord + ": the resolver made no request")
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, errors.New(coord + ": the data source answered " + strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode))
	}
	data, err := resp.Body.Bytes()
	if err != nil {
		return nil, errors.New(coord + ": cannot read the data source's answer")
	}
	if rr.answered.Add(int64(len(data))) > rr.budget {
		return nil, overBudget()
	}
	return fieldValue(data, rv.def)
}

// resolverFailure says why a resolver failed, for the response's errors:
// the reason, not the data source's URL or the expression's values.
func resolverFailure(err error, ctx context.Context) string {
	var pe *engine.PolicyError
	if errors.As(err, &pe) {
		switch pe.Reason {
		case engine.ReasonTimeout:
			return "the data source did not answer in time"
		case engine.ReasonCallout:
			return "the data source could not be reached"
		case engine.ReasonResponseTooLarge:
			return "the data source's answer is too large"
		case engine.ReasonExpression:
			return "a policy expression of the resolver failed"
		}
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "the resolver did not finish in time"
	case pe != nil:
		return "the resolver failed (" + pe.Reason + ")"
	}
	return "the resolver failed"
}

// fieldValue is the field's value from the data source's answer: JSON,
// or for a String or ID field (not a list) that is not JSON, the text.
func fieldValue(data []byte, def *ast.FieldDefinition) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var v any
	err := decodeJSON(data, &v)
	textField := def != nil && def.Type.Elem == nil && (def.Type.NamedType == "String" || def.Type.NamedType == "ID")
	if textField {
		if s, ok := v.(string); ok && err == nil {
			return s, nil
		}
		if err != nil {
			return string(data), nil
		}
	}
	if err != nil {
		coord := "the field"
		if def != nil {
			coord = def.Name
		}
		return nil, errors.New(coord + ": the data source's answer is not JSON")
	}
	return v, nil
}

// toJObject is a value as a JObject for context.GraphQL (a copy: sibling
// resolvers never share one).
func toJObject(v any) *csharp.JObject {
	data, err := json.Marshal(v)
	if err != nil {
		return csharp.NewJObject()
	}
	o, err := csharp.ParseJSON(string(data))
	if err != nil {
		return csharp.NewJObject()
	}
	if jo, ok := o.(*csharp.JObject); ok {
		return jo
	}
	return csharp.NewJObject()
}
