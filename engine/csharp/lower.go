package csharp

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Lowering writes a bound tree as expr-lang source. What expr cannot
// express makes lowering fail with errNoLower (the reason is kept for
// --explain), and the program runs on the interpreter instead.

type noLower struct{ why string }

func (e *noLower) Error() string { return "not lowered: " + e.why }

var errNoLowerT *noLower

func cannot(format string, args ...any) error { return &noLower{why: fmt.Sprintf(format, args...)} }

type lowerer struct {
	f     *Front
	names map[*local]string
	n     int
	work  int // statements lowered: if/else copies what follows, so this bounds the blow-up
	// bounded: strings are built with $csConcat, which refuses to pass
	// MaxString. A block can re-use a local (s = s + s) and double a
	// string per statement; a single expression cannot.
	bounded bool
	lets    map[*local]bool // locals bound with let (not inlined)
	// raw marks an int's + - * (or -x) inside a chain of them: expr's
	// 64-bit result is right modulo 2^32, so only the chain's top wraps
	// it to 32 bits ($csI32).
	raw map[Expr]bool
}

// maxLowerWork bounds the statements lowered for one program; beyond it
// the interpreter runs the program.
const maxLowerWork = 2000

func (lw *lowerer) fresh(base string) string {
	lw.n++
	if lw.n == 1 && base != "" {
		return "$" + base
	}
	return fmt.Sprintf("$%s_%d", base, lw.n)
}

// env maps each local to its current expr name (locals are re-bound with
// let on every assignment: expr variables cannot change).
type env map[*local]string

func (e env) clone() env {
	c := make(env, len(e))
	for k, v := range e {
		c[k] = v
	}
	return c
}

func (lw *lowerer) bind(en env, l *local) string {
	lw.n++
	name := fmt.Sprintf("$%s%d", l.name, lw.n)
	en[l] = name
	if lw.lets == nil {
		lw.lets = map[*local]bool{}
	}
	lw.lets[l] = true
	return name
}

// inlinable reports whether local l (declared with init) can be written
// in place of its one use: it is never assigned again, used exactly once,
// not in a branch (which might not run), and neither its initializer nor
// anything that runs before the use has an effect.
func (lw *lowerer) inlinable(l *local, init Expr, rest []Stmt) bool {
	if l.assigned > 0 || !pureExpr(init) {
		return false
	}
	uses := 0
	for _, s := range rest {
		if !pureStmt(s) {
			return false
		}
		uses += countUses(s, l)
	}
	return uses == 1
}

// pureStmt: declarations, ifs and returns of pure expressions.
func pureStmt(s Stmt) bool {
	switch s := s.(type) {
	case *Decl:
		for _, x := range s.Inits {
			if x != nil && !pureExpr(x) {
				return false
			}
		}
		return true
	case *Return:
		return pureExpr(s.X)
	case *If:
		return pureExpr(s.C) && pureStmt(s.Then) && (s.Else == nil || pureStmt(s.Else))
	case *Block:
		for _, x := range s.List {
			if !pureStmt(x) {
				return false
			}
		}
		return true
	case *Empty:
		return true
	}
	return false
}

// pureExpr: no assignment, no object creation, no call that changes
// anything or gives a new value each time, no lambda.
func pureExpr(e Expr) bool {
	ok := true
	walkExpr(e, func(x Expr) {
		switch n := x.(type) {
		case *Assign, *NewExpr, *Lambda:
			ok = false
		case *Call:
			if n.method != nil {
				k := n.method.key
				if strings.Contains(k, "NewGuid") || strings.Contains(k, "Random") || strings.Contains(k, ".Add(") ||
					strings.Contains(k, ".Remove(") || strings.Contains(k, ".TryAdd(") || strings.Contains(k, "Now") || strings.HasPrefix(k, "linq.") {
					ok = false
				}
			}
			if n.coll != nil && n.coll.op.mutates {
				ok = false
			}
		case *Member:
			if n.prop != nil && strings.Contains(n.prop.key, "Now") {
				ok = false
			}
		}
	})
	return ok
}

func countUses(s Stmt, l *local) int {
	n := 0
	count := func(e Expr) {
		walkExpr(e, func(x Expr) {
			if nm, ok := x.(*Name); ok && nm.local == l {
				n++
			}
		})
	}
	var walk func(Stmt)
	walk = func(s Stmt) {
		switch s := s.(type) {
		case *Decl:
			for _, x := range s.Inits {
				if x != nil {
					count(x)
				}
			}
		case *Return:
			count(s.X)
		case *If:
			// a use in a branch may not run: inlining would skip a failure
			// of the initializer that C# raises
			before := n
			count(s.C)
			walk(s.Then)
			if s.Else != nil {
				walk(s.Else)
			}
			if n > before {
				n += 2
			}
		case *Block:
			for _, x := range s.List {
				walk(x)
			}
		}
	}
	walk(s)
	return n
}

// walkExpr calls f on e and every expression inside it.
func walkExpr(e Expr, f func(Expr)) {
	if e == nil {
		return
	}
	f(e)
	switch n := e.(type) {
	case *Interp:
		for _, h := range n.Holes {
			walkExpr(h, f)
		}
	case *Member:
		walkExpr(n.X, f)
	case *Call:
		walkExpr(n.F, f)
		for _, a := range n.Args {
			walkExpr(a.X, f)
		}
	case *Index:
		walkExpr(n.X, f)
		walkExpr(n.I, f)
	case *Unary:
		walkExpr(n.X, f)
	case *Binary:
		walkExpr(n.L, f)
		walkExpr(n.R, f)
	case *Cond:
		walkExpr(n.C, f)
		walkExpr(n.A, f)
		walkExpr(n.B, f)
	case *Cast:
		walkExpr(n.X, f)
	case *CondAccess:
		walkExpr(n.X, f)
		walkExpr(n.Body, f)
	case *IsAs:
		walkExpr(n.X, f)
	case *Lambda:
		walkExpr(n.Body, f)
		if n.Block != nil {
			walkStmt(n.Block, f)
		}
	case *NewExpr:
		for _, a := range n.Args {
			walkExpr(a.X, f)
		}
		for _, x := range n.Init {
			walkExpr(x, f)
		}
		for _, x := range n.Vals {
			walkExpr(x, f)
		}
		for i, x := range n.DictKeys {
			walkExpr(x, f)
			walkExpr(n.DictVals[i], f)
		}
	case *Assign:
		walkExpr(n.Target, f)
		walkExpr(n.X, f)
	case *ThrowExpr:
		walkExpr(n.X, f)
	}
}

