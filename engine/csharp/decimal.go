package csharp

import (
	"cmp"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// C#'s decimal is .NET's System.Decimal: a 96-bit unsigned integer (the
// coefficient), a sign and a scale 0..28, the value being
// ±coefficient / 10^scale. The scale is part of the value: 1.50m and 1.5m
// are equal but print as 1.50 and 1.5.
//
// The rules followed (C# language specification, "The decimal type", and
// .NET's System.Decimal):
//
//   - an operation's result is the exact result at the operation's scale
//     (+ and -: the larger of the operands' scales; *: their sum; %: the
//     larger), rounded to the nearest value the type holds, a tie going to
//     the even coefficient (banker's rounding); where the coefficient
//     does not fit in 96 bits the scale is lowered as far as needed, and
//     past scale 0 the result is an OverflowException "Value was either
//     too large or too small for a Decimal.";
//   - a quotient that is exact at the scale of the dividend less the
//     divisor's (at least 0) has that scale (4.00m / 2m is 2.00); any
//     other is rounded at the largest scale (up to 28) whose coefficient
//     fits, then its trailing zeros are dropped (1m / 4m is 0.25, 1m / 3m
//     0.3333333333333333333333333333);
//   - a zero divisor is a DivideByZeroException "Attempted to divide by
//     zero.";
//   - a zero has no sign (-0m prints 0, as .NET prints it).
//
// Decimal arithmetic runs on math/big; decimals are rare in policies and
// a program with a decimal in it runs on the interpreter (bind.go), so
// nothing else pays for them.

// Decimal is a System.Decimal value.
type Decimal struct {
	lo    uint64 // the coefficient's low 64 bits
	hi    uint32 // its high 32 bits
	scale uint8  // 0..28
	neg   bool   // never set for a zero
}

const decMaxScale = 28

var (
	decTwo96 = new(big.Int).Lsh(big.NewInt(1), 96)
	decPow10 [80]*big.Int
	bigTen   = big.NewInt(10)
)

func init() {
	decPow10[0] = big.NewInt(1)
	for i := 1; i < len(decPow10); i++ {
		decPow10[i] = new(big.Int).Mul(decPow10[i-1], bigTen)
	}
}

func pow10Big(n int) *big.Int {
	if n < len(decPow10) {
		return decPow10[n]
	}
	return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil)
}

var (
	decZero     = Decimal{}
	decOne      = Decimal{lo: 1}
	decMinusOne = Decimal{lo: 1, neg: true}
	decMax      = Decimal{lo: math.MaxUint64, hi: math.MaxUint32}
	decMin      = Decimal{lo: math.MaxUint64, hi: math.MaxUint32, neg: true}
)

func errDecOverflow() error {
	return exc("OverflowException", "Value was either too large or too small for a Decimal.")
}

func (d Decimal) isZero() bool { return d.lo == 0 && d.hi == 0 }

// coef is the coefficient (unsigned).
func (d Decimal) coef() *big.Int {
	c := new(big.Int).SetUint64(d.lo)
	if d.hi != 0 {
		h := new(big.Int).SetUint64(uint64(d.hi))
		c.Or(c, h.Lsh(h, 64))
	}
	return c
}

// decFromInt is an integral value as a decimal (scale 0).
func decFromInt(v int64) Decimal {
	if v < 0 {
		return Decimal{lo: uint64(-v), neg: true}
	}
	return Decimal{lo: uint64(v)}
}

