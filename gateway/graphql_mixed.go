package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/gateway/internal/gqlexec"
)

// Pass-through GraphQL APIs with resolvers (docs/graphql.md): APIM lets a
// pass-through API have resolvers for some of its fields. A request whose
// operation reaches none of them (nor introspection) is the backend's, and
// goes to it as it came, body byte for byte. Any other is executed by the
// gateway: the fields that are the backend's are asked of it in one
// request (gqlexec.Operation.Split), whose answer is the root value the
// operation runs on; the resolvers run as on a synthetic API. An API
// without resolvers never comes here: its requests are proxied untouched.

// graphqlMixedRoundTrip answers a request of a pass-through GraphQL API
// with resolvers in place of the backend call; send makes a backend call
// (the exchange's backend, with its credentials and transport).
func (s *Server) graphqlMixedRoundTrip(r *http.Request, x *exchange, send func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	g := x.api.gql
	graphqlJSON := acceptsGraphQLResponse(r.Header.Get("Accept"))
	var data []byte
	if r.Method == http.MethodPost && r.Body != nil {
		var err error
		data, err = readLimited(r.Body, r.ContentLength, x.api.Limits.MaxBodySize, "the request body")
		if err != nil {
			if errors.Is(err, errBodyTooLarge) {
				return graphqlAnswer(r, http.StatusRequestEntityTooLarge, graphqlJSON, []byte(`{"errors":[{"message":`+
					strconv.Quote("the request body is larger than "+strconv.FormatInt(x.api.Limits.MaxBodySize, 10)+" bytes")+`}]}`)), nil
			}
			return nil, err
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(data)), int64(len(data))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	}
	p, status, _ := parseGraphQLRequest(r, data)
	if status != 0 || g.schema == nil {
		return send(r) // not one GraphQL request the gateway reads (a batch, another type): the backend's
	}
	op, res := gqlexec.Prepare(g.schema, p, g.limits)
	switch {
	case res != nil && res.Limit: // past graphql-max-depth or graphql-max-fields: never split, never sent
		body, err := json.Marshal(res)
		if err != nil {
			return nil, err
		}
		status = http.StatusOK
		if graphqlJSON {
			status = http.StatusBadRequest
		}
		return graphqlAnswer(r, status, graphqlJSON, body), nil
	case res != nil || op.Kind() == ast.Subscription:
		return send(r) // malformed or invalid for the API's schema, or a subscription: the backend answers it
	}
	local := func(typ, field string) bool { return g.resolvers[typ+"."+field] != nil }
	gateway, query, vars := op.Split(local)
	if !gateway {
		return send(r)
	}
	rr := &resolverRun{budget: x.api.Limits.GraphQLMaxAnswerBytes}
	if rr.budget <= 0 {
		rr.budget = DefaultLimits.GraphQLMaxAnswerBytes
	}
	var root any
	var backendErrs gqlerror.List
	failure := ""
	if query != "" {
		root, backendErrs, failure = s.graphqlBackendFetch(r, x, send, query, op.Name(), vars, p.Variables, rr)
	}
	resolvers := s.requestResolvers(x, g, rr)
	rootType := g.schema.Query
	if op.Kind() == ast.Mutation {
		rootType = g.schema.Mutation
	}
	if failure != "" {
		inner := resolvers
		resolvers = func(typ, field string) gqlexec.Resolver {
			if rv := inner(typ, field); rv != nil || typ != rootType.Name {
				return rv
			}
			coord := typ + "." + field
			return func(context.Context, *gqlexec.Field) (any, error) { return nil, errors.New(coord + ": " + failure) }
		}
	}
	res = op.Execute(r.Context(), root, resolvers)
	res.Errors = mergeBackendErrors(backendErrs, res.Errors)
	body, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	return graphqlAnswer(r, http.StatusOK, graphqlJSON, body), nil
}

