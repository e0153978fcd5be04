package csharp

import (
	"cmp"
	"math"
	"time"
)

// DateTime and TimeSpan arithmetic with .NET's ranges and exceptions. A
// DateTime is a time.Time kept within .NET's range (0001-01-01 to
// 9999-12-31); a TimeSpan is a time.Duration, which holds ±292 years where
// .NET's holds ±29,227: one longer is an OverflowException here (see
// docs/expressions-csharp.md). Nothing is multiplied out into a Duration
// unchecked, so nothing wraps around.

const (
	ticksPerSecond = 10_000_000
	maxTicks       = 3_155_378_975_999_999_999 // DateTime.MaxValue.Ticks
	// unixTo0001 is the seconds from 0001-01-01 to the Unix epoch.
	unixTo0001 = 62_135_596_800
)

var (
	netMinDate = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	netMaxDate = time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC)
)

// A DateTime's DateTimeKind is its time.Time's *time.Location: time.UTC
// for Utc, locLocal for Local, locUnspecified for Unspecified. The three
// are zero-offset zones (the gateway's local zone is UTC, as APIM's is), so
// a DateTime's fields (Hour, Day...) are its ticks read as UTC whatever its
// kind, and time.Time's Compare, Equal and Sub ignore the kind as .NET's
// comparisons do. A kind so costs nothing: the value stays one time.Time
// (no field beside it, boxed as before), the locations are package
// variables (no allocation), and a request that uses no DateTime pays
// nothing. Kinds differ where .NET's differ: Kind, "o", "K", Json.NET's
// text, ToUniversalTime/ToLocalTime and TimeZoneInfo's reading of a time.
var (
	locLocal       = time.FixedZone("Local", 0)
	locUnspecified = time.FixedZone("", 0)
)

// DateTimeKind's values, as .NET numbers them.
const (
	kindUnspecified = 0
	kindUtc         = 1
	kindLocal       = 2
)

// kindOf is t's DateTimeKind. A time in any other zone (one that came from
// outside the expression language) reads as Utc.
func kindOf(t time.Time) int {
	switch t.Location() {
	case locLocal:
		return kindLocal
	case locUnspecified:
		return kindUnspecified
	}
	return kindUtc
}

// withKind is DateTime.SpecifyKind: t's clock (read as UTC) with kind k.
func withKind(t time.Time, k int) time.Time {
	switch k {
	case kindLocal:
		return t.In(locLocal)
	case kindUnspecified:
		return t.In(locUnspecified)
	}
	return t.UTC()
}

// asDateTime brings a time.Time from outside the language (the context
// model, a Go helper) into it: one of the three kind zones as it is, any
// other zone as its UTC instant, Kind Utc.
func asDateTime(t time.Time) time.Time {
	switch t.Location() {
	case locLocal, locUnspecified, time.UTC:
		return t
	}
	return t.UTC()
}

func errDateArithmetic() error {
	return exc("ArgumentOutOfRangeException", "The added or subtracted value results in an un-representable DateTime. (Parameter 'value')")
}

func errTimeSpanTooLong() error {
	return exc("OverflowException", "TimeSpan overflowed because the duration is too long.")
}

// ticksOf is DateTime.Ticks: 100-nanosecond units since 0001-01-01.
func ticksOf(t time.Time) int64 {
	return (t.Unix()+unixTo0001)*ticksPerSecond + int64(t.Nanosecond()/100)
}

// inNetRange is t, or .NET's exception when t is outside DateTime's range.
func inNetRange(t time.Time) (time.Time, error) {
	if t.Before(netMinDate) || t.After(netMaxDate) {
		return time.Time{}, errDateArithmetic()
	}
	return t, nil
}

// addTicks is DateTime.AddTicks: n ticks later, through Unix seconds so
// that no Duration overflows on the way.
func addTicks(t time.Time, n int64) (time.Time, error) {
	secs, rem := n/ticksPerSecond, n%ticksPerSecond
	return inNetRange(time.Unix(t.Unix()+secs, int64(t.Nanosecond())+rem*100).In(t.Location()))
}

