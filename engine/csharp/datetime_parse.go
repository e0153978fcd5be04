package csharp

import (
	"strings"
	"time"
)

// netLayout turns a .NET date and time format (standard "o", "s", "u",
// "r", or custom: yyyy MM dd HH mm ss fff tt zzz K, 'literal', \c) into a
// Go layout for DateTime.ParseExact; ok is false for what Go cannot read.
func netLayout(f string) (string, bool) {
	switch f {
	case "o", "O":
		return "2006-01-02T15:04:05.9999999Z07:00", true
	case "s":
		return "2006-01-02T15:04:05", true
	case "u":
		return "2006-01-02 15:04:05Z", true
	case "r", "R":
		return "Mon, 02 Jan 2006 15:04:05 GMT", true
	case "d":
		return "1/2/2006", true
	case "D":
		return "Monday, January 2, 2006", true
	case "t":
		return "3:04 PM", true
	case "T":
		return "3:04:05 PM", true
	case "g":
		return "1/2/2006 3:04 PM", true
	case "G":
		return "1/2/2006 3:04:05 PM", true
	case "f", "F", "U", "M", "m", "Y", "y":
		return standardExact(f, true)
	}
	if len(f) == 1 && (f[0] >= 'a' && f[0] <= 'z' || f[0] >= 'A' && f[0] <= 'Z') {
		return "", false // another standard format (f, F, M, Y, …)
	}
	var b strings.Builder
	prevVariable := false // the last token was a number of 1 or 2 digits (M, d, H, h, m, s) or a fraction
	lastSpec := byte(0)   // the last token's specifier
	for i := 0; i < len(f); {
		c := f[i]
		n := formatRun(f, i)
		numeric := strings.IndexByte("yMdHhmsfF", c) >= 0 && !(c == 'M' && n >= 3) && !(c == 'd' && n >= 3)
		if prevVariable && numeric {
			return "", false // two numbers with nothing between: which digits are whose is a guess
		}
		wasVariable, wasSpec := prevVariable, lastSpec
		lastSpec = c
		prevVariable = n == 1 && strings.IndexByte("MdHhmsz", c) >= 0 || c == 'f' || c == 'F' // a fraction reads every digit after it; z one or two hour digits
		if (c == '\'' || c == '"') && i+1 < len(f) && f[i+1] == c {
			prevVariable, lastSpec = wasVariable, wasSpec // '' : an empty literal
		}
		tok, ok := "", true
		switch c {
		case 'y':
			tok, ok = map[int]string{2: "06", 4: "2006"}[n]
		case 'M':
			tok, ok = map[int]string{1: "1", 2: "01", 3: "Jan", 4: "January"}[n]
		case 'd':
			tok, ok = map[int]string{1: "2", 2: "02", 3: "Mon", 4: "Monday"}[n]
		case 'H':
			tok, ok = map[int]string{1: "15", 2: "15"}[n]
		case 'h':
			tok, ok = map[int]string{1: "3", 2: "03"}[n]
		case 'm':
			tok, ok = map[int]string{1: "4", 2: "04"}[n]
		case 's':
			tok, ok = map[int]string{1: "5", 2: "05"}[n]
		case 'f', 'F':
			// Go reads fractions after a separator it has just written.
			if prev := b.String(); !strings.HasSuffix(prev, ".") && !strings.HasSuffix(prev, ",") {
				return "", false
			}
			tok = strings.Repeat("0", n)
			if c == 'F' {
				tok = strings.Repeat("9", n)
			}
		case 't':
			tok, ok = map[int]string{2: "PM"}[n]
		case 'z':
			tok, ok = map[int]string{1: "-07", 2: "-07", 3: "-07:00"}[n] // z and zzz also read one hour digit (parseExactTime)
		case 'K':
			tok, ok = "Z07:00", n == 1
		case '\'', '"':
			end := strings.IndexByte(f[i+1:], c)
			if end < 0 {
				return "", false
			}
			lit := f[i+1 : i+1+end]
			for k := 0; k < len(lit); k++ {
				if c := lit[k]; c >= '0' && c <= '9' || c == '_' || (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') && c != 'T' {
					return "", false // could read as a layout element
				}
			}
			b.WriteString(lit)
			i += end + 2
			// An empty literal separates nothing: prevVariable stands.
			continue
		case '%':
			// .NET's parser skips a '%' (written before a one-letter
			// custom specifier: "%d" is the day); "%%" or a '%' at the end
			// is a bad format
			if n > 1 || i+1 >= len(f) {
				return "", false
			}
			prevVariable, lastSpec = wasVariable, wasSpec
			i++
			continue
		case '\\':
			if i+1 >= len(f) || f[i+1] >= '0' && f[i+1] <= '9' || f[i+1] == '_' || (f[i+1] >= 'a' && f[i+1] <= 'z' || f[i+1] >= 'A' && f[i+1] <= 'Z') && f[i+1] != 'T' {
				return "", false
			}
			b.WriteByte(f[i+1])
			i += 2
			continue
		default:
			// Other characters are literal in .NET; in a Go layout digits
			// and the first letters of Jan, Mon, MST, PM, pm and Z07 are not.
			if (c >= '0' && c <= '9') || c == '_' || (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') && c != 'T' {
				return "", false // letters next to Go's layout words (Jan, Mon, PM, MST…) read as them: only T is taken
			}
			// After seconds, Go reads ".0…"/".9…" as a fraction: a dot or
			// comma there must start one (fff).
			if (c == '.' || c == ',') && wasSpec == 's' && (i+n >= len(f) || f[i+n] != 'f' && f[i+n] != 'F') {
				return "", false
			}
			tok = f[i : i+n] // the bytes as they are (a multi-byte character stays whole)
		}
		if !ok {
			return "", false
		}
		b.WriteString(tok)
		i += n
	}
	return b.String(), true
}

