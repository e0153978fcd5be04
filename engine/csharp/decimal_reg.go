package csharp

import "strings"

// tDecimal is C#'s decimal (System.Decimal, decimal.go).
var tDecimal = &Type{K: KDecimal, Name: "decimal"}

func decArg(v any) Decimal { return decOf(v) }

func dec1(f func(Decimal) (any, error)) func(a []any) (any, error) {
	return func(a []any) (any, error) {
		if a[0] == nil {
			return nil, errNull
		}
		return f(decArg(a[0]))
	}
}

func dec2(f func(x, y Decimal) (any, error)) func(a []any) (any, error) {
	return func(a []any) (any, error) { return f(decArg(a[0]), decArg(a[1])) }
}

// midpointOf is a MidpointRounding argument's value.
func midpointOf(v any) int {
	if e, ok := v.(enumVal); ok {
		return e.v
	}
	return toInt(v)
}

// decRoundInt is Convert.ToInt32(d) and ToInt64(d): d rounded to the
// nearest integer, a tie to the even one; past the type an
// OverflowException.
func decRoundInt(d Decimal, bits int) (any, error) {
	r, _ := decRound(d, 0, 0)
	t := r.truncInt()
	if !t.IsInt64() {
		return nil, overflowErr(bits)
	}
	v := t.Int64()
	if bits == 32 && (v > 1<<31-1 || v < -1<<31) {
		return nil, overflowErr(bits)
	}
	return int(v), nil
}

// decConvertInt is Convert.ToByte(d), ToInt16(d), ToSByte(d) and
// ToUInt64(d): d rounded to the nearest integer, a tie to the even one
// (where a cast truncates), past the type an OverflowException.
func decConvertInt(d Decimal, k intKind) (any, error) {
	r, _ := decRound(d, 0, 0)
	return decToInt(r, k)
}

// convertToDecimal is Convert.ToDecimal(value): a string as
// decimal.Parse(s, NumberStyles.Number) (null: 0), a bool 1 or 0, a number
// as its conversion to decimal.
func convertToDecimal(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return Decimal{}, nil
	case string:
		return parseNumber(x, nsNumber, nkDecimal)
	case bool:
		if x {
			return decOne, nil
		}
		return Decimal{}, nil
	case Decimal, int, int64, uint64, float64:
		return toDecimal(x)
	}
	return jtokenConvert(v, tDecimal)
}

