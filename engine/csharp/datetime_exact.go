package csharp

import (
	"strings"
	"time"
)

// DateTime and DateTimeOffset: ParseExact and TryParseExact with several
// formats, DateTimeOffset.Parse(s, provider, styles), Windows file times
// (ToFileTime, FromFileTime) and TimeZoneInfo's members of a
// DateTimeOffset.

// parseExactMulti is .NET's TryParseExactMultiple: the first format the
// text matches, in order. A null array is ArgumentNullException, an empty
// one or a null or empty format a FormatException, and a format tollgate
// cannot read before the one that matches a NotSupportedException (.NET
// might have matched it).
func parseExactMulti(s string, formats any, inv bool, st int) (t time.Time, zoned, utcMark bool, err error) {
	if formats == nil {
		return time.Time{}, false, false, argNull("formats")
	}
	fs, err := items(formats)
	if err != nil {
		return time.Time{}, false, false, argNull("formats")
	}
	if s == "" {
		return time.Time{}, false, false, exc("FormatException", "String '' was not recognized as a valid DateTime.")
	}
	if len(fs) == 0 {
		return time.Time{}, false, false, exc("FormatException", "No format specifiers were provided.")
	}
	for _, f := range fs {
		format, _ := f.(string)
		if format == "" {
			return time.Time{}, false, false, exc("FormatException", "Format specifier was invalid.")
		}
		t, zoned, utcMark, err = parseExactTime(s, format, inv, st)
		if err == nil {
			return t, zoned, utcMark, nil
		}
		if e, ok := err.(*Exception); !ok || e.Type != "FormatException" {
			return time.Time{}, false, false, err
		}
	}
	return time.Time{}, false, false, exc("FormatException", "String '%s' was not recognized as a valid DateTime.", s)
}

// checkDateFormats: a ParseExact (TryParseExact) format written as a
// literal, or an array of literals, that tollgate cannot read is a load
// error, not a NotSupportedException when the request comes.
func (b *binder) checkDateFormats(bi *builtin, args []*Arg) error {
	if !strings.HasPrefix(bi.key, "DateTime.ParseExact") && !strings.HasPrefix(bi.key, "DateTimeOffset.ParseExact") || len(args) < 2 {
		return nil
	}
	var lits []*Lit
	switch x := args[1].X.(type) {
	case *Lit:
		lits = append(lits, x)
	case *NewExpr:
		for _, e := range x.Init {
			if l, ok := e.(*Lit); ok {
				lits = append(lits, l)
			}
		}
	}
	for _, l := range lits {
		f, ok := l.V.(string)
		if !ok || f == "" {
			continue
		}
		if _, ok := netLayout(f); !ok {
			return b.errf(l.Off, "the format '%s' is not supported by DateTime.ParseExact in policy expressions: it reads the standard formats o, s, u, r, d, D, f, F, g, G, M, t, T, U, Y and the custom ones it can read unambiguously: numbers with a separator between them, literals without letters or digits (see docs/expressions-csharp.md)", f)
		}
	}
	return nil
}

// checkDTOStyles is DateTimeOffset's ValidateStyles: AssumeLocal with
// AssumeUniversal and NoCurrentDateDefault are refused; RoundtripKind and
// AssumeLocal change nothing.
func checkDTOStyles(st int) (int, error) {
	if st < 0 || st > 255 {
		return 0, exc("ArgumentException", "An undefined DateTimeStyles value is being used. (Parameter 'styles')")
	}
	if st&styleAssumeLocal != 0 && st&styleAssumeUniversal != 0 {
		return 0, exc("ArgumentException", "The DateTimeStyles values AssumeLocal and AssumeUniversal cannot be used together. (Parameter 'styles')")
	}
	if st&8 != 0 {
		return 0, exc("ArgumentException", "The DateTimeStyles value 'NoCurrentDateDefault' is not allowed when parsing DateTimeOffset. (Parameter 'styles')")
	}
	return st &^ (styleRoundtripKind | styleAssumeLocal), nil
}

// styledDTO is the DateTimeOffset a parse gives: the text's offset, or
// (none written) the local zone's, which is UTC's, as AssumeUniversal's;
// AdjustToUniversal gives offset 0 either way.
func styledDTO(t time.Time, zoned bool, st int, s string) (any, error) {
	if !zoned || st&styleAdjustToUniversal != 0 {
		return dateTimeOffset{t.UTC()}, nil
	}
	return dtoWithZone(t, s)
}

// padOffsetHour writes a trailing offset of one hour digit (" +5:00",
// which .NET's DateTime.Parse reads) with two (" +05:00"), as Go's layouts
// read it.
func padOffsetHour(s string) string {
	n := len(s)
	if n >= 6 && s[n-6] == ' ' && (s[n-5] == '+' || s[n-5] == '-') && isDigitByte(s[n-4]) && s[n-3] == ':' && isDigitByte(s[n-2]) && isDigitByte(s[n-1]) {
		return s[:n-4] + "0" + s[n-4:]
	}
	return s
}

// fileTimeOffset is 1601-01-01 in ticks: where Windows file times start.
const fileTimeOffset = 504_911_232_000_000_000

func errFileTime(param bool) error {
	if param {
		return exc("ArgumentOutOfRangeException", "Not a valid Win32 FileTime. (Parameter 'fileTime')")
	}
	return exc("ArgumentOutOfRangeException", "Not a valid Win32 FileTime.")
}