// walkStmt calls walkExpr(e, f) on every expression of s and of the
// statements inside it (a lambda's statement body, a local function's).
func walkStmt(s Stmt, f func(Expr)) {
	switch s := s.(type) {
	case *Block:
		for _, x := range s.List {
			walkStmt(x, f)
		}
	case *Decl:
		for _, x := range s.Inits {
			walkExpr(x, f)
		}
	case *ExprStmt:
		walkExpr(s.X, f)
	case *Return:
		walkExpr(s.X, f)
	case *Throw:
		walkExpr(s.X, f)
	case *If:
		walkExpr(s.C, f)
		walkStmt(s.Then, f)
		if s.Else != nil {
			walkStmt(s.Else, f)
		}
	case *Foreach:
		walkExpr(s.In, f)
		walkStmt(s.Body, f)
	case *While:
		walkExpr(s.C, f)
		walkStmt(s.Body, f)
	case *For:
		for _, x := range s.Init {
			walkStmt(x, f)
		}
		walkExpr(s.C, f)
		for _, x := range s.Post {
			walkExpr(x, f)
		}
		walkStmt(s.Body, f)
	case *Try:
		walkStmt(s.Body, f)
		for _, c := range s.Catches {
			walkExpr(c.When, f)
			walkStmt(c.Body, f)
		}
		if s.Finally != nil {
			walkStmt(s.Finally, f)
		}
	case *LocalFunc:
		walkExpr(s.ExprBody, f)
		if s.Body != nil {
			walkStmt(s.Body, f)
		}
	}
}

// usesLet reports whether e reads a let-bound local (a string built from
// one may have been doubled by earlier statements).
func (lw *lowerer) usesLet(e Expr) bool {
	found := false
	walkExpr(e, func(x Expr) {
		if nm, ok := x.(*Name); ok && nm.local != nil && lw.lets[nm.local] {
			found = true
		}
	})
	return found
}

// stmts lowers a statement list; tail gives the value when the list ends
// without returning (nil: it must return).
func (lw *lowerer) stmts(list []Stmt, en env, tail func(env) (string, error)) (string, error) {
	lw.work++
	if lw.work > maxLowerWork {
		return "", cannot("too many branches to lower")
	}
	if len(list) == 0 {
		if tail == nil {
			return "", cannot("not all code paths return a value")
		}
		return tail(en)
	}
	s, rest := list[0], list[1:]
	switch s := s.(type) {
	case *Empty:
		return lw.stmts(rest, en, tail)
	case *Block:
		return lw.stmts(append(append([]Stmt{}, s.List...), rest...), en, tail)
	case *Return:
		return lw.expr(s.X, en)
	case *Decl:
		var b strings.Builder
		for i, l := range s.locs {
			var v string
			if s.Inits[i] != nil {
				x, err := lw.conv(s.Inits[i], l.t, en)
				if err != nil {
					return "", err
				}
				v = x
			} else {
				v = zeroLit(l.t)
			}
			if len(s.locs) == 1 && s.Inits[0] != nil && lw.inlinable(l, s.Inits[0], rest) {
				en[l] = "(" + v + ")" // used once, nothing in between can change it: no let
				continue
			}
			fmt.Fprintf(&b, "let %s = %s; ", lw.bind(en, l), v)
		}
		r, err := lw.stmts(rest, en, tail)
		return b.String() + r, err
	case *ExprStmt:
		if a, ok := s.X.(*Assign); ok {
			// An indexer's or a property's setter: a call whose value is dropped.
			var parts []Expr
			var call func(args []string) string
			if ix, ok := a.Target.(*Index); ok {
				if a.Op != "=" {
					return "", cannot("compound assignment to an element")
				}
				parts = []Expr{ix.X, ix.I, a.X}
				switch ix.X.typ().K {
				case KDict:
					call = func(args []string) string { return lw.callBuiltin(dictSet, args, nil, 0) }
				case KArray, KBytes:
					set := arraySet
					if isList(ix.X.typ()) {
						set = listSet
					}
					call = func(args []string) string { return lw.callBuiltin(set, args, nil, 0) }
				default:
					call = func(args []string) string { return "$csJSet(" + strings.Join(args, ", ") + ")" }
				}
			} else if m, ok := a.Target.(*Member); ok && a.setter != nil { // x.Value = v
				parts = []Expr{m.X, a.X}
				call = func(args []string) string { return lw.callBuiltin(a.setter, args, nil, 0) }
			}
			if call != nil {
				args := make([]string, len(parts))
				for i, p := range parts {
					x, err := lw.expr(p, en)
					if err != nil {
						return "", err
					}
					args[i] = x
				}
				lw.n++
				tmp := fmt.Sprintf("$_%d", lw.n)
				r, err := lw.stmts(rest, en, tail)
				return fmt.Sprintf("let %s = %s; %s", tmp, call(args), r), err
			}
			if nm, ok := a.Target.(*Name); ok {
				v, err := lw.assignValue(a, nm.local, en)
				if err != nil {
					return "", err
				}
				name := lw.bind(en, nm.local)
				r, err := lw.stmts(rest, en, tail)
				return fmt.Sprintf("let %s = %s; %s", name, v, r), err
			}
		}
		x, err := lw.expr(s.X, en)
		if err != nil {
			return "", err
		}
		lw.n++
		tmp := fmt.Sprintf("$_%d", lw.n)
		r, err := lw.stmts(rest, en, tail)
		return fmt.Sprintf("let %s = %s; %s", tmp, x, r), err
	case *If:
		c, err := lw.expr(s.C, en)
		if err != nil {
			return "", err
		}
		thenList := append([]Stmt{s.Then}, rest...)
		a, err := lw.stmts(thenList, en.clone(), tail)
		if err != nil {
			return "", err
		}
		elseList := rest
		if s.Else != nil {
			elseList = append([]Stmt{s.Else}, rest...)
		}
		b, err := lw.stmts(elseList, en.clone(), tail)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("(%s ? (%s) : (%s))", c, a, b), nil
	case *Foreach:
		return lw.foreach(s, rest, en, tail)
	}
	return "", cannot("%T statement", s)
}

