package csharp

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"
)

// More of .NET that APIM policies use: DayOfWeek, Enumerable.Range and
// Repeat, Convert.ToDouble, TimeSpan.Parse, string's char overloads of
// Contains, StartsWith and EndsWith, and List's IndexOf.

// dayOfWeek is System.DayOfWeek at run time (Sunday = 0).
type dayOfWeek int

var dayNames = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

func (d dayOfWeek) String() string {
	if d >= 0 && int(d) < len(dayNames) {
		return dayNames[d]
	}
	return strconv.Itoa(int(d))
}

// maxRange bounds Enumerable.Range and Repeat, which are lazy in .NET and
// made whole here.
const maxRange = 100000

func registerMore() {
	S, I, B, C, D := tString, tInt, tBool, tChar, tDouble
	prop(KDateTime, "DayOfWeek", tDayOfWeek, func(a []any) (any, error) {
		t, ok := a[0].(time.Time)
		if !ok {
			return nil, errNull
		}
		return dayOfWeek(t.Weekday()), nil
	}, nil)
	for i, name := range dayNames {
		d := dayOfWeek(i)
		staticProp("DayOfWeek", name, tDayOfWeek, func([]any) (any, error) { return d, nil }, nil)
	}
	method(KDayOfWeek, "ToString", ts(), S, func(a []any) (any, error) { return callToString(a[0]) }, nil)
	method(KDayOfWeek, "Equals", ts(tObject), B, func(a []any) (any, error) { return a[0] == a[1], nil }, nil)

	static("Enumerable", "Range", ts(I, I), arrayOf(I), func(a []any) (any, error) {
		start, count := toInt(a[0]), toInt(a[1])
		if count < 0 || int64(start)+int64(count)-1 > math.MaxInt32 {
			return nil, exc("ArgumentOutOfRangeException", "Specified argument was out of the range of valid values. (Parameter 'count')")
		}
		if count > maxRange {
			return nil, exc("InvalidOperationException", "a sequence of more than %d items (Enumerable.Range is made whole in tollgate)", maxRange)
		}
		out := make([]any, count)
		for i := range out {
			out[i] = start + i
		}
		return out, nil
	}, nil)
	static("Enumerable", "Repeat", ts(tObject, I), tObjects, func(a []any) (any, error) {
		count := toInt(a[1])
		if count < 0 {
			return nil, exc("ArgumentOutOfRangeException", "Specified argument was out of the range of valid values. (Parameter 'count')")
		}
		if count > maxRange {
			return nil, exc("InvalidOperationException", "a sequence of more than %d items (Enumerable.Repeat is made whole in tollgate)", maxRange)
		}
		out := make([]any, count)
		for i := range out {
			out[i] = a[0]
		}
		return out, nil
	}, nil)

	static("Convert", "ToDouble", ts(tObject), D, func(a []any) (any, error) {
		switch x := a[0].(type) {
		case nil:
			return 0.0, nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
					return nil, exc("OverflowException", "Value was either too large or too small for a Double.")
				}
				return nil, formatErr(x)
			}
			return f, nil
		case bool:
			if x {
				return 1.0, nil
			}
			return 0.0, nil
		}
		return toFloat(a[0]), nil
	}, nil)

	staticProp("TimeSpan", "Zero", tTimeSpan, func([]any) (any, error) { return time.Duration(0), nil }, nil)
	static("TimeSpan", "Parse", ts(S), tTimeSpan, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("input")
		}
		return parseTimeSpan(s)
	}, nil)

	for name, f := range map[string]func(s, t string) bool{"Contains": strings.Contains, "StartsWith": strings.HasPrefix, "EndsWith": strings.HasSuffix} {
		method(KString, name, ts(C), B, s2(func(s, t string) (any, error) { return f(s, t), nil }), nil)
	}

	// DateTime from ticks: Kind Unspecified, as the constructor makes it.
	static("DateTime", "new", ts(tLong), tDateTime, func(a []any) (any, error) {
		n := int64(toInt(a[0]))
		if n < 0 || n > maxTicks {
			return nil, exc("ArgumentOutOfRangeException", "Ticks must be between DateTime.MinValue.Ticks and DateTime.MaxValue.Ticks. (Parameter 'ticks')")
		}
		return addTicks(netMinDate.In(locUnspecified), n)
	}, nil)
	registerDateTimeOffset()

	method(KString, "Replace", ts(C, C), S, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, errNull
		}
		from, _ := a[1].(string)
		to, _ := a[2].(string)
		return strings.ReplaceAll(s, from, to), nil
	}, nil)

	static("Convert", "ToByte", ts(tObject), tByte, func(a []any) (any, error) {
		var n int
		switch x := a[0].(type) {
		case nil:
			return 0, nil
		case Decimal:
			return decConvertInt(x, ikByte) // decimal_reg.go
		case string:
			v, err := parseIntNET(x, 32)
			if err != nil {
				return nil, err
			}
			n = toInt(v)
		case float64:
			v, err := roundToIntNET(x, 32)
			if err != nil {
				return nil, err
			}
			n = toInt(v)
		default:
			n = toInt(a[0])
		}
		if n < 0 || n > 255 {
			return nil, exc("OverflowException", "Value was either too large or too small for an unsigned byte.")
		}
		return n, nil
	}, nil)

	// BitConverter.ToInt16 ... ToUInt64: little-endian, as on x64
	le := binary.LittleEndian
	bitConverterAt("ToInt16", tShort, 2, func(b []byte) any { return int(int16(le.Uint16(b))) })
	bitConverterAt("ToUInt16", tUShort, 2, func(b []byte) any { return int(le.Uint16(b)) })
	bitConverterAt("ToInt32", tInt, 4, func(b []byte) any { return int(int32(le.Uint32(b))) })
	bitConverterAt("ToUInt32", tUInt, 4, func(b []byte) any { return int(le.Uint32(b)) })
	bitConverterAt("ToInt64", tLong, 8, func(b []byte) any { return int(int64(le.Uint64(b))) })
	bitConverterAt("ToUInt64", tULong, 8, func(b []byte) any { return le.Uint64(b) })
	method(KArray, "IndexOf", ts(tObject), I, func(a []any) (any, error) {
		it, err := items(a[0])
		if err != nil {
			return nil, errNull
		}
		for i, x := range it {
			if equalNET(x, a[1]) {
				return i, nil
			}
		}
		return -1, nil
	}, nil)
}

