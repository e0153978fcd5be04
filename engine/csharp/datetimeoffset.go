package csharp

import (
	"sync/atomic"
	"time"
)

// System.DateTimeOffset: a type of its own, told apart from DateTime by the
// binder (KDateTimeOffset) and at run time (dateTimeOffset), so that a boxed
// one prints, compares and serialises as .NET's does.
//
// A dateTimeOffset is its instant as a time.Time in a fixed zone of its
// offset: the time.Time's fields are the clock (DateTimeOffset.Hour, .Day,
// .DateTime), its instant is UtcDateTime, and comparisons are of instants,
// as .NET's are. One zone per offset is made once and kept
// (offsetLocs), so a value is a time.Time and nothing more: boxed as a
// DateTime is, no allocation beside it.
type dateTimeOffset struct{ t time.Time }

// maxOffsetMinutes is .NET's bound on an offset: ±14 hours.
const maxOffsetMinutes = 14 * 60

// offsetLocs are the fixed zones of the offsets in minutes (index: minutes
// + 14 h), made on first use.
var offsetLocs [2*maxOffsetMinutes + 1]atomic.Pointer[time.Location]

// offsetLoc is the zone of an offset in minutes within ±14 h (UTC for 0).
func offsetLoc(minutes int) *time.Location {
	if minutes == 0 {
		return time.UTC
	}
	p := &offsetLocs[minutes+maxOffsetMinutes]
	if l := p.Load(); l != nil {
		return l
	}
	p.CompareAndSwap(nil, time.FixedZone("", minutes*60))
	return p.Load()
}

// offsetMinutes is d's offset from UTC in minutes.
func (d dateTimeOffset) offsetMinutes() int {
	_, s := d.t.Zone()
	return s / 60
}

// offset is DateTimeOffset.Offset.
func (d dateTimeOffset) offset() time.Duration {
	return time.Duration(d.offsetMinutes()) * time.Minute
}

// clock is DateTimeOffset.DateTime: the clock, Kind Unspecified.
func (d dateTimeOffset) clock() time.Time {
	y, mo, dd := d.t.Date()
	h, mi, s := d.t.Clock()
	return time.Date(y, mo, dd, h, mi, s, d.t.Nanosecond(), locUnspecified)
}

// utc is DateTimeOffset.UtcDateTime: the instant, Kind Utc.
func (d dateTimeOffset) utc() time.Time { return d.t.UTC() }

func errOffsetMinutes() error {
	return exc("ArgumentException", "Offset must be specified in whole minutes. (Parameter 'offset')")
}

func errOffsetRange() error {
	return exc("ArgumentOutOfRangeException", "Offset must be within plus or minus 14 hours. (Parameter 'offset')")
}

func errUTCRange() error {
	return exc("ArgumentOutOfRangeException", "The UTC time represented when the offset is applied must be between year 0 and 10,000. (Parameter 'offset')")
}

// offsetArg checks a TimeSpan given as an offset: whole minutes, ±14 h.
func offsetArg(off time.Duration) (int, error) {
	if off%time.Minute != 0 {
		return 0, errOffsetMinutes()
	}
	if off < -maxOffsetMinutes*time.Minute || off > maxOffsetMinutes*time.Minute {
		return 0, errOffsetRange()
	}
	return int(off / time.Minute), nil
}

// dtoFromClock is new DateTimeOffset(clock, offset): the clock's fields
// (its kind aside) at the offset; the instant must be a DateTime.
func dtoFromClock(clock time.Time, minutes int) (dateTimeOffset, error) {
	y, mo, dd := clock.Date()
	h, mi, s := clock.Clock()
	u := time.Date(y, mo, dd, h, mi, s, clock.Nanosecond(), time.UTC).Add(-time.Duration(minutes) * time.Minute)
	if u.Before(netMinDate) || u.After(netMaxDate) {
		return dateTimeOffset{}, errUTCRange()
	}
	return dateTimeOffset{u.In(offsetLoc(minutes))}, nil
}

