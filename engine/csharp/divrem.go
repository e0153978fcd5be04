package csharp

import "math"

// Math.DivRem(a, b, out r), which APIM's table of allowed types lists
// ("System.Math | All"): the quotient, truncated toward zero, and the
// remainder in r, of two ints or two longs (an int out when both are
// ints, a long one else); a zero divisor is .NET's DivideByZeroException,
// MinValue / -1 its OverflowException. The interpreter runs it (an out
// argument).

func (b *binder) divRem(n *Call, m *Member) (*Type, error) {
	b.needInterp("out argument")
	if len(n.Args) != 3 {
		return nil, b.errf(m.NameOff, "no overload for method 'DivRem' takes %d arguments (tollgate has Math.DivRem(a, b, out r))", len(n.Args))
	}
	t := tInt
	for _, a := range n.Args[:2] {
		if a.Out {
			return nil, b.errf(a.Off, "argument may not be passed with the 'out' keyword")
		}
		at, err := b.expr(a.X)
		if err != nil {
			return nil, err
		}
		if at.K != KInt || at.ik() == ikULong || at.ik() == ikUInt {
			return nil, b.errf(a.X.pos(), "cannot convert from '%s' to 'long'", typeName(at))
		}
		if at.ik() == ikLong {
			t = tLong
		}
	}
	a := n.Args[2]
	if !a.Out {
		return nil, b.errf(a.Off, "argument 3 must be passed with the 'out' keyword")
	}
	var l *local
	if a.OutVar != nil {
		dt := t
		if a.OutVar.Name != "var" {
			var ok bool
			if dt, ok = b.m.lookupTypeRef(a.OutVar); !ok {
				return nil, b.unknownType(a.OutVar)
			}
		}
		if dt != tInt && dt != tLong || t == tLong && dt == tInt {
			return nil, b.errf(a.Off, "cannot convert from 'out %s' to 'out %s'", typeName(dt), typeName(t))
		}
		t = dt
		var err error
		if l, err = b.declare(a.OutNew, a.X.pos(), t); err != nil {
			return nil, err
		}
		l.borrowed = true
		a.X.(*Name).local = l
		a.X.(*Name).T = t
	} else {
		nm, ok := a.X.(*Name)
		if !ok {
			return nil, b.errf(a.Off, "an out argument must be a local variable")
		}
		if l = b.sc.lookup(nm.Name); l == nil {
			return nil, b.errf(nm.Off, "the name '%s' does not exist in the current context", nm.Name)
		}
		if l.t != tInt && l.t != tLong || t == tLong && l.t == tInt {
			return nil, b.errf(a.Off, "cannot convert from 'out %s' to 'out %s'", typeName(l.t), typeName(t))
		}
		t = l.t
		nm.local, nm.T = l, l.t
		l.assigned++
	}
	a.outLoc = l
	n.divRem = t
	return t, nil
}

func (f *frame) divRem(n *Call) (any, error) {
	x, err := f.eval(n.Args[0].X)
	if err != nil {
		return nil, err
	}
	y, err := f.eval(n.Args[1].X)
	if err != nil {
		return nil, err
	}
	p, q := toInt(x), toInt(y)
	if q == 0 {
		return nil, errDivZero()
	}
	if q == -1 && (n.divRem == tInt && p == math.MinInt32 || int64(p) == math.MinInt64) {
		return nil, exc("OverflowException", "Arithmetic operation resulted in an overflow.")
	}
	quo := p / q
	f.vars[n.Args[2].outLoc.slot] = p - quo*q
	return quo, nil
}
