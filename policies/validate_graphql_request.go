package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	gqlvalidator "github.com/vektah/gqlparser/v2/validator"

	"tollgate/engine"
	"tollgate/internal/gqlcost"
)

// <validate-graphql-request error-variable-name="v" max-size="102400" max-depth="6">
//
//	<authorize>
//	  <rule path="/Type/field" action="allow|remove|reject|ignore"/>
//	</authorize>
//
// </validate-graphql-request>
// Validates a GraphQL API's request (api type graphql: its schema, parsed
// at load, is engine.GraphQLSchema of context.Api) and authorizes the
// fields it asks for. The request is the POST body ({"query",
// "operationName", "variables"}, or an application/graphql body) or, for
// GET, the query, operationName and variables parameters. Too large, not
// GraphQL, not valid against the schema, deeper than max-depth, or a field
// whose rule says reject: a request error, answered with a GraphQL errors
// block (no data) and a 400. A field whose rule says remove is taken out
// of the query the backend gets, and a field error for it is added to the
// backend's answer. Every error also goes to the GraphQLErrors variable
// (and error-variable-name's).
type validateGraphQL struct {
	errVar   *engine.Str
	maxSize  engine.Int
	maxDepth engine.Int
	rules    []gqlRule // most specific first
}

type gqlRule struct {
	path    string // "/Type/field" or "/field", "*" matching within a segment
	literal int    // characters other than "*": the more, the more specific
	exact   bool
	action  engine.Str
	order   int
}

const (
	// ReasonGraphQL is context.LastError.Reason for a GraphQL request error.
	ReasonGraphQL = "GraphQLRequestError"
	// maxGraphQLSize is the largest max-size (APIM's is 102,400 bytes).
	maxGraphQLSize = 1 << 20
	// maxGraphQLFields: APIM's reference says the policy "can validate
	// GraphQL requests with up to 250 query fields across all levels".
	// tollgate counts the operation's fields as written, each fragment it
	// uses once, and refuses a request with more (alias bombs).
	maxGraphQLFields = 250
)

var gqlActions = []string{"allow", "remove", "reject", "ignore"}

func (k *kit) parseValidateGraphQL(p *engine.Parser) engine.Step {
	v := &validateGraphQL{
		maxSize:  p.RequiredInt("max-size", 1, maxGraphQLSize),
		maxDepth: p.Int("max-depth", 6, 1, 1000),
	}
	if p.Has("error-variable-name") {
		ev := p.RequiredStr("error-variable-name")
		v.errVar = &ev
	}
	seen := false
	for _, n := range p.Children() {
		if n.Name != "authorize" {
			unexpectedChild(p, n, "want authorize")
			continue
		}
		c := p.Child(n)
		if seen {
			c.Errorf("<validate-graphql-request> has more than one <authorize>")
		}
		seen = true
		for _, rn := range c.Children() {
			if rn.Name != "rule" {
				unexpectedChild(c, rn, "want rule")
				continue
			}
			rc := c.Child(rn)
			r := gqlRule{path: rc.RequiredLitStr("path"), action: rc.Str("action", "allow"), order: len(v.rules)}
			if rn.Attr("path") != nil {
				if err := checkGraphQLRulePath(r.path); err != nil {
					rc.ErrorAt(rn.Attr("path").ValuePos, "%s", err.Error())
				}
			}
			if r.action.IsConst() && !isGraphQLAction(r.action.Const()) {
				rc.ErrorAt(rn.Attr("action").ValuePos, "action must be one of %s, not %q", strings.Join(gqlActions, ", "), r.action.Const())
			}
			r.literal = len(strings.ReplaceAll(r.path, "*", ""))
			r.exact = !strings.Contains(r.path, "*")
			v.rules = append(v.rules, r)
		}
	}
	sort.SliceStable(v.rules, func(i, j int) bool {
		a, b := v.rules[i], v.rules[j]
		if a.exact != b.exact {
			return a.exact
		}
		return a.literal > b.literal
	})
	return v
}

// checkGraphQLRulePath accepts /name and /Type/field, names of letters,
// digits and _, with * for any run of them.
func checkGraphQLRulePath(p string) error {
	segs := strings.Split(p, "/")
	if len(segs) < 2 || len(segs) > 3 || segs[0] != "" {
		return fmt.Errorf("path must be /Type/field or /field (with * for any name part), not %q", p)
	}
	for _, s := range segs[1:] {
		if s == "" {
			return fmt.Errorf("path %q has an empty segment", p)
		}
		for _, r := range s {
			if r != '*' && r != '_' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && !(r >= '0' && r <= '9') {
				return fmt.Errorf("path %q: %q is not part of a GraphQL name", p, r)
			}
		}
	}
	return nil
}

