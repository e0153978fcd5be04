package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// What one expression evaluation may cost.
//
// expr's own memory budget (MaxExprMemory) counts elements: ranges, arrays
// and maps charge their length. Strings are where bytes hide: 5000 strings
// of 1 MB are 5000 elements and 5 GB. So every operation that builds a
// string of a size the expression controls (+ on strings, join, repeat,
// replace, upper, lower, trim, toJSON, string, split, fromJSON, toBase64)
// is routed through the State (the budget patch below), which charges its
// size in bytes BEFORE building it, and fails the evaluation once the API's max-expression-bytes
// (default DefaultExprBytes) is spent.
//
// A running expression is also interrupted when its policy's time is up
// (policy-timeout, or the request ending): every iteration of a builtin
// loop (map, filter, reduce, all, ...) and every charged operation checks
// the deadline, and the evaluation fails with a Timeout.

// DefaultExprBytes is max-expression-bytes when api.xml does not set it.
const DefaultExprBytes = 16 << 20

var (
	errExprBytes   = errors.New("the expression exceeded its memory budget (max-expression-bytes)")
	errExprTimeout = errors.New("the expression ran past its time (policy-timeout)")
)

// exprBudget is one State's budget; reset for each evaluation.
type exprBudget struct {
	limit int64 // bytes; 0: DefaultExprBytes
	used  int64
	ticks uint32
	// ctx is the running section's context (nil: none). Its Done channel
	// is asked for only when an evaluation has looped long enough to be
	// checked, so a section that never loops never makes the gateway
	// build its timer (see gateway's sectionCtx).
	ctx context.Context
}

// SetExprBytes sets the byte budget of each expression evaluation (the
// API's max-expression-bytes); 0 means DefaultExprBytes.
func (s *State) SetExprBytes(n int64) { s.budget.limit = n }

func (b *exprBudget) max() int64 {
	if b.limit <= 0 {
		return DefaultExprBytes
	}
	return b.limit
}

func (b *exprBudget) charge(n int) {
	b.tick()
	b.used += int64(n)
	if b.used > b.max() || n < 0 {
		panic(errExprBytes)
	}
}

func (b *exprBudget) tick() {
	if b.ctx == nil {
		return
	}
	// Looking at the context on every loop iteration would cost more than
	// many iterations do: every 64th is soon enough.
	if b.ticks++; b.ticks&63 != 0 {
		return
	}
	select {
	case <-b.ctx.Done():
		panic(errExprTimeout)
	default:
	}
}

// bindBudget binds the budgeted operations to s (see Env).
func (s *State) bindBudget() {
	b := &s.budget
	s.env.Tick = func() bool { b.tick(); return true }
	s.env.Concat = func(x, y string) string {
		b.charge(len(x) + len(y))
		return x + y
	}
	s.env.Add = func(x, y any) any {
		xs, xok := x.(string)
		ys, yok := y.(string)
		if xok && yok {
			b.charge(len(xs) + len(ys))
		}
		return runtime.Add(x, y)
	}
	s.env.Join = func(arr any, sep string) string {
		parts, err := stringList(arr)
		if err != nil {
			panic(err)
		}
		n := len(sep) * max(len(parts)-1, 0)
		for _, p := range parts {
			n += len(p)
			if n < 0 {
				panic(errExprBytes)
			}
		}
		b.charge(n)
		return strings.Join(parts, sep)
	}
	s.env.Repeat = func(x string, n int) string {
		if n < 0 {
			panic(fmt.Errorf("repeat count %d is negative", n))
		}
		if len(x) > 0 && n > MaxExprString/len(x) {
			panic(fmt.Errorf("repeat would build a string of more than %d bytes", MaxExprString))
		}
		b.charge(len(x) * n)
		return strings.Repeat(x, n)
	}
	s.env.Replace = func(x, old, repl string) string {
		n := len(x)
		if c := strings.Count(x, old); c > 0 && len(repl) > len(old) {
			n += c * (len(repl) - len(old))
		}
		b.charge(n)
		return strings.ReplaceAll(x, old, repl)
	}
	s.env.Charge = func(x string) string { b.charge(len(x)); return x }
	s.env.FromJSON = func(x string) any {
		b.charge(2 * len(x)) // the parsed value is about as large again
		var v any
		if err := json.Unmarshal([]byte(x), &v); err != nil {
			panic(err)
		}
		return v
	}
	s.env.Split = func(x, sep string) []string {
		n := len(x)
		if sep != "" {
			n = strings.Count(x, sep) + 1
		}
		b.charge(16 * n) // a string header per part; the parts share x
		return strings.Split(x, sep)
	}
	s.env.ToJSON = func(v any) string {
		b.charge(estimateSize(v, b))
		out, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			panic(err)
		}
		return string(out)
	}
	s.env.String = func(v any) string {
		if x, ok := v.(string); ok {
			return x
		}
		b.charge(estimateSize(v, b))
		return fmt.Sprintf("%v", v)
	}
}