// addUnits is AddSeconds ... AddDays(value) as .NET computes it: the whole
// units and the fraction apart, truncated to ticks.
func addUnits(t time.Time, v float64, ticksPerUnit int64) (time.Time, error) {
	if math.IsNaN(v) || math.Abs(v) > float64(maxTicks/ticksPerUnit) {
		return time.Time{}, exc("ArgumentOutOfRangeException", "Value to add was out of range. (Parameter 'value')")
	}
	whole := math.Trunc(v)
	return addTicks(t, int64(whole)*ticksPerUnit+int64((v-whole)*float64(ticksPerUnit)))
}

// addMonths is DateTime.AddMonths(n) (AddYears is 12n months): the same
// day of the month, or the month's last day when it is shorter (January
// 31 and a month is February 29 in 2020), where Go's AddDate would roll
// over into March.
func addMonths(t time.Time, n, limit int) (time.Time, error) {
	if n < -limit || n > limit {
		return time.Time{}, exc("ArgumentOutOfRangeException", "Months value must be between +/-120000. (Parameter 'months')")
	}
	y, m, d := t.Date()
	total := y*12 + int(m) - 1 + n
	ny, nm := total/12, time.Month(total%12+1)
	if total < 0 {
		return time.Time{}, errDateArithmetic()
	}
	if last := time.Date(ny, nm+1, 0, 0, 0, 0, 0, time.UTC).Day(); d > last {
		d = last
	}
	hh, mm, ss := t.Clock()
	return inNetRange(time.Date(ny, nm, d, hh, mm, ss, t.Nanosecond(), t.Location()))
}

// addSpan is DateTime + TimeSpan (DateTime.Add).
func addSpan(t time.Time, d time.Duration) (time.Time, error) {
	if d == spanMax || d == spanMin { // past DateTime's range from any DateTime
		return time.Time{}, errDateArithmetic()
	}
	return inNetRange(t.Add(d))
}

// timeOp is DateTime + TimeSpan or DateTime - TimeSpan (op "+" or "-").
func timeOp(op string, t time.Time, d time.Duration) (time.Time, error) {
	if d == spanMax || d == spanMin {
		return time.Time{}, errDateArithmetic()
	}
	if op == "-" {
		var err error
		if d, err = sumSpans(0, d, true); err != nil {
			return time.Time{}, err
		}
	}
	return addSpan(t, d)
}

// spanOf is TimeSpan.FromSeconds ... FromDays(value): truncated to ticks.
func spanOf(v float64, ticksPerUnit int64) (time.Duration, error) {
	if math.IsNaN(v) {
		return 0, exc("ArgumentException", "TimeSpan does not accept floating point Not-a-Number values.")
	}
	ns := math.Trunc(v*float64(ticksPerUnit)) * 100
	if ns >= 0x1p63 || ns <= -0x1p63 {
		return 0, errTimeSpanTooLong()
	}
	return time.Duration(ns), nil
}

// TimeSpan.MaxValue and MinValue. A TimeSpan is a time.Duration here
// (nanoseconds), which holds ±292 years, where .NET's ticks hold ±29,227:
// .NET's two ends are kept as a Duration's two ends, which read as
// long.MaxValue and long.MinValue ticks (spanTicks), print as .NET's, and
// compare above and below every other span. Arithmetic on them is .NET's
// where the result is one of them or a span a Duration holds, else .NET's
// OverflowException (tollgate's limit: MaxValue minus a day is .NET's
// 10675198.02:48:05.4775807, too long here).
const (
	spanMax = time.Duration(math.MaxInt64)
	spanMin = time.Duration(math.MinInt64)
)

// spanTicks is TimeSpan.Ticks.
func spanTicks(d time.Duration) int64 {
	switch d {
	case spanMax:
		return math.MaxInt64
	case spanMin:
		return math.MinInt64
	}
	return int64(d / 100)
}