// dtoAt is the instant u at an offset; its clock must be a DateTime
// (ToOffset, the ticks constructor).
func dtoAt(u time.Time, minutes int) (dateTimeOffset, error) {
	d := dateTimeOffset{u.In(offsetLoc(minutes))}
	if c := d.clock(); c.Year() < 1 || c.Year() > 9999 {
		return dateTimeOffset{}, exc("ArgumentOutOfRangeException", "The added or subtracted value results in an un-representable DateTime. (Parameter 'value')")
	}
	return d, nil
}

// toDTO is the implicit conversion DateTime -> DateTimeOffset (new
// DateTimeOffset(d)): a Utc time at offset 0, a Local or Unspecified one
// at the local zone's offset, which is 0 too here.
func toDTO(t time.Time) dateTimeOffset {
	y, mo, dd := t.Date()
	h, mi, s := t.Clock()
	return dateTimeOffset{time.Date(y, mo, dd, h, mi, s, t.Nanosecond(), time.UTC)}
}

// asDTO is a DateTimeOffset argument: a DateTime converts implicitly.
func asDTO(v any) (dateTimeOffset, error) {
	switch x := v.(type) {
	case dateTimeOffset:
		return x, nil
	case time.Time:
		return toDTO(x), nil
	}
	return dateTimeOffset{}, errNull
}

// parseDTO is DateTimeOffset.Parse: the formats DateTime.Parse reads; a
// text with no offset is at the local zone's (UTC).
func parseDTO(s string) (dateTimeOffset, error) {
	t, zone, ok := parseNetDate(s)
	if !ok {
		return dateTimeOffset{}, exc("FormatException", "String '%s' was not recognized as a valid DateTime.", s)
	}
	if !zone {
		return dateTimeOffset{t.UTC()}, nil
	}
	return dtoWithZone(t, s)
}

// dtoWithZone is a parsed time whose text gave an offset.
func dtoWithZone(t time.Time, s string) (dateTimeOffset, error) {
	_, off := t.Zone()
	if off%60 != 0 || off < -maxOffsetMinutes*60 || off > maxOffsetMinutes*60 {
		return dateTimeOffset{}, exc("FormatException", "The time zone offset of string '%s' must be within plus or minus 14 hours.", s)
	}
	return dtoFromClock(t, off/60)
}

// dtoOp is DateTimeOffset + TimeSpan or - TimeSpan (op "+" or "-"): the
// clock moves, the offset stays.
func dtoOp(op string, d dateTimeOffset, span time.Duration) (dateTimeOffset, error) {
	c, err := timeOp(op, d.clock(), span)
	if err != nil {
		return dateTimeOffset{}, err
	}
	return dtoFromClock(c, d.offsetMinutes())
}

// dtoDiff is DateTimeOffset - DateTimeOffset: the instants' difference.
func dtoDiff(a, b dateTimeOffset) (time.Duration, error) {
	return diffDates(a.t, b.t)
}