func registerDecimal() {
	kindNames[KDecimal] = "decimal"
	S, I, L, D, B, O, P, M, Dec := tString, tInt, tLong, tDouble, tBool, tObject, tProvider, midpoint.t, tDecimal
	// instance members
	toString := func(a []any) (any, error) {
		f, _ := a[1].(string)
		return formatDecimalNET(decArg(a[0]), f)
	}
	method(KDecimal, "ToString", ts(), S, func(a []any) (any, error) { return callToString(a[0]) }, nil)
	method(KDecimal, "ToString", ts(S), S, toString, nil)
	method(KDecimal, "ToString", ts(P), S, func(a []any) (any, error) { return callToString(a[0]) }, nil)
	method(KDecimal, "ToString", ts(S, P), S, toString, nil)
	method(KDecimal, "Equals", ts(Dec), B, dec2(func(x, y Decimal) (any, error) { return decCmp(x, y) == 0, nil }), nil)
	method(KDecimal, "Equals", ts(O), B, func(a []any) (any, error) { return equalNET(a[0], a[1]), nil }, nil)
	method(KDecimal, "CompareTo", ts(Dec), I, dec2(func(x, y Decimal) (any, error) { return decCmp(x, y), nil }), nil)
	method(KDecimal, "GetHashCode", ts(), I, dec1(func(x Decimal) (any, error) { return decHash(x), nil }), nil)

	// decimal's statics (its Parse and TryParse: numstyles.go)
	statics["decimal"], staticProps["decimal"] = table{}, map[string]*builtin{}
	for name, v := range map[string]Decimal{"MaxValue": decMax, "MinValue": decMin, "Zero": decZero, "One": decOne, "MinusOne": decMinusOne} {
		v := v
		staticProp("decimal", name, Dec, func([]any) (any, error) { return v, nil }, nil)
	}
	for name, f := range map[string]func(x, y Decimal) (Decimal, error){"Add": decAdd, "Subtract": decSub, "Multiply": decMul,
		"Divide": decDiv, "Remainder": decRem} {
		f := f
		static("decimal", name, ts(Dec, Dec), Dec, dec2(func(x, y Decimal) (any, error) { return f(x, y) }), nil)
	}
	static("decimal", "Compare", ts(Dec, Dec), I, dec2(func(x, y Decimal) (any, error) { return decCmp(x, y), nil }), nil)
	static("decimal", "Equals", ts(Dec, Dec), B, dec2(func(x, y Decimal) (any, error) { return decCmp(x, y) == 0, nil }), nil)
	static("decimal", "ToDouble", ts(Dec), D, dec1(func(x Decimal) (any, error) { return x.float(), nil }), nil)
	static("decimal", "ToSingle", ts(Dec), D, dec1(func(x Decimal) (any, error) { return x.float(), nil }), nil)
	static("decimal", "ToInt32", ts(Dec), I, dec1(func(x Decimal) (any, error) { return decToInt(x, ikInt) }), nil)
	static("decimal", "ToInt64", ts(Dec), L, dec1(func(x Decimal) (any, error) { return decToInt(x, ikLong) }), nil)
	for name, t := range map[string]*Type{"ToByte": tByte, "ToSByte": tSByte, "ToInt16": tShort, "ToUInt16": tUShort, "ToUInt32": tUInt, "ToUInt64": tULong} {
		k := t.IK
		static("decimal", name, ts(Dec), t, dec1(func(x Decimal) (any, error) { return decToInt(x, k) }), nil)
	}
	static("decimal", "GetBits", ts(Dec), arrayOf(I), dec1(func(x Decimal) (any, error) { return decGetBits(x), nil }), nil)
	// the constructors: new decimal(int), (long), (uint), (ulong) exactly;
	// (double) and (float) as the cast; (lo, mid, hi, isNegative, scale)
	// and (int[] bits) from the parts GetBits gives
	static("decimal", "new", ts(L), Dec, func(a []any) (any, error) { return toDecimal(a[0]) }, nil)
	staticOverload("decimal", "new", ts(tULong), Dec, func(a []any) (any, error) { return toDecimal(a[0]) })
	staticOverload("decimal", "new", ts(D), Dec, func(a []any) (any, error) { return toDecimal(a[0]) })
	staticOverload("decimal", "new", ts(tChar), Dec, func(a []any) (any, error) { return toDecimal(a[0]) }) // char converts to int
	staticOverload("decimal", "new", ts(arrayOf(I)), Dec, func(a []any) (any, error) { return decFromBits(a[0]) })
	static("decimal", "new", ts(I, I, I, B, tByte), Dec, func(a []any) (any, error) {
		sc := toInt(a[4])
		if sc < 0 || sc > decMaxScale {
			return nil, exc("ArgumentOutOfRangeException", "Decimal's scale value must be between 0 and 28, inclusive. (Parameter 'scale')")
		}
		return decFromParts(uint32(toInt(a[0])), uint32(toInt(a[1])), uint32(toInt(a[2])), a[3] == true, sc), nil
	}, nil)

	// Math's and decimal's rounding
	unary := map[string]func(Decimal) Decimal{"Truncate": decTruncate, "Floor": decFloor, "Ceiling": decCeiling}
	for _, typ := range []string{"Math", "decimal"} {
		typ := typ
		for name, f := range unary {
			f := f
			staticOverload(typ, name, ts(Dec), Dec, dec1(func(x Decimal) (any, error) { return f(x), nil }))
		}
		staticOverload(typ, "Round", ts(Dec), Dec, dec1(func(x Decimal) (any, error) { return decRound(x, 0, 0) }))
		staticOverload(typ, "Round", ts(Dec, I), Dec, func(a []any) (any, error) { return decRound(decArg(a[0]), toInt(a[1]), 0) })
		staticOverload(typ, "Round", ts(Dec, M), Dec, func(a []any) (any, error) { return decRound(decArg(a[0]), 0, midpointOf(a[1])) })
		staticOverload(typ, "Round", ts(Dec, I, M), Dec, func(a []any) (any, error) {
			return decRound(decArg(a[0]), toInt(a[1]), midpointOf(a[2]))
		})
	}
	staticOverload("decimal", "Negate", ts(Dec), Dec, dec1(func(x Decimal) (any, error) { return decNeg(x), nil }))
	staticOverload("Math", "Abs", ts(Dec), Dec, dec1(func(x Decimal) (any, error) { x.neg = false; return x, nil }))
	staticOverload("Math", "Sign", ts(Dec), I, dec1(func(x Decimal) (any, error) {
		switch {
		case x.isZero():
			return 0, nil
		case x.neg:
			return -1, nil
		}
		return 1, nil
	}))
	staticOverload("Math", "Max", ts(Dec, Dec), Dec, dec2(func(x, y Decimal) (any, error) {
		if decCmp(x, y) >= 0 {
			return x, nil
		}
		return y, nil
	}))
	staticOverload("Math", "Min", ts(Dec, Dec), Dec, dec2(func(x, y Decimal) (any, error) {
		if decCmp(x, y) <= 0 {
			return x, nil
		}
		return y, nil
	}))
	staticOverload("Convert", "ToChar", ts(Dec), tChar, func([]any) (any, error) { // .NET's Convert.ToChar(Decimal) always throws
		return nil, exc("InvalidCastException", "Invalid cast from 'Decimal' to 'Char'.")
	})
	static("Convert", "ToDecimal", ts(O), Dec, func(a []any) (any, error) { return convertToDecimal(a[0]) }, nil)
	staticOverload("Convert", "ToDecimal", ts(S, P), Dec, func(a []any) (any, error) { return convertToDecimal(a[0]) })
	reg(&builtin{key: "JsonConvert.DeserializeObject<decimal>", params: ts(S), result: Dec, run: deserializeDecimal})
}