// graphqlBackendFetch asks the backend for its part of the operation, in
// one POST of {query, operationName, variables} to the request's URL with
// the request's headers (as the API's policies left them): the answer's
// data, Keyed, as the operation's root value, and its errors; or why the
// backend's fields cannot have values (failure).
func (s *Server) graphqlBackendFetch(r *http.Request, x *exchange, send func(*http.Request) (*http.Response, error),
	query, opName string, vars []string, given map[string]any, rr *resolverRun) (root any, errs gqlerror.List, failure string) {
	body := map[string]any{"query": query}
	if opName != "" {
		body["operationName"] = opName
	}
	if len(vars) > 0 {
		v := make(map[string]any, len(vars))
		for _, name := range vars {
			if val, ok := given[name]; ok {
				v[name] = val
			}
		}
		body["variables"] = v
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, nil, "the operation cannot be sent to the GraphQL backend"
	}
	timeout := x.api.gql.timeout
	if timeout <= 0 {
		timeout = DefaultLimits.ResolverTimeout
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	req := r.Clone(ctx)
	if r.Method == http.MethodGet { // the GET's query parameters were the request; the POST carries it
		u := *r.URL
		q := u.Query()
		q.Del("query")
		q.Del("operationName")
		q.Del("variables")
		u.RawQuery = q.Encode()
		req.URL = &u
	}
	req.Method = http.MethodPost
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	for _, h := range []string{"Content-Length", "Content-Encoding", "Accept-Encoding", "Transfer-Encoding"} {
		req.Header.Del(h)
	}
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(data)), int64(len(data))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	fail := func(why string, err error) (any, gqlerror.List, string) {
		if err != nil {
			s.log.Debug("GraphQL backend call failed", zap.String("api", x.api.Name),
				zap.String("error", engine.Mask(err.Error(), planSecrets(x.api))))
		}
		return nil, nil, why
	}
	resp, err := send(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fail("the GraphQL backend did not answer in time", err)
		}
		return fail("the GraphQL backend could not be reached", err)
	}
	defer resp.Body.Close()
	left := rr.budget - rr.answered.Load()
	if left < 0 {
		left = 0
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, left+1))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fail("the GraphQL backend did not answer in time", err)
		}
		return fail("the GraphQL backend's answer could not be read", err)
	}
	if rr.answered.Add(int64(len(answer))) > rr.budget {
		rr.answered.Add(-int64(len(answer))) // dropped: the resolvers may still use the budget
		return fail("the GraphQL backend's answer is larger than graphql-max-answer-bytes ("+strconv.FormatInt(rr.budget, 10)+")", nil)
	}
	root, errs, failure = parseBackendAnswer(answer, resp.StatusCode)
	return root, errs, failure
}

// parseBackendAnswer reads a GraphQL backend's answer (its body and
// status): its data, Keyed, and its errors; or why it is not a GraphQL
// response (failure). A GraphQL server may answer a 4xx or 5xx with a
// GraphQL response: the body decides, not the status.
func parseBackendAnswer(answer []byte, status int) (root any, errs gqlerror.List, failure string) {
	var out struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	notGraphQL := "the GraphQL backend's answer is not a GraphQL response (" + strconv.Itoa(status) + " " + http.StatusText(status) + ")"
	if decodeJSON(answer, &out) != nil || out.Data == nil && out.Errors == nil {
		return nil, nil, notGraphQL
	}
	var d any
	if len(out.Data) > 0 {
		if decodeJSON(out.Data, &d) != nil {
			return nil, nil, notGraphQL
		}
		if _, ok := d.(map[string]any); !ok && d != nil {
			return nil, nil, notGraphQL
		}
	}
	for _, raw := range out.Errors {
		if e := backendError(raw); e != nil {
			errs = append(errs, e)
		}
	}
	if d == nil && len(errs) == 0 {
		return nil, nil, notGraphQL
	}
	return gqlexec.ToKeyed(d), errs, ""
}

func planSecrets(api *API) []string {
	if api.Plan == nil {
		return nil
	}
	return api.Plan.Secrets
}

// backendError is one of the backend's errors as the gateway's answer
// carries it: its message, path and extensions; its locations are left
// out (they point into the document the backend got, not the client's).
func backendError(raw json.RawMessage) *gqlerror.Error {
	var e struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	}
	if decodeJSON(raw, &e) != nil {
		return &gqlerror.Error{Message: "the GraphQL backend answered an error that is not a GraphQL error"}
	}
	out := &gqlerror.Error{Message: e.Message, Extensions: e.Extensions}
	for _, p := range e.Path {
		switch v := p.(type) {
		case string:
			out.Path = append(out.Path, ast.PathName(v))
		case json.Number:
			if n, err := v.Int64(); err == nil && n >= 0 && n <= 1<<31 {
				out.Path = append(out.Path, ast.PathIndex(int(n)))
				continue
			}
			return out // a path the gateway cannot read is left at what it could
		default:
			return out
		}
	}
	return out
}

// mergeBackendErrors puts the backend's errors with the execution's. An
// execution error on the way to or below a backend error's path (the null
// the backend answered for it, propagated) says again what the backend
// said, and is left out.
func mergeBackendErrors(backend, exec gqlerror.List) gqlerror.List {
	if len(backend) == 0 {
		return exec
	}
	out := append(gqlerror.List(nil), backend...)
	for _, e := range exec {
		dup := false
		for _, b := range backend {
			if len(b.Path) > 0 && len(e.Path) > 0 && (pathPrefix(b.Path, e.Path) || pathPrefix(e.Path, b.Path)) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path.String() < out[j].Path.String() })
	return out
}

// pathPrefix: a is b or leads to it.
func pathPrefix(a, b ast.Path) bool {
	return len(a) <= len(b) && b[:len(a)].String() == a.String()
}