// DateTimeStyles' flags that change a parsed time's kind.
const (
	styleNoCurrentDateDefault = 8
	styleAdjustToUniversal    = 16
	styleAssumeLocal          = 32
	styleAssumeUniversal      = 64
	styleRoundtripKind        = 128
)

// dateStyles are the members of System.Globalization.DateTimeStyles (a
// flags enum: ints here, so that | combines them).
var dateStyles = []struct {
	name string
	v    int
}{{"None", 0}, {"AllowLeadingWhite", 1}, {"AllowTrailingWhite", 2}, {"AllowInnerWhite", 4}, {"AllowWhiteSpaces", 7},
	{"NoCurrentDateDefault", 8}, {"AdjustToUniversal", 16}, {"AssumeLocal", 32}, {"AssumeUniversal", 64}, {"RoundtripKind", 128}}

// checkStyles refuses the combinations .NET refuses.
func checkStyles(st int) error {
	if st&styleAssumeLocal != 0 && st&styleAssumeUniversal != 0 {
		return exc("ArgumentException", "The DateTimeStyles values AssumeLocal and AssumeUniversal cannot be used together. (Parameter 'style')")
	}
	if st&styleRoundtripKind != 0 && st&(styleAssumeLocal|styleAssumeUniversal|styleAdjustToUniversal) != 0 {
		return exc("ArgumentException", "The DateTimeStyles value RoundtripKind cannot be used with the values AssumeLocal, AssumeUniversal or AdjustToUniversal. (Parameter 'style')")
	}
	if st < 0 || st > 255 {
		return exc("ArgumentException", "An undefined DateTimeStyles value is being used. (Parameter 'style')")
	}
	return nil
}

// styledDate is the DateTime a parse gives, by the styles: t as parsed
// (in the zone the text gave when zoned), utcMark when the text's zone was
// "Z". A zoned text is converted to local time (Kind Local), or to UTC
// with AdjustToUniversal, or kept Utc with RoundtripKind and "Z"; a text
// with no zone is Unspecified unless AssumeLocal or AssumeUniversal says
// whose it is (Local, or Utc with AdjustToUniversal). The local zone is UTC,
// so a conversion moves the clock by the text's offset and no more.
func styledDate(t time.Time, zoned, utcMark bool, st int) (time.Time, error) {
	var out time.Time
	switch {
	case zoned && st&styleRoundtripKind != 0 && utcMark, zoned && st&styleAdjustToUniversal != 0:
		out = t.UTC()
	case zoned:
		out = t.In(locLocal)
	case st&(styleAssumeLocal|styleAssumeUniversal) == 0:
		return t.In(locUnspecified), nil // the clock as written
	case st&styleAdjustToUniversal != 0:
		out = t.UTC()
	default:
		out = t.In(locLocal)
	}
	return inNetRange(out)
}

// standardExact is the pattern of the standard format f, F, M (m) or Y (y)
// in ParseExact: the invariant culture's for an invariant provider, en-US's
// (tollgate's current culture) for any other, as .NET's "Standard date and
// time format strings" page gives them. dd reads one or two digits there,
// as .NET's parser does.
func standardExact(f string, inv bool) (string, bool) {
	var l string
	switch f {
	case "f": // dddd, dd MMMM yyyy HH:mm; en-US dddd, MMMM d, yyyy h:mm tt
		l = map[bool]string{true: "Monday, 2 January 2006 15:04", false: "Monday, January 2, 2006 3:04 PM"}[inv]
	case "F", "U": // dddd, dd MMMM yyyy HH:mm:ss; en-US dddd, MMMM d, yyyy h:mm:ss tt (U: FullDateTimePattern, the time UTC's)
		l = map[bool]string{true: "Monday, 2 January 2006 15:04:05", false: "Monday, January 2, 2006 3:04:05 PM"}[inv]
	case "M", "m": // MMMM dd; en-US MMMM d
		l = "January 2"
	case "Y", "y": // yyyy MMMM; en-US MMMM yyyy
		l = map[bool]string{true: "2006 January", false: "January 2006"}[inv]
	default:
		return "", false
	}
	return l, true
}

