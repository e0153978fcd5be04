package csharp

import (
	"math"
	"strconv"
	"strings"
)

// Convert.ToInt16, ToUInt16, ToSByte, ToUInt32, ToUInt64 and ToSingle,
// which APIM's table of allowed types lists ("System.Convert | All"):
// .NET's conversions of an object, a value past the type's range an
// OverflowException.

// convertToIntKind is Convert.ToInt16(object) and the others: null is 0, a
// bool 1 or 0, a string parsed (FormatException), a double or a decimal
// rounded to even.
func convertToIntKind(v any, k intKind) (any, error) {
	n := 0
	switch x := v.(type) {
	case Decimal:
		return decConvertInt(x, k) // decimal_reg.go
	case nil:
	case bool:
		if x {
			n = 1
		}
	case string:
		if k == ikULong {
			t := strings.TrimSpace(x)
			u, err := strconv.ParseUint(strings.TrimPrefix(t, "+"), 10, 64)
			if err != nil {
				if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange || strings.HasPrefix(t, "-") && strings.Trim(t[1:], "0") != "" && strings.Trim(t[1:], "0123456789") == "" {
					return nil, convertOverflow(k)
				}
				if strings.HasPrefix(t, "-") && t[1:] != "" && strings.Trim(t[1:], "0") == "" {
					return uint64(0), nil // "-0"
				}
				return nil, formatErr(x)
			}
			return u, nil
		}
		p, err := parseIntNET(x, 64)
		if err != nil {
			if e, ok := err.(*Exception); ok && e.Type == "OverflowException" {
				return nil, convertOverflow(k)
			}
			return nil, err
		}
		n = p
	case float64:
		if k == ikULong && x >= two63 && x < 2*two63 {
			return uint64(math.RoundToEven(x)), nil
		}
		r, err := roundToIntNET(x, 64)
		if err != nil {
			return nil, convertOverflow(k)
		}
		n = r
	case uint64:
		if k == ikULong {
			return x, nil
		}
		return nil, convertOverflow(k)
	default:
		n = toInt(v)
	}
	r, err := intToKind(n, k, true)
	if err != nil {
		return nil, convertOverflow(k)
	}
	return r, nil
}

func registerConvertMore() {
	for name, t := range map[string]*Type{"ToInt16": tShort, "ToUInt16": tUShort, "ToSByte": tSByte, "ToUInt32": tUInt, "ToUInt64": tULong} {
		k := t.IK
		static("Convert", name, ts(tObject), t, func(a []any) (any, error) { return convertToIntKind(a[0], k) }, nil)
	}
	// ToSingle: a float is a double here, rounded to float's precision
	static("Convert", "ToSingle", ts(tObject), tDouble, func(a []any) (any, error) {
		switch x := a[0].(type) {
		case nil:
			return 0.0, nil
		case bool:
			if x {
				return 1.0, nil
			}
			return 0.0, nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 32)
			if err != nil {
				if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
					return f, nil // ±Infinity, as .NET Core 3.0 and later parse it
				}
				return nil, formatErr(x)
			}
			return f, nil
		}
		return float64(float32(toFloat(a[0]))), nil
	}, nil)
}
