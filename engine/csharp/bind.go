package csharp

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// local is a declared variable (var, typed, foreach, out var, lambda
// parameter, catch variable).
type local struct {
	name     string
	t        *Type
	slot     int
	assigned int  // assignments after the declaration
	konst    bool // const: never assigned again
	// borrowed: a parameter, a foreach, out or pattern variable, whose
	// collection .NET shares with where it came from (sets.go)
	borrowed bool
	cv       any // a const's integral value (constOf)
	// unassigned: a pattern variable of a switch section with more than
	// one label, which C# does not count as assigned in the section's
	// statements (switch.go)
	unassigned bool
}

type scope struct {
	parent *scope
	vars   map[string]*local
	funcs  map[string]*localFn // local functions, hoisted
}

func (s *scope) lookup(n string) *local {
	for ; s != nil; s = s.parent {
		if l, ok := s.vars[n]; ok {
			return l
		}
	}
	return nil
}

func (s *scope) names() []string {
	var out []string
	for ; s != nil; s = s.parent {
		for n := range s.vars {
			out = append(out, n)
		}
	}
	return out
}

type binder struct {
	m      *Model
	sc     *scope
	locals []*local
	body        // of the function being bound
	interp bool // something only the interpreter can run
	why    string
	// aliases: var k = l; of a list (set, queue, stack) local l, which
	// may share l's slot (list.go's resolveAliases)
	aliases [][2]*local
	// fields are the model fields the program reads (Program.ReadsField)
	fields []readField
}

// readField is a field of a model type a program reads.
type readField struct {
	owner reflect.Type
	name  string
}

// noteField records that the program reads field name of model type owner.
func (b *binder) noteField(owner reflect.Type, name string) {
	mf := readField{owner, name}
	if !slices.Contains(b.fields, mf) {
		b.fields = append(b.fields, mf)
	}
}

// body is what the binder keeps per function body (the expression's
// block, a local function's, a lambda's): a return or a break refers to
// its own function, never to one around it.
type body struct {
	rets     []*Type   // the types of its return statements' values
	retStmts []*Return // those statements, in the same order
	inVoid   bool      // a void local function's
	inLambda bool      // a lambda's
	loops    int       // loops around the statement being bound
	// ret: a local function's declared return type, which a default
	// literal returned takes (return default;)
	ret *Type
}

// enter starts binding the body of a local function or a lambda; the
// function it returns goes back to the body around it.
func (b *binder) enter(fn body) func() {
	outer := b.body
	b.body = fn
	return func() { b.body = outer }
}

func (b *binder) errf(off int, format string, args ...any) error {
	return &SyntaxError{Off: off, Msg: fmt.Sprintf(format, args...), Bound: true}
}

func (b *binder) needInterp(why string) {
	if !b.interp {
		b.interp, b.why = true, why
	}
}

func (b *binder) push() { b.sc = &scope{parent: b.sc, vars: map[string]*local{}} }
func (b *binder) pop()  { b.sc = b.sc.parent }

func (b *binder) declare(name string, off int, t *Type) (*local, error) {
	if b.sc.lookup(name) != nil {
		return nil, b.errf(off, "a local variable named '%s' cannot be declared in this scope because it would give a different meaning to '%s'", name, name)
	}
	if name == "context" {
		return nil, b.errf(off, "a local variable named 'context' would hide the policy context")
	}
	l := &local{name: name, t: t, slot: len(b.locals)}
	b.locals = append(b.locals, l)
	b.sc.vars[name] = l
	return l, nil
}

// ---- statements

func (b *binder) block(bl *Block) error {
	b.push()
	defer b.pop()
	if err := b.declareFuncs(bl); err != nil {
		return err
	}
	for _, s := range bl.List {
		if err := b.stmt(s); err != nil {
			return err
		}
	}
	return nil
}

func (b *binder) stmt(s Stmt) error {
	switch s := s.(type) {
	case *Block:
		return b.block(s)
	case *Empty:
		return nil
	case *LocalFunc:
		return b.localFunc(s)
	case *Decl:
		var t *Type
		if s.Type.Name != "var" {
			var ok bool
			if t, ok = b.m.lookupTypeRef(s.Type); !ok {
				err := b.unknownType(s.Type).(*SyntaxError)
				if s.Type.Name == "let" {
					err.Bound = false // expr's let x = ...: not C#
				}
				return err
			}
		}
		for i, n := range s.Names {
			lt := t
			if init := s.Inits[i]; init != nil && (lt == nil || !defaultTo(init, lt)) {
				it, err := b.expr(init)
				if err != nil {
					return err
				}
				if lt == nil {
					if it.K == KNull {
						return b.errf(s.Offs[i], "cannot assign <null> to an implicitly-typed variable")
					}
					if it.K == KVoid {
						return b.errf(init.pos(), "cannot assign void to an implicitly-typed variable")
					}
					lt = it
				} else if err := b.convertible(init, it, lt); err != nil {
					return err
				} else if it.SetCmp != "" && lt.K == KArray && lt.SetCmp == "" {
					lt = it // HashSet<string> s = new HashSet<string>(StringComparer.X): the set keeps its comparer
				}
			}
			l, err := b.declare(n, s.Offs[i], lt)
			if err != nil {
				return err
			}
			l.konst = s.Const
			b.noteAlias(l, s.Inits[i]) // list.go
			if c := constOf(s.Inits[i]); s.Const && c != nil && lt.K == KInt && !lt.Nullable {
				l.cv = mustConv(c, lt.ik())
			}
			s.locs = append(s.locs, l)
		}
		return nil
	case *ExprStmt:
		b.listAdd(s)
		b.collStmt(s) // sets.go
		b.builderAppend(s)
		b.builderEdit(s)
		_, err := b.expr(s.X)
		return err
	case *Return:
		if s.X == nil {
			if b.inLambda {
				return b.errf(s.Off, "a lambda that gives a value must return one (return x;)")
			}
			if !b.inVoid {
				return b.errf(s.Off, "a policy expression must return a value")
			}
			return nil
		}
		if b.inVoid {
			return b.errf(s.X.pos(), "a void local function cannot return a value")
		}
		if b.ret != nil && defaultTo(s.X, b.ret) { // return default; (cs7.go)
			b.rets = append(b.rets, b.ret)
			b.retStmts = append(b.retStmts, s)
			return nil
		}
		t, err := b.expr(s.X)
		if err != nil {
			return err
		}
		if t.K == KVoid {
			return b.errf(s.X.pos(), "cannot return void")
		}
		b.rets = append(b.rets, t)
		b.retStmts = append(b.retStmts, s)
		return nil
	case *If:
		if s.sec != nil {
			return b.switchSection(s) // switch.go
		}
		if err := b.cond(s.C); err != nil {
			return err
		}
		if err := b.scoped(s.Then); err != nil {
			return err
		}
		if s.Else != nil {
			return b.scoped(s.Else)
		}
		return nil
	case *Foreach:
		b.push() // an out var of the collection expression is the loop's own (C# 7)
		defer b.pop()
		it, err := b.expr(s.In)
		if err != nil {
			return err
		}
		elem := b.seqElem(it)
		if elem == nil {
			return b.errf(s.In.pos(), "foreach statement cannot operate on variables of type '%s' because it has no GetEnumerator", typeName(it))
		}
		vt := elem
		if s.Type.Name != "var" {
			t, ok := b.m.lookupTypeRef(s.Type)
			if !ok {
				return b.unknownType(s.Type)
			}
			vt = t
		}
		if s.loc, err = b.declare(s.Var, s.Off, vt); err != nil {
			return err
		}
		s.loc.borrowed = true
		if err := b.loop(s.Body); err != nil {
			return err
		}
		b.foreachGuard(s) // list.go
		return nil
	case *While:
		b.needInterp("while loop")
		b.push() // an out var or pattern variable of the condition is the loop's own (C# 7)
		defer b.pop()
		if err := b.cond(s.C); err != nil {
			return err
		}
		return b.loop(s.Body)
	case *For:
		b.needInterp("for loop")
		b.push()
		defer b.pop()
		for _, st := range s.Init {
			if err := b.stmt(st); err != nil {
				return err
			}
		}
		if s.C != nil {
			if err := b.cond(s.C); err != nil {
				return err
			}
		}
		for _, p := range s.Post {
			if _, err := b.expr(p); err != nil {
				return err
			}
		}
		return b.loop(s.Body)
	case *Try:
		b.needInterp("try/catch")
		if err := b.block(s.Body); err != nil {
			return err
		}
		for _, c := range s.Catches {
			b.push()
			if c.Var != "" {
				l, err := b.declare(c.Var, c.Off, exceptionType)
				if err != nil {
					return err
				}
				c.loc = l
			}
			var err error
			if c.When != nil { // the filter sees the catch variable
				err = b.cond(c.When)
			}
			if err == nil {
				err = b.block(c.Body)
			}
			b.pop()
			if err != nil {
				return err
			}
		}
		if s.Finally != nil {
			return b.block(s.Finally)
		}
		return nil
	case *Throw:
		b.needInterp("throw")
		if s.X != nil {
			_, err := b.expr(s.X)
			return err
		}
		return nil
	case *Break, *Continue:
		if b.loops == 0 { // CS0139; a lambda's or local function's body is outside the loops around it
			return b.errf(s.spos(), "no enclosing loop out of which to break or continue")
		}
		b.needInterp("break/continue")
		return nil
	}
	return b.errf(s.spos(), "statement not supported")
}

// builderAppend rewrites sb.Append(a).Append(b)... and AppendLine on a
// local StringBuilder into sb = sb + a + b: a StringBuilder is a string.
func (b *binder) builderAppend(s *ExprStmt) {
	var parts []Expr
	x := s.X
	for {
		c, ok := x.(*Call)
		if !ok {
			return
		}
		m, ok := c.F.(*Member)
		if !ok || m.Cond || (m.Name != "Append" && m.Name != "AppendLine") || len(c.Args) > 1 {
			return
		}
		var part Expr = &Lit{node: node{Off: c.Off}, V: "", Kind: tkString}
		if len(c.Args) == 1 {
			if c.Args[0].Out || c.Args[0].Name != "" {
				return
			}
			part = c.Args[0].X
		}
		if m.Name == "AppendLine" {
			part = &Binary{node: node{Off: c.Off}, Op: "+", L: &Binary{node: node{Off: c.Off}, Op: "+",
				L: &Lit{node: node{Off: c.Off}, V: "", Kind: tkString}, R: part}, R: &Lit{node: node{Off: c.Off}, V: "\n", Kind: tkString}}
		} else if len(c.Args) == 1 {
			// Append(int), Append(1.5m), Append(true)...: the text of the
			// value, as "" + x writes it (StringBuilder has no + of its own)
			part = &Binary{node: node{Off: c.Off}, Op: "+", L: &Lit{node: node{Off: c.Off}, V: "", Kind: tkString}, R: part}
		}
		parts = append([]Expr{part}, parts...)
		x = m.X
		if nm, ok := x.(*Name); ok {
			l := b.sc.lookup(nm.Name)
			if l == nil || l.t.K != KBuilder {
				return
			}
			var sum Expr = &Name{node: node{Off: nm.Off}, Name: nm.Name}
			for _, p := range parts {
				sum = &Binary{node: node{Off: p.pos()}, Op: "+", L: sum, R: p}
			}
			s.X = &Assign{node: node{Off: nm.Off}, Op: "=", Target: &Name{node: node{Off: nm.Off}, Name: nm.Name}, X: sum}
			return
		}
	}
}

// builderEdit rewrites the other changes to a local StringBuilder, as
// statements: sb.Clear() into sb = "", sb.Insert(i, s), sb.Replace(a, b)
// and sb.Remove(i, n) into sb = sb.Insert(i, s)..., and
// sb.AppendFormat(f, args) into sb = sb + string.Format(f, args).
func (b *binder) builderEdit(s *ExprStmt) {
	c, ok := s.X.(*Call)
	if !ok {
		return
	}
	m, ok := c.F.(*Member)
	if !ok || m.Cond {
		return
	}
	nm, ok := m.X.(*Name)
	if !ok {
		return
	}
	if l := b.sc.lookup(nm.Name); l == nil || l.t.K != KBuilder {
		return
	}
	for _, a := range c.Args {
		if a.Out || a.Name != "" {
			return
		}
	}
	self := func() Expr { return &Name{node: node{Off: nm.Off}, Name: nm.Name} }
	var val Expr
	switch m.Name {
	case "Clear":
		if len(c.Args) != 0 {
			return
		}
		val = &Lit{node: node{Off: c.Off}, V: "", Kind: tkString}
	case "Insert", "Replace", "Remove":
		val = &Call{node: c.node, F: &Member{node: m.node, X: self(), Name: m.Name, NameOff: m.NameOff}, Args: c.Args}
	case "AppendFormat":
		if len(c.Args) == 0 {
			return
		}
		format := &Call{node: c.node, F: &Member{node: m.node, X: &Name{node: node{Off: m.NameOff}, Name: "string"}, Name: "Format", NameOff: m.NameOff}, Args: c.Args}
		val = &Binary{node: node{Off: c.Off}, Op: "+", L: self(), R: format}
	default:
		return
	}
	s.X = &Assign{node: node{Off: nm.Off}, Op: "=", Target: self(), X: val}
}

// listAdd rewrites list.Add(x) on a local list into list = list.Concat(new[] {x}):
// lists are values here, so adding is assigning a longer one.
func (b *binder) listAdd(s *ExprStmt) {
	c, ok := s.X.(*Call)
	if !ok || len(c.Args) != 1 || c.Args[0].Out || c.Args[0].Name != "" {
		return
	}
	m, ok := c.F.(*Member)
	if !ok || m.Name != "Add" || m.Cond {
		return
	}
	nm, ok := m.X.(*Name)
	if !ok {
		return
	}
	l := b.sc.lookup(nm.Name)
	if l == nil || l.t.K != KArray || l.borrowed || isSet(l.t) || isQueue(l.t) || isStack(l.t) || isReadOnlyList(l.t) { // a borrowed one: collMethod's load error; a set: collStmt
		return
	}
	target := &Name{node: node{Off: nm.Off}, Name: nm.Name}
	recv := &Name{node: node{Off: nm.Off}, Name: nm.Name}
	one := &NewExpr{node: node{Off: c.Args[0].Off}, Init: []Expr{c.Args[0].X}}
	if l.t.Elem != nil && l.t.Elem.K == KDecimal && !l.t.Elem.Nullable {
		one.Type = &TypeRef{Off: c.Args[0].Off, Name: "decimal", Array: 1} // list.Add(1): the int converts
	}
	concat := &Call{node: node{Off: c.Off}, F: &Member{node: node{Off: m.Off}, X: recv, Name: "Concat", NameOff: m.NameOff},
		Args: []*Arg{{Off: c.Args[0].Off, X: one}}}
	if b.loops > 0 {
		// in a loop a copy per Add would make n adds cost n²: the
		// interpreter appends in place where nothing else holds the list
		// (frame.appendList)
		concat.listAppend = true
		b.needInterp("a list built in a loop")
	}
	s.X = &Assign{node: node{Off: c.Off}, Op: "=", Target: target, X: concat}
}

