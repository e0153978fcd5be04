// Package gqlexec executes GraphQL operations against a schema whose fields
// are resolved by functions: the executor of tollgate's synthetic GraphQL
// APIs (gateway/graphql_synthetic.go). Parsing, validation and variable
// coercion are gqlparser's (github.com/vektah/gqlparser/v2, the library
// validate-graphql-request uses); this package adds what gqlparser leaves
// out, execution as the GraphQL specification describes it: field
// collection with fragments, inline fragments, @skip and @include;
// aliases; resolvers or the default resolver (the parent's property of the
// field's name); value completion with scalar and enum coercion, lists,
// abstract types told by __typename, and non-null errors propagated to the
// nearest nullable parent; errors with message, path and locations;
// introspection (__schema, __type, __typename); sibling fields of a query
// resolved concurrently (bounded), a mutation's top-level fields in order.
//
// No GraphQL execution library fits: gqlgen generates code from a schema
// known at build time and graph-gophers/graphql-go binds Go methods by
// reflection, while a synthetic API's schema and resolvers are data loaded
// at run time.
package gqlexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"tollgate/internal/gqlcost"
)

// Params are one GraphQL request's: the document, the operation to run
// (may be empty when the document has one) and the variables (JSON
// decoded, numbers as json.Number or float64).
type Params struct {
	Query         string
	OperationName string
	Variables     map[string]any
	// ReadOnly: the request came as a GET, which may not run a mutation
	// (GraphQL over HTTP).
	ReadOnly bool
}

// Limits bound one request. A zero field takes its default.
type Limits struct {
	// MaxDepth is how deep selection sets may nest (default 15): a
	// field of Query is at depth 1.
	MaxDepth int
	// MaxFields is how many fields the operation may select once its
	// fragments are expanded (default 1000): alias bombs and fragment
	// fan-out stop here, before anything runs.
	MaxFields int
	// MaxResolverCalls is how many resolver calls one request may make
	// (default 1000); past it, a field gets an error.
	MaxResolverCalls int
	// Concurrency is how many fields of one request are resolved at
	// once (default 8).
	Concurrency int
	// MaxResponseBytes bounds the response the execution builds (default
	// 16 MiB, counted as its response keys, leaf values and errors are
	// written): aliases over a list copy an answer many times, and a list
	// can give an error per item, so the answers' size alone does not
	// bound it. Past it, the execution stops and the
	// request answers one error and no data.
	MaxResponseBytes int64
}

// The defaults of Limits.
const (
	DefaultMaxDepth         = 15
	DefaultMaxFields        = 1000
	DefaultMaxResolverCalls = 1000
	DefaultConcurrency      = 8
	DefaultMaxResponseBytes = 16 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxFields <= 0 {
		l.MaxFields = DefaultMaxFields
	}
	if l.MaxResolverCalls <= 0 {
		l.MaxResolverCalls = DefaultMaxResolverCalls
	}
	if l.MaxResponseBytes <= 0 {
		l.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if l.Concurrency <= 0 {
		l.Concurrency = DefaultConcurrency
	}
	return l
}

// Field is what a resolver is given: the field of an object type it
// resolves, the parent value, and the arguments (variables substituted,
// defaults applied).
type Field struct {
	ParentType string
	Name       string
	Def        *ast.FieldDefinition
	Parent     any // the parent object's value; nil for a root field
	Args       map[string]any
	Path       ast.Path
}

// Resolver resolves one field: its value, JSON-shaped (map[string]any,
// []any, string, bool, json.Number, float64, int64, nil), or an error that
// becomes the field's entry in errors (its Error() text is the message).
type Resolver func(ctx context.Context, f *Field) (any, error)

// Resolvers find the resolver of a field: nil for the default resolver.
type Resolvers func(typeName, field string) Resolver

// Result is a GraphQL response: data (absent when the request failed
// before execution) and errors.
type Result struct {
	Data    any // *Object or nil
	HasData bool
	Errors  gqlerror.List
	// MethodNotAllowed: a mutation came in a read-only (GET) request.
	MethodNotAllowed bool
	// Limit: the request was refused for passing MaxDepth or MaxFields.
	Limit bool
}

// RequestError reports whether the request failed before execution
// (parse, validation, variables, limits): the response has no data.
func (r *Result) RequestError() bool { return !r.HasData }

// MarshalJSON writes {"data": …, "errors": […]} with data first and the
// fields in the order of the selection.
func (r *Result) MarshalJSON() ([]byte, error) {
	var b []byte
	b = append(b, '{')
	if r.HasData {
		b = append(b, `"data":`...)
		var err error
		if b, err = appendJSON(b, r.Data); err != nil {
			return nil, err
		}
	}
	if len(r.Errors) > 0 {
		if r.HasData {
			b = append(b, ',')
		}
		errs, err := json.Marshal(r.Errors)
		if err != nil {
			return nil, err
		}
		b = append(b, `"errors":`...)
		b = append(b, errs...)
	}
	return append(b, '}'), nil
}

// Object is a completed object: its response keys in selection order.
type Object struct {
	Keys []string
	Vals []any
}

func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case *Object:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '{')
		for i, k := range x.Keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, x.Vals[i]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	default:
		data, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		return append(b, data...), nil
	}
}

