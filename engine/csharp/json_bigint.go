package csharp

import (
	"math/big"
	"strconv"
)

// JBigInt is a JSON integer past long's range (12345678901234567890):
// Json.NET's JsonTextReader reads it as a System.Numerics.BigInteger, an
// Integer token (JsonTextReader.ParseReadNumber), which it writes back digit
// for digit. The text is kept as it was read (JSON's integer grammar: an
// optional minus and digits without leading zeros), so it is BigInteger's
// ToString() too. A struct, so expr and the type switches never take it
// for a string.
type JBigInt struct{ text string }

func (b JBigInt) String() string { return b.text }

// MarshalJSON writes the digits (a cached value, a log field).
func (b JBigInt) MarshalJSON() ([]byte, error) { return []byte(b.text), nil }

// maxJSONInteger is Json.NET's MaximumJavascriptIntegerCharacterLength:
// a longer integer is a JsonReaderException (JsonTextReader.cs).
const maxJSONInteger = 380

// jsonNumber is the token of a JSON number's text: an int where it fits
// in a long, a JBigInt where an integer does not, a double otherwise
// (json_fast.go and the Decoder path alike).
func jsonNumber(t string) (any, error) {
	i, err := strconv.ParseInt(t, 10, 64)
	if err == nil {
		return int(i), nil
	}
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && isIntegerText(t) {
		if len(t) > maxJSONInteger {
			return nil, exc("JsonReaderException", "JSON integer %s is too large to parse.", t)
		}
		return JBigInt{text: t}, nil
	}
	return strconv.ParseFloat(t, 64)
}

// isIntegerText: a JSON number without a fraction or an exponent.
func isIntegerText(t string) bool {
	for i := 0; i < len(t); i++ {
		if c := t[i]; (c < '0' || c > '9') && !(i == 0 && c == '-') {
			return false
		}
	}
	return len(t) > 0
}

func (b JBigInt) big() *big.Int {
	n, _ := new(big.Int).SetString(b.text, 10)
	return n
}

// bigConvert is Json.NET's explicit conversion of a BigInteger token
// (JToken.cs: (long)integer, (double)integer, (decimal)integer...), done
// by BigInteger's own operators: a number past the target's range is an
// OverflowException; (double) is the nearest double; (string) the digits.
func bigConvert(b JBigInt, t *Type) (any, error) {
	switch t.K {
	case KInt:
		if t.ik() == ikULong {
			if u, err := strconv.ParseUint(b.text, 10, 64); err == nil {
				return u, nil
			}
		}
		return nil, convertOverflow(t.ik())
	case KBool: // Convert.ToBoolean((int)integer)
		return nil, convertOverflow(ikInt)
	case KDouble:
		f, _ := strconv.ParseFloat(b.text, 64)
		return f, nil
	case KDecimal:
		d, err := parseDecimalText(b.text, nsInteger)
		if err != nil {
			return nil, exc("OverflowException", "Value was either too large or too small for a Decimal.")
		}
		return d, nil
	case KString:
		return b.text, nil
	}
	return nil, exc("ArgumentException", "Can not convert Integer to %s.", t.Name)
}

// bigValue is Value<T>() of a BigInteger token (Extensions.Convert):
// Convert.ChangeType, which BigInteger does not support (it is no
// IConvertible), for any T but a token's own.
func bigValue() error {
	return exc("InvalidCastException", "Object must implement IConvertible.")
}

// bigCmp compares a BigInteger with another number as JValue.Compare
// does (CompareBigInteger): by value, a fraction of the other making it
// larger; ok is false for what is no number.
func bigCmp(b JBigInt, o any) (int, bool) {
	x := b.big()
	switch y := o.(type) {
	case JBigInt:
		return x.Cmp(y.big()), true
	case int:
		return x.Cmp(big.NewInt(int64(y))), true
	case float64:
		if y != y {
			return 1, true
		}
		bf := new(big.Float).SetInt(x)
		return bf.Cmp(big.NewFloat(y)), true
	}
	return 0, false
}