// markGrow marks s += x and s = s + x + ... on a string (or
// StringBuilder) local in a loop, which frame.growString runs in place:
// as a copy per turn a loop of n appends cost n² (in .NET too for a
// string, never for a StringBuilder).
func (b *binder) markGrow(n *Assign, l *local) {
	if b.loops == 0 || l.t.K != KString && l.t.K != KBuilder || l.t.Nullable {
		return
	}
	switch n.Op {
	case "+=":
		n.grow = true
		b.needInterp("a string built in a loop")
	case "=":
		var spine []*Binary
		for x := n.X; ; {
			bin, ok := x.(*Binary)
			if !ok || bin.Op != "+" {
				if nm, ok := x.(*Name); ok && nm.Name == l.name && len(spine) > 0 {
					for _, s := range spine {
						s.grow = true
					}
					b.needInterp("a string built in a loop")
				}
				return
			}
			spine = append(spine, bin)
			x = bin.L
		}
	}
}

func (b *binder) scoped(s Stmt) error {
	b.push()
	defer b.pop()
	return b.stmt(s)
}

// loop binds a loop's body, where break and continue belong to the loop.
func (b *binder) loop(s Stmt) error {
	b.loops++
	defer func() { b.loops-- }()
	return b.scoped(s)
}

func (b *binder) cond(e Expr) error {
	t, err := b.expr(e)
	if err != nil {
		return err
	}
	if t.K != KBool {
		return b.errf(e.pos(), "cannot implicitly convert type '%s' to 'bool'", typeName(t))
	}
	return nil
}

// exceptionType is a catch variable: Message is all a policy reads.
var exceptionType = &Type{K: KAnon, Name: "Exception"}

// ---- expressions

func (b *binder) expr(e Expr) (*Type, error) {
	t, err := b.expr0(e)
	if err != nil {
		return nil, err
	}
	if t.K == KDecimal {
		b.needInterp("decimal runs on the interpreter (decimal.go)")
	}
	if conditional(e) {
		t = nullableOf(t) // x?.Member is null when x is
	}
	setType(e, t)
	return t, nil
}

// condAccess binds a?.rest: rest with a hidden local holding a's value,
// of a's type (a T? gives a T); its value is rest's, made nullable.
func (b *binder) condAccess(n *CondAccess) (*Type, error) {
	xt, err := b.expr(n.X)
	if err != nil {
		return nil, err
	}
	if !xt.isRef() {
		return nil, b.errf(n.Off, "operator '?' cannot be applied to operand of type '%s'", typeName(xt))
	}
	rt := xt
	if xt.Nullable && xt.K != KObject {
		u := *xt
		u.Nullable = false
		u.Name = strings.TrimSuffix(u.Name, "?")
		rt = &u
	}
	b.push()
	defer b.pop()
	l, err := b.declare(n.Tmp.Name, n.Off, rt)
	if err != nil {
		return nil, err
	}
	l.borrowed = true
	bt, err := b.expr(n.Body)
	if err != nil {
		return nil, err
	}
	if bt.K == KVoid {
		return bt, nil
	}
	return nullableOf(bt), nil
}

func conditional(e Expr) bool {
	switch n := e.(type) {
	case *Member:
		return n.Cond
	case *Index:
		return n.Cond
	case *Call:
		if m, ok := n.F.(*Member); ok {
			return m.Cond
		}
	}
	return false
}

func setType(e Expr, t *Type) {
	switch n := e.(type) {
	case *Lit:
		n.T = t
	case *Interp:
		n.T = t
	case *Name:
		n.T = t
	case *Member:
		n.T = t
	case *Call:
		n.T = t
	case *Index:
		n.T = t
	case *Unary:
		n.T = t
	case *Binary:
		n.T = t
	case *Cond:
		n.T = t
	case *Cast:
		n.T = t
	case *IsAs:
		n.T = t
	case *CondAccess:
		n.T = t
	case *Lambda:
		n.T = t
	case *NewExpr:
		n.T = t
	case *Assign:
		n.T = t
	case *TypeOf:
		n.T = t
	}
}

func litType(l *Lit) *Type {
	if l.IT != nil {
		return l.IT
	}
	switch l.V.(type) {
	case string:
		if l.Kind == tkChar {
			return tChar
		}
		return tString
	case int:
		return tInt
	case int64:
		return tLong
	case uint64:
		return tULong
	case float64:
		return tDouble
	case Decimal:
		return tDecimal
	case bool:
		return tBool
	}
	return tNull
}

var namespaces = map[string]bool{"System": true, "Newtonsoft": true}

func (b *binder) expr0(e Expr) (*Type, error) {
	switch n := e.(type) {
	case *Lit:
		if n.nameOf != nil {
			return b.nameOf(n) // cs7.go
		}
		return litType(n), nil
	case *typedExpr:
		return n.t, nil
	case *ThrowExpr: // cs7.go binds it where C# allows one
		return nil, b.errf(n.Off, "a throw expression is not allowed in this context (CS8115)")
	case *Interp:
		for i, h := range n.Holes {
			t, err := b.expr(h)
			if err != nil {
				return nil, err
			}
			if t.K == KVoid {
				return nil, b.errf(h.pos(), "cannot use a void expression in an interpolated string")
			}
			if t, err = b.kvText(&n.Holes[i], t); err != nil {
				return nil, err
			}
			if err := b.holeFormat(n, i, t); err != nil { // numfmt.go
				return nil, err
			}
		}
		return tString, nil
	case *Name:
		if l := b.sc.lookup(n.Name); l != nil {
			if l.unassigned { // switch.go: a pattern variable of a section with several labels
				return nil, b.errf(n.Off, "use of unassigned local variable '%s' (CS0165)", n.Name)
			}
			n.local = l
			return l.t, nil
		}
		if n.Name == "context" {
			return b.m.ctxT, nil
		}
		if st := staticFor(n.Name); st != "" {
			n.static = staticType(st)
			return n.static, nil
		}
		if namespaces[n.Name] {
			n.static = &Type{K: KNamespace, Name: n.Name}
			return n.static, nil
		}
		if h := notAllowedHint(n.Name); h != "" {
			return nil, b.errf(n.Off, "the type '%s' is not allowed in policy expressions%s", n.Name, h)
		}
		cands := append(b.sc.names(), "context")
		return nil, b.errf(n.Off, "the name '%s' does not exist in the current context%s", n.Name, hint(n.Name, cands))
	case *Member:
		return b.member(n)
	case *Call:
		return b.call(n)
	case *Index:
		return b.index(n)
	case *Unary:
		t, err := b.expr(n.X)
		if err != nil {
			return nil, err
		}
		switch n.Op {
		case "!":
			if t.K == KBool {
				return tBool, nil
			}
		case "-", "+":
			if t.K == KInt || t.K == KChar {
				return b.intUnaryType(n, t)
			}
			if t.numeric() || t.K == KTimeSpan && !t.Nullable {
				return t, nil // -span: TimeSpan's unary operators
			}
		case "~":
			if t.K == KInt || t.K == KChar {
				return b.intUnaryType(n, t)
			}
		}
		return nil, b.errf(n.Off, "operator '%s' cannot be applied to operand of type '%s'", n.Op, typeName(t))
	case *Binary:
		if th, ok := n.R.(*ThrowExpr); ok && n.Op == "??" {
			return b.coalesceThrow(n, th)
		}
		return b.binary(n)
	case *Cond:
		if _, ok := n.A.(*ThrowExpr); ok {
			return b.condThrow(n)
		}
		if _, ok := n.B.(*ThrowExpr); ok {
			return b.condThrow(n)
		}
		if err := b.cond(n.C); err != nil {
			return nil, err
		}
		ta, err := b.expr(n.A)
		if err != nil {
			return nil, err
		}
		tb, err := b.expr(n.B)
		if err != nil {
			return nil, err
		}
		if t := unify(ta, tb); t != nil {
			return t, nil
		}
		return nil, b.errf(n.Off, "type of conditional expression cannot be determined because there is no implicit conversion between '%s' and '%s'", typeName(ta), typeName(tb))
	case *Cast:
		to, ok := b.m.lookupTypeRef(n.To)
		if !ok {
			return nil, b.unknownType(n.To)
		}
		from, err := b.expr(n.X)
		if err != nil {
			return nil, err
		}
		if !explicitOK(from, to) {
			return nil, b.errf(n.Off, "cannot convert type '%s' to '%s'", typeName(from), typeName(to))
		}
		if err := b.foldCast(n, to); err != nil {
			return nil, err
		}
		return to, nil
	case *CondAccess:
		return b.condAccess(n)
	case *IsAs:
		if n.Var {
			return b.varPattern(n) // cs7.go
		}
		to, ok := b.m.lookupTypeRef(n.To)
		if !ok && exceptionName(n.To) {
			return b.exceptionIs(n) // cs7.go: e is ArgumentException in a catch's filter
		}
		if !ok {
			return nil, b.unknownType(n.To)
		}
		xt, err := b.expr(n.X)
		if err != nil {
			return nil, err
		}
		n.to = to
		n.never = n.Op == "is" && primitiveKind(to.K) && xt != nil && objectKind(xt.K)
		if n.Op == "as" {
			if !to.isRef() {
				return nil, b.errf(n.Off, "the as operator must be used with a reference type or nullable type ('%s' is a non-nullable value type)", to.Name)
			}
			return to, nil
		}
		if n.Bind != "" {
			b.needInterp("pattern variable (x is T name)")
			l, err := b.declare(n.Bind, n.Off, to)
			if err != nil {
				return nil, err
			}
			l.borrowed = true
			n.loc = l
		}
		return tBool, nil
	case *Lambda:
		return nil, b.errf(n.Off, "a lambda expression is only allowed as the argument of a LINQ method (Where, Select, Any...)")
	case *NewExpr:
		return b.newExpr(n)
	case *Assign:
		return b.assign(n)
	case *TypeOf:
		if n.To == nil { // the default literal with no type to take
			return nil, b.errf(n.Off, "there is no target type for the default literal (CS8716): write default(T), or give the local a type")
		}
		to, ok := b.m.lookupTypeRef(n.To)
		if !ok {
			return nil, b.unknownType(n.To)
		}
		if n.Op == "typeof" {
			return nil, b.errf(n.Off, "typeof is not supported in policy expressions")
		}
		return to, nil
	}
	return nil, b.errf(e.pos(), "expression not supported")
}

// unknownType reports a written type that does not resolve: the type
// argument that does not, as C# names it (List<Strng>: 'Strng'), else the
// whole type as written.
func (b *binder) unknownType(tr *TypeRef) error {
	for _, a := range tr.Args {
		if _, ok := b.m.lookupTypeRef(a); !ok {
			return b.unknownType(a)
		}
	}
	if h := notAllowedHint(shortTypeName(tr.Name)); h != "" {
		return b.errf(tr.Off, "the type '%s' is not allowed in policy expressions%s", tr, h)
	}
	name := *tr // what is not found is the name, not its [] or ?
	name.Array, name.Null = 0, false
	return b.errf(tr.Off, "the type or namespace name '%s' could not be found or is not allowed in policy expressions%s", &name, hint(tr.Name, knownTypeNames))
}

// staticFor maps a name used as a type qualifier to its table key.
func staticFor(n string) string {
	if t, ok := intTypes[n]; ok {
		return t.Name // int, uint, byte...
	}
	switch n {
	case "string", "String":
		return "string"
	case "double", "Double":
		return "double"
	case "decimal", "Decimal": // its own statics (decimal_reg.go) and Parse (numstyles.go)
		return "decimal"
	case "bool", "Boolean":
		return "bool"
	}
	if statics[n] != nil || staticProps[n] != nil {
		return n
	}
	switch n {
	case "Encoding", "StringComparison", "StringComparer", "StringSplitOptions", "Formatting", "JObject", "JArray", "JToken", "JProperty", "JsonConvert", "Guid", "DateTime", "TimeSpan", "Math", "Convert", "Uri", "WebUtility", "Regex", "Random", "BitConverter", "DayOfWeek", "Enumerable", "IPAddress", "Array", "ExpressionSyntaxExtensions", "XNamespace":
		return n
	}
	return ""
}

// dateOperands reports whether l and r are DateTimes and
// DateTimeOffsets (either way round): a DateTime converts to the other,
// so they compare and subtract.
func dateOperands(l, r *Type) bool {
	return (l.K == KDateTime || l.K == KDateTimeOffset) && (r.K == KDateTime || r.K == KDateTimeOffset)
}

func unify(a, b *Type) *Type {
	switch {
	case a == b:
		return a
	case a.K == KNull && b.isRef():
		return b
	case b.K == KNull && a.isRef():
		return a
	case assignable(a, b):
		return b
	case assignable(b, a):
		return a
	}
	return nil
}

func explicitOK(from, to *Type) bool {
	switch {
	case assignable(from, to), from.K == KObject:
		return true
	case from.numeric() && to.numeric(), from.K == KChar && to.K == KInt, from.K == KInt && to.K == KChar,
		from.K == KDayOfWeek && to.K == KInt, from.K == KInt && to.K == KDayOfWeek,
		from.K == KEnum && to.K == KInt, from.K == KInt && to.K == KEnum, from.K == KHash && to.K == KHMAC,
		from.K == KDecimal && to.K == KChar, from.K == KChar && to.K == KDecimal:
		return true
	case from.K == KJToken || from.K == KJObject || from.K == KJArray:
		switch to.K {
		case KString, KInt, KDouble, KDecimal, KBool, KJObject, KJArray, KJToken, KDateTime, KDateTimeOffset, KGuid, KBytes:
			return true
		}
	case to.K == KJToken:
		switch from.K {
		case KString, KInt, KDouble, KDecimal, KBool, KBytes:
			return true
		}
	case from.K == KArray && to.K == KArray:
		return true
	case xmlRelated(from, to): // (XElement)node
		return true
	case assignable(to, from) && (from.K == KRegexGroup || from.K == KRegexCapture): // (Match)group
		return true
	case from.K == KXElem || from.K == KXAttr: // XElement's and XAttribute's explicit conversions
		switch to.K {
		case KString, KInt, KDouble, KBool:
			return true
		}
	}
	return false
}

