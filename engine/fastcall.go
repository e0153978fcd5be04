package engine

import (
	"reflect"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"

	"tollgate/internal/ascii"
)

// Fast paths for the helper methods of the map types (Headers, Query,
// Variables) and of Body (AsString, AsJSON: a policy reading a body). expr calls a method through reflection, which costs several
// allocations per call; GetValueOrDefault is in nearly every policy. The
// fastCalls patch rewrites, after type checking, x.GetValueOrDefault(a, b)
// and x.ContainsKey(a) on those types into calls of typed functions that do
// the same thing directly. Semantics are identical: the functions call the
// very same methods.

type fastMethod struct {
	recv   reflect.Type
	method string
	fn     string // function name in the expr config (not writable in a policy: '$')
}

var fastMethods = []fastMethod{
	{reflect.TypeOf(Headers{}), "GetValueOrDefault", "$Headers.GetValueOrDefault"},
	{reflect.TypeOf(Headers{}), "ContainsKey", "$Headers.ContainsKey"},
	{reflect.TypeOf(Query{}), "GetValueOrDefault", "$Query.GetValueOrDefault"},
	{reflect.TypeOf(Query{}), "ContainsKey", "$Query.ContainsKey"},
	{reflect.TypeOf(Variables{}), "GetValueOrDefault", "$Variables.GetValueOrDefault"},
	{reflect.TypeOf(Variables{}), "ContainsKey", "$Variables.ContainsKey"},
	{reflect.TypeOf((*Body)(nil)), "AsString", "$Body.AsString"},
	{reflect.TypeOf((*Body)(nil)), "AsJSON", "$Body.AsJSON"},
}

func fastCallOptions() []expr.Option {
	return []expr.Option{
		expr.Function("$Headers.GetValueOrDefault", func(p ...any) (any, error) {
			return asHeaders(p[0]).GetValueOrDefault(p[1].(string), p[2].(string)), nil
		}, new(func(Headers, string, string) string)),
		expr.Function("$Headers.ContainsKey", func(p ...any) (any, error) {
			return asHeaders(p[0]).ContainsKey(p[1].(string)), nil
		}, new(func(Headers, string) bool)),
		expr.Function("$Query.GetValueOrDefault", func(p ...any) (any, error) {
			return asQuery(p[0]).GetValueOrDefault(p[1].(string), p[2].(string)), nil
		}, new(func(Query, string, string) string)),
		expr.Function("$Query.ContainsKey", func(p ...any) (any, error) {
			return asQuery(p[0]).ContainsKey(p[1].(string)), nil
		}, new(func(Query, string) bool)),
		expr.Function("$Variables.GetValueOrDefault", func(p ...any) (any, error) {
			return asVariables(p[0]).GetValueOrDefault(p[1].(string), p[2]), nil
		}, new(func(Variables, string, any) any)),
		expr.Function("$Variables.ContainsKey", func(p ...any) (any, error) {
			return asVariables(p[0]).ContainsKey(p[1].(string)), nil
		}, new(func(Variables, string) bool)),
		// A body read fails as the method does: the error ends the
		// expression.
		expr.Function("$Body.AsString", func(p ...any) (any, error) {
			return asBody(p[0]).AsString()
		}, new(func(*Body) string)),
		expr.Function("$Body.AsJSON", func(p ...any) (any, error) {
			return asBody(p[0]).AsJSON()
		}, new(func(*Body) any)),
		// len of a string (budgetPatch routes it here): the same count of
		// characters as expr's builtin, ASCII text counted by its bytes.
		expr.Function("$strlen", func(p ...any) (any, error) {
			return strLen(p[0].(string)), nil
		}, new(func(string) int)),
		expr.Patch(fastCalls{}),
		expr.Patch(budgetPatch{}), // budget.go
	}
}

// strLen is utf8.RuneCountInString, expr's len of a string, with ASCII
// text counted by its bytes (ascii.Prefix).
func strLen(s string) int {
	p := ascii.Prefix(s)
	return p + utf8.RuneCountInString(s[p:])
}

// fastCalls is the ast.Visitor that rewrites the method calls.
type fastCalls struct{}