// toFileTime is the file time of a clock read as UTC (the local zone being
// UTC, ToFileTime and ToFileTimeUtc give the same).
func toFileTime(t time.Time) (any, error) {
	ft := ticksOf(t) - fileTimeOffset
	if ft < 0 {
		return nil, errFileTime(false)
	}
	return int(ft), nil
}

// fromFileTime is DateTime.FromFileTime(Utc): kind loc.
func fromFileTime(v any, loc *time.Location) (time.Time, error) {
	ft := int64(toInt(v))
	if ft < 0 || ft > maxTicks-fileTimeOffset {
		return time.Time{}, errFileTime(true)
	}
	t, err := addTicks(netMinDate, ft+fileTimeOffset)
	if err != nil {
		return time.Time{}, err
	}
	return t.In(loc), nil
}

func registerDateExact() {
	S, O, I := tString, tObject, tInt
	SS := arrayOf(tString)
	styleOf := func(a []any, i int) (int, error) {
		if len(a) <= i {
			return 0, nil
		}
		st := toInt(a[i])
		return st, checkStyles(st)
	}
	staticOverload("DateTime", "ParseExact", ts(S, SS, O, I), tDateTime, func(a []any) (any, error) {
		st, err := styleOf(a, 3)
		if err != nil {
			return nil, err
		}
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("s")
		}
		t, zoned, utc, err := parseExactMulti(s, a[1], invariantProvider(a[2]), st)
		if err != nil {
			return nil, err
		}
		return styledDate(t, zoned, utc, st)
	})
	dtoStyleOf := func(a []any, i int) (int, error) {
		if len(a) <= i {
			return 0, nil
		}
		return checkDTOStyles(toInt(a[i]))
	}
	staticOverload("DateTimeOffset", "ParseExact", ts(S, SS, O, I), tDTO, func(a []any) (any, error) {
		st, err := dtoStyleOf(a, 3)
		if err != nil {
			return nil, err
		}
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("input")
		}
		t, zoned, _, err := parseExactMulti(s, a[1], invariantProvider(a[2]), st)
		if err != nil {
			return nil, err
		}
		return styledDTO(t, zoned, st, s)
	})
	// DateTimeOffset.Parse(input, provider, styles)
	static("DateTimeOffset", "Parse", ts(S, O, I), tDTO, func(a []any) (any, error) {
		st, err := dtoStyleOf(a, 2)
		if err != nil {
			return nil, err
		}
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("input")
		}
		t, zoned, ok := parseNetDate(s)
		if !ok {
			return nil, exc("FormatException", "String '%s' was not recognized as a valid DateTime.", s)
		}
		return styledDTO(t, zoned, st, s)
	}, nil)
	// DateTimeOffset.ParseExact(s, format, provider, styles) with
	// DateTimeOffset's styles (RoundtripKind is ignored there)
	for _, b := range statics["DateTimeOffset"]["ParseExact"] {
		if len(b.params) == 4 && b.params[1] == S {
			orig := b.run
			b.run = func(a []any) (any, error) {
				st, err := dtoStyleOf(a, 3)
				if err != nil {
					return nil, err
				}
				return orig([]any{a[0], a[1], a[2], st})
			}
		}
	}
	// Windows file times
	method(KDateTime, "ToFileTime", ts(), tLong, func(a []any) (any, error) { return toFileTime(a[0].(time.Time)) }, nil)
	method(KDateTime, "ToFileTimeUtc", ts(), tLong, func(a []any) (any, error) { return toFileTime(a[0].(time.Time)) }, nil)
	method(KDateTimeOffset, "ToFileTime", ts(), tLong, func(a []any) (any, error) { return toFileTime(a[0].(dateTimeOffset).t.UTC()) }, nil)
	static("DateTime", "FromFileTime", ts(tLong), tDateTime, func(a []any) (any, error) { return fromFileTime(a[0], locLocal) }, nil)
	static("DateTime", "FromFileTimeUtc", ts(tLong), tDateTime, func(a []any) (any, error) { return fromFileTime(a[0], time.UTC) }, nil)
	static("DateTimeOffset", "FromFileTime", ts(tLong), tDTO, func(a []any) (any, error) {
		t, err := fromFileTime(a[0], time.UTC)
		if err != nil {
			return nil, err
		}
		return dateTimeOffset{t}, nil
	}, nil)
	// TimeZoneInfo.GetUtcOffset(DateTimeOffset), IsDaylightSavingTime(DateTimeOffset):
	// the zone at that instant
	method(KTimeZone, "GetUtcOffset", ts(tDTO), tTimeSpan, func(a []any) (any, error) {
		z, err := tzRecv(a[0])
		if err != nil {
			return nil, err
		}
		_, off := a[1].(dateTimeOffset).t.In(z.loc).Zone()
		return time.Duration(off) * time.Second, nil
	}, nil)
	method(KTimeZone, "IsDaylightSavingTime", ts(tDTO), tBool, func(a []any) (any, error) {
		z, err := tzRecv(a[0])
		if err != nil {
			return nil, err
		}
		return a[1].(dateTimeOffset).t.In(z.loc).IsDST(), nil
	}, nil)
}