// jtokenImplicit reports whether a value of type t converts to a JToken
// implicitly, as Newtonsoft's operators allow (or is one).
func jtokenImplicit(t *Type) bool {
	switch t.K {
	case KString, KInt, KDouble, KDecimal, KBool, KNull, KDateTime, KDateTimeOffset, KTimeSpan, KGuid, KUri, KBytes, KJToken, KJObject, KJArray, KJProperty:
		return true
	}
	return false
}

// convertible checks an implicit conversion of e (of type from) to to.
func (b *binder) convertible(e Expr, from, to *Type) error {
	if assignable(from, to) {
		return nil
	}
	if to.K == KJToken && (from.K == KString || from.numeric() || from.K == KBool) {
		return nil // JToken's implicit conversions from primitives
	}
	if to.K == KDouble && from.K == KInt {
		return nil
	}
	if constFits(e, from, to) {
		return nil // byte b = 10: an int constant in the type's range
	}
	extra := ""
	if explicitOK(from, to) {
		extra = ". An explicit conversion exists (are you missing a cast?)"
	}
	return b.errf(e.pos(), "cannot implicitly convert type '%s' to '%s'%s", typeName(from), typeName(to), extra)
}

func (b *binder) binary(n *Binary) (*Type, error) {
	l, err := b.expr(n.L)
	if err != nil {
		return nil, err
	}
	var r *Type
	if (n.Op == "==" || n.Op == "!=") && l.K != KNull && defaultTo(n.R, l) {
		r = l // x == default: the default literal takes x's type (cs7.go)
	} else if r, err = b.expr(n.R); err != nil {
		return nil, err
	}
	if n.guard && r.K != KBool { // a when guard (switchpat.go)
		return nil, b.errf(n.R.pos(), "cannot implicitly convert type '%s' to 'bool'", typeName(r))
	}
	if n.caseLabel && !constLabel(n.R) { // switch.go: CS0150
		return nil, b.errf(n.R.pos(), "a constant value is expected")
	}
	if n.pattern {
		switch {
		case l.K == KObject:
			// o is 42: o's value must be an int (no conversion)
			n.patObj = r
			b.needInterp("constant pattern on an object (o is 42)")
		case l.K == KJToken || objectKind(l.K) || l.K == KString && r.K != KString || r.K == KString && l.K != KString:
			// CS8121: no user-defined conversion in a pattern
			return nil, b.errf(n.R.pos(), "an expression of type '%s' cannot be handled by a pattern of type '%s'", typeName(l), typeName(r))
		}
	}
	if n.caseLabel && l.K == KObject && r.K != KNull {
		// case 42: on an object (C# 7's constant pattern): the value
		// must be an int 42, as o is 42 tests it (switchpat.go)
		n.patObj = r
		b.needInterp("constant pattern on an object (o is 42)")
	} else if n.caseLabel && (l.K == KString) != (r.K == KString || r.K == KNull && l.K == KString) {
		// CS0029: a label converts to the switch's type (a string
		// switch's label is a string, an int one's an int)
		return nil, b.errf(n.R.pos(), "cannot implicitly convert type '%s' to '%s'", typeName(r), typeName(l))
	}
	bad := func() (*Type, error) {
		return nil, b.errf(n.Off, "operator '%s' cannot be applied to operands of type '%s' and '%s'", n.Op, typeName(l), typeName(r))
	}
	switch n.Op {
	case "+":
		if l.K == KXNamespace && r.K == KString { // ns + "local": an XName
			n.xname = true
			return tXName, nil
		}
		if l.K == KString || r.K == KString {
			if l.K == KVoid || r.K == KVoid {
				return bad()
			}
			if _, err := b.kvText(&n.L, l); err != nil {
				return nil, err
			}
			if _, err := b.kvText(&n.R, r); err != nil {
				return nil, err
			}
			return tString, nil
		}
		if (l.K == KDateTime || l.K == KDateTimeOffset) && r.K == KTimeSpan || l.K == KTimeSpan && r.K == KTimeSpan {
			return l, nil
		}
		fallthrough
	case "-", "*", "/", "%":
		if n.Op == "-" && dateOperands(l, r) && (l.K == KDateTimeOffset || r.K == KDateTimeOffset) {
			return tTimeSpan, nil // dto - dto; a DateTime operand converts
		}
		if n.Op == "-" && l.K == KDateTimeOffset && r.K == KTimeSpan {
			return l, nil
		}
		if n.Op == "-" && l.K == KDateTime && r.K == KDateTime {
			return tTimeSpan, nil
		}
		if n.Op == "-" && l.K == KDateTime && r.K == KTimeSpan {
			return tDateTime, nil
		}
		if n.Op == "-" && l.K == KTimeSpan && r.K == KTimeSpan {
			return tTimeSpan, nil
		}
		if t, ok, err := b.decimalBinary(n, l, r); ok {
			return t, err
		}
		if l.numeric() && r.numeric() && (l.K == KDouble || r.K == KDouble) {
			return tDouble, nil
		}
		if (l.K == KInt || l.K == KChar) && (r.K == KInt || r.K == KChar) {
			return b.intBinary(n, l, r)
		}
		return bad()
	case "&&", "||":
		if l.K == KBool && r.K == KBool {
			return tBool, nil
		}
		return bad()
	case "&", "|", "^":
		if l.K == KBool && r.K == KBool {
			if l.Nullable || r.Nullable {
				return nullableOf(tBool), nil // bool? & bool
			}
			return l, nil
		}
		if (l.K == KInt || l.K == KChar) && (r.K == KInt || r.K == KChar) {
			return b.intBinary(n, l, r)
		}
		return bad()
	case "<<", ">>":
		if l.K == KInt && r.K == KInt || l.K == KChar && r.K == KInt {
			if !intImplicit(r.ik(), ikInt) {
				return bad() // the count is an int
			}
			k := ikUShort
			if l.K == KInt {
				k = l.ik()
			}
			n.opT = typeOfIK(unaryPromote(k))
			return b.foldBinary(n, n.opT)
		}
		return bad()
	case "==", "!=":
		if l.K == KString && r.K == KChar || l.K == KChar && r.K == KString {
			return bad() // CS0019: a char is no string ("1" == '1' does not compile)
		}
		if l.K == KNull && r.K != KVoid && !r.isRef() || r.K == KNull && l.K != KVoid && !l.isRef() {
			// a value type against null: C# lifts it to T? and warns
			// (CS0472) that the result is always the same
			return tBool, nil
		}
		if t, ok, err := b.decimalBinary(n, l, r); ok {
			return t, err
		}
		if unify(l, r) != nil || l.K == KObject || r.K == KObject || l.numeric() && r.numeric() ||
			(l.K == KJToken && r.K != KVoid) || (r.K == KJToken && l.K != KVoid) {
			return tBool, nil
		}
		return bad()
	case "<", ">", "<=", ">=":
		if t, ok, err := b.decimalBinary(n, l, r); ok {
			return t, err
		}
		if l.numeric() && r.numeric() || l.K == r.K && (l.K == KDateTime || l.K == KTimeSpan || l.K == KChar) || dateOperands(l, r) {
			return tBool, nil
		}
		return bad()
	case "??":
		if !l.isRef() {
			return nil, b.errf(n.Off, "operator '??' cannot be applied to operands of type '%s' and '%s'", typeName(l), typeName(r))
		}
		if t := unify(l, r); t != nil {
			return t, nil
		}
		if r.K == KNull || l.K == KObject {
			return l, nil
		}
		// token ?? "text": Json.NET's implicit conversions make a JToken of
		// a string, number or bool (held as themselves here)
		if l.K == KJToken && (r.K == KString || r.K == KInt || r.K == KDouble || r.K == KBool) {
			return l, nil
		}
		return bad()
	}
	return bad()
}

func (b *binder) assign(n *Assign) (*Type, error) {
	var tt *Type
	switch t := n.Target.(type) {
	case *Name:
		l := b.sc.lookup(t.Name)
		if l == nil && t.Name == "_" {
			return b.discardAssign(n, t) // cs7.go
		}
		if l == nil {
			if _, err := b.expr(t); err != nil {
				return nil, err
			}
			return nil, b.errf(t.Off, "cannot assign to '%s'", t.Name)
		}
		if l.konst {
			return nil, b.errf(t.Off, "the left-hand side of an assignment must be a variable: '%s' is a const", t.Name)
		}
		t.local = l
		t.T = l.t
		l.assigned++
		tt = l.t
		b.markGrow(n, l)
	case *Index:
		xt, err := b.expr(t.X)
		if err != nil {
			return nil, err
		}
		if xt.K == KArray || xt.K == KBytes { // a[i] = v (arrays made with new T[n] or new[] {...})
			if n.Op == "=" {
				return b.arrayAssign(n, t, xt)
			}
			// a[i] += v, a[i]++: read, operate and write back, in the
			// element's type (frame.elemAssign)
			elem, err := b.arrayElem(t, xt)
			if err != nil {
				return nil, err
			}
			tt = elem
			break
		}
		if xt.K != KJObject && xt.K != KJToken && xt.K != KJArray && xt.K != KDict {
			return nil, b.errf(t.Off, "property or indexer of '%s' cannot be assigned to: it is read only", typeName(xt))
		}
		it, err := b.expr(t.I)
		if err != nil {
			return nil, err
		}
		t.kind = ixJToken
		t.T = tJToken
		tt = tJToken
		if xt.K == KDict { // d[key] = value: Dictionary's indexer
			if it.K != KString && it.K != KNull {
				return nil, b.errf(t.I.pos(), "cannot convert from '%s' to 'string'", typeName(it))
			}
			t.kind = ixDynamic
			t.T, tt = dictElem(xt), dictElem(xt)
		}
		if n.Op != "=" && xt.K != KDict {
			// C# has no arithmetic on JToken: x["k"] += 1 is CS0019 there
			return nil, b.errf(n.Off, "operator '%s' cannot be applied to a JSON property or item (JToken): only '=' can assign to one; write x[k] = (int)x[k] + 1", n.Op)
		}
	case *Member:
		if t.Name == "Value" && !t.Cond {
			return b.xmlValueAssign(n, t)
		}
		if r, ok, err := b.setterAssign(n, t); ok {
			return r, err
		}
		if _, err := b.expr(n.Target); err != nil {
			return nil, err
		}
		return nil, b.errf(n.Off, "property '%s' cannot be assigned to: it is read only", describe(n.Target))
	default:
		if _, err := b.expr(n.Target); err != nil {
			return nil, err
		}
		return nil, b.errf(n.Off, "property '%s' cannot be assigned to: it is read only", describe(n.Target))
	}
	switch n.Op {
	case "++", "--":
		if !tt.numeric() && tt.K != KChar {
			return nil, b.errf(n.Off, "operator '%s' cannot be applied to operand of type '%s'", n.Op, typeName(tt))
		}
		return tt, nil
	}
	if n.Op == "=" && defaultTo(n.X, tt) { // x = default;
		return tt, nil
	}
	vt, err := b.expr(n.X)
	if err != nil {
		return nil, err
	}
	if tt.K == KChar && n.Op != "=" && n.Op != "??=" {
		return b.charCompound(n, tt, vt)
	}
	if tt.K == KInt && (vt.K == KInt || vt.K == KChar) && n.Op != "=" && n.Op != "??=" {
		// x op= y runs op in the promoted type, then converts back to x's
		rk := vt.ik()
		if vt.K == KChar {
			rk = ikUShort
		}
		k, ok := binaryPromote(tt.ik(), rk, nil, constOf(n.X))
		if n.Op == "<<=" || n.Op == ">>=" {
			k, ok = unaryPromote(tt.ik()), intImplicit(rk, ikInt)
		}
		if !ok {
			return nil, b.errf(n.Off, "operator '%s' is ambiguous on operands of type '%s' and '%s'", n.Op, typeName(tt), typeName(vt))
		}
		n.opT = typeOfIK(k)
		if !intImplicit(k, tt.ik()) && !intImplicit(rk, tt.ik()) && !constFits(n.X, vt, tt) && n.Op != "<<=" && n.Op != ">>=" {
			return nil, b.errf(n.X.pos(), "cannot implicitly convert type '%s' to '%s'. An explicit conversion exists (are you missing a cast?)", typeName(vt), typeName(tt))
		}
	}
	switch n.Op {
	case "<<=", ">>=":
		if tt.K == KInt && n.opT != nil {
			return tt, nil
		}
	case "=":
		if tt.K == KJToken && n.Target.(*Index) != nil {
			return tt, nil
		}
		return tt, b.convertible(n.X, vt, tt)
	case "+=", "-=":
		if decimalMix(tt, vt) {
			break
		}
		if n.Op == "+=" && tt.K == KString || tt.numeric() && vt.numeric() {
			return tt, nil
		}
		if (tt.K == KTimeSpan || tt.K == KDateTime || tt.K == KDateTimeOffset) && vt.K == KTimeSpan && !tt.Nullable && !vt.Nullable {
			return tt, nil // d += TimeSpan.FromMinutes(1): as d = d + ...
		}
	case "*=", "/=", "%=":
		if tt.numeric() && vt.numeric() && !decimalMix(tt, vt) {
			return tt, nil
		}
	case "??=":
		if tt.isRef() {
			return tt, b.convertible(n.X, vt, tt)
		}
	case "&=", "|=", "^=":
		if tt.K == vt.K && (tt.K == KBool || tt.K == KInt) || tt.K == KInt && n.opT != nil {
			return tt, nil
		}
	}
	return nil, b.errf(n.Off, "operator '%s' cannot be applied to operands of type '%s' and '%s'", n.Op, typeName(tt), typeName(vt))
}

func describe(e Expr) string {
	if m, ok := e.(*Member); ok {
		return m.Name
	}
	return "this"
}

