package csharp

import (
	"math"
	"math/bits"
	"strconv"
	"sync"
)

// C# integers live in Go ints here, 64-bit on the platforms tollgate
// serves (amd64, arm64). The long and uint bounds are variables, not
// constants, so that a 32-bit build (GOARCH=386 go vet in the lint task)
// still compiles.
var (
	int64Min, int64Max, uint32Max = int64(math.MinInt64), int64(math.MaxInt64), int64(math.MaxUint32)
	minLong, maxLong, maxUInt     = int(int64Min), int(int64Max), int(uint32Max)
)

// C#'s integral arithmetic. Every integral value but a ulong is a Go int
// at run time, held in its static type's range: an int's arithmetic wraps
// at 32 bits (unchecked, C#'s default), or throws OverflowException in a
// checked context; a long's at 64. A ulong is a uint64. The binder gives
// each operation the type it runs in (node.opT, C#'s numeric promotion).

var errOverflow = exc("OverflowException", "Arithmetic operation resulted in an overflow.")

func errDivZero() error { return exc("DivideByZeroException", "%s", errDivide.Error()) }

// intImplicit reports whether C# converts integral type from to to
// implicitly (sbyte to short, int to long, uint to ulong...).
func intImplicit(from, to intKind) bool {
	if from == to {
		return true
	}
	switch from {
	case ikSByte:
		return to == ikShort || to == ikInt || to == ikLong
	case ikByte:
		return to != ikSByte
	case ikShort:
		return to == ikInt || to == ikLong
	case ikUShort:
		return to == ikInt || to == ikUInt || to == ikLong || to == ikULong
	case ikInt:
		return to == ikLong
	case ikUInt:
		return to == ikLong || to == ikULong
	}
	return false
}

// unsigned reports whether the integral type has no sign.
func (k intKind) unsigned() bool {
	return k == ikByte || k == ikUShort || k == ikUInt || k == ikULong
}

func typeOfIK(k intKind) *Type {
	return intKinds[k].t
}

// unaryPromote is C#'s unary numeric promotion: the small types become int.
func unaryPromote(k intKind) intKind {
	switch k {
	case ikUInt, ikLong, ikULong:
		return k
	}
	return ikInt
}

// binaryPromote is C#'s binary numeric promotion of two integral types
// (a char counts as a ushort); lc and rc tell a constant operand's value,
// which converts to ulong when it is not negative. ok is false where C#
// finds the operator ambiguous (ulong with a signed type).
func binaryPromote(l, r intKind, lc, rc any) (intKind, bool) {
	switch {
	case l == ikULong || r == ikULong:
		other, c := r, rc
		if r == ikULong {
			other, c = l, lc
		}
		if other.unsigned() {
			return ikULong, true
		}
		if v, isInt := c.(int); isInt && v >= 0 {
			return ikULong, true
		}
		return ikNone, false
	case l == ikLong || r == ikLong:
		return ikLong, true
	case l == ikUInt || r == ikUInt:
		other, c := r, rc
		if r == ikUInt {
			other, c = l, lc
		}
		if other.unsigned() {
			return ikUInt, true
		}
		if v, isInt := c.(int); isInt && v >= 0 && other == ikInt {
			return ikUInt, true // a constant int converts to uint
		}
		return ikLong, true
	}
	return ikInt, true
}

// intOf reads an integral run-time value as a Go int (a ulong by its bits).
func intOf(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case uint64:
		return int(x)
	case string: // a char
		return charCode(x).(int)
	}
	return toInt(v)
}

func u64Of(v any) uint64 {
	if u, ok := v.(uint64); ok {
		return u
	}
	return uint64(intOf(v))
}

// minOf is the smallest value of a signed integral type.
func minOf(k intKind) int {
	switch k {
	case ikLong:
		return minLong
	case ikInt:
		return math.MinInt32
	}
	return 0
}