// decSumOf is Enumerable.Sum over decimals (or what fn selects): exact,
// nulls skipped; count is how many were added.
func decSumOf(seq []any, fn func(any) (any, error)) (sum any, count int, err error) {
	s := Decimal{}
	for _, x := range seq {
		v := x
		if fn != nil {
			if v, err = fn(x); err != nil {
				return nil, 0, err
			}
		}
		if v == nil {
			continue
		}
		count++
		if s, err = decAdd(s, decOf(v)); err != nil {
			return nil, 0, err
		}
	}
	return s, count, nil
}

// decAverage is Enumerable.Average over decimals: their sum over their
// count, a decimal division.
func decAverage(sum Decimal, n int) (Decimal, error) {
	return decDiv(sum, decFromInt(int64(n)))
}

// decimalConvert is a cast to or from decimal between numeric types (and
// char to decimal): an integral value exactly; a double as .NET's
// Decimal(Double); a decimal to an integral type truncated (past its
// range an OverflowException, checked or not), to double the nearest.
func decimalConvert(v any, to *Type, chk bool) (any, error) {
	if v == nil {
		return nil, exc("InvalidOperationException", "Nullable object must have a value.")
	}
	d, isDec := v.(Decimal)
	switch to.K {
	case KDecimal:
		return toDecimal(v)
	case KInt:
		if isDec {
			return decToInt(d, to.ik())
		}
	case KDouble:
		if isDec {
			return d.float(), nil
		}
	case KChar:
		if isDec {
			c, err := decToInt(d, ikUShort)
			if err != nil {
				return nil, exc("OverflowException", "Value was either too large or too small for a character.")
			}
			return string(rune(c.(int))), nil
		}
	}
	return nil, castErr(v, typeName(to))
}

// decimalBinary types a binary operator with a decimal operand (ok false
// where it has none, or the other operand is not a number): the other
// of an integral type or char converts implicitly; a double (or float)
// is C#'s CS0019, as decimal and double convert only explicitly.
func (b *binder) decimalBinary(n *Binary, l, r *Type) (*Type, bool, error) {
	if l.K != KDecimal && r.K != KDecimal {
		return nil, false, nil
	}
	operand := func(t *Type) bool { return t.K == KDecimal || t.K == KInt || t.K == KChar }
	if !operand(l) || !operand(r) {
		if l.K == KDouble || r.K == KDouble {
			return nil, true, b.errf(n.Off, "operator '%s' cannot be applied to operands of type '%s' and '%s' (decimal and double convert only explicitly: cast one, e.g. (decimal)x)", n.Op, typeName(l), typeName(r))
		}
		return nil, false, nil
	}
	switch n.Op {
	case "+", "-", "*", "/", "%":
		if l.Nullable || r.Nullable {
			return nullableOf(tDecimal), true, nil
		}
		return tDecimal, true, nil
	case "==", "!=", "<", ">", "<=", ">=":
		return tBool, true, nil
	}
	return nil, false, nil
}

// decimalMix reports whether x op= v mixes decimal with double (CS0019)
// or puts a decimal into an integral variable (CS0266).
func decimalMix(tt, vt *Type) bool {
	return tt.K == KDecimal && vt.K == KDouble || tt.K == KDouble && vt.K == KDecimal || tt.K == KInt && vt.K == KDecimal
}

// decimalLit is a literal with the m suffix: its digits as decimal.Parse
// reads them with NumberStyles.Float (1.50m keeps its scale, 1.5e2m is
// 150); past decimal's range C#'s CS0594.
func decimalLit(t token) (Expr, error) {
	d, err := parseDecimalText(t.Text, nsFloat)
	if err != nil {
		return nil, &SyntaxError{Off: t.Off, Msg: "floating-point constant is outside the range of type 'decimal'"}
	}
	return &Lit{node: node{Off: t.Off}, V: d, Kind: tkReal}, nil
}

// jsonDecimal is a decimal as Json.NET writes it (JsonConvert.ToString):
// its ToString() in the invariant culture, ".0" added to a whole number
// (1m is 1.0, 1.50m 1.50).
func jsonDecimal(d Decimal) string {
	s := d.String()
	if d.scale == 0 {
		s += ".0"
	}
	return s
}