// Execute runs the request against schema. Problems of the request itself
// (syntax, validation, variables, limits) give a Result without data;
// field errors give data with nulls where they happened, and errors.
func Execute(ctx context.Context, schema *ast.Schema, p Params, resolvers Resolvers, lim Limits) *Result {
	op, res := Prepare(schema, p, lim)
	if res != nil {
		return res
	}
	return op.Execute(ctx, nil, resolvers)
}

// Operation is a request parsed, validated, its variables coerced and its
// limits checked: ready to execute.
type Operation struct {
	schema *ast.Schema
	doc    *ast.QueryDocument
	op     *ast.OperationDefinition
	root   *ast.Definition
	vars   map[string]any
	lim    Limits
}

// Kind is the operation's type: query, mutation or subscription.
func (o *Operation) Kind() ast.Operation { return o.op.Operation }

// Name is the operation's name ("" for an anonymous one).
func (o *Operation) Name() string { return o.op.Name }

// loadOperation parses p's document against schema and picks the
// operation it names: the first steps of every request, HTTP or
// subscription.
func loadOperation(schema *ast.Schema, p Params) (*ast.QueryDocument, *ast.OperationDefinition, *Result) {
	doc, perr := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, gqlcost.MaxTokens)
	if perr != nil {
		var ge *gqlerror.Error
		if errors.As(perr, &ge) {
			if strings.HasPrefix(ge.Message, "exceeded token limit") { // gqlparser's words
				return nil, nil, &Result{Limit: true, Errors: gqlerror.List{gqlerror.Errorf("the query has more than %d tokens", gqlcost.MaxTokens)}}
			}
			return nil, nil, &Result{Errors: gqlerror.List{ge}}
		}
		return nil, nil, &Result{Errors: gqlerror.List{gqlerror.Errorf("%s", perr.Error())}}
	}
	// Before validation, whose rule that same-named fields merge compares
	// them in pairs (seconds of CPU for a 27 KB query): a limit, refused
	// as MaxFields is, never validated nor sent on.
	if !gqlcost.MergeCostOK(doc) {
		return nil, nil, &Result{Limit: true, Errors: gqlerror.List{gqlerror.Errorf(
			"the query asks for too many fields of the same names to check (more than %d comparisons)", gqlcost.MaxMergeCost)}}
	}
	if errs := validator.Validate(schema, doc); len(errs) > 0 {
		return nil, nil, &Result{Errors: errs}
	}
	op, err := pickOperation(doc, p.OperationName)
	if err != nil {
		return nil, nil, &Result{Errors: gqlerror.List{err}}
	}
	return doc, op, nil
}

// coerceVariables is gqlparser's coercion of the request's variables to
// op's declared types, its error as a Result.
func coerceVariables(schema *ast.Schema, op *ast.OperationDefinition, given map[string]any) (map[string]any, *Result) {
	vars, err := validator.VariableValues(schema, op, given)
	if err != nil {
		var ge *gqlerror.Error
		if errors.As(err, &ge) {
			return nil, &Result{Errors: gqlerror.List{ge}}
		}
		return nil, &Result{Errors: gqlerror.List{gqlerror.Errorf("%s", err.Error())}}
	}
	return vars, nil
}

