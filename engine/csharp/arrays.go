package csharp

import (
	"encoding/binary"
	"math"
	"sort"
	"strings"
	"unicode/utf16"
)

// System.Array's Empty<T>(), Reverse and Sort, BitConverter's other
// GetBytes overloads and conversions, and System.Single (float), which
// APIM's policy expressions allow ("System.Array | All", "System.Single |
// All"). An array is a list ([]any) or a byte[] at run time, shared as
// .NET shares it: Reverse and Sort change it in place, as Array.Copy does.

// isArrayType reports whether t is an array (T[] or byte[]): what
// System.Array's methods take, where a List<T> is not one.
func isArrayType(t *Type) bool {
	return t.K == KBytes || t.K == KArray && strings.HasSuffix(t.Name, "[]")
}

// arrayStatic binds Array.Empty<T>(), and checks Reverse's and Sort's
// argument is an array (ok false: another call, bound as the tables say).
func (b *binder) arrayStatic(n *Call, m *Member, xt *Type) (*Type, bool, error) {
	if xt.K != KStatic || xt.Name != "Array" && (xt.Name != "Enumerable" || m.Name != "Empty") { // Enumerable.Empty<T>() too
		return nil, false, nil
	}
	switch m.Name {
	case "Empty":
		if len(m.TypeArgs) != 1 {
			return nil, true, b.errf(m.NameOff, "the type arguments for method '%s.Empty<T>()' cannot be inferred from the usage: write %s.Empty<string>()", xt.Name, xt.Name)
		}
		if len(n.Args) != 0 {
			return nil, true, b.errf(m.NameOff, "no overload for method 'Empty' takes %d arguments", len(n.Args))
		}
		et, ok := b.m.lookupTypeRef(m.TypeArgs[0])
		if !ok {
			return nil, true, b.unknownType(m.TypeArgs[0])
		}
		if et == tByte {
			n.method = emptyBytes
			return tBytes, true, nil
		}
		n.method = emptyArray
		return arrayOf(et), true, nil
	case "Copy":
		// it changes an array in place: the interpreter's, which makes an
		// array literal anew each run (the lowered program may hold one
		// literal as a constant for every run)
		b.needInterp("Array." + m.Name)
	case "Reverse", "Sort":
		b.needInterp("Array." + m.Name)
		if len(n.Args) == 0 || n.Args[0].Out || n.Args[0].Name != "" {
			return nil, false, nil
		}
		at, err := b.expr(n.Args[0].X)
		if err != nil {
			return nil, true, err
		}
		if !isArrayType(at) && at.K != KNull {
			return nil, true, b.errf(n.Args[0].X.pos(), "cannot convert from '%s' to 'System.Array'%s", typeName(at), map[bool]string{true: " (a list has its own Reverse() and Sort())"}[at.K == KArray])
		}
	}
	return nil, false, nil
}

var emptyArray, emptyBytes *builtin

// sortItems sorts xs in place by .NET's default comparer: numbers by
// value, strings culture-sensitively, nulls first; items that are not
// comparable are .NET's InvalidOperationException.
func sortItems(xs []any) error {
	var bad error
	sort.SliceStable(xs, func(i, j int) bool {
		a, b := xs[i], xs[j]
		switch {
		case a == nil:
			return b != nil
		case b == nil:
			return false
		}
		c, err := compareNET(a, b)
		if err != nil && bad == nil {
			bad = exc("InvalidOperationException", "Failed to compare two elements in the array.")
		}
		return c < 0
	})
	return bad
}

// reverseRange reverses v's items from index, count of them, in place.
func reverseRange(v any, index, count int) error {
	n := copyLen(v)
	switch {
	case v == nil:
		return argNull("array")
	case n < 0:
		return castErr(v, "System.Array")
	case index < 0 || count < 0:
		p := "index"
		if index >= 0 {
			p = "length"
		}
		return exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter '%s')", p)
	case n-index < count:
		return exc("ArgumentException", "Offset and length were out of bounds for the array or count is greater than the number of elements from index to the end of the source collection.")
	}
	for i, j := index, index+count-1; i < j; i, j = i+1, j-1 {
		switch x := v.(type) {
		case []any:
			x[i], x[j] = x[j], x[i]
		case []byte:
			x[i], x[j] = x[j], x[i]
		}
	}
	return nil
}

// toU64 is an integral value's bits (a ulong past long's range is a
// uint64 at run time).
func toU64(v any) uint64 {
	if u, ok := v.(uint64); ok {
		return u
	}
	return uint64(toInt(v))
}

// getBytesOrder is the GetBytes overload C# picks for an argument of
// another integral type: byte and sbyte widen to short, the first of the
// better conversions.
var getBytesFor = map[string]string{"byte": "short", "sbyte": "short"}

// getBytes binds BitConverter.GetBytes(x) to the overload of x's type, as
// C#'s overload resolution picks the identity conversion (ok false:
// another call).
func (b *binder) getBytes(n *Call, m *Member, xt *Type) (*Type, bool, error) {
	if xt.K != KStatic || xt.Name != "BitConverter" || m.Name != "GetBytes" || len(n.Args) != 1 || n.Args[0].Out || n.Args[0].Name != "" {
		return nil, false, nil
	}
	at, err := b.expr(n.Args[0].X)
	if err != nil {
		return nil, true, err
	}
	name := at.Name
	if at.Nullable {
		name = ""
	}
	if w, ok := getBytesFor[name]; ok {
		name = w
	}
	bi := byKey["BitConverter.GetBytes("+name+")"]
	if bi == nil {
		return nil, true, b.errf(n.Args[0].X.pos(), "cannot convert from '%s' to 'int' (BitConverter.GetBytes takes a bool, char, short, ushort, int, uint, long, ulong or double)", typeName(at))
	}
	n.method = bi
	return tBytes, true, nil
}