func isGraphQLAction(a string) bool {
	for _, x := range gqlActions {
		if a == x {
			return true
		}
	}
	return false
}

// gqlRequest is a GraphQL request as sent over HTTP.
type gqlRequest struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
}

func (v *validateGraphQL) Run(_ context.Context, s *engine.State) error {
	schema, _ := engine.GraphQLSchema(s.Context().Api).(*ast.Schema)
	if schema == nil {
		name := ""
		if a := s.Context().Api; a != nil {
			name = a.Name
		}
		return engine.NewPolicyError(engine.ReasonExpression, 500,
			fmt.Sprintf("validate-graphql-request: API %q is not a GraphQL API (type graphql, with its schema)", name), nil)
	}
	if isWebSocketHandshake(s.Context().Request) {
		// A subscriptions socket's handshake carries no query; the
		// operations sent over the socket are the backend's to check.
		s.Tracef("a WebSocket handshake: nothing to validate")
		return nil
	}
	maxSize, err := v.maxSize.Eval(s)
	if err != nil {
		return err
	}
	maxDepth, err := v.maxDepth.Eval(s)
	if err != nil {
		return err
	}
	g := &gqlRun{v: v, s: s, schema: schema}
	req, get, rerr := g.request(maxSize)
	if rerr != nil {
		return g.requestError(rerr)
	}
	doc, perr := parser.ParseQueryWithTokenLimit(&ast.Source{Input: req.Query}, gqlcost.MaxTokens)
	if perr != nil {
		return g.requestError(GraphQLErrors(perr)...)
	}
	if e := checkBreadth(doc); e != nil {
		return g.requestError(e)
	}
	if errs := gqlvalidator.Validate(schema, doc); len(errs) > 0 {
		return g.requestError(errs...)
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		if req.OperationName != "" {
			return g.requestError(gqlerror.Errorf("Unknown operation named %q.", req.OperationName))
		}
		return g.requestError(gqlerror.Errorf("The request has more than one operation: name one with operationName."))
	}
	if get && op.Operation != ast.Query {
		return g.requestError(gqlerror.Errorf("A %s is sent with POST, not GET.", op.Operation))
	}
	vars := map[string]any{}
	if len(req.Variables) > 0 && !bytes.Equal(bytes.TrimSpace(req.Variables), []byte("null")) {
		if err := json.Unmarshal(req.Variables, &vars); err != nil {
			return g.requestError(gqlerror.Errorf("variables must be a JSON object."))
		}
	}
	if _, err := gqlvalidator.VariableValues(schema, op, vars); err != nil {
		return g.requestError(GraphQLErrors(err)...)
	}
	if d := selectionDepth(op.SelectionSet, map[string]int{}); int64(d) > maxDepth {
		return g.requestError(gqlerror.Errorf("The query's depth, %d, is more than max-depth, %d.", d, maxDepth))
	}
	if n := countFields(op.SelectionSet, map[string]bool{}, 0); n > maxGraphQLFields {
		return g.requestError(gqlerror.Errorf("The query has more than %d fields.", maxGraphQLFields))
	}
	if len(v.rules) == 0 {
		return nil
	}
	g.remove = map[*ast.Field]bool{}
	if err := g.authorize(op.SelectionSet, nil, map[string]bool{}); err != nil {
		return err
	}
	if len(g.remove) == 0 {
		return nil
	}
	return g.rewrite(doc, op, req, get)
}

// isWebSocketHandshake reports whether r is a WebSocket handshake (a
// GraphQL API's subscriptions): the gateway gives those the ws or wss
// scheme in context.Request.OriginalUrl (Url is the backend URL's).
func isWebSocketHandshake(r *engine.Request) bool {
	return r != nil && r.OriginalUrl != nil && (r.OriginalUrl.Scheme == "ws" || r.OriginalUrl.Scheme == "wss")
}

// checkBreadth refuses a document whose fields would cost validation more
// than gqlcost.MaxMergeCost comparisons.
func checkBreadth(doc *ast.QueryDocument) *gqlerror.Error {
	if !gqlcost.MergeCostOK(doc) {
		return gqlerror.Errorf("The query asks for too many fields of the same names to check (more than %d comparisons).", gqlcost.MaxMergeCost)
	}
	return nil
}

