package csharp

import (
	"strconv"
	"strings"
	"time"
)

// Dates and time spans as .NET formats them: DateTime.ToString(format),
// DateTimeOffset.ToString(format) and TimeSpan.ToString(format), with the
// standard format strings (one letter) and the custom ones. The current
// culture's patterns are en-US's (as ToString() is, see
// docs/expressions-csharp.md), an invariant provider's the invariant
// culture's; names of days and months are English in both.

func errDateFormat() error {
	return exc("FormatException", "Input string was not in a correct format.")
}

// enUSDatePatterns are the current culture's standard patterns (en-US's).
var enUSDatePatterns = map[byte]string{'d': "M/d/yyyy", 'D': "dddd, MMMM d, yyyy", 'f': "dddd, MMMM d, yyyy h:mm tt",
	'F': "dddd, MMMM d, yyyy h:mm:ss tt", 'g': "M/d/yyyy h:mm tt", 'G': "M/d/yyyy h:mm:ss tt", 'm': "MMMM d", 'M': "MMMM d",
	't': "h:mm tt", 'T': "h:mm:ss tt", 'U': "dddd, MMMM d, yyyy h:mm:ss tt", 'y': "MMMM yyyy", 'Y': "MMMM yyyy"}

// invariantDatePatterns are the invariant culture's.
var invariantDatePatterns = map[byte]string{'d': "MM/dd/yyyy", 'D': "dddd, dd MMMM yyyy", 'f': "dddd, dd MMMM yyyy HH:mm",
	'F': "dddd, dd MMMM yyyy HH:mm:ss", 'g': "MM/dd/yyyy HH:mm", 'G': "MM/dd/yyyy HH:mm:ss", 'm': "MMMM dd", 'M': "MMMM dd",
	't': "HH:mm", 'T': "HH:mm:ss", 'U': "dddd, dd MMMM yyyy HH:mm:ss", 'y': "yyyy MMMM", 'Y': "yyyy MMMM"}

// FormatDateTime formats t as .NET's DateTime.ToString(format) does (the
// current culture's patterns): the standard formats ("o", "s", "u", "r",
// "d", …) and custom ones (yyyy-MM-ddTHH:mm:ss.fffZ), by t's kind
// (datetime.go): "o" and "K" end in "Z" for Utc, in the offset ("+00:00")
// for Local and in nothing for Unspecified. A time in another zone
// (Liquid's, parsed with an offset) reads as a local time in that zone.
// A format .NET refuses gives "". The C# ToString and Liquid's Date filter
// both use it.
func FormatDateTime(t time.Time, f string) string {
	s, _ := formatDateNET(t, f, false, false)
	return s
}

// formatDTO is DateTimeOffset.ToString(format): "o" and "K" give the
// offset whatever it is, "u" and "r" the UTC time.
func formatDTO(d dateTimeOffset, f string) string {
	s, _ := formatDateNET(d.t, f, true, false)
	return s
}

// formatDateNET is ToString(format) of a DateTime (dto false) or a
// DateTimeOffset's clock time t; inv: an invariant provider's patterns.
func formatDateNET(t time.Time, f string, dto, inv bool) (string, error) {
	if f == "" {
		if inv {
			return invariantDateText(dateValue(t, dto)), nil
		}
		return toStringNET(dateValue(t, dto)), nil
	}
	if len(f) > 1 {
		return customDate(t, f, dto)
	}
	switch f[0] {
	case 'o', 'O': // yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK
		switch loc := t.Location(); {
		case dto || loc == locLocal:
			return t.Format("2006-01-02T15:04:05.0000000-07:00"), nil
		case loc == locUnspecified:
			return t.Format("2006-01-02T15:04:05.0000000"), nil
		}
		return t.Format("2006-01-02T15:04:05.0000000Z07:00"), nil
	case 's':
		return t.Format("2006-01-02T15:04:05"), nil
	case 'u':
		return t.UTC().Format("2006-01-02 15:04:05Z"), nil
	case 'r', 'R':
		return t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"), nil
	case 'U':
		if dto { // DateTimeOffset has no "U"
			return "", errDateFormat()
		}
		t = t.UTC()
	}
	pats := enUSDatePatterns
	if inv {
		pats = invariantDatePatterns
	}
	p, ok := pats[f[0]]
	if !ok {
		return "", errDateFormat()
	}
	return customDate(t, p, dto)
}