func (lw *lowerer) assignValue(a *Assign, l *local, en env) (string, error) {
	cur := en[l]
	if l.t.K == KChar && a.Op != "=" && a.Op != "??=" {
		return "", cannot("char arithmetic") // c++, c += 'a': charArith on the interpreter
	}
	switch a.Op {
	case "=":
		return lw.conv(a.X, l.t, en)
	case "++", "--":
		if l.t.K == KInt {
			one := &Lit{node: node{T: tInt}, V: 1, Kind: tkInt, IT: tInt}
			return lw.expr(&Binary{node: node{Off: a.Off, T: l.t, Ctx: a.Ctx, opT: l.t}, Op: a.Op[:1],
				L: &Name{node: node{T: l.t}, Name: l.name, local: l}, R: one}, en)
		}
		return fmt.Sprintf("(%s %s 1)", cur, a.Op[:1]), nil
	case "??=":
		x, err := lw.expr(a.X, en)
		return lw.coalesce(l.t, cur, x), err
	}
	op := strings.TrimSuffix(a.Op, "=")
	bin := &Binary{node: node{Off: a.Off, T: l.t, Ctx: a.Ctx, opT: a.opT}, Op: op, L: &Name{node: node{T: l.t}, Name: l.name, local: l}, R: a.X}
	if l.t.K == KString && op == "+" {
		bin.T = tString
	}
	if a.opT != nil {
		bin.T = a.opT
	}
	x, err := lw.expr(bin, en)
	if err != nil || a.opT == nil || a.opT == l.t {
		return x, err
	}
	return lw.intConv(x, a.opT, l.t, a.Ctx == ctxChecked) // byte b += 1: back to a byte
}

// foreach becomes reduce when its body only changes one outer local.
func (lw *lowerer) foreach(s *Foreach, rest []Stmt, en env, tail func(env) (string, error)) (string, error) {
	if hasJump(s.Body) {
		return "", cannot("return, break or continue inside foreach")
	}
	assigned := map[*local]bool{}
	assignedIn(s.Body, assigned)
	var outer []*local
	for l := range assigned {
		if _, ok := en[l]; ok {
			outer = append(outer, l)
		}
	}
	if len(outer) > 1 {
		return "", cannot("foreach changes %d locals", len(outer))
	}
	seq, err := lw.seq(s.In, en)
	if err != nil {
		return "", err
	}
	inner := en.clone()
	var accInit string
	var acc *local
	if len(outer) == 1 {
		acc = outer[0]
		accInit = en[acc]
	} else {
		accInit = "nil"
	}
	prefix := ""
	if acc != nil {
		prefix = fmt.Sprintf("let %s = #acc; ", lw.bind(inner, acc))
	}
	item := "#"
	if s.loc.t.K != KObject && s.In.typ().K != KArray {
		item = lw.f.castCall("#", s.loc.t)
	}
	prefix += fmt.Sprintf("let %s = %s; ", lw.bind(inner, s.loc), item)
	body, err := lw.stmts([]Stmt{s.Body}, inner, func(e env) (string, error) {
		if acc == nil {
			// #acc, nil all along: expr refuses a predicate that is the
			// literal nil ("predicate should has two input and one
			// output param"), which an empty body gave
			return "#acc", nil
		}
		return e[acc], nil
	})
	if err != nil {
		return "", err
	}
	red := fmt.Sprintf("reduce(%s, %s%s, %s)", seq, prefix, body, accInit)
	lw.n++
	name := fmt.Sprintf("$_%d", lw.n)
	if acc != nil {
		name = lw.bind(en, acc)
	}
	r, err := lw.stmts(rest, en, tail)
	return fmt.Sprintf("let %s = %s; %s", name, red, r), err
}

func hasJump(s Stmt) bool {
	switch s := s.(type) {
	case *Return, *Break, *Continue, *Throw:
		return true
	case *Block:
		for _, x := range s.List {
			if hasJump(x) {
				return true
			}
		}
	case *If:
		return hasJump(s.Then) || s.Else != nil && hasJump(s.Else)
	case *Foreach:
		return hasJump(s.Body)
	case *While, *For, *Try:
		return true
	}
	return false
}

func assignedIn(s Stmt, out map[*local]bool) {
	switch s := s.(type) {
	case *ExprStmt:
		if a, ok := s.X.(*Assign); ok {
			if nm, ok := a.Target.(*Name); ok {
				out[nm.local] = true
			}
		}
	case *Block:
		for _, x := range s.List {
			assignedIn(x, out)
		}
	case *If:
		assignedIn(s.Then, out)
		if s.Else != nil {
			assignedIn(s.Else, out)
		}
	case *Foreach:
		assignedIn(s.Body, out)
	}
}

// seq lowers a sequence for LINQ and foreach: JArray and JObject give their items.
func (lw *lowerer) seq(e Expr, en env) (string, error) {
	x, err := lw.expr(e, en)
	if err != nil {
		return "", err
	}
	if e.typ().K == KArray {
		return x, nil
	}
	return "$csItems(" + x + ")", nil
}

// conv lowers e converted implicitly to t.
func (lw *lowerer) conv(e Expr, t *Type, en env) (string, error) {
	x, err := lw.expr(e, en)
	if err != nil {
		return "", err
	}
	from := e.typ()
	switch {
	case t.K == KDouble && from.K == KInt:
		if l, ok := e.(*Lit); ok {
			return floatLit(toFloat(l.V)), nil
		}
		return "float(" + x + ")", nil
	case t.K == KJToken && from.K != KJToken && from.K != KJObject && from.K != KJArray && from.K != KNull:
		return "$csCall(\"JToken.FromObject/1\", " + x + ")", nil
	case t.K == KDateTimeOffset && from.K == KDateTime:
		return lw.callBuiltin(dtoConv, []string{x}, nil, 0), nil
	}
	return x, nil
}

func zeroLit(t *Type) string {
	if t.Nullable {
		return "nil"
	}
	switch t.K {
	case KInt:
		return "0"
	case KDouble:
		return "0.0"
	case KBool:
		return "false"
	case KChar:
		return `"\x00"`
	case KDateTime: // default(DateTime): 0001-01-01, Kind Unspecified
		return `$csCall("DateTime.MinValue")`
	case KDateTimeOffset:
		return `$csCall("DateTimeOffset.MinValue")`
	case KEnum: // default(E) is 0: Enum.Parse's builtin of E reads it (enums.go)
		if b := statics["Enum"][enumParseKey(t.Name)]; b != nil {
			return fmt.Sprintf(`$csCall(%q, "0")`, b[0].key)
		}
	case KGuid:
		return `$csCall("Guid.Empty")`
	case KTimeSpan:
		return `$csCall("TimeSpan.Zero")`
	case KDayOfWeek:
		return `$csCall("DayOfWeek.Sunday")`
	case KComparison:
		return "0"
	case KKeyValue: // a struct: its Key null, its Value default(V)
		z := zeroLit(t.Elem)
		if z == "nil" && !t.Elem.isRef() {
			break // default(V) has no lowered form (decimal): "nil" sends it to the interpreter
		}
		return `$csCall("KeyValuePair.default", ` + z + ")"
	}
	return "nil"
}