// gqlRun is one request's validation.
type gqlRun struct {
	v       *validateGraphQL
	s       *engine.State
	schema  *ast.Schema
	actions []string // each rule's action, evaluated once per request
	remove  map[*ast.Field]bool
	removed gqlerror.List // field errors for the fields taken out
}

// request reads the GraphQL request: GET parameters, or the POST body.
func (g *gqlRun) request(maxSize int64) (req gqlRequest, get bool, err *gqlerror.Error) {
	r := g.s.Context().Request
	if r.Method == http.MethodGet {
		if r.Url != nil {
			req.Query = firstValue(r.Url.Query, "query")
			req.OperationName = firstValue(r.Url.Query, "operationName")
			if vs := firstValue(r.Url.Query, "variables"); vs != "" {
				req.Variables = json.RawMessage(vs)
			}
		}
		if int64(len(req.Query)+len(req.Variables)) > maxSize {
			return req, true, gqlerror.Errorf("The request is larger than max-size, %d bytes.", maxSize)
		}
		if req.Query == "" {
			return req, true, gqlerror.Errorf("The request has no query.")
		}
		return req, true, nil
	}
	if r.Body == nil {
		return req, false, gqlerror.Errorf("The request has no body.")
	}
	data, rerr := r.Body.Bytes()
	if rerr != nil {
		if errors.Is(rerr, engine.ErrBodyTooLarge) {
			return req, false, gqlerror.Errorf("The request is larger than max-size, %d bytes.", maxSize)
		}
		return req, false, gqlerror.Errorf("The request body could not be read.")
	}
	if int64(len(data)) > maxSize {
		return req, false, gqlerror.Errorf("The request is larger than max-size, %d bytes.", maxSize)
	}
	if mediaType(r.Headers.GetValueOrDefault("Content-Type", "")) == "application/graphql" {
		req.Query = string(data)
		return req, false, nil
	}
	if jerr := json.Unmarshal(data, &req); jerr != nil {
		return req, false, gqlerror.Errorf("The request body is not a GraphQL request: a JSON object with query, operationName and variables.")
	}
	if req.Query == "" {
		return req, false, gqlerror.Errorf("The request has no query.")
	}
	return req, false, nil
}