// intBinop applies an arithmetic, bitwise or shift operator in integral
// type k, wrapping (unchecked) or throwing OverflowException (chk) as C#.
func intBinop(op string, l, r any, k intKind, chk bool) (any, error) {
	if a, ok := l.(int); ok && !chk && len(op) == 1 {
		if b, ok := r.(int); ok { // the common case: unchecked + - * of ints and longs
			switch {
			case op[0] == '+' && k == ikLong:
				return a + b, nil
			case op[0] == '+' && k == ikInt:
				return int(int32(a + b)), nil
			case op[0] == '-' && k == ikLong:
				return a - b, nil
			case op[0] == '-' && k == ikInt:
				return int(int32(a - b)), nil
			case op[0] == '*' && k == ikLong:
				return a * b, nil
			case op[0] == '*' && k == ikInt:
				return int(int32(a * b)), nil
			}
		}
	}
	if k == ikULong {
		return ulongBinop(op, u64Of(l), u64Of(r), chk)
	}
	v, err := intOp(op, intOf(l), intOf(r), k, chk)
	if err != nil {
		return nil, err
	}
	return v, nil
}

func intOp(op string, a, b int, k intKind, chk bool) (int, error) {
	var r int
	switch op {
	case "+":
		r = a + b
		if chk && k == ikLong && (a^r)&(b^r) < 0 {
			return 0, errOverflow
		}
	case "-":
		r = a - b
		if chk && k == ikLong && (a^b)&(a^r) < 0 {
			return 0, errOverflow
		}
	case "*":
		r = a * b
		switch {
		case !chk:
		case k == ikLong:
			if a != 0 && (r/a != b || a == -1 && b == minLong) {
				return 0, errOverflow
			}
		case k == ikUInt:
			if hi, lo := bits.Mul64(uint64(a), uint64(b)); hi != 0 || lo > math.MaxUint32 {
				return 0, errOverflow
			}
			r = int(uint64(a) * uint64(b))
		}
	case "/", "%":
		if b == 0 {
			return 0, errDivZero()
		}
		if b == -1 && a == minOf(k) {
			// int.MinValue / -1 (and % -1): .NET throws in either context
			return 0, errOverflow
		}
		r = divOrBitwise(op, a, b)
	case "&", "|", "^":
		r = divOrBitwise(op, a, b)
	case "<<", ">>":
		mask := 31
		if k == ikLong {
			mask = 63
		}
		if op == "<<" {
			r = a << (b & mask)
		} else {
			r = a >> (b & mask) // a uint is never negative here: >> is logical
		}
		return k.wrap(r), nil // a shift never overflows
	default:
		return 0, exc("InvalidOperationException", "operator %s", op)
	}
	return k.narrow(r, chk)
}

// divOrBitwise is a / b, a % b (b is not 0), a & b, a | b or a ^ b: the
// operators that read the same in every integral type, ulong's included.
func divOrBitwise[T int | uint64](op string, a, b T) T {
	switch op {
	case "/":
		return a / b
	case "%":
		return a % b
	case "&":
		return a & b
	case "|":
		return a | b
	}
	return a ^ b
}

func ulongBinop(op string, a, b uint64, chk bool) (any, error) {
	var r uint64
	switch op {
	case "+":
		var c uint64
		r, c = bits.Add64(a, b, 0)
		if chk && c != 0 {
			return nil, errOverflow
		}
	case "-":
		var c uint64
		r, c = bits.Sub64(a, b, 0)
		if chk && c != 0 {
			return nil, errOverflow
		}
	case "*":
		var hi uint64
		hi, r = bits.Mul64(a, b)
		if chk && hi != 0 {
			return nil, errOverflow
		}
	case "/", "%":
		if b == 0 {
			return nil, errDivZero()
		}
		r = divOrBitwise(op, a, b)
	case "&", "|", "^":
		r = divOrBitwise(op, a, b)
	case "<<":
		r = a << (b & 63)
	case ">>":
		r = a >> (b & 63)
	default:
		return nil, exc("InvalidOperationException", "operator %s", op)
	}
	return r, nil
}