func floatLit(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Sprintf("$csCall(\"double.Parse/1\", %q)", formatDouble(f))
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	if f < 0 {
		return "(" + s + ")"
	}
	return s
}

func quote(s string) string { return strconv.Quote(s) }

func (lw *lowerer) args(n *Call, en env) ([]string, error) {
	var out []string
	for _, a := range n.Args {
		x, err := lw.expr(a.X, en)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// callBuiltin lowers a call of bi with lowered arguments (receiver first
// for instance members).
func (lw *lowerer) callBuiltin(bi *builtin, all []string, types []*Type, base int) string {
	if bi.expr != nil {
		return bi.expr(all)
	}
	if bi.vararg {
		np := len(bi.params) + base
		if !(len(all) == np && types != nil && (types[len(types)-1].K == KArray || types[len(types)-1].K == KJArray || types[len(types)-1].K == KGrouping)) {
			rest := "[" + strings.Join(all[np-1:], ", ") + "]"
			all = append(all[:np-1:np-1], rest)
		}
	}
	return "$csCall(" + quote(bi.key) + strings.Join(prepend(all), "") + ")"
}

func prepend(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = ", " + x
	}
	return out
}

// mayBeNull reports whether a string-typed expression may be null at run time.
func mayBeNull(e Expr) bool {
	switch n := e.(type) {
	case *Lit:
		return n.V == nil
	case *Interp, *Binary:
		if b, ok := n.(*Binary); ok && b.Op == "??" {
			return mayBeNull(b.R)
		}
		return false
	case *Member:
		return n.field == nil && n.prop == nil || n.Cond
	case *Call:
		return n.goM == nil && (n.method == nil || n.method.expr == nil && (strings.HasPrefix(n.method.key, "Body.") || strings.HasPrefix(n.method.key, "dict.GetValueOrDefault/"))) ||
			n.nullStr || n.F.(*Member).Cond || n.F.(*Member).generic()
	case *Cond:
		return mayBeNull(n.A) || mayBeNull(n.B)
	}
	return true
}

func (lw *lowerer) expr(e Expr, en env) (string, error) {
	switch n := e.(type) {
	case *Lit:
		switch v := n.V.(type) {
		case nil:
			return "nil", nil
		case string:
			return quote(v), nil
		case bool:
			return strconv.FormatBool(v), nil
		case int:
			if v < 0 {
				return "(" + strconv.Itoa(v) + ")", nil
			}
			return strconv.Itoa(v), nil
		case int64:
			if v == math.MinInt64 {
				return "(-9223372036854775807 - 1)", nil
			}
			if v < 0 {
				return "(" + strconv.FormatInt(v, 10) + ")", nil
			}
			return strconv.FormatInt(v, 10), nil
		case uint64:
			return "", cannot("ulong")
		case float64:
			return floatLit(v), nil
		}
	case *Interp:
		var parts []string
		for i, h := range n.Holes {
			if n.Lits[i] != "" {
				parts = append(parts, quote(n.Lits[i]))
			}
			x, err := lw.expr(h, en)
			if err != nil {
				return "", err
			}
			switch {
			case n.Formats[i] != "":
				parts = append(parts, fmt.Sprintf("$csFmt(%s, %s, %d)", x, quote(n.Formats[i]), n.holeIK(i)))
			case h.typ().K == KString && !mayBeNull(h):
				parts = append(parts, x)
			default:
				parts = append(parts, "$csCat("+x+")")
			}
		}
		if last := n.Lits[len(n.Lits)-1]; last != "" || len(parts) == 0 {
			parts = append(parts, quote(last))
		}
		if lw.bounded && len(parts) > 1 && lw.usesLet(n) {
			return "$csConcat(" + strings.Join(parts, ", ") + ")", nil
		}
		return "(" + strings.Join(parts, " + ") + ")", nil
	case *Name:
		if n.local != nil {
			name, ok := en[n.local]
			if !ok {
				return "", cannot("local %s used before it is bound", n.Name)
			}
			return name, nil
		}
		if n.static != nil {
			return "", cannot("a type used as a value")
		}
		return "context", nil
	case *Member:
		return lw.member(n, en)
	case *Call:
		return lw.call(n, en)
	case *Index:
		x, err := lw.expr(n.X, en)
		if err != nil {
			return "", err
		}
		i, err := lw.expr(n.I, en)
		if err != nil {
			return "", err
		}
		var out string
		switch n.kind {
		case ixGoMap:
			out = x + "[" + i + "]"
			if n.Cond {
				out = x + "?.[" + i + "]"
				return "", cannot("?[ on a map")
			}
			return out, nil
		default:
			out = fmt.Sprintf("$csIndex(%s, %s, %d)", x, i, n.kind)
			if n.Cond {
				return lw.nullSafe(x, func(t string) string { return fmt.Sprintf("$csIndex(%s, %s, %d)", t, i, n.kind) }), nil
			}
		}
		return out, nil
	case *Unary:
		if i32Chain(n) && i32Chain(n.X) {
			if lw.raw == nil {
				lw.raw = map[Expr]bool{}
			}
			lw.raw[n.X] = true
		}
		x, err := lw.expr(n.X, en)
		if err != nil {
			return "", err
		}
		if n.opT != nil {
			return lw.intUnary(n, x)
		}
		switch n.Op {
		case "!":
			return "!(" + x + ")", nil
		case "-":
			if n.X.typ().K == KTimeSpan {
				return "", cannot("-TimeSpan") // spanNegate on the interpreter
			}
			return "-(" + x + ")", nil
		case "+":
			return x, nil
		}
		return "", cannot("operator %s", n.Op)
	case *Binary:
		return lw.binary(n, en)
	case *Cond:
		c, err := lw.expr(n.C, en)
		if err != nil {
			return "", err
		}
		a, err := lw.conv(n.A, n.T, en)
		if err != nil {
			return "", err
		}
		b, err := lw.conv(n.B, n.T, en)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("(%s ? %s : %s)", c, a, b), nil
	case *Cast:
		x, err := lw.expr(n.X, en)
		if err != nil {
			return "", err
		}
		from := n.X.typ()
		switch {
		case from == n.T || n.T.K == KObject:
			return x, nil
		case from.K == KJToken || from.K == KJObject || from.K == KJArray:
			return fmt.Sprintf("$csJConv(%s, %s)", x, quote(lw.f.typeKey(n.T))), nil
		case from.K == KInt && n.T.K == KDouble:
			return "float(" + x + ")", nil
		case (from.K == KInt || from.K == KDouble) && n.T.K == KInt:
			return lw.intConv(x, from, n.T, n.Ctx == ctxChecked)
		case from.K == KChar || n.T.K == KChar:
			return "", cannot("char conversion")
		case n.T.K == KJToken && from.K != KObject:
			return "$csCall(\"JToken.FromObject/1\", " + x + ")", nil
		case n.T.K == KDateTimeOffset && from.K == KDateTime:
			return lw.callBuiltin(dtoConv, []string{x}, nil, 0), nil
		}
		return lw.f.castCall(x, n.T), nil
	case *CondAccess:
		x, err := lw.expr(n.X, en)
		if err != nil {
			return "", err
		}
		lw.n++
		t := fmt.Sprintf("$c%d", lw.n)
		en[n.Tmp.local] = t
		body, err := lw.expr(n.Body, en)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("(let %s = %s; %s == nil ? nil : %s)", t, x, t, body), nil
	case *IsAs:
		if n.loc != nil {
			return "", cannot("pattern variable")
		}
		x, err := lw.expr(n.X, en)
		if err != nil {
			return "", err
		}
		if n.Op == "as" {
			return fmt.Sprintf("$csAs(%s, %s)", x, quote(lw.f.typeKey(n.T))), nil
		}
		if n.never {
			lw.n++
			return fmt.Sprintf("(let $t%d = %s; false)", lw.n, x), nil
		}
		return fmt.Sprintf("$csIs(%s, %s)", x, quote(lw.f.typeKey(n.to))), nil
	case *NewExpr:
		return lw.newExpr(n, en)
	case *TypeOf:
		return zeroLit(n.T), nil
	case *Assign:
		return "", cannot("assignment inside an expression")
	}
	return "", cannot("%T", e)
}

// nullSafe evaluates x once and gives nil when it is null, f(x) otherwise.
func (lw *lowerer) nullSafe(x string, f func(string) string) string {
	lw.n++
	t := fmt.Sprintf("$t%d", lw.n)
	return fmt.Sprintf("(let %s = %s; %s == nil ? nil : %s)", t, x, t, f(t))
}

func (lw *lowerer) member(n *Member, en env) (string, error) {
	if n.static != nil {
		return "", cannot("a type used as a value")
	}
	if n.prop != nil && isStaticRecv(n.X) {
		return lw.callBuiltin(n.prop, nil, nil, 0), nil
	}
	if n.fn != nil {
		return n.fn.Field + "()", nil
	}
	if n.parentOf != nil {
		return "", cannot("JToken.Parent")
	}
	x, err := lw.expr(n.X, en)
	if err != nil {
		return "", err
	}
	if x == "nil" { // a member of a null constant
		if n.Cond {
			return "nil", nil
		}
		return "$csNullRef()", nil
	}
	if n.field != nil {
		read := x + "." + n.field.goName
		if n.Cond {
			read = x + "?." + n.field.goName
		}
		if n.field.read != nil { // a T?
			return lw.callBuiltin(n.field.read, []string{read}, nil, 0), nil
		}
		return read, nil
	}
	if n.prop != nil {
		if n.Cond {
			return lw.nullSafe(x, func(t string) string { return lw.callBuiltin(n.prop, []string{t}, nil, 1) }), nil
		}
		if _, ok := n.X.(*Index); ok && n.prop == arrayLen { // a[0].Length of a jagged array's null row
			lw.n++
			t := fmt.Sprintf("$t%d", lw.n)
			return fmt.Sprintf("(let %s = %s; %s == nil ? $csNullRef() : %s)", t, x, t, lw.callBuiltin(n.prop, []string{t}, nil, 1)), nil
		}
		return lw.callBuiltin(n.prop, []string{x}, nil, 1), nil
	}
	if n.anon {
		if n.Cond {
			return lw.nullSafe(x, func(t string) string { return fmt.Sprintf("$csAnonGet(%s, %s)", t, quote(n.Name)) }), nil
		}
		return fmt.Sprintf("$csAnonGet(%s, %s)", x, quote(n.Name)), nil
	}
	if n.X.typ() == exceptionType {
		return "", cannot("exception variable")
	}
	return "", cannot("member %s", n.Name)
}

func (lw *lowerer) call(n *Call, en env) (string, error) {
	if n.removeOf != nil {
		return "", cannot("JToken.Remove")
	}
	m := n.F.(*Member)
	if m.Name == "TryGetValue" || m.Name == "TryParse" || m.Name == "TryParseExact" || m.Name == "TryParseJwt" || m.Name == "TryParseBasic" {
		return "", cannot("out argument")
	}
	if n.method != nil && strings.HasPrefix(n.method.key, "linq.") {
		return lw.linq(n, m, en)
	}
	if n.coll != nil {
		return lw.collCall(n, m, en) // sets.go
	}
	args, err := lw.args(n, en)
	if err != nil {
		return "", err
	}
	if n.fn != nil {
		return n.fn.Field + "(" + strings.Join(args, ", ") + ")", nil
	}
	if isStaticRecv(m.X) {
		bi := n.method
		for i, a := range n.Args {
			if i < len(bi.params) && bi.params[i].K == KDouble && a.X.typ().K == KInt && !strings.HasPrefix(bi.key, "Math.M") && bi.key != "Math.Abs/1" {
				args[i] = "float(" + args[i] + ")"
			}
		}
		return lw.callBuiltin(bi, args, argTypes(n), 0), nil
	}
	x, err := lw.expr(m.X, en)
	if err != nil {
		return "", err
	}
	build := func(recv string) string {
		if n.nullStr {
			// Headers/Query.GetValueOrDefault(name[, null]): null when
			// the name is missing (bind.go)
			lw.n++
			t, nm, d := fmt.Sprintf("$t%d", lw.n), fmt.Sprintf("$n%d", lw.n), fmt.Sprintf("$d%d", lw.n)
			if len(args) == 1 || isNullLit(n.Args[1].X) {
				return fmt.Sprintf("(let %s = %s; let %s = %s; %s.ContainsKey(%s) ? %s.GetValueOrDefault(%s, \"\") : nil)", t, recv, nm, args[0], t, nm, t, nm)
			}
			return fmt.Sprintf("(let %s = %s; let %s = %s; let %s = %s; %s != nil || %s.ContainsKey(%s) ? %s.GetValueOrDefault(%s, %s ?? \"\") : nil)", t, recv, nm, args[0], d, args[1], d, t, nm, t, nm, d)
		}
		if n.goM != nil {
			a := args
			if len(a) < len(n.goM.ins) { // GetValueOrDefault(name): the default is the zero value
				zt := n.goM.ins[len(a)]
				if m.generic() {
					zt = n.T // GetValueOrDefault<T>(name): default(T)
				}
				a = append(append([]string{}, a...), zeroLit(zt))
				if zt.K == KString {
					a[len(a)-1] = `""`
					if m.generic() {
						a[len(a)-1] = "nil"
					}
				}
			}
			call := recv + "." + n.goM.name + "(" + strings.Join(a, ", ") + ")"
			if m.generic() {
				return lw.f.castCall(call, n.T)
			}
			return call
		}
		return lw.callBuiltin(n.method, append([]string{recv}, args...), argTypes(n), 1)
	}
	if m.Cond {
		return lw.nullSafe(x, build), nil
	}
	if n.goM == nil && n.method.native != nil && !mayBeNull(m.X) && !m.Cond {
		return n.method.native(append([]string{x}, nativeArgs(n, args)...)), nil
	}
	if n.goM == nil && !strings.Contains(n.method.key, ".Equals(") && n.method.expr == nil && m.X.typ().K == KGo {
		// a member of a model value that may be null: .NET's exception
		lw.n++
		t := fmt.Sprintf("$t%d", lw.n)
		return fmt.Sprintf("(let %s = %s; %s == nil ? $csNullRef() : %s)", t, x, t, build(t)), nil
	}
	return build(x), nil
}

// nativeArgs gives the arguments of a string method lowered to one of
// expr's operators (contains, startsWith, endsWith, ==), whose typed
// string operands must not be null: s.Equals(x) with an x that may be
// null compares (x ?? false), false for a null as in .NET; the others
// take (x ?? $csCall("string.argNull")), .NET's ArgumentNullException.
func nativeArgs(n *Call, args []string) []string {
	out, copied := args, false
	for i, a := range n.Args {
		if i >= len(args) || a.X.typ().K != KString || !mayBeNull(a.X) || isStringLit(a.X) {
			continue
		}
		if !copied {
			out, copied = append([]string(nil), args...), true
		}
		if n.F.(*Member).Name == "Equals" {
			out[i] = "(" + args[i] + " ?? false)"
		} else {
			out[i] = "(" + args[i] + ` ?? $csCall("string.argNull"))`
		}
	}
	return out
}

func (lw *lowerer) linq(n *Call, m *Member, en env) (string, error) {
	seq, err := lw.seq(m.X, en)
	if err != nil {
		return "", err
	}
	var pred string
	var arg string
	if len(n.Args) == 1 {
		if l, ok := n.Args[0].X.(*Lambda); ok {
			if l.Block != nil { // the binder sends these to the interpreter
				return "", cannot("lambda with a statement body")
			}
			inner := en.clone()
			p := lw.bind(inner, l.locals[0])
			body, err := lw.expr(l.Body, inner)
			if err != nil {
				return "", err
			}
			pred = fmt.Sprintf("let %s = #; %s", p, body)
		} else {
			if arg, err = lw.expr(n.Args[0].X, en); err != nil {
				return "", err
			}
		}
	}
	helper := func(name, s string) string { return fmt.Sprintf("$csLinq(%s, %s, nil)", quote(name), s) }
	switch m.Name {
	case "Where":
		return fmt.Sprintf("filter(%s, %s)", seq, pred), nil
	case "Select":
		return fmt.Sprintf("map(%s, %s)", seq, pred), nil
	case "Any":
		if pred == "" {
			return fmt.Sprintf("(len(%s) > 0)", seq), nil
		}
		return fmt.Sprintf("any(%s, %s)", seq, pred), nil
	case "All":
		return fmt.Sprintf("all(%s, %s)", seq, pred), nil
	case "Count":
		if pred == "" {
			return fmt.Sprintf("len(%s)", seq), nil
		}
		return fmt.Sprintf("count(%s, %s)", seq, pred), nil
	case "First", "FirstOrDefault", "Last", "LastOrDefault", "Single", "SingleOrDefault":
		if pred != "" { // the items the predicate kept: linqRun's messages say "matching" (arg true)
			return lw.orDefault(m.Name, n.T, fmt.Sprintf("$csLinq(%s, filter(%s, %s), true)", quote(m.Name), seq, pred))
		}
		return lw.orDefault(m.Name, n.T, helper(m.Name, seq))
	case "ToArray", "ToList", "Distinct", "Reverse":
		if m.Name == "ToArray" && n.T.K == KBytes { // a List<byte>'s: a byte[]
			return `$csCall("List<byte>.ToArray", ` + helper(m.Name, seq) + ")", nil
		}
		return helper(m.Name, seq), nil
	case "Sum", "Max", "Min", "Average":
		if pred != "" {
			seq = fmt.Sprintf("map(%s, %s)", seq, pred)
		}
		if n.sum != "" { // how Sum and Average add (sumOf): Sum of ints and longs is checked
			return fmt.Sprintf("$csLinq(%s, %s, %s)", quote(m.Name), seq, quote(n.sum)), nil
		}
		return helper(m.Name, seq), nil
	case "Contains", "Skip", "Take", "Concat", "Except", "Intersect", "Union", "ElementAt", "ElementAtOrDefault":
		return lw.orDefault(m.Name, n.T, fmt.Sprintf("$csLinq(%s, %s, %s)", quote(m.Name), seq, arg))
	case "DefaultIfEmpty":
		if arg == "" { // default(T)
			arg = zeroLit(n.T.Elem)
			if arg == "nil" && !n.T.Elem.isRef() {
				return "", cannot("DefaultIfEmpty of %s", typeName(n.T.Elem))
			}
		}
		return fmt.Sprintf("$csLinq(%s, %s, %s)", quote(m.Name), seq, arg), nil
	}
	return "", cannot("LINQ %s", m.Name)
}

// orDefault gives default(T) where an ...OrDefault operator found
// nothing: 0 for an int, as in .NET; null for a reference type.
func (lw *lowerer) orDefault(name string, t *Type, call string) (string, error) {
	if !strings.HasSuffix(name, "OrDefault") || t.isRef() && t.K != KKeyValue {
		return call, nil
	}
	z := zeroLit(t)
	if z == "nil" {
		return "", cannot("%s of %s", name, typeName(t))
	}
	if t.K == KKeyValue {
		// default(KeyValuePair<K, V>), a struct: not through ??, which
		// would give expr's dereferenced copy of the pair found
		lw.n++
		v := fmt.Sprintf("$t%d", lw.n)
		return fmt.Sprintf("(let %s = %s; %s == nil ? %s : %s)", v, call, v, z, v), nil
	}
	return "(" + call + " ?? " + z + ")", nil
}

func (lw *lowerer) binary(n *Binary, en env) (string, error) {
	if n.patObj != nil {
		return "", cannot("constant pattern on an object")
	}
	if i32Chain(n) {
		for _, c := range []Expr{n.L, n.R} {
			if i32Chain(c) {
				if lw.raw == nil {
					lw.raw = map[Expr]bool{}
				}
				lw.raw[c] = true
			}
		}
	}
	l, err := lw.expr(n.L, en)
	if err != nil {
		return "", err
	}
	r, err := lw.expr(n.R, en)
	if err != nil {
		return "", err
	}
	if n.xname {
		return lw.callBuiltin(xnameJoin, []string{l, r}, nil, 0), nil
	}
	lt, rt := n.L.typ(), n.R.typ()
	if (n.Op == "==" || n.Op == "!=") && (xmlKind(lt.K) || xmlKind(rt.K) || refKind(lt.K) || refKind(rt.K)) { // the same XML node (xml_linq.go), the same object
		return xmlSameCall(n.Op, l, r), nil
	}
	if (lt.K == KChar || rt.K == KChar) && n.T.K != KString && n.T.K != KBool {
		return "", cannot("char arithmetic")
	}
	if n.opT != nil {
		return lw.intBinary(n, l, r)
	}
	switch n.Op {
	case "+":
		if n.T.K == KString {
			if lt.K != KString || mayBeNull(n.L) {
				l = "$csCat(" + l + ")"
			}
			if rt.K != KString || mayBeNull(n.R) {
				r = "$csCat(" + r + ")"
			}
			if lw.bounded && (lw.usesLet(n.L) || lw.usesLet(n.R)) {
				return "$csConcat(" + l + ", " + r + ")", nil
			}
			return "(" + l + " + " + r + ")", nil
		}
	case "/", "%":
		if n.T.K == KInt {
			return fmt.Sprintf("$csIntOp(%s, %s, %s)", quote(n.Op), l, r), nil
		}
		if n.Op == "%" {
			return fmt.Sprintf("$csFloatMod(%s, %s)", l, r), nil
		}
	case "&&", "||", "==", "!=", "??":
	case "-", "*", "<", ">", "<=", ">=":
		if lt.K == KChar || rt.K == KChar {
			return "", cannot("char arithmetic")
		}
	default:
		return "", cannot("operator %s", n.Op)
	}
	if dtoOperands(lt, rt) && n.T.K != KString && n.Op != "??" {
		// instants compared, offsets kept (datetimeoffset.go)
		return lw.callBuiltin(dtoOpBuiltin, []string{quote(n.Op), l, r}, nil, 0), nil
	}
	if (lt.K == KDateTimeOffset || rt.K == KDateTimeOffset) && (n.Op == "==" || n.Op == "!=") {
		eq := lw.callBuiltin(dtoEqual, []string{l, r}, nil, 0)
		if n.Op == "!=" {
			return "!" + eq, nil
		}
		return eq, nil
	}
	if (n.Op == "+" || n.Op == "-") && (lt.K == KDateTime || lt.K == KTimeSpan) {
		// .NET's ranges and exceptions (datetime.go), not expr's wrapping.
		switch {
		case lt.Nullable || rt.Nullable:
			return "", cannot("nullable DateTime arithmetic")
		case lt.K == KDateTime && rt.K == KDateTime:
			return fmt.Sprintf("$csDateDiff(%s, %s)", l, r), nil
		case lt.K == KDateTime:
			return fmt.Sprintf("$csDateAdd(%s, %s, %s)", quote(n.Op), l, r), nil
		}
		return fmt.Sprintf("$csSpanAdd(%s, %s, %s)", quote(n.Op), l, r), nil
	}
	if n.Op == "??" && n.T.K == KDouble && rt.K == KInt {
		r = "float(" + r + ")"
	}
	if n.Op == "==" || n.Op == "!=" {
		l, r = nullSafeStrings(n.L, n.R, l, r)
	}
	if n.Op == "??" {
		return lw.coalesce(lt, l, r), nil
	}
	return "(" + l + " " + n.Op + " " + r + ")", nil
}

// coalesce lowers l ?? r for an l of type t. expr's ?? dereferences what
// it gives when the static type is an interface or a pointer: a JObject,
// a list, a KeyValuePair... came out as a copy of the struct behind the
// pointer, which C#'s members then did not know ((o["a"] ?? new
// JObject())["b"] failed "Cannot access child value on ...JValue").
// For those a conditional gives the value itself; strings and values
// (int?, DateTime?...) keep expr's ??, which dereferences nothing of them.
func (lw *lowerer) coalesce(t *Type, l, r string) string {
	if !t.isRef() || t.Nullable || t.K == KString || l == "nil" || l == "(nil)" {
		return "(" + l + " ?? " + r + ")"
	}
	lw.n++
	v := fmt.Sprintf("$t%d", lw.n)
	return fmt.Sprintf("(let %s = %s; %s == nil ? %s : %s)", v, l, v, r, v)
}

// nullSafeStrings makes C#'s string equality of two lowered operands safe
// when one may be null. expr types `context.Product?.Name`,
// `$csCastString(x)`, a string local... as string and compares two strings
// with a typed opcode that asserts both are strings, so a null operand
// failed ("interface conversion: interface {} is nil, not string") where
// C# gives false for == and true for != (null == null is true). When
// either operand may be null, each one that is not a string literal
// becomes (x ?? false): an untyped value, so expr compares with its
// generic equality, and a null is false, which equals no string and
// equals the other side's false when both are null. Operands that cannot
// be null (literals, concatenations) keep the typed compare, which costs
// nothing more than before.
func nullSafeStrings(a, b Expr, l, r string) (string, string) {
	if a.typ().K != KString || b.typ().K != KString || isNullLit(a) || isNullLit(b) || !mayBeNull(a) && !mayBeNull(b) {
		return l, r
	}
	if l == "nil" || l == "(nil)" || r == "nil" || r == "(nil)" {
		return l, r // a local known to be null: expr compares nil with its generic equality
	}
	if !isStringLit(a) {
		l = "(" + l + " ?? false)"
	}
	if !isStringLit(b) {
		r = "(" + r + " ?? false)"
	}
	return l, r
}

func isStringLit(e Expr) bool {
	if lit, ok := e.(*Lit); ok {
		_, s := lit.V.(string)
		return s
	}
	return false
}

func isNullLit(e Expr) bool {
	lit, ok := e.(*Lit)
	return ok && lit.V == nil
}

func (lw *lowerer) newExpr(n *NewExpr, en env) (string, error) {
	if n.Props != nil {
		var keys, vals []string
		for i, p := range n.Props {
			v, err := lw.expr(n.Vals[i], en)
			if err != nil {
				return "", err
			}
			keys = append(keys, quote(p))
			vals = append(vals, v)
		}
		return fmt.Sprintf("$csAnon([%s], [%s])", strings.Join(keys, ", "), strings.Join(vals, ", ")), nil
	}
	if len(n.DictKeys) > 0 {
		var keys, vals []string
		for i, k := range n.DictKeys {
			kv, err := lw.expr(k, en)
			if err != nil {
				return "", err
			}
			v, err := lw.expr(n.DictVals[i], en)
			if err != nil {
				return "", err
			}
			keys = append(keys, kv)
			vals = append(vals, v)
		}
		return fmt.Sprintf("$csDict(%d, [%s], [%s])", n.dictMode(), strings.Join(keys, ", "), strings.Join(vals, ", ")), nil
	}
	if n.ctor == nil {
		if n.T.K == KDict && len(n.Init) == 0 {
			return "$csDict(0, [], [])", nil // an empty dictionary: a JObject
		}
		if n.T.K != KArray {
			return "", cannot("new %s", n.T.Name)
		}
		var vals []string
		for _, x := range n.Init {
			v, err := lw.conv(x, n.T.Elem, en)
			if err != nil {
				return "", err
			}
			vals = append(vals, v)
		}
		lit := "[" + strings.Join(vals, ", ") + "]"
		if len(n.Init) > 0 && constantItems(n.Init) {
			// expr folds a literal of constants into one value that every
			// run shares, and a[i] = v changes arrays in place: each run
			// gets its own copy, as C# makes a new array each time
			return lw.callBuiltin(arrayFresh, []string{lit}, nil, 0), nil
		}
		return lit, nil
	}
	var args []string
	for _, a := range n.Args {
		v, err := lw.expr(a.X, en)
		if err != nil {
			return "", err
		}
		args = append(args, v)
	}
	return lw.callBuiltin(n.ctor, args, argTypesOf(n.Args), 0), nil
}

func isNoLower(err error) bool { return errors.As(err, &errNoLowerT) }

// constantItems reports whether expr could fold every item into a
// constant: no name, member, call, index or object creation in any.
func constantItems(items []Expr) bool {
	ok := true
	for _, x := range items {
		walkExpr(x, func(e Expr) {
			switch e.(type) {
			case *Name, *Member, *Call, *Index, *NewExpr, *Lambda, *CondAccess:
				ok = false
			}
		})
	}
	return ok
}

// intCode packs an integral kind and the checked context for $csIntOp,
// $csIntUn and $csIntConv.
func intCode(k intKind, chk bool) int {
	if chk {
		return int(k) | 256
	}
	return int(k)
}

// intBinary lowers integral arithmetic (intarith.go): an int's + - *
// wrap at 32 bits through $csI32..., a long's are expr's own (64-bit,
// wrapping); the rest, and every checked operation, call $csIntOp.
func (lw *lowerer) intBinary(n *Binary, l, r string) (string, error) {
	k := n.opT.ik()
	if k == ikULong {
		return "", cannot("ulong arithmetic")
	}
	if n.L.typ().Nullable || n.R.typ().Nullable {
		return "", cannot("nullable arithmetic")
	}
	chk := n.Ctx == ctxChecked
	if c, ok := constOf(n.R).(int); ok && n.Op == "%" && c != 0 && c != -1 && (k == ikInt || k == ikLong) {
		return "(" + l + " % " + r + ")", nil // expr's % is Go's, C#'s: the dividend's sign, and no overflow
	}
	if !chk {
		switch n.Op {
		case "+", "-", "*":
			switch k {
			case ikLong:
				return "(" + l + " " + n.Op + " " + r + ")", nil
			case ikInt:
				if lw.raw[n] {
					return "(" + l + " " + n.Op + " " + r + ")", nil
				}
				return "$csI32(" + l + " " + n.Op + " " + r + ")", nil
			}
		}
	}
	if k == ikInt && !chk {
		return fmt.Sprintf("$csIntOp(%s, %s, %s)", quote(n.Op), l, r), nil
	}
	return fmt.Sprintf("$csIntOpK(%s, %s, %s, %d)", quote(n.Op), l, r, intCode(k, chk)), nil
}

// i32Chain reports whether e is an int's unchecked + - * or -x, lowered
// to expr's own operators inside a chain.
func i32Chain(e Expr) bool {
	switch n := e.(type) {
	case *Binary:
		return n.opT == tInt && n.Ctx != ctxChecked && (n.Op == "+" || n.Op == "-" || n.Op == "*") &&
			n.L.typ().K == KInt && n.R.typ().K == KInt && !n.L.typ().Nullable && !n.R.typ().Nullable
	case *Unary:
		return n.opT == tInt && n.Ctx != ctxChecked && n.Op == "-" && n.X.typ().K == KInt && !n.X.typ().Nullable
	}
	return false
}

func (lw *lowerer) intUnary(n *Unary, x string) (string, error) {
	k := n.opT.ik()
	if k == ikULong || n.X.typ().Nullable {
		return "", cannot("ulong or nullable arithmetic")
	}
	if n.X.typ().K == KChar {
		return "", cannot("char arithmetic")
	}
	chk := n.Ctx == ctxChecked
	switch {
	case n.Op == "+":
		return x, nil
	case n.Op == "-" && k == ikLong && !chk:
		return "-(" + x + ")", nil
	case n.Op == "-" && k == ikInt && !chk:
		if lw.raw[n] {
			return "-(" + x + ")", nil
		}
		return "$csI32(-(" + x + "))", nil
	}
	return fmt.Sprintf("$csIntUn(%s, %s, %d)", quote(n.Op), x, intCode(k, chk)), nil
}

// intConv lowers a conversion of an integral or double value to an
// integral type: nothing where every value fits.
func (lw *lowerer) intConv(x string, from, to *Type, chk bool) (string, error) {
	if from.K == KInt && intImplicit(from.ik(), to.ik()) && to.ik() != ikULong && (to.Nullable || !from.Nullable) {
		return x, nil // every value fits: (long)i, (int?)i
	}
	if from.ik() == ikULong || to.ik() == ikULong || from.Nullable || to.Nullable {
		return "", cannot("ulong or nullable conversion")
	}
	return fmt.Sprintf("$csIntConv(%s, %d)", x, intCode(to.ik(), chk)), nil
}