func firstValue(q engine.Query, name string) string {
	if vs := q[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// GraphQLErrors is a gqlparser error as its list of errors (one, when it
// is no gqlerror: its text, no location).
func GraphQLErrors(err error) gqlerror.List {
	var list gqlerror.List
	var one *gqlerror.Error
	switch {
	case errors.As(err, &list):
		return list
	case errors.As(err, &one):
		return gqlerror.List{one}
	}
	return gqlerror.List{gqlerror.Errorf("%s", err.Error())}
}

// gqlErrorValues are errors as the variables hold them: the errors
// block's objects (message, locations, path).
func gqlErrorValues(errs gqlerror.List) []any {
	out := make([]any, 0, len(errs))
	for _, e := range errs {
		m := map[string]any{"message": e.Message}
		if len(e.Locations) > 0 {
			locs := make([]any, len(e.Locations))
			for i, l := range e.Locations {
				locs[i] = map[string]any{"line": l.Line, "column": l.Column}
			}
			m["locations"] = locs
		}
		if len(e.Path) > 0 {
			p := make([]any, len(e.Path))
			for i, el := range e.Path {
				switch x := el.(type) {
				case ast.PathIndex:
					p[i] = int(x)
				case ast.PathName:
					p[i] = string(x)
				}
			}
			m["path"] = p
		}
		out = append(out, m)
	}
	return out
}

// record adds errs to GraphQLErrors and to error-variable-name's variable.
func (g *gqlRun) record(errs gqlerror.List) error {
	vals := gqlErrorValues(errs)
	vars := g.s.Variables()
	prev, _ := vars["GraphQLErrors"].([]any)
	vars["GraphQLErrors"] = append(prev, vals...)
	if g.v.errVar != nil {
		name, err := g.v.errVar.Eval(g.s)
		if err != nil {
			return err
		}
		if name != "" && name != "GraphQLErrors" {
			prev, _ := vars[name].([]any)
			vars[name] = append(prev, vals...)
		}
	}
	return nil
}

// requestError fails the request with a GraphQL errors block.
func (g *gqlRun) requestError(errs ...*gqlerror.Error) error {
	if err := g.record(errs); err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{"errors": gqlErrorValues(errs)})
	resp := engine.NewResponse(http.StatusBadRequest)
	resp.Headers["Content-Type"] = []string{"application/json"}
	resp.Body = engine.NewBody(body)
	msg := "the GraphQL request is not valid"
	if len(errs) > 0 {
		msg = errs[0].Message
	}
	pe := engine.NewPolicyError(ReasonGraphQL, http.StatusBadRequest, msg, nil)
	pe.Response = resp
	return pe
}

// selectionDepth is the depth of a selection set: fields count, fragments
// do not (a named fragment's depth is worked out once).
func selectionDepth(set ast.SelectionSet, frags map[string]int) int {
	max := 0
	for _, sel := range set {
		d := 0
		switch x := sel.(type) {
		case *ast.Field:
			d = 1 + selectionDepth(x.SelectionSet, frags)
		case *ast.InlineFragment:
			d = selectionDepth(x.SelectionSet, frags)
		case *ast.FragmentSpread:
			if x.Definition == nil {
				continue
			}
			fd, ok := frags[x.Name]
			if !ok {
				frags[x.Name] = 0 // a cycle (refused by validation anyway) ends here
				fd = selectionDepth(x.Definition.SelectionSet, frags)
				frags[x.Name] = fd
			}
			d = fd
		}
		if d > max {
			max = d
		}
	}
	return max
}

// countFields counts the fields of set as written, the fragments it
// spreads each once (seen), stopping once past maxGraphQLFields.
func countFields(set ast.SelectionSet, seen map[string]bool, n int) int {
	for _, sel := range set {
		if n > maxGraphQLFields {
			return n
		}
		switch x := sel.(type) {
		case *ast.Field:
			n = countFields(x.SelectionSet, seen, n+1)
		case *ast.InlineFragment:
			n = countFields(x.SelectionSet, seen, n)
		case *ast.FragmentSpread:
			if x.Definition != nil && !seen[x.Name] {
				seen[x.Name] = true
				n = countFields(x.Definition.SelectionSet, seen, n)
			}
		}
	}
	return n
}

// action is what the rules say of a field: the most specific rule that
// matches its path (/Type/field, or /field on a root type) and does not
// say ignore; allow when none does.
func (g *gqlRun) action(typ, field string) (string, string, error) {
	candidates := []string{"/" + typ + "/" + field}
	if g.isRoot(typ) {
		candidates = append(candidates, "/"+field)
	}
	for i, r := range g.v.rules {
		matched := false
		for _, c := range candidates {
			if ok, _ := path.Match(r.path, c); ok {
				matched = true
				break
			}
		}
		if !matched {
			continue
		}
		if g.actions == nil {
			g.actions = make([]string, len(g.v.rules))
		}
		a := g.actions[i]
		if a == "" {
			var err error
			if a, err = r.action.Eval(g.s); err != nil {
				return "", "", err
			}
			if !isGraphQLAction(a) {
				return "", "", engine.NewPolicyError(engine.ReasonExpression, 500,
					fmt.Sprintf("validate-graphql-request: rule %s: action must be one of %s, not %q", r.path, strings.Join(gqlActions, ", "), a), nil)
			}
			g.actions[i] = a
		}
		if a != "ignore" {
			return a, r.path, nil
		}
	}
	return "allow", "", nil
}

func (g *gqlRun) isRoot(typ string) bool {
	for _, d := range []*ast.Definition{g.schema.Query, g.schema.Mutation, g.schema.Subscription} {
		if d != nil && d.Name == typ {
			return true
		}
	}
	return false
}

// authorize applies the rules to every field the operation selects
// (fragments once each); a reject ends the request.
func (g *gqlRun) authorize(set ast.SelectionSet, at ast.Path, frags map[string]bool) error {
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			typ := ""
			if x.ObjectDefinition != nil {
				typ = x.ObjectDefinition.Name
			}
			here := append(append(ast.Path(nil), at...), ast.PathName(x.Alias))
			if x.Alias == "" {
				here[len(here)-1] = ast.PathName(x.Name)
			}
			a, rule, err := g.action(typ, x.Name)
			if err != nil {
				return err
			}
			var loc []gqlerror.Location
			if x.Position != nil {
				loc = []gqlerror.Location{{Line: x.Position.Line, Column: x.Position.Column}}
			}
			switch a {
			case "reject":
				return g.requestError(&gqlerror.Error{Message: fmt.Sprintf("Access to %s.%s is denied (rule %s).", typ, x.Name, rule),
					Path: here, Locations: loc})
			case "remove":
				g.remove[x] = true
				g.removed = append(g.removed, &gqlerror.Error{Message: fmt.Sprintf("The field %s.%s was removed from the request (rule %s).", typ, x.Name, rule),
					Path: here, Locations: loc})
				continue
			}
			if err := g.authorize(x.SelectionSet, here, frags); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := g.authorize(x.SelectionSet, at, frags); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if x.Definition == nil || frags[x.Name] {
				continue
			}
			frags[x.Name] = true
			if err := g.authorize(x.Definition.SelectionSet, at, frags); err != nil {
				return err
			}
		}
	}
	return nil
}