// stringList reads join's argument as expr's join does.
func stringList(arr any) ([]string, error) {
	switch a := arr.(type) {
	case []string:
		return a, nil
	case []any:
		out := make([]string, len(a))
		for i, v := range a {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("join: element %d is %T, not a string", i, v)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("join: cannot join %T", arr)
}

// estimateSize is a lower bound of v's printed size (its strings' bytes
// plus a little per element), computed with the budget's deadline checked,
// so toJSON of 5000 references to one big string is refused before it is
// built.
func estimateSize(v any, b *exprBudget) int {
	n := 0
	var walk func(v reflect.Value, depth int)
	walk = func(v reflect.Value, depth int) {
		if n > min(1<<40, math.MaxInt/2) || depth > 100 { // 1 TiB; half the range of a 32-bit int
			return
		}
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), depth+1)
			}
		case reflect.String:
			n += v.Len() + 2
		case reflect.Slice, reflect.Array:
			if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
				n += v.Len()
				return
			}
			for i := 0; i < v.Len(); i++ {
				b.tick()
				n++
				walk(v.Index(i), depth+1)
			}
		case reflect.Map:
			it := v.MapRange()
			for it.Next() {
				b.tick()
				n++
				walk(it.Key(), depth+1)
				walk(it.Value(), depth+1)
			}
		default:
			n++
		}
	}
	walk(reflect.ValueOf(v), 0)
	return n
}

// budgetPatch rewrites, after type checking:
//   - every predicate (loop body) p into ($tick(); p);
//   - a + b on strings (or unknown types) into $concat(a, b) / $add(a, b);
//   - join, repeat, replace, toJSON and string into their budgeted forms;
//   - upper, lower and trim* into $charge(...) (their result is as large
//     as their argument).
type budgetPatch struct{}

func (budgetPatch) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.PredicateNode:
		if seq, ok := n.Node.(*ast.SequenceNode); ok && len(seq.Nodes) == 2 && isTick(seq.Nodes[0]) {
			return // patched already
		}
		if constantTime(n.Node) {
			// #, # * 2, #.Name > 3: an iteration costs a few instructions,
			// and iterations are bounded by expr's element budget; a tick
			// would more than double the loop's cost for nothing.
			return
		}
		n.Node = &ast.SequenceNode{Nodes: []ast.Node{tickCall(), n.Node}}
	case *ast.BinaryNode:
		if n.Operator != "+" {
			return
		}
		l, r := nodeKind(n.Left), nodeKind(n.Right)
		switch {
		case l == reflect.String && r == reflect.String:
			ast.Patch(node, call("$concat", n.Left, n.Right))
		case (l == reflect.String || l == reflect.Interface) && (r == reflect.String || r == reflect.Interface):
			ast.Patch(node, call("$add", n.Left, n.Right))
		}
	case *ast.BuiltinNode:
		patchBuiltin(node, n.Name, n.Arguments, func() ast.Node {
			return &ast.BuiltinNode{Name: n.Name, Arguments: n.Arguments}
		})
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return
		}
		patchBuiltin(node, id.Value, n.Arguments, func() ast.Node {
			return &ast.CallNode{Callee: n.Callee, Arguments: n.Arguments}
		})
	}
}

// patchBuiltin routes a call of a string-building builtin (as a BuiltinNode
// or a CallNode, depending on expr's parser) through the budget; same
// returns the call unchanged, to be wrapped.
func patchBuiltin(node *ast.Node, name string, args []ast.Node, same func() ast.Node) {
	{
		switch name {
		case "len":
			if len(args) == 1 && isString(args[0]) {
				ast.Patch(node, call("$strlen", args...))
			}
		case "join":
			if len(args) == 1 {
				args = append(args, &ast.StringNode{Value: ""})
			}
			if len(args) == 2 {
				ast.Patch(node, call("$join", args...))
			}
		case "repeat":
			if len(args) == 2 {
				ast.Patch(node, call("$repeat", args...))
			}
		case "replace":
			if len(args) == 3 {
				ast.Patch(node, call("$replace", args...))
			}
		case "fromJSON":
			if len(args) == 1 {
				ast.Patch(node, call("$fromJSON", args...))
			}
		case "split":
			if len(args) == 2 {
				ast.Patch(node, call("$split", args...))
			}
		case "toJSON":
			if len(args) == 1 {
				ast.Patch(node, call("$toJSON", args...))
			}
		case "string":
			if len(args) == 1 {
				ast.Patch(node, call("$string", args...))
			}
		case "upper", "lower", "trim", "trimPrefix", "trimSuffix", "toBase64", "fromBase64":
			ast.Patch(node, call("$charge", same()))
		}
	}
}

// constantTime reports whether n certainly runs in constant time: constants,
// the loop element, variables, member access, and arithmetic, comparison
// and logic on numbers and booleans (not on strings: comparing two 1 MB
// strings is not constant time). Anything else (a call, a nested loop,
// contains, matches, in) gets a deadline check per iteration.
func constantTime(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.PointerNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NilNode,
		*ast.StringNode, *ast.ConstantNode, *ast.IdentifierNode:
		return true
	case *ast.MemberNode:
		return constantTime(x.Node) && constantTime(x.Property)
	case *ast.UnaryNode:
		return constantTime(x.Node)
	case *ast.BinaryNode:
		switch x.Operator {
		case "+", "-", "*", "/", "%", "**", "^", "==", "!=", "<", ">", "<=", ">=", "and", "or", "&&", "||":
			return scalar(x.Left) && scalar(x.Right) && constantTime(x.Left) && constantTime(x.Right)
		}
	}
	return false
}

// scalar: a number or a boolean, statically.
func scalar(n ast.Node) bool {
	switch nodeKind(n) {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func nodeKind(n ast.Node) reflect.Kind {
	t := n.Type()
	if t == nil {
		return reflect.Interface
	}
	return t.Kind()
}

func call(name string, args ...ast.Node) *ast.CallNode {
	return &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: args}
}

func tickCall() ast.Node { return call("$tick") }

func isTick(n ast.Node) bool {
	c, ok := n.(*ast.CallNode)
	if !ok {
		return false
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	return ok && id.Value == "$tick"
}