// Prepare reads a request: its operation, or a Result of the request's
// problems (no data). Result.Limit tells a request past the limits from a
// malformed one.
func Prepare(schema *ast.Schema, p Params, lim Limits) (o *Operation, res *Result) {
	lim = lim.withDefaults()
	defer func() {
		if r := recover(); r != nil { // gqlparser panics on some malformed input it validated
			o, res = nil, &Result{Errors: gqlerror.List{gqlerror.Errorf("cannot execute the request: %v", r)}}
		}
	}()
	doc, op, res := loadOperation(schema, p)
	if res != nil {
		return nil, res
	}
	vars, res := coerceVariables(schema, op, p.Variables)
	if res != nil {
		return nil, res
	}
	if p.ReadOnly && op.Operation != ast.Query {
		return nil, &Result{MethodNotAllowed: true, Errors: gqlerror.List{gqlerror.ErrorPosf(op.Position, "a %s must be sent with POST", op.Operation)}}
	}
	var root *ast.Definition
	switch op.Operation {
	case ast.Query:
		root = schema.Query
	case ast.Mutation:
		root = schema.Mutation
	case ast.Subscription:
		root = schema.Subscription
	}
	if root == nil {
		return nil, &Result{Errors: gqlerror.List{gqlerror.ErrorPosf(op.Position, "the schema has no %s type", op.Operation)}}
	}
	e := &executor{schema: schema, doc: doc, vars: vars, lim: lim}
	if err := e.checkLimits(root, op.SelectionSet); err != nil {
		return nil, &Result{Errors: gqlerror.List{err}, Limit: true}
	}
	return &Operation{schema: schema, doc: doc, op: op, root: root, vars: vars, lim: lim}, nil
}

// Execute runs the operation (a query or a mutation) on root, the root
// object's value (nil, or a Keyed answer of a GraphQL server).
func (o *Operation) Execute(ctx context.Context, root any, resolvers Resolvers) (res *Result) {
	defer func() {
		if r := recover(); r != nil {
			res = &Result{Errors: gqlerror.List{gqlerror.Errorf("cannot execute the request: %v", r)}}
		}
	}()
	if o.op.Operation == ast.Subscription {
		return &Result{Errors: gqlerror.List{gqlerror.ErrorPosf(o.op.Position,
			"a subscription is served over WebSocket (graphql-transport-ws), not in an HTTP request")}}
	}
	e := &executor{ctx: ctx, schema: o.schema, doc: o.doc, vars: o.vars, resolvers: resolvers, lim: o.lim,
		sem: make(chan struct{}, o.lim.Concurrency), serial: o.op.Operation == ast.Mutation}
	res = e.result(e.selectionSet(o.root, root, o.op.SelectionSet, nil, e.serial))
	sort.SliceStable(res.Errors, func(i, j int) bool { return res.Errors[i].Path.String() < res.Errors[j].Path.String() })
	return res
}

func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, *gqlerror.Error) {
	if name != "" {
		op := doc.Operations.ForName(name)
		if op == nil {
			return nil, gqlerror.Errorf("the document has no operation named %q", name)
		}
		return op, nil
	}
	if len(doc.Operations) != 1 {
		return nil, gqlerror.Errorf("the document has %d operations: give operationName", len(doc.Operations))
	}
	return doc.Operations[0], nil
}

type executor struct {
	ctx       context.Context
	schema    *ast.Schema
	doc       *ast.QueryDocument
	vars      map[string]any
	resolvers Resolvers
	lim       Limits
	sem       chan struct{}
	serial    bool
	calls     atomic.Int64
	size      atomic.Int64 // bytes of the response so far (MaxResponseBytes)
	mu        sync.Mutex
	errs      gqlerror.List
}

// grow counts n bytes of the response; false once it passes
// MaxResponseBytes, and from then on for every field of the request.
func (e *executor) grow(n int) bool {
	return e.size.Add(int64(n)) <= e.lim.MaxResponseBytes
}