// prune drops the removed fields, and whatever is left empty by that
// (a field whose every subfield went, a fragment with nothing in it).
func (g *gqlRun) prune(set ast.SelectionSet, frags map[string]*ast.FragmentDefinition, done map[string]bool) ast.SelectionSet {
	out := set[:0:0]
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			if g.remove[x] {
				continue
			}
			if len(x.SelectionSet) > 0 {
				if x.SelectionSet = g.prune(x.SelectionSet, frags, done); len(x.SelectionSet) == 0 {
					continue
				}
			}
		case *ast.InlineFragment:
			if x.SelectionSet = g.prune(x.SelectionSet, frags, done); len(x.SelectionSet) == 0 {
				continue
			}
		case *ast.FragmentSpread:
			if x.Definition == nil {
				continue
			}
			if !done[x.Name] {
				done[x.Name] = true
				x.Definition.SelectionSet = g.prune(x.Definition.SelectionSet, frags, done)
			}
			if len(x.Definition.SelectionSet) == 0 {
				continue
			}
			frags[x.Name] = x.Definition
		}
		out = append(out, sel)
	}
	return out
}

// rewrite sends the backend the operation without the removed fields, and
// adds their field errors to the backend's answer.
func (g *gqlRun) rewrite(doc *ast.QueryDocument, op *ast.OperationDefinition, req gqlRequest, get bool) error {
	used := map[string]*ast.FragmentDefinition{}
	if op.SelectionSet = g.prune(op.SelectionSet, used, map[string]bool{}); len(op.SelectionSet) == 0 {
		return g.requestError(append(g.removed, gqlerror.Errorf("Every field of the request was removed."))...)
	}
	out := &ast.QueryDocument{Operations: ast.OperationList{op}}
	for _, f := range doc.Fragments { // in the document's order
		if used[f.Name] != nil {
			out.Fragments = append(out.Fragments, f)
		}
	}
	var buf bytes.Buffer
	formatter.NewFormatter(&buf, formatter.WithIndent("  ")).FormatQueryDocument(out)
	query := buf.String()
	if err := g.record(g.removed); err != nil {
		return err
	}
	r := g.s.Context().Request
	if get {
		q := r.Url.MutableQuery()
		q["query"] = []string{query}
		r.Url.SetQuery(q)
	} else {
		var body map[string]json.RawMessage
		data, _ := r.Body.Bytes() // read above
		if mediaType(r.Headers.GetValueOrDefault("Content-Type", "")) == "application/graphql" || json.Unmarshal(data, &body) != nil {
			body = map[string]json.RawMessage{}
			if req.OperationName != "" {
				body["operationName"], _ = json.Marshal(req.OperationName)
			}
			r.Headers["Content-Type"] = []string{"application/json"}
		}
		body["query"], _ = json.Marshal(query)
		newBody, err := json.Marshal(body)
		if err != nil {
			return engine.NewPolicyError(engine.ReasonExpression, 500, "validate-graphql-request: "+err.Error(), err)
		}
		r.Body = engine.NewBody(newBody)
	}
	if g.s.Trace() != nil {
		g.s.Tracef("removed %d field(s)", len(g.removed))
	}
	fieldErrs := gqlErrorValues(g.removed)
	g.s.OnBackendResponse(func(s *engine.State) { addFieldErrors(s, fieldErrs) })
	return nil
}

// addFieldErrors appends field errors to the errors of a JSON answer
// (an object); any other answer is left as it is.
func addFieldErrors(s *engine.State, errs []any) {
	resp := s.Response()
	if resp == nil || resp.Body == nil || !strings.Contains(mediaType(resp.Headers.GetValueOrDefault("Content-Type", "")), "json") {
		return
	}
	data, err := resp.Body.Bytes()
	if err != nil {
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil || obj == nil {
		return
	}
	var prev []json.RawMessage
	if raw, ok := obj["errors"]; ok && json.Unmarshal(raw, &prev) != nil {
		return
	}
	for _, e := range errs {
		b, _ := json.Marshal(e)
		prev = append(prev, b)
	}
	obj["errors"], _ = json.Marshal(prev)
	out, err := json.Marshal(obj)
	if err != nil {
		return
	}
	resp.Body = engine.NewBody(out)
}
