package csharp

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// FuzzNumberStyles: T.Parse(s, style) never panics, gives a value in T's
// range or one of .NET's exceptions, agrees with TryParse's reading of
// the same text (both run the same code: the value, or false for a
// FormatException or OverflowException), and reads what a plain integer,
// a hex number and a double print back as themselves.
//
//	go test -run '^$' -fuzz FuzzNumberStyles -fuzztime 20s -fuzzminimizetime 0 ./engine/csharp/
func FuzzNumberStyles(f *testing.F) {
	for _, s := range []string{"12", " -1,234.50e-1 ", "(¤1,000)", "FFFFFFFF", "0x1A", "1e9999999999", "-0.0", "12\x00", "Infinity",
		"79228162514264337593543950335.5", "+-1", "1-", "   ", ".", "1,,2", "\u00a012", "10101"} {
		for _, st := range []int{nsInteger, nsHexNumber, nsBinaryNumber, nsNumber, nsFloat, nsCurrency, nsAny, 0, nsAllowTrailingSign | nsAllowParentheses} {
			f.Add(s, st, uint8(ikInt))
		}
	}
	f.Add("18446744073709551615", nsAny, uint8(ikULong))
	f.Add("-128", nsInteger, uint8(ikSByte))
	f.Add("1e400", nsFloat, uint8(nkDouble))
	f.Add("-0.000", nsFloat, uint8(nkDouble))
	f.Add("1.5-", nsFloat|nsAllowTrailingSign, uint8(nkDouble))
	f.Add("123456789012345678901234567890e-10", nsFloat, uint8(nkDouble))
	f.Add("1.5", nsNumber, uint8(nkDecimal))
	f.Fuzz(func(t *testing.T, s string, st int, kind uint8) {
		k := numKind(kind)
		switch {
		case k >= numKind(ikSByte) && k <= numKind(ikULong), k == nkDouble, k == nkDecimal:
		default:
			return
		}
		v, err := parseNumber(s, st, k)
		if err != nil {
			e, ok := err.(*Exception)
			if !ok {
				t.Fatalf("%q, %d, %d: %v is not a .NET exception", s, st, k, err)
			}
			switch e.Type {
			case "FormatException", "OverflowException":
			case "ArgumentException":
				if checkNumberStyles(st, k) == nil {
					t.Fatalf("%q, %d: ArgumentException for valid styles: %v", s, st, err)
				}
			default:
				t.Fatalf("%q, %d, %d: %v", s, st, k, err)
			}
			return
		}
		if k == nkDouble && checkNumberStyles(st, k) == nil {
			// the two readings of a plain text agree: strconv's, and the
			// digits .NET's scan kept
			var b numBuf
			if scanNumber(s, st, k, &b) {
				if f, ok := plainFloat(s); ok && math.Float64bits(f) != math.Float64bits(bufFloat(&b)) {
					t.Fatalf("%q, %d: strconv reads %v, the scanned digits %v", s, st, f, bufFloat(&b))
				}
			}
		}
		switch x := v.(type) {
		case int:
			if k == nkDouble || k == nkDecimal || !intKind(k).fits(x) || intKind(k) == ikULong {
				t.Fatalf("%q, %d, %d: %d out of the type's range", s, st, k, x)
			}
		case uint64:
			if intKind(k) != ikULong {
				t.Fatalf("%q, %d, %d: a uint64 for another type", s, st, k)
			}
		case float64:
			if k != nkDouble {
				t.Fatalf("%q, %d, %d: a float for another type than double", s, st, k)
			}
		case Decimal:
			if k != nkDecimal || x.scale > decMaxScale || x.neg && x.isZero() {
				t.Fatalf("%q, %d, %d: decimal %v (scale %d) for kind %d", s, st, k, x, x.scale, k)
			}
		default:
			t.Fatalf("%q: %T", s, v)
		}
	})
}

// FuzzNumberStylesRoundTrip: what .NET prints, Parse reads back: an
// integer in decimal (with thousands separators under Number), in hex
// under HexNumber (its bits), and a double's shortest text under Float.
func FuzzNumberStylesRoundTrip(f *testing.F) {
	f.Add(int64(0), 0.0)
	f.Add(int64(-1), 1e-300)
	f.Add(int64(math.MinInt64), math.MaxFloat64)
	f.Add(int64(123456789), -0.1)
	f.Fuzz(func(t *testing.T, n int64, d float64) {
		v, err := parseNumber(strconv.FormatInt(n, 10), nsInteger, numKind(ikLong))
		if err != nil || v != int(n) {
			t.Fatalf("long.Parse(%d) = %v, %v", n, v, err)
		}
		v, err = parseNumber(strings.ToUpper(strconv.FormatUint(uint64(n), 16)), nsHexNumber, numKind(ikLong))
		if err != nil || v != int(n) {
			t.Fatalf("long.Parse(%x, HexNumber) = %v, %v", uint64(n), v, err)
		}
		v, err = parseNumber(strconv.FormatUint(uint64(n), 2), nsBinaryNumber, numKind(ikULong))
		if err != nil || v != uint64(n) {
			t.Fatalf("ulong.Parse(%b, BinaryNumber) = %v, %v", uint64(n), v, err)
		}
		v, err = parseNumber(thousands(n), nsNumber, numKind(ikLong))
		if err != nil || v != int(n) {
			t.Fatalf("long.Parse(%q, Number) = %v, %v", thousands(n), v, err)
		}
		if int64(int32(n)) == n {
			v, err = parseNumber(strconv.FormatInt(n, 10), nsInteger, numKind(ikInt))
			if err != nil || v != int(n) {
				t.Fatalf("int.Parse(%d) = %v, %v", n, v, err)
			}
		} else if _, err = parseNumber(strconv.FormatInt(n, 10), nsInteger, numKind(ikInt)); excText(err) != "OverflowException: Value was either too large or too small for an Int32." {
			t.Fatalf("int.Parse(%d): %v", n, err)
		}
		if math.IsNaN(d) || math.IsInf(d, 0) {
			return
		}
		for _, text := range []string{strconv.FormatFloat(d, 'g', -1, 64), strconv.FormatFloat(d, 'f', -1, 64), strconv.FormatFloat(d, 'E', -1, 64)} {
			v, err = parseNumber(text, nsFloat|nsAllowThousands, nkDouble)
			if err != nil || v != d {
				t.Fatalf("double.Parse(%q) = %v, %v; want %v", text, v, err, d)
			}
		}
	})
}

// thousands is n with "," between groups of three digits (N0's form).
func thousands(n int64) string {
	s := strconv.FormatUint(uint64(n), 10)
	neg := n < 0
	if neg {
		s = strconv.FormatUint(uint64(-n), 10)
		if n == math.MinInt64 {
			s = "9223372036854775808"
		}
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
