package csharp

// Local functions in statement blocks (C# 7), as policies write helpers:
//
//	@{
//	    bool InRange(string ip, string cidr) { ... }
//	    return InRange(context.Request.IpAddress, "10.0.0.0/8");
//	}
//
// They are hoisted (callable anywhere in their block), see the block's
// locals, may call themselves, and run on the interpreter. A call keeps
// its own parameters and locals (the slots are saved and restored around
// it) and nests at most maxLocalCallDepth deep.

const maxLocalCallDepth = 64

type localFn struct {
	decl   *LocalFunc
	ret    *Type
	params []*local
	lo, hi int // the slots of its parameters and locals
}

// declareFuncs hoists the local functions of a block into its scope.
func (b *binder) declareFuncs(bl *Block) error {
	for _, s := range bl.List {
		lf, ok := s.(*LocalFunc)
		if !ok {
			continue
		}
		if b.sc.funcs[lf.Name] != nil {
			return b.errf(lf.NameOff, "a local function named '%s' is already defined in this scope", lf.Name)
		}
		ret, ok := b.m.lookupTypeRef(lf.Ret)
		if lf.Ret.Name == "void" {
			ret, ok = tVoid, true
		}
		if !ok {
			return b.unknownType(lf.Ret)
		}
		lf.fn = &localFn{decl: lf, ret: ret}
		if b.sc.funcs == nil {
			b.sc.funcs = map[string]*localFn{}
		}
		b.sc.funcs[lf.Name] = lf.fn
	}
	return nil
}

func (s *scope) lookupFn(n string) *localFn {
	for ; s != nil; s = s.parent {
		if f, ok := s.funcs[n]; ok {
			return f
		}
	}
	return nil
}

// localFunc binds a local function's body: its parameters are locals of a
// scope of their own, and its returns are checked against its type.
func (b *binder) localFunc(lf *LocalFunc) error {
	b.needInterp("local function")
	fn := lf.fn
	b.push()
	defer b.pop()
	fn.lo = len(b.locals)
	fn.params = fn.params[:0]
	for _, p := range lf.Params {
		t, ok := b.m.lookupTypeRef(p.Type)
		if !ok {
			return b.unknownType(p.Type)
		}
		l, err := b.declare(p.Name, p.Off, t)
		if err != nil {
			return err
		}
		l.borrowed = true
		fn.params = append(fn.params, l)
	}
	defer b.enter(body{inVoid: fn.ret.K == KVoid, ret: fn.ret})()
	if fn.ret.K == KVoid {
		if lf.ExprBody != nil {
			if _, err := b.expr(lf.ExprBody); err != nil {
				return err
			}
		} else if err := b.block(lf.Body); err != nil {
			return err
		}
		fn.hi = len(b.locals)
		return nil
	}
	if lf.ExprBody != nil && defaultTo(lf.ExprBody, fn.ret) { // T F() => default;
	} else if lf.ExprBody != nil {
		t, err := b.expr(lf.ExprBody)
		if err != nil {
			return err
		}
		if err := b.convertible(lf.ExprBody, t, fn.ret); err != nil {
			return err
		}
	} else {
		if err := b.block(lf.Body); err != nil {
			return err
		}
		if !returns(lf.Body) {
			return b.errf(lf.NameOff, "'%s': not all code paths return a value", lf.Name)
		}
		for _, r := range b.rets {
			if !assignable(r, fn.ret) && r.K != KNull && !(r.K == KInt && fn.ret.K == KDouble) {
				return b.errf(lf.NameOff, "'%s' returns %s, which is not a %s", lf.Name, typeName(r), typeName(fn.ret))
			}
		}
	}
	fn.hi = len(b.locals)
	return nil
}

// callLocal binds Name(args) to a local function.
func (b *binder) callLocal(n *Call, nm *Name) (*Type, bool, error) {
	fn := b.sc.lookupFn(nm.Name)
	if fn == nil {
		return nil, false, nil
	}
	if len(n.Args) != len(fn.decl.Params) {
		return nil, true, b.errf(nm.Off, "no overload for method '%s' takes %d arguments", nm.Name, len(n.Args))
	}
	for i, a := range n.Args {
		if a.Out || a.Name != "" {
			return nil, true, b.errf(a.Off, "local function arguments are passed by position")
		}
		t, err := b.expr(a.X)
		if err != nil {
			return nil, true, err
		}
		pt, ok := b.m.lookupTypeRef(fn.decl.Params[i].Type)
		if !ok {
			return nil, true, b.unknownType(fn.decl.Params[i].Type)
		}
		if err := b.convertible(a.X, t, pt); err != nil {
			return nil, true, err
		}
	}
	n.local = fn
	b.needInterp("local function")
	return fn.ret, true, nil
}

// callLocal runs a call to a local function.
func (f *frame) callLocal(n *Call) (any, error) {
	fn := n.local
	args := make([]any, len(n.Args))
	for i, a := range n.Args {
		v, err := f.evalAs(a.X, fn.params[i].t)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	if f.depth >= maxLocalCallDepth {
		return nil, exc("InsufficientExecutionStackException", "Insufficient stack to continue executing the program safely. This can happen from having too many functions on the call stack or function on the stack using too much stack space.")
	}
	f.depth++
	saved := append([]any(nil), f.vars[fn.lo:fn.hi]...)
	defer func() {
		copy(f.vars[fn.lo:fn.hi], saved)
		f.depth--
	}()
	clear(f.vars[fn.lo:fn.hi])
	for i, p := range fn.params {
		f.vars[p.slot] = args[i]
	}
	if fn.decl.ExprBody != nil {
		if fn.ret.K == KVoid {
			_, err := f.eval(fn.decl.ExprBody)
			return nil, err
		}
		return f.evalAs(fn.decl.ExprBody, fn.ret)
	}
	c, v, err := f.exec(fn.decl.Body)
	if err != nil {
		return nil, err
	}
	if fn.ret.K == KVoid {
		return nil, nil
	}
	if c != ctlReturn {
		return nil, exc("InvalidOperationException", "'%s' ended without a value", fn.decl.Name)
	}
	return v, nil
}