// ticksSpan is the TimeSpan of n ticks: TimeSpan.MaxValue, MinValue, or a
// span a Duration holds (else .NET's OverflowException).
func ticksSpan(n int64) (time.Duration, error) {
	switch {
	case n == math.MaxInt64:
		return spanMax, nil
	case n == math.MinInt64:
		return spanMin, nil
	case n > math.MaxInt64/100 || n < math.MinInt64/100:
		return 0, errTimeSpanTooLong()
	}
	return time.Duration(n * 100), nil
}

// sumSpans is TimeSpan + TimeSpan (neg: TimeSpan - TimeSpan).
func sumSpans(a, b time.Duration, neg bool) (time.Duration, error) {
	if a == spanMax || a == spanMin || b == spanMax || b == spanMin {
		// in ticks, as .NET adds them
		s, ok := addInt64(spanTicks(a), spanTicks(b), neg)
		if !ok {
			return 0, errTimeSpanTooLong()
		}
		return ticksSpan(s)
	}
	s, ok := addInt64(int64(a), int64(b), neg)
	if !ok {
		return 0, errTimeSpanTooLong()
	}
	return time.Duration(s), nil
}

// addInt64 is x + y (neg: x - y), and whether it did not overflow.
func addInt64(x, y int64, neg bool) (int64, bool) {
	if neg {
		if y == math.MinInt64 {
			return 0, false
		}
		y = -y
	}
	s := x + y
	return s, !(y > 0 && s < x) && !(y < 0 && s > x)
}

// diffDates is DateTime - DateTime.
func diffDates(a, b time.Time) (time.Duration, error) {
	d := a.Sub(b) // saturates at the ends of a Duration's range
	if d == math.MaxInt64 || d == math.MinInt64 {
		return 0, errTimeSpanTooLong()
	}
	return d, nil
}