// make is the decimal of an unsigned coefficient that fits in 96 bits.
func decMake(c *big.Int, scale int, neg bool) Decimal {
	var lo uint64
	var hi uint32
	words := c.Bits()
	if strconv.IntSize == 64 {
		if len(words) > 0 {
			lo = uint64(words[0])
		}
		if len(words) > 1 {
			hi = uint32(words[1])
		}
	} else {
		lo = new(big.Int).And(c, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
		hi = uint32(new(big.Int).Rsh(c, 64).Uint64())
	}
	d := Decimal{lo: lo, hi: hi, scale: uint8(scale), neg: neg}
	if d.isZero() {
		d.neg = false
	}
	return d
}

// roundQuo is num/den rounded to an integer, a tie to the even one
// (num, den >= 0).
func roundQuo(num, den *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	r.Lsh(r, 1)
	if c := r.Cmp(den); c > 0 || c == 0 && q.Bit(0) == 1 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// decFit is ±a / 10^scale in a decimal: rounded (ties to even) at the
// largest scale, at most scale and 28, whose coefficient fits in 96 bits;
// an OverflowException where none does.
func decFit(a *big.Int, scale int, neg bool) (Decimal, error) {
	if scale <= decMaxScale && a.Cmp(decTwo96) < 0 {
		if scale < 0 {
			return decFit(new(big.Int).Mul(a, pow10Big(-scale)), 0, neg)
		}
		return decMake(a, scale, neg), nil
	}
	if scale < 0 {
		return decFit(new(big.Int).Mul(a, pow10Big(-scale)), 0, neg)
	}
	k := scale - decMaxScale
	if k < 0 {
		k = 0
	}
	// a has at least (BitLen-1)·log10(2) digits; 29 of them fit
	if est := (a.BitLen()-1)*30103/100000 - 29; est > k {
		k = est
	}
	for ; k <= scale; k++ {
		q := roundQuo(a, pow10Big(k))
		if q.Cmp(decTwo96) < 0 {
			return decMake(q, scale-k, neg), nil
		}
	}
	return Decimal{}, errDecOverflow()
}

// decRat is ±num/den (den > 0) as a decimal: exact where it has at most 28
// places, otherwise rounded at the largest scale whose coefficient fits
// (ties to even); its trailing zeros dropped.
func decRat(num, den *big.Int, neg bool) (Decimal, error) {
	ip := new(big.Int).Quo(num, den)
	digits := len(ip.String())
	if ip.Sign() == 0 {
		digits = 0
	}
	t := 29 - digits
	if t > decMaxScale {
		t = decMaxScale
	}
	for ; t >= 0; t-- {
		q := roundQuo(new(big.Int).Mul(num, pow10Big(t)), den)
		if q.Cmp(decTwo96) < 0 {
			for t > 0 {
				qq, r := new(big.Int).QuoRem(q, bigTen, new(big.Int))
				if r.Sign() != 0 {
					break
				}
				q, t = qq, t-1
			}
			return decMake(q, t, neg), nil
		}
	}
	return Decimal{}, errDecOverflow()
}

// aligned is a's and b's coefficients at the larger of their scales.
func decAligned(a, b Decimal) (x, y *big.Int, scale int) {
	x, y = a.coef(), b.coef()
	switch {
	case a.scale < b.scale:
		x.Mul(x, pow10Big(int(b.scale-a.scale)))
		return x, y, int(b.scale)
	case a.scale > b.scale:
		y.Mul(y, pow10Big(int(a.scale-b.scale)))
	}
	return x, y, int(a.scale)
}

func signed(c *big.Int, neg bool) *big.Int {
	if neg {
		c.Neg(c)
	}
	return c
}

func decAdd(a, b Decimal) (Decimal, error) {
	x, y, s := decAligned(a, b)
	r := new(big.Int).Add(signed(x, a.neg), signed(y, b.neg))
	neg := r.Sign() < 0
	return decFit(r.Abs(r), s, neg)
}

func decSub(a, b Decimal) (Decimal, error) { return decAdd(a, decNeg(b)) }

func decNeg(a Decimal) Decimal {
	if !a.isZero() {
		a.neg = !a.neg
	}
	return a
}

func decMul(a, b Decimal) (Decimal, error) {
	r := new(big.Int).Mul(a.coef(), b.coef())
	return decFit(r, int(a.scale)+int(b.scale), a.neg != b.neg)
}

func decDiv(a, b Decimal) (Decimal, error) {
	if b.isZero() {
		return Decimal{}, errDivZero()
	}
	neg := a.neg != b.neg
	x, y := a.coef(), b.coef()
	if s := int(a.scale) - int(b.scale); s >= 0 {
		if q, r := new(big.Int).QuoRem(x, y, new(big.Int)); r.Sign() == 0 {
			return decFit(q, s, neg)
		}
	} else if q, r := new(big.Int).QuoRem(new(big.Int).Mul(x, pow10Big(-s)), y, new(big.Int)); r.Sign() == 0 {
		return decFit(q, 0, neg)
	}
	num := x.Mul(x, pow10Big(int(b.scale)))
	den := y.Mul(y, pow10Big(int(a.scale)))
	return decRat(num, den, neg)
}

// decRem is a % b as .NET Core 3.0's Decimal.Remainder: a - b·truncate(a/b)
// exactly, with a's sign; a itself (its scale too) where |a| < |b|,
// otherwise at the larger of the two scales.
func decRem(a, b Decimal) (Decimal, error) {
	if b.isZero() {
		return Decimal{}, errDivZero()
	}
	x, y, s := decAligned(a, b)
	if x.Cmp(y) < 0 {
		return a, nil
	}
	r := new(big.Int).Rem(x, y)
	return decFit(r, s, a.neg)
}

// decCmp orders a and b by value.
func decCmp(a, b Decimal) int {
	if a.neg != b.neg {
		if a.neg {
			return -1
		}
		return 1
	}
	var c int
	if a.scale == b.scale && a.hi == 0 && b.hi == 0 {
		c = cmp.Compare(a.lo, b.lo)
	} else {
		x, y, _ := decAligned(a, b)
		c = x.Cmp(y)
	}
	if a.neg {
		return -c
	}
	return c
}

// digits is the coefficient's decimal digits ("0" for zero).
func (d Decimal) digits() string {
	if d.hi == 0 {
		return strconv.FormatUint(d.lo, 10)
	}
	return d.coef().String()
}

// String is ToString(): every digit of the coefficient, the scale's
// places included (1.50m is "1.50"), never an exponent.
func (d Decimal) String() string {
	s := d.digits()
	var b strings.Builder
	if d.neg {
		b.WriteByte('-')
	}
	sc := int(d.scale)
	if sc == 0 {
		b.WriteString(s)
		return b.String()
	}
	if len(s) <= sc {
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", sc-len(s)))
		b.WriteString(s)
		return b.String()
	}
	b.WriteString(s[:len(s)-sc])
	b.WriteByte('.')
	b.WriteString(s[len(s)-sc:])
	return b.String()
}

// buf is d's digits for the number formats: exact (a 5 rounds away from
// zero), trailing zeros dropped.
func (d Decimal) buf() fmtDigits {
	s := d.digits()
	if d.isZero() {
		return fmtDigits{kind: fmtInteger}
	}
	return trimBuf(fmtDigits{dig: []byte(s), scale: len(s) - int(d.scale), neg: d.neg, kind: fmtInteger})
}

// formatDecimalNET is d.ToString(format) as .NET's Number.FormatDecimal
// writes it in the invariant culture: "G" without a precision is
// ToString() (trailing zeros kept, no exponent); "G0" rounds to the
// coefficient's digit count; D, X, R and B are FormatExceptions.
func formatDecimalNET(d Decimal, format string) (string, error) {
	c, prec, err := parseNumFormat(format)
	if err != nil {
		return "", err
	}
	if prec > 99 {
		return "", errPrecision(format)
	}
	if c == 0 {
		return customNumberNET(d.buf(), format), nil
	}
	switch c &^ 0x20 {
	case 'G':
		if prec == -1 {
			return d.String(), nil
		}
		if prec == 0 {
			prec = len(d.digits())
			if d.isZero() {
				prec = 0
			}
		}
		n := d.buf()
		n.round(prec, false)
		var b strings.Builder
		if n.neg {
			b.WriteByte('-')
		}
		general(&b, &n, prec, c-('G'-'E'))
		return b.String(), nil
	case 'C', 'F', 'N', 'P', 'E':
		s, err := standardNumber(d.buf(), c, prec)
		if err == nil && len(s) > MaxString {
			return "", errString
		}
		return s, err
	}
	return "", errBadFormat()
}

// decFromDouble is (decimal)f, .NET's Decimal(Double): f rounded to 15
// significant digits, trailing zeros dropped; NaN, infinities and values
// past decimal's range are an OverflowException; below 1E-28 it is 0.
func decFromDouble(f float64) (Decimal, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= 7.9228162514264338e28 {
		return Decimal{}, errDecOverflow()
	}
	if f == 0 {
		return Decimal{}, nil
	}
	s := strconv.FormatFloat(math.Abs(f), 'e', 14, 64)
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	digs := strings.Replace(mant, ".", "", 1)
	c, _ := new(big.Int).SetString(digs, 10)
	scale := 14 - e // value = c · 10^-scale
	neg := f < 0
	if scale > decMaxScale {
		c = roundQuo(c, pow10Big(scale-decMaxScale))
		scale = decMaxScale
	}
	for scale > 0 {
		q, r := new(big.Int).QuoRem(c, bigTen, new(big.Int))
		if r.Sign() != 0 {
			break
		}
		c, scale = q, scale-1
	}
	return decFit(c, scale, neg)
}

// float is (double)d: the nearest double.
func (d Decimal) float() float64 {
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

// truncInt is d truncated toward zero, as a big integer.
func (d Decimal) truncInt() *big.Int {
	c := d.coef()
	if d.scale > 0 {
		c.Quo(c, pow10Big(int(d.scale)))
	}
	return signed(c, d.neg)
}

// decToInt is (T)d for an integral type T: truncated toward zero; out of
// T's range an OverflowException (in an unchecked context too, as .NET's
// conversions from decimal).
func decToInt(d Decimal, k intKind) (any, error) {
	t := d.truncInt()
	if k == ikULong {
		if t.Sign() < 0 || !t.IsUint64() {
			return nil, convertOverflow(k)
		}
		return t.Uint64(), nil
	}
	if !t.IsInt64() {
		return nil, convertOverflow(k)
	}
	v := int(t.Int64())
	if !k.fits(v) {
		return nil, convertOverflow(k)
	}
	return v, nil
}

// toDecimal is an implicit or explicit conversion of a number to decimal:
// an integral value exactly, a double as .NET's Decimal(Double).
func toDecimal(v any) (Decimal, error) {
	switch x := v.(type) {
	case Decimal:
		return x, nil
	case int:
		return decFromInt(int64(x)), nil
	case int64:
		return decFromInt(x), nil
	case uint64:
		return Decimal{lo: x}, nil
	case float64:
		return decFromDouble(x)
	case string: // a char
		r := []rune(x)
		if len(r) == 1 {
			return decFromInt(int64(r[0])), nil
		}
	case nil:
		return Decimal{}, errNull
	}
	return Decimal{}, castErr(v, "System.Decimal")
}

// decOf is an operand known to be a decimal or an integral value.
func decOf(v any) Decimal {
	d, _ := toDecimal(v)
	return d
}

// decBinop is a decimal operator: an operand of an integral type converts
// implicitly.
func decBinop(op string, l, r any) (any, error) {
	a, b := decOf(l), decOf(r)
	switch op {
	case "+":
		return decAdd(a, b)
	case "-":
		return decSub(a, b)
	case "*":
		return decMul(a, b)
	case "/":
		return decDiv(a, b)
	case "%":
		return decRem(a, b)
	case "<", ">", "<=", ">=":
		return cmpResult(op, decCmp(a, b)), nil
	case "==":
		return decCmp(a, b) == 0, nil
	case "!=":
		return decCmp(a, b) != 0, nil
	}
	return nil, exc("InvalidOperationException", "operator %s is not defined for decimal", op)
}

// decFromBuf is a parsed number as a decimal, as .NET's NumberToDecimal:
// every digit written (trailing zeros too: "1.50" is 1.50), rounded
// (ties to even) at the largest scale, at most 28, that fits; ok false
// past the range (an OverflowException).
func decFromBuf(b *numBuf) (Decimal, bool) {
	if !b.nonZero || b.n == 0 {
		sc := -b.scale
		if sc < 0 {
			sc = 0
		}
		if sc > decMaxScale {
			sc = decMaxScale
		}
		return Decimal{scale: uint8(sc)}, true
	}
	if b.scale > 29 {
		return Decimal{}, false
	}
	n := b.n
	if b.nAll > n {
		n = b.nAll
	}
	digs := string(b.digits[:n])
	if b.tailNZ {
		digs += "1" // a sticky digit: a tie is no tie
		n++
	}
	c, _ := new(big.Int).SetString(digs, 10)
	frac := n - b.scale // value = c · 10^-frac
	if frac < 0 {
		c.Mul(c, pow10Big(-frac))
		frac = 0
	}
	keep := frac
	if b.tailNZ && keep > 0 {
		keep-- // the sticky digit is no place of the value
	}
	if keep > decMaxScale {
		keep = decMaxScale
	}
	if keep < frac {
		if frac-keep > n+1 {
			// c has n digits: c / 10^(frac-keep) is below 0.1 and rounds
			// to 0, which 10^(frac-keep) need not be built for ("1e-99999999999"
			// would take the process's memory and time)
			c = new(big.Int)
		} else {
			c = roundQuo(c, pow10Big(frac-keep))
		}
	}
	d, err := decFit(c, keep, b.neg)
	return d, err == nil
}

// parseDecimalText is decimal.Parse(s) with the Number style (a literal's
// text: Float).
func parseDecimalText(s string, st int) (Decimal, error) {
	v, err := parseNumber(s, st, nkDecimal)
	if err != nil {
		return Decimal{}, err
	}
	return v.(Decimal), nil
}

// decRound is Math.Round(d, decimals, mode) and decimal.Round: d at
// decimals places (unchanged where it has fewer), rounded by mode
// (MidpointRounding: 0 ToEven, 1 AwayFromZero, 2 ToZero, 3
// ToNegativeInfinity, 4 ToPositiveInfinity).
func decRound(d Decimal, decimals int, mode int) (Decimal, error) {
	if decimals < 0 || decimals > decMaxScale {
		return Decimal{}, exc("ArgumentOutOfRangeException", "Decimal can only round to between 0 and 28 digits of precision. (Parameter 'decimals')")
	}
	if mode < 0 || mode > 4 {
		return Decimal{}, exc("ArgumentException", "The value '%d' is not valid for this usage of the type MidpointRounding. (Parameter 'mode')", mode)
	}
	if int(d.scale) <= decimals {
		return d, nil
	}
	p := pow10Big(int(d.scale) - decimals)
	q, r := new(big.Int).QuoRem(d.coef(), p, new(big.Int))
	if r.Sign() != 0 {
		up := false
		switch mode {
		case 0, 1:
			c := new(big.Int).Lsh(r, 1).Cmp(p)
			up = c > 0 || c == 0 && (mode == 1 || q.Bit(0) == 1)
		case 3:
			up = d.neg
		case 4:
			up = !d.neg
		}
		if up {
			q.Add(q, big.NewInt(1))
		}
	}
	return decMake(q, decimals, d.neg), nil
}

// decFloor, decCeiling and decTruncate are Math's: scale 0.
func decTruncate(d Decimal) Decimal { r, _ := decRound(d, 0, 2); return r }
func decFloor(d Decimal) Decimal    { r, _ := decRound(d, 0, 3); return r }
func decCeiling(d Decimal) Decimal  { r, _ := decRound(d, 0, 4); return r }

// decHash is decimal.GetHashCode(): equal values (1.5m, 1.50m) hash alike.
func decHash(d Decimal) int {
	if d.isZero() {
		return 0
	}
	c := d.coef()
	s := int(d.scale)
	for s > 0 {
		q, r := new(big.Int).QuoRem(c, bigTen, new(big.Int))
		if r.Sign() != 0 {
			break
		}
		c, s = q, s-1
	}
	n := decMake(c, s, d.neg)
	flags := uint32(s) << 16
	if n.neg {
		flags |= 1 << 31
	}
	return int(int32(flags ^ n.hi ^ uint32(n.lo>>32) ^ uint32(n.lo)))
}
