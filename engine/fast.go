package engine

import (
	"reflect"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// Fast paths: most policy expressions are a few simple shapes (a field of
// the request, a header or a variable, a concatenation, a comparison with a
// constant). After an expression has compiled and type-checked, buildFast
// turns such a tree into a plain Go closure that computes the result
// without the VM, so without boxing every intermediate value into `any`.
//
// A closure never decides a failure: when it meets anything unusual (a nil
// pointer on the way, a variable holding a pointer where the VM would
// follow it, a panic) it answers ok=false and the expression runs in the
// VM, which then gives the result or the error exactly as before. The
// shapes only read, so running the VM after a fast path gave up is safe.
// TestFastDifferential checks the two agree.

// fastProg is a program's fast path. At most one of s, b, i is set, after
// the expression's static type; a is set whenever any is (boxing the typed
// result when the type is not `any`).
type fastProg struct {
	s func(*State) (string, bool)
	b func(*State) (bool, bool)
	i func(*State) (int, bool)
	a func(*State) (any, bool)
}

var (
	stringType    = reflect.TypeOf("")
	boolType      = reflect.TypeOf(true)
	intType       = reflect.TypeOf(0)
	contextType   = reflect.TypeOf(Context{})
	variablesType = reflect.TypeOf(Variables{})
)

// fnode is a node built into closures; kind says which one is set.
type fnode struct {
	kind reflect.Kind // String, Bool, Int or Interface
	s    func(*State) (string, bool)
	b    func(*State) (bool, bool)
	i    func(*State) (int, bool)
	a    func(*State) (any, bool)
	isC  bool // a constant: c holds it
	c    any
}

// buildFast returns the fast path for a compiled expression's tree, or the
// zero fastProg when the tree is not one of the shapes.
func buildFast(root ast.Node) fastProg {
	f, ok := build(root)
	if !ok {
		return fastProg{}
	}
	f.box()
	return fastProg{s: f.s, b: f.b, i: f.i, a: f.a}
}

// box sets f.a from the typed closure.
func (f *fnode) box() {
	if f.a != nil {
		return
	}
	if f.isC {
		c := f.c
		f.a = func(*State) (any, bool) { return c, true }
		return
	}
	switch f.kind {
	case reflect.String:
		g := f.s
		f.a = func(st *State) (any, bool) {
			v, ok := g(st)
			return st.boxString(v), ok
		}
	case reflect.Bool:
		f.a = boxed(f.b)
	case reflect.Int:
		f.a = boxed(f.i)
	}
}

func boxed[T any](g func(*State) (T, bool)) func(*State) (any, bool) {
	return func(st *State) (any, bool) {
		v, ok := g(st)
		return v, ok
	}
}

func constStr(v string) fnode {
	return fnode{kind: reflect.String, isC: true, c: v, s: func(*State) (string, bool) { return v, true }}
}

func constBool(v bool) fnode {
	return fnode{kind: reflect.Bool, isC: true, c: v, b: func(*State) (bool, bool) { return v, true }}
}

func constInt(v int) fnode {
	return fnode{kind: reflect.Int, isC: true, c: v, i: func(*State) (int, bool) { return v, true }}
}

func constNil() fnode {
	return fnode{kind: reflect.Interface, isC: true, a: func(*State) (any, bool) { return nil, true }}
}

// build turns node into closures. Every node type, static type and
// operator the VM could treat differently is refused (ok=false).
func build(node ast.Node) (fnode, bool) {
	switch n := node.(type) {
	case *ast.StringNode:
		if n.Type() == stringType {
			return constStr(n.Value), true
		}
	case *ast.BoolNode:
		if n.Type() == boolType {
			return constBool(n.Value), true
		}
	case *ast.IntegerNode:
		if n.Type() == intType { // other types are converted by the compiler
			return constInt(n.Value), true
		}
	case *ast.NilNode:
		return constNil(), true
	case *ast.ConstantNode:
		switch v := n.Value.(type) {
		case nil:
			return constNil(), true
		case string:
			if n.Type() == stringType {
				return constStr(v), true
			}
		case bool:
			if n.Type() == boolType {
				return constBool(v), true
			}
		case int:
			if n.Type() == intType {
				return constInt(v), true
			}
		}
	case *ast.MemberNode:
		return buildMember(n)
	case *ast.CallNode:
		if b, ok := asPlus(n); ok {
			return buildBinary(b)
		}
		return buildCall(n)
	case *ast.UnaryNode:
		if (n.Operator == "!" || n.Operator == "not") && n.Type() == boolType {
			x, ok := build(n.Node)
			if !ok || x.kind != reflect.Bool {
				return fnode{}, false
			}
			g := x.b
			return fnode{kind: reflect.Bool, b: func(st *State) (bool, bool) {
				v, ok := g(st)
				return !v, ok
			}}, true
		}
	case *ast.BinaryNode:
		return buildBinary(n)
	}
	return fnode{}, false
}

// kindOf is the closure kind for a static type: only the exact types
// string, bool and int are typed; `any` is Interface.
func kindOf(t reflect.Type) reflect.Kind {
	switch t {
	case stringType:
		return reflect.String
	case boolType:
		return reflect.Bool
	case intType:
		return reflect.Int
	}
	if t != nil && t.Kind() == reflect.Interface && t.NumMethod() == 0 {
		return reflect.Interface
	}
	return reflect.Invalid
}

// buildMember handles context.A.B.C (a string or int field reached through
// structs and pointers) and context.Variables[key].
func buildMember(n *ast.MemberNode) (fnode, bool) {
	if n.Optional {
		return fnode{}, false
	}
	if base, ok := n.Node.(*ast.MemberNode); ok && base.Node.Type() == reflect.PointerTo(contextType) && !base.Optional {
		if p, ok := base.Property.(*ast.StringNode); ok && p.Value == "Variables" && base.Type() == variablesType {
			if id, ok := base.Node.(*ast.IdentifierNode); ok && id.Value == "context" {
				return buildVariable(n)
			}
		}
	}
	idx, ok := fieldPath(n)
	if !ok {
		return fnode{}, false
	}
	switch kindOf(n.Type()) {
	case reflect.String:
		return fnode{kind: reflect.String, s: func(st *State) (string, bool) {
			v, ok := walk(st, idx)
			if !ok {
				return "", false
			}
			return v.String(), true
		}}, true
	case reflect.Int:
		return fnode{kind: reflect.Int, i: func(st *State) (int, bool) {
			v, ok := walk(st, idx)
			if !ok {
				return 0, false
			}
			return int(v.Int()), true
		}}, true
	}
	return fnode{}, false
}

// fieldPath gives the field indexes of a plain member chain from the
// identifier context, checking at each step that the field found is the
// one (of the type) the checker saw.
func fieldPath(n ast.Node) ([]int, bool) {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return nil, x.Value == "context" && x.Type() == reflect.PointerTo(contextType)
	case *ast.MemberNode:
		p, ok := x.Property.(*ast.StringNode)
		if !ok || x.Optional {
			return nil, false
		}
		base, ok := fieldPath(x.Node)
		if !ok {
			return nil, false
		}
		t := x.Node.Type()
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil, false
		}
		f, ok := t.FieldByName(p.Value)
		if !ok || len(f.Index) != 1 || !f.IsExported() || f.Tag.Get("expr") != "" || f.Type != x.Type() {
			return nil, false
		}
		return append(base, f.Index[0]), true
	}
	return nil, false
}