// dateValue is the DateTime or DateTimeOffset whose clock time is t.
func dateValue(t time.Time, dto bool) any {
	if dto {
		return dateTimeOffset{t: t}
	}
	return t
}

var monthNames = [...]string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// customDate is .NET's FormatCustomized: a custom date and time format
// (d, f, F, g, h, H, K, m, M, s, t, y, z, :, /, 'literal', "literal", %c,
// \c; any other character as it is).
func customDate(t time.Time, f string, dto bool) (string, error) {
	var b strings.Builder
	pad := func(v, w int) { writeZeroPadded(&b, int64(v), w) }
	for i := 0; i < len(f); {
		c := f[i]
		n := formatRun(f, i)
		switch c {
		case 'y':
			switch {
			case n == 1:
				b.WriteString(strconv.Itoa(t.Year() % 100))
			case n == 2:
				pad(t.Year()%100, 2)
			default:
				pad(t.Year(), n)
			}
		case 'M':
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(int(t.Month())))
			case 2:
				pad(int(t.Month()), 2)
			case 3:
				b.WriteString(monthNames[t.Month()][:3])
			default:
				b.WriteString(monthNames[t.Month()])
			}
		case 'd':
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(t.Day()))
			case 2:
				pad(t.Day(), 2)
			case 3:
				b.WriteString(dayNames[t.Weekday()][:3])
			default:
				b.WriteString(dayNames[t.Weekday()])
			}
		case 'H':
			pad(t.Hour(), min(n, 2))
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			pad(h, min(n, 2))
		case 'm':
			pad(t.Minute(), min(n, 2))
		case 's':
			pad(t.Second(), min(n, 2))
		case 'f', 'F':
			if n > 7 {
				return "", errDateFormat()
			}
			frac := strconv.Itoa(t.Nanosecond()/100 + 10_000_000)[1 : 1+n]
			if c == 'F' {
				frac = strings.TrimRight(frac, "0")
				if frac == "" { // no fraction: nor the point before it
					if s := b.String(); strings.HasSuffix(s, ".") {
						b.Reset()
						b.WriteString(s[:len(s)-1])
					}
				}
			}
			b.WriteString(frac)
		case 'g':
			b.WriteString("A.D.")
		case 't':
			ampm := "AM"
			if t.Hour() >= 12 {
				ampm = "PM"
			}
			b.WriteString(ampm[:min(n, 2)])
		case 'z':
			_, off := t.Zone()
			sign := byte('+')
			if off < 0 {
				sign, off = '-', -off
			}
			b.WriteByte(sign)
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(off / 3600))
			case 2:
				pad(off/3600, 2)
			default:
				pad(off/3600, 2)
				b.WriteByte(':')
				pad(off%3600/60, 2)
			}
		case 'K':
			switch loc := t.Location(); {
			case dto || loc == locLocal:
				b.WriteString(t.Format("-07:00"))
			case loc == locUnspecified:
			case loc == time.UTC:
				b.WriteByte('Z')
			default: // a time in another zone (Liquid's): its offset, "Z" for 0
				b.WriteString(t.Format("Z07:00"))
			}
			n = 1
		case '\'', '"':
			lit, ok := quotedLiteral(f, i)
			if !ok {
				return "", exc("FormatException", "Cannot find a matching quote character for the character '%c'.", c)
			}
			b.WriteString(lit)
			n = len(lit) + 2
		case '%':
			if i+1 >= len(f) || f[i+1] == '%' {
				return "", errDateFormat()
			}
			s, err := customDate(t, f[i+1:i+2], dto)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
			n = 2
		case '\\':
			if i+1 >= len(f) {
				return "", errDateFormat()
			}
			b.WriteByte(f[i+1])
			n = 2
		default:
			b.WriteByte(c)
			n = 1
		}
		i += n
	}
	return b.String(), nil
}