// registerDateTimeMore adds the members of APIM's allowed list for
// DateTime (AddTicks, DaysInMonth, IsLeapYear, TimeOfDay,
// IsDaylightSavingTime) and TimeSpan's ticks, sign and comparison.
func registerDateTimeMore() {
	I, L, B, DT, TS := tInt, tLong, tBool, tDateTime, tTimeSpan
	method(KDateTime, "AddTicks", ts(L), DT, func(a []any) (any, error) { return addTicks(a[0].(time.Time), int64(toInt(a[1]))) }, nil)
	prop(KDateTime, "TimeOfDay", TS, func(a []any) (any, error) {
		t := a[0].(time.Time)
		return t.Sub(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())), nil
	}, nil)
	// The gateway's zone is UTC, which has no daylight time.
	method(KDateTime, "IsDaylightSavingTime", ts(), B, func(a []any) (any, error) { return false, nil }, nil)
	checkYear := func(y int) error {
		if y < 1 || y > 9999 {
			return exc("ArgumentOutOfRangeException", "Year must be between 1 and 9999. (Parameter 'year')")
		}
		return nil
	}
	static("DateTime", "IsLeapYear", ts(I), B, func(a []any) (any, error) {
		y := toInt(a[0])
		if err := checkYear(y); err != nil {
			return nil, err
		}
		return y%4 == 0 && (y%100 != 0 || y%400 == 0), nil
	}, nil)
	static("DateTime", "DaysInMonth", ts(I, I), I, func(a []any) (any, error) {
		y, m := toInt(a[0]), toInt(a[1])
		if m < 1 || m > 12 {
			return nil, exc("ArgumentOutOfRangeException", "Month must be between one and twelve. (Parameter 'month')")
		}
		if err := checkYear(y); err != nil {
			return nil, err
		}
		return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day(), nil
	}, nil)

	prop(KTimeSpan, "Ticks", L, func(a []any) (any, error) { return int(spanTicks(a[0].(time.Duration))), nil }, nil)
	// The components, as .NET's TimeSpan computes them from its ticks:
	// Days = ticks / TicksPerDay, Hours = ticks / TicksPerHour % 24, and so
	// on, each truncated toward zero, so a negative span has negative (or
	// zero) components: (-90 s).Minutes is -1 and .Seconds -30.
	for _, c := range []struct {
		n    string
		unit time.Duration
		mod  int64
	}{{"Days", 24 * time.Hour, 0}, {"Hours", time.Hour, 24}, {"Minutes", time.Minute, 60}, {"Seconds", time.Second, 60}, {"Milliseconds", time.Millisecond, 1000}} {
		c := c
		prop(KTimeSpan, c.n, I, func(a []any) (any, error) {
			v := spanTicks(a[0].(time.Duration)) / int64(c.unit/100)
			if c.mod != 0 {
				v %= c.mod
			}
			return int(v), nil
		}, nil)
	}
	static("TimeSpan", "FromTicks", ts(L), TS, func(a []any) (any, error) {
		return ticksSpan(int64(toInt(a[0])))
	}, nil)
	static("TimeSpan", "new", ts(L), TS, func(a []any) (any, error) { return ticksSpan(int64(toInt(a[0]))) }, nil)
	staticProp("TimeSpan", "MaxValue", TS, func([]any) (any, error) { return spanMax, nil }, nil)
	staticProp("TimeSpan", "MinValue", TS, func([]any) (any, error) { return spanMin, nil }, nil)
	method(KTimeSpan, "Duration", ts(), TS, func(a []any) (any, error) {
		d := a[0].(time.Duration)
		if d == math.MinInt64 {
			return nil, exc("OverflowException", "The duration cannot be returned for TimeSpan.MinValue because the absolute value of TimeSpan.MinValue exceeds the value of TimeSpan.MaxValue.")
		}
		if d < 0 {
			d = -d
		}
		return d, nil
	}, nil)
	method(KTimeSpan, "Negate", ts(), TS, func(a []any) (any, error) { return spanNegate(a[0].(time.Duration)) }, nil)
	static("TimeSpan", "Compare", ts(TS, TS), I, func(a []any) (any, error) { return cmp.Compare(a[0].(time.Duration), a[1].(time.Duration)), nil }, nil)
	method(KTimeSpan, "CompareTo", ts(TS), I, func(a []any) (any, error) { return cmp.Compare(a[0].(time.Duration), a[1].(time.Duration)), nil }, nil)
	method(KDateTime, "CompareTo", ts(DT), I, func(a []any) (any, error) { return a[0].(time.Time).Compare(a[1].(time.Time)), nil }, nil)
}

// dateTimeKind is the System.DateTimeKind enum (registered with DateTime).
var dateTimeKind *enumDef

func errKind() error {
	return exc("ArgumentException", "Invalid DateTimeKind value. (Parameter 'kind')")
}

// newDateParts is new DateTime(year, month, day, hour, minute, second,
// millisecond, kind) with .NET's checks.
func newDateParts(p []int, kind int) (any, error) {
	y, mo, d, h, mi, s, ms := p[0], p[1], p[2], p[3], p[4], p[5], p[6]
	if y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return nil, exc("ArgumentOutOfRangeException", "Year, Month, and Day parameters describe an un-representable DateTime.")
	}
	if h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 {
		return nil, exc("ArgumentOutOfRangeException", "Hour, Minute, and Second parameters describe an un-representable DateTime.")
	}
	if ms < 0 || ms > 999 {
		return nil, exc("ArgumentOutOfRangeException", "Valid values are between 0 and 999, inclusive. (Parameter 'millisecond')")
	}
	if kind < kindUnspecified || kind > kindLocal {
		return nil, errKind()
	}
	return withKind(time.Date(y, time.Month(mo), d, h, mi, s, ms*int(time.Millisecond), time.UTC), kind), nil
}

// spanNegate is TimeSpan.Negate() and -span.
func spanNegate(d time.Duration) (time.Duration, error) {
	switch d {
	case spanMin:
		return 0, exc("OverflowException", "Negating the minimum value of a twos complement number is invalid.")
	case spanMax:
		return ticksSpan(-math.MaxInt64) // .NET's -10675199.02:48:05.4775807: too long here
	}
	return -d, nil
}