// walk follows idx from the State's context; a nil pointer on the way is
// left to the VM (which reports it).
func walk(st *State, idx []int) (reflect.Value, bool) {
	v := reflect.ValueOf(&st.ctx).Elem()
	for _, i := range idx {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

// buildVariable is context.Variables[key] (or context.Variables.key). The
// VM's fetch gives a method of Variables when the key names one, so those
// keys are left to it; a missing variable is nil.
func buildVariable(n *ast.MemberNode) (fnode, bool) {
	if kindOf(n.Type()) != reflect.Interface {
		return fnode{}, false
	}
	k, ok := build(n.Property)
	if !ok || k.kind != reflect.String {
		return fnode{}, false
	}
	if k.isC {
		key := k.c.(string)
		if isVariablesMethod(key) {
			return fnode{}, false
		}
		return fnode{kind: reflect.Interface, a: func(st *State) (any, bool) {
			return st.ctx.Variables[key], true
		}}, true
	}
	key := k.s
	return fnode{kind: reflect.Interface, a: func(st *State) (any, bool) {
		name, ok := key(st)
		if !ok || isVariablesMethod(name) {
			return nil, false
		}
		return st.ctx.Variables[name], true
	}}, true
}

func isVariablesMethod(name string) bool {
	_, ok := variablesType.MethodByName(name)
	return ok
}

// buildCall handles the fast-call functions (fastcall.go) with arguments
// of the shapes. Each does what the Env function bound in bindFast does;
// a nil context.Request or Url, where that function panics, is left to
// the VM.
func buildCall(n *ast.CallNode) (fnode, bool) {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		return fnode{}, false
	}
	args := make([]fnode, len(n.Arguments))
	for i, a := range n.Arguments {
		if args[i], ok = build(a); !ok {
			return fnode{}, false
		}
		args[i].box()
	}
	strArg := func(i int) func(*State) (string, bool) {
		if i < len(args) && args[i].kind == reflect.String {
			return args[i].s
		}
		return nil
	}
	name, def := strArg(0), strArg(1)
	switch id.Value {
	case "$csCastString", "$csCat":
		return buildCSharp(id.Value, args, n)
	case "$reqHeader", "$reqQuery":
		if len(args) != 2 || name == nil || def == nil || n.Type() != stringType {
			break
		}
		query := id.Value == "$reqQuery"
		return fnode{kind: reflect.String, s: func(st *State) (string, bool) {
			a, ok1 := name(st)
			d, ok2 := def(st)
			r := st.ctx.Request
			if !ok1 || !ok2 || r == nil {
				return "", false
			}
			if !query {
				return r.Headers.GetValueOrDefault(a, d), true
			}
			if r.Url == nil {
				return "", false
			}
			if r.Url.queryStale {
				if v, n, ok := rawQueryGet(r.Url.QueryString, a); ok && n <= 1 {
					if n == 0 {
						return d, true
					}
					return v, true
				}
				st.syncQuery()
			}
			return r.Url.Query.GetValueOrDefault(a, d), true
		}}, true
	case "$reqHasHeader", "$reqHasQuery", "$varHas":
		if len(args) != 1 || name == nil || n.Type() != boolType {
			break
		}
		which := id.Value
		return fnode{kind: reflect.Bool, b: func(st *State) (bool, bool) {
			a, ok := name(st)
			if !ok {
				return false, false
			}
			if which == "$varHas" {
				return st.ctx.Variables.ContainsKey(a), true
			}
			r := st.ctx.Request
			if r == nil {
				return false, false
			}
			if which == "$reqHasHeader" {
				return r.Headers.ContainsKey(a), true
			}
			if r.Url == nil {
				return false, false
			}
			if r.Url.queryStale {
				if _, n, ok := rawQueryGet(r.Url.QueryString, a); ok {
					return n > 0, true
				}
				st.syncQuery()
			}
			return r.Url.Query.ContainsKey(a), true
		}}, true
	case "$varGet":
		if len(args) != 2 || name == nil || kindOf(n.Type()) != reflect.Interface {
			break
		}
		d := args[1].a
		return fnode{kind: reflect.Interface, a: func(st *State) (any, bool) {
			a, ok1 := name(st)
			dv, ok2 := d(st)
			if !ok1 || !ok2 {
				return nil, false
			}
			return st.ctx.Variables.GetValueOrDefault(a, dv), true
		}}, true
	}
	return fnode{}, false
}

func buildBinary(n *ast.BinaryNode) (fnode, bool) {
	switch n.Operator {
	case "+":
		if !concatType(n.Type()) {
			return fnode{}, false
		}
		var parts []fnode
		if !concatParts(n, &parts) {
			return fnode{}, false
		}
		return concat(parts), true
	case "==", "!=":
		return buildEqual(n)
	case "??":
		// (x ?? false): how lowered C# compares a string that may be null
		// (csharp.nullSafeStrings). A string closure answers only for a
		// string, which ?? gives unchanged; a null is left to the VM.
		if f, ok := n.Right.(*ast.BoolNode); ok && !f.Value {
			if l, ok := build(n.Left); ok && l.kind == reflect.String && !l.isC {
				return l, true
			}
		}
	case "&&", "and", "||", "or":
		if n.Type() != boolType {
			return fnode{}, false
		}
		l, ok1 := build(n.Left)
		r, ok2 := build(n.Right)
		if !ok1 || !ok2 || l.kind != reflect.Bool || r.kind != reflect.Bool {
			return fnode{}, false
		}
		lf, rf := l.b, r.b
		if n.Operator == "&&" || n.Operator == "and" {
			return fnode{kind: reflect.Bool, b: func(st *State) (bool, bool) {
				v, ok := lf(st)
				if !ok || !v {
					return false, ok
				}
				return rf(st)
			}}, true
		}
		return fnode{kind: reflect.Bool, b: func(st *State) (bool, bool) {
			v, ok := lf(st)
			if !ok || v {
				return v, ok
			}
			return rf(st)
		}}, true
	}
	return fnode{}, false
}

// concatParts flattens a + b + ... into its operands. Operands of type
// `any` are taken when they hold a string: when every operand is a string,
// every + of the VM is a string concatenation. Anything else (numbers
// adding up, a pointer the VM would follow, a type error) is left to the VM.
func concatParts(n ast.Node, parts *[]fnode) bool {
	if b, ok := asPlus(n); ok {
		n = b
	}
	if b, ok := n.(*ast.BinaryNode); ok && b.Operator == "+" {
		if !concatType(b.Type()) || !concatType(b.Left.Type()) || !concatType(b.Right.Type()) {
			return false // numbers, or mixed types
		}
		return concatParts(b.Left, parts) && concatParts(b.Right, parts)
	}
	f, ok := build(n)
	if !ok {
		return false
	}
	switch f.kind {
	case reflect.String:
	case reflect.Interface:
		if f.isC {
			return false // nil
		}
		g := f.a
		f = fnode{kind: reflect.String, s: func(st *State) (string, bool) {
			v, ok := g(st)
			s, isStr := v.(string)
			return s, ok && isStr
		}}
	default:
		return false
	}
	// Adjacent constants are joined now.
	if k := len(*parts); f.isC && k > 0 && (*parts)[k-1].isC {
		(*parts)[k-1] = constStr((*parts)[k-1].c.(string) + f.c.(string))
		return true
	}
	*parts = append(*parts, f)
	return true
}

// concatType is the static type of a + operand or result the fast path
// takes: string, or `any` (checked at run time).
func concatType(t reflect.Type) bool {
	k := kindOf(t)
	return k == reflect.String || k == reflect.Interface
}

// concat builds the string in one allocation (none when at most one part
// is not empty), where the VM allocates once per +.
func concat(parts []fnode) fnode {
	if len(parts) == 1 {
		return parts[0]
	}
	fs := make([]func(*State) (string, bool), len(parts))
	for i, p := range parts {
		fs[i] = p.s
	}
	return fnode{kind: reflect.String, s: func(st *State) (string, bool) {
		var arr [8]string
		vals := arr[:0]
		size, nonEmpty := 0, 0
		for _, f := range fs {
			v, ok := f(st)
			if !ok {
				return "", false
			}
			vals = append(vals, v)
			size += len(v)
			if v != "" {
				nonEmpty++
			}
		}
		if nonEmpty <= 1 {
			for _, v := range vals {
				if v != "" {
					return v, true
				}
			}
			return "", true
		}
		if int64(size) > st.budget.max() {
			return "", false // the VM reports the budget error
		}
		return st.NewString(vals...), true // in the request's room while it lasts
	}}
}

// buildEqual is X == Y and X != Y. Two strings, ints or bools compare
// directly, as the VM's typed comparisons do; anything else goes through
// the VM's own runtime.Equal, after the dereference the VM applies to
// `any` and pointer operands.
func buildEqual(n *ast.BinaryNode) (fnode, bool) {
	if n.Type() != boolType {
		return fnode{}, false
	}
	l, ok1 := build(n.Left)
	r, ok2 := build(n.Right)
	if !ok1 || !ok2 {
		return fnode{}, false
	}
	neg := n.Operator == "!="
	var eq func(*State) (bool, bool)
	switch {
	case l.kind == reflect.String && r.kind == reflect.String:
		eq = equal(l.s, r.s)
	case l.kind == reflect.Int && r.kind == reflect.Int:
		eq = equal(l.i, r.i)
	case l.kind == reflect.Bool && r.kind == reflect.Bool:
		eq = equal(l.b, r.b)
	default:
		// Only the fast node kinds reach here; a typed operand against
		// `any` is boxed, which costs what the VM costs.
		if l.kind == reflect.Invalid || r.kind == reflect.Invalid {
			return fnode{}, false
		}
		l.box()
		r.box()
		lf, rf := l.a, r.a
		ld, rd := derefs(n.Left), derefs(n.Right)
		eq = func(st *State) (bool, bool) {
			a, ok1 := lf(st)
			b, ok2 := rf(st)
			if !ok1 || !ok2 || (ld && isPointer(a)) || (rd && isPointer(b)) {
				return false, false
			}
			return runtime.Equal(a, b), true
		}
	}
	if neg {
		return fnode{kind: reflect.Bool, b: func(st *State) (bool, bool) {
			v, ok := eq(st)
			return !v, ok
		}}, true
	}
	return fnode{kind: reflect.Bool, b: eq}, true
}

// equal compares two operands of the same static type directly.
func equal[T comparable](lf, rf func(*State) (T, bool)) func(*State) (bool, bool) {
	return func(st *State) (bool, bool) {
		a, ok1 := lf(st)
		b, ok2 := rf(st)
		return a == b, ok1 && ok2
	}
}

// derefs reports whether the VM dereferences the operand before comparing
// it (compiler.derefInNeeded).
func derefs(n ast.Node) bool {
	if n.Nature().Nil {
		return false
	}
	k := n.Type().Kind()
	return k == reflect.Pointer || k == reflect.Interface
}

// isPointer reports a value the VM's dereference would change (it follows
// pointers); those comparisons are left to the VM.
func isPointer(v any) bool {
	switch v.(type) {
	case nil, string, bool, int, int64, float64:
		return false
	}
	return reflect.TypeOf(v).Kind() == reflect.Pointer
}

// buildCSharp gives fast paths to the conversions lowered C# calls most
// ($csCastString, $csCat): a string is answered directly, anything else
// goes to the VM, which converts it or fails as .NET would.
func buildCSharp(name string, args []fnode, n *ast.CallNode) (fnode, bool) {
	if len(args) != 1 || n.Type() != stringType {
		return fnode{}, false
	}
	if args[0].kind == reflect.String && name == "$csCat" {
		return args[0], true // a string already; null (the VM's case) gives ok=false
	}
	if args[0].kind != reflect.Interface {
		return fnode{}, false
	}
	a := args[0].a
	switch name {
	case "$csCastString", "$csCat":
		return fnode{kind: reflect.String, s: func(st *State) (string, bool) {
			v, ok := a(st)
			s, isStr := v.(string)
			return s, ok && isStr
		}}, true
	}
	return fnode{}, false
}

// asPlus reads the budget patch's $concat(a, b) and $add(a, b) as the
// a + b they replaced (budget.go), so simple concatenations keep their
// fast path.
func asPlus(n ast.Node) (*ast.BinaryNode, bool) {
	c, ok := n.(*ast.CallNode)
	if !ok || len(c.Arguments) != 2 {
		return nil, false
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok || (id.Value != "$concat" && id.Value != "$add") {
		return nil, false
	}
	b := &ast.BinaryNode{Operator: "+", Left: c.Arguments[0], Right: c.Arguments[1]}
	b.SetType(c.Type())
	return b, true
}