// result is the Result of an execution: data as executed, or, past
// MaxResponseBytes, no data and one error saying so.
func (e *executor) result(data *Object, ok bool) *Result {
	if e.size.Load() > e.lim.MaxResponseBytes {
		return &Result{HasData: true, Errors: gqlerror.List{gqlerror.Errorf("the response is larger than %d bytes", e.lim.MaxResponseBytes)}}
	}
	res := &Result{HasData: true, Errors: e.errs}
	if ok {
		res.Data = data
	}
	return res
}

func (e *executor) addError(path ast.Path, fields []*ast.Field, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	// Errors are part of the response: a list of a million items, each
	// with a null where its type says non-null, is a million errors.
	if !e.grow(len(msg) + 64 + 12*len(path)) {
		return // the result is one error now (result)
	}
	ge := &gqlerror.Error{Message: msg, Path: append(ast.Path(nil), path...)}
	if len(fields) > 0 && fields[0].Position != nil {
		ge.Locations = []gqlerror.Location{{Line: fields[0].Position.Line, Column: fields[0].Position.Column}}
	}
	e.mu.Lock()
	e.errs = append(e.errs, ge)
	e.mu.Unlock()
}

// checkLimits walks the operation with its fragments expanded, counting
// fields and depth; it stops as soon as a limit is passed, so a fragment
// bomb costs at most MaxFields steps.
func (e *executor) checkLimits(root *ast.Definition, set ast.SelectionSet) *gqlerror.Error {
	count := 0
	var walk func(set ast.SelectionSet, depth int, spreads int) *gqlerror.Error
	walk = func(set ast.SelectionSet, depth int, spreads int) *gqlerror.Error {
		for _, s := range set {
			switch x := s.(type) {
			case *ast.Field:
				count++
				if count > e.lim.MaxFields {
					return gqlerror.ErrorPosf(x.Position, "the query selects more than %d fields (fragments expanded)", e.lim.MaxFields)
				}
				if len(x.SelectionSet) > 0 {
					if depth+1 > e.lim.MaxDepth {
						return gqlerror.ErrorPosf(x.Position, "the query nests deeper than %d levels", e.lim.MaxDepth)
					}
					if err := walk(x.SelectionSet, depth+1, spreads); err != nil {
						return err
					}
				}
			case *ast.InlineFragment:
				if err := walk(x.SelectionSet, depth, spreads); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				if spreads > 64 {
					return gqlerror.ErrorPosf(x.Position, "fragments nest too deep")
				}
				if f := e.doc.Fragments.ForName(x.Name); f != nil {
					if err := walk(f.SelectionSet, depth, spreads+1); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	return walk(set, 1, 0)
}

// collect is CollectFields: the fields of set for objType, grouped by
// response key in order, @skip/@include applied, fragments whose type
// condition objType meets expanded.
func (e *executor) collect(objType *ast.Definition, set ast.SelectionSet, keys *[]string, groups map[string][]*ast.Field, visited map[string]bool) {
	for _, s := range set {
		if !e.included(directivesOf(s)) {
			continue
		}
		switch x := s.(type) {
		case *ast.Field:
			key := x.Alias
			if key == "" {
				key = x.Name
			}
			if _, ok := groups[key]; !ok {
				*keys = append(*keys, key)
			}
			groups[key] = append(groups[key], x)
		case *ast.InlineFragment:
			if x.TypeCondition != "" && !e.fits(objType, x.TypeCondition) {
				continue
			}
			e.collect(objType, x.SelectionSet, keys, groups, visited)
		case *ast.FragmentSpread:
			if visited[x.Name] {
				continue
			}
			visited[x.Name] = true
			f := e.doc.Fragments.ForName(x.Name)
			if f == nil || !e.fits(objType, f.TypeCondition) {
				continue
			}
			e.collect(objType, f.SelectionSet, keys, groups, visited)
		}
	}
}

func directivesOf(s ast.Selection) ast.DirectiveList {
	switch x := s.(type) {
	case *ast.Field:
		return x.Directives
	case *ast.InlineFragment:
		return x.Directives
	case *ast.FragmentSpread:
		return x.Directives
	}
	return nil
}

func (e *executor) included(ds ast.DirectiveList) bool {
	for _, d := range ds {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		a := d.Arguments.ForName("if")
		if a == nil {
			continue
		}
		v, err := a.Value.Value(e.vars)
		b, _ := v.(bool)
		if err != nil {
			continue
		}
		if d.Name == "skip" && b || d.Name == "include" && !b {
			return false
		}
	}
	return true
}

// fits reports whether an object type meets a fragment's type condition.
func (e *executor) fits(objType *ast.Definition, cond string) bool {
	if cond == objType.Name {
		return true
	}
	def := e.schema.Types[cond]
	if def == nil || !def.IsAbstractType() {
		return false
	}
	for _, t := range e.schema.GetPossibleTypes(def) {
		if t.Name == objType.Name {
			return true
		}
	}
	return false
}

// selectionSet executes set on an object of objType whose value is
// parent; ok is false when a non-null field failed and the object must be
// null in its turn.
func (e *executor) selectionSet(objType *ast.Definition, parent any, set ast.SelectionSet, path ast.Path, serial bool) (*Object, bool) {
	if e.size.Load() > e.lim.MaxResponseBytes {
		return nil, false // past the bound: the rest of a list costs nothing
	}
	var keys []string
	groups := map[string][]*ast.Field{}
	e.collect(objType, set, &keys, groups, map[string]bool{})
	obj := &Object{Keys: keys, Vals: make([]any, len(keys))}
	if !e.each(len(keys), serial, func(i int) bool {
		fpath := append(append(ast.Path(nil), path...), ast.PathName(keys[i]))
		var ok bool
		obj.Vals[i], ok = e.field(objType, parent, groups[keys[i]], fpath)
		return ok
	}) {
		return nil, false
	}
	return obj, true
}

// each runs f(0) … f(n-1), concurrently where a slot is free unless
// serial, and reports whether every call returned true.
func (e *executor) each(n int, serial bool, f func(i int) bool) bool {
	oks := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		if e.size.Load() > e.lim.MaxResponseBytes {
			oks[i] = false // past the bound: the rest costs nothing
			break
		}
		if !serial && n > 1 && e.tryAcquire() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer e.release()
				oks[i] = f(i)
			}()
			continue
		}
		oks[i] = f(i)
	}
	wg.Wait()
	for _, ok := range oks {
		if !ok {
			return false
		}
	}
	return true
}

func (e *executor) tryAcquire() bool {
	select {
	case e.sem <- struct{}{}:
		return true
	default:
		return false // run it here: never wait for a slot a caller holds
	}
}

func (e *executor) release() { <-e.sem }

// field resolves and completes one response key.
func (e *executor) field(objType *ast.Definition, parent any, fields []*ast.Field, path ast.Path) (any, bool) {
	f := fields[0]
	// The key, its quotes, colon and comma; past the bound nothing more
	// runs (the result is one error, see result).
	if !e.grow(len(responseKey(f)) + 4) {
		return nil, false
	}
	if f.Name == "__typename" {
		e.grow(len(objType.Name) + 2)
		return objType.Name, true
	}
	var def *ast.FieldDefinition
	var val any
	var err error
	switch {
	case f.Name == "__schema" && objType == e.schema.Query:
		def = &ast.FieldDefinition{Name: "__schema", Type: ast.NonNullNamedType("__Schema", nil)}
		val = &schemaIntro{s: e.schema}
	case f.Name == "__type" && objType == e.schema.Query:
		def = &ast.FieldDefinition{Name: "__type", Type: ast.NamedType("__Type", nil)}
		name, _ := e.args(f)["name"].(string)
		if d := e.schema.Types[name]; d != nil {
			val = &typeIntro{s: e.schema, def: d}
		}
	default:
		def = objType.Fields.ForName(f.Name)
		if def == nil {
			e.addError(path, fields, "%s has no field %q", objType.Name, f.Name)
			return nil, true
		}
		val, err = e.resolve(objType, def, parent, f, path)
	}
	if err != nil {
		e.addError(path, fields, "%s", err.Error())
		return nil, !def.Type.NonNull
	}
	return e.complete(def.Type, fields, val, path)
}

func (e *executor) args(f *ast.Field) (m map[string]any) {
	defer func() {
		if recover() != nil {
			m = map[string]any{}
		}
	}()
	m = f.ArgumentMap(e.vars)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

func (e *executor) resolve(objType *ast.Definition, def *ast.FieldDefinition, parent any, f *ast.Field, path ast.Path) (any, error) {
	if intro, ok := parent.(introspected); ok {
		return intro.field(f.Name, e.args(f)), nil
	}
	var r Resolver
	if e.resolvers != nil {
		r = e.resolvers(objType.Name, def.Name)
	}
	if r == nil {
		switch m := parent.(type) {
		case map[string]any:
			return m[f.Name], nil
		case Keyed:
			return m[responseKey(f)], nil
		}
		return nil, nil
	}
	if n := e.calls.Add(1); n > int64(e.lim.MaxResolverCalls) {
		return nil, fmt.Errorf("the request needs more than %d resolver calls", e.lim.MaxResolverCalls)
	}
	if err := e.ctx.Err(); err != nil {
		return nil, errors.New("the request ended before the field was resolved")
	}
	return r(e.ctx, &Field{ParentType: objType.Name, Name: def.Name, Def: def, Parent: parent, Args: e.args(f), Path: path})
}

// complete is CompleteValue: val made of typ, with the fields' selection.
// ok is false when val is null (or failed) where typ is non-null: the
// parent must be null in turn.
func (e *executor) complete(typ *ast.Type, fields []*ast.Field, val any, path ast.Path) (any, bool) {
	if typ.NonNull {
		inner := *typ
		inner.NonNull = false
		v, ok := e.completeNullable(&inner, fields, val, path)
		if !ok {
			return nil, false
		}
		if v == nil {
			e.addError(path, fields, "Cannot return null for non-nullable field %s", fieldName(fields))
			return nil, false
		}
		return v, true
	}
	v, ok := e.completeNullable(typ, fields, val, path)
	if !ok {
		return nil, true // the error stops here: this position may be null
	}
	return v, true
}

func fieldName(fields []*ast.Field) string {
	f := fields[0]
	if f.ObjectDefinition != nil {
		return f.ObjectDefinition.Name + "." + f.Name
	}
	return f.Name
}

func (e *executor) completeNullable(typ *ast.Type, fields []*ast.Field, val any, path ast.Path) (any, bool) {
	if val == nil {
		return nil, true
	}
	if typ.Elem != nil {
		items, ok := asList(val)
		if !ok {
			e.addError(path, fields, "%s: expected a list, got %s", fieldName(fields), kindOf(val))
			return nil, false
		}
		out := make([]any, len(items))
		if !e.each(len(items), e.serial, func(i int) bool {
			ipath := append(append(ast.Path(nil), path...), ast.PathIndex(i))
			var ok bool
			out[i], ok = e.complete(typ.Elem, fields, items[i], ipath)
			return ok
		}) {
			return nil, false
		}
		return out, true
	}
	def := e.schema.Types[typ.NamedType]
	if def == nil {
		e.addError(path, fields, "unknown type %s", typ.NamedType)
		return nil, false
	}
	switch def.Kind {
	case ast.Scalar:
		v, err := coerceScalar(def.Name, val)
		if err != nil {
			e.addError(path, fields, "%s: %s", fieldName(fields), err.Error())
			return nil, false
		}
		if !e.grow(leafSize(v)) {
			return nil, false
		}
		return v, true
	case ast.Enum:
		s, ok := val.(string)
		if !ok || def.EnumValues.ForName(s) == nil {
			e.addError(path, fields, "%s: %s is not a value of enum %s", fieldName(fields), short(val), def.Name)
			return nil, false
		}
		if !e.grow(len(s) + 2) {
			return nil, false
		}
		return s, true
	case ast.Object:
		return e.subSelection(def, val, fields, path)
	case ast.Interface, ast.Union:
		obj := e.runtimeType(def, val)
		if obj == nil {
			e.addError(path, fields, "%s: cannot tell which type of %s the value is (give it a __typename naming one of its types)", fieldName(fields), def.Name)
			return nil, false
		}
		return e.subSelection(obj, val, fields, path)
	}
	e.addError(path, fields, "%s: type %s cannot be an output", fieldName(fields), def.Name)
	return nil, false
}

func (e *executor) subSelection(def *ast.Definition, val any, fields []*ast.Field, path ast.Path) (any, bool) {
	if _, ok := val.(map[string]any); !ok {
		_, keyed := val.(Keyed)
		if _, ok := val.(introspected); !ok && !keyed {
			e.addError(path, fields, "%s: expected an object, got %s", fieldName(fields), kindOf(val))
			return nil, false
		}
	}
	var set ast.SelectionSet
	for _, f := range fields {
		set = append(set, f.SelectionSet...)
	}
	obj, ok := e.selectionSet(def, val, set, path, false)
	if !ok {
		return nil, false
	}
	return obj, true
}

// runtimeType is the object type of an abstract type's value: the one its
// __typename names, or the only possible type.
func (e *executor) runtimeType(def *ast.Definition, val any) *ast.Definition {
	possible := e.schema.GetPossibleTypes(def)
	typename := "__typename"
	m, ok := val.(map[string]any)
	if k, keyed := val.(Keyed); keyed {
		m, ok, typename = k, true, TypenameKey
	}
	if ok {
		if tn, ok := m[typename].(string); ok {
			for _, p := range possible {
				if p.Name == tn {
					return p
				}
			}
			return nil
		}
	}
	if it, ok := val.(introspected); ok {
		for _, p := range possible {
			if p.Name == it.typeName() {
				return p
			}
		}
	}
	if len(possible) == 1 {
		return possible[0]
	}
	return nil
}

// leafSize is about the bytes a scalar takes in the response: a string's
// length and quotes, a number's digits, a custom scalar's JSON.
func leafSize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x) + 2
	case json.Number:
		return len(x)
	case bool, int, int32, int64, float64:
		return 8
	}
	b, _ := json.Marshal(v)
	return len(b)
}

