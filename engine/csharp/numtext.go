package csharp

import (
	"strconv"
	"time"
)

// Numbers, dates and providers as text: ToString(provider) and
// ToString(format, provider), Convert.ToString(value, toBase) and
// Convert.ToString(value, provider), string.Format(provider, format,
// args). Every provider is read as the invariant culture; a DateTime's or
// DateTimeOffset's own text (its "G" form) is the invariant culture's
// (MM/dd/yyyy HH:mm:ss) where the provider is an invariant one, and
// ToString()'s (tollgate's current culture, en-US's form) otherwise.

// invariantDate is a DateTime or DateTimeOffset given to
// string.Format(CultureInfo.InvariantCulture, ...): its text without a
// format is the invariant culture's.
type invariantDate struct{ v any }

func (w invariantDate) format(spec string) (string, error) {
	switch x := w.v.(type) {
	case time.Time:
		return formatDateNET(x, spec, false, true)
	case dateTimeOffset:
		return formatDateNET(x.t, spec, true, true)
	}
	return formatValue(w.v, spec)
}

func (w invariantDate) String() string { return invariantDateText(w.v) }

// invariantDateText is d.ToString(CultureInfo.InvariantCulture).
func invariantDateText(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.Format("01/02/2006 15:04:05")
	case dateTimeOffset:
		return x.t.Format("01/02/2006 15:04:05 -07:00")
	}
	return toStringNET(v)
}

// dateTextWith is d.ToString(provider).
func dateTextWith(v, provider any) string {
	if invariantProvider(provider) {
		return invariantDateText(v)
	}
	return toStringNET(v)
}

// toBaseText is Convert.ToString(value, toBase) of an integral value of
// width bits: base 10 signed, bases 2, 8 and 16 the bits of the value in
// two's complement (lower-case hex), as .NET's ParseNumbers.IntToString.
func toBaseText(v any, base, width int) (string, error) {
	switch base {
	case 2, 8, 10, 16:
	default:
		return "", exc("ArgumentException", "Invalid Base. (Parameter 'toBase')")
	}
	n := int64(intOf(v))
	if base == 10 {
		return strconv.FormatInt(n, 10), nil
	}
	u := uint64(n)
	if width < 64 {
		u &= 1<<uint(width) - 1
	}
	return strconv.FormatUint(u, base), nil
}

// toBaseWidth is the overload of Convert.ToString(value, int) C# picks for
// an integral (or char) argument: byte, short, int or long, by width.
func toBaseWidth(t *Type) (int, bool) {
	if t.Nullable {
		return 0, false
	}
	if t.K == KChar {
		return 32, true
	}
	switch t.ik() {
	case ikByte:
		return 8, true
	case ikSByte, ikShort:
		return 16, true
	case ikUShort, ikInt:
		return 32, true
	case ikUInt, ikLong:
		return 64, true
	}
	return 0, false
}

// convertToBase binds Convert.ToString(value, x): with an int x the
// value's digits in base x, by the overload of the value's type (byte,
// short, int, long: the width its negative values are written in); with an
// IFormatProvider, the value's text.
func (b *binder) convertToBase(n *Call, m *Member, xt *Type) (*Type, bool, error) {
	if xt.K != KStatic || xt.Name != "Convert" || m.Name != "ToString" || len(n.Args) != 2 || n.Args[0].Out || n.Args[1].Out || n.Args[0].Name != "" || n.Args[1].Name != "" {
		return nil, false, nil
	}
	at, err := b.args(n.Args)
	if err != nil {
		return nil, true, err
	}
	switch {
	case at[1].K == KProvider || at[1].K == KNull:
		n.method = byKey["Convert.ToString(object,IFormatProvider)"]
		return tString, true, nil
	case at[1].K == KInt && !at[1].Nullable && intImplicit(at[1].ik(), ikInt):
		w, ok := toBaseWidth(at[0])
		if !ok {
			return nil, true, b.errf(n.Args[0].X.pos(), "cannot convert from '%s' to 'long' (Convert.ToString(value, toBase) takes a byte, short, int or long)", typeName(at[0]))
		}
		n.method = byKey["Convert.ToString(int"+strconv.Itoa(w)+",int)"]
		return tString, true, nil
	}
	return nil, true, b.errf(n.Args[1].X.pos(), "cannot convert from '%s' to 'IFormatProvider'", typeName(at[1]))
}

func registerNumberText() {
	S, P, O := tString, tProvider, tObject
	for _, k := range []Kind{KInt, KDouble} {
		method(k, "ToString", ts(P), S, func(a []any) (any, error) { return callToString(a[0]) }, nil)
		method(k, "ToString", ts(S, P), S, func(a []any) (any, error) {
			f, _ := a[1].(string)
			return formatValue(a[0], f)
		}, nil)
	}
	method(KTimeSpan, "ToString", ts(S, P), S, func(a []any) (any, error) { // culture-invariant: "g" writes "."
		f, _ := a[1].(string)
		return formatValue(a[0], f)
	}, nil)
	method(KDateTime, "ToString", ts(P), S, func(a []any) (any, error) { return dateTextWith(a[0], a[1]), nil }, nil)
	method(KDateTimeOffset, "ToString", ts(P), S, func(a []any) (any, error) { return dateTextWith(a[0], a[1]), nil }, nil)
	for _, w := range []int{8, 16, 32, 64} {
		w := w
		reg(&builtin{key: "Convert.ToString(int" + strconv.Itoa(w) + ",int)", params: ts(tLong, tInt), result: S, run: func(a []any) (any, error) {
			return toBaseText(a[0], toInt(a[1]), w)
		}})
	}
	reg(&builtin{key: "Convert.ToString(object,IFormatProvider)", params: ts(O, P), result: S, run: func(a []any) (any, error) {
		switch a[0].(type) {
		case time.Time, dateTimeOffset:
			return dateTextWith(a[0], a[1]), nil
		}
		return catStr(a[0]), nil
	}})
	// ToString(format, provider) of a date with an invariant provider: the
	// invariant culture's standard patterns
	for _, key := range []string{"DateTime.ToString(string,object)", "DateTimeOffset.ToString(string,object)"} {
		b := byKey[key]
		orig := b.run
		b.run = func(a []any) (any, error) {
			if f, _ := a[1].(string); invariantProvider(a[2]) {
				switch x := a[0].(type) {
				case time.Time:
					return formatDateNET(x, f, false, true)
				case dateTimeOffset:
					return formatDateNET(x.t, f, true, true)
				}
			}
			return orig(a)
		}
	}
	// string.Format(provider, format, args)
	f := staticOverload("string", "Format", ts(P, S, tObjects), S, func(a []any) (any, error) {
		format, err := str(a[1])
		if err != nil {
			return nil, argNull("format")
		}
		args, _ := a[2].([]any)
		if invariantProvider(a[0]) {
			args = append([]any(nil), args...)
			for i, v := range args {
				switch v.(type) {
				case time.Time, dateTimeOffset:
					args[i] = invariantDate{v}
				}
			}
		}
		return formatNET(format, args)
	})
	f.vararg = true
	// first: C# prefers it where the first argument is null and the second a string
	fs := statics["string"]["Format"]
	statics["string"]["Format"] = append([]*builtin{f}, fs[:len(fs)-1]...)
}