func (b *binder) member(n *Member) (*Type, error) {
	xt, err := b.expr(n.X)
	if err != nil {
		return nil, err
	}
	switch xt.K {
	case KNamespace:
		full := xt.Name + "." + n.Name
		if st := staticFor(n.Name); st != "" {
			n.static = staticType(st)
			return n.static, nil
		}
		n.static = &Type{K: KNamespace, Name: full}
		return n.static, nil
	case KStatic:
		if p := staticProps[xt.Name][n.Name]; p != nil {
			n.prop = p
			return p.result, nil
		}
		if _, ok := statics[xt.Name][n.Name]; ok {
			return nil, b.errf(n.NameOff, "'%s.%s' is a method: call it with ()", xt.Name, n.Name)
		}
		var cands []string
		for k := range staticProps[xt.Name] {
			cands = append(cands, k)
		}
		for k := range statics[xt.Name] {
			cands = append(cands, k)
		}
		if h := ipAddressHint(n.Name); h != "" && xt.Name == "IPAddress" {
			return nil, b.errf(n.NameOff, "'IPAddress.%s' is not allowed in policy expressions%s", n.Name, h) // ipaddress.go
		}
		return nil, b.errf(n.NameOff, "'%s' does not contain a definition for '%s' (or it is not allowed in policy expressions)%s", xt.Name, n.Name, hint(n.Name, cands))
	case KGo:
		if f, ok := b.m.field(xt, n.Name); ok {
			n.field = f
			b.noteField(xt.Go, f.goName)
			return f.t, nil
		}
		if t, ok := b.modelMapMember(n, xt); ok {
			return t, nil
		}
		if cf, ok := b.m.funcs[n.Name]; ok && cf.Property && xt == b.m.ctxT {
			n.fn = cf
			return cf.out, nil
		}
	case KAnon:
		if xt == exceptionType && n.Name == "Message" {
			return tString, nil
		}
		for i, f := range xt.Fields {
			if f == n.Name {
				n.anon = true
				return xt.FieldTs[i], nil
			}
		}
	}
	if n.Name == "Parent" && (xt.K == KJToken || xt.K == KJObject || xt.K == KJArray) {
		// JToken.Parent (a JContainer): where the token is read by an
		// indexer, the indexer's container and key give it (a value
		// there too); elsewhere an object's or array's recorded container
		if ix, ok := n.X.(*Index); ok && ix.kind == ixJToken {
			n.parentOf = ix
			return tJToken, nil
		}
		n.prop = jtokenParent
		return tJToken, nil
	}
	if t, ok := b.nullableMember(n, xt); ok {
		return t, nil
	}
	if t, ok := tupleItem(n, xt); ok { // queues.go
		return t, nil
	}
	if xt.K == KGrouping && n.Name == "Key" {
		n.prop = groupingKey
		return xt.Key, nil
	}
	if xt == tXName { // an element's or attribute's Name: "{uri}local" text
		if p := xnameMember(n); p != nil {
			n.prop = p
			return p.result, nil
		}
	}
	if xt == tJValue && n.Name == "Value" {
		n.prop = jvalueValue
		return tObject, nil
	}
	if p := props[xt.K][n.Name]; p != nil {
		n.prop = p
		if xt.K == KKeyValue && n.Name == "Value" {
			return xt.Elem, nil
		}
		if xt.K == KDict && n.Name == "Values" {
			return arrayOf(dictElem(xt)), nil // Dictionary<string, V>.Values: V's
		}
		if p.result == tElem { // an enumerator's Current
			return xt.Elem, nil
		}
		return p.result, nil
	}
	if p := x509Fallback(xt, n.Name); p != nil { // a model certificate's X509Certificate2 members
		n.prop = p
		return p.result, nil
	}
	if xt.K == KArray && (n.Name == "Length" || n.Name == "Count") && !(n.Name == "Length" && (isQueue(xt) || isStack(xt))) {
		n.prop = arrayLen
		return tInt, nil
	}
	if _, ok := methods[xt.K][n.Name]; ok {
		return nil, b.errf(n.NameOff, "'%s' is a method: call it with ()", n.Name)
	}
	if xt.K == KObject {
		return nil, b.errf(n.NameOff, "'object' does not contain a definition for '%s': cast the value first, e.g. ((IResponse)context.Variables[\"name\"]).%s", n.Name, n.Name)
	}
	if err := listCapacityErr(b, n.NameOff, xt, n.Name); err != nil {
		return nil, err
	}
	return nil, b.errf(n.NameOff, "'%s' does not contain a definition for '%s'%s", typeName(xt), n.Name, b.m.memberHint(n.Name, xt))
}

// listCapacityErr is the load error for List<T>'s capacity members, which
// APIM allows ("All" of List<T>) but tollgate has not: a list is a value
// here, which keeps no capacity (.NET's depends on how the list grew).
func listCapacityErr(b *binder, off int, xt *Type, name string) error {
	if xt.K == KArray && isList(xt) && (name == "Capacity" || name == "TrimExcess" || name == "EnsureCapacity") {
		return b.errf(off, "'%s.%s' is not supported here: a list keeps no capacity in tollgate (.NET's depends on how the list grew); Count is its size", typeName(xt), name)
	}
	return nil
}

// seqElem is the type of the items foreach gives over a value of type t
// (and LINQ runs over), or nil when t is not a sequence.
func (b *binder) seqElem(t *Type) *Type {
	switch t.K {
	case KArray, KGrouping:
		return t.Elem
	case KJArray, KJToken:
		return tJToken
	case KJObject:
		return tJProp
	case KString: // a string is a sequence of chars
		return tChar
	case KObject:
		return tObject
	case KBytes:
		return tInt
	case KGroupColl:
		return tGroup
	case KDict: // a Dictionary's entries, in the order added
		vt := dictElem(t)
		return &Type{K: KKeyValue, Name: "KeyValuePair<string, " + vt.Name + ">", Elem: vt}
	case KGo:
		switch t.Go.Kind() {
		case reflect.Map:
			return b.keyValueOf(t)
		case reflect.Slice:
			return b.m.goType(t.Go.Elem())
		}
	}
	return nil
}

var arrayLen *builtin // set by registerBuiltins

// arrayFresh copies an array literal of constants (lower.go): set by
// registerBuiltins.
var arrayFresh *builtin

func (b *binder) index(n *Index) (*Type, error) {
	xt, err := b.expr(n.X)
	if err != nil {
		return nil, err
	}
	it, err := b.expr(n.I)
	if err != nil {
		return nil, err
	}
	switch xt.K {
	case KGo:
		switch xt.Go.Kind() {
		case reflect.Map:
			if it.K != KString {
				return nil, b.errf(n.I.pos(), "cannot convert from '%s' to 'string'", typeName(it))
			}
			n.kind = ixGoMap
			if xt.Go.Implements(foldedKeysType) {
				n.kind = ixFoldMap
			}
			return b.m.goType(xt.Go.Elem()), nil
		case reflect.Slice:
			if it.K != KInt {
				return nil, b.errf(n.I.pos(), "cannot convert from '%s' to 'int'", typeName(it))
			}
			n.kind = ixGoSlice
			return b.m.goType(xt.Go.Elem()), nil
		}
	case KString:
		if it.K == KInt {
			n.kind = ixString
			return tChar, nil
		}
	case KJObject, KJToken, KJArray:
		if it.K == KString || it.K == KInt || it.K == KObject {
			n.kind = ixJToken
			return tJToken, nil
		}
	case KArray:
		if it.K == KInt && !isQueue(xt) && !isStack(xt) {
			n.kind = ixArray
			if isList(xt) {
				n.kind = ixList
			}
			return xt.Elem, nil
		}
	case KBytes:
		if it.K == KInt {
			n.kind = ixArray
			return tByte, nil
		}
	case KDict:
		n.kind = ixDynamic
		return dictElem(xt), nil
	case KGroupColl: // Groups[1], Groups["name"]
		if it.K == KInt || it.K == KString {
			n.kind = ixDynamic
			return tGroup, nil
		}
	case KForm:
		if it.K == KString {
			n.kind = ixDynamic
			return tFormList, nil
		}
	case KFormList:
		if it.K == KInt {
			n.kind = ixArray
			return tString, nil
		}
	}
	return nil, b.errf(n.Off, "cannot apply indexing with [] to an expression of type '%s'", typeName(xt))
}

func (b *binder) newExpr(n *NewExpr) (*Type, error) {
	if n.Type == nil {
		if n.Props != nil {
			t := &Type{K: KAnon, Name: "anonymous type", Fields: n.Props}
			for i, v := range n.Vals {
				vt, err := b.expr(v)
				if err != nil {
					return nil, err
				}
				switch vt.K {
				case KNull, KVoid:
					return nil, b.errf(v.pos(), "cannot assign '%s' to anonymous type property", typeName(vt))
				}
				for _, p := range n.Props[:i] {
					if p == n.Props[i] {
						return nil, b.errf(v.pos(), "an anonymous type cannot have multiple properties with the same name")
					}
				}
				t.FieldTs = append(t.FieldTs, vt)
			}
			return t, nil
		}
		var et *Type
		for _, x := range n.Init {
			t, err := b.expr(x)
			if err != nil {
				return nil, err
			}
			if et == nil || t.K == KNull {
				if et == nil {
					et = t
				}
			} else if u := unify(et, t); u != nil {
				et = u
			} else {
				return nil, b.errf(x.pos(), "no best type found for implicitly-typed array")
			}
		}
		if et == nil {
			return nil, b.errf(n.Off, "no best type found for implicitly-typed array")
		}
		return arrayOf(et), nil
	}
	t, ok := b.m.lookupTypeRef(n.Type)
	name := shortTypeName(n.Type.Name)
	if len(n.DictKeys) > 0 {
		return b.dictInit(n, t, ok, name)
	}
	if n.Sized {
		return b.sizedArray(n, t, ok)
	}
	if ok && n.Type.Array == 0 {
		if gt, done, err := b.genericNew(n, t); done { // KeyValuePair, Tuple (queues.go)
			return gt, err
		}
		if (isQueue(t) || isStack(t)) && len(n.Init) > 0 {
			return nil, b.errf(n.Off, "'%s' does not contain a definition for 'Add': it cannot be initialized with a collection initializer", t.Name)
		}
	}
	if ok && n.Type.Array == 0 && len(n.Args) > 0 && (t.K == KArray || t.K == KDict) {
		return b.collectionNew(n, t, name) // comparer.go
	}
	if n.Type.Array > 0 || (ok && (t.K == KArray || t.K == KDict)) {
		for _, x := range n.Init {
			xt, err := b.expr(x)
			if err != nil {
				return nil, err
			}
			if ok && (t.K == KArray || t.K == KBytes) { // each element converts to the element type (CS0029)
				et := t.Elem
				if t.K == KBytes {
					et = tByte
				}
				if xt.K == KInt && et.K == KInt {
					continue // integral to integral: some builtins are typed int where .NET's give a narrower type
				}
				if err := b.convertible(x, xt, et); err != nil {
					return nil, err
				}
			}
		}
		for _, a := range n.Args {
			if _, err := b.expr(a.X); err != nil {
				return nil, err
			}
		}
		if !ok {
			return nil, b.unknownType(n.Type)
		}
		if t.K == KDict && len(n.Init) > 0 {
			return nil, b.errf(n.Off, "a dictionary initializer is written { { key, value }, ... } or { [key] = value, ... }")
		}
		return t, nil
	}
	if strings.HasPrefix(name, "HMAC") && len(n.Args) == 0 && len(n.Init) == 1 { // new HMACSHA256 { Key = key }: the key constructor
		if a, ok := n.Init[0].(*Assign); ok && a.Op == "=" {
			if nm, ok := a.Target.(*Name); ok && nm.Name == "Key" {
				n.Args, n.Init = []*Arg{{Off: a.X.pos(), X: a.X}}, nil
			}
		}
	}
	ctors := statics[name]["new"]
	if ctors == nil {
		if !ok {
			return nil, b.unknownType(n.Type)
		}
		if name == "IPAddress" {
			return nil, b.errf(n.Off, "'new IPAddress(...)' is not allowed in policy expressions%s", ipAddressHint("new")) // ipaddress.go
		}
		return nil, b.errf(n.Off, "'%s' cannot be created with new in policy expressions", n.Type)
	}
	args := n.Args
	if len(n.Init) > 0 { // new JArray { a, b } / new JObject { new JProperty... }
		for _, x := range n.Init {
			args = append(args, &Arg{Off: x.pos(), X: x})
		}
	}
	at, err := b.args(args)
	if err != nil {
		return nil, err
	}
	bi, err := b.overload(n.Off, name, ctors, args, at)
	if err != nil {
		return nil, err
	}
	if err := b.checkRegexPattern(bi, args); err != nil { // regex_engine.go
		return nil, err
	}
	n.ctor = bi
	n.Args = args
	n.Init = nil
	if name == "JProperty" {
		return tJProp, nil
	}
	return bi.result, nil
}

// dictInit binds new Dictionary<string, T> { {k, v}, ... } and
// new JObject { [k] = v, ... }: both are JObjects at run time (as every
// Dictionary is here), keys are strings.
func (b *binder) dictInit(n *NewExpr, t *Type, ok bool, name string) (*Type, error) {
	if !ok {
		return nil, b.unknownType(n.Type)
	}
	var res *Type
	switch {
	case t.K == KDict:
		res = t
	case name == "JObject": // { [k] = v } as the indexer, { {k, v} } as IDictionary<string, JToken>.Add
		res = tJObject
		n.JAdd = n.DictAdd
	default:
		return nil, b.errf(n.Off, "cannot initialize type '%s' with a collection initializer because it is not a dictionary", n.Type)
	}
	if len(n.Args) > 0 {
		if t.K != KDict {
			return nil, b.errf(n.Off, "a JObject with an initializer takes no constructor arguments")
		}
		if _, err := b.dictArgs(n); err != nil { // new Dictionary<string, T>(comparer) { ... }
			return nil, err
		}
		b.needInterp("dictionary initializer with constructor arguments")
	}
	for i, k := range n.DictKeys {
		kt, err := b.expr(k)
		if err != nil {
			return nil, err
		}
		if kt.K != KString && kt.K != KNull {
			return nil, b.errf(k.pos(), "cannot convert from '%s' to 'string': dictionary keys are strings in policy expressions", typeName(kt))
		}
		vt, err := b.expr(n.DictVals[i])
		if err != nil {
			return nil, err
		}
		if n.JAdd && !jtokenImplicit(vt) { // JObject.Add(string, JToken)
			return nil, b.errf(n.DictVals[i].pos(), "cannot convert from '%s' to 'JToken'", typeName(vt))
		}
	}
	return res, nil
}