// registerDateTimeOffset adds DateTimeOffset's constructors, statics and
// members.
func registerDateTimeOffset() {
	I, L, D, S, B, O := tInt, tLong, tDouble, tString, tBool, tObject
	DT, DTO, TS := tDateTime, tDTO, tTimeSpan
	ctor := func(key string, params []*Type, run func(a []any) (any, error)) {
		if statics["DateTimeOffset"] == nil {
			statics["DateTimeOffset"] = table{}
		}
		statics["DateTimeOffset"]["new"] = append(statics["DateTimeOffset"]["new"], reg(&builtin{key: "DateTimeOffset.new(" + key + ")", params: params, result: DTO, run: run}))
	}
	ctor("DateTime", ts(DT), func(a []any) (any, error) { return toDTO(a[0].(time.Time)), nil })
	dtoConv = reg(&builtin{key: "DateTimeOffset.fromDateTime", result: DTO, run: func(a []any) (any, error) {
		if t, ok := a[0].(time.Time); ok {
			return toDTO(t), nil
		}
		return a[0], nil // null (a DateTime? converts to a DateTimeOffset?)
	}})
	dtoOpBuiltin = reg(&builtin{key: "DateTimeOffset.op", run: func(a []any) (any, error) {
		op, _ := a[0].(string)
		return dtoBinop(op, a[1], a[2])
	}})
	dtoEqual = reg(&builtin{key: "DateTimeOffset.equal", run: func(a []any) (any, error) {
		return equalNET(a[0], a[1]), nil
	}})
	ctor("DateTime,TimeSpan", ts(DT, TS), func(a []any) (any, error) {
		t := a[0].(time.Time)
		m, err := offsetArg(a[1].(time.Duration))
		if err != nil {
			return nil, err
		}
		switch {
		case kindOf(t) == kindUtc && m != 0:
			return nil, exc("ArgumentException", "The UTC Offset for Utc DateTime instances must be 0. (Parameter 'offset')")
		case kindOf(t) == kindLocal && m != 0:
			return nil, exc("ArgumentException", "The UTC Offset of the local dateTime parameter does not match the offset argument. (Parameter 'offset')")
		}
		return dtoFromClock(t, m)
	})
	ctor("long,TimeSpan", ts(L, TS), func(a []any) (any, error) {
		n := int64(toInt(a[0]))
		if n < 0 || n > maxTicks {
			return nil, exc("ArgumentOutOfRangeException", "Ticks must be between DateTime.MinValue.Ticks and DateTime.MaxValue.Ticks. (Parameter 'ticks')")
		}
		m, err := offsetArg(a[1].(time.Duration))
		if err != nil {
			return nil, err
		}
		c, err := addTicks(netMinDate, n)
		if err != nil {
			return nil, err
		}
		return dtoFromClock(c, m)
	})
	fromParts := func(a []any) (any, error) {
		n := len(a) - 1
		p := make([]int, 7)
		for i := 0; i < n; i++ {
			p[i] = toInt(a[i])
		}
		m, err := offsetArg(a[n].(time.Duration))
		if err != nil {
			return nil, err
		}
		c, err := newDateParts(p, kindUnspecified)
		if err != nil {
			return nil, err
		}
		return dtoFromClock(c.(time.Time), m)
	}
	ctor("int,int,int,int,int,int,TimeSpan", ts(I, I, I, I, I, I, TS), fromParts)
	ctor("int,int,int,int,int,int,int,TimeSpan", ts(I, I, I, I, I, I, I, TS), fromParts)

	staticProp("DateTimeOffset", "UtcNow", DTO, func([]any) (any, error) { return dateTimeOffset{time.Now().UTC()}, nil }, nil)
	// Now is at the local zone's offset: 0, the gateway's zone being UTC.
	staticProp("DateTimeOffset", "Now", DTO, func([]any) (any, error) { return dateTimeOffset{time.Now().UTC()}, nil }, nil)
	staticProp("DateTimeOffset", "MinValue", DTO, func([]any) (any, error) { return dateTimeOffset{netMinDate}, nil }, nil)
	staticProp("DateTimeOffset", "MaxValue", DTO, func([]any) (any, error) {
		return dateTimeOffset{time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.UTC)}, nil
	}, nil)
	staticProp("DateTimeOffset", "UnixEpoch", DTO, func([]any) (any, error) { return dateTimeOffset{time.Unix(0, 0).UTC()}, nil }, nil)
	parse := func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("input")
		}
		return parseDTO(s)
	}
	static("DateTimeOffset", "Parse", ts(S), DTO, parse, nil)
	static("DateTimeOffset", "Parse", ts(S, O), DTO, parse, nil)
	for name, unit := range map[string]int64{"FromUnixTimeSeconds": 1000, "FromUnixTimeMilliseconds": 1} {
		unit := unit
		static("DateTimeOffset", name, ts(L), DTO, func(a []any) (any, error) {
			ms := int64(toInt(a[0]))
			const minMs, maxMs = -62135596800000, 253402300799999
			if ms < minMs/unit || ms > maxMs/unit {
				return nil, exc("ArgumentOutOfRangeException", "Valid values are between %d and %d, inclusive. (Parameter '%s')", minMs/unit, maxMs/unit, map[int64]string{1: "milliseconds", 1000: "seconds"}[unit])
			}
			return dateTimeOffset{time.UnixMilli(ms * unit).UTC()}, nil
		}, nil)
	}
	static("DateTimeOffset", "Compare", ts(DTO, DTO), I, func(a []any) (any, error) {
		x, _ := asDTO(a[0])
		y, _ := asDTO(a[1])
		return x.t.Compare(y.t), nil
	}, nil)

	// Members. The receiver is a dateTimeOffset, or null (a
	// DateTimeOffset? read without .Value): a NullReferenceException.
	p := func(name string, t *Type, f func(d dateTimeOffset) any) {
		prop(KDateTimeOffset, name, t, func(a []any) (any, error) {
			d, err := asDTO(a[0])
			if err != nil {
				return nil, err
			}
			return f(d), nil
		}, nil)
	}
	p("Offset", TS, func(d dateTimeOffset) any { return d.offset() })
	p("UtcDateTime", DT, func(d dateTimeOffset) any { return d.utc() })
	p("DateTime", DT, func(d dateTimeOffset) any { return d.clock() })
	p("ClockDateTime", DT, func(d dateTimeOffset) any { return d.clock() })
	p("LocalDateTime", DT, func(d dateTimeOffset) any { return d.t.In(locLocal) })
	p("Year", I, func(d dateTimeOffset) any { return d.t.Year() })
	p("Month", I, func(d dateTimeOffset) any { return int(d.t.Month()) })
	p("Day", I, func(d dateTimeOffset) any { return d.t.Day() })
	p("Hour", I, func(d dateTimeOffset) any { return d.t.Hour() })
	p("Minute", I, func(d dateTimeOffset) any { return d.t.Minute() })
	p("Second", I, func(d dateTimeOffset) any { return d.t.Second() })
	p("Millisecond", I, func(d dateTimeOffset) any { return d.t.Nanosecond() / int(time.Millisecond) })
	p("Ticks", L, func(d dateTimeOffset) any { return int(ticksOf(d.clock())) })
	p("UtcTicks", L, func(d dateTimeOffset) any { return int(ticksOf(d.t)) })
	p("Date", DT, func(d dateTimeOffset) any {
		return time.Date(d.t.Year(), d.t.Month(), d.t.Day(), 0, 0, 0, 0, locUnspecified)
	})
	p("DayOfWeek", tDayOfWeek, func(d dateTimeOffset) any { return dayOfWeek(d.t.Weekday()) })
	p("DayOfYear", I, func(d dateTimeOffset) any { return d.t.YearDay() })
	p("TimeOfDay", TS, func(d dateTimeOffset) any {
		return d.t.Sub(time.Date(d.t.Year(), d.t.Month(), d.t.Day(), 0, 0, 0, 0, d.t.Location()))
	})

	m := func(name string, params []*Type, t *Type, f func(d dateTimeOffset, a []any) (any, error)) {
		method(KDateTimeOffset, name, params, t, func(a []any) (any, error) {
			d, err := asDTO(a[0])
			if err != nil {
				return nil, err
			}
			return f(d, a[1:])
		}, nil)
	}
	m("ToOffset", ts(TS), DTO, func(d dateTimeOffset, a []any) (any, error) {
		mins, err := offsetArg(a[0].(time.Duration))
		if err != nil {
			return nil, err
		}
		return dtoAt(d.t, mins)
	})
	m("ToUniversalTime", ts(), DTO, func(d dateTimeOffset, _ []any) (any, error) { return dateTimeOffset{d.t.UTC()}, nil })
	m("ToLocalTime", ts(), DTO, func(d dateTimeOffset, _ []any) (any, error) { return dateTimeOffset{d.t.UTC()}, nil })
	m("ToUnixTimeSeconds", ts(), L, func(d dateTimeOffset, _ []any) (any, error) { return int(d.t.Unix()), nil })
	m("ToUnixTimeMilliseconds", ts(), L, func(d dateTimeOffset, _ []any) (any, error) { return int(d.t.UnixMilli()), nil })
	for _, u := range []struct {
		n string
		d time.Duration
	}{{"AddSeconds", time.Second}, {"AddMinutes", time.Minute}, {"AddHours", time.Hour}, {"AddDays", 24 * time.Hour}, {"AddMilliseconds", time.Millisecond}} {
		per := int64(u.d / 100)
		m(u.n, ts(D), DTO, func(d dateTimeOffset, a []any) (any, error) {
			c, err := addUnits(d.clock(), toFloat(a[0]), per)
			if err != nil {
				return nil, err
			}
			return dtoFromClock(c, d.offsetMinutes())
		})
	}
	m("AddTicks", ts(L), DTO, func(d dateTimeOffset, a []any) (any, error) {
		c, err := addTicks(d.clock(), int64(toInt(a[0])))
		if err != nil {
			return nil, err
		}
		return dtoFromClock(c, d.offsetMinutes())
	})
	m("AddMonths", ts(I), DTO, func(d dateTimeOffset, a []any) (any, error) {
		c, err := addMonths(d.clock(), toInt(a[0]), 120000)
		if err != nil {
			return nil, err
		}
		return dtoFromClock(c, d.offsetMinutes())
	})
	m("AddYears", ts(I), DTO, func(d dateTimeOffset, a []any) (any, error) {
		n := toInt(a[0])
		if n < -10000 || n > 10000 {
			return nil, exc("ArgumentOutOfRangeException", "The added or subtracted value results in an un-representable DateTime. (Parameter 'years')")
		}
		c, err := addMonths(d.clock(), n*12, 120000)
		if err != nil {
			return nil, err
		}
		return dtoFromClock(c, d.offsetMinutes())
	})
	m("Add", ts(TS), DTO, func(d dateTimeOffset, a []any) (any, error) { return dtoOp("+", d, a[0].(time.Duration)) })
	m("Subtract", ts(TS), DTO, func(d dateTimeOffset, a []any) (any, error) { return dtoOp("-", d, a[0].(time.Duration)) })
	m("Subtract", ts(DTO), TS, func(d dateTimeOffset, a []any) (any, error) {
		o, err := asDTO(a[0])
		if err != nil {
			return nil, err
		}
		return dtoDiff(d, o)
	})
	m("CompareTo", ts(DTO), I, func(d dateTimeOffset, a []any) (any, error) {
		o, _ := asDTO(a[0])
		return d.t.Compare(o.t), nil
	})
	// Equals(DateTimeOffset) before Equals(object): a DateTime argument
	// converts (C# prefers the conversion to DateTimeOffset to boxing).
	m("Equals", ts(DTO), B, func(d dateTimeOffset, a []any) (any, error) {
		o, _ := asDTO(a[0])
		return d.t.Equal(o.t), nil
	})
	m("Equals", ts(O), B, func(d dateTimeOffset, a []any) (any, error) { return equalNET(d, a[0]), nil })
	m("EqualsExact", ts(DTO), B, func(d dateTimeOffset, a []any) (any, error) {
		o, _ := asDTO(a[0])
		return d.t.Equal(o.t) && d.offsetMinutes() == o.offsetMinutes(), nil
	})
	m("ToString", ts(), S, func(d dateTimeOffset, _ []any) (any, error) { return toStringNET(d), nil })
	m("ToString", ts(S), S, func(d dateTimeOffset, a []any) (any, error) {
		f, _ := a[0].(string)
		return formatValue(d, f)
	})
	m("ToString", ts(S, O), S, func(d dateTimeOffset, a []any) (any, error) {
		f, _ := a[0].(string)
		return formatValue(d, f)
	})
	m("GetHashCode", ts(), I, func(d dateTimeOffset, _ []any) (any, error) {
		u := ticksOf(d.t)
		return int(int32(u) ^ int32(u>>32)), nil
	})
}