func (fastCalls) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	m, ok := call.Callee.(*ast.MemberNode)
	if !ok || m.Optional {
		return
	}
	name, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	t := m.Node.Type()
	if t == nil {
		return
	}
	if fn := boundFast(m, name.Value, call.Arguments); fn != "" {
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: call.Arguments})
		return
	}
	for _, f := range fastMethods {
		if f.recv == t && f.method == name.Value {
			args := append([]ast.Node{m.Node}, call.Arguments...)
			ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: f.fn}, Arguments: args})
			return
		}
	}
}

// The receivers are converted with comma-ok: a nil map behaves as an empty
// one, exactly as the method on a nil map does.
func asHeaders(v any) Headers     { h, _ := v.(Headers); return h }
func asQuery(v any) Query         { q, _ := v.(Query); return q }
func asVariables(v any) Variables { x, _ := v.(Variables); return x }
func asBody(v any) *Body          { b, _ := v.(*Body); return b }

// boundFast names the Env function for a call on context.Request.Headers,
// context.Request.Url.Query or context.Variables, or "".
func boundFast(m *ast.MemberNode, method string, args []ast.Node) string {
	switch path := memberPath(m.Node); {
	// Only well-typed calls are rewritten, so a misuse is reported by the
	// checker against the method's own name.
	case path == "context.Request.Headers" && method == "GetValueOrDefault" && len(args) == 2 && isString(args[0]) && isString(args[1]):
		return "$reqHeader"
	case path == "context.Request.Headers" && method == "ContainsKey" && len(args) == 1 && isString(args[0]):
		return "$reqHasHeader"
	case path == "context.Request.Url.Query" && method == "GetValueOrDefault" && len(args) == 2 && isString(args[0]) && isString(args[1]):
		return "$reqQuery"
	case path == "context.Request.Url.Query" && method == "ContainsKey" && len(args) == 1 && isString(args[0]):
		return "$reqHasQuery"
	case path == "context.Variables" && method == "GetValueOrDefault" && len(args) == 2 && isString(args[0]):
		return "$varGet" // func(any, any) any: the name's type is checked here instead
	case path == "context.Variables" && method == "ContainsKey" && len(args) == 1 && isString(args[0]):
		return "$varHas"
	}
	return ""
}

func isString(n ast.Node) bool { t := n.Type(); return t != nil && t.Kind() == reflect.String }

// memberPath spells a plain member chain (context.Request.Headers), or "".
func memberPath(n ast.Node) string {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return x.Value
	case *ast.MemberNode:
		p, ok := x.Property.(*ast.StringNode)
		if !ok || x.Optional {
			return ""
		}
		if base := memberPath(x.Node); base != "" {
			return base + "." + p.Value
		}
	}
	return ""
}

// bindFast sets the Env's fast-path functions. They read the State's
// context at call time, so they are bound once per pooled State. Each
// behaves as the method it stands for, including failing on a nil
// receiver as the member access would.
func (s *State) bindFast() {
	req := func() *Request {
		if s.ctx.Request == nil {
			panic("cannot get Headers from nil context.Request")
		}
		return s.ctx.Request
	}
	query := func() Query {
		r := req()
		if r.Url == nil {
			panic("cannot get Query from nil context.Request.Url")
		}
		s.syncQuery()
		return r.Url.Query
	}
	s.env.ReqHeader = func(name, def string) string { return req().Headers.GetValueOrDefault(name, def) }
	s.env.ReqHasHeader = func(name string) bool { return req().Headers.ContainsKey(name) }
	s.env.ReqQuery = func(name, def string) string { return query().GetValueOrDefault(name, def) }
	s.env.ReqHasQuery = func(name string) bool { return query().ContainsKey(name) }
	s.env.VarGet = func(name, def any) any { return s.ctx.Variables.GetValueOrDefault(name.(string), def) }
	s.env.VarHas = func(name string) bool { return s.ctx.Variables.ContainsKey(name) }
	s.env.Tracing = func() bool { return s.trace != nil }
	s.env.Trace = func(msg string) bool { s.Tracef("%s", msg); return true }
}