// exactDateParts reports which of the year, the month and the day a
// ParseExact format writes (ddd and dddd name the weekday, not the day).
func exactDateParts(f string) (y, m, d bool) {
	switch f {
	case "t", "T":
		return false, false, false
	case "M", "m":
		return false, true, true
	case "Y", "y":
		return true, true, false
	}
	if len(f) == 1 {
		return true, true, true
	}
	for i := 0; i < len(f); {
		c := f[i]
		n := formatRun(f, i)
		switch c {
		case '\\':
			n = 2
		case '\'', '"':
			if end := strings.IndexByte(f[i+1:], c); end >= 0 {
				n = end + 2
			}
		case 'y':
			y = true
		case 'M':
			m = true
		case 'd':
			d = d || n <= 2
		}
		i += n
	}
	return y, m, d
}

// dateDefaults gives a parsed time the parts its format did not write, as
// .NET's "Parse date and time strings" says: a missing date is the current
// date (0001-01-01 with NoCurrentDateDefault), a missing year the current
// year (the local zone, UTC's); a missing day of the month is the first
// and a missing time midnight, as Go's parse leaves them. A February 29
// in a current year that has none is no date (FormatException).
func dateDefaults(t time.Time, f, s string, st int) (time.Time, error) {
	y, m, d := exactDateParts(f)
	if y {
		return t, nil
	}
	clock := func(yy int, mm time.Month, dd int) time.Time {
		return time.Date(yy, mm, dd, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	}
	now := time.Now().UTC()
	switch {
	case !m && !d && st&styleNoCurrentDateDefault != 0:
		return clock(1, 1, 1), nil
	case !m && !d:
		return clock(now.Year(), now.Month(), now.Day()), nil
	}
	out := clock(now.Year(), t.Month(), t.Day())
	if out.Day() != t.Day() {
		return time.Time{}, exc("FormatException", "String '%s' was not recognized as a valid DateTime.", s)
	}
	return out, nil
}

// weekdayMatches reports whether a text whose layout starts with the
// weekday (dddd, ddd: "Monday, …", RFC 1123's "Mon, …") names the day its
// date falls on: .NET refuses one that does not, where Go ignores it.
func weekdayMatches(layout, s string, t time.Time) bool {
	if !strings.HasPrefix(layout, "Mon") {
		return true
	}
	n := 0
	for n < len(s) && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z') {
		n++
	}
	day := t.Weekday().String()
	return strings.EqualFold(s[:n], day) || strings.EqualFold(s[:n], day[:3])
}

// oneDigitOffset reports whether the format reads an offset whose hour
// may be one digit: z and zzz do in .NET's parser (zz takes two).
func oneDigitOffset(f string) bool {
	for i := 0; i < len(f); {
		n := 1
		for i+n < len(f) && f[i+n] == f[i] {
			n++
		}
		if f[i] == 'z' && n != 2 {
			return true
		}
		i += n
	}
	return false
}