// dtoOpBuiltin is dtoBinop for the lowered program, dtoEqual == between a
// DateTimeOffset and an object (equalNET: expr's == would compare the
// values' zones too), dtoConv the conversion DateTime -> DateTimeOffset.
var dtoOpBuiltin, dtoEqual, dtoConv *builtin

// dtoOperands reports whether a binary operator's operands are
// DateTimeOffset's: one a DateTimeOffset, the other a DateTimeOffset, a
// DateTime (which converts) or, on the right, a TimeSpan. dtoBinop applies
// the operator then; any other DateTimeOffset operand (object, null) is
// the general operators' (equalNET).
func dtoOperands(lt, rt *Type) bool {
	dated := func(k Kind) bool { return k == KDateTime || k == KDateTimeOffset }
	return lt.K == KDateTimeOffset && (dated(rt.K) || rt.K == KTimeSpan) || rt.K == KDateTimeOffset && dated(lt.K)
}

// dtoBinop is a binary operator with a DateTimeOffset operand (the other a
// DateTimeOffset, a DateTime that converts to one, or a TimeSpan):
// comparisons of instants, + and - of a TimeSpan, the difference of two.
// A null operand (of a DateTimeOffset?) lifts as C#'s operators do.
func dtoBinop(op string, l, r any) (any, error) {
	if l == nil || r == nil {
		switch op {
		case "==":
			return l == nil && r == nil, nil
		case "!=":
			return !(l == nil && r == nil), nil
		case "<", ">", "<=", ">=":
			return false, nil
		}
		return nil, nil
	}
	x, err := asDTO(l)
	if err != nil {
		return nil, err
	}
	if span, ok := r.(time.Duration); ok { // dto + span, dto - span
		return dtoOp(op, x, span)
	}
	y, err := asDTO(r)
	if err != nil {
		return nil, err
	}
	switch op {
	case "-":
		return dtoDiff(x, y)
	case "==":
		return x.t.Equal(y.t), nil
	case "!=":
		return !x.t.Equal(y.t), nil
	}
	return cmpResult(op, x.t.Compare(y.t)), nil
}

