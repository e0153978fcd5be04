package csharp

import (
	"math/big"
	"testing"
)

// decRat is d as an exact rational.
func (d Decimal) rat() *big.Rat {
	r := new(big.Rat).SetFrac(d.coef(), pow10Big(int(d.scale)))
	if d.neg {
		r.Neg(r)
	}
	return r
}

// FuzzDecimal: decimal arithmetic, parsing and formatting never panic;
// a result is within half a unit of its last place of the exact result
// (.NET's rounding to the nearest) with a scale of at most 28; Parse
// reads back what ToString writes, its scale included; the formats
// read back as the value rounded to their places; new decimal(int[])
// and GetBits are each other's inverse.
//
//	go test -run '^$' -fuzz FuzzDecimal -fuzztime 30s -fuzzminimizetime 0 ./engine/csharp/
func FuzzDecimal(f *testing.F) {
	f.Add(uint64(15), uint32(0), uint8(1), false, uint64(3), uint32(0), uint8(0), true, "1.50")
	f.Add(uint64(1<<63), uint32(1<<31), uint8(28), false, uint64(7), uint32(0), uint8(28), false, "79228162514264337593543950335")
	f.Add(uint64(0), uint32(0), uint8(5), true, uint64(1), uint32(0), uint8(0), false, "-0.00")
	f.Add(^uint64(0), ^uint32(0), uint8(0), false, ^uint64(0), ^uint32(0), uint8(0), true, "1e-30")
	f.Fuzz(func(t *testing.T, alo uint64, ahi uint32, as uint8, an bool, blo uint64, bhi uint32, bs uint8, bn bool, s string) {
		a := Decimal{lo: alo, hi: ahi, scale: as % 29, neg: an}
		b := Decimal{lo: blo, hi: bhi, scale: bs % 29, neg: bn}
		if a.isZero() {
			a.neg = false
		}
		if b.isZero() {
			b.neg = false
		}
		exact := map[string]func(x, y *big.Rat) *big.Rat{
			"+": func(x, y *big.Rat) *big.Rat { return new(big.Rat).Add(x, y) },
			"-": func(x, y *big.Rat) *big.Rat { return new(big.Rat).Sub(x, y) },
			"*": func(x, y *big.Rat) *big.Rat { return new(big.Rat).Mul(x, y) },
			"/": func(x, y *big.Rat) *big.Rat { return new(big.Rat).Quo(x, y) },
		}
		for op, ex := range exact {
			v, err := decBinop(op, a, b)
			if err != nil {
				e, ok := err.(*Exception)
				if !ok || e.Type != "OverflowException" && !(op == "/" && e.Type == "DivideByZeroException" && b.isZero()) {
					t.Fatalf("%v %s %v: %v", a, op, b, err)
				}
				continue
			}
			r := v.(Decimal)
			if r.scale > decMaxScale || r.neg && r.isZero() {
				t.Fatalf("%v %s %v = %v: scale %d", a, op, b, r, r.scale)
			}
			diff := new(big.Rat).Sub(r.rat(), ex(a.rat(), b.rat()))
			diff.Abs(diff)
			half := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Mul(big.NewInt(2), pow10Big(int(r.scale))))
			if diff.Cmp(half) > 0 {
				t.Fatalf("%v %s %v = %v: off by %v", a, op, b, r, diff.FloatString(40))
			}
		}
		if !b.isZero() {
			r, err := decRem(a, b)
			if err != nil {
				t.Fatalf("%v %% %v: %v", a, b, err)
			}
			if new(big.Rat).Abs(r.rat()).Cmp(new(big.Rat).Abs(b.rat())) >= 0 {
				t.Fatalf("%v %% %v = %v: not below the divisor", a, b, r)
			}
		}
		if c, d := decCmp(a, b), decCmp(b, a); c != -d || c != a.rat().Cmp(b.rat()) {
			t.Fatalf("compare %v %v: %d %d", a, b, c, d)
		}
		// Parse(ToString(a)) is a, scale and all
		if back, err := parseDecimalText(a.String(), nsNumber); err != nil || back != a {
			t.Fatalf("Parse(%q) = %v (scale %d), %v; want scale %d", a.String(), back, back.scale, err, a.scale)
		}
		for _, format := range []string{"G", "G5", "F", "F0", "N3", "E10", "P", "C1", "0.###", "#,##0.00;(#)"} {
			out, err := formatDecimalNET(a, format)
			if err != nil {
				t.Fatalf("%v.ToString(%q): %v", a, format, err)
			}
			if format == "F" || format == "G" {
				back, err := parseDecimalText(out, nsFloat)
				want, _ := decRound(a, 2, 1)
				if format == "G" {
					want = a
				}
				if err != nil || decCmp(back, want) != 0 {
					t.Fatalf("%v.ToString(%q) = %q reads back as %v, %v", a, format, out, back, err)
				}
			}
		}
		for dec := 0; dec <= 28; dec += 7 {
			for mode := 0; mode <= 4; mode++ {
				r, err := decRound(a, dec, mode)
				if err != nil || int(r.scale) > max(dec, int(a.scale)) {
					t.Fatalf("Round(%v, %d, %d) = %v, %v", a, dec, mode, r, err)
				}
			}
		}
		// any text: no panic, and a value read back as itself
		if v, err := parseNumber(s, nsAny, nkDecimal); err == nil {
			d := v.(Decimal)
			if back, err := parseDecimalText(d.String(), nsNumber); err != nil || back != d {
				t.Fatalf("%q: %v does not read back (%v, %v)", s, d, back, err)
			}
		}
		// new decimal(decimal.GetBits(a)) is a; any four ints are a decimal
		// whose GetBits gives them back (a zero's sign aside) or .NET's
		// ArgumentException
		if back, err := decFromBits(decGetBits(a)); err != nil || back != a {
			t.Fatalf("new decimal(GetBits(%v)) = %v, %v", a, back, err)
		}
		bits := []any{int(int32(alo)), int(int32(alo >> 32)), int(int32(ahi)), int(int32(blo))}
		if v, err := decFromBits(bits); err == nil {
			got := decGetBits(v.(Decimal))
			if v.(Decimal).isZero() {
				got[3] = got[3].(int) | bits[3].(int)&(-1<<31)
			}
			for i := range bits {
				if got[i] != bits[i] {
					t.Fatalf("GetBits(new decimal(%v)) = %v", bits, got)
				}
			}
		} else if e, ok := err.(*Exception); !ok || e.Type != "ArgumentException" {
			t.Fatalf("new decimal(%v): %v", bits, err)
		}
		_, _ = decFromDouble(a.float())
		if h := decHash(a); decCmp(a, b) == 0 && h != decHash(b) {
			t.Fatalf("equal %v and %v hash apart", a, b)
		}
	})
}