func asList(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any, Keyed:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, int, int64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

func short(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

// coerceScalar is result coercion of the built-in scalars; a custom
// scalar's value passes as it is.
func coerceScalar(name string, v any) (any, error) {
	switch name {
	case "Int":
		f, ok := number(v)
		if !ok || f != math.Trunc(f) || f > math.MaxInt32 || f < math.MinInt32 {
			if s, isStr := v.(string); isStr {
				if n, err := strconv.ParseInt(s, 10, 32); err == nil {
					return n, nil
				}
			}
			if b, isBool := v.(bool); isBool {
				if b {
					return int64(1), nil
				}
				return int64(0), nil
			}
			return nil, fmt.Errorf("Int cannot represent %s", short(v))
		}
		return int64(f), nil
	case "Float":
		f, ok := number(v)
		if !ok {
			if s, isStr := v.(string); isStr {
				if g, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(g, 0) && !math.IsNaN(g) {
					return g, nil
				}
			}
			return nil, fmt.Errorf("Float cannot represent %s", short(v))
		}
		return f, nil
	case "String":
		switch x := v.(type) {
		case string:
			return x, nil
		case bool:
			return strconv.FormatBool(x), nil
		case json.Number:
			return x.String(), nil
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		case int:
			return strconv.Itoa(x), nil
		}
		return nil, fmt.Errorf("String cannot represent %s", kindOf(v))
	case "Boolean":
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, fmt.Errorf("Boolean cannot represent %s", short(v))
	case "ID":
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			if _, err := x.Int64(); err == nil {
				return x.String(), nil
			}
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return strconv.FormatInt(int64(x), 10), nil
			}
		case int64:
			return strconv.FormatInt(x, 10), nil
		case int:
			return strconv.Itoa(x), nil
		}
		return nil, fmt.Errorf("ID cannot represent %s", short(v))
	}
	return v, nil
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	}
	return 0, false
}

