package csharp

// The binder's side of integral arithmetic (intarith.go): the type each
// operation runs in, and C#'s constant folding, whose overflow is a
// compile-time error outside unchecked.

// intBinary types an arithmetic or bitwise operator on two integral (or
// char) operands.
func (b *binder) intBinary(n *Binary, l, r *Type) (*Type, error) {
	lk, rk := l.ik(), r.ik()
	if l.K == KChar {
		lk = ikUShort
	}
	if r.K == KChar {
		rk = ikUShort
	}
	k, ok := binaryPromote(lk, rk, constOf(n.L), constOf(n.R))
	if !ok {
		return nil, b.errf(n.Off, "operator '%s' is ambiguous on operands of type '%s' and '%s'", n.Op, typeName(l), typeName(r))
	}
	n.opT = typeOfIK(k)
	t, err := b.foldBinary(n, n.opT)
	if err != nil {
		return nil, err
	}
	if l.Nullable || r.Nullable {
		t = nullableOf(t)
	}
	return t, nil
}

// constOf is the value of an integral constant expression, nil otherwise.
func constOf(e Expr) any {
	switch n := e.(type) {
	case *Lit:
		switch v := n.V.(type) {
		case int:
			return v
		case int64:
			return int(v)
		case uint64:
			return v
		case string:
			if n.Kind == tkChar {
				return charCode(v)
			}
		}
	case *Name:
		if n.local != nil && n.local.konst {
			return n.local.cv
		}
	case *Member:
		if n.prop != nil && isStaticRecv(n.X) {
			return intLimits[n.prop.key]
		}
	case *Binary:
		return n.cv
	case *Unary:
		return n.cv
	case *Cast:
		return n.cv
	}
	return nil
}

// foldBinary computes a constant operation at load time: overflow is C#'s
// CS0220 outside unchecked, and a constant division by zero CS0020.
func (b *binder) foldBinary(n *Binary, t *Type) (*Type, error) {
	lc, rc := constOf(n.L), constOf(n.R)
	if lc == nil || rc == nil {
		if rc != nil && (n.Op == "/" || n.Op == "%") && intOf(rc) == 0 && t.K == KInt {
			return nil, b.errf(n.Off, "division by constant zero")
		}
		return t, nil
	}
	v, err := intBinop(n.Op, lc, rc, t.ik(), true)
	if err != nil {
		if ex, ok := err.(*Exception); ok && ex.Type == "DivideByZeroException" {
			return nil, b.errf(n.Off, "division by constant zero")
		}
		if n.Ctx != ctxUnchecked {
			return nil, b.errf(n.Off, "the operation overflows at compile time in checked mode (use 'unchecked' to let it wrap)")
		}
		if v, err = intBinop(n.Op, lc, rc, t.ik(), false); err != nil {
			return t, nil // int.MinValue / -1 in unchecked: throws at run time, as .NET
		}
	}
	n.cv = v
	return t, nil
}

// intUnaryType types -x, +x and ~x on an integral or char operand.
func (b *binder) intUnaryType(n *Unary, t *Type) (*Type, error) {
	k := ikUShort
	if t.K == KInt {
		k = t.ik()
	}
	if n.Op == "-" && k == ikULong {
		return nil, b.errf(n.Off, "operator '-' cannot be applied to operand of type 'ulong'")
	}
	k = unaryPromote(k)
	if n.Op == "-" && k == ikUInt {
		k = ikLong // -uint is a long
	}
	n.opT = typeOfIK(k)
	if c := constOf(n.X); c != nil {
		v, err := intUnary(n.Op, mustConv(c, k), k, true)
		if err != nil {
			if n.Ctx != ctxUnchecked {
				return nil, b.errf(n.Off, "the operation overflows at compile time in checked mode (use 'unchecked' to let it wrap)")
			}
			v, _ = intUnary(n.Op, mustConv(c, k), k, false)
		}
		n.cv = v
	}
	if t.Nullable {
		return nullableOf(n.opT), nil
	}
	return n.opT, nil
}

// mustConv converts a constant to k unchecked (for operands whose
// conversion is implicit, so nothing is lost).
func mustConv(c any, k intKind) any {
	v, _ := intConvert(c, k, false)
	return v
}

// foldCast checks and computes a cast of a constant to an integral type.
func (b *binder) foldCast(n *Cast, to *Type) error {
	c := constOf(n.X)
	if c == nil || to.K != KInt || to.Nullable {
		return nil
	}
	v, err := intConvert(c, to.ik(), true)
	if err != nil {
		if n.Ctx != ctxUnchecked {
			return b.errf(n.Off, "constant value '%s' cannot be converted to a '%s' (use 'unchecked' syntax to override)", constText(c), to.Name)
		}
		v, _ = intConvert(c, to.ik(), false)
	}
	n.cv = v
	return nil
}

// constFits reports whether e is an int constant that C# converts
// implicitly to integral type to (byte b = 10; ulong u = 5), or a long
// constant that is not negative converted to ulong.
func constFits(e Expr, from, to *Type) bool {
	if from.K != KInt || to.K != KInt {
		return false
	}
	c := constOf(e)
	if c == nil {
		return false
	}
	switch from.ik() {
	case ikInt:
		_, err := intConvert(c, to.ik(), true)
		return err == nil
	case ikLong:
		return to.ik() == ikULong && intOf(c) >= 0
	}
	return false
}