func registerArrays() {
	emptyArray = reg(&builtin{key: "Array.Empty", result: tObjects, run: func([]any) (any, error) { return []any{}, nil }})
	emptyBytes = reg(&builtin{key: "Array.Empty<byte>", result: tBytes, run: func([]any) (any, error) { return []byte{}, nil }})
	static("Array", "Reverse", ts(tObject), tVoid, func(a []any) (any, error) {
		return nil, reverseRange(a[0], 0, max(copyLen(a[0]), 0))
	}, nil)
	static("Array", "Reverse", ts(tObject, tInt, tInt), tVoid, func(a []any) (any, error) {
		return nil, reverseRange(a[0], toInt(a[1]), toInt(a[2]))
	}, nil)
	static("Array", "Sort", ts(tObject), tVoid, func(a []any) (any, error) {
		switch x := a[0].(type) {
		case nil:
			return nil, argNull("array")
		case []byte:
			sort.Slice(x, func(i, j int) bool { return x[i] < x[j] })
			return nil, nil
		case []any:
			return nil, sortItems(x)
		}
		return nil, castErr(a[0], "System.Array")
	}, nil)

	// BitConverter: little-endian, as .NET on x86 and x64
	getBytes := func(t *Type, run func(v any) []byte) {
		b := reg(&builtin{key: "BitConverter.GetBytes(" + t.Name + ")", params: ts(t), result: tBytes, run: func(a []any) (any, error) { return run(a[0]), nil }})
		statics["BitConverter"]["GetBytes"] = append(statics["BitConverter"]["GetBytes"], b)
	}
	le := binary.LittleEndian
	getBytes(tShort, func(v any) []byte { return le.AppendUint16(nil, uint16(toInt(v))) })
	getBytes(tUShort, func(v any) []byte { return le.AppendUint16(nil, uint16(toInt(v))) })
	getBytes(tUInt, func(v any) []byte { return le.AppendUint32(nil, uint32(toInt(v))) })
	getBytes(tLong, func(v any) []byte { return le.AppendUint64(nil, toU64(v)) })
	getBytes(tULong, func(v any) []byte { return le.AppendUint64(nil, toU64(v)) })
	getBytes(tDouble, func(v any) []byte { return le.AppendUint64(nil, math.Float64bits(toFloat(v))) })
	getBytes(tChar, func(v any) []byte {
		s, _ := v.(string)
		u := utf16.Encode([]rune(s))
		if len(u) == 0 {
			return []byte{0, 0}
		}
		return le.AppendUint16(nil, u[0])
	})
	bitConverterAt("ToDouble", tDouble, 8, func(b []byte) any { return math.Float64frombits(le.Uint64(b)) })
	bitConverterAt("ToSingle", tDouble, 4, func(b []byte) any { return float64(math.Float32frombits(le.Uint32(b))) })
	bitConverterAt("ToChar", tChar, 2, func(b []byte) any { return string(utf16.Decode([]uint16{le.Uint16(b)})) })
	bitConverterAt("ToBoolean", tBool, 1, func(b []byte) any { return b[0] != 0 })
	staticProp("BitConverter", "IsLittleEndian", tBool, func([]any) (any, error) { return true, nil }, nil)
	static("BitConverter", "DoubleToInt64Bits", ts(tDouble), tLong, func(a []any) (any, error) { return int(int64(math.Float64bits(toFloat(a[0])))), nil }, nil)
	static("BitConverter", "Int64BitsToDouble", ts(tLong), tDouble, func(a []any) (any, error) { return math.Float64frombits(toU64(a[0])), nil }, nil)

	// float and Single: double's statics (a float is a double here), with
	// Single's own limits
	for _, name := range []string{"float", "Single"} {
		st, sp := table{}, map[string]*builtin{}
		for k, v := range statics["double"] {
			st[k] = v
		}
		for k, v := range staticProps["double"] {
			sp[k] = v
		}
		statics[name], staticProps[name] = st, sp
		for p, v := range map[string]float64{"MaxValue": math.MaxFloat32, "MinValue": -math.MaxFloat32, "Epsilon": math.SmallestNonzeroFloat32} {
			v := v
			staticProps[name][p] = reg(&builtin{key: name + "." + p, result: tDouble, run: func([]any) (any, error) { return v, nil }})
		}
	}
}

// bitConverterAt registers BitConverter.name(value, startIndex) of result
// type t: conv of the size bytes at startIndex, after .NET's argument
// checks.
func bitConverterAt(name string, t *Type, size int, conv func(b []byte) any) {
	static("BitConverter", name, ts(tBytes, tInt), t, func(a []any) (any, error) {
		b, ok := a[0].([]byte)
		if !ok {
			return nil, argNull("value")
		}
		i := toInt(a[1])
		if i < 0 || i >= len(b) {
			return nil, exc("ArgumentOutOfRangeException", "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'startIndex')")
		}
		if i > len(b)-size {
			return nil, exc("ArgumentException", "Destination array is not long enough to copy all the items in the collection. Check array index and length. (Parameter 'value')")
		}
		return conv(b[i : i+size]), nil
	}, nil)
}