// padOneDigitOffset tries s with a '0' before each one-digit hour after a
// sign (+5:00, -5, +5 at the end): the texts a z or zzz with one hour
// digit reads, written with the two a Go layout takes.
func padOneDigitOffset(layout, s string) (time.Time, bool) {
	var all strings.Builder // every such hour padded (a format with several offsets)
	for i := 0; i < len(s); i++ {
		all.WriteByte(s[i])
		if (s[i] != '+' && s[i] != '-') || i+1 >= len(s) || !isDigitByte(s[i+1]) || i+2 < len(s) && isDigitByte(s[i+2]) {
			continue
		}
		all.WriteByte('0')
		if t, err := time.Parse(layout, s[:i+1]+"0"+s[i+1:]); err == nil {
			return t, true
		}
	}
	if t, err := time.Parse(layout, all.String()); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// parseExactTime reads s with the .NET format f (inv: an invariant
// provider's patterns for the standard formats that differ; st the
// DateTimeStyles): the time, whether the text gave a zone, and whether
// that zone was "Z".
func parseExactTime(s, f string, inv bool, st int) (t time.Time, zoned, utcMark bool, err error) {
	layout, ok := standardExact(f, inv)
	if !ok {
		layout, ok = netLayout(f)
	}
	if !ok {
		// tollgate's limit, not the text's fault: NotSupportedException,
		// so that TryParseExact says so instead of returning false
		return time.Time{}, false, false, exc("NotSupportedException", "The format '%s' is not supported by DateTime.ParseExact in policy expressions.", f)
	}
	zoned = strings.Contains(layout, "Z07") || strings.Contains(layout, "-07")
	t, perr := time.Parse(layout, s)
	if perr != nil && (f == "o" || f == "O") {
		// "o" of an Unspecified time has no zone
		t, perr = time.Parse("2006-01-02T15:04:05.9999999", s)
		zoned = false
	} else if perr != nil && len(f) > 1 && strings.Contains(layout, "Z07:00") {
		// K (the only custom specifier that makes Z07:00) also matches
		// nothing, as .NET's: a text without a zone, Unspecified
		if t2, err2 := time.Parse(strings.Replace(layout, "Z07:00", "", 1), s); err2 == nil {
			t, perr, zoned = t2, nil, false
		}
	}
	if perr != nil && zoned && len(f) > 1 && oneDigitOffset(f) {
		if t2, ok := padOneDigitOffset(layout, s); ok {
			t, perr = t2, nil
		}
	}
	if perr != nil {
		return time.Time{}, false, false, exc("FormatException", "String '%s' was not recognized as a valid DateTime.", s)
	}
	if !weekdayMatches(layout, s, t) {
		return time.Time{}, false, false, exc("FormatException", "String '%s' was not recognized as a valid DateTime because the day of week was incorrect.", s)
	}
	if t, err = dateDefaults(t, f, s, st); err != nil {
		return time.Time{}, false, false, err
	}
	if f == "U" {
		// .NET's ExpandPredefinedFormat: U reads the full date and time
		// pattern as a UTC time (TimeZoneUsed, offset 0, TimeZoneUtc), as
		// if the text ended in Z
		return t.UTC(), true, true, nil
	}
	return t, zoned, zoned && t.Location() == time.UTC, nil
}

func registerParseExact() {
	for _, st := range dateStyles {
		v := st.v
		staticProp("DateTimeStyles", st.name, tInt, func([]any) (any, error) { return v, nil }, nil)
	}
	styleArg := func(a []any, i int) (int, error) {
		if len(a) <= i {
			return 0, nil
		}
		st := toInt(a[i])
		return st, checkStyles(st)
	}
	parse := func(a []any) (any, error) {
		st, err := styleArg(a, 3) // .NET checks the styles first
		if err != nil {
			return nil, err
		}
		s, _ := a[0].(string)
		f, _ := a[1].(string)
		if a[0] == nil {
			return nil, argNull("s")
		}
		if a[1] == nil {
			return nil, argNull("format")
		}
		t, zoned, utc, err := parseExactTime(s, f, invariantProvider(a[2]), st)
		if err != nil {
			return nil, err
		}
		return styledDate(t, zoned, utc, st)
	}
	static("DateTime", "ParseExact", ts(tString, tString, tObject), tDateTime, parse, nil)
	static("DateTime", "ParseExact", ts(tString, tString, tObject, tInt), tDateTime, parse, nil)
	// DateTime.Parse(s, provider, styles)
	static("DateTime", "Parse", ts(tString, tObject, tInt), tDateTime, func(a []any) (any, error) {
		st, err := styleArg(a, 2)
		if err != nil {
			return nil, err
		}
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("s")
		}
		t, zoned, ok := parseNetDate(s)
		if !ok {
			return nil, exc("FormatException", "String '%s' was not recognized as a valid DateTime.", s)
		}
		return styledDate(t, zoned, zoned && t.Location() == time.UTC, st)
	}, nil)
	// DateTimeOffset.ParseExact: the text's offset, or (none written) the
	// local zone's, 0; AdjustToUniversal gives offset 0 either way.
	parseDTOExact := func(a []any) (any, error) {
		s, _ := a[0].(string)
		f, _ := a[1].(string)
		if a[0] == nil {
			return nil, argNull("input")
		}
		if a[1] == nil {
			return nil, argNull("format")
		}
		st, err := styleArg(a, 3)
		if err != nil {
			return nil, err
		}
		t, zoned, _, err := parseExactTime(s, f, invariantProvider(a[2]), st)
		if err != nil {
			return nil, err
		}
		if !zoned || st&styleAdjustToUniversal != 0 {
			return dateTimeOffset{t.UTC()}, nil
		}
		return dtoWithZone(t, s)
	}
	static("DateTimeOffset", "ParseExact", ts(tString, tString, tObject), tDTO, parseDTOExact, nil)
	static("DateTimeOffset", "ParseExact", ts(tString, tString, tObject, tInt), tDTO, parseDTOExact, nil)
}
