package csharp

import (
	"strconv"
	"strings"
)

// C# 6 and 7 syntax that is not a statement of its own: nameof, discards,
// throw expressions, the default literal, and the load errors for value
// tuples and ref locals, which policy expressions cannot have.

// discardName is the hidden local an `out var _` (or `out _`, `_ = e`)
// discard writes to: no name written in C# reaches it.
func discardName(off int) string { return "$_" + strconv.Itoa(off) }

// tupleErr is C# 7's value tuple syntax: (1, "a"), (int n, string s) t,
// var (a, b) = ..., (int, string) F(). Its type, System.ValueTuple, is not
// in APIM's list of the types policy expressions may use (System.Tuple
// is), so a text with one is a load error that says so.
func tupleErr(off int) error {
	return &SyntaxError{Off: off, Bound: true, Msg: "value tuples ((a, b), (int n, string s) t, var (x, y) = ...) are not allowed in policy expressions: " +
		"their type, System.ValueTuple, is not among the types API Management allows; use System.Tuple (Tuple.Create(a, b), t.Item1)"}
}

// refErr is a ref local or a ref return (C# 7).
func refErr(off int) error {
	return &SyntaxError{Off: off, Bound: true, Msg: "ref locals and ref returns (ref int x = ref a[0];, return ref x;) are not supported in policy expressions: use a local or an index"}
}

// nameOfArg is what nameof(...) names: an expression (a local, a member
// access) or a type written with type arguments (nameof(List<int>)).
type nameOfArg struct {
	X Expr
	T *TypeRef
}

// nameOf parses nameof(x) (C# 6) after the nameof identifier, into the
// string constant it is: the last identifier of x.
func (p *parser) nameOf(t token) (Expr, error) {
	p.advance() // (
	save := p.i
	arg := &nameOfArg{}
	x, err := p.expr()
	if err == nil && p.is(")") {
		arg.X = x
	} else {
		p.i = save
		tr, terr := p.typeRef()
		if terr != nil || !p.is(")") || tr.Array > 0 || tr.Null {
			if err == nil {
				_, err = p.expect(")")
			}
			return nil, err
		}
		arg.T = tr
	}
	p.advance() // )
	var name string
	switch a := arg.X.(type) {
	case nil:
		name = arg.T.Name[strings.LastIndexByte(arg.T.Name, '.')+1:]
	case *Name:
		name = a.Name
	case *Member:
		if a.Cond {
			return nil, &SyntaxError{Off: a.Off, Bound: true, Msg: "sub-expression cannot be used in an argument to nameof (CS8082)"}
		}
		name = a.Name
	default:
		return nil, &SyntaxError{Off: x.pos(), Bound: true, Msg: "this expression does not have a name (CS8081)"}
	}
	return &Lit{node: node{Off: t.Off}, V: name, Kind: tkString, nameOf: arg}, nil
}

// nameOf binds the argument of nameof(x): x must name a local, a local
// function, context or one of its members, a type or a member of one. The
// value is the string constant the parser made; binding x changes nothing
// that runs.
func (b *binder) nameOf(n *Lit) (*Type, error) {
	a := n.nameOf
	interp, why := b.interp, b.why
	defer func() { b.interp, b.why = interp, why }()
	if a.T != nil {
		if _, ok := b.m.lookupTypeRef(a.T); !ok {
			return nil, b.unknownType(a.T)
		}
		return tString, nil
	}
	switch x := a.X.(type) {
	case *Name:
		if predefined[x.Name] {
			return nil, b.errf(x.Off, "invalid expression term '%s' (CS1525): nameof takes a name", x.Name)
		}
		if b.funcNamed(x.Name) {
			return tString, nil
		}
		if _, err := b.expr(x); err != nil {
			return nil, err
		}
	case *Member:
		if _, err := b.expr(x); err != nil && !strings.Contains(err.Error(), "is a method: call it") {
			// a method group (nameof(s.Trim)), or an instance member
			// through its type (nameof(string.Length)): the receiver
			// binds and its type has the member
			rt, it := x.X.typ(), (*Type)(nil)
			if nm, ok := x.X.(*Name); ok && nm.static != nil {
				it, _ = b.m.lookupTypeRef(&TypeRef{Off: nm.Off, Name: nm.Name})
			}
			if !(rt != nil && b.hasMember(rt, x.Name) || it != nil && b.hasMember(it, x.Name)) {
				return nil, err
			}
		}
	}
	return tString, nil
}