// ErrorMessage is err's text for a response's errors: the first line.
func ErrorMessage(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// ExecuteEvent executes a subscription operation's selection over one
// event a GraphQL server sent for it (root: the event's data, Keyed): the
// fields below the root field that resolvers resolve run, the others are
// read from root. A pass-through API's subscription whose selection
// reaches resolvers (the server got Split's query).
func (o *Operation) ExecuteEvent(ctx context.Context, root any, resolvers Resolvers) (res *Result) {
	defer func() {
		if r := recover(); r != nil {
			res = &Result{Errors: gqlerror.List{gqlerror.Errorf("cannot execute the event: %v", r)}}
		}
	}()
	if o.op.Operation != ast.Subscription {
		return &Result{Errors: gqlerror.List{gqlerror.ErrorPosf(o.op.Position, "not a subscription")}}
	}
	e := &executor{ctx: ctx, schema: o.schema, doc: o.doc, vars: o.vars, resolvers: resolvers, lim: o.lim,
		sem: make(chan struct{}, o.lim.Concurrency)}
	res = e.result(e.selectionSet(o.root, root, o.op.SelectionSet, nil, false))
	sort.SliceStable(res.Errors, func(i, j int) bool { return res.Errors[i].Path.String() < res.Errors[j].Path.String() })
	return res
}

// Subscription is a validated subscription operation: Field is its root
// field (the Subscription type's field events are published to), and
// Event executes the operation's selection over one event's payload.
type Subscription struct {
	Field  string
	schema *ast.Schema
	doc    *ast.QueryDocument
	op     *ast.OperationDefinition
	vars   map[string]any
	lim    Limits
}

// PrepareSubscription validates a subscription request. A request that is
// no subscription, or fails validation or the limits, gives a Result with
// its errors instead.
func PrepareSubscription(schema *ast.Schema, p Params, lim Limits) (sub *Subscription, res *Result) {
	lim = lim.withDefaults()
	defer func() {
		if r := recover(); r != nil {
			sub, res = nil, &Result{Errors: gqlerror.List{gqlerror.Errorf("cannot execute the request: %v", r)}}
		}
	}()
	doc, op, res := loadOperation(schema, p)
	if res != nil {
		return nil, res
	}
	if op.Operation != ast.Subscription || schema.Subscription == nil {
		return nil, &Result{Errors: gqlerror.List{gqlerror.ErrorPosf(op.Position, "a WebSocket subscribe message carries a subscription, not a %s", op.Operation)}}
	}
	vars, res := coerceVariables(schema, op, p.Variables)
	if res != nil {
		return nil, res
	}
	e := &executor{schema: schema, doc: doc, vars: vars, lim: lim}
	if err := e.checkLimits(schema.Subscription, op.SelectionSet); err != nil {
		return nil, &Result{Errors: gqlerror.List{err}}
	}
	var keys []string
	groups := map[string][]*ast.Field{}
	e.collect(schema.Subscription, op.SelectionSet, &keys, groups, map[string]bool{})
	if len(keys) != 1 || groups[keys[0]][0].Name == "__typename" {
		return nil, &Result{Errors: gqlerror.List{gqlerror.ErrorPosf(op.Position, "a subscription selects exactly one field of %s", schema.Subscription.Name)}}
	}
	return &Subscription{Field: groups[keys[0]][0].Name, schema: schema, doc: doc, op: op, vars: vars, lim: lim}, nil
}

// Event executes the subscription over payload, the value of its root
// field; resolvers resolve the fields below it.
func (s *Subscription) Event(ctx context.Context, payload any, resolvers Resolvers) *Result {
	root := s.schema.Subscription
	wrapped := func(typ, field string) Resolver {
		if typ == root.Name && field == s.Field {
			return func(context.Context, *Field) (any, error) { return payload, nil }
		}
		if resolvers == nil {
			return nil
		}
		return resolvers(typ, field)
	}
	e := &executor{ctx: ctx, schema: s.schema, doc: s.doc, vars: s.vars, resolvers: wrapped, lim: s.lim,
		sem: make(chan struct{}, s.lim.Concurrency)}
	return e.result(e.selectionSet(root, nil, s.op.SelectionSet, nil, false))
}