// parseTimeSpan is TimeSpan.Parse for the invariant culture:
// [ws][-]{ d | [d.]hh:mm[:ss[.fffffff]] }[ws].
func parseTimeSpan(in string) (time.Duration, error) {
	bad := func() (time.Duration, error) {
		return 0, exc("FormatException", "String '%s' was not recognized as a valid TimeSpan.", in)
	}
	over := func() (time.Duration, error) {
		return 0, exc("OverflowException", "The TimeSpan string '%s' could not be parsed because at least one of the numeric components is out of range or contains too many digits.", in)
	}
	s := strings.TrimSpace(in)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	num := func(p string, max int64) (int64, bool, bool) { // value, ok, in range
		if p == "" || len(p) > 10 {
			return 0, false, true
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false, true
			}
		}
		v, _ := strconv.ParseInt(p, 10, 64)
		return v, true, v <= max
	}
	var days, h, m, sec, frac int64
	if !strings.Contains(s, ":") {
		d, ok, in := num(s, 10675199)
		if !ok {
			return bad()
		}
		if !in {
			return over()
		}
		days = d
	} else {
		dayDot := false
		if i := strings.IndexByte(s, '.'); i >= 0 && i < strings.IndexByte(s, ':') {
			d, ok, in := num(s[:i], 10675199)
			if !ok {
				return bad()
			}
			if !in {
				return over()
			}
			days, s, dayDot = d, s[i+1:], true
		}
		parts := strings.Split(s, ":")
		if len(parts) == 4 && !dayDot { // d:hh:mm:ss[.ff], .NET's "g" form: 6:12:14:45 is 6.12:14:45
			d, ok, in := num(parts[0], 10675199)
			if !ok {
				return bad()
			}
			if !in {
				return over()
			}
			days, parts = d, parts[1:]
		}
		if len(parts) < 2 || len(parts) > 3 {
			return bad()
		}
		if len(parts) == 3 {
			if i := strings.IndexByte(parts[2], '.'); i >= 0 {
				f := parts[2][i+1:]
				if f == "" || len(f) > 7 {
					return bad()
				}
				v, ok, _ := num(f, math.MaxInt64)
				if !ok {
					return bad()
				}
				frac = v * int64(math.Pow10(7-len(f)))
				parts[2] = parts[2][:i]
			}
		}
		limits := []int64{23, 59, 59}
		vals := []*int64{&h, &m, &sec}
		for i, p := range parts {
			v, ok, in := num(p, limits[i])
			if !ok {
				return bad()
			}
			if !in {
				return over()
			}
			*vals[i] = v
		}
	}
	// in uint64: 10675199.23:59:59 is past long.MaxValue ticks
	ticks := ((uint64(days)*24+uint64(h))*60+uint64(m))*60*10_000_000 + uint64(sec)*10_000_000 + uint64(frac)
	switch {
	case !neg && ticks > math.MaxInt64, neg && ticks > math.MaxInt64+1:
		return over()
	case neg:
		return ticksSpan(int64(-ticks)) // -(MaxInt64+1) wraps to MinInt64: TimeSpan.MinValue
	}
	return ticksSpan(int64(ticks))
}