// jtokenDecimal is Json.NET's (decimal)token and Value<decimal>(): an
// integer exactly, a float (a double here, as Json.NET reads one) as
// Convert.ToDecimal(double), a string as decimal.Parse(s,
// NumberStyles.Number, CultureInfo.InvariantCulture), a bool 1 or 0.
func jtokenDecimal(v any, t *Type) (any, error) {
	switch x := v.(type) {
	case nil:
		if t.Nullable {
			return nil, nil
		}
		return nil, exc("ArgumentNullException", "Value cannot be null.")
	case string:
		return parseNumber(x, nsNumber, nkDecimal)
	case bool, Decimal, int, int64, uint64, float64:
		return convertToDecimal(x)
	}
	return nil, exc("ArgumentException", "Can not convert %s to Decimal.", jtype(v))
}

// deserializeDecimal is JsonConvert.DeserializeObject<decimal>(json): a
// JSON number read from its text as Json.NET's ReadAsDecimal reads it (its
// scale kept: "1.50" is 1.50), a string's text parsed; null is an error,
// as for every value type.
func deserializeDecimal(a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, exc("ArgumentNullException", "Value cannot be null. (Parameter 'value')")
	}
	v, err := ParseJSON(s)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case int, float64, JBigInt:
		return parseNumber(strings.TrimSpace(s), nsFloat, nkDecimal)
	case string:
		return parseNumber(x, nsNumber|nsAllowExponent, nkDecimal)
	case JNull:
		return nil, exc("JsonSerializationException", "Error converting value {null} to type 'System.Decimal'. Path '', line 1, position 4.")
	}
	return nil, exc("JsonReaderException", "Error reading decimal. Unexpected token: %s. Path ''.", map[bool]string{true: "StartObject", false: "StartArray"}[jtype(v) == "Object"])
}

// decimalValue converts the value argument a of Add or TryAdd on a
// Dictionary<string, decimal> (of static type at) as C# does: an integral
// value implicitly, a double is CS1503.
func (b *binder) decimalValue(a *Arg, at, elem *Type) error {
	if elem.K != KDecimal {
		return nil
	}
	switch at.K {
	case KInt, KChar:
		a.X = &Cast{node: node{Off: a.X.pos()}, To: &TypeRef{Off: a.X.pos(), Name: "decimal"}, X: a.X}
		_, err := b.expr(a.X)
		return err
	case KDecimal, KNull:
		return nil
	}
	return b.errf(a.X.pos(), "cannot convert from '%s' to 'decimal'", typeName(at))
}

// jDecimalOperand is a JSON number compared with a decimal, as Json.NET's
// JValue comparison converts it (Convert.ToDecimal: a double to 15
// digits); ok false for a token that is no number.
func jDecimalOperand(v any) (Decimal, bool) {
	switch v.(type) {
	case Decimal, int, int64, uint64, float64:
		d, err := toDecimal(v)
		return d, err == nil
	}
	return Decimal{}, false
}

// decFromParts is new decimal(lo, mid, hi, isNegative, scale) (scale
// 0..28): a negative zero has no sign here.
func decFromParts(lo, mid, hi uint32, neg bool, scale int) Decimal {
	d := Decimal{lo: uint64(mid)<<32 | uint64(lo), hi: hi, scale: uint8(scale), neg: neg}
	if d.isZero() {
		d.neg = false
	}
	return d
}

// decGetBits is decimal.GetBits(d), .NET's layout: the coefficient's low,
// middle and high 32 bits, then the flags, the scale in bits 16..23 and
// the sign in bit 31.
func decGetBits(d Decimal) []any {
	flags := uint32(d.scale) << 16
	if d.neg {
		flags |= 1 << 31
	}
	return []any{int(int32(uint32(d.lo))), int(int32(uint32(d.lo >> 32))), int(int32(d.hi)), int(int32(flags))}
}

// decFromBits is new decimal(int[] bits): four ints, the last one's
// unused bits zero and its scale 0..28, as .NET checks them.
func decFromBits(v any) (any, error) {
	bits, ok := v.([]any)
	if !ok {
		return nil, exc("ArgumentNullException", "Value cannot be null. (Parameter 'bits')")
	}
	if len(bits) == 4 {
		flags := uint32(toInt(bits[3]))
		if flags&^(1<<31|0xFF<<16) == 0 && (flags>>16)&0xFF <= decMaxScale {
			return decFromParts(uint32(toInt(bits[0])), uint32(toInt(bits[1])), uint32(toInt(bits[2])), flags>>31 != 0, int(flags>>16&0xFF)), nil
		}
	}
	return nil, exc("ArgumentException", "Decimal byte array constructor requires an array of length four containing valid decimal bytes.")
}