// funcNamed says whether a local function of that name is in scope.
func (b *binder) funcNamed(name string) bool {
	for s := b.sc; s != nil; s = s.parent {
		if _, ok := s.funcs[name]; ok {
			return true
		}
	}
	return false
}

// hasMember says whether a property or a method of that name is known on
// t (for nameof's method groups and members named through their type).
func (b *binder) hasMember(t *Type, name string) bool {
	if _, err := b.expr(&Member{node: node{Off: -1}, X: &typedExpr{t: t}, Name: name}); err == nil {
		return true
	}
	probe := &Call{node: node{Off: -1}, F: &Member{node: node{Off: -1}, X: &typedExpr{t: t}, Name: name}}
	_, err := b.call(probe)
	if err == nil {
		return true
	}
	msg := err.Error()
	return !strings.Contains(msg, "does not contain a definition") && !strings.Contains(msg, "does not exist")
}

// typedExpr is an expression of a known type that is never run (nameof's
// method group probe).
type typedExpr struct{ t *Type }

func (e *typedExpr) pos() int   { return -1 }
func (e *typedExpr) typ() *Type { return e.t }

// throwExpr binds a throw expression's operand: what a throw statement
// takes.
func (b *binder) throwExpr(n *ThrowExpr) error {
	b.needInterp("throw expression")
	_, err := b.expr(n.X)
	return err
}

// coalesceThrow binds x ?? throw e: its type is x's, a T? giving T.
func (b *binder) coalesceThrow(n *Binary, th *ThrowExpr) (*Type, error) {
	l, err := b.expr(n.L)
	if err != nil {
		return nil, err
	}
	if !l.isRef() {
		return nil, b.errf(n.Off, "operator '??' cannot be applied to operands of type '%s' and '<throw expression>'", typeName(l))
	}
	if err := b.throwExpr(th); err != nil {
		return nil, err
	}
	if u, ok := nullableValueType(l); ok {
		return u, nil
	}
	return l, nil
}

// condThrow binds c ? x : throw e and c ? throw e : x: the type is x's.
func (b *binder) condThrow(n *Cond) (*Type, error) {
	if err := b.cond(n.C); err != nil {
		return nil, err
	}
	ta, aThrows := n.A.(*ThrowExpr)
	tb, bThrows := n.B.(*ThrowExpr)
	if aThrows && bThrows {
		return nil, b.errf(n.Off, "type of conditional expression cannot be determined because there is no implicit conversion between '<throw expression>' and '<throw expression>'")
	}
	var t *Type
	var err error
	if aThrows {
		err = b.throwExpr(ta)
	} else if t, err = b.expr(n.A); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if bThrows {
		err = b.throwExpr(tb)
	} else {
		t, err = b.expr(n.B)
	}
	if err != nil {
		return nil, err
	}
	if t.K == KNull {
		return nil, b.errf(n.Off, "type of conditional expression cannot be determined because there is no implicit conversion between '<null>' and '<throw expression>'")
	}
	return t, nil
}

// defaultTo gives the default literal e (C# 7.1's `default`) the type
// of its target, when e is one; it says whether it was.
func defaultTo(e Expr, t *Type) bool {
	d, ok := e.(*TypeOf)
	if !ok || d.To != nil {
		return false
	}
	d.T = t
	return true
}

// discardOut makes `out _` a discard (C# 7) when no local named _ is in
// scope: an `out var _` whose hidden local takes the parameter's type.
func (b *binder) discardOut(args []*Arg) {
	for _, a := range args {
		nm, ok := a.X.(*Name)
		if !a.Out || a.OutVar != nil || !ok || nm.Name != "_" || b.sc.lookup("_") != nil {
			continue
		}
		a.OutVar = &TypeRef{Off: nm.Off, Name: "var"}
		a.OutNew = discardName(nm.Off)
		nm.Name = a.OutNew
	}
}

// discardAssign binds `_ = e` with no local named _: e is evaluated and
// its value dropped (held by a hidden local of e's type).
func (b *binder) discardAssign(n *Assign, t *Name) (*Type, error) {
	if n.Op != "=" {
		return nil, b.errf(t.Off, "the name '_' does not exist in the current context")
	}
	vt, err := b.expr(n.X)
	if err != nil {
		return nil, err
	}
	switch vt.K {
	case KNull:
		return nil, b.errf(n.X.pos(), "cannot infer the type of implicitly-typed discard (CS8183)")
	case KVoid:
		return nil, b.errf(n.X.pos(), "cannot assign void to an implicitly-typed variable")
	}
	b.needInterp("discard (_ = e)")
	l, err := b.declare(discardName(t.Off), t.Off, vt)
	if err != nil {
		return nil, err
	}
	t.local, t.T = l, vt
	l.assigned++
	return vt, nil
}