func (b *binder) args(args []*Arg) ([]*Type, error) {
	var out []*Type
	for _, a := range args {
		if a.Out {
			return nil, b.errf(a.Off, "out arguments are only allowed with TryGetValue, TryParse, TryParseExact, TryCreate, TryParseJwt, TryParseBasic and Math.DivRem")
		}
		if _, ok := a.X.(*Lambda); ok {
			return nil, b.errf(a.X.pos(), "a lambda expression is only allowed as the argument of a LINQ method (Where, Select, Any...)")
		}
		t, err := b.expr(a.X)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// overload picks the builtin whose parameters accept the arguments.
func (b *binder) overload(off int, name string, cands []*builtin, args []*Arg, at []*Type) (*builtin, error) {
	var arity []*builtin
	for _, c := range cands {
		if len(c.params) == len(at) || c.vararg && len(at) >= len(c.params)-1 {
			arity = append(arity, c)
		}
	}
	if len(arity) == 0 {
		return nil, b.errf(off, "no overload for method '%s' takes %d arguments", name, len(at))
	}
	var firstErr error
	for _, c := range arity {
		ok := true
		for i, t := range at {
			var p *Type
			if c.vararg && i >= len(c.params)-1 {
				last := c.params[len(c.params)-1]
				if len(at) == len(c.params) && (t.K == KArray || t.K == KJArray) {
					p = last
				} else {
					p = last.Elem
				}
			} else {
				p = c.params[i]
			}
			if err := b.paramOK(args[i].X, t, p); err != nil {
				if firstErr == nil {
					firstErr = err
				}
				ok = false
				break
			}
		}
		if ok {
			return c, nil
		}
	}
	return nil, firstErr
}

func (b *binder) paramOK(e Expr, t, p *Type) error {
	if p.K == KObject || assignable(t, p) || p.K == KDouble && t.K == KInt || constFits(e, t, p) {
		return nil
	}
	if p.K == KChar && t.K == KString {
		return b.errf(e.pos(), "cannot convert from 'string' to 'char' (a char is written in single quotes: '/')")
	}
	if p.K == KArray && p.Elem.K == KObject && (t.K == KArray || t.K == KJArray) {
		return nil
	}
	return b.errf(e.pos(), "cannot convert from '%s' to '%s'", typeName(t), typeName(p))
}

// linqMethods are the LINQ operators policies use.
var linqMethods = map[string]bool{"Where": true, "Select": true, "Any": true, "All": true, "First": true, "FirstOrDefault": true,
	"Last": true, "LastOrDefault": true, "Single": true, "SingleOrDefault": true, "Count": true, "ToArray": true, "ToList": true,
	"Contains": true, "OrderBy": true, "OrderByDescending": true, "Sum": true, "Max": true, "Min": true, "Distinct": true,
	"Skip": true, "Take": true, "Concat": true, "Reverse": true, "Average": true,
	"Except": true, "Intersect": true, "Union": true, "ElementAt": true, "ElementAtOrDefault": true, "DefaultIfEmpty": true,
	"TakeWhile": true, "SkipWhile": true, "SelectMany": true, "ToDictionary": true, "Aggregate": true, "Zip": true, "GroupBy": true,
	"ThenBy": true, "ThenByDescending": true, "SequenceEqual": true}

func (b *binder) call(n *Call) (*Type, error) {
	b.discardOut(n.Args) // out _ (cs7.go)
	m, ok := n.F.(*Member)
	if !ok {
		if nm, isName := n.F.(*Name); isName {
			if t, ok, err := b.callLocal(n, nm); ok {
				return t, err
			}
			return nil, b.errf(nm.Off, "the name '%s' does not exist in the current context (C# has no free functions: call a method on a value or a type, e.g. string.Join)", nm.Name)
		}
		return nil, b.errf(n.Off, "method name expected")
	}
	if r := containsWithComparer(n, m); r != nil {
		*n = *r // the tree holds the Any call from now on
		return b.call(n)
	}
	xt, err := b.expr(m.X)
	if err != nil {
		return nil, err
	}
	name := m.Name
	if xt.K == KStatic && (xt.Name == "Array" || xt.Name == "ExpressionSyntaxExtensions") {
		if r := staticAsInstance(n, m, xt.Name); r != nil {
			*n = *r // the tree holds the instance call from now on
			return b.call(n)
		}
	}
	if r := builderChain(n); r != nil {
		*n = *r
		return b.call(n)
	}
	if r := linqMoreRewrite(n, m, xt); r != nil { // linq_more.go
		*n = *r // the tree holds the call in other words from now on
		return b.call(n)
	}
	if r := listRewrite(n, m, xt); r != nil { // list.go
		*n = *r
		return b.call(n)
	}
	if t, ok, err := b.listMethod(n, m, xt); ok { // list.go
		return t, err
	}
	if name == "DivRem" && xt.K == KStatic && xt.Name == "Math" {
		return b.divRem(n, m) // divrem.go
	}
	// out-argument methods: interpreter only
	if name == "TryGetValue" || name == "TryParse" || name == "TryParseExact" || name == "TryParseJwt" || name == "TryParseBasic" || name == "TryDequeue" || name == "TryPop" || name == "TryPeek" ||
		name == "TryCreate" && xt.K == KStatic && xt.Name == "Uri" {
		return b.tryCall(n, m, xt)
	}
	if name == "Replace" && (xt.K == KStatic && xt.Name == "Regex" && len(n.Args) >= 3 || xt.K == KRegex && len(n.Args) == 2) {
		if l, ok := n.Args[len(n.Args)-1].X.(*Lambda); ok || xt.K == KStatic && (len(n.Args) == 4 || len(n.Args) == 5) {
			if !ok {
				l, ok = n.Args[2].X.(*Lambda)
			}
			if ok {
				return b.regexEvaluator(n, l, xt.K == KRegex)
			}
		}
	}
	if t, ok, err := b.tupleCreate(n, m, xt); ok { // queues.go
		return t, err
	}
	if t, ok, err := b.arrayStatic(n, m, xt); ok { // arrays.go
		return t, err
	}
	if t, ok, err := b.getBytes(n, m, xt); ok {
		return t, err
	}
	if t, ok, err := b.convertToBase(n, m, xt); ok { // numtext.go
		return t, err
	}
	if t, ok, err := b.jsonDeserialize(n, m, xt); ok { // jsontypes.go
		return t, err
	}
	if xt.K == KStatic {
		key := name
		if len(m.TypeArgs) == 1 && xt.Name == "JsonConvert" && name == "DeserializeObject" {
			key = "DeserializeObject<" + m.TypeArgs[0].Name + ">"
			// List<T>, T[], IEnumerable<T>... of a primitive T: one overload per element type
			if t, ok := b.m.lookupTypeRef(m.TypeArgs[0]); ok && t.K == KArray && t.Elem != nil {
				key = "DeserializeObject<" + t.Elem.Name + "[]>"
			}
		}
		if xt.Name == "Enum" && name == "Parse" {
			k, err := b.enumParse(n, m) // enums.go
			if err != nil {
				return nil, err
			}
			key = k
		}
		cands := statics[xt.Name][key]
		if cands == nil {
			var names []string
			for k := range statics[xt.Name] {
				names = append(names, k)
			}
			if h := ipAddressHint(name); h != "" && xt.Name == "IPAddress" {
				return nil, b.errf(m.NameOff, "'IPAddress.%s' is not allowed in policy expressions%s", name, h) // ipaddress.go
			}
			return nil, b.errf(m.NameOff, "'%s' does not contain a definition for '%s' (or it is not allowed in policy expressions)%s", xt.Name, name, hint(name, names))
		}
		at, err := b.args(n.Args)
		if err != nil {
			return nil, err
		}
		bi, err := b.overload(m.NameOff, name, cands, n.Args, at)
		if err != nil {
			return nil, err
		}
		if err := b.checkDateFormats(bi, n.Args); err != nil { // datetime_exact.go
			return nil, err
		}
		if err := b.checkRegexPattern(bi, n.Args); err != nil { // regex_engine.go
			return nil, err
		}
		if err := b.checkCompositeFormat(bi, n.Args, at); err != nil { // numfmt.go
			return nil, err
		}
		n.method = bi
		if xt.Name == "string" && (name == "Join" || name == "Concat" || name == "Format") || xt.Name == "Convert" && name == "ToString" {
			for i, a := range n.Args { // pairs written as [k, v], not as JProperty's JSON
				// string.Join(sep, IEnumerable<T>) and string.Concat(IEnumerable<T>) take a sequence
				seq := name == "Join" && i == 1 && len(n.Args) == 2 || name == "Concat" && len(n.Args) == 1
				if err := b.kvArg(&a.X, at[i], seq); err != nil {
					return nil, err
				}
				if name == "Format" && at[i].K != KKeyValue && formatArgText(at, i) {
					// string.Format("{0}", list): one argument, written as its type's name
					t, err := b.kvText(&a.X, at[i])
					if err != nil {
						return nil, err
					}
					if (t.K == KJArray || t.K == KArray || t.K == KGrouping) && i == len(n.Args)-1 && (i == 1 || i == 2 && at[0].K == KProvider) {
						// a JArray, a LINQ result...: one item, in an object[] of its own
						one := &NewExpr{node: node{Off: a.X.pos()}, Type: &TypeRef{Off: a.X.pos(), Name: "object", Array: 1}, Init: []Expr{a.X}}
						if _, err := b.expr(one); err != nil {
							return nil, err
						}
						a.X = one
					}
				}
				if name == "ToString" && len(n.Args) == 1 && at[i].K != KKeyValue { // Convert.ToString(object): its ToString(), an array's type name too
					if _, err := b.kvText(&a.X, at[i]); err != nil {
						return nil, err
					}
				}
			}
		}
		if (xt.Name == "Math") && (name == "Max" || name == "Min" || name == "Abs") {
			allInt := true
			for _, t := range at {
				allInt = allInt && t.K == KInt
			}
			if allInt { // Math.Max(int, long) is a long, Math.Abs(long) too
				k := at[0].ik()
				for _, t := range at[1:] {
					k, _ = binaryPromote(k, t.ik(), nil, nil)
				}
				k = unaryPromote(k)
				if name == "Abs" {
					n.method = absBuiltin(k)
				}
				return typeOfIK(k), nil
			}
		}
		return bi.result, nil
	}
	if xt.K == KNamespace {
		return nil, b.errf(m.Off, "the type or namespace name '%s' could not be found%s", xt.Name+"."+name, xmlNotAllowedHint(xt.Name)) // xml_linq.go
	}
	if xt.K == KVoid {
		return nil, b.errf(m.Off, "cannot call a method on void")
	}
	if t, ok, err := b.enumeratorOf(n, m, xt); ok { // queues.go
		return t, err
	}
	if xt.K == KArray {
		if t, ok, err := b.collMethod(n, m, xt); ok { // sets.go
			return t, err
		}
	}
	if cf, ok := b.m.funcs[name]; ok && !cf.Property && xt == b.m.ctxT {
		at, err := b.args(n.Args)
		if err != nil {
			return nil, err
		}
		if len(at) != len(cf.ins) {
			return nil, b.errf(m.NameOff, "no overload for method '%s' takes %d arguments", name, len(at))
		}
		for i, t := range at {
			if err := b.paramOK(n.Args[i].X, t, cf.ins[i]); err != nil {
				return nil, err
			}
		}
		n.fn = cf
		return cf.out, nil
	}
	if t, ok, err := b.nullableCall(n, m, xt); ok {
		return t, err
	}
	if t, ok, err := b.xmlGeneric(n, m, xt); ok { // OfType<T>(), Cast<T>(), InDocumentOrder()
		return t, err
	}
	// LINQ
	// A string's own methods (Contains) come before LINQ's on its chars.
	stringSeq := xt.K == KString && len(methods[KString][name]) == 0
	// A JToken is a sequence too (Json.NET's JToken is IEnumerable<JToken>):
	// an array's items, an object's properties.
	if linqMethods[name] && (xt.K == KArray || xt.K == KBytes || xt.K == KJArray || xt.K == KJToken || xt.K == KFormList || xt.K == KGrouping || xt.K == KDict || stringSeq || (xt.K == KGo && (xt.Go.Kind() == reflect.Slice || xt.Go.Kind() == reflect.Map))) {
		if err := b.takeComparer(n, xt); err != nil { // comparer.go
			return nil, err
		}
		return b.linq(n, m, xt)
	}
	// generic model members
	if xt.K == KGo {
		if name == "As" && hasMethod(xt.Go, "AsString") {
			return b.bodyAs(n, m)
		}
		if name == "AsFormUrlEncodedContent" && hasMethod(xt.Go, "AsString") {
			for _, a := range n.Args {
				if a.Name != "preserveContent" && a.Name != "" || len(n.Args) > 1 {
					return nil, b.errf(a.Off, "AsFormUrlEncodedContent takes only preserveContent: bool")
				}
				if _, err := b.expr(a.X); err != nil {
					return nil, err
				}
			}
			n.method = byKey["Body.AsFormUrlEncodedContent"]
			return tForm, nil
		}
		if name == "GetValueOrDefault" && len(m.TypeArgs) == 1 {
			to, ok := b.m.lookupTypeRef(m.TypeArgs[0])
			if !ok {
				return nil, b.unknownType(m.TypeArgs[0])
			}
			if _, ok := b.m.goMethod(xt, name); !ok {
				return nil, b.errf(m.NameOff, "'%s' does not contain a definition for 'GetValueOrDefault'", xt.Name)
			}
			at, err := b.args(n.Args)
			if err != nil {
				return nil, err
			}
			if len(at) < 1 || len(at) > 2 || at[0].K != KString {
				return nil, b.errf(n.Off, "GetValueOrDefault<%s> takes a name and an optional default value", to.Name)
			}
			if len(at) == 2 {
				if err := b.convertible(n.Args[1].X, at[1], to); err != nil {
					return nil, err
				}
			}
			gm, _ := b.m.goMethod(xt, name)
			n.goM = gm
			m.T = to
			return to, nil
		}
		if _, has := b.m.goMethod(xt, name); !has && xt.Go.Kind() == reflect.Map && xt.Go.Key().Kind() == reflect.String &&
			(name == "GetValueOrDefault" || name == "ContainsKey") && m.TypeArgs == nil {
			// a model map without the method (Jwt.Claims): IReadOnlyDictionary's
			at, err := b.args(n.Args)
			if err != nil {
				return nil, err
			}
			want := 2
			if name == "ContainsKey" {
				want = 1
			}
			if len(at) != want && !(name == "GetValueOrDefault" && len(at) == 1) {
				return nil, b.errf(m.NameOff, "no overload for method '%s' takes %d arguments", name, len(at))
			}
			if at[0].K != KString {
				return nil, b.errf(n.Args[0].X.pos(), "cannot convert from '%s' to 'string'", typeName(at[0]))
			}
			if name == "ContainsKey" {
				n.method = byKey["dict.ContainsKey"]
				return tBool, nil
			}
			n.method = byKey[fmt.Sprintf("dict.GetValueOrDefault/%d", len(at))]
			if len(at) == 2 && at[1].K == KArray && at[1].Elem.K == KString && xt.Go.Elem().Kind() == reflect.Slice && xt.Go.Elem().Elem().Kind() == reflect.String {
				// Claims.GetValueOrDefault(name, new string[] { "" }): .NET's
				// IReadOnlyDictionary<string, string[]> extension, the values
				// themselves (APIM documents the string form)
				n.method = byKey["dict.GetValueOrDefault/values"]
				return tStrings, nil
			}
			if len(at) == 2 && at[1].K != KString && at[1].K != KNull {
				return nil, b.errf(n.Args[1].X.pos(), "cannot convert from '%s' to 'string'", typeName(at[1]))
			}
			return tString, nil
		}
		if gm, ok := b.m.goMethod(xt, name); ok {
			at, err := b.args(n.Args)
			if err != nil {
				return nil, err
			}
			if name == "GetValueOrDefault" && len(at) == 1 && len(gm.ins) == 2 {
				// one-argument form: the default is the parameter's zero value
			} else if len(at) != len(gm.ins) {
				return nil, b.errf(m.NameOff, "no overload for method '%s' takes %d arguments", name, len(at))
			}
			for i, t := range at {
				if err := b.paramOK(n.Args[i].X, t, gm.ins[i]); err != nil {
					return nil, err
				}
			}
			n.goM = gm
			if name == "GetValueOrDefault" && gm.t.K == KString && hasMethod(xt.Go, "ContainsKey") && (len(at) == 1 || at[1].K == KNull || mayBeNull(n.Args[1].X)) {
				// Headers/Query.GetValueOrDefault(name) or with a default
				// that is (or may be) null: C# gives null for a missing
				// name (an optional default = null, or .NET's
				// CollectionExtensions.GetValueOrDefault); the Go method's
				// string cannot, so ContainsKey decides (goCall, lower.go)
				n.nullStr = true
			}
			if name == "GetValueOrDefault" && len(at) == 2 && gm.t.K == KObject && at[1].K != KObject && at[1].K != KNull && at[1].K != KVoid {
				// context.Variables.GetValueOrDefault<T>(name, T default):
				// C# infers T from the default
				m.inferT, m.T = true, at[1]
				return at[1], nil
			}
			return gm.t, nil
		}
	}
	if xt.K == KString && (name == "AsJwt" || name == "AsBasic") {
		fn, ok := b.m.Funcs[name]
		if !ok {
			return nil, b.errf(m.NameOff, "'%s' is not available", name)
		}
		if len(n.Args) != 0 {
			return nil, b.errf(m.NameOff, "no overload for method '%s' takes %d arguments", name, len(n.Args))
		}
		n.method = extMethod(name, fn)
		return b.m.goType(reflect.TypeOf(fn).Out(0)), nil
	}
	if name == "Values" && len(m.TypeArgs) == 1 && (xt.K == KJToken || xt.K == KJArray) { // json_values.go
		to, ok := b.m.lookupTypeRef(m.TypeArgs[0])
		if !ok {
			return nil, b.unknownType(m.TypeArgs[0])
		}
		bi := byKey[fmt.Sprintf("JToken.Values<%s>/0", to.Name)]
		if bi == nil || len(n.Args) != 0 {
			return nil, b.errf(m.NameOff, "Values<%s> takes no argument here, and T must be string, int, long, double, decimal, bool, DateTime, DateTimeOffset, JToken, JObject or JArray", m.TypeArgs[0])
		}
		n.method = bi
		return bi.result, nil
	}
	if (name == "Value" || name == "ToObject") && len(m.TypeArgs) == 1 && (xt.K == KJToken || xt.K == KJObject || xt.K == KJArray) {
		to, ok := b.m.lookupTypeRef(m.TypeArgs[0])
		if !ok {
			return nil, b.unknownType(m.TypeArgs[0])
		}
		at, err := b.args(n.Args)
		if err != nil {
			return nil, err
		}
		if name == "ToObject" { // ToObject<T>(): the token itself as T, as Value<T>()
			if len(at) != 0 {
				return nil, b.errf(m.NameOff, "ToObject<%s> takes no argument here", m.TypeArgs[0])
			}
			if bi := byKey[fmt.Sprintf("JToken.ToObject<%s>/0", to.Name)]; bi != nil {
				n.method = bi
				return to, nil
			}
			if to.K == KObject {
				n.method = byKey["JToken.ToObject<object>/0"]
				return to, nil
			}
			if to.K == KBytes { // Json.NET's ToObject(typeof(byte[])) is (byte[])token
				n.method = byKey["JToken.ToObject<byte[]>/0"]
				return to, nil
			}
			if to.K == KArray && !isSet(to) && !isQueue(to) && !isStack(to) { // T[], List<T>, IEnumerable<T>...
				if bi := byKey[fmt.Sprintf("JToken.ToObject<%s[]>/0", to.Elem.Name)]; bi != nil {
					n.method = bi
					return to, nil
				}
			}
			return nil, b.errf(m.NameOff, "ToObject<%s>: T must be string, int, long, double, decimal, bool, DateTime, DateTimeOffset, byte[], object, JToken, JObject or JArray, or an array or list of one of them", m.TypeArgs[0])
		}
		bi := byKey[fmt.Sprintf("JToken.Value<%s>/%d", to.Name, len(at))]
		if bi == nil || len(at) > 1 {
			return nil, b.errf(m.NameOff, "Value<%s> takes no argument or a property name, and T must be string, int, long, double, decimal, bool, DateTime, DateTimeOffset, JToken, JObject or JArray", m.TypeArgs[0])
		}
		if len(at) == 1 && at[0].K != KString && at[0].K != KInt {
			return nil, b.errf(n.Args[0].Off, "cannot convert from '%s' to 'object'", typeName(at[0]))
		}
		n.method = bi
		return to, nil
	}
	if name == "Remove" && len(n.Args) == 0 && xt.K == KJToken {
		if ix, ok := m.X.(*Index); ok && ix.kind == ixJToken {
			n.removeOf = ix // its container removes it, a value too (eval.go's jremove)
		}
	}
	cands := methods[xt.K][name]
	if cands == nil && xt.K == KGo && isX509Source(xt.Go) { // a model certificate's X509Certificate2 methods
		cands = methods[KX509][name]
	}
	if cands == nil {
		if xt.K == KObject {
			return nil, b.errf(m.NameOff, "'object' does not contain a definition for '%s': cast the value first, e.g. ((string)context.Variables[\"name\"]).%s(...)", name, name)
		}
		if slices.Contains(b.m.memberNames(xt), name) || props[xt.K][name] != nil {
			// CS1955: context.Request.MatchedParameters("id")
			how := "write it without ()"
			if xt.K == KGo {
				if f, ok := b.m.field(xt, name); ok && f.t.K == KGo && f.t.Go.Kind() == reflect.Map {
					how = fmt.Sprintf("index it: %s[\"name\"]", name)
				}
			}
			return nil, b.errf(m.NameOff, "non-invocable member '%s.%s' cannot be used like a method: %s", typeName(xt), name, how)
		}
		if err := listCapacityErr(b, m.NameOff, xt, name); err != nil {
			return nil, err
		}
		return nil, b.errf(m.NameOff, "'%s' does not contain a definition for '%s'%s", typeName(xt), name, b.m.memberHint(name, xt))
	}
	at, err := b.args(n.Args)
	if err != nil {
		return nil, err
	}
	bi, err := b.overload(m.NameOff, name, cands, n.Args, at)
	if err != nil {
		return nil, err
	}
	n.method = bi
	if xt.K == KDict && (name == "Add" || name == "TryAdd") && len(n.Args) == 2 {
		if err := b.decimalValue(n.Args[1], at[1], dictElem(xt)); err != nil { // decimal_reg.go
			return nil, err
		}
	}
	if name == "GetRange" && xt.K == KArray {
		if !isList(xt) {
			return nil, b.errf(m.NameOff, "'%s' does not contain a definition for 'GetRange'", typeName(xt))
		}
		return xt, nil // a List<T> of the receiver's type (linq_more.go)
	}
	if name == "ToString" {
		if err := b.formatToString(n, xt, bi); err != nil { // numfmt.go
			return nil, err
		}
		if nn, ok := collNetName(xt); ok && len(n.Args) == 0 {
			// int[] or List<int>: .NET's object.ToString() names the type,
			// which a run-time []any does not know
			n.method = typedText
			n.Args = []*Arg{{Off: n.Off, X: &Lit{node: node{Off: n.Off, T: tString}, V: nn, Kind: tkString}}}
		}
	}
	return bi.result, nil
}

// extMethod is a string extension method the engine implements (AsJwt).
// Lowered, it calls the engine's expr function; it is not in byKey.
func extMethod(name string, fn any) *builtin {
	key := "ext." + name
	rv := reflect.ValueOf(fn)
	bi := &builtin{key: key, run: func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		out := rv.Call([]reflect.Value{reflect.ValueOf(s)})[0]
		if out.IsNil() {
			return nil, nil
		}
		return out.Interface(), nil
	}, expr: func(a []string) string { return strings.ToLower(name[:1]) + name[1:] + "(" + a[0] + ")" }}
	return bi
}

// bodyAs binds Body.As<T>(preserveContent: true).
func (b *binder) bodyAs(n *Call, m *Member) (*Type, error) {
	if len(m.TypeArgs) != 1 {
		return nil, b.errf(m.NameOff, "As needs a type argument: As<string>(), As<JObject>(), As<JArray>()")
	}
	to, ok := b.m.lookupTypeRef(m.TypeArgs[0])
	if !ok {
		return nil, b.unknownType(m.TypeArgs[0])
	}
	switch to.K {
	case KString, KJObject, KJArray, KJToken, KBytes, KXDoc, KXElem, KXNodeBase:
	default:
		return nil, b.errf(m.TypeArgs[0].Off, "As<%s> is not supported: use As<string>, As<JObject>, As<JArray>, As<JToken>, As<XNode>, As<XDocument>, As<XElement> or As<byte[]>", m.TypeArgs[0])
	}
	for _, a := range n.Args {
		if a.Name != "preserveContent" && a.Name != "" || len(n.Args) > 1 {
			return nil, b.errf(a.Off, "As<T> takes only preserveContent: bool")
		}
		t, err := b.expr(a.X)
		if err != nil {
			return nil, err
		}
		if t.K != KBool {
			return nil, b.errf(a.X.pos(), "cannot convert from '%s' to 'bool'", typeName(t))
		}
	}
	n.method = bodyAsBuiltin(to)
	return to, nil
}

func bodyAsBuiltin(to *Type) *builtin {
	// one builtin per kind, registered by registerBuiltins: binding never
	// writes the shared tables
	switch to.K {
	case KString:
		to = tString
	case KJObject:
		to = tJObject
	case KJArray:
		to = tJArray
	case KBytes:
		to = tBytes
	case KXDoc:
		to = tXDoc
	case KXElem:
		to = tXElem
	case KXNodeBase:
		to = tXNodeT
	default:
		to = tJToken
	}
	key := "Body.As<" + to.Name + ">"
	if bi, ok := byKey[key]; ok {
		return bi
	}
	return reg(&builtin{key: key, result: to, run: func(a []any) (any, error) {
		if a[0] == nil || isNilPtr(a[0]) {
			return nil, errNull
		}
		bs, ok := a[0].(interface{ AsString() (string, error) })
		if !ok {
			return nil, castErr(a[0], "IMessageBody")
		}
		s, err := bs.AsString()
		if err != nil {
			return nil, err
		}
		switch to.K {
		case KString:
			return s, nil
		case KBytes:
			return []byte(s), nil
		case KXDoc, KXElem, KXNodeBase:
			r, err := parseXML(s)
			if err != nil {
				return nil, err
			}
			// As<XElement>: the document's root element. As<XNode> too
			// (tollgate's choice: APIM's page lists XNode without saying
			// which node; .NET's XNode.ReadFrom gives the root element).
			if to.K == KXElem || to.K == KXNodeBase {
				return &XElem{r}, nil
			}
			return &XDoc{r}, nil
		}
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		v, err := ParseJSON(s)
		if err != nil {
			return nil, exc("JsonReaderException", "%s", err.Error())
		}
		if isJNull(v) && to.K != KJToken { // a body "null": As<JObject>() is null, as before
			return nil, nil
		}
		return jtokenConvert(v, to)
	}})
}

// tryCall binds TryGetValue(name, out v), int.TryParse(s, out n), TryParseJwt(out jwt),
// TryParseBasic(out credentials).
func (b *binder) tryCall(n *Call, m *Member, xt *Type) (*Type, error) {
	b.needInterp("out argument")
	var want []bool // which args are out
	var outT *Type
	var parseAs string // TryParse/TryParseExact with more than the text: the overload of Parse/ParseExact it tries
	switch {
	case (m.Name == "TryParse" && len(n.Args) > 2 || m.Name == "TryParseExact") && xt.K == KStatic && tryParseTypes[xt.Name] != nil:
		// DateTime.TryParseExact(s, format, provider, styles, out d),
		// DateTime.TryParse(s, provider, styles, out d): true and the
		// value where Parse/ParseExact with the same arguments returns,
		// false and default(T) where it throws
		want = make([]bool, max(len(n.Args), 2))
		want[len(want)-1] = true
		outT = tryParseTypes[xt.Name]
		parseAs = strings.TrimPrefix(m.Name, "Try")
	case m.Name == "TryGetValue" && xt.K == KGo && xt.Go.Kind() == reflect.Map:
		want = []bool{false, true}
		outT = b.m.goType(xt.Go.Elem())
	case m.Name == "TryGetValue" && xt.K == KJObject:
		want = []bool{false, true}
		outT = tJToken
	case m.Name == "TryGetValue" && xt.K == KDict:
		want = []bool{false, true}
		outT = dictElem(xt)
	case m.Name == "TryParse" && xt.K == KStatic && (xt.Name == "float" || xt.Name == "Single") && statics[xt.Name]["Parse"] != nil:
		want = []bool{false, true}
		outT = tDouble // a float is a double here
	case m.Name == "TryParse" && xt.K == KStatic && tryParseTypes[xt.Name] != nil:
		want = []bool{false, true}
		outT = tryParseTypes[xt.Name]
	case m.Name == "TryParse" && xt.K == KStatic && xt.Name == "Enum":
		d, err := b.enumTryType(n, m) // enums.go
		if err != nil {
			return nil, err
		}
		want = make([]bool, max(len(n.Args), 2))
		want[len(want)-1] = true
		outT = d.t
		parseAs = enumTryKey(d.name)
	case m.Name == "TryCreate" && xt.K == KStatic && xt.Name == "Uri":
		// Uri.TryCreate(s, kind, out u): uri_more.go's hidden static,
		// whose UriFormatException is false
		want = []bool{false, false, true}
		outT = tUri
		parseAs = uriTryCreateKey
	case m.Name == "TryDequeue" || m.Name == "TryPop" || m.Name == "TryPeek":
		et, ok := b.tryQueueType(m, xt)
		if !ok {
			return nil, b.errf(m.NameOff, "'%s' does not contain a definition for '%s'", typeName(xt), m.Name)
		}
		if m.Name != "TryPeek" {
			if _, err := b.mutableLocal(m, xt, ""); err != nil {
				return nil, err
			}
		}
		want = []bool{true}
		outT = et
	case (m.Name == "TryParseJwt" || m.Name == "TryParseBasic") && xt.K == KString:
		want = []bool{true}
		fn, ok := b.m.Funcs["As"+strings.TrimPrefix(m.Name, "TryParse")]
		if !ok {
			return nil, b.errf(m.NameOff, "%s is not available", m.Name)
		}
		outT = b.m.goType(reflect.TypeOf(fn).Out(0))
	default:
		return nil, b.errf(m.NameOff, "'%s' does not contain a definition for '%s'", typeName(xt), m.Name)
	}
	if len(n.Args) != len(want) {
		return nil, b.errf(m.NameOff, "no overload for method '%s' takes %d arguments", m.Name, len(n.Args))
	}
	var in []*Type // parseAs: the types of the arguments before the out one
	for i, a := range n.Args {
		if a.Out != want[i] {
			if want[i] {
				return nil, b.errf(a.Off, "argument %d must be passed with the 'out' keyword", i+1)
			}
			return nil, b.errf(a.Off, "argument %d may not be passed with the 'out' keyword", i+1)
		}
		if !a.Out {
			t, err := b.expr(a.X)
			if err != nil {
				return nil, err
			}
			if parseAs != "" {
				in = append(in, t)
				continue
			}
			if t.K != KString {
				return nil, b.errf(a.X.pos(), "cannot convert from '%s' to 'string'", typeName(t))
			}
			continue
		}
		if a.OutVar != nil {
			t := outT
			if a.OutVar.Name != "var" {
				dt, ok := b.m.lookupTypeRef(a.OutVar)
				if !ok {
					return nil, b.unknownType(a.OutVar)
				}
				if !assignable(outT, dt) {
					return nil, b.errf(a.Off, "cannot convert from 'out %s' to 'out %s'", typeName(dt), typeName(outT))
				}
				t = dt
			}
			l, err := b.declare(a.OutNew, a.X.pos(), t)
			if err != nil {
				return nil, err
			}
			l.borrowed = true
			a.outLoc = l
			a.X.(*Name).local = l
			a.X.(*Name).T = t
			continue
		}
		nm, ok := a.X.(*Name)
		if !ok {
			return nil, b.errf(a.Off, "an out argument must be a local variable")
		}
		l := b.sc.lookup(nm.Name)
		if l == nil {
			return nil, b.errf(nm.Off, "the name '%s' does not exist in the current context", nm.Name)
		}
		if _, queue := b.tryQueueType(m, xt); queue && !(assignable(outT, l.t) && assignable(l.t, outT)) { // an out argument's type is the parameter's
			return nil, b.errf(a.Off, "cannot convert from 'out %s' to 'out %s'", typeName(l.t), typeName(outT))
		}
		nm.local, nm.T = l, l.t
		l.assigned++
		a.outLoc = l
	}
	if parseAs != "" {
		cands := statics["Enum"][parseAs]
		if xt.Name != "Enum" {
			cands = tryParseOverloads(xt.Name, parseAs)
		}
		bi, err := b.overload(m.NameOff, m.Name, cands, n.Args[:len(in)], in)
		if err != nil {
			return nil, err
		}
		if err := b.checkDateFormats(bi, n.Args); err != nil {
			return nil, err
		}
		n.tryParse = bi
	}
	n.method = byKey["try."+m.Name]
	return tBool, nil
}

// tryParseTypes are the types with TryParse(s, out v), and the type of v.
var tryParseTypes = map[string]*Type{"int": tInt, "long": tLong, "double": tDouble, "bool": tBool, "Guid": tGuid,
	"DateTime": tDateTime, "DateTimeOffset": tDTO, "IPAddress": tIPAddress, "TimeSpan": tTimeSpan}

// linqPredicate reports whether the lambda of a LINQ operator is a
// predicate (Func<T, bool>), whose result type is known.
func linqPredicate(name string) bool {
	switch name {
	case "Where", "Any", "All", "Count", "First", "FirstOrDefault", "Last", "LastOrDefault", "Single", "SingleOrDefault", "TakeWhile", "SkipWhile":
		return true
	}
	return false
}

// linq binds a LINQ call; lambda arguments get their parameter typed as the element.
func (b *binder) linq(n *Call, m *Member, xt *Type) (*Type, error) {
	elem := b.seqElem(xt)
	switch xt.K {
	case KFormList: // a form field's values (LINQ only)
		elem = tString
	case KBytes: // an IEnumerable<byte>: its items are ints at run time (items), typed byte
		elem = tByte
	}
	name := m.Name
	if name == "Aggregate" {
		return b.aggregate(n, m, elem)
	}
	if name == "GroupBy" && len(n.Args) > 1 {
		return b.groupBySelectors(n, m, elem)
	}
	if t, ok, err := b.linqIndexed(n, m, elem); ok {
		return t, err
	}
	var lt []*Type
	for _, a := range n.Args {
		b.methodGroup(a)
		if l, ok := a.X.(*Lambda); ok {
			if len(l.Params) != 1 {
				return nil, b.errf(l.Off, "the lambda of %s takes one parameter", name)
			}
			var want *Type
			if linqPredicate(name) {
				want = tBool
			}
			t, err := b.bindLambdaTo(l, want, elem)
			if err != nil {
				return nil, err
			}
			lt = append(lt, t)
			continue
		}
		t, err := b.expr(a.X)
		if err != nil {
			return nil, err
		}
		lt = append(lt, t)
	}
	isLambda := func(i int) bool {
		if i >= len(n.Args) {
			return false
		}
		_, ok := n.Args[i].X.(*Lambda)
		return ok
	}
	argc := len(n.Args)
	pred := func() error {
		if argc == 1 && (!isLambda(0) || lt[0].K != KBool) {
			return b.errf(n.Args[0].Off, "the argument of %s must be a lambda returning bool (x => ...)", name)
		}
		if argc > 1 {
			return b.errf(m.NameOff, "no overload for method '%s' takes %d arguments", name, argc)
		}
		return nil
	}
	n.method = linqBuiltin(name)
	switch name {
	case "Where":
		if argc != 1 {
			return nil, b.errf(m.NameOff, "no overload for method 'Where' takes %d arguments", argc)
		}
		if err := pred(); err != nil {
			return nil, err
		}
		return arrayOf(elem), nil
	case "Select":
		if argc != 1 || !isLambda(0) {
			return nil, b.errf(m.NameOff, "Select takes one lambda (x => ...)")
		}
		return arrayOf(lt[0]), nil
	case "OrderBy", "OrderByDescending":
		if argc != 1 || !isLambda(0) {
			return nil, b.errf(m.NameOff, "%s takes one lambda (x => ...)", name)
		}
		return arrayOf(elem), nil
	case "Any", "All", "Count", "First", "FirstOrDefault", "Last", "LastOrDefault", "Single", "SingleOrDefault":
		if name == "All" && argc != 1 {
			return nil, b.errf(m.NameOff, "no overload for method 'All' takes %d arguments", argc)
		}
		if err := pred(); err != nil {
			return nil, err
		}
		switch name {
		case "Any", "All":
			return tBool, nil
		case "Count":
			return tInt, nil
		}
		return elem, nil
	case "ToArray", "ToList", "Distinct", "Reverse":
		if argc != 0 {
			return nil, b.errf(m.NameOff, "no overload for method '%s' takes %d arguments", name, argc)
		}
		if name == "ToList" { // a List<T>: Remove, Clear (sets.go)
			t := arrayOf(elem)
			t.Name = "List<" + elem.Name + ">"
			return t, nil
		}
		if name == "ToArray" && elem.K == KInt && elem.IK == ikByte {
			return tBytes, nil // a List<byte>'s ToArray() is a byte[] (a byte is an int while in a list)
		}
		return arrayOf(elem), nil
	case "Skip", "Take":
		if argc != 1 || lt[0].K != KInt {
			return nil, b.errf(m.NameOff, "%s takes a count", name)
		}
		return arrayOf(elem), nil
	case "Contains":
		if argc != 1 || isLambda(0) {
			return nil, b.errf(m.NameOff, "Contains takes a value")
		}
		if elem.K == KGo && lt[0].K != KGo && lt[0].K != KNull && lt[0].K != KObject {
			// context.User.Groups.Contains("admins"): C# infers no T from
			// IEnumerable<IGroup> and a string (CS1929)
			return nil, b.errf(m.NameOff, "'%s' does not contain a definition for 'Contains' and the best extension method overload 'Enumerable.Contains<%s>(IEnumerable<%s>, %s)' requires a receiver of type 'IEnumerable<%s>': compare a member, e.g. .Any(x => x.Name == value)",
				typeName(xt), typeName(lt[0]), typeName(lt[0]), typeName(lt[0]), typeName(lt[0]))
		}
		return tBool, nil
	case "Concat", "Except", "Intersect", "Union":
		if argc != 1 || isLambda(0) {
			return nil, b.errf(m.NameOff, "%s takes a sequence", name)
		}
		return arrayOf(elem), nil
	case "SequenceEqual":
		if argc != 1 || isLambda(0) {
			return nil, b.errf(m.NameOff, "SequenceEqual takes a sequence (and an optional comparer)")
		}
		b.needInterp("LINQ SequenceEqual")
		return tBool, nil
	case "ElementAt", "ElementAtOrDefault":
		if argc != 1 || lt[0].K != KInt {
			return nil, b.errf(m.NameOff, "%s takes an index", name)
		}
		return elem, nil
	case "DefaultIfEmpty":
		if argc > 1 || argc == 1 && isLambda(0) {
			return nil, b.errf(m.NameOff, "DefaultIfEmpty takes an optional default value")
		}
		return arrayOf(elem), nil
	case "TakeWhile", "SkipWhile":
		if argc != 1 {
			return nil, b.errf(m.NameOff, "no overload for method '%s' takes %d arguments", name, argc)
		}
		if err := pred(); err != nil {
			return nil, err
		}
		b.needInterp("LINQ " + name)
		return arrayOf(elem), nil
	case "ThenBy", "ThenByDescending":
		if argc != 1 || !isLambda(0) {
			return nil, b.errf(m.NameOff, "%s takes one lambda (x => ...)", name)
		}
		if inner, ok := m.X.(*Call); !ok || !isOrdering(inner) {
			return nil, b.errf(m.NameOff, "%s follows OrderBy, OrderByDescending or another ThenBy", name)
		}
		b.needInterp("LINQ " + name)
		return arrayOf(elem), nil
	case "GroupBy":
		if argc != 1 || !isLambda(0) {
			return nil, b.errf(m.NameOff, "GroupBy takes a key lambda (x => key)")
		}
		b.needInterp("LINQ GroupBy")
		return arrayOf(&Type{K: KGrouping, Name: "IGrouping<" + lt[0].Name + ", " + elem.Name + ">", Elem: elem, Key: lt[0]}), nil
	case "ToDictionary":
		if argc < 1 || argc > 2 || !isLambda(0) || argc == 2 && !isLambda(1) {
			return nil, b.errf(m.NameOff, "ToDictionary takes a key lambda and an optional value lambda (x => key, x => value)")
		}
		if lt[0].K != KString {
			return nil, b.errf(n.Args[0].Off, "the keys of a dictionary are strings here, not %s", typeName(lt[0]))
		}
		b.needInterp("LINQ ToDictionary")
		return tDict, nil
	case "SelectMany":
		if argc != 1 || !isLambda(0) || lt[0].K != KArray && lt[0].K != KJArray && lt[0].K != KString {
			return nil, b.errf(m.NameOff, "SelectMany takes one lambda giving a sequence (x => x.Items)")
		}
		b.needInterp("LINQ SelectMany")
		switch lt[0].K {
		case KJArray:
			return arrayOf(tJToken), nil
		case KString:
			return arrayOf(tChar), nil
		}
		return arrayOf(lt[0].Elem), nil
	case "Sum", "Max", "Min":
		if argc == 1 && !isLambda(0) || argc > 1 {
			return nil, b.errf(m.NameOff, "%s takes an optional lambda", name)
		}
		rt := elem
		if argc == 1 {
			rt = lt[0]
		}
		if !rt.numeric() && name == "Sum" {
			return nil, b.errf(m.NameOff, "Sum needs numbers, not %s", typeName(rt))
		}
		if name == "Sum" {
			return b.sumOverload(n, m, xt, rt, argc == 1)
		}
		if rt.Nullable || rt.K == KString {
			n.sum = "?" // Max and Min of a nullable type or string: null where no item has a value (eval.go)
		}
		return rt, nil
	case "Average":
		if argc == 1 && !isLambda(0) || argc > 1 {
			return nil, b.errf(m.NameOff, "Average takes an optional lambda")
		}
		rt := elem
		if argc == 1 {
			rt = lt[0]
		}
		if !rt.numeric() {
			return nil, b.errf(m.NameOff, "Average needs numbers, not %s", typeName(rt))
		}
		st, err := b.sumOverload(n, m, xt, rt, argc == 1)
		if err != nil {
			return nil, err
		}
		if st.K == KDecimal {
			return st, nil // Average of decimals is a decimal
		}
		if rt.Nullable {
			return nullableOf(tDouble), nil // null when every item is null
		}
		return tDouble, nil
	}
	return nil, b.errf(m.NameOff, "LINQ method %s is not supported", name)
}

// sumOverload is the overload of Enumerable.Sum (or Average) C# picks for
// a sequence, or a selector, of t, and gives its type: int, long, double
// (float is a double here) or decimal, or their nullable forms. A
// selector of a narrower integral type converts to int's, of uint to
// long's; of ulong the call is ambiguous (float's and decimal's), and a
// sequence of another type than those has no Sum. n.sum tells sumOf how
// to add: in int (checked), long (checked), double or decimal (exact);
// Average adds int's in long too.
func (b *binder) sumOverload(n *Call, m *Member, xt, t *Type, selector bool) (*Type, error) {
	var to *Type
	switch t.ik() {
	case ikNone:
		if t.K == KDouble {
			to = tDouble
		}
		if t.K == KDecimal {
			to = tDecimal // decimal.go: added exactly
		}
	case ikInt:
		to = tInt
	case ikLong:
		to = tLong
	case ikSByte, ikByte, ikShort, ikUShort:
		if selector {
			to = tInt
		}
	case ikUInt:
		if selector {
			to = tLong
		}
	case ikULong:
		if selector {
			return nil, b.errf(m.NameOff, "the call of %s is ambiguous between its float and decimal overloads for a selector of ulong: convert it, e.g. %s(x => (double)x)", m.Name, m.Name)
		}
	}
	if to == nil {
		return nil, b.errf(m.NameOff, "'%s' does not contain a definition for '%s' (Enumerable.%s adds int, long, float, double or decimal: select one, e.g. %s(x => (int)x))", typeName(xt), m.Name, m.Name, m.Name)
	}
	n.sum = to.Name
	if m.Name == "Average" && to.K == KInt {
		n.sum = "long"
	}
	if t.Nullable {
		n.sum += "?"
		to = nullableOf(to)
	}
	return to, nil
}

// primitiveKind: string, char, the numbers and bool.
func primitiveKind(k Kind) bool {
	return k == KString || k == KChar || k == KInt || k == KDouble || k == KDecimal || k == KBool
}

// objectKind: Json.NET's and System.Xml.Linq's classes, whose explicit
// conversions ((string)token, (int)element) make a cast to a primitive
// work although the value is never of that type ("x is string" is false).
func objectKind(k Kind) bool {
	switch k {
	case KJToken, KJObject, KJArray, KJProperty, KXDoc, KXElem, KXAttr, KXNode, KXObject, KXNodeBase, KXContainer, KXPI, KXDocType, KXDecl:
		return true
	}
	return false
}

// setterAssign binds x.Name = v where x's type has a setter for Name
// (setters: alg.Key = key on a SymmetricAlgorithm). ok is false when it
// has none: the caller reports the read-only property.
func (b *binder) setterAssign(n *Assign, t *Member) (*Type, bool, error) {
	if t.Cond {
		return nil, false, nil
	}
	xt, err := b.expr(t.X)
	if err != nil {
		return nil, true, err
	}
	s := setters[xt.K][t.Name]
	if s == nil {
		return nil, false, nil
	}
	if n.Op != "=" {
		return nil, true, b.errf(n.Off, "only '=' can set the property '%s' of '%s' in tollgate", t.Name, typeName(xt))
	}
	vt, err := b.expr(n.X)
	if err != nil {
		return nil, true, err
	}
	if err := b.convertible(n.X, vt, s.params[0]); err != nil {
		return nil, true, err
	}
	t.T = s.params[0]
	n.setter = s
	return s.params[0], true, nil
}

// xmlValueAssign binds x.Value = v: the setter of XElement.Value and
// XAttribute.Value, which is their SetValue (a string, as .NET's setter
// takes; null is .NET's ArgumentNullException when it runs), and of
// JProperty.Value (jpropSetValue).
func (b *binder) xmlValueAssign(n *Assign, t *Member) (*Type, error) {
	xt, err := b.expr(t.X)
	if err != nil {
		return nil, err
	}
	if xt.K != KXElem && xt.K != KXAttr && xt.K != KJProperty {
		if _, err := b.expr(t); err != nil {
			return nil, err
		}
		return nil, b.errf(n.Off, "property 'Value' of '%s' cannot be assigned to here (tollgate sets the Value of an XElement, XAttribute or JProperty)", typeName(xt))
	}
	if n.Op != "=" {
		return nil, b.errf(n.Off, "only '=' can assign to the Value of an XML element, attribute or JProperty")
	}
	vt, err := b.expr(n.X)
	if err != nil {
		return nil, err
	}
	if xt.K == KJProperty { // a JToken: the implicit conversions make one of any value
		if vt.K == KVoid {
			return nil, b.errf(n.X.pos(), "cannot implicitly convert type 'void' to 'JToken'")
		}
		t.T = tJToken
		n.setter = jpropSetValue
		return tJToken, nil
	}
	if vt.K != KString && vt.K != KNull {
		return nil, b.errf(n.X.pos(), "cannot implicitly convert type '%s' to 'string'", typeName(vt))
	}
	t.T = tString
	n.setter = methods[xt.K]["SetValue"][0]
	return tString, nil
}

// charCompound binds c op= x on a char c: C# runs op in int and converts
// the result back to char, which it allows only when x converts to char
// implicitly (another char): c += 'a' compiles, c += 2 is CS0266.
func (b *binder) charCompound(n *Assign, tt, vt *Type) (*Type, error) {
	switch n.Op {
	case "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=":
	default:
		return nil, b.errf(n.Off, "operator '%s' cannot be applied to operands of type '%s' and '%s'", n.Op, typeName(tt), typeName(vt))
	}
	if n.Op == "<<=" || n.Op == ">>=" {
		if vt.K != KInt && vt.K != KChar {
			return nil, b.errf(n.Off, "operator '%s' cannot be applied to operands of type '%s' and '%s'", n.Op, typeName(tt), typeName(vt))
		}
		return tt, nil
	}
	if vt.K != KChar {
		if vt.numeric() {
			return nil, b.errf(n.X.pos(), "cannot implicitly convert type '%s' to 'char'. An explicit conversion exists (are you missing a cast?)", typeName(vt))
		}
		return nil, b.errf(n.Off, "operator '%s' cannot be applied to operands of type '%s' and '%s'", n.Op, typeName(tt), typeName(vt))
	}
	return tt, nil
}

// kvText makes a KeyValuePair operand of a string concatenation or an
// interpolation its ToString() call: at run time a pair is a JProperty,
// whose text is JSON ("k": v), where .NET writes the pair as [k, v].
func (b *binder) kvText(e *Expr, t *Type) (*Type, error) {
	if nn, ok := collNetName(t); ok { // an array or a list: x?.ToString(), its .NET type's name
		x := *e
		*e = &Call{node: node{Off: x.pos(), T: tString}, F: &Member{node: node{Off: x.pos()}, X: x, Name: "ToString", NameOff: x.pos(), Cond: true},
			Args: []*Arg{{Off: x.pos(), X: &Lit{node: node{Off: x.pos(), T: tString}, V: nn, Kind: tkString}}}, method: typedText}
		return tString, nil
	}
	if t.K != KKeyValue {
		return t, nil
	}
	x := *e
	c := &Call{node: node{Off: x.pos()}, F: &Member{node: node{Off: x.pos()}, X: x, Name: "ToString", NameOff: x.pos()}}
	*e = c
	return b.expr(c)
}

// kvArg is kvText for an argument of string.Join, Concat, Format or
// Convert.ToString: a KeyValuePair becomes its ToString(), and a sequence
// of them (a dictionary, a model map, LINQ over either) passed as the
// sequence to join (seq) the sequence of their texts.
func (b *binder) kvArg(e *Expr, t *Type, seq bool) error {
	if t.K == KKeyValue {
		_, err := b.kvText(e, t)
		return err
	}
	if !seq || t.K == KString {
		return nil
	}
	if el := b.seqElem(t); el != nil && el.K == KKeyValue {
		x := *e
		c := &Call{node: node{Off: x.pos(), T: tStrings}, F: &Member{node: node{Off: x.pos()}, X: x, Name: "ToString", NameOff: x.pos()}, method: kvTexts}
		*e = c
	}
	return nil
}

// typedText is ToString() of an array or a list: the .NET name collNetName
// gave at bind time (its second argument).
var typedText *builtin

// collNetName is the .NET type name of an array, a List<T>, a HashSet<T>,
// a Queue<T> or a Stack<T> of a type .NET names (System.Int32[],
// System.Collections.Generic.List`1[System.String]), as object.ToString()
// gives it (ok false: another type, or an element whose name is not known).
func collNetName(t *Type) (string, bool) {
	if t.K == KBytes {
		return "System.Byte[]", true
	}
	if t.K != KArray || t.Elem == nil || t.Nullable {
		return "", false
	}
	el, ok := elemNetName(t.Elem)
	if !ok {
		return "", false
	}
	switch {
	case isArrayType(t):
		return el + "[]", true
	case isList(t):
		return "System.Collections.Generic.List`1[" + el + "]", true
	case isSet(t) && strings.HasPrefix(t.Name, "HashSet<"):
		return "System.Collections.Generic.HashSet`1[" + el + "]", true
	case isQueue(t):
		return "System.Collections.Generic.Queue`1[" + el + "]", true
	case isStack(t):
		return "System.Collections.Generic.Stack`1[" + el + "]", true
	}
	return "", false
}

// elemNetName is the .NET name of an element type (ok false: unknown here).
func elemNetName(t *Type) (string, bool) {
	name := ""
	switch t.K {
	case KInt:
		name = "System." + t.ik().netName()
	case KDouble:
		name = "System.Double"
		if t.Name == "float" {
			name = "System.Single"
		}
	case KString:
		return "System.String", true
	case KBool:
		name = "System.Boolean"
	case KChar:
		name = "System.Char"
	case KDecimal:
		name = "System.Decimal"
	case KObject:
		return "System.Object", true
	case KDateTime:
		name = "System.DateTime"
	case KDateTimeOffset:
		name = "System.DateTimeOffset"
	case KTimeSpan:
		name = "System.TimeSpan"
	case KGuid:
		name = "System.Guid"
	case KJObject, KJArray, KJToken, KJProperty:
		return "Newtonsoft.Json.Linq." + kindNames[t.K], true
	case KArray, KBytes:
		return collNetName(t)
	default:
		return "", false
	}
	if t.Nullable {
		return "System.Nullable`1[" + name + "]", true
	}
	return name, true
}

// builderChain rewrites new StringBuilder(...).Append(a).AppendLine(b)...
// used as a value (not on a local, which builderAppend rewrites) into
// StringBuilder.$chain(new StringBuilder(...), "" + a, "" + b + "\n"): a
// StringBuilder is its text here, and a new one is no one else's, so
// appending to it is making the longer text. nil: n is no such chain.
func builderChain(n *Call) *Call {
	var parts []Expr
	var x Expr = n
	var chained []*Arg // the receiver is a chain already rewritten (bound first)
	for {
		c, ok := x.(*Call)
		if !ok {
			break
		}
		m, ok := c.F.(*Member)
		if ok && m.Name == "$chain" && c != n {
			chained = c.Args
			break
		}
		if !ok || m.Cond || (m.Name != "Append" && m.Name != "AppendLine") || len(c.Args) > 1 || m.Name == "Append" && len(c.Args) == 0 {
			return nil
		}
		var part Expr = &Lit{node: node{Off: c.Off}, V: "", Kind: tkString}
		if len(c.Args) == 1 {
			if c.Args[0].Out || c.Args[0].Name != "" {
				return nil
			}
			part = &Binary{node: node{Off: c.Off}, Op: "+", L: &Lit{node: node{Off: c.Off}, V: "", Kind: tkString}, R: c.Args[0].X}
		}
		if m.Name == "AppendLine" {
			part = &Binary{node: node{Off: c.Off}, Op: "+", L: part, R: &Lit{node: node{Off: c.Off}, V: "\n", Kind: tkString}}
		}
		parts = append([]Expr{part}, parts...)
		x = m.X
	}
	var args []*Arg
	if chained != nil {
		args = append(args, chained...)
	} else {
		root, ok := x.(*NewExpr)
		if !ok || root.Type == nil || root.Type.Array != 0 || root.Type.Name != "StringBuilder" && root.Type.Name != "System.Text.StringBuilder" || len(parts) == 0 {
			return nil
		}
		args = []*Arg{{Off: root.Off, X: root}}
	}
	for _, p := range parts {
		args = append(args, &Arg{Off: p.pos(), X: p})
	}
	return &Call{node: n.node, F: &Member{node: node{Off: n.Off}, X: &Name{node: node{Off: n.Off}, Name: "StringBuilder"}, Name: "$chain", NameOff: n.Off}, Args: args}
}

// formatArgText reports whether string.Format's argument i is one of its
// format items (not the format or the provider) and not the params
// object[] itself: C# passes an array of a reference type (string[],
// object[]) as the params array, anything else (an int[], a List<T>) as
// one item.
func formatArgText(at []*Type, i int) bool {
	first := 1
	if len(at) > 0 && at[0].K == KProvider {
		first = 2
	}
	if i < first {
		return false
	}
	if i == first && len(at) == first+1 && isArrayType(at[i]) && at[i].K != KBytes && at[i].Elem != nil && at[i].Elem.isRef() && !at[i].Elem.Nullable {
		return false // the params array
	}
	return true
}