// formatTimeSpanNET is TimeSpan.ToString(format): "c" (also "t", "T"),
// "g", "G", and the custom formats (d…dddddddd, h, hh, m, mm, s, ss,
// f…fffffff, F…FFFFFFF, 'literal', %c, \c; every other character must be
// quoted or escaped, as in .NET).
func formatTimeSpanNET(d time.Duration, f string) (string, error) {
	if f == "" {
		return formatTimeSpan(d), nil
	}
	neg := d < 0
	days, rest := spanDays(d)
	h, m, s, frac := rest/36_000_000_000, rest/600_000_000%60, rest/10_000_000%60, rest%10_000_000
	if len(f) == 1 {
		var b strings.Builder
		if neg {
			b.WriteByte('-')
		}
		switch f[0] {
		case 'c', 't', 'T':
			return formatTimeSpan(d), nil
		case 'g':
			if days > 0 {
				b.WriteString(strconv.FormatInt(days, 10) + ":")
			}
			b.WriteString(strconv.FormatInt(h, 10) + ":" + two(m) + ":" + two(s))
			if frac > 0 {
				b.WriteString("." + strings.TrimRight(strconv.FormatInt(frac+10_000_000, 10)[1:], "0"))
			}
			return b.String(), nil
		case 'G':
			b.WriteString(strconv.FormatInt(days, 10) + ":" + two(h) + ":" + two(m) + ":" + two(s) + "." + strconv.FormatInt(frac+10_000_000, 10)[1:])
			return b.String(), nil
		}
		return "", errDateFormat()
	}
	return customSpan(f, days, h, m, s, frac)
}

func two(v int64) string {
	if v < 10 {
		return "0" + strconv.FormatInt(v, 10)
	}
	return strconv.FormatInt(v, 10)
}

// writeZeroPadded writes v in decimal, zero-padded to at least w characters.
func writeZeroPadded(b *strings.Builder, v int64, w int) {
	t := strconv.FormatInt(v, 10)
	for i := len(t); i < w; i++ {
		b.WriteByte('0')
	}
	b.WriteString(t)
}

// customSpan is .NET's TimeSpanFormat.FormatCustomized (no sign: a custom
// format writes none).
func customSpan(f string, days, h, m, s, frac int64) (string, error) {
	var b strings.Builder
	padTo := func(v int64, w int) { writeZeroPadded(&b, v, w) }
	for i := 0; i < len(f); {
		c := f[i]
		n := formatRun(f, i)
		switch c {
		case 'd':
			if n > 8 {
				return "", errDateFormat()
			}
			padTo(days, n)
		case 'h', 'm', 's':
			if n > 2 {
				return "", errDateFormat()
			}
			v := map[byte]int64{'h': h, 'm': m, 's': s}[c]
			padTo(v, n)
		case 'f', 'F':
			if n > 7 {
				return "", errDateFormat()
			}
			t := strconv.FormatInt(frac+10_000_000, 10)[1 : 1+n]
			if c == 'F' {
				t = strings.TrimRight(t, "0")
			}
			b.WriteString(t)
		case '\'', '"':
			lit, ok := quotedLiteral(f, i)
			if !ok {
				return "", errDateFormat()
			}
			b.WriteString(lit)
			n = len(lit) + 2
		case '%':
			if i+1 >= len(f) || f[i+1] == '%' {
				return "", errDateFormat()
			}
			t, err := customSpan(f[i+1:i+2], days, h, m, s, frac)
			if err != nil {
				return "", err
			}
			b.WriteString(t)
			n = 2
		case '\\':
			if i+1 >= len(f) {
				return "", errDateFormat()
			}
			b.WriteByte(f[i+1])
			n = 2
		default:
			return "", errDateFormat()
		}
		i += n
	}
	return b.String(), nil
}

// formatRun is how many times f[i] repeats from i: the length of one
// specifier of a .NET date, time or time span format ("yyyy" is 4), as the
// formatting and the parsing scanners read it.
func formatRun(f string, i int) int {
	n := 1
	for i+n < len(f) && f[i+n] == f[i] {
		n++
	}
	return n
}

// quotedLiteral is the text of the quoted literal that starts at f[i] (a
// ' or "), up to the same quote; ok is false without a closing one.
func quotedLiteral(f string, i int) (lit string, ok bool) {
	end := strings.IndexByte(f[i+1:], f[i])
	if end < 0 {
		return "", false
	}
	return f[i+1 : i+1+end], true
}

// spanDays is a TimeSpan's magnitude in whole days and the ticks left
// (TimeSpan.MinValue's magnitude too, one tick past long.MaxValue).
func spanDays(d time.Duration) (days, rest int64) {
	t := spanTicks(d)
	mag := uint64(t)
	if t < 0 {
		mag = uint64(-(t + 1)) + 1
	}
	return int64(mag / 864_000_000_000), int64(mag % 864_000_000_000)
}