// staticAsInstance rewrites a static call that is an instance call in
// other words: Array.Exists(a, p) is a.Any(p), Array.IndexOf(a, v) is
// a.IndexOf(v), and ExpressionSyntaxExtensions.AsJwt(s) (APIM's extension
// methods called as statics) is s.AsJwt(). nil when n is none of them.
func staticAsInstance(n *Call, m *Member, typ string) *Call {
	if len(n.Args) == 0 || n.Args[0].Out || n.Args[0].Name != "" {
		return nil
	}
	as := map[string]map[string]string{
		"Array":                      {"Exists": "Any", "TrueForAll": "All", "Find": "FirstOrDefault", "FindLast": "LastOrDefault", "IndexOf": "IndexOf"},
		"ExpressionSyntaxExtensions": {"AsJwt": "AsJwt", "TryParseJwt": "TryParseJwt", "AsBasic": "AsBasic", "TryParseBasic": "TryParseBasic"},
	}[typ][m.Name]
	if as == "" {
		if typ == "Array" && m.Name == "FindAll" && len(n.Args) == 2 { // a.Where(p).ToArray()
			where := &Call{node: n.node, F: &Member{node: m.node, X: n.Args[0].X, Name: "Where", NameOff: m.NameOff}, Args: n.Args[1:]}
			return &Call{node: n.node, F: &Member{node: m.node, X: where, Name: "ToArray", NameOff: m.NameOff}}
		}
		return nil
	}
	return &Call{node: n.node, F: &Member{node: m.node, X: n.Args[0].X, Name: as, NameOff: m.NameOff}, Args: n.Args[1:]}
}

// registerMoreDotNet: small .NET members community snippets use.
func registerMoreDotNet() {
	registerParseExact()
	registerSixthBatch()
	// CultureInfo: every format and parse here is culture-invariant, so a
	// provider changes nothing.
	for _, c := range []string{"InvariantCulture", "CurrentCulture", "InvariantUICulture"} {
		name := c
		staticProp("CultureInfo", c, tObject, func([]any) (any, error) { return name, nil }, nil)
	}
	for _, typ := range []string{"int", "long", "double", "DateTime", "Guid"} {
		for _, b := range append([]*builtin(nil), statics[typ]["Parse"]...) {
			if len(b.params) != 1 {
				continue
			}
			orig := b
			static(typ, "Parse", ts(tString, tObject), b.result, func(a []any) (any, error) { return orig.run(a[:1]) }, nil)
		}
	}
	prop(KDateTime, "Date", tDateTime, func(a []any) (any, error) {
		t := a[0].(time.Time)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location()), nil
	}, nil)
	// BitConverter.GetBytes overloads share an arity: keyed by type.
	getBytes := func(t *Type, run func(a []any) (any, error)) {
		if statics["BitConverter"] == nil {
			statics["BitConverter"] = table{}
		}
		b := reg(&builtin{key: "BitConverter.GetBytes(" + t.Name + ")", params: ts(t), result: tBytes, run: run})
		statics["BitConverter"]["GetBytes"] = append(statics["BitConverter"]["GetBytes"], b)
	}
	getBytes(tInt, func(a []any) (any, error) {
		return binary.LittleEndian.AppendUint32(nil, uint32(int32(toInt(a[0])))), nil
	})
	// (the other overloads: arrays.go, which picks one by the argument's type)
	getBytes(tBool, func(a []any) (any, error) {
		if a[0] == true {
			return []byte{1}, nil
		}
		return []byte{0}, nil
	})
}