// intUnary is -x and ~x in integral type k.
func intUnary(op string, x any, k intKind, chk bool) (any, error) {
	if k == ikULong {
		if op == "~" {
			return ^u64Of(x), nil
		}
		return nil, exc("InvalidOperationException", "operator %s on ulong", op)
	}
	a := intOf(x)
	var r int
	switch op {
	case "-":
		if chk && k == ikLong && a == minLong {
			return nil, errOverflow
		}
		r = -a
	case "~":
		r = ^a
	default:
		return a, nil
	}
	w, err := k.narrow(r, chk)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// intConvert is an explicit (or implicit) conversion of an integral,
// char or double value to integral type k: unchecked, it keeps the low
// bits (a double out of range gives what .NET on x64 gave before .NET 9:
// 0x80000000 for an int); checked, a value out of k's range throws
// OverflowException.
func intConvert(v any, k intKind, chk bool) (any, error) {
	switch x := v.(type) {
	case float64:
		return floatToInt(x, k, chk)
	case uint64:
		if k == ikULong {
			return x, nil
		}
		if chk && x > math.MaxInt64 {
			return nil, errOverflow
		}
		return intToKind(int(x), k, chk)
	case string: // a char
		return intToKind(charCode(x).(int), k, chk)
	case nil: // (int)x of a null int?
		return nil, exc("InvalidOperationException", "Nullable object must have a value.")
	}
	return intToKind(intOf(v), k, chk)
}

func intToKind(a int, k intKind, chk bool) (any, error) {
	if k == ikULong {
		if chk && a < 0 {
			return nil, errOverflow
		}
		return uint64(a), nil
	}
	w, err := k.narrow(a, chk)
	if err != nil {
		return nil, err
	}
	return w, nil
}

const two63 = 9223372036854775808.0

func floatToInt(f float64, k intKind, chk bool) (any, error) {
	t := math.Trunc(f)
	if chk {
		lo, hi := -two63, two63 // [lo, hi)
		switch k {
		case ikULong:
			lo, hi = 0, 2*two63
		case ikUInt:
			lo, hi = 0, 4294967296.0
		default:
			if k != ikLong {
				bits, signed := k.bits()
				if signed {
					lo, hi = -math.Ldexp(1, int(bits)-1), math.Ldexp(1, int(bits)-1)
				} else {
					lo, hi = 0, math.Ldexp(1, int(bits))
				}
			}
		}
		if math.IsNaN(t) || t < lo || t >= hi {
			return nil, errOverflow
		}
		if k == ikULong {
			return uint64(t), nil
		}
		return int(t), nil
	}
	// unchecked: x64's cvttsd2si, as .NET Core before .NET 9 gives it
	long := func(t float64) int {
		if math.IsNaN(t) || t < -two63 || t >= two63 {
			return minLong
		}
		return int(t)
	}
	switch k {
	case ikLong:
		return long(t), nil
	case ikULong:
		if t >= two63 {
			return uint64(long(t-two63)) + 1<<63, nil
		}
		return uint64(long(t)), nil
	case ikUInt:
		return int(uint32(long(t))), nil
	}
	i32 := math.MinInt32
	if !math.IsNaN(t) && t >= math.MinInt32 && t <= math.MaxInt32 {
		i32 = int(t)
	}
	return k.wrap(i32), nil
}

// intConst is a constant's value as the binder keeps it: an int, or a
// uint64 for a ulong.
func intConst(v any) (int, uint64, bool) {
	switch x := v.(type) {
	case int:
		return x, uint64(x), true
	case uint64:
		return int(x), x, true
	}
	return 0, 0, false
}

// constText writes a constant for a message.
func constText(v any) string {
	if u, ok := v.(uint64); ok {
		return strconv.FormatUint(u, 10)
	}
	return strconv.Itoa(intOf(v))
}

// asInt is an int argument of a lowered call (intOf for anything else).
func asInt(v any) int {
	if i, ok := v.(int); ok {
		return i
	}
	return intOf(v)
}

var (
	absInt, absLong *builtin
	absOnce         sync.Once
)

// absBuiltin is Math.Abs of an int or a long: the smallest value has no
// absolute value, an OverflowException as in .NET.
func absBuiltin(k intKind) *builtin {
	absOnce.Do(func() {
		mk := func(key string, min int, t *Type) *builtin {
			return reg(&builtin{key: key, params: []*Type{t}, result: t, run: func(a []any) (any, error) {
				i := intOf(a[0])
				if i == min {
					return nil, exc("OverflowException", "Negating the minimum value of a twos complement number is invalid.")
				}
				if i < 0 {
					return -i, nil
				}
				return i, nil
			}})
		}
		absInt, absLong = mk("Math.Abs(int)", math.MinInt32, tInt), mk("Math.Abs(long)", minLong, tLong)
	})
	if k == ikLong {
		return absLong
	}
	if k == ikULong || k == ikUInt {
		return byKey["Math.Abs/1"] // .NET has no Abs of unsigned types: C# picks Abs(long) or Abs(decimal)
	}
	return absInt
}

// compareU64 orders a ulong against another integral or double value.
func compareU64(a, b any) (int, bool) {
	ua, aok := a.(uint64)
	ub, bok := b.(uint64)
	if !aok && !bok {
		return 0, false
	}
	if !aok {
		c, ok := compareU64(b, a)
		return -c, ok
	}
	switch y := b.(type) {
	case uint64:
		ub = y
	case int:
		if y < 0 {
			return 1, true
		}
		ub = uint64(y)
	case float64:
		return cmpF(float64(ua), y), true
	default:
		_ = bok
		return 0, false
	}
	switch {
	case ua < ub:
		return -1, true
	case ua > ub:
		return 1, true
	}
	return 0, true
}

// intLimits are the constants MaxValue and MinValue of the integral types.
var intLimits = map[string]any{
	"int.MaxValue": math.MaxInt32, "int.MinValue": math.MinInt32, "long.MaxValue": maxLong, "long.MinValue": minLong,
	"uint.MaxValue": maxUInt, "uint.MinValue": 0, "ulong.MaxValue": uint64(math.MaxUint64), "ulong.MinValue": uint64(0),
	"short.MaxValue": math.MaxInt16, "short.MinValue": math.MinInt16, "ushort.MaxValue": math.MaxUint16, "ushort.MinValue": 0,
	"byte.MaxValue": math.MaxUint8, "byte.MinValue": 0, "sbyte.MaxValue": math.MaxInt8, "sbyte.MinValue": math.MinInt8,
}

// registerIntTypes gives the integral types MaxValue and MinValue (int's
// and long's are with Parse, in builtins.go), and double its constants.
func registerIntTypes() {
	for _, t := range []*Type{tUInt, tULong, tShort, tUShort, tByte, tSByte} {
		for _, p := range []string{"MaxValue", "MinValue"} {
			v := intLimits[t.Name+"."+p]
			staticProp(t.Name, p, t, func([]any) (any, error) { return v, nil }, nil)
		}
	}
	for name, v := range map[string]float64{"NaN": math.NaN(), "PositiveInfinity": math.Inf(1), "NegativeInfinity": math.Inf(-1),
		"MaxValue": math.MaxFloat64, "MinValue": -math.MaxFloat64, "Epsilon": 4.9406564584124654e-324} {
		if staticProps["double"][name] == nil {
			v := v
			staticProp("double", name, tDouble, func([]any) (any, error) { return v, nil }, nil)
		}
	}
}

// parseIntBase is Convert.ToInt32/ToInt64(value, fromBase), .NET's
// ParseNumbers: base 10 takes a sign and checks the range; bases 2, 8
// and 16 (which takes a 0x prefix) read the bits of the value, at most
// the type's width.
func parseIntBase(s string, base, bits int) (any, error) {
	switch base {
	case 2, 8, 10, 16:
	default:
		return nil, exc("ArgumentException", "Invalid Base. (Parameter 'fromBase')")
	}
	if s == "" {
		return nil, exc("ArgumentOutOfRangeException", "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'startIndex')")
	}
	if base == 10 {
		return parseIntNET(s, bits)
	}
	digits := s
	if base == 16 && len(digits) > 2 && (digits[:2] == "0x" || digits[:2] == "0X") {
		digits = digits[2:]
	}
	if digits != "" && digits[0] == '-' {
		return nil, exc("ArgumentException", "String cannot contain a minus sign if the base is not 10.")
	}
	end := 0
	for end < len(digits) && digitIn(digits[end], base) {
		end++
	}
	if end == 0 {
		return nil, exc("FormatException", "Could not find any recognizable digits.")
	}
	if end < len(digits) {
		return nil, exc("FormatException", "Additional non-parsable characters are at the end of the string.")
	}
	u, err := strconv.ParseUint(digits, base, bits)
	if err != nil {
		return nil, overflowErr(bits)
	}
	if bits == 32 {
		return int(int32(uint32(u))), nil
	}
	return int(int64(u)), nil
}

// digitIn reports whether c is a digit in base 2, 8 or 16.
func digitIn(c byte, base int) bool {
	switch {
	case c >= '0' && c <= '9':
		return int(c-'0') < base
	case base == 16:
		return c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
	}
	return false
}