// String is DateTimeOffset.ToString() ("1/1/2020 10:00:00 AM +02:00"):
// how a DateTimeOffset reads where a policy takes an expression's result
// as text, and in a trace.
func (d dateTimeOffset) String() string { return toStringNET(d) }

// FormatDate formats a C# DateTime or DateTimeOffset value (an expression's
// result, a variable) with a .NET format string, as its ToString(format)
// does, or fails with .NET's FormatException for a format .NET refuses; ok
// is false for any other value. Liquid's Date filter uses it.
func FormatDate(v any, format string) (s string, ok bool, err error) {
	switch x := v.(type) {
	case time.Time:
		s, err = formatDateNET(x, format, false, false)
		return s, true, err
	case dateTimeOffset:
		s, err = formatDateNET(x.t, format, true, false)
		return s, true, err
	}
	return "", false, nil
}

// FormatDateTimeErr is FormatDateTime, with .NET's FormatException for a
// format .NET refuses.
func FormatDateTimeErr(t time.Time, f string) (string, error) {
	return formatDateNET(t, f, false, false)
}

// DateText is a C# DateTime or DateTimeOffset as round-trip text ("o"),
// which keeps a DateTime's kind and a DateTimeOffset's offset: offset
// tells which of the two it is. ok is false for any other value. A store
// keeps dates so (cache-store-value); ParseDateText reads them back.
func DateText(v any) (text string, offset, ok bool) {
	switch x := v.(type) {
	case time.Time:
		return FormatDateTime(asDateTime(x), "o"), false, true
	case dateTimeOffset:
		return formatDTO(x, "o"), true, true
	}
	return "", false, false
}

// ParseDateText reads DateText's text back: a DateTime of the kind it was
// written with ("Z" Utc, an offset Local, none Unspecified), or a
// DateTimeOffset at its offset.
func ParseDateText(text string, offset bool) (any, error) {
	t, err := time.Parse("2006-01-02T15:04:05.9999999Z07:00", text)
	zoned := err == nil
	if err != nil {
		if t, err = time.Parse("2006-01-02T15:04:05.9999999", text); err != nil {
			return nil, exc("FormatException", "String '%s' was not recognized as a valid DateTime.", text)
		}
	}
	if offset {
		if !zoned {
			return dateTimeOffset{t.UTC()}, nil
		}
		return dtoWithZone(t, text)
	}
	return styledDate(t, zoned, zoned && t.Location() == time.UTC, styleRoundtripKind)
}