// registerSixthBatch: members a sixth batch of community snippets used
// (char case, Convert.ToChar and ToHexString, Math.Truncate and logs,
// decimal.Round, double.IsNaN, Guid.Empty, new TimeSpan, DateTime.Compare).
func registerSixthBatch() {
	S, I, D, B, C := tString, tInt, tDouble, tBool, tChar
	for name, f := range map[string]func(string) string{"ToUpper": strings.ToUpper, "ToLower": strings.ToLower,
		"ToUpperInvariant": strings.ToUpper, "ToLowerInvariant": strings.ToLower} {
		f := f
		static("char", name, ts(C), C, func(a []any) (any, error) {
			s, _ := a[0].(string)
			return f(s), nil
		}, nil)
	}
	static("Convert", "ToChar", ts(I), C, func(a []any) (any, error) {
		n := toInt(a[0])
		if n < 0 || n > 0xFFFF {
			return nil, exc("OverflowException", "Value was either too large or too small for a character.")
		}
		return string(rune(n)), nil
	}, nil)
	static("Convert", "ToHexString", ts(tBytes), S, func(a []any) (any, error) {
		b, err := bytesArg(a[0])
		if err != nil {
			return nil, err
		}
		return strings.ToUpper(hex.EncodeToString(b)), nil
	}, nil)
	static("Convert", "FromHexString", ts(S), tBytes, func(a []any) (any, error) {
		s, _ := a[0].(string)
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, exc("FormatException", "The input is not a valid hex string as it contains a non-hex character, or its length is odd.")
		}
		return b, nil
	}, nil)
	for name, f := range map[string]func(float64) float64{"Truncate": math.Trunc, "Log10": math.Log10, "Exp": math.Exp, "Log": math.Log} {
		f := f
		static("Math", name, ts(D), D, func(a []any) (any, error) { return f(toFloat(a[0])), nil }, nil)
	}
	static("Math", "Sign", ts(D), I, func(a []any) (any, error) {
		switch v := toFloat(a[0]); {
		case v > 0:
			return 1, nil
		case v < 0:
			return -1, nil
		}
		return 0, nil
	}, nil)
	for _, r := range statics["Math"]["Round"] {
		orig := r
		static("double", "Round", orig.params, orig.result, orig.run, nil) // double.Round (.NET 7's); decimal.Round: decimal_reg.go
	}
	for name, f := range map[string]func(float64) bool{"IsNaN": math.IsNaN, "IsInfinity": func(v float64) bool { return math.IsInf(v, 0) },
		"IsPositiveInfinity": func(v float64) bool { return math.IsInf(v, 1) }, "IsNegativeInfinity": func(v float64) bool { return math.IsInf(v, -1) }} {
		f := f
		static("double", name, ts(D), B, func(a []any) (any, error) { return f(toFloat(a[0])), nil }, nil)
	}
	staticProp("Guid", "Empty", tGuid, func([]any) (any, error) { return Guid{}, nil }, nil)
	span := func(a []any) (any, error) {
		var d, h, m, s int
		switch len(a) {
		case 3:
			h, m, s = toInt(a[0]), toInt(a[1]), toInt(a[2])
		case 4:
			d, h, m, s = toInt(a[0]), toInt(a[1]), toInt(a[2]), toInt(a[3])
		}
		total := ((int64(d)*24+int64(h))*60+int64(m))*60 + int64(s)
		if total > math.MaxInt64/int64(time.Second) || total < math.MinInt64/int64(time.Second) {
			return nil, exc("ArgumentOutOfRangeException", "TimeSpan overflowed because the duration is too long.")
		}
		return time.Duration(total) * time.Second, nil
	}
	static("TimeSpan", "new", ts(I, I, I), tTimeSpan, span, nil)
	static("TimeSpan", "new", ts(I, I, I, I), tTimeSpan, span, nil)
	static("DateTime", "Compare", ts(tDateTime, tDateTime), I, func(a []any) (any, error) {
		x, y := a[0].(time.Time), a[1].(time.Time)
		switch {
		case x.Before(y):
			return -1, nil
		case x.After(y):
			return 1, nil
		}
		return 0, nil
	}, nil)
}