// varPattern binds x is var name (C# 7): true for every value, null
// too; name (unless a discard) is a local of x's type.
func (b *binder) varPattern(n *IsAs) (*Type, error) {
	xt, err := b.expr(n.X)
	if err != nil {
		return nil, err
	}
	if xt.K == KNull || xt.K == KVoid {
		return nil, b.errf(n.Off, "cannot infer the type of implicitly-typed pattern variable from '%s'", typeName(xt))
	}
	n.to = xt
	b.needInterp("var pattern")
	if n.Bind != "" {
		l, err := b.declare(n.Bind, n.Off, xt)
		if err != nil {
			return nil, err
		}
		l.borrowed = true
		n.loc = l
	}
	return tBool, nil
}

// exceptionName says whether a written type names an exception type a
// catch clause can name (Exception, ArgumentException, ...).
func exceptionName(tr *TypeRef) bool {
	if tr.Args != nil || tr.Array > 0 || tr.Null {
		return false
	}
	name := strings.TrimPrefix(tr.Name, "System.")
	if name == "Exception" || name == "SystemException" {
		return true
	}
	if _, ok := exceptionBase[name]; ok {
		return true
	}
	for _, base := range exceptionBase {
		if base == name {
			return true
		}
	}
	return false
}

// exceptionIs binds e is T (and e is T x) where e is a caught exception
// and T an exception type, as an exception filter tests it: catch
// (Exception e) when (e is ArgumentException || e is DivideByZeroException).
// It is true when e's type is T or derives from it, as a catch clause
// of T takes it; x is the same exception.
func (b *binder) exceptionIs(n *IsAs) (*Type, error) {
	xt, err := b.expr(n.X)
	if err != nil {
		return nil, err
	}
	if xt != exceptionType || n.Op != "is" {
		return nil, b.unknownType(n.To)
	}
	n.exc, n.to = true, exceptionType
	b.needInterp("is on an exception")
	if n.Bind != "" {
		l, err := b.declare(n.Bind, n.Off, exceptionType)
		if err != nil {
			return nil, err
		}
		n.loc = l
	}
	return tBool, nil
}

// argumentExceptions adds the constructors of .NET's argument exceptions
// that name their parameter (and InvalidCastException's), as the C#
// reference's throw and exception filter examples write them: new ArgumentException(message, paramName),
// new ArgumentNullException(paramName[, message]), new
// ArgumentOutOfRangeException(paramName[, message]). The message is
// .NET's: "message (Parameter 'name')".
func argumentExceptions() {
	withParam := func(msg, param any) string {
		m, _ := msg.(string)
		if p, _ := param.(string); p != "" {
			return m + " (Parameter '" + p + "')"
		}
		return m
	}
	static("ArgumentException", "new", ts(tString, tString), exceptionType, func(a []any) (any, error) {
		return &Exception{Type: "ArgumentException", Msg: withParam(a[0], a[1])}, nil
	}, nil)
	// and InvalidCastException, which the reference's throw expression
	// example throws: new InvalidCastException([message])
	static("InvalidCastException", "new", ts(tString), exceptionType, func(a []any) (any, error) {
		msg, _ := a[0].(string)
		return &Exception{Type: "InvalidCastException", Msg: msg}, nil
	}, nil)
	static("InvalidCastException", "new", ts(), exceptionType, func(a []any) (any, error) {
		return &Exception{Type: "InvalidCastException", Msg: "Specified cast is not valid."}, nil
	}, nil)
	for e, none := range map[string]string{
		"ArgumentNullException":       "Value cannot be null.",
		"ArgumentOutOfRangeException": "Specified argument was out of the range of valid values.",
	} {
		static(e, "new", ts(), exceptionType, func(a []any) (any, error) {
			return &Exception{Type: e, Msg: none}, nil
		}, nil)
		static(e, "new", ts(tString), exceptionType, func(a []any) (any, error) {
			return &Exception{Type: e, Msg: withParam(none, a[0])}, nil
		}, nil)
		static(e, "new", ts(tString, tString), exceptionType, func(a []any) (any, error) {
			return &Exception{Type: e, Msg: withParam(a[1], a[0])}, nil
		}, nil)
	}
}
